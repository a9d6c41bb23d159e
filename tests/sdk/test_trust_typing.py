"""The trust features are typed precisely: what user code sees of reports, the audit
log, reasons, response metrics and the author's client passes ``mypy --strict`` with
the exact types asserted; the lists of reasons and decisions are types a checker
enforces."""

from __future__ import annotations

from pathlib import Path

import pytest

SDK = Path(__file__).parents[2] / "sdk" / "plaudit"

USAGE = """
from __future__ import annotations

import datetime as dt
from typing import assert_type

import plaudit
from plaudit.pagination import AsyncCursorPage, AsyncPaginator, CursorPage


def sync(client: plaudit.Plaudit) -> None:
    reports = client.reports.list(status=plaudit.ReportStatus.OPEN, object_id="rev_1")
    assert_type(reports, CursorPage[plaudit.Report])
    for report in reports:
        assert_type(report.status, plaudit.ReportStatus)
        assert_type(report.decided_at, dt.datetime | None)
        assert_type(report.details, str | None)
    assert_type(client.reports.get("rpt_1"), plaudit.Report)
    assert_type(client.reports.decide("rpt_1", "remove", note="why"), list[plaudit.Report])
    decision: plaudit.ReportDecision = "keep"
    client.reports.decide("rpt_1", decision)

    entries = client.audit.list(action="review.", actor_type="key", since=dt.datetime.now(dt.UTC))
    assert_type(entries, CursorPage[plaudit.AuditEntry])
    entry = entries.items[0]
    assert_type(entry.actor, plaudit.AuditActor)
    assert_type(entry.actor.type, str)
    assert_type(entry.from_value, str | None)
    assert_type(entry.at, dt.datetime)

    reason: plaudit.RejectReason = "off_topic"
    review = client.reviews.reject("rev_1", reason=reason, note="Not the product.")
    assert_type(review.moderation, plaudit.ModerationDecision | None)
    if review.moderation is not None:
        assert_type(review.moderation.at, dt.datetime | None)
    assert_type(review.reports_open, int)
    assert_type(review.appeal_message, str | None)
    assert_type(client.reviews.update("rev_1", incentivized=True).incentivized, bool)
    assert_type(client.reviews.moderate(["a"], "rejected", reason="spam", note=None), int)
    assert_type(client.comments.reject("cmt_1", reason="spam").moderation,
                plaudit.ModerationDecision | None)
    assert_type(client.comments.update("cmt_1", incentivized=False).incentivized, bool)
    assert_type(client.products.reviews("sku").items[0].incentivized, bool)
    assert_type(
        client.invitations.create(
            order_id="1", email="a@example.com", products=["sku"], incentive=True
        ).incentive,
        bool,
    )
    site = client.site.update(report_threshold=5, guidelines=None)
    assert_type(site.report_threshold, int)
    assert_type(site.guidelines, str | None)

    responses = client.stats(product="sku").responses
    assert_type(responses, plaudit.ResponseStats)
    assert_type(responses.median_hours_to_reply, float | None)
    report_ = client.transparency(site="acme-shop")
    assert_type(report_.rejected_by_reason, dict[str, int])
    assert_type(report_.reports, plaudit.ReportCounts)
    assert_type(client.guidelines(site="acme-shop").customized, bool)


def author(manage_url: str) -> None:
    with plaudit.AuthorClient.from_url(manage_url) as client:
        mine = client.get()
        assert_type(mine, plaudit.ManagedItem)
        assert_type(mine.item, plaudit.AdminReview | plaudit.AdminComment)
        assert_type(mine.can_appeal, bool)
        assert_type(client.update(rating=2, title=None).state, str)
        assert_type(client.appeal("Please look again."), plaudit.ManagedItem)
        assert_type(client.delete(), None)
    try:
        plaudit.AuthorClient("token", base_url="https://reviews.example.com").get()
    except plaudit.GoneError as gone:
        assert_type(gone.status_code, int)


async def asynchronous(client: plaudit.AsyncPlaudit, manage_url: str) -> None:
    pages = client.reports.list(status="open")
    assert_type(pages, AsyncPaginator[plaudit.Report, AsyncCursorPage[plaudit.Report]])
    async for entry in client.audit.list(object_id="rev_1"):
        assert_type(entry, plaudit.AuditEntry)
    assert_type(await client.reports.decide("rpt_1", "keep"), list[plaudit.Report])
    assert_type(await client.transparency(), plaudit.Transparency)
    async with plaudit.AsyncAuthorClient.from_url(manage_url) as author:
        assert_type(await author.get(), plaudit.ManagedItem)
"""

BAD_REASON = """
import plaudit

reason: plaudit.RejectReason = "one_star"
decision: plaudit.ReportDecision = "ignore"
"""


def _mypy(tmp_path: Path, code: str) -> tuple[int, str]:
    api = pytest.importorskip("mypy.api")
    usage = tmp_path / "usage.py"
    usage.write_text(code)
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(SDK),
            str(usage),
        ]
    )
    return status, stdout + stderr


def test_trust_types_are_precise(tmp_path):
    status, output = _mypy(tmp_path, USAGE)
    assert status == 0, output


def test_reasons_and_decisions_outside_the_lists_are_type_errors(tmp_path):
    status, output = _mypy(tmp_path, BAD_REASON)
    assert status == 1
    assert "usage.py:4: error: Incompatible types in assignment" in output
    assert "usage.py:5: error: Incompatible types in assignment" in output
