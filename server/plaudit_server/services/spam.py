"""Spam checks: a chain of small predicates, each returning a reason or None.

A flagged submission is stored with status ``spam`` and its reasons (the owner sees them
in the queue), while the visitor gets the same answer as for any pending item, so a
spammer learns nothing about which check caught them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Comment, Review, Site
from ..timeutil import utcnow

MAX_LINKS = 2
DUPLICATE_WINDOW = timedelta(days=1)
_LINK = re.compile(r"(?i)\b(?:https?://|www\.)|\[url[=\]]|<a\s")


@dataclass(frozen=True)
class Submission:
    """What the checks look at; the same for reviews and comments."""

    site: Site
    model: type[Review] | type[Comment]
    text: str
    honeypot: str | None
    network_hash: str | None  # the submitter's network: User-Agents are free to change
    # Sent with an invitation's token: a buyer may well say "Great, thanks!" of each
    # product of an order, and the token already allows one review per product.
    verified: bool = False

    @property
    def body_hash(self) -> str:
        return text_hash(self.text)


def text_hash(text: str) -> str:
    normalised = " ".join(text.casefold().split())
    return hashlib.sha256(normalised.encode()).hexdigest()


def honeypot(sub: Submission, session: Session) -> str | None:
    return "honeypot" if sub.honeypot else None


def too_many_links(sub: Submission, session: Session) -> str | None:
    return "too_many_links" if len(_LINK.findall(sub.text)) > MAX_LINKS else None


def blocked_word(sub: Submission, session: Session) -> str | None:
    text = sub.text.casefold()
    for word in sub.site.blocked_words or ():
        if re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", text):
            return "blocked_word"
    return None


def duplicate(sub: Submission, session: Session) -> str | None:
    """The same text from the same network within a day."""
    if sub.network_hash is None or sub.verified:
        return None
    model = sub.model
    seen = session.scalar(
        sa.select(model.id)
        .where(
            model.site_id == sub.site.id,
            model.network_hash == sub.network_hash,
            model.body_hash == sub.body_hash,
            model.created_at > utcnow() - DUPLICATE_WINDOW,
        )
        .limit(1)
    )
    return "duplicate" if seen else None


CHECKS: list[Callable[[Submission, Session], str | None]] = [
    honeypot,
    too_many_links,
    duplicate,
    blocked_word,
]


def spam_reasons(sub: Submission, session: Session) -> list[str]:
    return [reason for check in CHECKS if (reason := check(sub, session))]
