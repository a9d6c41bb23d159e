"""Status changes and deletions, with the counters they move, for reviews and comments.

Old statuses are read under a row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the write transaction already holds the database lock, see ``db.py``), so two
moderators acting on the same item at once move each counter once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import cache, events
from ..models import Comment, Product, Report, ReportStatus, Review, Site, Status
from ..timeutil import utcnow
from . import audit, site_counts, summaries

# Reviews and comments by the names reports and manage links give them. Typed loosely:
# a select of either model yields that model (mypy would see their base).
ITEM_MODELS: dict[str, Any] = {"review": Review, "comment": Comment}

# What a decision without a reason is recorded as: the API took rejections without one
# before reasons existed, and still does.
DEFAULT_REASON = {Status.REJECTED: "other", Status.SPAM: "spam"}


def decision_values(status: Status, reason: str | None, note: str | None) -> dict[str, Any]:
    """The columns a status change writes besides the status: who decided, when, why.

    A move back to ``pending`` (a hold, an appeal, an edit) is no decision: the last
    decision stays on record until the next one replaces it. A reason only goes with a
    rejection (``rejected`` or ``spam``)."""
    now = utcnow()
    if status == Status.PENDING:
        return {"updated_at": now}
    return {
        "updated_at": now,
        "moderation_reason": reason or DEFAULT_REASON.get(status),
        "moderation_note": note,
        "moderated_at": now,
        "moderated_by": audit.current_actor().label,
    }


def set_review_status(
    session: Session,
    site: Site,
    ids: Iterable[str],
    status: Status,
    *,
    reason: str | None = None,
    note: str | None = None,
    announce: bool = True,
) -> int:
    """Move reviews to ``status`` (with the decision's ``reason`` and ``note``, told to
    the author); returns how many of ``ids`` belong to the site.

    Each review that moved is written to the audit log and announced
    (``review.updated``) unless ``announce`` is false: the caller, changing more of it,
    announces it once itself. The rating is never read here: no path treats an item
    differently for its stars (16 CFR 465.7)."""
    rows = session.execute(
        sa.select(Review.id, Review.status, Review.rating, Review.product_id, Product.external_id)
        .join(Product, Review.product_id == Product.id)
        .where(Review.site_id == site.id, Review.id.in_(list(ids)))
        .order_by(Review.id)
        .with_for_update(of=Review)
    ).all()
    changing = [r for r in rows if r.status != status]
    if changing:
        values = decision_values(status, reason, note)
        session.execute(
            sa.update(Review)
            .where(Review.id.in_([r.id for r in changing]))
            .values(status=status, **values)
        )
        summaries.adjust(session, ((r.product_id, r.rating, r.status, status) for r in changing))
        site_counts.adjust(session, site.id, Review, ((r.status, status) for r in changing))
        cache.touch(session, site.slug, {r.external_id for r in changing})
        audit.record_many(
            session,
            site,
            "review.status",
            [(r.id, r.status, status) for r in changing],
            reason=values.get("moderation_reason"),
            note=note,
        )
        if announce:
            _announce(session, site, Review, "review.updated", changing)
    confirm(session, site, Review, rows, status, reason, note)
    return len(rows)


def set_item_status(
    session: Session,
    site: Site,
    model: type[Review] | type[Comment],
    ids: Iterable[str],
    status: Status,
    *,
    reason: str | None = None,
    note: str | None = None,
) -> int:
    """:func:`set_review_status` or :func:`set_comment_status`, by ``model``."""
    if model is Review:
        return set_review_status(session, site, ids, status, reason=reason, note=note)
    return set_comment_status(session, site, ids, status, reason=reason, note=note)


def confirm(
    session: Session,
    site: Site,
    model: Any,
    rows: Sequence[Any],
    status: Status,
    reason: str | None,
    note: str | None,
) -> None:
    """A person confirms a rejection the item already has (spam the checks flagged,
    marked spam with a reason): the status stays, the decision is recorded."""
    if status not in DEFAULT_REASON or (reason is None and note is None):
        return
    same = [r.id for r in rows if r.status == status]
    if not same:
        return
    values = decision_values(status, reason, note)
    session.execute(sa.update(model).where(model.id.in_(same)).values(**values))
    audit.record_many(
        session,
        site,
        f"{model.__tablename__[:-1]}.status",
        [(item_id, status, status) for item_id in same],
        reason=values["moderation_reason"],
        note=note,
    )


def _announce(
    session: Session,
    site: Site,
    model: type[Review] | type[Comment],
    event_type: str,
    rows: list[Any],
) -> None:
    """Emit ``event_type`` for each moved row (``rows`` carry ``id`` and the old
    ``status``), loading the items only when someone wants to hear of it."""
    if not events.wanted(site, event_type):
        return
    old = {r.id: r.status for r in rows}
    items = session.scalars(
        sa.select(model)
        .where(model.id.in_(list(old)))
        .order_by(model.id)
        # The UPDATE above went around the identity map: what it holds is stale.
        .execution_options(populate_existing=True)
    ).all()
    for item in items:
        previous = {"status": Status(old[item.id]).value}  # type: ignore[attr-defined]
        events.emit(session, site, event_type, item, previous=previous)


def _gone(
    session: Session, site: Site, model: type[Review] | type[Comment], ids: list[str]
) -> list[Any]:
    """The admin forms of items about to be deleted, for their ``*.deleted`` events
    (empty when nobody listens)."""
    event_type = "review.deleted" if model is Review else "comment.deleted"
    if not ids or not events.wanted(site, event_type):
        return []
    items = session.scalars(sa.select(model).where(model.id.in_(ids)).order_by(model.id)).all()
    return [events.form_of(item) for item in items]


def delete_review(session: Session, site: Site, review_id: str) -> bool:
    """Delete a review for good; its votes and comments go with it (ON DELETE CASCADE)."""
    row = session.execute(
        sa.select(Review.id, Review.status, Review.rating, Review.product_id, Product.external_id)
        .join(Product, Review.product_id == Product.id)
        .where(Review.site_id == site.id, Review.id == review_id)
        .with_for_update(of=Review)
    ).first()
    if row is None:
        return False
    # Its comments go too (ON DELETE CASCADE), and with them their counts. Every change
    # to a review's comments locks the review first (lock_reviews), so this is all.
    comments = session.execute(
        sa.select(Comment.id, Comment.status).where(Comment.review_id == row.id)
    ).all()
    comment_moves = [(Status(c.status), None) for c in comments]
    gone = [("review.deleted", form) for form in _gone(session, site, Review, [row.id])] + [
        ("comment.deleted", form)
        for form in _gone(session, site, Comment, [c.id for c in comments])
    ]
    session.execute(sa.delete(Review).where(Review.id == row.id))
    summaries.adjust(session, [(row.product_id, row.rating, row.status, None)])
    site_counts.adjust(session, site.id, Review, [(row.status, None)])
    site_counts.adjust(session, site.id, Comment, comment_moves)
    cache.touch(session, site.slug, [row.external_id])
    audit.record(session, site, "review.deleted", row.id, from_value=row.status)
    close_reports(session, [row.id, *(c.id for c in comments)])
    for event_type, form in gone:
        events.emit(session, site, event_type, data=form)
    return True


def close_reports(session: Session, object_ids: list[str]) -> None:
    """Reports still open on items that are being deleted: removed, with them."""
    session.execute(
        sa.update(Report)
        .where(Report.object_id.in_(object_ids), Report.status == ReportStatus.OPEN)
        .values(
            status=ReportStatus.REMOVED,
            decided_at=utcnow(),
            decided_by=audit.current_actor().label,
            note="The item was deleted.",
        )
    )


def first_reply(session: Session, review_id: str, at: datetime) -> None:
    """The shop answered the review (a reply, or its own comment): the response metrics
    count from the first answer."""
    session.execute(
        sa.update(Review)
        .where(Review.id == review_id, Review.first_reply_at.is_(None))
        .values(first_reply_at=at)
    )


def adjust_comment_counts(session: Session, deltas: dict[str, int]) -> None:
    for review_id in sorted(deltas):
        if deltas[review_id]:
            session.execute(
                sa.update(Review)
                .where(Review.id == review_id)
                .values(comment_count=Review.comment_count + deltas[review_id])
            )


def comment_moved(
    deltas: dict[str, int], review_id: str | None, old: Status | None, new: Status | None
) -> None:
    """Record in ``deltas`` how a comment's move changes its review's comment_count."""
    if review_id is not None:
        deltas[review_id] += int(new == Status.PUBLISHED) - int(old == Status.PUBLISHED)


def lock_reviews(session: Session, review_ids: Iterable[str | None]) -> None:
    """Lock the reviews that comments answer, before any of those comments.

    Deleting a review deletes its comments (review, then comments), while moving a
    comment updates its review's ``comment_count`` (comment, then review): taken in that
    order, two such transactions deadlock on PostgreSQL. Every transaction that touches
    comments therefore locks their reviews first, in id order.
    """
    wanted = sorted({r for r in review_ids if r is not None})
    if wanted:
        session.execute(
            sa.select(Review.id).where(Review.id.in_(wanted)).order_by(Review.id).with_for_update()
        )


def set_comment_status(
    session: Session,
    site: Site,
    ids: Iterable[str],
    status: Status,
    *,
    reason: str | None = None,
    note: str | None = None,
) -> int:
    """As :func:`set_review_status`, for comments (and their reviews' comment counts)."""
    ids = list(ids)
    lock_reviews(
        session,
        session.scalars(
            sa.select(Comment.review_id).where(Comment.site_id == site.id, Comment.id.in_(ids))
        ),
    )
    rows = session.execute(
        sa.select(Comment.id, Comment.status, Comment.review_id, Product.external_id)
        .join(Product, Comment.product_id == Product.id)
        .where(Comment.site_id == site.id, Comment.id.in_(ids))
        .order_by(Comment.id)
        .with_for_update(of=Comment)
    ).all()
    changing = [r for r in rows if r.status != status]
    if changing:
        values = decision_values(status, reason, note)
        session.execute(
            sa.update(Comment)
            .where(Comment.id.in_([r.id for r in changing]))
            .values(status=status, **values)
        )
        deltas: dict[str, int] = defaultdict(int)
        for r in changing:
            comment_moved(deltas, r.review_id, r.status, status)
        adjust_comment_counts(session, deltas)
        site_counts.adjust(session, site.id, Comment, ((r.status, status) for r in changing))
        cache.touch(session, site.slug, {r.external_id for r in changing})
        audit.record_many(
            session,
            site,
            "comment.status",
            [(r.id, r.status, status) for r in changing],
            reason=values.get("moderation_reason"),
            note=note,
        )
        _announce(session, site, Comment, "comment.updated", changing)
    confirm(session, site, Comment, rows, status, reason, note)
    return len(rows)


def delete_comment(session: Session, site: Site, comment_id: str) -> bool:
    """Delete a comment and the replies under it (threads are at most 3 levels deep)."""
    # Replies share their root's review_id, so this locks the whole thread's review.
    lock_reviews(
        session,
        session.scalars(
            sa.select(Comment.review_id).where(Comment.site_id == site.id, Comment.id == comment_id)
        ),
    )
    root = session.execute(
        sa.select(Comment.id, Comment.status, Comment.review_id, Product.external_id)
        .join(Product, Comment.product_id == Product.id)
        .where(Comment.site_id == site.id, Comment.id == comment_id)
        .with_for_update(of=Comment)
    ).first()
    if root is None:
        return False
    subtree: list[Any] = [root]  # rows of (id, status, review_id[, external_id])
    frontier = [root.id]
    while frontier:
        children = session.execute(
            sa.select(Comment.id, Comment.status, Comment.review_id)
            .where(Comment.parent_id.in_(frontier))
            .with_for_update()
        ).all()
        subtree.extend(children)
        frontier = [c.id for c in children]
    gone = _gone(session, site, Comment, [c.id for c in subtree])
    session.execute(sa.delete(Comment).where(Comment.id.in_([c.id for c in subtree])))
    deltas: dict[str, int] = defaultdict(int)
    for c in subtree:
        comment_moved(deltas, c.review_id, c.status, None)
    adjust_comment_counts(session, deltas)
    site_counts.adjust(session, site.id, Comment, ((c.status, None) for c in subtree))
    cache.touch(session, site.slug, [root.external_id])
    replies = len(subtree) - 1
    audit.record(
        session,
        site,
        "comment.deleted",
        root.id,
        from_value=root.status,
        note=f"with {replies} repl{'y' if replies == 1 else 'ies'}" if replies else None,
    )
    close_reports(session, [c.id for c in subtree])
    for form in gone:
        events.emit(session, site, "comment.deleted", data=form)
    return True
