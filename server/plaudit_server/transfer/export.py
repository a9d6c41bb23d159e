"""The open export format: a site as JSON Lines, one object per line with a ``type``.

In this order: the ``site`` (its settings), its ``product``s (with their summaries),
``review``s (store reviews have ``"product": null``; replies inline, votes as counts),
``comment``s (parents before replies), ``question``s, ``answer``s, ``idea``s (an idea
merged into another after it; its linked feedback inline, votes as counts),
``invitation``s and ``suppression``s. Every list
is in a stable order and every object's keys in a fixed order, so exporting the same
data twice gives the same bytes: export, import into an empty database (``plaudit
import --format plaudit`` keeps ids), export again, and the files are identical.
``schema.json`` next to this module is the JSON Schema of one line.

Rows are read in keyset-paginated pages (:data:`PAGE`), so a site of any size streams
out in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import (
    STORE,
    Answer,
    Comment,
    Idea,
    IdeaSource,
    Invitation,
    Product,
    Question,
    Review,
    Site,
    Suppression,
    UTCDateTime,
)
from ..services.summaries import summary_of

FORMAT = "plaudit-export"
VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schema.json")
PAGE = 2000


# The columns each kind of line reads (all of them would also decode JSON and convert
# times that the line does not show: a third of the export's time).
REVIEW_COLUMNS = (
    *("id", "product_id", "rating", "title", "body", "author_name", "author_email"),
    *("verified_buyer", "status", "helpful_count", "unhelpful_count", "reply_body"),
    *("reply_created_at", "created_at", "updated_at", "source", "source_id"),
)
COMMENT_COLUMNS = (
    *("id", "product_id", "review_id", "parent_id", "body", "author_name", "author_email"),
    *("is_owner", "status", "created_at", "updated_at", "source", "source_id"),
)
QUESTION_COLUMNS = (
    *("id", "product_id", "body", "author_name", "author_email", "notify", "status"),
    *("created_at", "updated_at"),
)
ANSWER_COLUMNS = (
    *("id", "question_id", "body", "author_name", "author_email", "is_owner"),
    *("verified_buyer", "status", "helpful_count", "unhelpful_count", "created_at"),
    "updated_at",
)
INVITATION_COLUMNS = (
    *("id", "order_id", "email", "name", "products", "store_review", "locale", "status"),
    *("send_at", "sent_at", "reminded_at", "reviewed_at", "expires_at", "created_at"),
)
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _time(value: datetime | None) -> str | None:
    """A time in UTC as the export writes it; naive values are UTC (``_plain``)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def _line(obj: dict[str, Any]) -> str:
    return _ENCODE(obj) + "\n"


