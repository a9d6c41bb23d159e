"""Community e-mails: ask the community, an answer for the asker, an idea's progress.

Placeholder signatures called by ``services/community.py``; the bodies are being written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def question_published(session: Session, site: Any, question: Any) -> None:
    """Ask up to three of the product's reviewers to answer a newly published question."""


def answer_published(session: Session, site: Any, answer: Any, question: Any) -> None:
    """Tell the asker (once) that their question has a published answer."""


def idea_stage_reached(session: Session, site: Any, idea: Any, stage: str) -> None:
    """Tell voters and authors of linked feedback that an idea is planned or shipped."""
