"""Review requests: one invitation per order, its link, and what a buyer's review does.

An invitation's link is ``/r/{token}``. The token is an HMAC of the invitation's id under
the server's ``SECRET_KEY``: unguessable (192 bits), never stored (the table keeps only
its SHA-256, to find the invitation from a link), yet the admin API can show the link
again at any time. Changing ``SECRET_KEY`` therefore retires every link sent before.

Sending (the mail, the reminder, expiry) is ``services/invitation_delivery.py``'s work;
this module creates, lists, cancels and redeems.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import events
from ..errors import Problem, validation_error
from ..ids import new_id
from ..mail import LOCALES, public_url
from ..models import STORE, Invitation, InvitationStatus, Site, Suppression
from ..pagination import SortOrder, fingerprint, paginate
from ..timeutil import utcnow
from . import audit
from .tenancy import owned

# The suppression list's kind for review requests (see services/suppressions.py).
SUPPRESSION_KIND = "invitations"
MAX_SEND_AHEAD = timedelta(days=365)
# While an invitation is in these, its link opens the review page.
OPEN = (
    InvitationStatus.SCHEDULED,
    InvitationStatus.SENT,
    InvitationStatus.REVIEWED,
    InvitationStatus.FAILED,
    InvitationStatus.UNSUBSCRIBED,  # asked for no mail, not to be kept from reviewing
)
_ORDER = SortOrder((Invitation.created_at, Invitation.id), descending=True)


def token_for(invitation_id: str) -> str:
    """The secret part of an invitation's link (see the module's docstring)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(key, b"plaudit-invitation\x1f" + invitation_id.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def url_of(invitation: Invitation) -> str:
    """The hosted review page of ``invitation``, on ``PUBLIC_URL``."""
    return public_url(f"/r/{token_for(invitation.id)}")


def resolve_locale(requested: str | None, site: Site) -> str:
    """One of :data:`LOCALES` from a BCP 47 tag (``de-AT`` is ``de``); else the site's."""
    if requested:
        language = re.split(r"[-_]", requested, maxsplit=1)[0].lower()
        if language in LOCALES:
            return language
    return site.locale if site.locale in LOCALES else "en"


def _suppressed(session: Session, site: Site, emails: Sequence[str]) -> set[str]:
    lowered = {email.lower() for email in emails}
    if not lowered:
        return set()
    return set(
        session.scalars(
            sa.select(Suppression.email).where(
                Suppression.site_id == site.id,
                Suppression.kind == SUPPRESSION_KIND,
                Suppression.email.in_(lowered),
            )
        )
    )


def _conflict(order_id: str, existing_id: str) -> Problem:
    return Problem(
        409,
        f"Order {order_id!r} already has an invitation ({existing_id}).",
        extra={"existing_id": existing_id},
    )


def _new(site: Site, data: dict[str, Any], now: datetime, suppressed: bool) -> Invitation:
    send_at = data.get("send_at") or now + timedelta(days=site.invite_delay_days)
    send_at = max(send_at, now)  # a time in the past means "now"
    invitation_id = new_id("inv")
    status = InvitationStatus.UNSUBSCRIBED if suppressed else InvitationStatus.SCHEDULED
    return Invitation(
        id=invitation_id,
        site_id=site.id,
        order_id=data["order_id"],
        email=data["email"],
        name=data.get("name"),
        products=list(dict.fromkeys(data["products"])),
        store_review=data.get("store_review", True),
        incentive=data.get("incentive", False),
        locale=resolve_locale(data.get("locale"), site),
        status=status,
        token_hash=token_hash(token_for(invitation_id)),
        send_at=send_at,
        expires_at=send_at + timedelta(days=site.invite_ttl_days),
        due_at=send_at if status == InvitationStatus.SCHEDULED else None,
        attempts=0,
        created_at=now,
        updated_at=now,
    )


def check_send_at(data: dict[str, Any], now: datetime) -> Problem | None:
    send_at = data.get("send_at")
    if send_at is not None and send_at > now + MAX_SEND_AHEAD:
        return validation_error("send_at", "Must be at most a year ahead.")
    return None


def create_invitations(
    session: Session, site: Site, items: Sequence[dict[str, Any]]
) -> list[Invitation | Problem]:
    """Create an invitation per validated item, or say why not (in the items' order).

    One query finds the orders that already have one, one the suppressed addresses; the
    new rows go in as one multi-row insert. A concurrent request creating the same order
    makes the insert fail: then each item is tried on its own, so every other item is
    still created and the loser gets the same 409 as a sequential repeat.
    """
    now = utcnow()
    order_ids = [item["order_id"] for item in items]
    rows = session.execute(
        sa.select(Invitation.order_id, Invitation.id).where(
            Invitation.site_id == site.id, Invitation.order_id.in_(set(order_ids))
        )
    )
    existing: dict[str, str] = {order_id: id_ for order_id, id_ in rows}
    suppressed = _suppressed(session, site, [item["email"] for item in items])
    results: list[Invitation | Problem] = []
    for item in items:
        problem = check_send_at(item, now)
        if problem is None and item["order_id"] in existing:
            problem = _conflict(item["order_id"], existing[item["order_id"]])
        if problem is not None:
            results.append(problem)
            continue
        invitation = _new(site, item, now, item["email"].lower() in suppressed)
        existing[invitation.order_id] = invitation.id  # a repeat within the batch: 409
        results.append(invitation)
    new = [r for r in results if isinstance(r, Invitation)]
    try:
        with session.begin_nested():
            session.add_all(new)
    except IntegrityError:
        results = [
            _one_by_one(session, site, r) if isinstance(r, Invitation) else r for r in results
        ]
    audit.record_many(
        session,
        site,
        "invitation.created",
        [(r.id, None, r.status) for r in results if isinstance(r, Invitation)],
    )
    return results


def _one_by_one(session: Session, site: Site, invitation: Invitation) -> Invitation | Problem:
    try:
        with session.begin_nested():
            session.add(invitation)
        return invitation
    except IntegrityError:
        existing_id = session.scalar(
            sa.select(Invitation.id).where(
                Invitation.site_id == site.id, Invitation.order_id == invitation.order_id
            )
        )
        return _conflict(invitation.order_id, existing_id or "unknown")


def list_invitations(
    session: Session, site: Site, query: dict[str, Any]
) -> tuple[list[Invitation], str | None]:
    stmt = sa.select(Invitation).where(Invitation.site_id == site.id)
    if query.get("status"):
        stmt = stmt.where(Invitation.status == InvitationStatus(query["status"]))
    if query.get("order_id"):
        stmt = stmt.where(Invitation.order_id == query["order_id"])
    filters = {k: query.get(k) for k in ("status", "order_id")}
    return paginate(
        session,
        stmt,
        _ORDER,
        limit=query["limit"],
        cursor=query["cursor"],
        query_fingerprint=fingerprint(kind="admin-invitations", site=site.id, **filters),
    )


def cancel(session: Session, site: Site, invitation_id: str) -> Invitation:
    """Cancel one not yet sent; cancelling again answers it as it is; 409 once sent."""
    invitation = owned(session, Invitation, site, invitation_id, lock=True)
    if invitation.status == InvitationStatus.CANCELLED:
        return invitation
    if invitation.status != InvitationStatus.SCHEDULED or invitation.claimed_at is not None:
        raise Problem(
            409,
            f"Invitation {invitation_id} is {invitation.status.value}: only a scheduled one "
            "can be cancelled.",
        )
    audit.record(session, site, "invitation.cancelled", invitation.id, from_value=invitation.status)
    invitation.status = InvitationStatus.CANCELLED
    invitation.due_at = None
    invitation.updated_at = utcnow()
    session.flush()
    return invitation


def by_token(session: Session, token: str, *, lock: bool = False) -> Invitation | None:
    """The invitation a link's token opens, whatever its state (None: no such link)."""
    if not token or len(token) > 64:
        return None
    stmt = sa.select(Invitation).where(Invitation.token_hash == token_hash(token))
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def is_open(invitation: Invitation, now: datetime | None = None) -> bool:
    """Whether its link still takes reviews (not cancelled, not expired)."""
    return invitation.status in OPEN and (now or utcnow()) < invitation.expires_at


def redeem(session: Session, site: Site, token: str, product: str) -> Invitation:
    """The invitation behind a review's ``invite`` token, locked (one review per product
    per invitation, also when the same buyer sends twice at once), or a 422 on
    ``invite`` saying what is wrong with it. ``product`` is :data:`STORE` for the shop."""
    invitation = by_token(session, token, lock=True)
    if invitation is None or invitation.site_id != site.id:
        raise validation_error("invite", "This invitation is not valid for this shop.")
    if not is_open(invitation):
        raise validation_error("invite", "This invitation has expired.")
    if product == STORE:
        if not invitation.store_review:
            raise validation_error("invite", "This invitation does not ask for a shop review.")
    elif product not in invitation.products:
        raise validation_error("invite", "This invitation is for other products.")
    return invitation


def mark_reviewed(session: Session, site: Site, invitation: Invitation) -> None:
    """The first review answers the invitation: nothing more is sent for it."""
    if invitation.reviewed_at is not None:
        return
    now = utcnow()
    previous = {"status": invitation.status.value}
    invitation.reviewed_at = now
    invitation.status = InvitationStatus.REVIEWED
    invitation.due_at = None
    invitation.updated_at = now
    events.emit(session, site, "invitation.reviewed", invitation, previous=previous)


def conversion(session: Session, site: Site) -> dict[str, Any]:
    """Of the invitations sent, how many brought a review (the admin statistics)."""
    sent_filter = Invitation.sent_at.is_not(None)
    row = session.execute(
        sa.select(
            sa.func.count().filter(sent_filter),
            sa.func.count().filter(sent_filter, Invitation.reviewed_at.is_not(None)),
        ).where(Invitation.site_id == site.id)
    ).one()
    sent, reviewed = int(row[0]), int(row[1])
    return {
        "sent": sent,
        "reviewed": reviewed,
        "conversion": round(reviewed / sent, 4) if sent else None,
    }
