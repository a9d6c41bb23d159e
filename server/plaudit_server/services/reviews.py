"""Reviews: submission, public and admin lists, votes, owner edits.

Functions take the database session and plain values; none touches ``flask.request``,
so they are tested and reused (CLI, demo, admin page) without HTTP.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload, load_only
from sqlalchemy.orm.attributes import set_committed_value

from .. import cache, events
from ..errors import Problem
from ..models import REVIEW_SEARCH, STORE, Moderation, Product, Review, Site, Status, Vote
from ..pagination import SortOrder, decode_cursor, fingerprint, page_of, paginate
from ..timeutil import utcnow
from . import audit, invitations, moderation, site_counts, spam, summaries
from .admin_lists import admin_page
from .tenancy import owned

PUBLIC_ORDERS = {
    "newest": SortOrder((Review.created_at, Review.id), descending=True),
    "oldest": SortOrder((Review.created_at, Review.id), descending=False),
    "highest": SortOrder((Review.rating, Review.created_at, Review.id), descending=True),
    "lowest": SortOrder((Review.rating, Review.created_at, Review.id), descending=False),
    "helpful": SortOrder((Review.helpful_count, Review.created_at, Review.id), descending=True),
}


def initial_status(site: Site, reasons: list[str]) -> Status:
    """Where a visitor's new item starts, by the site's moderation policy."""
    if reasons:
        return Status.SPAM
    if site.moderation == Moderation.PRE:
        return Status.PENDING
    return Status.PUBLISHED


def public_status(status: Status) -> str:
    """What the submitter is told: anything not published looks pending."""
    return "published" if status == Status.PUBLISHED else "pending"


def submit_review(
    session: Session,
    site: Site,
    product_external_id: str,
    data: dict[str, Any],
    *,
    visitor_hash: str | None,
    network_hash: str | None = None,
) -> Review:
    """A visitor's review of a product (or of the shop: ``models.STORE``).

    With an ``invite`` token the review is a verified buyer's: one per product per
    invitation, so a second submission edits the first (which goes through moderation
    again) instead of adding one.
    """
    invitation = None
    if data.get("invite"):
        invitation = invitations.redeem(session, site, data["invite"], product_external_id)
    submission = spam.Submission(
        site=site,
        model=Review,
        text=" ".join(filter(None, [data.get("title"), data["body"]])),
        honeypot=data.get("hp"),
        network_hash=network_hash,
        verified=invitation is not None,
    )
    reasons = spam.spam_reasons(submission, session)
    product = summaries.get_or_create_product(session, site, product_external_id)
    now = utcnow()
    status = initial_status(site, reasons)
    review = None
    if invitation is not None:
        invitations.mark_reviewed(session, site, invitation)
        review = session.scalar(
            sa.select(Review)
            .where(Review.invitation_id == invitation.id, Review.product_id == product.id)
            .with_for_update()
        )
    written = {
        "rating": data["rating"],
        "title": data.get("title"),
        "body": data["body"],
        "author_name": data["author_name"],
        "status": status,
        "spam_reasons": reasons,
        "body_hash": submission.body_hash,
        "updated_at": now,
    }
    notify = bool(data.get("notify"))
    if review is not None:  # the buyer's second thoughts: the first review, edited
        moves = [(product.id, review.rating, review.status, None)]
        old_status = review.status
        review.notify = review.notify or notify
        for name, value in written.items():
            setattr(review, name, value)
        review.author_email = data.get("author_email") or review.author_email
    else:
        moves, old_status = [], None
        review = Review(
            **written,
            site_id=site.id,
            product=product,
            author_email=data.get("author_email"),
            invitation_id=None if invitation is None else invitation.id,
            verified_buyer=invitation is not None,
            incentivized=invitation is not None and invitation.incentive,
            visitor_hash=visitor_hash,
            network_hash=network_hash,
            notify=notify,
            created_at=now,
        )
        session.add(review)
    session.flush()
    # Locks in the order every writer takes them (the item, its product, the site's
    # counts): another order deadlocks against concurrent moderation.
    summaries.adjust(session, [*moves, (product.id, data["rating"], None, status)])
    site_counts.adjust(session, site.id, Review, [(old_status, status)])
    cache.touch(session, site.slug, [product_external_id])
    if old_status is None:
        events.emit(session, site, "review.created", review)
    else:
        events.emit(session, site, "review.updated", review, previous={"status": old_status.value})
    return review


def public_reviews(
    session: Session,
    site: Site,
    product_external_id: str,
    product: Product | None,
    *,
    sort: str,
    rating: int | None,
    limit: int,
    cursor: str | None,
) -> tuple[dict[str, Any], list[Review], str | None]:
    """``product`` is the site's product ``product_external_id`` (or None), as loaded
    with the site by :func:`summaries.site_and_product`."""
    summary = summaries.summary_of(product)
    query_fp = fingerprint(
        kind="public-reviews", site=site.id, product=product_external_id, sort=sort, rating=rating
    )
    if product is None:
        # Still check the cursor, so a bad one is a 422 here as everywhere.
        decode_cursor(cursor, PUBLIC_ORDERS[sort], query_fp)
        return summary, [], None
    params: dict[str, Any] = {"product_id": product.id}
    if rating is not None:
        params["rating"] = rating
    reviews, next_cursor = paginate(
        session,
        functools.partial(_public_page, sort, rating is not None),
        PUBLIC_ORDERS[sort],
        limit=limit,
        cursor=cursor,
        query_fingerprint=query_fp,
        params=params,
    )
    for review in reviews:
        set_committed_value(review, "product", product)
    return summary, reviews, next_cursor


# What the public list shows (schemas.ReviewSchema) and sorts by; anything else raises
# if touched rather than costing a query per row.
_PUBLIC_COLUMNS = (
    *(Review.id, Review.product_id, Review.rating, Review.title, Review.body),
    *(Review.author_name, Review.verified_buyer, Review.incentivized),
    *(Review.helpful_count, Review.unhelpful_count),
    *(Review.comment_count, Review.reply_body, Review.reply_created_at, Review.created_at),
)


@functools.cache
def _public_page(sort: str, by_rating: bool, after_cursor: bool) -> sa.Select[Any]:
    """The public list's statement, one per shape (see ``pagination.paginate``)."""
    stmt = (
        sa.select(Review)
        .where(Review.product_id == sa.bindparam("product_id"), Review.status == Status.PUBLISHED)
        .options(
            lazyload(Review.product),  # it is the product already loaded: linked after
            load_only(*_PUBLIC_COLUMNS, raiseload=True),
        )
    )
    if by_rating:
        stmt = stmt.where(Review.rating == sa.bindparam("rating"))
    return page_of(stmt, PUBLIC_ORDERS[sort], after_cursor=after_cursor)


