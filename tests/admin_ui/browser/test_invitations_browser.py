"""The Invitations section and the shop's reviews in real Chromium, by keyboard.

axe-core (WCAG 2.2 A/AA) on the section empty, with a refused form, with an upload
report and with its list; the shop-review filter and the insight figures. No script
errors and no CSP violations (the console would show them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from plaudit_server.models import STORE

from ..helpers import seed_reviews
from .conftest import off_loop

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect

CSV = (
    "\ufefforder_id,email,name,products\r\n"
    "K-2,grace@example.com,Grace Hopper,sku-1|sku-2\r\n"
    "K-3,not-an-address,Bob,sku-1\r\n"
    "K-1,again@example.com,Again,sku-1\r\n"
    "K-4,linus@example.com,,sku-3\r\n"
)


@pytest.fixture
def watched(page: Any) -> Iterator[Any]:
    """The page, failing the test on any script error or console error (a CSP violation
    is one). Confirmation prompts are answered yes and recorded."""
    problems: list[str] = []
    page.dialogs = []

    def on_dialog(dialog: Any) -> None:
        page.dialogs.append(dialog.message)
        dialog.accept()

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("dialog", on_dialog)
    page.on("console", on_console)
    yield page
    assert problems == []


def api_invitations(app: Flask, api_key: str) -> dict[str, dict[str, Any]]:
    def call() -> dict[str, dict[str, Any]]:
        response = app.test_client().get(
            "/api/v1/admin/invitations?limit=100", headers={"Authorization": f"Bearer {api_key}"}
        )
        assert response.status_code == 200
        return {i["order_id"]: i for i in response.get_json()["invitations"]}

    return off_loop(call)


def test_invitations_page_by_keyboard_and_axe_clean(
    watched: Any, axe: Callable[..., Any], app: Flask, live_server: Any, site: Any
) -> None:
    url = live_server.url
    page = watched
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page.goto(f"{url}/admin/login")
    page.get_by_label("Email").fill(site.owner_email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    expect(page.get_by_text("No invitations yet.")).to_be_visible()
    axe(page)

    # A delay first, so what is created below stays scheduled (and can be cancelled).
    page.get_by_label("Days after the order before the message goes out").fill("3")
    page.get_by_role("button", name="Save invitation settings").click()
    expect(page.locator(".flashes")).to_contain_text("Invitation settings saved.")
    expect(page.get_by_text("Empty: in 3 days")).to_be_visible()

    # Create one with the keyboard alone: type, Tab from field to field, Enter submits.
    page.get_by_label("Order ID", exact=True).focus()
    page.keyboard.type("K-1")
    page.keyboard.press("Tab")
    page.keyboard.type("ada@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("Ada Lovelace")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Products")).to_be_focused()
    page.keyboard.type("sku-1, sku-2")
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("Invitation for order K-1 created")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="K-1"))
    expect(row.get_by_text("Scheduled", exact=True)).to_be_visible()
    created = api_invitations(app, site.api_key)["K-1"]
    assert created["products"] == ["sku-1", "sku-2"]
    expect(row.get_by_label("Review link for order K-1")).to_have_value(created["url"])
    axe(page)

    # The same order again: refused, the error announced and the form kept.
    page.get_by_label("Order ID", exact=True).fill("K-1")
    page.get_by_label("Buyer's email").fill("eve@example.com")
    page.get_by_label("Products").fill("sku-9")
    page.get_by_role("button", name="Create invitation").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Order 'K-1' already has an invitation ({created['id']})."
    )
    expect(page.get_by_label("Buyer's email")).to_have_value("eve@example.com")
    axe(page)

    # A CSV with a byte order mark, a bad row and a duplicate: the report.
    page.get_by_label("CSV file").set_input_files(
        {"name": "orders.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    page.get_by_role("button", name="Upload and invite").click()
    expect(page.get_by_role("heading", name="Upload report: orders.csv")).to_be_visible()
    expect(page.locator("#report-summary")).to_have_text(
        re.compile(r"2 invitations created,\s+2 rows refused,\s+of 4 rows\.")
    )
    report = page.get_by_role("table", name=re.compile("^Refused rows"))
    expect(report.get_by_role("row")).to_have_count(3)  # the header and two rows
    expect(report.get_by_role("row").nth(1)).to_contain_text("3")
    expect(report.get_by_role("row").nth(1)).to_contain_text("Not a valid email address.")
    expect(report.get_by_role("row").nth(2)).to_contain_text(created["id"])
    axe(page)  # the report, and the list beside it
    assert set(api_invitations(app, site.api_key)) == {"K-1", "K-2", "K-4"}

    # Copy a link with the keyboard; the live region says so.
    page.goto(f"{url}/admin/{site.slug}/invitations")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="K-1"))
    copy = row.get_by_role("button", name="Copy the link for order K-1")
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.locator("output[data-copy-status]")).to_have_text(
        "Review link for order K-1 copied."
    )
    assert page.evaluate("navigator.clipboard.readText()") == created["url"]

    # Cancel by keyboard: Space on the focused button, the prompt answered yes.
    cancel = row.get_by_role("button", name="Cancel the invitation for order K-1")
    cancel.focus()
    page.keyboard.press("Space")
    expect(page.locator(".flashes")).to_contain_text("Invitation for order K-1 cancelled")
    assert page.dialogs == ["Cancel the invitation for order K-1? It will not be sent."]
    row = page.locator("tr", has=page.get_by_role("rowheader", name="K-1"))
    expect(row.get_by_text("Cancelled", exact=True)).to_be_visible()
    expect(row.get_by_role("button", name=re.compile("^Cancel"))).to_have_count(0)
    assert api_invitations(app, site.api_key)["K-1"]["status"] == "cancelled"

    # Filter by status, then the settings.
    page.get_by_label("Status").select_option("scheduled")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("rowheader")).to_have_count(2)
    page.get_by_label("Days the review link works").fill("30")
    page.get_by_label("Language of messages when the buyer's is not known").select_option("de")
    page.get_by_role("button", name="Save invitation settings").click()
    expect(page.locator(".flashes")).to_contain_text("Invitation settings saved.")
    expect(page.get_by_label("Days the review link works")).to_have_value("30")
    axe(page)


def test_shop_reviews_filter_and_insight_are_axe_clean(
    watched: Any, axe: Callable[..., Any], app: Flask, live_server: Any, site: Any
) -> None:
    off_loop(seed_reviews, app, site.slug, 2, product=STORE, body="Quick delivery", rating=5)
    off_loop(seed_reviews, app, site.slug, 1, product="sku-1", body="Good grinder", rating=3)
    url = live_server.url
    page = watched
    page.goto(f"{url}/admin/login")
    page.get_by_label("Email").fill(site.owner_email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/admin/{site.slug}/reviews?status=all")
    page.get_by_label("Reviews of").select_option(label="Shop")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="Shop review")).to_have_count(2)
    expect(page.get_by_text("Good grinder")).to_have_count(0)
    axe(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Insight").click()
    shop = page.get_by_role("row", name=re.compile("^The shop itself"))
    expect(shop).to_contain_text("2")
    expect(shop).to_contain_text("5.00")
    axe(page)
