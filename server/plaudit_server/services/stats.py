"""Site statistics for the admin API and page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Comment, Product, Review, Site, Status
from ..timeutil import utcnow

DAYS = 90


def status_counts(
    session: Session, model: type[Review] | type[Comment], site: Site
) -> dict[str, int]:
    """How many of the site's reviews (or comments) are in each status, and in all."""
    rows = session.execute(
        sa.select(model.status, sa.func.count())
        .where(model.site_id == site.id)
        .group_by(model.status)
    ).all()
    counts = {s.value: 0 for s in Status}
    for status, n in rows:
        counts[Status(status).value] = n
    counts["total"] = sum(counts.values())
    return counts


def site_stats(session: Session, site: Site) -> dict[str, Any]:
    total, rating_sum = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(Product.published_count), 0),
            sa.func.coalesce(sa.func.sum(Product.rating_sum), 0),
        ).where(Product.site_id == site.id)
    ).one()
    today = utcnow().date()
    first = today - timedelta(days=DAYS - 1)
    day = sa.func.date(Review.created_at)
    per_day = dict(
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
    per_day = {str(k): v for k, v in per_day.items()}
    return {
        "reviews": status_counts(session, Review, site),
        "comments": status_counts(session, Comment, site),
        "average": round(rating_sum / total, 2) if total else None,
        "published_per_day": [
            {"date": (d := (first + timedelta(days=i)).isoformat()), "count": per_day.get(d, 0)}
            for i in range(DAYS)
        ],
    }
