"""A site's webhooks: create, change, rotate, delete, and their delivery logs.

URLs are checked here when set (``webhooks/ssrf.py``: https, every address public) and
again by the deliverer before each attempt, since what a name resolves to can change.
Secrets are ``whsec_`` + base64 (Standard Webhooks); after a rotation the previous one
keeps signing for ``ROTATION_OVERLAP``, so a receiver can switch over without losing
deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from .. import events
from ..errors import Problem, validation_error
from ..models import Delivery, DeliveryStatus, Site, Webhook
from ..pagination import SortOrder, fingerprint, paginate
from ..timeutil import utcnow
from ..webhooks import signing, ssrf
from . import audit
from .tenancy import owned

MAX_PER_SITE = 20
# How much longer than the attempt's own timeout a claim lasts before the delivery is
# taken as abandoned (its worker died) and due again.
CLAIM_MARGIN = 50.0
ROTATION_OVERLAP = timedelta(hours=24)
# Event types a webhook can ask for (``ping`` comes to every webhook when tested).
SUBSCRIBABLE = tuple(t for t in events.EVENT_TYPES if t != "ping")
_ORDER = SortOrder((Webhook.created_at, Webhook.id), descending=True)
_DELIVERY_ORDER = SortOrder((Delivery.created_at, Delivery.id), descending=True)


def allow_private() -> bool:
    """``PLAUDIT_WEBHOOKS_ALLOW_PRIVATE=true``: http and private addresses (development)."""
    return bool(current_app.config["WEBHOOKS_ALLOW_PRIVATE"])


def checked_url(url: str) -> str:
    """``url`` if webhooks may go there, else a 422 on ``url`` that says why."""
    try:
        ssrf.check(url, allow_private=allow_private())
    except ssrf.UrlRefused as refused:
        raise validation_error("url", str(refused)) from None
    return url


def checked_events(wanted: Sequence[str]) -> list[str]:
    unknown = sorted(set(wanted) - {*SUBSCRIBABLE, "*"})
    if unknown:
        raise validation_error(
            "events",
            f"Unknown event types: {', '.join(unknown)}. Known: {', '.join(SUBSCRIBABLE)}, or *.",
        )
    return ["*"] if "*" in wanted else list(dict.fromkeys(wanted))


def create(session: Session, site: Site, data: dict[str, Any]) -> Webhook:
    _lock_site(session, site.id)
    count = session.scalar(
        sa.select(sa.func.count()).select_from(Webhook).where(Webhook.site_id == site.id)
    )
    if (count or 0) >= MAX_PER_SITE:
        raise Problem(
            422,
            f"A site has at most {MAX_PER_SITE} webhooks: delete one first.",
            errors={"url": [f"At most {MAX_PER_SITE} webhooks per site."]},
        )
    webhook = Webhook(
        site_id=site.id,
        url=checked_url(data["url"]),
        events=checked_events(data["events"]),
        description=data.get("description"),
        secret=signing.new_secret(),
        enabled=True,
    )
    session.add(webhook)
    session.flush()
    refresh_wanted(session, site.id)
    audit.record(session, site, "webhook.created", webhook.id, to_value=webhook.url)
    return webhook


def update(session: Session, site: Site, webhook_id: str, changes: dict[str, Any]) -> Webhook:
    _lock_site(session, site.id)
    webhook = owned(session, Webhook, site, webhook_id, lock=True)
    before = _audited(webhook)
    if "url" in changes:
        webhook.url = checked_url(changes["url"])
    if "events" in changes:
        webhook.events = checked_events(changes["events"])
    if "description" in changes:
        webhook.description = changes["description"]
    if "enabled" in changes and changes["enabled"] != webhook.enabled:
        if changes["enabled"]:
            webhook.enabled, webhook.disabled_reason = True, None
        else:
            disable(session, webhook, None)
    webhook.updated_at = utcnow()
    session.flush()
    refresh_wanted(session, site.id)
    after = _audited(webhook)
    for name in before:
        if before[name] != after[name]:
            audit.record(
                session,
                site,
                f"webhook.{name}",
                webhook.id,
                from_value=before[name],
                to_value=after[name],
            )
    return webhook


def _audited(webhook: Webhook) -> dict[str, str | None]:
    """What the audit log tells of a webhook's changes (never its secret)."""
    return {
        "url": webhook.url,
        "events": ",".join(webhook.events),
        "description": webhook.description,
        "enabled": str(webhook.enabled).lower(),
    }


def disable(session: Session, webhook: Webhook, reason: str | None) -> None:
    """Switch a webhook off; what it still had to deliver is given up (``failed``)."""
    _lock_site(session, webhook.site_id)
    if webhook.enabled and reason is not None:  # the server's doing (a 410): say so
        audit.record(
            session,
            webhook.site_id,
            "webhook.enabled",
            webhook.id,
            from_value="true",
            to_value="false",
            note=reason,
        )
    webhook.enabled = False
    webhook.disabled_reason = reason
    webhook.updated_at = utcnow()
    session.execute(
        sa.update(Delivery)
        .where(Delivery.webhook_id == webhook.id, Delivery.status == DeliveryStatus.PENDING)
        .values(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            error=(reason or "The webhook was disabled.")[:300],
        )
    )
    session.flush()
    refresh_wanted(session, webhook.site_id)


