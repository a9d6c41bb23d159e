"""Admin endpoints for webhooks: ``/api/v1/admin/webhooks``, with the admin API's key,
limits and caching rules (``api/admin.py``)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g

from ..bodies import no_body
from ..extensions import db, limiter
from ..idempotency import idempotent
from ..models import Webhook
from ..openapi import Blueprint
from ..schemas import (
    DeliveriesQuery,
    DeliveryEnvelope,
    DeliveryList,
    NewWebhookEnvelope,
    WebhookCreate,
    WebhookEnvelope,
    WebhookList,
    WebhookPatch,
    WebhooksQuery,
)
from ..services import webhooks
from ..services.tenancy import owned
from ..webhooks import delivery
from .admin import _key_limit_key, authenticate, no_store

bp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/admin/webhooks",
    description="Signed webhooks (Standard Webhooks): what happens on the site, told to "
    "the shop's own systems.",
)
bp.before_request(authenticate)
bp.after_request(no_store)
limiter.limit(lambda: current_app.config["RATELIMIT_ADMIN_PER_KEY"], key_func=_key_limit_key)(bp)
SECURITY: list[dict[str, list[str]]] = [{"secretKey": []}]


@bp.route("", methods=["POST"])
@idempotent
@bp.arguments(WebhookCreate)
@bp.response(201, NewWebhookEnvelope)
@bp.doc(security=SECURITY)
def create_webhook(data: dict[str, Any]) -> dict[str, Any]:
    """Subscribe a URL to events. The answer carries the signing `secret`, shown only
    here and on rotation. At most 20 webhooks per site."""
    webhook = webhooks.create(db.session, g.site, data)
    db.session.commit()
    return {"webhook": webhook}


@bp.route("", methods=["GET"])
@bp.arguments(WebhooksQuery, location="query")
@bp.response(200, WebhookList)
@bp.doc(security=SECURITY)
def list_webhooks(query: dict[str, Any]) -> dict[str, Any]:
    """The site's webhooks, newest first."""
    items, next_cursor = webhooks.list_webhooks(db.session, g.site, query)
    return {"webhooks": items, "next_cursor": next_cursor}


@bp.route("/<webhook_id>", methods=["GET"])
@bp.response(200, WebhookEnvelope)
@bp.doc(security=SECURITY)
def get_webhook(webhook_id: str) -> dict[str, Any]:
    """One webhook (without its secret)."""
    return {"webhook": owned(db.session, Webhook, g.site, webhook_id)}


@bp.route("/<webhook_id>", methods=["PATCH"])
@idempotent
@bp.arguments(WebhookPatch)
@bp.response(200, WebhookEnvelope)
@bp.doc(security=SECURITY)
def update_webhook(changes: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """Change the URL, the events, `enabled` or the description. Disabling gives up
    the deliveries still pending (`failed`)."""
    webhook = webhooks.update(db.session, g.site, webhook_id, changes)
    db.session.commit()
    return {"webhook": webhook}


@bp.route("/<webhook_id>", methods=["DELETE"])
@bp.response(204)
@bp.doc(security=SECURITY)
def delete_webhook(webhook_id: str) -> Response:
    """Delete a webhook and its delivery log."""
    webhooks.delete(db.session, g.site, webhook_id)
    db.session.commit()
    return Response(status=204)


@bp.route("/<webhook_id>/rotate-secret", methods=["POST"])
@no_body
@idempotent
@bp.response(200, NewWebhookEnvelope)
@bp.doc(security=SECURITY)
def rotate_secret(webhook_id: str) -> dict[str, Any]:
    """A new signing secret. For the next 24 hours deliveries carry two signatures, by
    the new secret and the old one, so the receiver can switch without losing any."""
    webhook = webhooks.rotate_secret(db.session, g.site, webhook_id)
    db.session.commit()
    return {"webhook": webhook}


@bp.route("/<webhook_id>/test", methods=["POST"])
@no_body
@idempotent
@bp.response(200, DeliveryEnvelope)
@bp.doc(security=SECURITY)
def test_webhook(webhook_id: str) -> dict[str, Any]:
    """Send a `ping` event now and answer with its delivery: `succeeded`, or `pending`
    with the receiver's answer or the error (retried like any delivery)."""
    found = webhooks.ping(db.session, g.site, webhook_id)
    db.session.commit()
    return {"delivery": delivery.deliver_claimed(found.id)}


@bp.route("/<webhook_id>/deliveries", methods=["GET"])
@bp.arguments(DeliveriesQuery, location="query")
@bp.response(200, DeliveryList)
@bp.doc(security=SECURITY)
def list_deliveries(query: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """The webhook's deliveries, newest first; filter by `status`."""
    items, next_cursor = webhooks.list_deliveries(db.session, g.site, webhook_id, query)
    return {"deliveries": items, "next_cursor": next_cursor}


@bp.route("/<webhook_id>/deliveries/<delivery_id>/retry", methods=["POST"])
@no_body
@idempotent
@bp.response(200, DeliveryEnvelope)
@bp.doc(security=SECURITY)
def retry_delivery(webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """Deliver it again now, whatever its status (same event, same `webhook-id`), and
    answer with the outcome. 409 while the webhook is disabled."""
    found = webhooks.schedule_retry(db.session, g.site, webhook_id, delivery_id)
    db.session.commit()
    return {"delivery": delivery.deliver_claimed(found.id)}
