"""How often and how fast a shop answers its customers, and the public transparency report.

Response metrics read ``Review.first_reply_at`` (set once, when the shop first answers
a review: its reply, or its own comment on it; see ``services/moderation.first_reply``)
over the *published* reviews created in a window, by ``created_at``:

- ``reply_rate``: the share of them that were answered, a fraction from 0 to 1 (3
  decimals), null when there is none;
- ``median_hours_to_reply``: the median of ``first_reply_at - created_at`` over the
  answered ones, in hours (1 decimal), null when none was answered;
- ``low_rating_reply_rate``: the reply rate of the 1 and 2 star ones. The rating picks
  which reviews this one figure describes; nothing is left out of the others for it.

Imported reviews (``source`` set) count here: answering them was the shop's work too,
in the tool it used before.

The transparency report (:func:`transparency`) is about what happened *here*: items
received through this server, so imported ones do not count in its ``received``,
``published``, ``rejected_by_reason`` and ``median_hours_to_moderate`` (their status
came from the other tool, with no reason). Nor do the shop's own comments: they are
answers, not contributions received. Its reply figures are :func:`response_metrics`'.

Medians are computed by the database; only the medians leave it. On PostgreSQL the
counts and the median (``percentile_cont(0.5) WITHIN GROUP``) come from one pass over
the rows. SQLite has no such aggregate: window functions (``row_number()``, ``count()``
over each group, SQLite 3.25+) pick the middle row or the two middle rows of each
group, in a second statement. The same window statement on PostgreSQL took 1.2 to 2
times as long as the aggregate (1M reviews in one site), hence the two ways. Each read
is one range of the ``(site_id, status, created_at)`` index; the insight page's figures
are cached like the statistics (:func:`cached_insight`), the public report for an hour
at most (:func:`cached_transparency`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import cache
from ..models import (
    REJECT_REASONS,
    STORE,
    Comment,
    Product,
    Report,
    ReportStatus,
    Review,
    Site,
    Status,
)
from ..timeutil import utcnow

DAYS = 365
MONTHS = 12
PRODUCTS = 10
LOW_RATING = 2  # 1 and 2 stars: "low rating"

# One key of a group when a median is taken over everything.
_ALL = sa.literal("all")


# ---------------------------------------------------------------- SQL pieces


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def hours_between(session: Session, later: Any, earlier: Any) -> sa.ColumnElement[Any]:
    """``later - earlier`` in hours, as a float, on this session's database (naive UTC
    timestamps on both, see ``models.UTCDateTime``)."""
    if _dialect(session) == "postgresql":
        return sa.extract("epoch", later - earlier) / 3600.0
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 24.0


def month_of(session: Session, column: Any) -> sa.ColumnElement[str]:
    """``YYYY-MM`` of a timestamp (UTC)."""
    if _dialect(session) == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def medians(session: Session, values: sa.Select[Any]) -> dict[Any, float]:
    """The median ``value`` of each ``grp`` of ``values`` (a select of two columns
    labelled ``grp`` and ``value``), by group; null values are left out.

    PostgreSQL has the aggregate (``percentile_cont``). Elsewhere window functions find
    the middle row (odd counts) or the two middle rows (even counts) of each group,
    which are averaged: the database sorts each group once and returns one number a
    group. (On PostgreSQL that way takes about twice as long as the aggregate.)"""
    rows = values.subquery("vals")
    if _dialect(session) == "postgresql":
        query = sa.select(rows.c.grp, _median(rows.c.value)).group_by(rows.c.grp)
    else:
        ranked = (
            sa.select(
                rows.c.grp,
                rows.c.value,
                sa.func.row_number()
                .over(partition_by=rows.c.grp, order_by=rows.c.value)
                .label("rn"),
                sa.func.count().over(partition_by=rows.c.grp).label("n"),
            )
            .where(rows.c.value.is_not(None))
            .subquery("ranked")
        )
        query = (
            sa.select(ranked.c.grp, sa.func.avg(ranked.c.value))
            # Integer division: (n+1)/2 and (n+2)/2 are the same row when n is odd,
            # the two middle rows when it is even.
            .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
            .group_by(ranked.c.grp)
        )
    return {grp: float(value) for grp, value in session.execute(query) if value is not None}


def _median(value: Any) -> sa.ColumnElement[Any]:
    """PostgreSQL's median aggregate (an ordered-set aggregate: nulls are skipped)."""
    return sa.func.percentile_cont(0.5).within_group(value)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# ---------------------------------------------------------------- response metrics


