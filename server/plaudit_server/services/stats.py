"""Site statistics for the admin API and page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import cache
from ..models import STORE, Comment, Product, Review, Site, Status
from ..timeutil import utcnow
from .invitations import conversion
from .responses import response_metrics
from .site_counts import status_counts

DAYS = 90

# The response figures the statistics show (response_metrics also counts what they
# are made of).
RESPONSE_FIGURES = ("reply_rate", "median_hours_to_reply", "low_rating_reply_rate")


def cached_site_stats(session: Session, site: Site) -> dict[str, Any]:
    """:func:`site_stats`, from the cache while nothing of the site has changed (the
    admin API, the admin page and the worker's refresh all read them this way).

    The invitations' figures are read fresh: mails going out change them without
    changing anything public, and bumping the site's generation for each would retire
    every cached page of the site."""
    # The day is part of the name: the 90-day window moves at midnight UTC.
    cached = cache.cached_for_site(
        site.slug, f"stats|{utcnow().date()}", lambda: _counted(session, site)
    )
    return {**cached, "invitations": conversion(session, site)}


def site_stats(session: Session, site: Site) -> dict[str, Any]:
    """The statistics, all computed now."""
    return {**_counted(session, site), "invitations": conversion(session, site)}


def _counted(session: Session, site: Site) -> dict[str, Any]:
    """What the cache may keep: the counts, which only the site's writes change."""
    total, rating_sum = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(Product.published_count), 0),
            sa.func.coalesce(sa.func.sum(Product.rating_sum), 0),
        ).where(Product.site_id == site.id)
    ).one()
    today = utcnow().date()
    first = today - timedelta(days=DAYS - 1)
    day = sa.func.date(Review.created_at)
    by_day: dict[Any, int] = dict(
        session.execute(
            sa.select(day, sa.func.count())
            .where(
                Review.site_id == site.id,
                Review.status == Status.PUBLISHED,
                Review.created_at
                >= utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
                - timedelta(days=DAYS - 1),
            )
            .group_by(day)
        ).all()
    )
    per_day = {str(k): v for k, v in by_day.items()}
    return {
        "responses": response_figures(session, site),
        "reviews": status_counts(session, Review, site),
        "comments": status_counts(session, Comment, site),
        "average": round(rating_sum / total, 2) if total else None,
        "published_per_day": [
            {"date": (d := (first + timedelta(days=i)).isoformat()), "count": per_day.get(d, 0)}
            for i in range(DAYS)
        ],
    }


def response_figures(session: Session, site: Site, product: str | None = None) -> dict[str, Any]:
    """How often and how fast the shop answers reviews (of one product when given)."""
    metrics = response_metrics(session, site, product=product)
    return {name: metrics[name] for name in RESPONSE_FIGURES}


def site_histogram(session: Session, site: Site) -> dict[int, int]:
    """Published reviews per star rating, summed from the product counters."""
    row = session.execute(
        sa.select(
            *(sa.func.coalesce(sa.func.sum(getattr(Product, f"stars_{n}")), 0) for n in range(1, 6))
        ).where(Product.site_id == site.id)
    ).one()
    return {n: int(row[n - 1]) for n in range(1, 6)}


def lowest_rated(session: Session, site: Site, limit: int) -> list[dict[str, Any]]:
    """Products with at least one published review, lowest average first."""
    average = Product.rating_sum * 1.0 / Product.published_count
    rows = session.execute(
        sa.select(Product.external_id, Product.published_count, average.label("average"))
        .where(
            Product.site_id == site.id,
            Product.published_count > 0,
            Product.external_id != STORE,  # the shop is not one of its products
        )
        .order_by(average.asc(), Product.published_count.desc(), Product.external_id)
        .limit(limit)
    ).all()
    return [
        {"product": r.external_id, "count": r.published_count, "average": round(r.average, 2)}
        for r in rows
    ]
