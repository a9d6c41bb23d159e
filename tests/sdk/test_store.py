"""Store reviews (reviews of the shop itself) through the SDK, and the site settings and
statistics that came with invitations: each test on the sync and the async client,
against the live server."""

from __future__ import annotations

import csv
import uuid
from typing import Any

import httpx
import pytest

import plaudit
from plaudit import AdminReview, Review, Summary

from .helpers import Run


class StorePoster:
    """Reviews the shop itself through the public API, as the widget would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def review(self, slug: str, rating: int = 5, **fields: Any) -> dict[str, Any]:
        # Unique text: the same text twice from one network is held as spam.
        text = f"Shop review, {rating} stars ({uuid.uuid4().hex[:6]})"
        body = {"rating": rating, "body": text, "author_name": "Ada"}
        response = httpx.post(
            f"{self.base_url}/api/v1/sites/{slug}/store/reviews", json={**body, **fields}
        )
        assert response.status_code == 201, response.text
        review: dict[str, Any] = response.json()["review"]
        return review


@pytest.fixture
def store_post(live_server: Any) -> StorePoster:
    return StorePoster(live_server.url)


def test_store_reviews_and_summary(both: Run, store_post, post, site):
    store = [store_post.review(site.slug, rating) for rating in (5, 4, 4)]
    post.review("sku-1", rating=1)  # a product's review is not the shop's

    page = both(lambda c: c.store.reviews(limit=2))
    assert [r.id for r in page] == [r["id"] for r in reversed(store)]
    assert all(isinstance(r, Review) and r.product is None for r in page)

    summary = both(lambda c: c.store.summary())
    assert isinstance(summary, Summary)
    assert (summary.count, summary.average, summary.histogram[4]) == (3, 4.33, 2)
    assert both(lambda c: c.products.summary("sku-1")).average == 1.0


def test_store_reviews_page_filters_and_summary(sdk, store_post, site):
    for rating in (5, 4, 4, 2):
        store_post.review(site.slug, rating)
    page = sdk.store.reviews(rating=4, sort="oldest", limit=1)
    assert len(page.items) == 1 and page.has_next_page()
    assert [r.rating for r in page] == [4, 4]
    assert page.summary.count == 4  # the shop's whole rating, whatever the filter
    lowest = sdk.store.reviews(sort="lowest")
    assert [r.rating for r in lowest.items] == [2, 4, 4, 5]


def test_store_of_another_site(both: Run, store_post, make_site, site):
    other = make_site()
    store_post.review(other.slug, 3)
    store_post.review(site.slug, 5)
    theirs = both(lambda c: c.store.reviews(site=other.slug))
    assert [r.rating for r in theirs] == [3]
    assert both(lambda c: c.store.summary(site=other.slug)).average == 3.0
    with pytest.raises(plaudit.NotFoundError):
        both(lambda c: c.store.summary(site="no-such-site"))


def test_admin_lists_take_subject(both: Run, store_post, post, site):
    shop = store_post.review(site.slug, 4)
    product = post.review("sku-1", rating=2)

    stores = both(lambda c: c.reviews.list(subject="store"))
    assert [r.id for r in stores] == [shop["id"]]
    assert isinstance(stores[0], AdminReview) and stores[0].product is None
    products = both(lambda c: c.reviews.list(subject="product"))
    assert [(r.id, r.product) for r in products] == [(product["id"], "sku-1")]
    assert {r.id for r in both(lambda c: c.reviews.list())} == {shop["id"], product["id"]}
    assert both(lambda c: c.reviews.get(shop["id"])).product is None
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda c: c.reviews.list(subject="shop"))
    assert list(caught.value.errors) == ["subject"]


def test_export_takes_subject(sdk, store_post, post, site, tmp_path):
    shop = store_post.review(site.slug, 4)
    post.review("sku-1")
    path = tmp_path / "store.jsonl"
    assert sdk.reviews.export(path, format="jsonl", subject="store", progress=False) == 1
    assert shop["id"] in path.read_text(encoding="utf-8")
    table = tmp_path / "store.csv"
    assert sdk.reviews.export(table, subject="store", progress=False) == 1
    with table.open(encoding="utf-8", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert (row["id"], row["product"]) == (shop["id"], "")  # the shop: no product


def test_site_settings_for_invitations(both: Run, sdk):
    site = both(lambda c: c.site.get())
    assert (site.locale, site.invite_delay_days) == ("en", 0)
    assert (site.invite_reminder_days, site.invite_ttl_days) == (7, 60)

    changed = both(
        lambda c: c.site.update(
            locale="es", invite_delay_days=2, invite_reminder_days=0, invite_ttl_days=30
        )
    )
    assert (changed.locale, changed.invite_delay_days) == ("es", 2)
    assert (changed.invite_reminder_days, changed.invite_ttl_days) == (0, 30)
    assert sdk.site.get() == changed
    assert both(lambda c: c.site.update(name="Renamed")).invite_ttl_days == 30  # kept

    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda c: c.site.update(locale="it", invite_ttl_days=0, invite_delay_days=400))
    assert set(caught.value.errors) == {"locale", "invite_ttl_days", "invite_delay_days"}
