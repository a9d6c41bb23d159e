"""Reports: visitors flag a published review or comment, the shop decides.

A report is a notice (EU Digital Services Act, art. 16) the shop must look at, so it is
never dropped: one per visitor and item (a repeat answers the first), counted on the
item (``reports_open``) and, once the site's ``report_threshold`` open reports gather,
the item is held (back to ``pending``) until the shop decides. Deciding decides every
open report of the item at once: ``keep`` publishes a held item again, ``remove``
rejects it with a reason derived from the reports; either way each reporter who left
an address hears of it (``report.decided``, see notifications).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import events
from ..errors import Problem
from ..models import Comment, Report, ReportStatus, Review, Site, Status
from ..pagination import SortOrder, fingerprint, paginate
from ..timeutil import utcnow
from . import audit, moderation

MODELS = moderation.ITEM_MODELS

# A report's reason, as the rejection it asks for (``fake``: not genuine; a notice of
# illegal content is removed as "other", with the shop's note saying why).
REJECTION_FOR = {
    "spam": "spam",
    "offensive": "offensive",
    "off_topic": "off_topic",
    "personal_data": "personal_data",
    "fake": "not_genuine",
    "illegal": "other",
    "other": "other",
}

_ORDER = SortOrder((Report.created_at, Report.id), descending=True)


def submit(
    session: Session,
    site: Site,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
    *,
    visitor_hash: str,
    locale: str = "en",
) -> tuple[Report, bool]:
    """Record a visitor's report of a published item; returns it and whether it is new.

    The item is locked first (as every writer of it does), so concurrent reports count
    exactly and the threshold holds the item once."""
    model = MODELS[object_type]
    item = _locked(
        session,
        object_type,
        sa.select(model).where(
            model.id == object_id, model.site_id == site.id, model.status == Status.PUBLISHED
        ),
    )
    if item is None:
        raise Problem(404, f"There is no {object_type} {object_id!r}.")
    existing = _of_visitor(session, object_id, visitor_hash)
    if existing is not None:
        return existing, False
    report = Report(
        site_id=site.id,
        object_type=object_type,
        object_id=object_id,
        reason=data["reason"],
        details=data.get("details"),
        email=data.get("email"),
        locale=locale,
        visitor_hash=visitor_hash,
        status=ReportStatus.OPEN,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError:  # the same visitor's concurrent report won the race
        found = _of_visitor(session, object_id, visitor_hash)
        assert found is not None
        return found, False
    item.reports_open += 1
    session.flush()
    threshold = site.report_threshold
    if threshold and item.reports_open >= threshold:
        note = f"Held for review: {item.reports_open} open reports."
        with audit.acting_as(audit.SYSTEM):  # the threshold's doing, not the visitor's
            moderation.set_item_status(session, site, model, [item.id], Status.PENDING, note=note)
    events.emit(session, site, "report.created", report)
    return report, True


def _locked(session: Session, object_type: str, stmt: sa.Select[Any]) -> Any:
    """The item ``stmt`` selects, locked; a comment's review is locked before it, the
    order every writer of comments takes (``moderation.lock_reviews``)."""
    model = MODELS[object_type]
    if model is Comment:
        review_ids = session.scalars(stmt.with_only_columns(Comment.review_id))
        moderation.lock_reviews(session, review_ids)
    return session.scalar(stmt.with_for_update(of=model))


def _of_visitor(session: Session, object_id: str, visitor_hash: str) -> Report | None:
    return session.scalar(
        sa.select(Report).where(Report.object_id == object_id, Report.visitor_hash == visitor_hash)
    )


def list_reports(
    session: Session, site: Site, query: dict[str, Any]
) -> tuple[list[Report], str | None]:
    """A page of the site's reports, newest first (``status``: open, kept, removed, all)."""
    stmt = sa.select(Report).where(Report.site_id == site.id)
    status = query.get("status") or "all"
    if status != "all":
        stmt = stmt.where(Report.status == ReportStatus(status))
    if query.get("object_id"):
        stmt = stmt.where(Report.object_id == query["object_id"])
    filters = {k: query.get(k) for k in ("status", "object_id")}
    return paginate(
        session,
        stmt,
        _ORDER,
        limit=query["limit"],
        cursor=query.get("cursor"),
        query_fingerprint=fingerprint(kind="admin-reports", site=site.id, **filters),
    )


def get(session: Session, site: Site, report_id: str) -> Report:
    report = session.scalar(
        sa.select(Report).where(Report.id == report_id, Report.site_id == site.id)
    )
    if report is None:
        raise Problem(404, f"There is no report {report_id!r}.")
    return report


def item_of(session: Session, report: Report) -> Review | Comment | None:
    """The reported item, or None once it is deleted."""
    return session.get(MODELS[report.object_type], report.object_id)


def decide(
    session: Session, site: Site, report_id: str, decision: str, note: str | None = None
) -> list[Report]:
    """Decide every open report of ``report_id``'s item; returns the reports decided.

    409 when the item's reports are all decided already, or the item is gone."""
    report = get(session, site, report_id)
    model = MODELS[report.object_type]
    item = _locked(
        session, report.object_type, sa.select(model).where(model.id == report.object_id)
    )
    open_reports = list(
        session.scalars(
            sa.select(Report)
            .where(Report.object_id == report.object_id, Report.status == ReportStatus.OPEN)
            .order_by(Report.created_at, Report.id)
            .with_for_update()
        )
    )
    if item is None or not open_reports:
        raise Problem(
            409,
            f"The reports on {report.object_id} are decided already"
            + (" (the item was deleted)." if item is None else "."),
        )
    reason = None
    if decision == "remove":
        reasons = Counter(REJECTION_FOR[r.reason] for r in open_reports)
        reason = reasons.most_common(1)[0][0]
        moderation.set_item_status(
            session, site, model, [item.id], Status.REJECTED, reason=reason, note=note
        )
    elif item.status == Status.PENDING:
        # Held by the reports (or waiting anyway): kept means it is shown.
        moderation.set_item_status(session, site, model, [item.id], Status.PUBLISHED, note=note)
    now = utcnow()
    actor = audit.current_actor()
    outcome = ReportStatus.REMOVED if decision == "remove" else ReportStatus.KEPT
    for open_report in open_reports:
        open_report.status = outcome
        open_report.note = note
        open_report.decided_at = now
        open_report.decided_by = actor.label
    session.execute(sa.update(model).where(model.id == item.id).values(reports_open=0))
    audit.record(
        session,
        site,
        "report.decided",
        item.id,
        to_value=outcome.value,
        note=note,
        reason=reason,
    )
    session.flush()
    for decided in open_reports:
        events.emit(session, site, "report.decided", decided)
    return open_reports