def export_lines(session: Session, site: Site) -> Iterator[str]:
    """Every line of ``site``'s export, in order (each ends with a newline)."""
    yield _line(
        {
            "type": "site",
            "format": FORMAT,
            "version": VERSION,
            "id": site.slug,
            "name": site.name,
            "allowed_origins": list(site.allowed_origins),
            "moderation": site.moderation.value,
            "blocked_words": list(site.blocked_words),
            "locale": site.locale,
            "invite_delay_days": site.invite_delay_days,
            "invite_reminder_days": site.invite_reminder_days,
            "invite_ttl_days": site.invite_ttl_days,
        }
    )
    external: dict[str, str] = {}
    for product in _pages(session, _rows_of(Product).where(Product.site_id == site.id), Product):
        external[product.id] = product.external_id
        if product.external_id == STORE:
            continue
        yield _line({"type": "product", "id": product.external_id, "summary": summary_of(product)})
    store_id = next((k for k, v in external.items() if v == STORE), None)
    if store_id is not None:
        store = session.get(Product, store_id)
        yield _line({"type": "store", "summary": summary_of(store)})

    def product_of(product_id: str) -> str | None:
        value = external[product_id]
        return None if value == STORE else value

    reviews = _rows_of(Review, REVIEW_COLUMNS).where(Review.site_id == site.id)
    for review in _pages(session, reviews, Review):
        yield _line(
            {
                "type": "review",
                "id": review.id,
                "product": product_of(review.product_id),
                "rating": review.rating,
                "title": review.title,
                "body": review.body,
                "author_name": review.author_name,
                "author_email": review.author_email,
                "verified_buyer": review.verified_buyer,
                "status": review.status.value,
                "helpful_count": review.helpful_count,
                "unhelpful_count": review.unhelpful_count,
                "reply": None
                if review.reply_body is None
                else {"body": review.reply_body, "created_at": _time(review.reply_created_at)},
                "created_at": _time(review.created_at),
                "updated_at": _time(review.updated_at),
                "source": review.source,
                "source_id": review.source_id,
            }
        )
    for depth in range(3):  # parents before their replies
        comments = _rows_of(Comment, COMMENT_COLUMNS).where(
            Comment.site_id == site.id, Comment.depth == depth
        )
        for comment in _pages(session, comments, Comment):
            yield _line(
                {
                    "type": "comment",
                    "id": comment.id,
                    "product": product_of(comment.product_id),
                    "review_id": comment.review_id,
                    "parent_id": comment.parent_id,
                    "body": comment.body,
                    "author_name": comment.author_name,
                    "author_email": comment.author_email,
                    "is_owner": comment.is_owner,
                    "status": comment.status.value,
                    "created_at": _time(comment.created_at),
                    "updated_at": _time(comment.updated_at),
                    "source": comment.source,
                    "source_id": comment.source_id,
                }
            )
    yield from _community(session, site, product_of)
    invitations = _rows_of(Invitation, INVITATION_COLUMNS).where(Invitation.site_id == site.id)
    for invitation in _pages(session, invitations, Invitation):
        yield _line(
            {
                "type": "invitation",
                "id": invitation.id,
                "order_id": invitation.order_id,
                "email": invitation.email,
                "name": invitation.name,
                "products": list(invitation.products),
                "store_review": invitation.store_review,
                "locale": invitation.locale,
                "status": invitation.status.value,
                "send_at": _time(invitation.send_at),
                "sent_at": _time(invitation.sent_at),
                "reminded_at": _time(invitation.reminded_at),
                "reviewed_at": _time(invitation.reviewed_at),
                "expires_at": _time(invitation.expires_at),
                "created_at": _time(invitation.created_at),
            }
        )
    suppressed = session.execute(
        sa.select(Suppression.kind, Suppression.email, Suppression.created_at)
        .where(Suppression.site_id == site.id)
        .order_by(Suppression.kind, Suppression.email)
    )
    for kind, email, created_at in suppressed:
        yield _line(
            {"type": "suppression", "kind": kind, "email": email, "created_at": _time(created_at)}
        )


