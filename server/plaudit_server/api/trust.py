"""Admin endpoints for reports and the audit log (``/api/v1/admin/reports``,
``/api/v1/admin/audit``), with the admin API's key, limits and caching rules."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from ..extensions import db, limiter
from ..idempotency import idempotent
from ..openapi import Blueprint
from ..schemas import (
    AuditList,
    AuditQuery,
    DecideBody,
    DecideResult,
    ReportEnvelope,
    ReportList,
    ReportsQuery,
)
from ..services import audit, reports
from .admin import _key_limit_key, authenticate, no_store

bp = Blueprint(
    "trust",
    __name__,
    url_prefix="/api/v1/admin",
    description="Reports from visitors and the audit log: what was decided, by whom, why.",
)
bp.before_request(authenticate)
bp.after_request(no_store)
limiter.limit(lambda: current_app.config["RATELIMIT_ADMIN_PER_KEY"], key_func=_key_limit_key)(bp)
SECURITY: list[dict[str, list[str]]] = [{"secretKey": []}]


@bp.route("/reports", methods=["GET"])
@bp.arguments(ReportsQuery, location="query")
@bp.response(200, ReportList)
@bp.doc(security=SECURITY)
def list_reports(query: dict[str, Any]) -> dict[str, Any]:
    """Visitors' reports, newest first; `status=open` is the queue."""
    items, next_cursor = reports.list_reports(db.session, g.site, query)
    return {"reports": items, "next_cursor": next_cursor}


@bp.route("/reports/<report_id>", methods=["GET"])
@bp.response(200, ReportEnvelope)
@bp.doc(security=SECURITY)
def get_report(report_id: str) -> dict[str, Any]:
    """One report."""
    return {"report": reports.get(db.session, g.site, report_id)}


@bp.route("/reports/<report_id>/decide", methods=["POST"])
@idempotent
@bp.arguments(DecideBody)
@bp.response(200, DecideResult)
@bp.doc(security=SECURITY)
def decide_report(data: dict[str, Any], report_id: str) -> dict[str, Any]:
    """Decide every open report of this report's item: `keep` (a held item is published
    again) or `remove` (rejected, with a reason from the reports). Reporters who gave
    an address are told the decision and the `note`. 409 when nothing is left open."""
    decided = reports.decide(db.session, g.site, report_id, data["decision"], data.get("note"))
    for report in decided:
        db.session.expunge(report)
    db.session.commit()
    return {"reports": decided}


@bp.route("/audit", methods=["GET"])
@bp.arguments(AuditQuery, location="query")
@bp.response(200, AuditList)
@bp.doc(security=SECURITY)
def list_audit(query: dict[str, Any]) -> dict[str, Any]:
    """The audit log, newest first: every moderation action, edit, delete, reply,
    report decision, settings change, key, invitation and webhook change, with who did
    it (`key`, `owner`, `system` or the `reviewer`). Read-only: nothing changes it."""
    items, next_cursor = audit.entries(db.session, g.site, query)
    return {"entries": items, "next_cursor": next_cursor}
