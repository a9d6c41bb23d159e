"""Invitation links on the shop's own pages (issue 14): a page opened with
``?plaudit_invite=TOKEN`` sends the token with the review, which makes it a verified
buyer's; a token the server refuses is shown as a field error and then dropped.

Invitations are made through the admin API with the site's secret key, and the token is
the last segment of the invitation's ``url`` (``/r/{token}``), as a shop would get it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import Plaudit, off_loop
from .test_browser import mount, real_errors, review_form
from .test_store import store_mount, store_path

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

PRODUCT = "sku-1"
NOTE = "You are reviewing as a verified buyer."
BAD = "This invitation link is not valid here. Submit again to post your review without it."


def secret_key(plaudit: Plaudit, slug: str) -> str:
    """A new secret key for the site (the fixture's site() does not hand its first out)."""

    def make() -> str:
        from plaudit_server.extensions import db
        from plaudit_server.services import sites

        with plaudit.app.app_context():
            site = sites.site_by_slug(db.session, slug)
            _, secret = sites.create_api_key(db.session, site)
            db.session.commit()
            return str(secret)

    result: str = off_loop(make)
    return result


def admin(plaudit: Plaudit, key: str, method: str, path: str, body: Any = None) -> Any:
    def send() -> tuple[int, Any]:
        response = plaudit.app.test_client().open(
            path, method=method, json=body, headers={"Authorization": f"Bearer {key}"}
        )
        return response.status_code, response.get_json()

    return off_loop(send)


def invite(
    plaudit: Plaudit, slug: str, products: list[str], order_id: str = "order-1"
) -> tuple[str, str]:
    """A new invitation of the site: (its id, its token)."""
    key = secret_key(plaudit, slug)
    status, data = admin(
        plaudit,
        key,
        "POST",
        "/api/v1/admin/invitations",
        {"order_id": order_id, "email": "buyer@example.com", "name": "Bea", "products": products},
    )
    assert status == 201, data
    invitation = data["invitation"]
    return invitation["id"], invitation["url"].rstrip("/").rsplit("/", 1)[1]


def invitation_status(plaudit: Plaudit, slug: str, invitation_id: str) -> str:
    status, data = admin(
        plaudit, secret_key(plaudit, slug), "GET", f"/api/v1/admin/invitations/{invitation_id}"
    )
    assert status == 200, data
    result: str = data["invitation"]["status"]
    return result


def open_invited(
    page: Page, plaudit: Plaudit, body: str, token: str | None, lang: str = "en"
) -> dict[str, list[Any]]:
    """A shop page with the widget, opened from an invitation link (?plaudit_invite=).
    Returns the page's errors and the JSON bodies the widget POSTed, by URL."""
    seen: dict[str, list[Any]] = {"errors": [], "posts": []}
    page.on("pageerror", lambda exc: seen["errors"].append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: msg.type == "error" and seen["errors"].append(f"console: {msg.text}"),
    )
    page.on(
        "request",
        lambda req: (
            req.method == "POST"
            and seen["posts"].append((req.url, json.loads(req.post_data or "null")))
        ),
    )
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>'
        f"</head><body><h1>A shop</h1>{body}{plaudit.script}</body></html>"
    )
    url = plaudit.shop.page(html)
    page.goto(url + (f"?utm_source=mail&plaudit_invite={quote(token)}" if token else ""))
    return seen


def write(w: Any, *, stars: int, body: str, name: str) -> Any:
    w.get_by_role("button", name="Write a review").click()
    form = review_form(w)
    form.get_by_role("radio", name=f"{stars} stars").check()
    form.get_by_label("Your review").fill(body)
    form.get_by_label("Your name").fill(name)
    return form


