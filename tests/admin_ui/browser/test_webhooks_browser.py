"""The Webhooks section and the notification settings in real Chromium, by keyboard.

A webhook is added to a real local receiver (``hook_sink``), its secret copied, a test
event sent and seen as "Succeeded" with status 200 in the deliveries table (and
verified by the ``standardwebhooks`` package with the copied secret); then a refused
form, disabling, deleting after the confirmation page. axe-core (WCAG 2.2 A/AA) at
1280 and 375 px wide, with no sideways scrolling on the phone; no script errors and no
CSP violations (the console would show them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import standardwebhooks
from flask import Flask

from hooksink import HookSink

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    """Webhooks may go to the loopback receiver."""
    return app_factory(WEBHOOKS_ALLOW_PRIVATE=True)


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


def both_widths(page: Any, axe: Callable[..., Any], within: str = "body") -> None:
    """axe-clean wide and on a phone, where nothing of ``within`` sticks out sideways
    (a wide table scrolls in its own region); back to wide."""
    page.set_viewport_size(WIDE)
    axe(page)
    page.set_viewport_size(PHONE)
    axe(page)
    wide = page.evaluate(
        """([within, width]) => Array.from(document.querySelectorAll(within + ', ' + within + ' *'))
            .filter(e => !(e.parentElement && e.parentElement.closest('.table-scroll')))
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .map(e => e.tagName + '.' + e.className + '#' + e.id)""",
        [within, PHONE["width"]],
    )
    assert wide == [], f"{page.url}: wider than {PHONE['width']} px: {wide[:5]}"
    if within == "body":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(WIDE)


def test_add_a_webhook_and_send_a_test_event_by_keyboard(
    watched: Any,
    axe: Callable[..., Any],
    live_server: Any,
    site: Any,
    hook_sink: HookSink,
) -> None:
    url = live_server.url
    page = watched
    page.set_viewport_size(WIDE)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page.goto(f"{url}/admin/login")
    page.get_by_label("Email").fill(site.owner_email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    both_widths(page, axe)

    # A refused URL: the service's message next to the field, announced.
    page.get_by_label("Endpoint URL").fill("ftp://example.com/hooks")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.locator("#new-url-error")).to_have_text("The URL must use http or https.")
    expect(page.get_by_label("Endpoint URL")).to_have_attribute("aria-invalid", "true")
    both_widths(page, axe)

    # Add one with the keyboard alone: type the URL, Tab to the events, Space to tick.
    field = page.get_by_label("Endpoint URL")
    field.fill("")
    field.focus()
    page.keyboard.type(hook_sink.url)
    page.keyboard.press("Tab")
    everything = page.get_by_label("All events, including those added later")
    expect(everything).to_be_focused()
    page.keyboard.press("Space")  # untick "all events"
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="review.created")).to_be_focused()
    page.keyboard.press("Space")
    page.get_by_label("Description (optional)").focus()
    page.keyboard.type("Help desk <tickets>")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Signing secret")).to_be_visible()
    expect(page.get_by_text("Copy it now: it is shown this once and never again.")).to_be_visible()
    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    expect(page.locator("#webhook-url")).to_have_text(hook_sink.url)
    expect(page.get_by_text("Help desk <tickets>")).to_be_visible()
    page.get_by_role("button", name="Copy the signing secret").focus()
    page.keyboard.press("Enter")
    expect(page.locator("output[data-copy-status]")).to_have_text("Signing secret copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    both_widths(page, axe)

    # Send a test event: the receiver gets a ping signed with that secret, and the
    # deliveries table shows it succeeded with status 200.
    page.get_by_role("button", name="Send a test event").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text(
        "Test event delivered: the receiver answered 200."
    )
    (received,) = hook_sink.wait_for(1)
    event = standardwebhooks.Webhook(secret).verify(received.body, received.headers)
    assert event["type"] == "ping"
    table = page.get_by_role("table")
    row = table.get_by_role("row").nth(1)
    expect(row.get_by_role("rowheader")).to_contain_text("ping")
    expect(row.get_by_role("cell").nth(0)).to_have_text("Succeeded")
    expect(row.get_by_role("cell").nth(1)).to_have_text("1")  # attempts
    expect(row.get_by_role("cell").nth(2)).to_have_text("200")
    expect(page.get_by_role("textbox", name="Signing secret")).to_have_count(0)  # shown once only
    both_widths(page, axe)

    # Send it again by keyboard.
    page.get_by_role("button", name="Send again the ping event").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text(
        "Event ping delivered: the receiver answered 200."
    )
    expect(row.get_by_role("cell").nth(1)).to_have_text("2")
    first, second = hook_sink.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]

    # Disable (the prompt answered yes), see it on the list, enable again.
    page.get_by_role("button", name="Disable").click()
    assert page.dialogs[-1].startswith("Disable this webhook?")
    expect(page.locator("#webhook-state")).to_contain_text("Disabled by hand")
    expect(page.get_by_role("button", name="Send a test event")).to_have_count(0)
    page.get_by_role("link", name="All webhooks").click()
    listed = page.get_by_role("row", name=hook_sink.url)
    expect(listed).to_contain_text("Disabled")
    expect(listed).to_contain_text("review.created")
    both_widths(page, axe)
    listed.get_by_role("link", name=hook_sink.url).click()
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#webhook-state")).to_contain_text("Enabled")

    # Delete: a page of its own asks first.
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete this webhook for good?")).to_be_visible()
    both_widths(page, axe)
    page.get_by_role("button", name="Delete for good").click()
    expect(page.locator(".flashes")).to_contain_text("deleted, with its delivery log.")
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()


def test_notification_settings_by_keyboard(
    watched: Any, axe: Callable[..., Any], live_server: Any, site: Any
) -> None:
    url = live_server.url
    page = watched
    page.set_viewport_size(WIDE)
    page.goto(f"{url}/admin/login")
    page.get_by_label("Email").fill(site.owner_email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Settings").click()
    group = page.get_by_role("group", name="Notify me of new items waiting for moderation")
    expect(group.get_by_role("radio", name="One daily digest")).to_be_checked()
    expect(page.locator("#notify-address")).to_have_text(site.owner_email)
    # (The API keys' table further down is wider than a phone: not this form's.)
    both_widths(page, axe, "#notifications")

    group.get_by_role("radio", name="One daily digest").focus()
    page.keyboard.press("ArrowUp")  # radios move with the arrow keys
    expect(group.get_by_role("radio", name="Instantly")).to_be_checked()
    page.get_by_label("Send them to").fill("team@acme")  # the browser takes it, not the server
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_role("alert")).to_contain_text("were not saved")
    expect(page.locator("#notify-owner_email-error")).to_have_text("Not a valid email address.")
    both_widths(page, axe, "#notifications")

    page.get_by_label("Send them to").fill("team@acme.test")
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text("Notification settings saved.")
    expect(page.locator("#notify-address")).to_have_text("team@acme.test")
    expect(page.get_by_role("radio", name="Instantly")).to_be_checked()
