"""The demo shop's questions and idea board in a real browser: what ``plaudit demo``
seeds, as the product page's questions block and the ideas page's roadmap and board show
it, axe-clean, without moving the page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Plaudit
from .test_layout_shift import WIDTHS, demo, shift_of  # noqa: F401  (demo: a fixture)

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect


def test_the_product_page_shows_answers_from_the_shop_and_a_verified_buyer(
    page: Page,
    demo: Plaudit,  # noqa: F811
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{demo.origin}/demo/products/grinder-aurora")
    block = page.locator("[data-plaudit-questions]")
    expect(block.locator(".qa")).to_have_count(3)  # published; the unanswered one too
    espresso = block.locator(".qa").filter(has_text="Is it fine enough for espresso")
    expect(espresso.locator(".an .own").first).to_have_text("Shop")  # the shop's first
    espresso.get_by_role("button", name="Show all 3 answers").click()
    expect(espresso.locator(".vb")).to_contain_text("Verified buyer")
    expect(espresso).to_contain_text("I pull two espresso shots a day")
    # The reviews widget has no Questions tab beside the block (no questions twice).
    expect(page.locator("[data-plaudit-reviews]").get_by_role("tab")).to_have_count(0)
    ld = page.locator('script[data-plaudit="demo/grinder-aurora/questions"]')
    document = json.loads(ld.text_content() or "{}")
    assert document["@type"] == "FAQPage" and len(document["mainEntity"]) == 2
    assert errors == []


def test_the_ideas_page_has_the_roadmap_and_the_board(
    page: Page,
    demo: Plaudit,  # noqa: F811
    axe: Any,
) -> None:
    page.goto(f"{demo.origin}/demo")
    page.get_by_role("link", name="Suggest it and vote on our roadmap").click()
    roadmap, board = page.locator("#roadmap"), page.locator("#ideas")
    for stage, title in [
        ("Under review", "A hand grinder for travelling"),
        ("Planned", "A monthly bean subscription"),
        ("In progress", "A hopper lid that fits snugly"),
        ("Shipped", "A set of six mugs"),
    ]:
        column = roadmap.get_by_role("region", name=stage)
        expect(column.locator(".idea h3")).to_have_text([title])
    # The board: every published idea, most votes first, with the shop's notes.
    expect(board.locator(".idea")).to_have_count(6)
    expect(board.locator(".idea h3").first).to_have_text("A monthly bean subscription")
    made = board.locator(".idea").filter(has_text="A hopper lid that fits snugly")
    expect(made).to_contain_text("A new lid with a silicone seal is being tested.")
    declined = board.locator(".idea").filter(has_text="Sell loose-leaf tea too")
    expect(declined).to_contain_text("We are staying a coffee shop")
    axe(page)


@pytest.mark.parametrize("size", WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
def test_the_ideas_page_does_not_move(
    widget_browser: Any,
    demo: Plaudit,  # noqa: F811
    size: Any,
) -> None:
    """The roadmap draws its four columns at once, when every stage's ideas are here:
    drawn as each answer came, a stacked column's ideas would push the next ones down."""

    def rendered(page: Any) -> None:
        expect(page.locator("#ideas .idea")).to_have_count(6)
        expect(page.locator("#roadmap .col")).to_have_count(4)

    shift_of(widget_browser, f"{demo.origin}/demo/ideas", size, rendered)
