"""The Webhooks section: a site's webhooks, their settings, secrets and delivery logs.

Everything goes through what ``/api/v1/admin/webhooks`` uses: forms are loaded by
``schemas.WebhookCreate`` and ``schemas.WebhookPatch`` and acted on by
``services.webhooks`` (so the page refuses exactly what the API refuses, with the same
messages: an ``ftp:`` or private URL, an unknown event type, a 21st webhook), and
"send a test event" and "send again" claim the delivery in their own transaction
(``ping``, ``schedule_retry``) and attempt it in the request with
``webhooks.delivery.deliver_claimed``, as the API's ``/test`` and ``/retry`` do, so the
page says what the receiver answered. Webhooks and deliveries are looked up through the
site, so another site's ids are a 404.

A signing secret is shown once, on the page that answers its creation or rotation, and
never again (the response is ``no-store``, as every admin page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..errors import Problem, flatten_messages
from ..extensions import db
from ..models import Delivery, DeliveryStatus, Site, Webhook
from ..schemas import DeliveriesQuery, WebhookCreate, WebhookPatch
from ..services import webhooks as webhook_service
from ..services.tenancy import owned
from ..timeutil import utcnow
from ..webhooks import delivery as deliverer
from .auth import safe_next
from .base import bp, load_filters, owned_site, page_of

DELIVERIES_PER_PAGE = 25
ALL_EVENTS = "*"
FORM_FIELDS = ("url", "description")
STATUS_LABELS = {
    DeliveryStatus.PENDING: "Pending",
    DeliveryStatus.SUCCEEDED: "Succeeded",
    DeliveryStatus.FAILED: "Failed",
}
EVENT_HINTS = {
    "review.created": "a review is submitted or imported",
    "review.updated": "a review's text, status or reply changes",
    "review.deleted": "a review is deleted",
    "comment.created": "a comment is posted",
    "comment.updated": "a comment's text or status changes",
    "comment.deleted": "a comment is deleted",
    "invitation.reviewed": "an invited buyer leaves a review",
    "report.created": "a visitor reports an item",
    "question.created": "a question is asked",
    "answer.created": "a question is answered",
    "idea.created": "an idea is submitted",
    "idea.updated": "an idea changes",
}


@dataclass(frozen=True)
class Outcome:
    """What one attempt of a delivery came to, as a flash message says it."""

    message: str
    category: str  # "success" or "error", as ``flash`` takes it


# ---------------------------------------------------------------- forms


def _events_from_form() -> list[str]:
    """The ticked event types; "all events" wins over any single ones."""
    chosen = [value for value in request.form.getlist("events") if value]
    return [ALL_EVENTS] if ALL_EVENTS in chosen else chosen


def _form_values() -> dict[str, Any]:
    """The add or edit form as typed, to show again when it is refused."""
    values: dict[str, Any] = {name: request.form.get(name, "") for name in FORM_FIELDS}
    values["events"] = _events_from_form()
    return values


def _body(form: dict[str, Any]) -> dict[str, Any]:
    """The form as the API's JSON body: an empty description is none."""
    return {
        "url": form["url"].strip(),
        "events": form["events"],
        "description": form["description"].strip() or None,
    }


def field_errors(messages: Any) -> dict[str, str]:
    """Validation messages (a schema's, or a service's 422 ``errors``) as one line per
    form field: ``events.0`` is a message about the events field."""
    result: dict[str, list[str]] = {}
    for path, texts in flatten_messages(messages).items():
        result.setdefault(path.partition(".")[0], []).extend(texts)
    if "events" in result and not request.form.getlist("events"):
        result["events"] = ["Choose at least one event, or all events."]
    return {name: " ".join(texts) for name, texts in result.items()}


def _problem_errors(problem: Problem) -> dict[str, str]:
    if problem.errors:
        return field_errors(problem.errors)
    return {"_schema": problem.detail or "That did not work."}


def _form_of(webhook: Webhook) -> dict[str, Any]:
    return {
        "url": webhook.url,
        "events": list(webhook.events),
        "description": webhook.description or "",
    }


# ---------------------------------------------------------------- pages


def _list_page(site: Site, status: int = 200, **extra: Any) -> Any:
    items, _ = webhook_service.list_webhooks(
        db.session, site, {"limit": webhook_service.MAX_PER_SITE, "cursor": None}
    )
    values: dict[str, Any] = {
        "site": site,
        "webhooks": items,
        "max_webhooks": webhook_service.MAX_PER_SITE,
        "event_types": webhook_service.SUBSCRIBABLE,
        "event_hints": EVENT_HINTS,
        "form": {"url": "", "events": [ALL_EVENTS], "description": ""},
        "errors": {},
    }
    values.update(extra)
    return render_template("admin/webhooks.html", **values), status


