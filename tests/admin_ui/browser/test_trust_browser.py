"""The admin page's trust features in real Chromium, by keyboard.

Rejecting with a reason (the browser refuses a rejection without one; the note typed;
a bulk rejection through the page that asks why, and its refused note), the Reports
queue (keep and remove by keyboard, the filters, the navigation's count), the Audit log
(filtered by action) and the trust settings (a refused threshold announced). axe-core
(WCAG 2.2 A/AA) at 1280 and 375 px wide with nothing sticking out on the phone; no
script errors or CSP violations; reported text shown as text, never run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from plaudit_server.extensions import db
from plaudit_server.models import Review, Status

from ..helpers import seed_report
from .conftest import off_loop
from .test_browser import section, seed, sign_in, status
from .test_webhooks_browser import both_widths, watched  # noqa: F401  (a fixture)

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect


def report(app: Flask, slug: str, object_id: str, **fields: Any) -> str:
    return off_loop(seed_report, app, slug, object_id, **fields)


def decision_of(app: Flask, review_id: str) -> tuple[Any, ...]:
    def read() -> tuple[Any, ...]:
        with app.app_context():
            review = db.session.get(Review, review_id)
            assert review is not None
            return review.status, review.moderation_reason, review.moderation_note

    return off_loop(read)


def test_reject_with_a_reason_by_keyboard(
    watched: Any,  # noqa: F811
    axe: Callable[..., Any],
    app: Flask,
    live_server: Any,
    make_site: Callable[..., Any],
) -> None:
    page = watched
    site = make_site(moderation="pre")
    first, second, third = seed(app, site.slug, 3)
    sign_in(page, live_server.url, site.owner_email, site.password)
    expect(page.locator("li.item")).to_have_count(3)
    both_widths(page, axe)

    card = page.locator(f"#item-{first}")
    card.get_by_text("Reject…").focus()
    page.keyboard.press("Enter")  # opens the reject form
    both_widths(page, axe)
    reason = card.get_by_label("Reason (the author is told)")
    # Reject without a reason: the browser asks for one, nothing is sent.
    card.get_by_role("button", name="Reject", exact=True).focus()
    page.keyboard.press("Enter")
    assert reason.evaluate("e => e.validity.valueMissing") is True
    expect(reason).to_be_focused()
    assert status(app, Review, first) == Status.PENDING
    page.keyboard.type("Of")  # type-ahead: Offensive
    expect(reason).to_have_value("offensive")
    page.keyboard.press("Tab")
    expect(card.get_by_label("Note to the author (optional)")).to_be_focused()
    page.keyboard.type("Please keep it <civil>.")
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Reject", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text("1 review rejected.")
    assert decision_of(app, first) == (Status.REJECTED, "offensive", "Please keep it <civil>.")

    page.get_by_role("link", name=re.compile("^Rejected")).click()
    card = page.locator(f"#item-{first}")
    expect(card.locator(".decision-reason")).to_have_text("Offensive")
    expect(card.locator(".decision-note")).to_have_text("Please keep it <civil>.")
    expect(card.locator(".decision-by")).to_have_text(site.owner_email)
    both_widths(page, axe)

    # Two at once: the bulk action asks why on a page of its own.
    page.get_by_role("link", name=re.compile("^Pending")).click()
    for review_id in (second, third):
        page.locator(f"#item-{review_id}").get_by_role("checkbox").focus()
        page.keyboard.press("Space")
    expect(page.locator("output[data-selected-count]")).to_have_text("2 selected")
    page.get_by_role("button", name="Reject selected…").click()
    expect(page.get_by_role("heading", name="Reject 2 reviews: why?")).to_be_visible()
    both_widths(page, axe)
    # A note too long for the server (the field's own limit taken off): refused,
    # announced, the fields kept, nothing changed.
    page.get_by_label("Reason").select_option("not_genuine")
    note = page.get_by_label("Note to the author (optional)")
    note.evaluate("e => e.removeAttribute('maxlength')")
    note.fill("x" * 1001)
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(page.locator("#note-error")).to_have_text("Must be at most 1000 characters.")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Reason")).to_have_value("not_genuine")
    assert status(app, Review, second) == Status.PENDING
    both_widths(page, axe)
    note.fill("Written by a competitor.")
    note.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Reject")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text("2 reviews rejected.")
    expect(page.get_by_text("No pending reviews.")).to_be_visible()
    for review_id in (second, third):
        assert decision_of(app, review_id) == (
            Status.REJECTED,
            "not_genuine",
            "Written by a competitor.",
        )


def test_the_reports_queue_and_the_audit_log_by_keyboard(
    watched: Any,  # noqa: F811
    axe: Callable[..., Any],
    app: Flask,
    live_server: Any,
    site: Any,
) -> None:
    page = watched
    payload = '<img src=x onerror="alert(1)">'
    held, other = seed(app, site.slug, 2, title="Burr grinder")
    for n in range(3):
        report(app, site.slug, held, reason="fake", visitor=f"v{n}")
    report(
        app,
        site.slug,
        other,
        reason="illegal",
        visitor="v9",
        details=f"Defames me {payload}",
        email="victim@example.test",
    )
    assert status(app, Review, held) == Status.PENDING  # three reports hold it
    sign_in(page, live_server.url, site.owner_email, site.password)
    nav = page.get_by_role("navigation", name="Sections")
    expect(nav.get_by_role("link", name="Reports 4 open")).to_be_visible()
    nav.get_by_role("link", name="Reports 4 open").click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    groups = page.get_by_role("list", name="Reported items").locator("> li")
    expect(groups).to_have_count(2)
    notice = page.locator(f"#reported-{other}")
    expect(notice.locator(".report-details")).to_have_text(f"Defames me {payload}")
    expect(notice.locator(".badge-report-reason")).to_have_text("Illegal content (notice)")
    assert page.locator("main img").count() == 0
    both_widths(page, axe)

    # Keep the held review, by keyboard: a note, then Tab to Keep.
    group = page.locator(f"#reported-{held}")
    expect(group.locator(".report-entry")).to_have_count(3)
    group.get_by_label(re.compile("^Note to the reporters")).focus()
    page.keyboard.type("Checked with the order: genuine.")
    page.keyboard.press("Tab")
    expect(group.get_by_role("button", name=re.compile("^Keep"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text(
        "The review is kept and stays published: 3 reports decided."
    )
    assert status(app, Review, held) == Status.PUBLISHED
    expect(nav.get_by_role("link", name="Reports 1 open")).to_be_visible()

    # Remove the other: rejected, with the reason its report gives.
    group = page.locator(f"#reported-{other}")
    group.get_by_role("button", name=re.compile("^Remove")).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text(
        "The review is removed (rejected: Other): 1 report decided; "
        "1 reporter will hear of it by e-mail."
    )
    expect(page.get_by_text("No open reports.")).to_be_visible()
    expect(nav.get_by_role("link", name="Reports", exact=True)).to_be_visible()
    assert decision_of(app, other)[:2] == (Status.REJECTED, "other")
    page.get_by_role("navigation", name="Status").get_by_role("link", name="Kept").click()
    kept = page.locator(f"#reported-{held}")
    expect(kept.locator(".report-status")).to_have_text(["Kept"] * 3)
    expect(kept.locator(".report-note").first).to_contain_text("Checked with the order")
    expect(kept.get_by_role("button")).to_have_count(0)
    both_widths(page, axe)

    # The audit log: the decisions with the owner; filtered by typing "report.".
    section(page, "Audit log")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    both_widths(page, axe)
    page.get_by_label("Action").fill("report.")
    page.keyboard.press("Enter")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.locator(".action")).to_have_text(["report.decided", "report.decided"])
    expect(rows.nth(0).locator(".actor")).to_contain_text(site.owner_email)
    expect(rows.nth(0).locator(".to")).to_have_text("removed")
    expect(rows.nth(1).locator(".note")).to_have_text("Checked with the order: genuine.")
    both_widths(page, axe)
    rows.nth(1).locator(".object a").first.click()  # the review, still there
    expect(page).to_have_url(re.compile(rf"/reviews/{held}$"))


def test_trust_settings_by_keyboard(
    watched: Any,  # noqa: F811
    axe: Callable[..., Any],
    live_server: Any,
    site: Any,
) -> None:
    page = watched
    sign_in(page, live_server.url, site.owner_email, site.password)
    section(page, "Settings")
    threshold = page.get_by_label("Hold a published item for review after this many")
    expect(threshold).to_have_value("3")
    page.get_by_text("The default guidelines").click()
    expect(page.locator("#default-guidelines")).to_contain_text("Offensive")
    both_widths(page, axe, "#trust")

    threshold.fill("101")
    threshold.evaluate("e => e.removeAttribute('max')")  # the server checks it too
    page.get_by_label(re.compile("^Moderation guidelines")).fill(
        "We publish <all> genuine reviews."
    )
    page.get_by_role("button", name="Save report and guideline settings").click()
    expect(page.get_by_role("alert")).to_contain_text("These settings were not saved")
    expect(page.locator("#report_threshold-error")).to_contain_text("less than or equal to 100")
    expect(threshold).to_have_attribute("aria-invalid", "true")
    both_widths(page, axe, "#trust")

    threshold.fill("5")
    threshold.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text("Report and guideline settings saved.")
    expect(threshold).to_have_value("5")
    expect(page.get_by_label(re.compile("^Moderation guidelines"))).to_have_value(
        "We publish <all> genuine reviews."
    )
