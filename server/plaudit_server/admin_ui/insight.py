"""How a shop is doing: counts, average, histogram, reviews per day, weakest products.

The charts are SVG drawn by the server: this module computes the geometry, the template
writes the elements and the stylesheet colours them. No chart library, no script.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_login import login_required

from ..extensions import db
from ..services import stats
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


@bp.get("/<slug>/insight")
@login_required
def insight(slug: str) -> Any:
    site = owned_site(slug)
    numbers = stats.cached_site_stats(db.session, site)
    histogram = stats.site_histogram(db.session, site)
    per_day = numbers["published_per_day"]
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
    )