def test_invited_review_is_verified_and_comments_do_not_carry_the_token(
    page: Page, plaudit: Plaudit, axe: Any
) -> None:
    site = plaudit.site()
    invitation_id, token = invite(plaudit, site, [PRODUCT, "sku-2"])
    seen = open_invited(page, plaudit, mount(site, PRODUCT), token)
    w = page.locator("[data-plaudit-reviews]")
    expect(w.locator(".cnt")).to_have_text("0 reviews")
    form = write(w, stars=5, body="Exactly as described.", name="Bea")
    expect(form.get_by_text(NOTE)).to_be_visible()
    # Heard on the way to sending, not only when reading the form.
    expect(form.get_by_role("button", name="Submit review")).to_have_accessible_description(NOTE)
    axe(page)
    form.get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    expect(w.get_by_text("No reviews yet.")).to_have_count(0)

    url, body = seen["posts"][0]
    assert url == f"{plaudit.origin}/api/v1/sites/{site}/products/{PRODUCT}/reviews"
    assert body == {
        "rating": 5,
        "body": "Exactly as described.",
        "author_name": "Bea",
        "invite": token,
    }
    review = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")["reviews"][0]
    assert review["verified_buyer"] is True
    assert invitation_status(plaudit, site, invitation_id) == "reviewed"

    # The badge on the new review, read as words (the check mark is decoration).
    item = w.locator(".rv").first
    expect(item.locator(".vb")).to_have_text("✓ Verified buyer")
    expect(item.locator(".vb")).to_match_aria_snapshot("- text: Verified buyer")
    axe(page)

    # A comment from the same page goes without the token.
    w.get_by_role("button", name="Show questions and comments").click()
    disc = w.locator(".disc")
    disc.get_by_label("Your comment").fill("Does it come with a spare?")
    disc.get_by_label("Your name").fill("Bea")
    disc.get_by_role("button", name="Post comment").click()
    expect(disc.get_by_text("Thank you! Your comment is published.")).to_be_visible()
    url, body = seen["posts"][1]
    assert url.endswith(f"/products/{PRODUCT}/comments")
    assert "invite" not in body
    assert len(seen["posts"]) == 2
    assert real_errors(seen) == []


