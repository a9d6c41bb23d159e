"""The hosted review page ``/r/<token>`` in real Chromium (issue 14).

A buyer fills it with the keyboard only (Tab, arrow keys on the stars, Enter), at a
phone's width and a desktop's; the form, its error state, the thanks page and the
404/410 pages are axe-clean (WCAG 2.2 A/AA) at both; no request leaves the server's
origin and nothing breaks the CSP (the console would say so).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plaudit_server import review_page

from .conftest import Plaudit
from .test_invitations import admin, secret_key

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
FILLED = "rgb(180, 83, 9)"  # public.css --focus: a chosen star and the ones before it


@pytest.fixture
def served(plaudit: Plaudit) -> Plaudit:
    # Until create_app registers it itself (before the server's first request).
    if "review_page" not in plaudit.app.blueprints:
        plaudit.app.register_blueprint(review_page.bp)
    return plaudit


@pytest.fixture
def watched(page: Any, served: Plaudit) -> Iterator[tuple[Any, list[str]]]:
    """The page and the URLs it requested; any script error, console error (a CSP
    violation is one) or request to another origin fails the test."""
    problems: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))

    def on_console(message: Any) -> None:
        # A 404, 410 or 422 page is logged as a failed load: that is the page itself.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "response",
        lambda r: (
            r.request.resource_type != "document"
            and r.status >= 400
            and problems.append(f"{r.status}: {r.url}")
        ),
    )
    yield page, requested
    assert problems == []
    foreign = [u for u in requested if not u.startswith((served.origin + "/", "data:"))]
    assert foreign == []


def new_invitation(plaudit: Plaudit, slug: str, **fields: Any) -> dict[str, Any]:
    body = {
        "order_id": "order-1",
        "email": "bea@example.com",
        "name": "Bea",
        "products": ["sku-1", "sku-2"],
        **fields,
    }
    status, data = admin(
        plaudit, secret_key(plaudit, slug), "POST", "/api/v1/admin/invitations", body
    )
    assert status == 201, data
    invitation: dict[str, Any] = data["invitation"]
    return invitation


def link(plaudit: Plaudit, invitation: dict[str, Any]) -> str:
    return plaudit.origin + "/r/" + invitation["url"].rsplit("/", 1)[1]


def fits(page: Any) -> None:
    """No sideways scrolling at the page's width."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_keyboard_only_review_and_every_state_axe_clean(
    watched: tuple[Any, list[str]], served: Plaudit, axe: Any, viewport: dict[str, int]
) -> None:
    page, requested = watched
    page.set_viewport_size(viewport)
    slug = served.site()
    url = link(served, new_invitation(served, slug))

    # The error state first: sent empty, the page comes back with a focused summary.
    response = page.goto(url)
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your order from acme-shop")
    axe(page)
    fits(page)
    page.get_by_role("button", name="Send my reviews").focus()
    page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["Rate at least one item: choose the stars and write a few words."]
    )
    assert page.title().startswith("Error: ")
    axe(page)
    fits(page)
    page.keyboard.press("Tab")  # the summary's link
    expect(summary.get_by_role("link")).to_be_focused()
    page.keyboard.press("Enter")  # to the field it names
    expect(page.locator("#product-1-rating-1")).to_be_focused()

    # Keyboard only: arrows choose the stars, Tab moves on, Enter sends.
    page.goto(url)
    page.keyboard.press("Tab")
    first = page.get_by_role("radio", name="1 star").first
    expect(first).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#product-1-rating-4")).to_be_checked()
    expect(page.locator("#product-1-rating-4")).to_be_focused()
    assert (
        page.locator("label[for=product-1-rating-3]").evaluate("e => getComputedStyle(e).color")
        == FILLED
    )
    assert (
        page.locator("label[for=product-1-rating-5]").evaluate("e => getComputedStyle(e).color")
        != FILLED
    )
    page.keyboard.press("Tab")
    expect(page.get_by_label("Title (optional)").first).to_be_focused()
    page.keyboard.type("Keeps <b>going</b>")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your review").first).to_be_focused()
    page.keyboard.type("Four stars, sent without a mouse.")
    # Past the second product and into the shop's section, then the name and the button.
    for _ in range(4):  # its stars (one stop), title, text; the shop's stars
        page.keyboard.press("Tab")
    expect(page.locator("#store-rating-1")).to_be_focused()
    page.keyboard.press("ArrowRight")  # 2 stars
    page.keyboard.press("ArrowLeft")  # back to 1
    page.keyboard.press("ArrowRight")  # 2 again
    expect(page.locator("#store-rating-2")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Slow delivery.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your name")).to_be_focused()
    expect(page.get_by_label("Your name")).to_have_value("Bea")
    page.keyboard.press("Tab")  # "tell me when the shop answers"
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send my reviews")).to_be_focused()
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.keyboard.press("Enter")
    assert posted.value.headers.get("origin") == served.origin  # never "null"

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert page.url == url + "/thanks"
    expect(page.get_by_text("Published.")).to_have_count(2)
    axe(page)
    fits(page)
    product = served.get(f"/api/v1/sites/{slug}/products/sku-1/reviews")["reviews"]
    assert [(r["rating"], r["title"], r["verified_buyer"]) for r in product] == [
        (4, "Keeps <b>going</b>", True)
    ]
    store = served.get(f"/api/v1/sites/{slug}/store/reviews")["reviews"]
    assert [(r["rating"], r["body"], r["product"]) for r in store] == [(2, "Slow delivery.", None)]

    # Back to the form: what was sent is there, as text, and can be changed.
    page.get_by_role("link", name="Change your reviews").click()
    expect(page.get_by_text("You can change your review.")).to_have_count(2)
    expect(page.get_by_label("Title (optional)").first).to_have_value("Keeps <b>going</b>")
    expect(page.locator("#product-1-rating-4")).to_be_checked()
    axe(page)
    assert any(u.startswith(served.origin + "/static/public/review.css") for u in requested)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_unknown_and_closed_links_are_friendly_pages(
    watched: tuple[Any, list[str]], served: Plaudit, axe: Any, viewport: dict[str, int]
) -> None:
    page, _ = watched
    page.set_viewport_size(viewport)
    slug = served.site()
    missing = page.goto(served.origin + "/r/not-a-valid-token")
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", name="Link not valid")).to_be_visible()
    axe(page)
    fits(page)

    in_three_days = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    cancelled = new_invitation(served, slug, send_at=in_three_days, locale="de")
    key = secret_key(served, slug)
    status, data = admin(served, key, "DELETE", f"/api/v1/admin/invitations/{cancelled['id']}")
    assert status == 200 and data["invitation"]["status"] == "cancelled", data
    closed = page.goto(link(served, cancelled))
    assert closed is not None and closed.status == 410
    expect(page.get_by_role("heading", name="Dieser Link ist abgelaufen")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "de"
    axe(page)
    fits(page)
