"""Response metrics and the transparency report (``services/responses.py``), exact on
constructed data, on SQLite and PostgreSQL.

Rows are written with the models at known times (a review created N hours ago and
first answered M hours later; decided by a person at a known time; reports), so every
figure can be worked out by hand: reply rates, medians of odd and even counts, 1-2 star
reply rates, the window's edges, calendar months, products, reasons, reports and the
time to moderate. A few tests go through the real API instead (a reply, the shop's own
comment, a rejection with a reason) so the metrics read what the server writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from conftest import SHARED_REDIS, Api, SiteInfo
from plaudit_server.extensions import db
from plaudit_server.models import STORE, ReportStatus, Status
from plaudit_server.services import responses, sites
from plaudit_server.timeutil import utcnow
from trust_rows import NOW, Rows


@pytest.fixture
def rows(app: Flask, site: SiteInfo) -> Iterator[Callable[..., Any]]:
    """``with rows() as r:`` writes through ``r`` and commits at the end."""

    @contextmanager
    def open_rows(slug: str = site.slug) -> Iterator[Rows]:
        with app.app_context():
            found = sites.site_by_slug(db.session, slug)
            yield Rows(db.session, found, NOW)
            db.session.commit()

    yield open_rows


def read(app: Flask, slug: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with app.app_context():
        return func(db.session, sites.site_by_slug(db.session, slug), *args, **kwargs)


def ago_days(days: float) -> timedelta:
    return timedelta(days=days)


# ---------------------------------------------------------------- response metrics


def test_reply_rate_median_and_low_ratings_are_exact(
    app: Flask, site: SiteInfo, make_site: Callable[..., SiteInfo], rows: Any
) -> None:
    with rows() as r:
        # Answered after 1, 3, 10 and 30 hours: the median of four is (3 + 10) / 2.
        r.review(rating=5, replied_after=1)
        r.review(rating=1, replied_after=3)  # low rating, answered
        r.review(rating=4, replied_after=10)
        r.review(rating=3, replied_after=30)
        r.review(rating=2)  # low rating, not answered
        r.review(rating=1)  # low rating, not answered
        # Not published now: not counted, whatever their replies.
        r.review(status=Status.PENDING, replied_after=0.5)
        r.review(status=Status.REJECTED, reason="offensive", replied_after=0.5)
        r.review(status=Status.SPAM, rating=1)
    other = make_site(slug="other-shop")
    with rows(other.slug) as r:
        r.review(rating=1, replied_after=100)  # another site's: never counted here

    metrics = read(app, site.slug, responses.response_metrics)
    assert metrics == {
        "reply_rate": 0.667,  # 4 of 6
        "median_hours_to_reply": 6.5,
        "low_rating_reply_rate": 0.333,  # 1 of 3
        "reviews": 6,
        "replied": 4,
        "low_rating_reviews": 3,
        "low_rating_replied": 1,
    }


def test_an_odd_count_takes_the_middle_reply_and_imported_reviews_count(
    app: Flask, site: SiteInfo, rows: Any
) -> None:
    with rows() as r:
        r.review(replied_after=0.25)
        r.review(replied_after=2.25 + 0.01)
        r.review(replied_after=72, source="judgeme")  # imported: the shop answered it too
    metrics = read(app, site.slug, responses.response_metrics)
    assert metrics["median_hours_to_reply"] == 2.3
    assert metrics["reply_rate"] == 1.0
    assert metrics["low_rating_reply_rate"] is None  # no 1-2 star review at all


def test_the_window_counts_reviews_by_when_they_were_written(
    app: Flask, site: SiteInfo, rows: Any
) -> None:
    with rows() as r:
        r.review(ago=ago_days(364), replied_after=5)  # inside the 365 days
        r.review(ago=ago_days(366), replied_after=1)  # outside
        r.review(ago=ago_days(20))  # inside, not answered
        r.review(ago=ago_days(40), replied_after=24 * 35)  # written inside, answered late
    year = read(app, site.slug, responses.response_metrics)
    assert (year["reviews"], year["replied"]) == (3, 2)
    assert year["median_hours_to_reply"] == round((5 + 24 * 35) / 2, 1)
    month = read(app, site.slug, responses.response_metrics, days=30)
    assert (month["reviews"], month["replied"], month["reply_rate"]) == (1, 0, 0.0)
    assert month["median_hours_to_reply"] is None


def test_no_reviews_gives_nulls_not_zeros(app: Flask, site: SiteInfo) -> None:
    assert read(app, site.slug, responses.response_metrics) == {
        "reply_rate": None,
        "median_hours_to_reply": None,
        "low_rating_reply_rate": None,
        "reviews": 0,
        "replied": 0,
        "low_rating_reviews": 0,
        "low_rating_replied": 0,
    }


def test_one_product_by_its_external_id(app: Flask, site: SiteInfo, rows: Any) -> None:
    with rows() as r:
        r.review(product="mug", rating=2, replied_after=8)
        r.review(product="mug", rating=5)
        r.review(product="kettle", rating=1, replied_after=1)
    mug = read(app, site.slug, responses.response_metrics, product="mug")
    assert (mug["reply_rate"], mug["median_hours_to_reply"], mug["low_rating_reply_rate"]) == (
        0.5,
        8.0,
        1.0,
    )
    unknown = read(app, site.slug, responses.response_metrics, product="teapot")
    assert unknown["reviews"] == 0 and unknown["reply_rate"] is None


def _month_start(now: datetime, back: int) -> datetime:
    year, month = now.year, now.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return now.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def test_monthly_figures_for_the_last_twelve_calendar_months(
    app: Flask, site: SiteInfo, rows: Any
) -> None:
    this_month = _month_start(NOW, 0)
    with rows() as r:
        # The current month: two reviews at its very start, one answered after 2 hours.
        for replied in (2, None):
            r.review(ago=NOW - this_month - timedelta(seconds=1), replied_after=replied)
        # Two months back: low ratings, answered after 4 and 6 hours (median 5).
        for replied in (4, 6):
            r.review(
                rating=1, ago=NOW - _month_start(NOW, 2) - timedelta(hours=1), replied_after=replied
            )
        # Eleven months back (the oldest shown) and twelve (not shown).
        r.review(ago=NOW - _month_start(NOW, 11) - timedelta(minutes=1), replied_after=1)
        r.review(ago=NOW - _month_start(NOW, 12) - timedelta(minutes=1), replied_after=1)
    months = read(app, site.slug, responses.monthly_responses)
    assert [m["month"] for m in months] == [
        _month_start(NOW, back).strftime("%Y-%m") for back in range(11, -1, -1)
    ]
    current, two_back, oldest = months[-1], months[-3], months[0]
    assert (current["reviews"], current["replied"], current["reply_rate"]) == (2, 1, 0.5)
    assert current["median_hours_to_reply"] == 2.0
    assert current["low_rating_reply_rate"] is None
    assert (two_back["reviews"], two_back["median_hours_to_reply"]) == (2, 5.0)
    assert (two_back["low_rating_reviews"], two_back["low_rating_replied"]) == (2, 2)
    assert two_back["low_rating_reply_rate"] == 1.0
    assert (oldest["reviews"], oldest["replied"]) == (1, 1)
    empty = months[-2]
    assert empty["reviews"] == 0 and empty["reply_rate"] is None
    assert empty["median_hours_to_reply"] is None
    assert sum(m["reviews"] for m in months) == 5


def test_products_with_the_most_reviews_first(app: Flask, site: SiteInfo, rows: Any) -> None:
    with rows() as r:
        for replied in (1, 2, 9):
            r.review(product="kettle", replied_after=replied)
        r.review(product="mug", replied_after=30)
        r.review(product="mug")
        r.review(product="cup")
        r.review(product="bowl", replied_after=3)
        for _ in range(5):
            r.review(product=STORE, replied_after=1)  # the shop itself is not a product
        r.review(product="plate", ago=ago_days(400))  # outside the window
    top = read(app, site.slug, responses.product_responses, limit=3)
    assert [(p["product"], p["reviews"]) for p in top] == [("kettle", 3), ("mug", 2), ("bowl", 1)]
    kettle, mug, bowl = top
    assert (kettle["reply_rate"], kettle["median_hours_to_reply"]) == (1.0, 2.0)
    assert (mug["reply_rate"], mug["median_hours_to_reply"]) == (0.5, 30.0)
    assert (bowl["reply_rate"], bowl["median_hours_to_reply"]) == (1.0, 3.0)
    assert read(app, site.slug, responses.product_responses, limit=10)[-1]["product"] == "cup"


def test_metrics_read_what_the_api_writes(app: Flask, api: Api, site: SiteInfo) -> None:
    """A reply through the admin API and the shop's own comment on a review both set
    the first answer; a 1-star review left alone counts against the low-rating rate."""
    ids = [
        api.post_review(rating=n, body=f"Review {n}").get_json()["review"]["id"] for n in (1, 2, 5)
    ]
    assert api.admin("PATCH", f"/reviews/{ids[2]}", json={"reply": "Thank you!"}).status_code == 200
    comment = api.admin(
        "POST",
        "/comments",
        json={
            "product": "sku-1",
            "review_id": ids[1],
            "body": "Sorry, we are on it.",
        },
    )
    assert comment.status_code == 201, comment.get_data(as_text=True)
    # A second reply does not move the first answer.
    assert (
        api.admin("PATCH", f"/reviews/{ids[2]}", json={"reply": "Thanks again"}).status_code == 200
    )
    metrics = read(app, site.slug, responses.response_metrics)
    assert (metrics["reviews"], metrics["replied"]) == (3, 2)
    assert (metrics["low_rating_reviews"], metrics["low_rating_replied"]) == (2, 1)
    assert metrics["median_hours_to_reply"] == 0.0  # answered within seconds


# ---------------------------------------------------------------- transparency


def test_transparency_figures_are_exact(
    app: Flask, site: SiteInfo, make_site: Callable[..., SiteInfo], rows: Any
) -> None:
    with rows() as r:
        r.review(replied_after=2)  # published, answered
        r.review()  # published
        r.review(status=Status.PENDING)
        r.review(status=Status.REJECTED, reason="offensive", decided_after=2)
        r.review(status=Status.REJECTED, reason="offensive", decided_after=10)
        r.review(status=Status.REJECTED, reason="personal_data", decided_after=4)
        r.review(status=Status.REJECTED)  # a rejection from before reasons: "other"
        r.review(status=Status.SPAM)  # flagged by the spam checks: "spam"
        r.review(status=Status.SPAM, reason="conflict_of_interest", decided_after=1)
        r.review(status=Status.PUBLISHED, decided_after=7)  # approved by a person
        r.comment()
        r.comment(status=Status.REJECTED, reason="off_topic", decided_after=30)
        # Not received here: imported, the shop's own answers, or too old.
        r.review(status=Status.REJECTED, source="judgeme", decided_after=0.1)
        r.comment(source="disqus")
        r.comment(is_owner=True)
        r.review(status=Status.REJECTED, reason="spam", ago=ago_days(400), decided_after=1)
        # Reports: three in the window, one before it.
        r.report(ReportStatus.REMOVED)
        r.report(ReportStatus.KEPT)
        r.report(ReportStatus.OPEN)
        r.report(ReportStatus.REMOVED, ago=ago_days(500))
    other = make_site(slug="other-shop")
    with rows(other.slug) as r:
        r.review(status=Status.REJECTED, reason="offensive", decided_after=1)
        r.report(ReportStatus.REMOVED)

    report = read(app, site.slug, responses.transparency)
    assert report == {
        "received": 12,
        "published": 4,
        "rejected_by_reason": {
            "spam": 1,
            "offensive": 2,
            "off_topic": 1,
            "personal_data": 1,
            "not_genuine": 0,
            "conflict_of_interest": 1,
            "other": 1,
        },
        "reports": {"received": 3, "removed": 1, "kept": 1, "open": 1},
        # Decided after 1, 2, 4, 7, 10 and 30 hours: (4 + 7) / 2.
        "median_hours_to_moderate": 5.5,
        "reply_rate": 0.333,  # 1 of the 3 published reviews
        "median_hours_to_reply": 2.0,
        "low_rating_reply_rate": None,
        "pending": 1,
        "period": {
            "from": (NOW - timedelta(days=365)).date().isoformat(),
            "to": NOW.date().isoformat(),
        },
    }
    contract = [
        "received",
        "published",
        "rejected_by_reason",
        "reports",
        "median_hours_to_moderate",
        "reply_rate",
        "median_hours_to_reply",
    ]
    assert list(report)[: len(contract)] == contract


def test_an_empty_site_has_a_report_of_zeros_and_nulls(app: Flask, site: SiteInfo) -> None:
    report = read(app, site.slug, responses.transparency)
    assert (report["received"], report["published"], report["pending"]) == (0, 0, 0)
    assert set(report["rejected_by_reason"].values()) == {0}
    assert report["reports"] == {"received": 0, "removed": 0, "kept": 0, "open": 0}
    assert report["median_hours_to_moderate"] is None
    assert report["reply_rate"] is None and report["median_hours_to_reply"] is None


def test_transparency_counts_a_rejection_made_through_the_api(
    app: Flask, api: Api, site: SiteInfo
) -> None:
    ids = [api.post_review(body=f"Review number {n}").get_json()["review"]["id"] for n in range(3)]
    response = api.admin(
        "POST",
        "/reviews/moderate",
        json={"ids": ids[:2], "status": "rejected", "reason": "not_genuine", "note": "Not ours"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    report = read(app, site.slug, responses.transparency)
    assert (report["received"], report["published"]) == (3, 1)
    assert report["rejected_by_reason"]["not_genuine"] == 2
    assert report["median_hours_to_moderate"] == 0.0


def test_cached_transparency_follows_moderation_at_once(
    app_factory: Callable[..., Flask], make_site: Callable[..., SiteInfo], prefix: str
) -> None:
    """Cached under the site's generation: a decision (which changes the site) shows at
    once; a visitor's report, which changes nothing public, shows within the hour."""
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    info = make_site(slug="cached-shop")
    api = Api(app.test_client(), info)
    review = api.post_review(body="Cached review").get_json()["review"]["id"]
    first = read(app, info.slug, responses.cached_transparency)
    assert (first["received"], first["published"]) == (1, 1)
    with app.app_context():
        found = sites.site_by_slug(db.session, info.slug)
        Rows(db.session, found, utcnow()).report(ReportStatus.OPEN)
        db.session.commit()
    assert read(app, info.slug, responses.cached_transparency)["reports"]["received"] == 0
    assert read(app, info.slug, responses.transparency)["reports"]["received"] == 1
    rejected = api.admin(
        "PATCH", f"/reviews/{review}", json={"status": "rejected", "reason": "spam"}
    )
    assert rejected.status_code == 200
    now = read(app, info.slug, responses.cached_transparency)
    assert (now["published"], now["rejected_by_reason"]["spam"]) == (0, 1)
    assert now["reports"]["received"] == 1
