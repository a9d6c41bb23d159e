"""Authors in control of their words: the manage link of one review or comment.

Every public submission gets a link (``/m/{token}``, and ``/api/v1/mine`` with the
token as a bearer key) that lets its author read the item's status in plain words,
edit it (back through moderation), delete it for good, download what is stored about
it, and appeal a rejection once. The token is 256 random bits (or, for a link in a
mail, an HMAC of the message's id, so the outbox holds no usable link); only its
SHA-256 is stored, with the one item it opens and when it stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from .. import cache, events
from ..errors import Problem
from ..mail import public_url
from ..models import AuditEntry, Comment, ManageToken, Review, Site, Status
from ..timeutil import isoformat, utcnow
from . import audit, moderation, site_counts, spam, summaries
from .invitations import token_hash
from .reviews import initial_status

Item = Review | Comment
MODELS = moderation.ITEM_MODELS

# Which fields an author may change, by the kind of item (what its submission took).
EDITABLE = {
    "review": ("rating", "title", "body", "author_name"),
    "comment": ("body", "author_name"),
}


def kind_of(item: Item) -> str:
    return "review" if isinstance(item, Review) else "comment"


def issue(session: Session, site: Site, item: Item, *, token: str | None = None) -> str:
    """A new manage token for ``item`` (or store ``token``: see :func:`mail_token`)."""
    token = token or secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        ManageToken(
            token_hash=token_hash(token),
            site_id=site.id,
            object_type=kind_of(item),
            object_id=item.id,
            created_at=now,
            expires_at=now + timedelta(days=int(current_app.config["MANAGE_TOKEN_DAYS"])),
        )
    )
    return token


def mail_token(message_id: str) -> str:
    """The token of the manage link in message ``message_id``: derived, not stored, so
    the mail can be written at send time while a copy of the database opens nothing."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(key, b"plaudit-manage\x1f" + message_id.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def url_of(token: str) -> str:
    return public_url(f"/m/{token}")


def resolve(session: Session, token: str, *, lock: bool = False) -> tuple[Site, Item]:
    """The site and the item ``token`` opens: 404 for an unknown token, 410 for one that
    expired or whose item was deleted (the link was good once: say so)."""
    row = session.get(ManageToken, token_hash(token)) if 0 < len(token) <= 200 else None
    if row is None:
        raise Problem(404, "This manage link is not valid.")
    if row.expires_at <= utcnow():
        raise Problem(410, "This manage link has expired.")
    model = MODELS[row.object_type]
    stmt = sa.select(model).where(model.id == row.object_id)
    if lock and model is Comment:
        # Comments lock their review first (moderation.lock_reviews), then themselves.
        review_id = session.scalar(sa.select(Comment.review_id).where(Comment.id == row.object_id))
        moderation.lock_reviews(session, [review_id])
    if lock:
        stmt = stmt.with_for_update(of=model)
    item = session.scalar(stmt)
    if item is None:
        raise Problem(410, "This item was deleted; its manage link no longer works.")
    site = session.get(Site, row.site_id)
    assert site is not None
    return site, item


def status_of(item: Item) -> dict[str, Any]:
    """The item's status as its author is told it: pending, published or rejected.

    Spam flagged by the checks alone reads as pending (a spammer learns nothing from
    the answer); marked spam by a person, it is a rejection with its reason."""
    decided = item.moderated_at is not None
    if item.status == Status.PUBLISHED:
        state = "published"
    elif item.status == Status.REJECTED or (item.status == Status.SPAM and decided):
        state = "rejected"
    else:
        state = "pending"
    rejected = state == "rejected"
    return {
        "state": state,
        "reason": item.moderation_reason if rejected else None,
        "note": item.moderation_note if rejected else None,
        "decided_at": isoformat(item.moderated_at) if rejected and item.moderated_at else None,
        "appealed": item.appealed_at is not None,
        "can_appeal": rejected and item.appealed_at is None,
    }


