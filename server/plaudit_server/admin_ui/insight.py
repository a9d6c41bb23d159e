"""How a shop is doing: counts, average, histogram, reviews per day, weakest products,
the shop's own rating (its store reviews) beside its products', and how it answers its
customers (reply rate and time to the first answer, by month and by product), and the
ideas line: the most wanted ideas of the board and the recently shipped.

The charts are SVG drawn by the server: this module computes the geometry, the template
writes the elements and the stylesheet colours them. No chart library, no script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from flask_login import login_required

from ..extensions import db
from ..models import STORE
from ..services import community, responses, stats
from ..services.summaries import find_product, summary_of
from ..trust_pages import duration
from .base import bp, owned_site

LOWEST_RATED = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


def histogram_bars(histogram: dict[int, int], width: float = 300, row: float = 24) -> list[Bar]:
    """Horizontal bars, 5 stars at the top."""
    peak = max(histogram.values()) or 1
    bars = []
    for i, stars in enumerate(range(5, 0, -1)):
        value = histogram[stars]
        bars.append(
            Bar(
                x=0,
                y=i * row + 2,
                width=round(width * value / peak, 1),
                height=row - 6,
                label=f"{stars} star{'s' if stars > 1 else ''}",
                value=value,
            )
        )
    return bars


def day_bars(per_day: list[dict[str, Any]], width: float = 900, height: float = 160) -> list[Bar]:
    """Vertical bars, one per day, oldest on the left; an empty day is a zero bar."""
    peak = max((d["count"] for d in per_day), default=0) or 1
    step = width / max(len(per_day), 1)
    bars = []
    for i, day in enumerate(per_day):
        h = round(height * day["count"] / peak, 1)
        bars.append(
            Bar(
                x=round(i * step, 1),
                y=round(height - h, 1),
                width=round(step * 0.8, 1),
                height=h,
                label=day["date"],
                value=day["count"],
            )
        )
    return bars


def shop_and_products(histogram: dict[int, int], shop: dict[str, Any]) -> dict[str, Any]:
    """Published reviews and average of the shop itself and of its products apart.

    The site's histogram counts every published review, the shop's own included; the
    products' figures are what remains once the shop's are taken out."""
    shop_stars = {n: int(shop["histogram"][str(n)]) for n in range(1, 6)}
    count = sum(histogram.values()) - sum(shop_stars.values())
    rating_sum = sum(n * (histogram[n] - shop_stars[n]) for n in range(1, 6))
    return {
        "shop": {"count": shop["count"], "average": shop["average"]},
        "products": {"count": count, "average": round(rating_sum / count, 2) if count else None},
    }


# ---------------------------------------------------------------- answers to customers

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Round maxima for the time axis, in hours: an hour up to a month.
HOUR_SCALES = (1, 2, 4, 6, 12, 24, 48, 72, 120, 168, 336, 720)


@dataclass(frozen=True)
class MonthColumn:
    """One month of the answers chart: a bar for its reply rate, a dot for its median
    hours to the first answer (None: nothing answered), and their labels."""

    month: str  # YYYY-MM
    name: str  # "Mar 2026", for titles and the table
    label: str  # "Mar", under the bar
    year: str | None  # under the first month and each January
    x: float
    center: float
    bar_y: float
    bar_height: float
    dot_y: float | None
    figures: dict[str, Any] = field(compare=False)


@dataclass(frozen=True)
class ResponseChart:
    """The geometry of the answers chart: 12 months of reply rate (bars, left axis, 0 to
    100%) and median time to the first answer (a line of dots, right axis)."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    bar_width: float
    columns: list[MonthColumn]
    line: str  # an SVG path: a gap where a month has no answer breaks it
    rate_ticks: list[tuple[float, str]]
    hour_ticks: list[tuple[float, str]]


def short_duration(hours: float) -> str:
    """A median time for a chart's narrow label: "40 min", "6 h", "2.5 d"."""
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{round(hours, 1):g} h"
    return f"{round(hours / 24, 1):g} d"


