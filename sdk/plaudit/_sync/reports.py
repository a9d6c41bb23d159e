# Generated from plaudit/_async/reports.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.reports``: visitors' reports of reviews and comments, and the shop's
decisions on them.

A visitor reports a published review or comment from the widget (a reason, details,
perhaps an address). Once the site's ``report_threshold`` of open reports is reached
the item goes back to pending. Deciding on one report decides on its item: every open
report of it is ``kept`` or ``removed`` together, and reporters who gave an address are
told the outcome and the note.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from .._base_client import path_segment
from .._base_resource import Pages
from .._models import Report, ReportDecision, ReportStatus
from .collection import Collection

__all__ = ["Reports"]


def _path(report_id: str, *rest: str) -> str:
    return "/".join(["admin/reports", path_segment(report_id, "report_id"), *rest])


def _reports(data: Mapping[str, Any]) -> list[Report]:
    """The reports a decision answers with: all it decided, or the one asked about."""
    if isinstance(data.get("reports"), list):
        return [Report.from_dict(item) for item in data["reports"]]
    return [Report.from_dict(data["report"])]


class Reports(Collection[Report]):
    """The site's reports (admin API)."""

    name = "reports"

    def _item(self, data: Mapping[str, Any]) -> Report:
        return Report.from_dict(data)

    def list(
        self,
        *,
        status: ReportStatus | str | None = None,
        object_id: str | None = None,
        limit: int | None = None,
    ) -> Pages[Report]:
        """The reports, newest first, page by page (see :mod:`plaudit.pagination`).

        ``status`` is ``"open"`` (the queue), ``"kept"``, ``"removed"`` or ``"all"``;
        ``object_id`` keeps the reports of one review or comment; ``limit`` is the page
        size (1-100).
        """
        return self._list({"status": status, "object_id": object_id, "limit": limit})

    def get(self, report_id: str) -> Report:
        """One report by id; :class:`~plaudit.NotFoundError` if it is not this site's."""
        data = self._client.request("GET", _path(report_id))
        inner = data.get("report")
        return Report.from_dict(inner if isinstance(inner, Mapping) else data)

    def decide(
        self,
        report_id: str,
        decision: ReportDecision | str,
        *,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> builtins.list[Report]:
        """Decide on the item a report is about, for every open report of it; returns
        the reports decided.

        ``"keep"`` leaves the item up (published again if the reports had held it);
        ``"remove"`` rejects it, with a reason taken from the reports. ``note`` is the
        why told to reporters who gave an address (and recorded in the audit log).
        Deciding on an item already decided raises :class:`~plaudit.ConflictError`.
        """
        body: dict[str, Any] = {"decision": decision}
        if note is not None:
            body["note"] = note
        data = self._client.request(
            "POST", _path(report_id, "decide"), json=body, idempotency_key=idempotency_key
        )
        return _reports(data)
