"""The Audit log section: who did what to which object of the site, read-only.

Entries come from ``services.audit.entries`` (the same pages as ``GET
/api/v1/admin/audit``), filtered by object, action (exact, or a prefix such as
``review.``), actor type and a range of days. The page has no form that changes the
log: nothing in Plaudit can (see ``services/audit.py``). An object id links to the
object while it still exists, looked up in one query per kind for the whole page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_login import login_required

from ..extensions import db
from ..models import AuditEntry, Comment, Review, Site, Webhook
from ..schemas import AuditQuery
from ..services import audit
from .base import bp, load_filters, owned_site, page_of

ENTRIES_PER_PAGE = 50
FILTERS = ("object_id", "action", "actor_type", "since", "until")
# Suggestions for the action filter (any action, or any prefix ending in ".", works).
ACTION_PREFIXES = (
    ("review.", "reviews"),
    ("comment.", "comments"),
    ("report.", "reports"),
    ("site.", "settings"),
    ("key.", "secret keys"),
    ("invitation.", "invitations"),
    ("webhook.", "webhooks"),
)


def _day(text: str, *, end: bool) -> str | None:
    """A day typed in a date field as the API's time: its start (``since``) or the
    start of the next day (``until``: the day itself is included), UTC; None if not a
    date."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=UTC).isoformat()


def _query() -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The service's query (checked by the API's ``AuditQuery``), the filters as typed
    (for the form and the links), and the names of the filters that were refused and
    left out (the log is still shown)."""
    typed = {k: v.strip() for k in FILTERS if (v := request.args.get(k, "")).strip()}
    given = dict(typed)
    if cursor := request.args.get("cursor", "").strip():
        given["cursor"] = cursor
    bad: list[str] = []
    for name in ("since", "until"):
        if name in given:
            value = _day(given[name], end=name == "until")
            if value is None:
                bad.append(name)
                del given[name]
            else:
                given[name] = value
    query, refused = load_filters(AuditQuery(), {**given, "limit": str(ENTRIES_PER_PAGE)})
    bad += refused
    query.setdefault("cursor", None)
    return query, {k: v for k, v in typed.items() if k not in bad}, bad


def _object_links(site: Site, found: list[AuditEntry]) -> dict[str, str]:
    """A link for each object of the page that still exists: reviews, comments (in
    their review's thread, or their product's queue), webhooks, the site's settings."""
    ids = {e.object_id for e in found if e.object_id}
    links: dict[str, str] = {}
    slug = site.slug
    if site.slug in ids:
        links[site.slug] = url_for("admin_ui.settings", slug=slug)
    wanted = [i for i in ids if i.startswith("rev_")]
    if wanted:
        for review_id in db.session.scalars(
            sa.select(Review.id).where(Review.site_id == site.id, Review.id.in_(wanted))
        ):
            links[review_id] = url_for("admin_ui.review_detail", slug=slug, review_id=review_id)
    wanted = [i for i in ids if i.startswith("cmt_")]
    if wanted:
        for comment in db.session.scalars(
            sa.select(Comment).where(Comment.site_id == site.id, Comment.id.in_(wanted))
        ):
            if comment.review_id:
                target = url_for("admin_ui.review_detail", slug=slug, review_id=comment.review_id)
            else:
                target = url_for(
                    "admin_ui.comments",
                    slug=slug,
                    status="all",
                    product=comment.product.external_id,
                )
            links[comment.id] = f"{target}#item-{comment.id}"
    wanted = [i for i in ids if i.startswith("wh_")]
    if wanted:
        for webhook_id in db.session.scalars(
            sa.select(Webhook.id).where(Webhook.site_id == site.id, Webhook.id.in_(wanted))
        ):
            links[webhook_id] = url_for("admin_ui.webhook", slug=slug, webhook_id=webhook_id)
    for key_id in (i for i in ids if i.startswith("key_")):
        links[key_id] = url_for("admin_ui.settings", slug=slug) + f"#key-{key_id}"
    return links


@bp.get("/<slug>/audit")
@login_required
def audit_log(slug: str) -> Any:
    site = owned_site(slug)
    query, typed, ignored = _query()
    found, next_cursor, query, filter_errors = page_of(
        lambda q: audit.entries(db.session, site, q), query, ignored
    )
    return render_template(
        "admin/audit.html",
        site=site,
        entries=found,
        object_links=_object_links(site, found),
        query=query,
        filters=typed,
        filter_errors=filter_errors,
        next_cursor=next_cursor,
        action_prefixes=ACTION_PREFIXES,
    )