def hour_scale(peak: float) -> int:
    """The smallest round number of hours at or above ``peak`` (at least one hour)."""
    for scale in HOUR_SCALES:
        if peak <= scale:
            return scale
    return -(-int(peak) // 720) * 720  # whole months beyond


def response_chart(
    monthly: list[dict[str, Any]],
    width: float = 860,
    height: float = 280,
) -> ResponseChart:
    """Bars and dots for ``responses.monthly_responses``: oldest month on the left."""
    # Room above for the row of median times, below for the months, beside for scales.
    left, right, top, bottom = 56.0, width - 56.0, 40.0, height - 44.0
    plot = bottom - top
    step = (right - left) / max(len(monthly), 1)
    bar_width = round(step * 0.6, 1)
    hours = [m["median_hours_to_reply"] for m in monthly if m["median_hours_to_reply"] is not None]
    scale = hour_scale(max(hours, default=0))
    columns: list[MonthColumn] = []
    path: list[str] = []
    previous = None
    for i, m in enumerate(monthly):
        year, month = m["month"].split("-")
        center = round(left + step * (i + 0.5), 1)
        height_of_bar = round(plot * (m["reply_rate"] or 0), 1)
        median = m["median_hours_to_reply"]
        dot_y = None if median is None else round(bottom - plot * median / scale, 1)
        if dot_y is not None:
            path.append(f"{'L' if previous is not None else 'M'}{center} {dot_y}")
        previous = dot_y
        columns.append(
            MonthColumn(
                month=m["month"],
                name=f"{MONTH_NAMES[int(month) - 1]} {year}",
                label=MONTH_NAMES[int(month) - 1],
                year=year if i == 0 or month == "01" else None,
                x=round(center - bar_width / 2, 1),
                center=center,
                bar_y=round(bottom - height_of_bar, 1),
                bar_height=height_of_bar,
                dot_y=dot_y,
                figures=m,
            )
        )
    return ResponseChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        bar_width=bar_width,
        columns=columns,
        line=" ".join(path),
        rate_ticks=[(round(bottom - plot * share, 1), f"{share:.0%}") for share in (0, 0.5, 1)],
        hour_ticks=[
            (round(bottom - plot * part, 1), short_duration(scale * part) if part else "0")
            for part in (0, 0.5, 1)
        ],
    )


def _reviews(count: int) -> str:
    return "1 review" if count == 1 else f"{count} reviews"


def response_summary(metrics: dict[str, Any]) -> list[str]:
    """What the figures say, in plain words, for the owner."""
    reviews = metrics["reviews"]
    if not reviews:
        return [
            "No published reviews in the last 365 days yet: once customers write, you will"
            " see here how often and how fast you answer them."
        ]
    said = (
        f"You answered {metrics['replied']} of the {_reviews(reviews)} published in the last"
        f" 365 days ({metrics['reply_rate']:.0%})"
    )
    median = metrics["median_hours_to_reply"]
    said += (
        f"; half of your answers came within {duration(median, 'en')}."
        if median is not None
        else "."
    )
    lines = [said]
    low = metrics["low_rating_reviews"]
    if low:
        lines.append(
            f"Of the {_reviews(low)} with 1 or 2 stars, you answered"
            f" {metrics['low_rating_replied']}"
            f" ({metrics['low_rating_reply_rate']:.0%})."
            + (
                " A calm, helpful answer to a critical review shows the next customers that you"
                " listen."
                if metrics["low_rating_replied"] < low
                else ""
            )
        )
    return lines


@bp.get("/<slug>/insight")
@login_required
def insight(slug: str) -> Any:
    site = owned_site(slug)
    numbers = stats.cached_site_stats(db.session, site)
    histogram = stats.site_histogram(db.session, site)
    per_day = numbers["published_per_day"]
    answers = responses.cached_insight(db.session, site)
    return render_template(
        "admin/insight.html",
        site=site,
        stats=numbers,
        histogram=histogram,
        histogram_bars=histogram_bars(histogram),
        day_bars=day_bars(per_day),
        day_peak=max((d["count"] for d in per_day), default=0),
        first_day=per_day[0]["date"] if per_day else "",
        last_day=per_day[-1]["date"] if per_day else "",
        lowest=stats.lowest_rated(db.session, site, LOWEST_RATED),
        subjects=shop_and_products(histogram, summary_of(find_product(db.session, site, STORE))),
        answers=answers,
        answers_chart=response_chart(answers["monthly"]),
        answers_summary=response_summary(answers["metrics"]),
        duration=lambda hours: duration(hours, "en"),
        short_duration=short_duration,
        ideas=community.community_stats(db.session, site),
    )
