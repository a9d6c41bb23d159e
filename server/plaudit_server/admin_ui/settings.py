"""A site's settings: name, allowed origins, moderation policy, blocked words, secret keys.

Settings are validated by the admin API's ``SitePatch`` schema and saved by
``services.sites.update_site``, so the page and ``PATCH /api/v1/admin/site`` accept
exactly the same values.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..extensions import db
from ..fields import Text
from ..models import Site
from ..schemas import SitePatch
from ..services import sites
from .base import bp, owned_site


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
        return _page(site, 422, form=form, errors=_field_errors(exc.messages))
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
        return _page(site, 422, errors={"key_name": _field_errors(exc.messages)["_"]})
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


def _field_errors(messages: Any) -> dict[str, str]:
    """marshmallow's nested messages as one line per form field."""
    if not isinstance(messages, dict):
        return {"_": "; ".join(map(str, messages))}
    result = {}
    for field, value in messages.items():
        if isinstance(value, dict):  # list fields: {index: [messages]}
            value = [f"line {int(i) + 1}: {'; '.join(m)}" for i, m in value.items()]
        result[str(field)] = "; ".join(map(str, value))
    return result
