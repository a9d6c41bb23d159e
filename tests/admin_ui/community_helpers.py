"""Seed questions, answers, ideas and votes through the community service, and read
them back, for the admin page's Questions and Ideas tests (server and browser)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from plaudit_server.extensions import db
from plaudit_server.models import Answer, Idea, IdeaSource, Status
from plaudit_server.services import community, sites


def seed_question(app: Flask, slug: str, product: str = "sku-1", **fields: Any) -> str:
    """A visitor's question through the service (its status follows the site's policy)."""
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        data = {"body": "Does it fit a 60 mm filter?", "author_name": "Asker", **fields}
        question = community.ask(db.session, site, product, data, visitor_hash=None)
        db.session.commit()
        return question.id


def seed_answer(app: Flask, slug: str, question_id: str, **fields: Any) -> str:
    """A visitor's answer to a published question."""
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        data = {"body": "Yes, mine does.", "author_name": "Helper", **fields}
        answer = community.answer(db.session, site, question_id, data, visitor_hash=None)
        db.session.commit()
        return answer.id


def seed_idea(app: Flask, slug: str, title: str = "A travel case", **fields: Any) -> str:
    """A visitor's idea for the board."""
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        data = {"title": title, "body": "", "author_name": "Dreamer", **fields}
        idea = community.propose(db.session, site, data, visitor_hash=None)
        db.session.commit()
        return idea.id


def publish(app: Flask, slug: str, model: Any, ids: list[str]) -> None:
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        community.set_status(db.session, site, model, ids, Status.PUBLISHED)
        db.session.commit()


def vote(app: Flask, slug: str, idea_id: str, voters: list[str], email: str | None = None) -> int:
    """Votes by ``voters`` (visitor hashes), each from a network of its own."""
    count = 0
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        for voter in voters:
            count, _ = community.vote_idea(
                db.session, site, idea_id, voter, True, email=email, network_hash=f"net-{voter}"
            )
        db.session.commit()
    return count


def set_stage(app: Flask, slug: str, idea_id: str, stage: str, note: str | None = None) -> None:
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        community.update(db.session, site, Idea, idea_id, {"stage": stage, "stage_note": note})
        db.session.commit()


def row(app: Flask, model: Any, item_id: str) -> Any:
    """The row as stored now (detached), or None once deleted."""
    with app.app_context():
        found = db.session.get(model, item_id)
        db.session.expunge_all()
        return found


def answers_of(app: Flask, question_id: str) -> list[Answer]:
    with app.app_context():
        found = list(
            db.session.scalars(
                sa.select(Answer).where(Answer.question_id == question_id).order_by(Answer.id)
            )
        )
        db.session.expunge_all()
        return found


def sources_of(app: Flask, idea_id: str) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(IdeaSource.object_type, IdeaSource.object_id).where(
                IdeaSource.idea_id == idea_id
            )
        )
        return sorted((kind, object_id) for kind, object_id in rows)


def ideas_titled(app: Flask, slug: str, title: str) -> list[Idea]:
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        found = list(
            db.session.scalars(sa.select(Idea).where(Idea.site_id == site.id, Idea.title == title))
        )
        db.session.expunge_all()
        return found