def test_invited_store_review_is_verified(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    invitation_id, token = invite(plaudit, site, [PRODUCT])
    seen = open_invited(page, plaudit, store_mount(site), token)
    w = page.locator("[data-plaudit-reviews]")
    form = write(w, stars=4, body="Friendly shop.", name="Bea")
    expect(form.get_by_text(NOTE)).to_be_visible()
    form.get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    expect(w.locator(".rv").first.locator(".vb")).to_have_text("✓ Verified buyer")
    assert seen["posts"][0][0] == f"{plaudit.origin}{store_path(site)}"
    assert seen["posts"][0][1]["invite"] == token
    review = plaudit.get(store_path(site))["reviews"][0]
    assert review["verified_buyer"] is True and review["product"] is None
    assert invitation_status(plaudit, site, invitation_id) == "reviewed"
    assert real_errors(seen) == []


def test_second_review_from_one_invitation_replaces_the_first(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1, rating=5, body="Someone else's")
    _, token = invite(plaudit, site, [PRODUCT])
    seen = open_invited(page, plaudit, mount(site, PRODUCT), token)
    w = page.locator("[data-plaudit-reviews]")
    expect(w.locator(".cnt")).to_have_text("1 review")
    write(w, stars=2, body="First thoughts.", name="Bea").get_by_role(
        "button", name="Submit review"
    ).click()
    expect(w.locator(".rv .b")).to_have_text(["First thoughts.", "Someone else's"])
    expect(w.locator(".big")).to_have_text("3.5")
    write(w, stars=4, body="Second thoughts.", name="Bea").get_by_role(
        "button", name="Submit review"
    ).click()
    expect(w.locator(".rv .b")).to_have_text(["Second thoughts.", "Someone else's"])
    expect(w.locator(".cnt")).to_have_text("2 reviews")
    expect(w.locator(".big")).to_have_text("4.5")
    expect(w.get_by_role("button", name="2 ★, 0 reviews")).to_be_disabled()
    expect(w.locator(".rv").first.locator(".vb")).to_have_text("✓ Verified buyer")
    assert [body["invite"] for _, body in seen["posts"]] == [token, token]
    data = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")
    assert data["summary"]["count"] == 2 and data["summary"]["average"] == 4.5
    assert [r["body"] for r in data["reviews"]] == ["Second thoughts.", "Someone else's"]
    assert real_errors(seen) == []


@pytest.mark.parametrize("kind", ["unknown", "other-product", "other-site"])
def test_refused_token_is_a_field_error_then_the_review_goes_without_it(
    page: Page, plaudit: Plaudit, axe: Any, kind: str
) -> None:
    site = plaudit.site()
    if kind == "unknown":
        token = "not-a-real-token-0123456789"
    elif kind == "other-product":
        _, token = invite(plaudit, site, ["sku-2"])
    else:
        _, token = invite(plaudit, plaudit.site("other-shop"), [PRODUCT])
    seen = open_invited(page, plaudit, mount(site, PRODUCT), token)
    w = page.locator("[data-plaudit-reviews]")
    form = write(w, stars=2, body="Not what I hoped.", name="Cy")
    expect(form.get_by_text(NOTE)).to_be_visible()
    form.get_by_role("button", name="Submit review").click()
    error = form.get_by_text(BAD)
    expect(error).to_be_visible()
    expect(error).to_be_focused()
    expect(form.get_by_text(NOTE)).to_be_hidden()
    expect(form.get_by_role("button", name="Submit review")).to_have_accessible_description(BAD)
    expect(w.locator("[aria-live]")).to_have_text("Please correct the marked fields.")
    # Nothing typed is lost.
    expect(form.get_by_label("Your review")).to_have_value("Not what I hoped.")
    expect(form.get_by_role("radio", name="2 stars")).to_be_checked()
    assert plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")["summary"]["count"] == 0
    axe(page)

    form.get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    assert [body.get("invite") for _, body in seen["posts"]] == [token, None]
    review = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")["reviews"][0]
    assert review["body"] == "Not what I hoped." and review["verified_buyer"] is False
    expect(w.locator(".rv").first.locator(".vb")).to_have_count(0)
    assert real_errors(seen) == []


@pytest.mark.parametrize(
    ("lang", "note", "bad"),
    [
        (
            "de",
            "Ihre Bewertung wird als verifizierter Kauf gekennzeichnet.",
            "Dieser Einladungslink",
        ),
        ("fr", "Votre avis sera marqué comme achat vérifié.", "Ce lien d\u2019invitation"),
        ("es", "Tu opinión se marcará como compra verificada.", "Este enlace de invitación"),
    ],
)
def test_note_and_refusal_in_the_pages_language(
    page: Page, plaudit: Plaudit, lang: str, note: str, bad: str
) -> None:
    site = plaudit.site()
    seen = open_invited(page, plaudit, mount(site, PRODUCT), "bogus-token", lang=lang)
    w = page.locator("[data-plaudit-reviews]")
    w.locator(".tools .btn.pri").click()
    form = review_form(w)
    expect(form.get_by_text(note)).to_be_visible()
    form.locator('input[type="radio"][value="4"]').check()
    form.locator("textarea").fill("Gut / Bien")
    form.locator('input[name="author_name"]').fill("Eva")
    form.locator('button[type="submit"]').click()
    expect(form.locator(".err").filter(has_text=bad)).to_be_focused()
    expect(form.get_by_text(note)).to_be_hidden()
    assert seen["posts"][0][1]["invite"] == "bogus-token"
    assert real_errors(seen) == []


def test_without_a_token_there_is_no_note_and_no_invite(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seen = open_invited(page, plaudit, mount(site, PRODUCT), None)
    w = page.locator("[data-plaudit-reviews]")
    form = write(w, stars=5, body="Lovely.", name="Di")
    expect(form.get_by_text(NOTE)).to_have_count(0)
    expect(form.get_by_role("button", name="Submit review")).to_have_accessible_description("")
    form.get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    assert "invite" not in seen["posts"][0][1]
    assert real_errors(seen) == []