def _deliveries_query() -> tuple[dict[str, Any], list[str]]:
    """The delivery list's status filter and cursor from the query string; a bad one is
    left out and named (the list is still shown)."""
    given = {k: v.strip() for k in ("status", "cursor") if (v := request.args.get(k, "")).strip()}
    return load_filters(DeliveriesQuery(), {**given, "limit": str(DELIVERIES_PER_PAGE)})


def _detail_page(site: Site, webhook: Webhook, status: int = 200, **extra: Any) -> Any:
    query, ignored = _deliveries_query()
    items, next_cursor, query, filter_errors = page_of(
        lambda q: webhook_service.list_deliveries(db.session, site, webhook.id, q), query, ignored
    )
    values: dict[str, Any] = {
        "site": site,
        "webhook": webhook,
        "deliveries": items,
        "next_cursor": next_cursor,
        "query": query,
        "filters": {"status": query["status"]} if query.get("status") else {},
        "filter_errors": filter_errors,
        "status_labels": STATUS_LABELS,
        "statuses": list(DeliveryStatus),
        "event_types": webhook_service.SUBSCRIBABLE,
        "event_hints": EVENT_HINTS,
        "form": _form_of(webhook),
        "errors": {},
        "new_secret": None,
        "rotated": False,
        "previous_expires": _previous_expires(webhook),
    }
    values.update(extra)
    return render_template("admin/webhook.html", **values), status


def _previous_expires(webhook: Webhook) -> Any:
    """When the secret before the last rotation stops signing, while it still does."""
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret and expires is not None and expires > utcnow():
        return expires
    return None


def _webhook(site: Site, webhook_id: str) -> Webhook:
    """The site's webhook (another site's, or none: the 404 page)."""
    return owned(db.session, Webhook, site, webhook_id)


def _to_webhook(slug: str, webhook_id: str, anchor: str = "") -> Any:
    """Back to the page the form was on (a page of deliveries), else the webhook's."""
    here = url_for("admin_ui.webhook", slug=slug, webhook_id=webhook_id) + anchor
    return redirect(safe_next(request.form.get("next")) or here)


@bp.get("/<slug>/webhooks")
@login_required
def webhooks(slug: str) -> Any:
    return _list_page(owned_site(slug))


@bp.get("/<slug>/webhooks/<webhook_id>")
@login_required
def webhook(slug: str, webhook_id: str) -> Any:
    site = owned_site(slug)
    return _detail_page(site, _webhook(site, webhook_id))


# ---------------------------------------------------------------- add, edit, delete


@bp.post("/<slug>/webhooks")
@login_required
def create_webhook(slug: str) -> Any:
    """Add a webhook; the answer is its page, showing its signing secret this once."""
    site = owned_site(slug)
    form = _form_values()
    try:
        data = WebhookCreate().load(_body(form))
        created = webhook_service.create(db.session, site, data)
    except ma.ValidationError as exc:
        return _list_page(site, 422, form=form, errors=field_errors(exc.messages))
    except Problem as problem:
        if problem.status != 422:
            raise
        db.session.rollback()
        return _list_page(site, 422, form=form, errors=_problem_errors(problem))
    db.session.commit()
    return _detail_page(site, created, 201, new_secret=created.secret)


@bp.post("/<slug>/webhooks/<webhook_id>")
@login_required
def update_webhook(slug: str, webhook_id: str) -> Any:
    """Change the URL, the events and the description (enabling is a button of its own)."""
    site = owned_site(slug)
    webhook = _webhook(site, webhook_id)
    form = _form_values()
    try:
        changes = WebhookPatch().load(_body(form))
        webhook_service.update(db.session, site, webhook.id, changes)
    except ma.ValidationError as exc:
        return _detail_page(site, webhook, 422, form=form, errors=field_errors(exc.messages))
    except Problem as problem:
        if problem.status != 422:
            raise
        db.session.rollback()
        webhook = _webhook(site, webhook_id)  # as stored: the rollback undid nothing of it
        return _detail_page(site, webhook, 422, form=form, errors=_problem_errors(problem))
    db.session.commit()
    flash("Webhook saved.", "success")
    return redirect(url_for("admin_ui.webhook", slug=slug, webhook_id=webhook_id))


