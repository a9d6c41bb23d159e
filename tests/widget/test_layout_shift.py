"""Embedding the widget must not move the shop's page: on a first visit (new browser
context, cold cache) to the demo shop's pages, at a phone's width and a desktop's, the
cumulative layout shift until the badges and the reviews widget have rendered stays
under 0.05 (Lighthouse calls under 0.1 good). The shop reserves the space with the one
line of CSS in widget/README.md, which the demo templates use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import Plaudit, off_loop

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect

# Layout shifts the browser reports, from the very start of the page (installed before
# any of the page's scripts run), excluding those right after input.
OBSERVE = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) window.__shifts.push({
      value: e.value,
      sources: (e.sources || []).map((s) => (s.node && (s.node.id || s.node.className
        || s.node.nodeName)) + ' ' + JSON.stringify(s.previousRect) + ' -> '
        + JSON.stringify(s.currentRect)),
    });
  }
}).observe({ type: 'layout-shift', buffered: true });
"""
# Two frames after the last render, so its layout shifts have been reported.
SETTLE = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

WIDTHS = [(412, 915), (1280, 800)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(plaudit: Plaudit) -> Plaudit:
    from plaudit_server.demo import create_demo

    def make_demo() -> None:
        with plaudit.app.app_context():
            create_demo([plaudit.origin])

    off_loop(make_demo)
    return plaudit


def shift_of(widget_browser: Any, url: str, size: tuple[int, int], rendered: Any) -> float:
    """The layout shift of a first visit to ``url``, once ``rendered(page)`` returned."""
    context = widget_browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        page.add_init_script(OBSERVE)
        page.goto(url)
        rendered(page)
        page.evaluate(SETTLE)
        page.wait_for_timeout(200)  # a late reflow (fonts, images) would show here too
        page.evaluate(SETTLE)
        shifts = page.evaluate("window.__shifts")
    finally:
        context.close()
    total = sum(s["value"] for s in shifts)
    assert total < 0.05, f"layout shift {total:.3f} at {size[0]} px on {url}: {shifts}"
    return float(total)


@pytest.mark.parametrize("size", WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
@pytest.mark.parametrize(("query", "count"), [("", "9 reviews"), ("?lang=de", "9 Bewertungen")])
def test_demo_product_page_does_not_move(
    widget_browser: Any, demo: Plaudit, size: Any, query: str, count: str
) -> None:
    """German comes in a chunk: the widget renders later, in the same reserved space."""

    def rendered(page: Any) -> None:
        expect(page.locator("[data-plaudit-reviews] .cnt")).to_have_text(count)
        expect(page.locator("[data-plaudit-reviews] .rv")).to_have_count(9)
        expect(page.locator("[data-plaudit-stars] .n")).to_have_text("(9)")

    url = f"{demo.origin}/demo/products/grinder-aurora{query}"
    shift_of(widget_browser, url, size, rendered)


@pytest.mark.parametrize("size", WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
def test_demo_listing_does_not_move(widget_browser: Any, demo: Plaudit, size: Any) -> None:
    def rendered(page: Any) -> None:
        badges = ["(3)", "(9)", "(6)", "(4)", "(7)"]  # the shop's, then the products'
        expect(page.locator("[data-plaudit-stars] .n")).to_have_text(badges)
        expect(page.locator("[data-plaudit-reviews] .rv")).to_have_count(3)

    shift_of(widget_browser, f"{demo.origin}/demo", size, rendered)


def reserve_line() -> str:
    """The one line of CSS widget/README.md tells shops to add."""
    readme = (ROOT / "widget" / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```css\n(\[data-plaudit-stars\].*)\n```", readme)
    assert found, "widget/README.md has lost its line of CSS"
    return found.group(1)


def test_the_demo_uses_the_documented_line() -> None:
    base = ROOT / "server" / "plaudit_server" / "templates" / "demo" / "base.html"
    assert reserve_line() in base.read_text(encoding="utf-8")


@pytest.mark.parametrize("size", WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
def test_mounts_render_at_the_size_the_line_reserves(
    widget_browser: Any, plaudit: Plaudit, size: Any
) -> None:
    """With the line, what follows a badge and the reviews widget of a product without
    reviews yet is where it was before the script ran (the script and the answers are
    held until that is measured). Reviews, when there are some, grow the widget below."""
    site = plaudit.site()
    plaudit.review(site, "sku-1", 0, rating=4, body="Short.")
    context = widget_browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        held: list[Any] = []
        released = False

        def hold(route: Any) -> None:
            if released:
                route.continue_()
            else:
                held.append(route)

        page.route(f"{plaudit.origin}/**", hold)
        page.goto(
            plaudit.shop.page(
                f"<!doctype html><html lang=en><head><style>{reserve_line()}</style></head>"
                f'<body><p><span data-plaudit-stars data-site="{site}" data-product="sku-1">'
                f"</span><span id=beside>beside</span></p>"
                f'<div data-plaudit-reviews data-site="{site}" data-product="sku-new"></div>'
                f"<p id=below>below</p>{plaudit.script}</body></html>"
            ),
            wait_until="domcontentloaded",  # the held async script holds back "load"
        )
        places = (
            "() => ['beside', 'below'].map((id) => document.getElementById(id)"
            ".getBoundingClientRect()).map((r) => [r.x, r.y])"
        )
        before = page.evaluate(places)
        assert held  # the script itself is held: nothing of the widget has run
        released = True
        for route in held:
            route.continue_()
        expect(page.locator("[data-plaudit-reviews] .cnt")).to_have_text("0 reviews")
        expect(page.locator("[data-plaudit-stars] .n")).to_have_text("(1)")
        page.evaluate(SETTLE)
        assert page.evaluate(places) == before
    finally:
        context.close()