def edit(session: Session, site: Site, item: Item, changes: dict[str, Any]) -> Item:
    """Apply the author's edit; it goes back through moderation.

    The site's policy decides as for a new submission (post: published unless a check
    flags it; pre: pending), except that an item the shop rejected, one waiting after an
    appeal and one held by reports wait for the shop again: an edit must not be a way
    around the shop's decision."""
    kind = kind_of(item)
    unknown = sorted(set(changes) - set(EDITABLE[kind]))
    if unknown:
        raise Problem(
            422,
            f"A {kind} has no {', '.join(unknown)} to change.",
            errors={name: [f"Not a field of a {kind}."] for name in unknown},
        )
    changed = {k: v for k, v in changes.items() if getattr(item, k) != v}
    if not changed:
        return item
    old_status, old_rating = item.status, getattr(item, "rating", None)
    for name, value in changed.items():
        setattr(item, name, value)
    text = (
        " ".join(filter(None, [item.title, item.body])) if isinstance(item, Review) else item.body
    )
    submission = spam.Submission(
        site=site, model=type(item), text=text, honeypot=None, network_hash=None
    )
    reasons = spam.spam_reasons(submission, session)
    status = initial_status(site, reasons)
    # Rejected, appealed or held by reports: the shop decides, not the edit.
    held = (
        old_status in (Status.REJECTED, Status.SPAM)
        or item.appealed_at is not None
        or item.reports_open > 0
    )
    if held and old_status != Status.PUBLISHED and status == Status.PUBLISHED:
        status = Status.PENDING
    item.status = status
    item.spam_reasons = reasons
    item.body_hash = submission.body_hash
    item.updated_at = utcnow()
    session.flush()
    if isinstance(item, Review):
        summaries.adjust(
            session,
            [
                (item.product_id, old_rating or item.rating, old_status, None),
                (item.product_id, item.rating, None, status),
            ],
        )
        site_counts.adjust(session, site.id, Review, [(old_status, status)])
    else:
        deltas: dict[str, int] = defaultdict(int)
        moderation.comment_moved(deltas, item.review_id, old_status, status)
        moderation.adjust_comment_counts(session, deltas)
        site_counts.adjust(session, site.id, Comment, [(old_status, status)])
    cache.touch(session, site.slug, [item.product.external_id])
    with audit.acting_as(audit.REVIEWER):
        audit.record(
            session,
            site,
            f"{kind}.edited",
            item.id,
            from_value=old_status,
            to_value=status,
            note="changed: " + ", ".join(sorted(changed)),
        )
    events.emit(session, site, f"{kind}.updated", item, previous={"status": old_status.value})
    return item


def delete(session: Session, site: Site, item: Item) -> None:
    """Delete the item for good, as the shop's delete does (counters move at once)."""
    with audit.acting_as(audit.REVIEWER):
        if isinstance(item, Review):
            moderation.delete_review(session, site, item.id)
        else:
            moderation.delete_comment(session, site, item.id)


def appeal(session: Session, site: Site, item: Item, message: str) -> Item:
    """The author's one appeal against a rejection: the item waits for the shop again,
    marked ``appealed``, with the message beside it in the queue."""
    state = status_of(item)
    if item.appealed_at is not None:
        raise Problem(409, "This item was appealed already: an item can be appealed once.")
    if state["state"] != "rejected":
        raise Problem(409, f"Only a rejected item can be appealed; this one is {state['state']}.")
    kind = kind_of(item)
    item.appeal_message = message
    item.appealed_at = utcnow()
    session.flush()
    with audit.acting_as(audit.REVIEWER):
        audit.record(session, site, f"{kind}.appealed", item.id, from_value=item.status)
        moderation.set_item_status(session, site, type(item), [item.id], Status.PENDING)
    session.refresh(item)
    return item


def export(session: Session, site: Site, item: Item) -> dict[str, Any]:
    """Everything stored about the item, for its author (a data access request)."""
    kind = kind_of(item)
    entries = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.site_id == site.id, AuditEntry.object_id == item.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    stored: dict[str, Any] = {
        "type": kind,
        "site": {"id": site.slug, "name": site.name},
        "exported_at": isoformat(utcnow()),
        kind: events.form_of(item),
        "status": status_of(item),
        "appeal": (
            {"message": item.appeal_message, "at": isoformat(item.appealed_at)}
            if item.appealed_at
            else None
        ),
        "notify_when_answered": item.notify,
        "technical": {
            "visitor_hash": item.visitor_hash,
            "network_hash": item.network_hash,
            "body_hash": item.body_hash,
            "explanation": (
                "Keyed hashes of your browser, your network and your text, kept to stop "
                "duplicate and abusive submissions. They cannot be turned back into "
                "your IP address. No IP address is stored."
            ),
        },
        "history": [
            {
                "at": isoformat(e.at),
                "by": e.actor_type,
                "action": e.action,
                "from": e.from_value,
                "to": e.to_value,
                "reason": e.reason,
                "note": e.note,
            }
            for e in entries
        ],
    }
    return stored