@bp.post("/<slug>/webhooks/<webhook_id>/enabled")
@login_required
def set_webhook_enabled(slug: str, webhook_id: str) -> Any:
    """Switch a webhook on or off. Off gives up what it still had to deliver."""
    site = owned_site(slug)
    enable = request.form.get("enabled") == "yes"
    webhook = webhook_service.update(db.session, site, webhook_id, {"enabled": enable})
    db.session.commit()
    if enable:
        flash(f"Webhook to {webhook.url} enabled: it receives events again.", "success")
    else:
        flash(
            f"Webhook to {webhook.url} disabled: it receives nothing, and deliveries "
            "still pending were given up.",
            "success",
        )
    return _to_webhook(slug, webhook_id)


@bp.post("/<slug>/webhooks/<webhook_id>/delete")
@login_required
def delete_webhook(slug: str, webhook_id: str) -> Any:
    """Asks on a page of its own first (works without the script), then deletes."""
    site = owned_site(slug)
    webhook = _webhook(site, webhook_id)
    if request.form.get("confirmed") != "yes":
        return render_template("admin/webhook_delete.html", site=site, webhook=webhook)
    url = webhook.url
    webhook_service.delete(db.session, site, webhook.id)
    db.session.commit()
    flash(f"Webhook to {url} deleted, with its delivery log.", "success")
    return redirect(url_for("admin_ui.webhooks", slug=slug))


@bp.post("/<slug>/webhooks/<webhook_id>/rotate-secret")
@login_required
def rotate_webhook_secret(slug: str, webhook_id: str) -> Any:
    """A new signing secret, shown once; the old one signs too for 24 hours."""
    site = owned_site(slug)
    webhook = webhook_service.rotate_secret(db.session, site, webhook_id)
    db.session.commit()
    return _detail_page(site, webhook, new_secret=webhook.secret, rotated=True)


# ---------------------------------------------------------------- test, send again


def outcome_of(found: Delivery, what: str) -> Outcome:
    """``found``'s state after an attempt, in words: ``what`` names it ("Test event")."""
    if found.status == DeliveryStatus.SUCCEEDED:
        return Outcome(
            f"{what} delivered: the receiver answered {found.response_status}.", "success"
        )
    if found.error:
        why = found.error
    elif found.response_status is not None:
        why = f"The receiver answered {found.response_status}."
    else:
        why = "There was no answer."
    if not why.endswith((".", "!", "?")):
        why += "."
    if found.status == DeliveryStatus.FAILED:
        return Outcome(f"{what} not delivered. {why} No more attempts.", "error")
    if found.next_attempt_at is not None:
        when = found.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return Outcome(f"{what} not delivered. {why} It is tried again at {when}.", "error")
    return Outcome(f"{what} not delivered. {why}", "error")


@bp.post("/<slug>/webhooks/<webhook_id>/test")
@login_required
def send_test_event(slug: str, webhook_id: str) -> Any:
    """Send a ``ping`` event to this webhook now and say what the receiver answered."""
    site = owned_site(slug)
    webhook = _webhook(site, webhook_id)
    if not webhook.enabled:
        flash("This webhook is disabled: enable it before sending a test event.", "error")
        return _to_webhook(slug, webhook_id)
    ping = webhook_service.ping(db.session, site, webhook.id)
    db.session.commit()
    result = outcome_of(deliverer.deliver_claimed(ping.id), "Test event")
    flash(result.message, result.category)
    return _to_webhook(slug, webhook_id, "#deliveries")


@bp.post("/<slug>/webhooks/<webhook_id>/deliveries/<delivery_id>/retry")
@login_required
def retry_delivery(slug: str, webhook_id: str, delivery_id: str) -> Any:
    """Send a delivery again now, whatever its status (same event, same ``webhook-id``)."""
    site = owned_site(slug)
    try:
        found = webhook_service.schedule_retry(db.session, site, webhook_id, delivery_id)
    except Problem as problem:
        if problem.status != 409:
            raise  # 404: another site's or no such webhook or delivery
        db.session.rollback()
        flash(problem.detail or "This delivery cannot be sent again now.", "error")
        return _to_webhook(slug, webhook_id, "#deliveries")
    db.session.commit()
    result = outcome_of(deliverer.deliver_claimed(found.id), f"Event {found.type}")
    flash(result.message, result.category)
    return _to_webhook(slug, webhook_id, "#deliveries")
