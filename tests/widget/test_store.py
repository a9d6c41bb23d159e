"""Store reviews in the widget (``data-store``): the shop's own reviews, summary and
badge, in real headless Chromium, embedded cross-origin in a shop page (issue 14).

Store reviews are seeded through the public API (``POST /sites/{site}/store/reviews``),
the way the widget itself sends them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Plaudit, off_loop
from .test_browser import badge, mount, open_page, real_errors, review_form

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

STORE_TITLE = "Reviews of this shop"


def store_mount(site: str, **attrs: str) -> str:
    extra = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<div data-plaudit-reviews data-site="{site}" data-store {extra}></div>'


def store_badge(site: str) -> str:
    return f'<span data-plaudit-stars data-site="{site}" data-store></span>'


def store_path(site: str) -> str:
    return f"/api/v1/sites/{site}/store/reviews"


def post(plaudit: Plaudit, path: str, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
    """A POST to the live app (no Origin header: a server-side caller)."""

    def send() -> tuple[int, Any]:
        response = plaudit.app.test_client().post(path, json=body, headers=headers)
        return response.status_code, response.get_json()

    result: tuple[int, Any] = off_loop(send)
    return result


def store_review(plaudit: Plaudit, site: str, index: int, rating: int) -> str:
    """A published store review (post-moderated site); returns its id."""
    status, data = post(
        plaudit,
        store_path(site),
        {"rating": rating, "body": f"Shop review {index} rated {rating}", "author_name": "Lu"},
    )
    assert status == 201, data
    assert data["status"] == "published" and data["review"]["product"] is None
    review_id: str = data["review"]["id"]
    return review_id


def test_store_widget_and_badges_show_the_shops_own_reviews(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    for i, rating in enumerate([5, 4, 4]):
        store_review(plaudit, site, i, rating)
    plaudit.review(site, "sku-1", 9, rating=1, body="A product's review, not the shop's")

    seen = open_page(
        page,
        plaudit,
        store_badge(site)
        + store_mount(site, store_name="Acme Coffee")
        + store_badge(site)
        + badge(site, "sku-1"),
    )
    w = page.locator("[data-plaudit-reviews]")
    expect(w.get_by_role("heading", level=2)).to_have_text(STORE_TITLE)
    expect(w.locator(".rv")).to_have_count(3)
    expect(w.locator(".cnt")).to_have_text("3 reviews")
    expect(w.locator(".big")).to_have_text("4.3")
    expect(w.locator(".rv .b")).to_have_text(
        ["Shop review 2 rated 4", "Shop review 1 rated 4", "Shop review 0 rated 5"]
    )
    # No comment UI: the store has no comments endpoint.
    expect(w.locator(".disc")).to_have_count(0)
    expect(w.get_by_role("button", name="Comment")).to_have_count(0)
    expect(w.get_by_role("button", name="Show questions and comments")).to_have_count(0)
    expect(w.get_by_role("button", name="Yes (0)")).to_have_count(3)  # votes still work

    badges = page.locator("[data-plaudit-stars][data-store]")
    expect(badges.locator(".n")).to_have_text(["(3)", "(3)"])
    expect(badges.first.get_by_role("img")).to_have_attribute(
        "aria-label", f"{STORE_TITLE}: Rated 4.3 out of 5, 3 reviews"
    )
    expect(page.locator("[data-plaudit-stars]:not([data-store]) .n")).to_have_text("(1)")

    # One request for the widget and both store badges, one for the product badge.
    calls = sorted(c.split("?")[0] for c in seen["api"])
    assert calls == [
        f"GET {plaudit.origin}/api/v1/sites/{site}/store/reviews",
        f"GET {plaudit.origin}/api/v1/sites/{site}/summaries",
    ], seen["api"]

    ld = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
    assert ld["@type"] == "Organization" and ld["name"] == "Acme Coffee"
    assert ld["url"] == plaudit.shop.origin
    assert ld["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 4.33,
        "reviewCount": 3,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert [r["reviewBody"] for r in ld["review"]][-1] == "Shop review 0 rated 5"
    assert "productID" not in ld
    assert real_errors(seen) == []


def test_store_badges_alone_share_one_small_request(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    store_review(plaudit, site, 0, 5)
    store_review(plaudit, site, 1, 2)
    seen = open_page(page, plaudit, store_badge(site) * 3)
    expect(page.locator("[data-plaudit-stars] .n")).to_have_text(["(2)", "(2)", "(2)"])
    expect(page.locator("[data-plaudit-stars]").first.get_by_role("img")).to_have_attribute(
        "aria-label", f"{STORE_TITLE}: Rated 3.5 out of 5, 2 reviews"
    )
    assert seen["api"] == [f"GET {plaudit.origin}/api/v1/sites/{site}/store/reviews?limit=1"]
    assert real_errors(seen) == []


def test_store_headings_in_every_language(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    langs = {
        "en": STORE_TITLE,
        "de": "Bewertungen dieses Shops",
        "fr": "Avis sur cette boutique",
        "es": "Opiniones sobre esta tienda",
    }
    seen = open_page(
        page, plaudit, "".join(store_mount(site, lang=lang, jsonld="off") for lang in langs)
    )
    headings = page.locator("[data-plaudit-reviews]").get_by_role("heading", level=2)
    expect(headings).to_have_text(list(langs.values()))
    assert page.locator('script[type="application/ld+json"]').count() == 0
    assert real_errors(seen) == []


def test_submit_a_store_review(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    store_review(plaudit, site, 0, 5)
    posted: list[tuple[str, Any]] = []
    page.on(
        "request",
        lambda req: (
            req.method == "POST" and posted.append((req.url, json.loads(req.post_data or "null")))
        ),
    )
    seen = open_page(page, plaudit, store_mount(site) + store_badge(site))
    w = page.locator("[data-plaudit-reviews]")
    expect(w.locator(".cnt")).to_have_text("1 review")
    w.get_by_role("button", name="Write a review").click()
    form = review_form(w)
    form.get_by_role("radio", name="3 stars").check()
    form.get_by_label("Your review").fill("Quick delivery, <b>careful</b> packing.")
    form.get_by_label("Your name").fill("Mo")
    form.get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    expect(w.locator(".rv .b").first).to_have_text("Quick delivery, <b>careful</b> packing.")
    expect(w.locator(".cnt")).to_have_text("2 reviews")
    expect(w.locator(".big")).to_have_text("4.0")

    assert posted == [
        (
            f"{plaudit.origin}/api/v1/sites/{site}/store/reviews",
            {"rating": 3, "body": "Quick delivery, <b>careful</b> packing.", "author_name": "Mo"},
        )
    ]
    data = plaudit.get(store_path(site))
    assert data["summary"]["count"] == 2
    assert data["reviews"][0]["body"] == "Quick delivery, <b>careful</b> packing."
    assert data["reviews"][0]["product"] is None
    assert data["reviews"][0]["verified_buyer"] is False
    # Not counted as any product's review.
    assert (
        plaudit.get(f"/api/v1/sites/{site}/summaries?products=sku-1")["summaries"]["sku-1"]["count"]
        == 0
    )
    assert real_errors(seen) == []


def test_product_mode_is_unchanged_next_to_a_store_widget(page: Page, plaudit: Plaudit) -> None:
    """A page with both: each widget its own list, its own JSON-LD block."""
    site = plaudit.site()
    store_review(plaudit, site, 0, 2)
    plaudit.review(site, "sku-1", 1, rating=5, body="Great grinder")
    seen = open_page(page, plaudit, mount(site, product_name="Grinder") + store_mount(site))
    product_w, store_w = page.locator("[data-plaudit-reviews]").all()
    expect(product_w.get_by_role("heading", level=2)).to_have_text("Customer reviews")
    expect(product_w.locator(".rv .b")).to_have_text(["Great grinder"])
    expect(product_w.get_by_role("button", name="Show questions and comments")).to_be_visible()
    expect(store_w.get_by_role("heading", level=2)).to_have_text(STORE_TITLE)
    expect(store_w.locator(".rv .b")).to_have_text(["Shop review 0 rated 2"])
    blocks = page.locator('script[type="application/ld+json"]')
    expect(blocks).to_have_count(2)
    types = sorted(json.loads(b.text_content() or "")["@type"] for b in blocks.all())
    assert types == ["Organization", "Product"]
    page.evaluate("el => window.Plaudit.destroy(el)", store_w.element_handle())
    expect(blocks).to_have_count(1)
    assert json.loads(blocks.first.text_content() or "")["@type"] == "Product"
    assert real_errors(seen) == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_store_mode_has_no_accessibility_violations(
    page: Page, plaudit: Plaudit, axe: Any, theme: str
) -> None:
    site = plaudit.site()
    store_review(plaudit, site, 0, 4)
    store_review(plaudit, site, 1, 5)
    open_page(page, plaudit, store_mount(site, theme=theme) + store_badge(site))
    w = page.locator("[data-plaudit-reviews]")
    expect(w.locator(".rv")).to_have_count(2)
    expect(page.locator("[data-plaudit-stars] .n")).to_have_text("(2)")
    axe(page)
    w.get_by_role("button", name="Write a review").click()
    form = review_form(w)
    form.get_by_role("button", name="Submit review").click()
    expect(form.locator(".err").first).to_be_visible()
    axe(page)
