"""A site's settings: name, allowed origins, moderation policy, blocked words, secret keys,
the notifications the shop gets of items waiting for moderation, and the trust settings
(how many reports hold an item, the moderation guidelines).

Settings are validated by the admin API's ``SitePatch`` schema and saved by
``services.sites.update_site``, so the page and ``PATCH /api/v1/admin/site`` accept
exactly the same values.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from .. import guidelines
from ..extensions import db
from ..fields import Text
from ..models import Site
from ..schemas import SitePatch
from ..services import sites
from .base import bp, field_errors, owned_site, whole_number

# The choices of "notify me of new items waiting for moderation" (SitePatch's NEW_ITEMS).
NEW_ITEMS_CHOICES = (
    ("off", "Off: no messages"),
    ("instant", "Instantly: a message as each item arrives"),
    ("daily", "One daily digest of what arrived that day"),
)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _page(site: Site, status: int = 200, **extra: Any) -> Any:
    form = extra.pop("form", None) or {
        "name": site.name,
        "allowed_origins": "\n".join(site.allowed_origins or []),
        "moderation": site.moderation.value,
        "blocked_words": "\n".join(site.blocked_words or []),
    }
    values = {
        "site": site,
        "form": form,
        "errors": {},
        "keys": sites.api_keys(db.session, site),
        "new_key": None,
        "notify_form": {
            "owner_email": site.notify_email or "",
            "new_items": site.notify_new_items,
        },
        "notify_errors": {},
        "notify_address": sites.notify_address(site),
        "new_items_choices": NEW_ITEMS_CHOICES,
        "trust_form": {
            "report_threshold": str(site.report_threshold),
            "guidelines": site.guidelines or "",
        },
        "trust_errors": {},
        "default_guidelines": guidelines.default_text(site.locale),
    }
    values.update(extra)
    return render_template("admin/settings.html", **values), status


@bp.get("/<slug>/settings")
@login_required
def settings(slug: str) -> Any:
    return _page(owned_site(slug))


@bp.post("/<slug>/settings")
@login_required
def save_settings(slug: str) -> Any:
    site = owned_site(slug)
    form = {
        "name": request.form.get("name", ""),
        "allowed_origins": request.form.get("allowed_origins", ""),
        "moderation": request.form.get("moderation", ""),
        "blocked_words": request.form.get("blocked_words", ""),
    }
    try:
        changes = SitePatch().load(
            {
                "name": form["name"],
                "allowed_origins": _lines(form["allowed_origins"]),
                "moderation": form["moderation"],
                "blocked_words": _lines(form["blocked_words"]),
            }
        )
    except ma.ValidationError as exc:
        return _page(site, 422, form=form, errors=field_errors(exc.messages))
    sites.update_site(db.session, site, changes)
    db.session.commit()
    flash("Settings saved.", "success")
    return redirect(url_for("admin_ui.settings", slug=slug))


@bp.post("/<slug>/settings/keys")
@login_required
def create_key(slug: str) -> Any:
    """A new secret key: its secret is on this response only and never stored."""
    site = owned_site(slug)
    try:
        name = Text(max_length=80).deserialize(request.form.get("name", ""))
    except ma.ValidationError as exc:
        return _page(site, 422, errors={"key_name": field_errors(exc.messages)["_"]})
    key, secret = sites.create_api_key(db.session, site, name)
    db.session.commit()
    return _page(site, 201, new_key={"name": key.name, "secret": secret})


@bp.post("/<slug>/settings/keys/<key_id>/revoke")
@login_required
def revoke_key(slug: str, key_id: str) -> Any:
    key = sites.revoke_api_key(db.session, owned_site(slug), key_id)
    db.session.commit()
    flash(f"Key “{key.name}” revoked: it no longer works.", "success")
    return redirect(url_for("admin_ui.settings", slug=slug))


@bp.post("/<slug>/settings/trust")
@login_required
def save_trust_settings(slug: str) -> Any:
    """How many open reports hold a published item, and the moderation guidelines the
    widget links to (empty: the default text in the visitor's language); validated and
    saved as ``PATCH /site``'s ``report_threshold`` and ``guidelines`` are."""
    site = owned_site(slug)
    form = {
        "report_threshold": request.form.get("report_threshold", ""),
        "guidelines": request.form.get("guidelines", ""),
    }
    body = {
        "report_threshold": whole_number(form["report_threshold"]),
        "guidelines": form["guidelines"].strip() or None,
    }
    try:
        changes = SitePatch().load(body)
    except ma.ValidationError as exc:
        errors = field_errors(exc.messages)
        return _page(site, 422, trust_form=form, trust_errors=errors)
    sites.update_site(db.session, site, changes)
    db.session.commit()
    flash("Report and guideline settings saved.", "success")
    return redirect(url_for("admin_ui.settings", slug=slug) + "#trust")


@bp.post("/<slug>/settings/notifications")
@login_required
def save_notifications(slug: str) -> Any:
    """How often the shop hears of items waiting for moderation, and at which address
    (empty: the owner's sign-in address); validated and saved as ``PATCH /site``'s
    ``notifications`` is."""
    site = owned_site(slug)
    form = {
        "owner_email": request.form.get("owner_email", ""),
        "new_items": request.form.get("new_items", ""),
    }
    body = {"owner_email": form["owner_email"].strip() or None, "new_items": form["new_items"]}
    try:
        changes = SitePatch().load({"notifications": body})
    except ma.ValidationError as exc:
        messages = exc.messages.get("notifications", exc.messages)  # type: ignore[union-attr]
        errors = field_errors(messages)
        return _page(site, 422, notify_form=form, notify_errors=errors)
    sites.update_site(db.session, site, changes)
    db.session.commit()
    flash("Notification settings saved.", "success")
    return redirect(url_for("admin_ui.settings", slug=slug) + "#notifications")
