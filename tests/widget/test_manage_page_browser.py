"""The author's page ``/m/<token>`` in real Chromium (issue 16).

An author changes their review, appeals a rejection, downloads their data and deletes
a review, with the keyboard only (Tab, arrow keys on the stars, Enter), at a phone's
width and a desktop's; every state (the page, its errors, the notices, the
confirmation, the 404 and 410 pages) is axe-clean (WCAG 2.2 A/AA) at both. Chromium
posts the forms with this server's own ``Origin`` (the referrer goes to this server
only: over plain http it sends no ``Sec-Fetch-Site``, and ``Origin: null`` would be
refused). No request leaves the server's origin and nothing breaks the CSP (the
``watched`` fixture of the hosted review page's test).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import Plaudit, off_loop
from .test_invitations import admin, secret_key
from .test_review_page_browser import DESKTOP, PHONE, fits, served, watched

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect

__all__ = ["served", "watched"]  # fixtures, used by name


def submitted(plaudit: Plaudit, slug: str, **fields: Any) -> tuple[str, str]:
    """A review sent through the public API: its id and its manage page's URL."""
    body = {"rating": 5, "body": "Grinds evenly.", "author_name": "Ada", **fields}

    def send() -> Any:
        client = plaudit.app.test_client()
        response = client.post(f"/api/v1/sites/{slug}/products/sku-1/reviews", json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    answer = off_loop(send)
    return answer["review"]["id"], plaudit.origin + urlsplit(answer["manage_url"]).path


def stored(plaudit: Plaudit, review_id: str) -> bool:
    """Whether the review is still in the database (call it through ``off_loop``)."""
    from plaudit_server.extensions import db
    from plaudit_server.models import Review

    with plaudit.app.app_context():
        return db.session.get(Review, review_id) is not None


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_edit_then_delete_with_the_keyboard(
    watched: tuple[Any, list[str]], served: Plaudit, axe: Any, viewport: dict[str, int]
) -> None:
    page, requested = watched
    page.set_viewport_size(viewport)
    slug = served.site(moderation="pre")
    review_id, url = submitted(served, slug, title="Good <b>mill</b>")

    response = page.goto(url)
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "same-origin"
    expect(page.get_by_role("heading", level=1)).to_have_text("Your review of sku-1")
    expect(page.locator(".status-headline")).to_have_text("Waiting for the shop's check")
    expect(page.locator(".stored-title")).to_have_text("Good <b>mill</b>")  # as text
    axe(page)
    fits(page)

    # An error first: the text emptied, the page comes back with a focused summary.
    page.keyboard.press("Tab")
    expect(page.locator("#edit-rating-5")).to_be_focused()  # the chosen star: one stop
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    body = page.get_by_label("Your review")
    expect(body).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save changes")).to_be_focused()
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.keyboard.press("Enter")
    assert posted.value.headers.get("origin") == served.origin  # never "null"
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Write a few words about it."])
    assert page.title().startswith("Error: ")
    axe(page)
    fits(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the summary's link: to the field it names
    expect(body).to_be_focused()

    # Now a real change: two stars fewer, a new text, sent with Enter.
    page.keyboard.type("Grinds evenly, but <loud>.")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#edit-rating-5")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#edit-rating-3")).to_be_checked()
    for _ in range(4):  # the title, the text, the name, the button
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save changes")).to_be_focused()
    page.keyboard.press("Enter")
    done = page.locator("#done")
    expect(done).to_be_focused()
    expect(done).to_have_text("Saved. Your change waits for the shop's check.")
    expect(page.locator(".stored-body")).to_have_text("Grinds evenly, but <loud>.")
    expect(page.locator(".stars-shown")).to_have_text("★★★☆☆")
    axe(page)
    fits(page)

    # The download, by keyboard: everything stored, as a JSON file.
    link = page.get_by_role("link", name="Download my data (JSON)")
    link.focus()
    with page.expect_download() as downloading:
        page.keyboard.press("Enter")
    download = downloading.value
    assert download.suggested_filename == f"plaudit-{review_id}.json"
    document = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert document["review"]["body"] == "Grinds evenly, but <loud>."

    # Delete: a confirmation page first, then for good.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Delete for good…")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your review for good?")
    axe(page)
    fits(page)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Delete for good")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Deleted")).to_be_visible()
    axe(page)
    assert off_loop(stored, served, review_id) is False
    gone = page.goto(url)
    assert gone is not None and gone.status == 410
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    axe(page)
    fits(page)
    assert any(u.startswith(served.origin + "/static/public/manage.css") for u in requested)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_rejection_appealed_with_the_keyboard(
    watched: tuple[Any, list[str]], served: Plaudit, axe: Any, viewport: dict[str, int]
) -> None:
    page, _ = watched
    page.set_viewport_size(viewport)
    slug = served.site()
    review_id, url = submitted(served, slug)
    status, data = admin(
        served,
        secret_key(served, slug),
        "PATCH",
        f"/api/v1/admin/reviews/{review_id}",
        {"status": "rejected", "reason": "off_topic", "note": "This is about another shop."},
    )
    assert status == 200, data
    page.goto(url)
    expect(page.locator(".status-headline")).to_have_text(
        "Not published: it is not about the product or the shop."
    )
    expect(page.get_by_text("This is about another shop.")).to_be_visible()
    axe(page)
    fits(page)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your message to the shop")).to_be_focused()
    page.keyboard.type("It is about this grinder, bought here.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send my appeal")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#done")).to_have_text(
        "Your appeal is sent. The shop will look at it again."
    )
    expect(page.locator(".status-headline")).to_have_text("Waiting for the shop's check")
    expect(page.get_by_text("It is about this grinder, bought here.")).to_be_visible()
    expect(page.get_by_label("Your message to the shop")).to_have_count(0)  # once
    axe(page)
    fits(page)

    missing = page.goto(served.origin + "/m/not-a-valid-token")
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", name="Link not valid")).to_be_visible()
    axe(page)
    fits(page)
