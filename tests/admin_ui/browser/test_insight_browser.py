"""The answers chart of the insight page and the public trust pages in real Chromium.

axe-core (WCAG 2.2 A/AA) at 1280 and 375 px wide with nothing sticking out on the phone
(the chart scrolls in its own region, which the keyboard reaches); the chart drawn with
its bars and dots and the month table opened by keyboard; the transparency report and
the guidelines pages in two languages; no script errors or CSP violations (the
console would show them: the pages' bars are styled by a stylesheet, never inline).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from plaudit_server.extensions import db
from plaudit_server.services import sites

from ..test_insight_responses import write_history
from .conftest import off_loop
from .test_browser import section, sign_in
from .test_webhooks_browser import both_widths, watched  # noqa: F401  (a fixture)

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect


def set_guidelines(app: Flask, slug: str, text: str) -> None:
    with app.app_context():
        sites.site_by_slug(db.session, slug).guidelines = text
        db.session.commit()


def test_answers_chart_is_drawn_reachable_and_axe_clean(
    watched: Any,  # noqa: F811
    axe: Callable[..., Any],
    app: Flask,
    live_server: Any,
    site: Any,
) -> None:
    off_loop(write_history, app, site.slug)
    page = watched
    sign_in(page, live_server.url, site.owner_email, site.password)
    section(page, "Insight")
    answers = page.get_by_role("region", name="Reply rate and time to your first answer")
    expect(answers).to_be_visible()
    chart = answers.get_by_role("img", name="Reply rate and median time to first answer")
    expect(chart).to_be_visible()
    expect(page.locator("svg.answers-chart rect")).to_have_count(2)
    expect(page.locator("svg.answers-chart circle.median")).to_have_count(2)
    # The bars take the accent colour from the stylesheet (not black: styled, not inline).
    fill = page.locator("svg.answers-chart rect").first.evaluate("e => getComputedStyle(e).fill")
    assert fill not in ("rgb(0, 0, 0)", "none")
    expect(page.locator('[data-figure="reply-rate"]')).to_have_text("67%")
    both_widths(page, axe)

    # By keyboard: the chart's region takes focus (it scrolls on a phone), then the table.
    page.set_viewport_size({"width": 375, "height": 740})
    answers.focus()
    expect(answers).to_be_focused()
    page.keyboard.press("ArrowRight")
    summary = page.get_by_text("The figures by month")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.get_by_role("region", name="Your answers by month")
    expect(table.get_by_role("row")).to_have_count(13)
    expect(table.get_by_role("row").last).to_contain_text("75%")
    both_widths(page, axe)


def test_trust_pages_are_axe_clean_in_two_languages(
    watched: Any,  # noqa: F811
    axe: Callable[..., Any],
    app: Flask,
    live_server: Any,
    site: Any,
) -> None:
    off_loop(write_history, app, site.slug)
    off_loop(
        set_guidelines,
        app,
        site.slug,
        "Our rules\nWe read every review.\n\n<script>alert('no')</script>",
    )
    page = watched
    page.goto(f"{live_server.url}/t/{site.slug}?lang=de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Transparenzbericht")
    expect(page.get_by_text("Der Shop hat auf 67")).to_be_visible()
    both_widths(page, axe)
    page.goto(f"{live_server.url}/t/{site.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Transparency report")
    both_widths(page, axe)
    page.get_by_role("link", name="How we moderate reviews").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How we moderate reviews")
    expect(page.get_by_text("<script>alert('no')</script>")).to_be_visible()
    both_widths(page, axe)
    page.goto(f"{live_server.url}/sites/{site.slug}/guidelines?lang=es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cómo moderamos las opiniones")
    both_widths(page, axe)
