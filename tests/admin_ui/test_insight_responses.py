"""The insight page's "How you answer your customers" section, on SQLite and PostgreSQL.

Rows are written at known times (``tests/trust_rows.py``), so the headline figures, the
plain-words summary, the chart's bars and dots (and the gap in its line where a month
had no answer), the month table and the product table are all exact. The chart's
geometry is checked on its own too. Chromium and axe-core look at the section in
``browser/test_insight_browser.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from plaudit_server.admin_ui import insight
from plaudit_server.extensions import db
from plaudit_server.services import sites
from trust_rows import NOW, Rows

ADMIN = "/admin"


def month_start(back: int) -> datetime:
    year, month = NOW.year, NOW.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return NOW.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def write_history(app: Flask, slug: str) -> None:
    """Six published reviews: four this month, two two months ago."""
    this_month = NOW - month_start(0) - timedelta(seconds=1)
    two_back = NOW - month_start(2) - timedelta(hours=1)
    with app.app_context():
        r = Rows(db.session, sites.site_by_slug(db.session, slug), NOW)
        r.review(product="mug", rating=5, ago=this_month, replied_after=2)
        r.review(product="mug", rating=4, ago=this_month, replied_after=4)
        r.review(product="kettle", rating=1, ago=this_month)
        r.review(product="kettle", rating=2, ago=this_month, replied_after=30)
        r.review(product="mug", rating=5, ago=two_back, replied_after=72)
        r.review(product="<b>teapot</b>", rating=3, ago=two_back)
        db.session.commit()


def insight_page(client: Any, slug: str) -> str:
    response = client.get(f"{ADMIN}/{slug}/insight")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(markup: str) -> str:
    start = markup.index('<section class="card answers"')
    return markup[start : markup.index("</section>", start)]


def test_answers_section_figures_summary_chart_and_tables(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    write_history(app, site.slug)
    part = section(insight_page(signed_in(site), site.slug))

    # 4 of 6 answered, after 2, 4, 30 and 72 hours: the median is (4 + 30) / 2.
    assert 'data-figure="reply-rate">67%<' in part
    assert 'data-figure="median-reply">17\u00a0hours<' in part
    assert 'data-figure="low-rating-rate">50%<' in part
    assert (
        "You answered 4 of the 6 reviews published in the last 365 days (67%); half of your"
        " answers came within 17\u00a0hours." in part
    )
    assert "Of the 2 reviews with 1 or 2 stars, you answered 1 (50%). A calm" in part

    # Twelve months, the current one last; bars for the two with reviews.
    months = re.findall(r'<g class="month" data-month="([\d-]+)">', part)
    assert months == [month_start(back).strftime("%Y-%m") for back in range(11, -1, -1)]
    assert re.findall(r'data-rate="([\d.]+)"', part) == ["0.5", "0.75"]
    # Dots: 72 hours two months ago (the top of a 72-hour scale), 4 hours now.
    assert re.findall(r'data-hours="([\d.]+)"', part) == ["72.0", "4.0"]
    assert re.search(r'<circle class="median" cx="[\d.]+" cy="40.0"', part)
    labels = re.findall(r'<text class="median-label"[^>]*>([^<]+)</text>', part)
    assert labels == ["3 d", "4 h"]  # the row of median times above the bars
    assert ">3 d</text>" in part and ">36 h</text>" in part  # the right scale
    line = re.search(r'<path class="median-line" d="([^"]+)"', part)
    assert line and line.group(1).count("M") == 2 and "L" not in line.group(1)  # a gap
    assert re.search(r'<svg class="answers-chart"[^>]*role="img"', part)
    assert '<title id="answers-svg-title">' in part and '<desc id="answers-svg-desc">' in part

    # The month table: every month, figures in words.
    current = re.search(rf'<tr data-month="{month_start(0):%Y-%m}">(.*?)</tr>', part, re.S)
    assert current
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", current.group(1), re.S)
    assert cells[1:] == ["4", "3", "75%", "4\u00a0hours", "1 of 2"]

    # Products, most reviewed first; the shop's text escaped.
    products = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', part)
    assert products == ["mug", "kettle", "&lt;b&gt;teapot&lt;/b&gt;"]
    assert 'data-product-rate="mug">100%<' in part
    assert 'data-product-rate="kettle">50%<' in part
    assert "<b>teapot" not in part


def test_a_site_without_reviews_says_so(
    make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    part = section(insight_page(signed_in(site), site.slug))
    assert 'data-figure="reply-rate">\u2013<' in part
    assert 'data-figure="median-reply">\u2013<' in part
    assert "No published reviews in the last 365 days yet" in part
    assert "No published product reviews in the last 365 days." in part
    assert 'class="median"' not in part and 'class="median-line"' not in part
    assert "data-rate" not in part
    assert len(re.findall(r'<g class="month"', part)) == 12


def test_chart_geometry() -> None:
    months = [
        {"month": f"2026-{n:02d}", "reply_rate": None, "median_hours_to_reply": None}
        for n in range(1, 13)
    ]
    months[0] = {"month": "2026-01", "reply_rate": 1.0, "median_hours_to_reply": 5.0}
    months[1] = {"month": "2026-02", "reply_rate": 0.5, "median_hours_to_reply": 2.5}
    months[3] = {"month": "2026-04", "reply_rate": 0.25, "median_hours_to_reply": 0.5}
    chart = insight.response_chart(months, width=860, height=280)
    top, bottom = chart.top, chart.bottom
    first, second, fourth = chart.columns[0], chart.columns[1], chart.columns[3]
    assert (first.bar_y, first.bar_height) == (top, bottom - top)  # 100%
    assert second.bar_height == round((bottom - top) / 2, 1)
    assert first.dot_y == round(bottom - (bottom - top) * 5 / 6, 1)  # a 6-hour scale
    assert chart.hour_ticks[-1][1] == "6 h" and chart.rate_ticks[-1][1] == "100%"
    assert chart.line == (
        f"M{first.center} {first.dot_y} L{second.center} {second.dot_y} "
        f"M{fourth.center} {fourth.dot_y}"
    )
    assert [c.year for c in chart.columns[:2]] == ["2026", None]
    assert chart.columns[11].label == "Dec" and chart.columns[11].name == "Dec 2026"
    assert chart.columns[2].dot_y is None and chart.columns[2].bar_height == 0


def test_scales_and_short_durations() -> None:
    assert [insight.hour_scale(h) for h in (0, 0.4, 1, 5, 13, 49, 500, 800)] == [
        1,
        1,
        1,
        6,
        24,
        72,
        720,
        1440,
    ]
    assert [insight.short_duration(h) for h in (0.25, 6.0, 6.5, 47.9, 60)] == [
        "15 min",
        "6 h",
        "6.5 h",
        "47.9 h",
        "2.5 d",
    ]
