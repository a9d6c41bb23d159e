"""How a shop is doing: counts, average, histogram, reviews per day, weakest products,
and the shop's own rating (its store reviews) beside its products'.

The charts are SVG drawn by the server: this module computes the geometry, the template
writes the elements and the stylesheet colours them. No chart library, no script.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_login import login_required

from ..extensions import db
from ..models import STORE
from ..services import stats
from ..services.summaries import find_product, summary_of
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
        subjects=shop_and_products(histogram, summary_of(find_product(db.session, site, STORE))),
    )
