"""The Reports section: what visitors reported, grouped by item, and the shop's decision.

A page of reports (``services.reports.list_reports``, newest first, keyset cursors) is
shown item by item: the reported review or comment as a moderator needs it, then each
report's reason, details, address and time. "Keep" and "Remove" call
``services.reports.decide``, which decides every open report of the item at once (as
``POST /api/v1/admin/reports/{id}/decide`` does) and tells the reporters who gave an
address; the note goes to them. Queries and bodies are the API's schemas
(``ReportsQuery``, ``DecideBody``), so the page refuses what the API refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..errors import Problem
from ..extensions import db
from ..models import Comment, Report, ReportStatus, Review, Site, Status
from ..schemas import DecideBody, ReportsQuery
from ..services import reports as report_service
from .auth import safe_next
from .base import bp, load_filters, owned_site, page_of
from .queue import Links
from .reasons import reason_label

REPORTS_PER_PAGE = 50
STATUS_TABS = (("open", "Open"), ("kept", "Kept"), ("removed", "Removed"), ("all", "All"))


@dataclass
class ReportedItem:
    """One item of the page and its reports there (``item`` is None once deleted)."""

    object_type: str
    object_id: str
    item: Review | Comment | None
    reports: list[Report] = field(default_factory=list)

    @property
    def open_reports(self) -> list[Report]:
        return [r for r in self.reports if r.status == ReportStatus.OPEN]


def open_count(site: Site) -> int:
    """The site's reports waiting for a decision (the navigation shows it)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Report)
            .where(Report.site_id == site.id, Report.status == ReportStatus.OPEN)
        )
        or 0
    )


@bp.context_processor
def reports_waiting() -> dict[str, Any]:
    """``open_reports(site)`` for the navigation: one COUNT, only when a page asks."""
    return {"open_reports": open_count}


def _query() -> tuple[dict[str, Any], list[str]]:
    """The status filter (open by default), the item filter and the cursor."""
    given = {
        k: v.strip()
        for k in ("status", "object_id", "cursor")
        if (v := request.args.get(k, "")).strip()
    }
    query, bad = load_filters(ReportsQuery(), {**given, "limit": str(REPORTS_PER_PAGE)})
    if "status" in bad or "status" not in given:
        query["status"] = "open"
    return query, bad


def _grouped(site: Site, found: list[Report]) -> list[ReportedItem]:
    """The page's reports by item, in the order of each item's newest report, with the
    items loaded in one query per kind (site-scoped, as every admin lookup)."""
    groups: dict[str, ReportedItem] = {}
    for report in found:
        group = groups.get(report.object_id)
        if group is None:
            group = groups[report.object_id] = ReportedItem(
                report.object_type, report.object_id, None
            )
        group.reports.append(report)
    loaded: list[Review | Comment] = []
    review_ids = [g.object_id for g in groups.values() if g.object_type == "review"]
    comment_ids = [g.object_id for g in groups.values() if g.object_type == "comment"]
    if review_ids:
        loaded += db.session.scalars(
            sa.select(Review).where(Review.site_id == site.id, Review.id.in_(review_ids))
        )
    if comment_ids:
        loaded += db.session.scalars(
            sa.select(Comment).where(Comment.site_id == site.id, Comment.id.in_(comment_ids))
        )
    for item in loaded:
        groups[item.id].item = item
    return list(groups.values())


@bp.get("/<slug>/reports")
@login_required
def reports(slug: str) -> Any:
    site = owned_site(slug)
    query, ignored = _query()
    found, next_cursor, query, filter_errors = page_of(
        lambda q: report_service.list_reports(db.session, site, q), query, ignored
    )
    filters = {k: query[k] for k in ("status", "object_id") if query.get(k)}
    return render_template(
        "admin/reports.html",
        site=site,
        links=Links.for_page(site),
        groups=_grouped(site, found),
        query=query,
        filters=filters,
        filter_errors=filter_errors,
        next_cursor=next_cursor,
        status_tabs=STATUS_TABS,
    )


@bp.post("/<slug>/reports/<report_id>/decide")
@login_required
def decide_report(slug: str, report_id: str) -> Any:
    """Keep or remove the item of ``report_id``: every open report of it is decided."""
    site = owned_site(slug)
    back = safe_next(request.form.get("next")) or url_for("admin_ui.reports", slug=slug)
    note = request.form.get("note", "").strip() or None
    try:
        body = DecideBody().load({"decision": request.form.get("decision", ""), "note": note})
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        why = "; ".join(str(m) for ms in messages.values() for m in ms) or "check the form."
        flash(f"Nothing was decided: {why}", "error")
        return redirect(back)
    try:
        decided = report_service.decide(db.session, site, report_id, body["decision"], body["note"])
    except Problem as problem:
        if problem.status != 409:
            raise  # 404: not this site's report (the error page)
        db.session.rollback()
        flash(problem.detail or "These reports are decided already.", "error")
        return redirect(back)
    item = report_service.item_of(db.session, decided[0])
    db.session.commit()
    flash(_outcome(decided, item), "success")
    return redirect(back)


def _outcome(decided: list[Report], item: Review | Comment | None) -> str:
    """What a decision did, in words: the item's fate, and who hears of it."""
    noun = decided[0].object_type
    count = len(decided)
    reports_word = f"{count} report{'' if count == 1 else 's'}"
    if decided[0].status == ReportStatus.REMOVED:
        why = reason_label(item.moderation_reason) if item is not None else ""
        done = f"The {noun} is removed (rejected: {why})" if why else f"The {noun} is removed"
    elif item is not None and item.status == Status.PUBLISHED:
        done = f"The {noun} is kept and stays published"
    else:
        done = f"The {noun} is kept"
    told = sum(1 for r in decided if r.email)
    people = f"{told} reporter{'' if told == 1 else 's'}"
    tell = f"; {people} will hear of it by e-mail." if told else "."
    return f"{done}: {reports_word} decided{tell}"