def _community(
    session: Session, site: Site, product_of: Callable[[str], str | None]
) -> Iterator[str]:
    """The site's questions, their answers and its ideas."""
    questions = _rows_of(Question, QUESTION_COLUMNS).where(Question.site_id == site.id)
    for question in _pages(session, questions, Question):
        yield _line(
            {
                "type": "question",
                "id": question.id,
                "product": product_of(question.product_id),
                "body": question.body,
                "author_name": question.author_name,
                "author_email": question.author_email,
                "notify": question.notify,
                "status": question.status.value,
                "created_at": _time(question.created_at),
                "updated_at": _time(question.updated_at),
            }
        )
    answers = _rows_of(Answer, ANSWER_COLUMNS).where(Answer.site_id == site.id)
    for answer in _pages(session, answers, Answer):
        yield _line(
            {
                "type": "answer",
                "id": answer.id,
                "question_id": answer.question_id,
                "body": answer.body,
                "author_name": answer.author_name,
                "author_email": answer.author_email,
                "is_owner": answer.is_owner,
                "verified_buyer": answer.verified_buyer,
                "status": answer.status.value,
                "helpful_count": answer.helpful_count,
                "unhelpful_count": answer.unhelpful_count,
                "created_at": _time(answer.created_at),
                "updated_at": _time(answer.updated_at),
            }
        )
    # A board has ideas by the hundred, not by the million: read at once, so that an
    # idea merged into another can follow it (the loader links it to one it has).
    ideas = session.scalars(
        sa.select(Idea).where(Idea.site_id == site.id).order_by(Idea.created_at, Idea.id)
    ).all()
    sources: dict[str, list[dict[str, str | None]]] = {}
    for link in session.scalars(
        sa.select(IdeaSource)
        .join(Idea, Idea.id == IdeaSource.idea_id)
        .where(Idea.site_id == site.id)
        .order_by(IdeaSource.created_at, IdeaSource.object_id)
    ):
        sources.setdefault(link.idea_id, []).append(
            {"type": link.object_type, "id": link.object_id, "linked_at": _time(link.created_at)}
        )
    written: set[str | None] = {None}
    while len(written) <= len(ideas):
        ready = [i for i in ideas if i.id not in written and i.merged_into in written]
        if not ready:  # a cycle cannot be made through the API; nothing more to order
            ready = [i for i in ideas if i.id not in written]
        for idea in ready:
            written.add(idea.id)
            yield _line(
                {
                    "type": "idea",
                    "id": idea.id,
                    "product": None if idea.product_id is None else product_of(idea.product_id),
                    "title": idea.title,
                    "body": idea.body,
                    "author_name": idea.author_name,
                    "author_email": idea.author_email,
                    "status": idea.status.value,
                    "stage": idea.stage,
                    "stage_note": idea.stage_note,
                    "stage_changed_at": _time(idea.stage_changed_at),
                    "announced": list(idea.announced or []),
                    "vote_count": idea.vote_count,
                    "merged_into": idea.merged_into,
                    "sources": sources.get(idea.id, []),
                    "created_at": _time(idea.created_at),
                    "updated_at": _time(idea.updated_at),
                }
            )


def _plain(column: Any) -> Any:
    """A UTC time column as the naive UTC it holds, which ``_time`` writes as it is:
    not made aware and back for each value of a million rows."""
    if isinstance(column.type, UTCDateTime):
        return sa.type_coerce(column, sa.DateTime())
    return column


def _rows_of(model: Any, names: Sequence[str] | None = None) -> sa.Select[Any]:
    """These columns of ``model`` (every one by default) as plain rows: no ORM objects
    to build and track for a million reviews (a third of the export's time when it had
    them)."""
    table = model.__table__
    columns = table.columns if names is None else [table.c[name] for name in names]
    return sa.select(*(_plain(column).label(column.key) for column in columns))


def _pages(session: Session, stmt: sa.Select[Any], model: Any) -> Iterator[Any]:
    """The rows of ``stmt`` in (created_at, id) order, a page at a time (keyset), read
    through the session's connection (Core rows, no ORM result processing). Products go
    by external id."""
    names = ("external_id",) if model is Product else ("created_at", "id")
    keys = tuple(_plain(model.__table__.c[name]) for name in names)
    connection = session.connection()
    after: tuple[Any, ...] | None = None
    while True:
        page = stmt.order_by(*keys).limit(PAGE)
        if after is not None:
            page = page.where(sa.tuple_(*keys) > sa.tuple_(*after))
        rows = connection.execute(page).all()
        yield from rows
        if len(rows) < PAGE:
            return
        after = tuple(getattr(rows[-1], name) for name in names)


def export_site(session: Session, site: Site, path: Path, progress: Callable[[int], None]) -> int:
    """Write ``site``'s export to ``path``; returns the number of lines."""
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for line in export_lines(session, site):
            handle.write(line)
            count += 1
            if count % PAGE == 0:
                progress(count)
    return count