def published_review(session: Session, site: Site, review_id: str) -> Review:
    # Locked: a concurrent delete or unpublish then waits for the vote (or the vote sees
    # it done and answers 404) instead of failing the vote's insert halfway (a 500).
    review = session.scalar(
        sa.select(Review)
        .where(Review.id == review_id, Review.site_id == site.id, Review.status == Status.PUBLISHED)
        .with_for_update(of=Review)
    )
    if review is None:
        raise Problem(404, f"There is no review {review_id!r}.")
    return review


# A review counts at most this many new votes per visitor network a day: one person
# with many browsers (or User-Agent strings) is still one network.
VOTES_PER_NETWORK_PER_DAY = 3


def vote(
    session: Session,
    site: Site,
    review_id: str,
    visitor_hash: str,
    helpful: bool,
    network_hash: str | None = None,
) -> Review:
    """Record one visitor's vote; voting again changes the vote, never adds one. A new
    vote from a network that already cast its daily share on this review is not
    counted (the answer is the counts as they are: nothing tells a stuffer so)."""
    review = published_review(session, site, review_id)  # locked: votes queue here
    helpful_delta, unhelpful_delta = record_vote(
        session, Vote, Vote.review_id, review.id, visitor_hash, helpful, network_hash
    )
    if helpful_delta or unhelpful_delta:
        session.execute(
            sa.update(Review)
            .where(Review.id == review.id)
            .values(
                helpful_count=Review.helpful_count + helpful_delta,
                unhelpful_count=Review.unhelpful_count + unhelpful_delta,
            )
        )
        cache.touch(session, site.slug, [review.product.external_id])
    session.flush()
    session.refresh(review)
    return review