def delete(session: Session, site: Site, webhook_id: str) -> None:
    _lock_site(session, site.id)
    webhook = owned(session, Webhook, site, webhook_id, lock=True)
    audit.record(session, site, "webhook.deleted", webhook.id, from_value=webhook.url)
    session.delete(webhook)
    session.flush()
    refresh_wanted(session, site.id)


def _lock_site(session: Session, site_id: str) -> None:
    """Changes of a site's webhooks take turns (the site row's lock), so the last one
    to commit computes ``Site.webhook_events`` from every other's rows."""
    session.execute(sa.select(Site.id).where(Site.id == site_id).with_for_update())


def refresh_wanted(session: Session, site_id: str) -> None:
    """Set ``Site.webhook_events``: the event types its enabled webhooks want, which
    ``events.emit`` reads with the site instead of querying the webhooks."""
    wanted: set[str] = set()
    for types in session.scalars(
        sa.select(Webhook.events).where(Webhook.site_id == site_id, Webhook.enabled.is_(True))
    ):
        wanted.update(types)
    value = ["*"] if "*" in wanted else sorted(wanted)
    site = session.get(Site, site_id)
    if site is not None and site.webhook_events != value:
        site.webhook_events = value
        session.flush()


def rotate_secret(session: Session, site: Site, webhook_id: str) -> Webhook:
    """A new secret; the old one signs too for the next 24 hours."""
    webhook = owned(session, Webhook, site, webhook_id, lock=True)
    now = utcnow()
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_expires_at = now + ROTATION_OVERLAP
    webhook.secret = signing.new_secret()
    webhook.updated_at = now
    audit.record(session, site, "webhook.secret_rotated", webhook.id)
    session.flush()
    return webhook


def signing_secrets(webhook: Webhook) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one while
    its overlap lasts."""
    found = [webhook.secret]
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret and expires is not None and expires > utcnow():
        found.append(webhook.previous_secret)
    return found


def claim(session: Session, delivery_ids: Sequence[str], now: datetime) -> None:
    """Take deliveries for one attempt, in the caller's transaction: not due again until
    the attempt's deadline has passed (a worker that dies mid-attempt leaves them due
    then), one more attempt counted."""
    timeout = float(current_app.config["WEBHOOK_TIMEOUT"])
    session.execute(
        sa.update(Delivery)
        .where(Delivery.id.in_(list(delivery_ids)))
        .values(
            next_attempt_at=now + timedelta(seconds=timeout + CLAIM_MARGIN),
            attempts=Delivery.attempts + 1,
            last_attempt_at=now,
        )
    )


def list_webhooks(
    session: Session, site: Site, query: dict[str, Any]
) -> tuple[list[Webhook], str | None]:
    return paginate(
        session,
        sa.select(Webhook).where(Webhook.site_id == site.id),
        _ORDER,
        limit=query["limit"],
        cursor=query["cursor"],
        query_fingerprint=fingerprint(kind="admin-webhooks", site=site.id),
    )


def ping(session: Session, site: Site, webhook_id: str) -> Delivery:
    """A ``ping`` event for this webhook alone (its "send a test event"), claimed for an
    attempt by the caller after the commit (``delivery.deliver_claimed``)."""
    webhook = owned(session, Webhook, site, webhook_id)
    outbox = events.emit(
        session,
        site,
        "ping",
        data={"webhook_id": webhook.id, "site": site.slug, "message": "Plaudit says hello."},
        only=webhook.id,
    )
    assert outbox is not None
    session.flush()
    found = session.scalars(sa.select(Delivery).where(Delivery.event_id == outbox.id)).one()
    claim(session, [found.id], utcnow())
    return found


def list_deliveries(
    session: Session, site: Site, webhook_id: str, query: dict[str, Any]
) -> tuple[list[Delivery], str | None]:
    webhook = owned(session, Webhook, site, webhook_id)
    stmt = sa.select(Delivery).where(Delivery.webhook_id == webhook.id)
    if query.get("status"):
        stmt = stmt.where(Delivery.status == DeliveryStatus(query["status"]))
    return paginate(
        session,
        stmt,
        _DELIVERY_ORDER,
        limit=query["limit"],
        cursor=query["cursor"],
        query_fingerprint=fingerprint(
            kind="admin-deliveries", site=site.id, webhook=webhook.id, status=query.get("status")
        ),
    )


def delivery_of(session: Session, site: Site, webhook_id: str, delivery_id: str) -> Delivery:
    webhook = owned(session, Webhook, site, webhook_id)
    delivery = session.scalar(
        sa.select(Delivery).where(Delivery.id == delivery_id, Delivery.webhook_id == webhook.id)
    )
    if delivery is None:
        raise Problem(404, f"There is no delivery {delivery_id!r}.")
    return delivery


def schedule_retry(session: Session, site: Site, webhook_id: str, delivery_id: str) -> Delivery:
    """Send a delivery again now, whatever its status (the "send again" button): pending
    and claimed for an attempt by the caller after the commit (``deliver_claimed``)."""
    webhook = owned(session, Webhook, site, webhook_id)
    if not webhook.enabled:
        raise Problem(409, f"Webhook {webhook.id} is disabled: enable it before sending again.")
    delivery = delivery_of(session, site, webhook_id, delivery_id)
    delivery.status = DeliveryStatus.PENDING
    session.flush()
    claim(session, [delivery.id], utcnow())
    return delivery
