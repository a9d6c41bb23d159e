"""Fan comments: a product's discussion and review threads, nested at most 3 levels."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import cache, events
from ..errors import validation_error
from ..models import COMMENT_SEARCH, Comment, Product, Review, Site, Status
from ..pagination import SortOrder, decode_cursor, fingerprint, paginate
from ..timeutil import utcnow
from . import audit, moderation, site_counts, spam, summaries
from .admin_lists import admin_page
from .reviews import initial_status

MAX_DEPTH = 2  # depth 0, 1, 2: three levels

THREAD_ORDER = SortOrder((Comment.created_at, Comment.id), descending=False)


def submit_comment(
    session: Session,
    site: Site,
    product_external_id: str,
    data: dict[str, Any],
    *,
    visitor_hash: str | None,
    network_hash: str | None = None,
    is_owner: bool = False,
) -> Comment:
    """A visitor's comment, or (``is_owner``) the shop's own reply, published at once."""
    product = summaries.get_or_create_product(session, site, product_external_id)
    review_id = data.get("review_id")
    parent_id = data.get("parent_id")
    visible = None if is_owner else Status.PUBLISHED  # the shop may answer from the queue
    depth = 0
    # Lock the thread's review before any comment (see moderation.lock_reviews), so a
    # concurrent delete is either done (422 below) or waits for us, never a 500.
    thread_review = review_id
    if parent_id is not None and thread_review is None:
        thread_review = session.scalar(sa.select(Comment.review_id).where(Comment.id == parent_id))
    moderation.lock_reviews(session, [thread_review])
    if review_id is not None:
        stmt = sa.select(Review.id).where(Review.id == review_id, Review.product_id == product.id)
        if visible:
            stmt = stmt.where(Review.status == visible)
        if session.scalar(stmt) is None:
            raise validation_error("review_id", "No such review on this product.")
    if parent_id is not None:
        parent_stmt = (
            sa.select(Comment)
            .where(Comment.id == parent_id, Comment.product_id == product.id)
            .with_for_update(of=Comment, read=True, key_share=True)  # the parent stays
        )
        if visible:
            parent_stmt = parent_stmt.where(Comment.status == visible)
        parent = session.scalar(parent_stmt)
        if parent is None:
            raise validation_error("parent_id", "No such comment on this product.")
        if review_id is not None and parent.review_id != review_id:
            raise validation_error("parent_id", "The parent comment answers another review.")
        review_id = parent.review_id
        depth = parent.depth + 1
        if depth > MAX_DEPTH:
            raise validation_error("parent_id", "Threads nest at most 3 levels deep.")

    if is_owner:
        status, reasons, body_hash = Status.PUBLISHED, [], None
    else:
        submission = spam.Submission(
            site=site,
            model=Comment,
            text=data["body"],
            honeypot=data.get("hp"),
            network_hash=network_hash,
        )
        reasons = spam.spam_reasons(submission, session)
        status, body_hash = initial_status(site, reasons), submission.body_hash
    now = utcnow()
    comment = Comment(
        site_id=site.id,
        product=product,
        review_id=review_id,
        parent_id=parent_id,
        depth=depth,
        body=data["body"],
        author_name=data.get("author_name") or site.name,
        author_email=data.get("author_email"),
        is_owner=is_owner,
        status=status,
        spam_reasons=reasons,
        visitor_hash=visitor_hash,
        network_hash=network_hash,
        body_hash=body_hash,
        notify=bool(data.get("notify")),
        created_at=now,
        updated_at=now,
    )
    session.add(comment)
    session.flush()
    deltas: dict[str, int] = defaultdict(int)
    moderation.comment_moved(deltas, review_id, None, status)
    moderation.adjust_comment_counts(session, deltas)
    site_counts.adjust(session, site.id, Comment, [(None, status)])
    cache.touch(session, site.slug, [product_external_id])
    if is_owner:
        audit.record(session, site, "comment.created", comment.id, note=_excerpt(data["body"]))
        if review_id is not None:
            moderation.first_reply(session, review_id, now)
    events.emit(session, site, "comment.created", comment)
    return comment


def set_incentivized(session: Session, site: Site, comment_id: str, value: bool) -> None:
    """Mark (or unmark) a comment as written for an incentive; logged."""
    comment = session.scalar(
        sa.select(Comment)
        .where(Comment.id == comment_id, Comment.site_id == site.id)
        .with_for_update(of=Comment)
    )
    if comment is None or comment.incentivized == value:
        return
    audit.record(
        session,
        site,
        "comment.incentivized",
        comment.id,
        from_value=str(comment.incentivized).lower(),
        to_value=str(value).lower(),
    )
    comment.incentivized = value
    comment.updated_at = utcnow()
    cache.touch(session, site.slug, [comment.product.external_id])


def _excerpt(text: str, length: int = 200) -> str:
    """The start of the shop's own words, for the audit log (never a visitor's)."""
    return text if len(text) <= length else text[: length - 1] + "…"


def public_comments(
    session: Session,
    site: Site,
    product_external_id: str,
    product: Product | None,
    *,
    review_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Comment], str | None]:
    """Published comments oldest first, so a reply always comes after its parent.

    ``product`` as loaded by :func:`summaries.site_and_product` (None: never used)."""
    query_fp = fingerprint(
        kind="public-comments", site=site.id, product=product_external_id, review=review_id
    )
    if product is None:
        decode_cursor(cursor, THREAD_ORDER, query_fp)
        return [], None
    stmt = sa.select(Comment).where(
        Comment.product_id == product.id,
        Comment.status == Status.PUBLISHED,
        Comment.review_id == review_id if review_id else Comment.review_id.is_(None),
    )
    if review_id:
        # Only a published review's thread is public: the thread of a review that is
        # pending, rejected or spam reads as empty, like the review itself reads as absent.
        stmt = stmt.where(
            sa.exists().where(Review.id == review_id, Review.status == Status.PUBLISHED)
        )
    return paginate(
        session, stmt, THREAD_ORDER, limit=limit, cursor=cursor, query_fingerprint=query_fp
    )


def admin_comments(
    session: Session, site: Site, query: dict[str, Any]
) -> tuple[list[Comment], str | None]:
    review = query.get("review")
    return admin_page(
        session,
        site,
        Comment,
        query,
        search=COMMENT_SEARCH,
        where=() if not review else (Comment.review_id == review,),
    )