def network_spent(
    session: Session, model: Any, item_column: Any, item_id: str, network_hash: str | None
) -> bool:
    """Whether the voter's network has cast its daily share of new votes on this item
    (in the vote table ``model``, keyed by ``item_column``): vote stuffing from one
    network stops counting, whatever the User-Agents say."""
    if network_hash is None:
        return False
    from_network: int = session.execute(
        sa.select(sa.func.count())
        .select_from(model)
        .where(
            item_column == item_id,
            model.network_hash == network_hash,
            model.created_at > utcnow() - timedelta(days=1),
        )
    ).scalar_one()
    return from_network >= VOTES_PER_NETWORK_PER_DAY


def record_vote(
    session: Session,
    model: Any,
    item_column: Any,
    item_id: str,
    visitor_hash: str,
    helpful: bool,
    network_hash: str | None,
) -> tuple[int, int]:
    """A visitor's helpful/unhelpful vote on an item (a review, an answer) whose row the
    caller holds locked: written or changed in ``model`` (a vote table keyed by
    ``item_column`` and the visitor), answered with how the item's helpful and
    unhelpful counts move. A new vote past its network's daily share moves nothing."""
    existing = session.scalar(
        sa.select(model)
        .where(item_column == item_id, model.visitor_hash == visitor_hash)
        .with_for_update()
    )
    if existing is None and network_spent(session, model, item_column, item_id, network_hash):
        return 0, 0
    old = None
    if existing is None:
        try:
            with session.begin_nested():
                session.add(
                    model(
                        **{item_column.key: item_id},
                        visitor_hash=visitor_hash,
                        network_hash=network_hash,
                        helpful=helpful,
                    )
                )
        except IntegrityError:
            # The same visitor's concurrent vote won the race: treat ours as a change.
            existing = session.scalar(
                sa.select(model)
                .where(item_column == item_id, model.visitor_hash == visitor_hash)
                .with_for_update()
            )
            assert existing is not None
    if existing is not None:
        old = existing.helpful
        existing.helpful = helpful
    if old == helpful:
        return 0, 0
    return int(helpful) - int(old is True), int(not helpful) - int(old is False)


def admin_reviews(
    session: Session, site: Site, query: dict[str, Any]
) -> tuple[list[Review], str | None]:
    where: list[Any] = []
    if query.get("rating") is not None:
        where.append(Review.rating == query["rating"])
    if query.get("subject") is not None:
        store = sa.select(Product.id).where(
            Product.site_id == site.id, Product.external_id == STORE
        )
        in_store = Review.product_id.in_(store.scalar_subquery())
        where.append(in_store if query["subject"] == "store" else sa.not_(in_store))
    return admin_page(session, site, Review, query, search=REVIEW_SEARCH, where=where)


def update_review(session: Session, site: Site, review_id: str, patch: dict[str, Any]) -> Review:
    """Apply an owner's PATCH: status (with a reason and a note), public reply, the
    verified-buyer and incentive flags. Each change is written to the audit log."""
    # Locked, so a concurrent delete is either after us or seen as a 404 (not a 500).
    review = owned(session, Review, site, review_id, lock=True)
    previous: dict[str, Any] = {"status": review.status.value}
    touched = False
    if "status" in patch and (
        patch["status"] != review.status or "reason" in patch or "note" in patch
    ):
        moderation.set_review_status(
            session,
            site,
            [review.id],
            Status(patch["status"]),
            reason=patch.get("reason"),
            note=patch.get("note"),
            announce=False,
        )
        touched = True
    if "reply" in patch:
        reply = patch["reply"]
        if reply != review.reply_body:
            previous["reply"] = review.reply_body
            now = utcnow()
            review.reply_body = reply
            review.reply_created_at = None if reply is None else now
            if reply is not None and review.first_reply_at is None:
                review.first_reply_at = now
            audit.record(
                session,
                site,
                "review.reply",
                review.id,
                from_value=previous["reply"],
                to_value=reply,
            )
            touched = True
    for flag in ("verified_buyer", "incentivized"):
        if flag in patch and patch[flag] != getattr(review, flag):
            audit.record(
                session,
                site,
                f"review.{flag}",
                review.id,
                from_value=str(getattr(review, flag)).lower(),
                to_value=str(patch[flag]).lower(),
            )
            setattr(review, flag, patch[flag])
            touched = True
    if touched:
        review.updated_at = utcnow()
        cache.touch(session, site.slug, [review.product.external_id])
    session.flush()
    session.refresh(review)
    if touched:
        events.emit(session, site, "review.updated", review, previous=previous)
    return review
