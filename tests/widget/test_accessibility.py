"""axe-core (the npm package) on the widget in each of its states and on the demo shop's
pages: zero WCAG 2.2 A/AA violations, in light and dark."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Plaudit
from .test_browser import badge, mount, open_page, review_form, seed, widget
from .test_layout_shift import demo  # noqa: F401  (a fixture)

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_widget_states_have_no_violations(
    page: Page, plaudit: Plaudit, axe: Any, theme: str
) -> None:
    site = plaudit.site()
    ids = seed(plaudit, site, [5, 4, 4, 2])
    plaudit.comment(site, "sku-1", body="Does it fit?", review_id=ids[0])
    plaudit.comment(site, "sku-1", body="A question for the shop")
    open_page(page, plaudit, mount(site, theme=theme) + badge(site, "sku-1"))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(4)
    expect(page.locator("[data-plaudit-stars] .n")).to_have_text("(4)")
    passes = axe(page)
    # axe looked at the buttons' names against their text (WCAG 2.5.3), in shadow roots too.
    assert "label-content-name-mismatch" in {p["id"] for p in passes}

    # The histogram's buttons: their names contain what they show (WCAG 2.5.3).
    bar = w.get_by_role("button", name="4 ★, 2 reviews")
    expect(bar).to_be_visible()
    bar.click()
    expect(w.locator(".rv")).to_have_count(2)
    axe(page)

    # The review form, empty, then with its errors shown.
    w.get_by_role("button", name="Write a review").click()
    form = review_form(w)
    axe(page)
    form.get_by_role("button", name="Submit review").click()
    expect(form.locator(".err").first).to_be_visible()
    axe(page)

    # A review's thread and the product's discussion, with a reply form open.
    w.get_by_role("button", name="Cancel").click()
    w.get_by_role("button", name="Show all reviews").click()
    w.get_by_role("button", name="1 comment").click()
    expect(w.locator(".thr .cm")).to_have_count(1)
    w.get_by_role("button", name="Show questions and comments").click()
    expect(w.locator(".disc .cm").last).to_contain_text("A question for the shop")
    w.locator(".disc").get_by_role("button", name="Reply").first.click()
    axe(page)


def test_histogram_names_contain_their_visible_text(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seed(plaudit, site, [5, 3])
    open_page(page, plaudit, mount(site))
    bars = widget(page).locator(".bar")
    expect(bars.first).to_have_attribute("aria-label", "5 ★, 1 review")
    for i in range(5):
        label = bars.nth(i).get_attribute("aria-label") or ""
        shown = bars.nth(i).inner_text().split()  # e.g. ["5", "★", "1"]
        assert label.startswith(f"{shown[0]} {shown[1]}, {shown[2]} "), (label, shown)


@pytest.mark.parametrize("path", ["/demo/", "/demo/products/grinder-aurora"])
@pytest.mark.parametrize("query", ["", "?lang=de&theme=dark"])
def test_demo_shop_has_no_violations(
    page: Page,
    demo: Plaudit,  # noqa: F811
    axe: Any,
    path: str,
    query: str,
) -> None:
    page.goto(f"{demo.origin}{path}{query}")
    expect(page.locator("[data-plaudit-stars] .n").first).not_to_have_text("( )")
    if "products" in path:
        expect(widget(page).locator(".rv")).to_have_count(9)
    axe(page)