def _window(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def _published_reviews(site: Site, since: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        Review.site_id == site.id,
        Review.status == Status.PUBLISHED,
        Review.created_at >= since,
    ]


def _reply_figures(
    session: Session, where: list[Any], group: Any | None = None
) -> dict[Any, dict[str, Any]]:
    """:func:`response_metrics`' figures of the published reviews ``where`` selects, by
    ``group`` (an expression; None: one group, ``"all"``). Groups without reviews are
    missing.

    On PostgreSQL the counts and the median come from one pass over the rows; elsewhere
    the median is a second statement (:func:`medians`)."""
    low = Review.rating <= LOW_RATING
    answered = Review.first_reply_at.is_not(None)
    hours = hours_between(session, Review.first_reply_at, Review.created_at)
    key = _ALL if group is None else group
    columns = [
        key.label("grp"),
        sa.func.count().label("reviews"),
        sa.func.count(Review.first_reply_at).label("replied"),
        sa.func.coalesce(sa.func.sum(sa.case((low, 1), else_=0)), 0).label("low"),
        sa.func.coalesce(sa.func.sum(sa.case((sa.and_(low, answered), 1), else_=0)), 0).label(
            "low_replied"
        ),
    ]
    postgresql = _dialect(session) == "postgresql"
    if postgresql:
        columns.append(_median(hours).label("median"))  # null when none was answered
    query = sa.select(*columns).where(*where)
    if group is not None:
        query = query.group_by(group)
    rows = [row for row in session.execute(query) if row.reviews]
    if postgresql:
        found = {row.grp: row.median for row in rows}
    elif any(row.replied for row in rows):
        found = medians(session, sa.select(key.label("grp"), hours.label("value")).where(*where))
    else:
        found = {}
    return {row.grp: _figures(row, found.get(row.grp)) for row in rows}


def _figures(row: Any, median: float | None) -> dict[str, Any]:
    """The figures of one group's counts (``reviews``, ``replied``, ``low``,
    ``low_replied``) and median."""
    reviews, replied, low, low_replied = (
        int(row.reviews),
        int(row.replied),
        int(row.low),
        int(row.low_replied),
    )
    return {
        "reply_rate": _rate(replied, reviews),
        "median_hours_to_reply": _hours(median),
        "low_rating_reply_rate": _rate(low_replied, low),
        "reviews": reviews,
        "replied": replied,
        "low_rating_reviews": low,
        "low_rating_replied": low_replied,
    }


_NONE = _figures(SimpleNamespace(reviews=0, replied=0, low=0, low_replied=0), None)


def response_metrics(
    session: Session, site: Site, product: str | None = None, days: int = DAYS
) -> dict[str, Any]:
    """Reply rate, median hours to the first reply and the reply rate of 1-2 star
    reviews, over the site's (or one product's, by its external id) published reviews
    created in the last ``days`` days; with the counts they come from (``reviews``,
    ``replied``, ``low_rating_reviews``, ``low_rating_replied``). An unknown product
    has no reviews: every rate is null."""
    where = _published_reviews(site, _window(days))
    if product is not None:
        where.append(
            Review.product_id
            == sa.select(Product.id)
            .where(Product.site_id == site.id, Product.external_id == product)
            .scalar_subquery()
        )
    return {**_reply_figures(session, where).get("all", _NONE)}


def _month_starts(months: int, today: datetime) -> list[datetime]:
    """The first instant of each of the last ``months`` calendar months, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(
            today.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
        )
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def monthly_responses(session: Session, site: Site, months: int = MONTHS) -> list[dict[str, Any]]:
    """For each of the last ``months`` calendar months (UTC, the current one last), the
    response metrics of the published reviews created in it: ``month`` (``YYYY-MM``)
    and :func:`response_metrics`' figures. A month without reviews has zeros and nulls."""
    starts = _month_starts(months, utcnow())
    month = month_of(session, Review.created_at)
    found = _reply_figures(session, _published_reviews(site, starts[0]), month)
    return [
        {"month": (key := start.strftime("%Y-%m")), **found.get(key, _NONE)} for start in starts
    ]


def product_responses(
    session: Session, site: Site, limit: int = PRODUCTS, days: int = DAYS
) -> list[dict[str, Any]]:
    """The ``limit`` products with the most published reviews created in the last
    ``days`` days (the shop's own reviews are not a product), most first, each with
    ``product`` (its external id) and :func:`response_metrics`' figures."""
    where = _published_reviews(site, _window(days))
    top = session.execute(
        sa.select(Review.product_id, Product.external_id)
        .join(Product, Review.product_id == Product.id)
        .where(*where, Product.external_id != STORE)
        .group_by(Review.product_id, Product.external_id)
        .order_by(sa.func.count().desc(), Product.external_id)
        .limit(limit)
    ).all()
    if not top:
        return []
    found = _reply_figures(
        session, [*where, Review.product_id.in_([r.product_id for r in top])], Review.product_id
    )
    return [{"product": r.external_id, **found[r.product_id]} for r in top]


def cached_insight(session: Session, site: Site) -> dict[str, Any]:
    """What the insight page shows of the shop's answers (``metrics``, ``monthly``,
    ``products``), cached under the site's generation like ``stats.cached_site_stats``:
    a reply or a moderation decision changes the site and so retires it."""
    return cache.cached_for_site(
        site.slug,
        f"responses|{utcnow().date()}",
        lambda: {
            "metrics": response_metrics(session, site),
            "monthly": monthly_responses(session, site),
            "products": product_responses(session, site),
        },
    )


# ---------------------------------------------------------------- transparency report


def _received(session: Session, model: Any, site: Site, since: datetime) -> list[Any]:
    where = [model.site_id == site.id, model.created_at >= since, model.source.is_(None)]
    if model is Comment:
        where.append(Comment.is_owner.is_(False))
    return [
        *session.execute(
            sa.select(model.status, model.moderation_reason, sa.func.count())
            .where(*where)
            .group_by(model.status, model.moderation_reason)
        ).all()
    ]


def _moderation_times(session: Session, model: Any, site: Site, since: datetime) -> Any:
    where = [
        model.site_id == site.id,
        model.created_at >= since,
        model.source.is_(None),
        model.moderated_at.is_not(None),
    ]
    if model is Comment:
        where.append(Comment.is_owner.is_(False))
    return sa.select(
        _ALL.label("grp"),
        hours_between(session, model.moderated_at, model.created_at).label("value"),
    ).where(*where)


def transparency(session: Session, site: Site, days: int = DAYS) -> dict[str, Any]:
    """The site's public transparency report over the last ``days`` days.

    - ``received``: reviews and comments created in the window (not imported, not the
      shop's own comments); ``published``: those of them published now; ``pending``:
      those waiting for a decision now;
    - ``rejected_by_reason``: those rejected or marked spam now, by the decision's
      reason (every reason of ``REJECT_REASONS``, zeros included); spam flagged by the
      spam checks, with no decision, counts as ``spam``, a rejection without a reason
      as ``other``. So received = published + pending + the rejected;
    - ``reports``: reports of visitors created in the window (``received``) and how
      many of them were decided ``removed``, ``kept``, or are still ``open``;
    - ``median_hours_to_moderate``: from submission to the last decision of a person
      or the system (``moderated_at``), over the received items that have one;
    - ``reply_rate``, ``median_hours_to_reply``, ``low_rating_reply_rate``: as
      :func:`response_metrics` over the same window;
    - ``period``: ``from`` and ``to``, the window's first and last day (UTC).
    """
    now = utcnow()
    since = now - timedelta(days=days)
    published = pending = 0
    rejected = dict.fromkeys(REJECT_REASONS, 0)
    for model in (Review, Comment):
        for status, reason, count in _received(session, model, site, since):
            if status == Status.PUBLISHED:
                published += count
            elif status == Status.PENDING:
                pending += count
            else:
                key = reason or ("spam" if status == Status.SPAM else "other")
                rejected[key] = rejected.get(key, 0) + count
    reports = dict(
        session.execute(
            sa.select(Report.status, sa.func.count())
            .where(Report.site_id == site.id, Report.created_at >= since)
            .group_by(Report.status)
        ).all()
    )
    times = sa.union_all(
        _moderation_times(session, Review, site, since),
        _moderation_times(session, Comment, site, since),
    )
    moderate = medians(session, sa.select(times.subquery("times")))
    replies = response_metrics(session, site, days=days)
    return {
        "received": published + pending + sum(rejected.values()),
        "published": published,
        "rejected_by_reason": rejected,
        "reports": {
            "received": sum(reports.values()),
            "removed": reports.get(ReportStatus.REMOVED, 0),
            "kept": reports.get(ReportStatus.KEPT, 0),
            "open": reports.get(ReportStatus.OPEN, 0),
        },
        "median_hours_to_moderate": _hours(moderate.get("all")),
        "reply_rate": replies["reply_rate"],
        "median_hours_to_reply": replies["median_hours_to_reply"],
        "low_rating_reply_rate": replies["low_rating_reply_rate"],
        "pending": pending,
        "period": {"from": since.date().isoformat(), "to": now.date().isoformat()},
    }


def cached_transparency(session: Session, site: Site, days: int = DAYS) -> dict[str, Any]:
    """:func:`transparency`, cached under the site's generation for at most an hour: a
    visitor's report changes nothing public (so no generation), the hour in the name
    bounds how late it shows, and the day moves the window."""
    return cache.cached_for_site(
        site.slug,
        f"transparency|{days}|{utcnow():%Y-%m-%dT%H}",
        lambda: transparency(session, site, days),
    )
