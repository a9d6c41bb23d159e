"""``client.products``: the public endpoints, for the key's own site or any other."""

from __future__ import annotations

import pytest

import plaudit
from plaudit import Review, Summary


def test_summary_of_the_keys_own_site(sdk, post):
    post.review(rating=5)
    post.review(rating=4)
    summary = sdk.products.summary("sku-1")
    assert summary == Summary(count=2, average=4.5, histogram={1: 0, 2: 0, 3: 0, 4: 1, 5: 1})


def test_unknown_product_has_an_empty_summary(sdk):
    summary = sdk.products.summary("never-reviewed")
    assert summary.count == 0
    assert summary.average is None


def test_the_site_is_looked_up_once(sdk, post, live_server):
    post.review()
    sdk.products.summary("sku-1")
    sdk.products.summary("sku-1")
    # Looked up from the key and remembered: the slug matches the site's.
    assert sdk._site_id == sdk.site.get().id == post.slug


def test_summaries_of_many_products_in_batches(sdk, post):
    post.review("a", rating=2)
    post.review("b", rating=4)
    products = ["a", "b", *[f"p{i}" for i in range(150)]]  # two requests
    summaries = sdk.products.summaries(products)
    assert set(summaries) == set(products)
    assert summaries["a"].average == 2.0
    assert summaries["b"].histogram[4] == 1
    assert summaries["p149"].count == 0


def test_summaries_wants_a_list(sdk):
    with pytest.raises(TypeError):
        sdk.products.summaries("a,b")


def test_public_reviews_with_summary_and_pages(sdk, post):
    post.reviews(4, rating=3)
    post.review(rating=1, author_email="secret@example.test")
    hidden = post.review(hp="bot")  # spam: never public

    page = sdk.products.reviews("sku-1", limit=2)
    assert page.summary.count == 5
    assert len(page.items) == 2
    reviews = list(page)
    assert len(reviews) == 5
    assert hidden["id"] not in {r.id for r in reviews}
    assert all(type(r) is Review for r in reviews)
    assert not hasattr(reviews[0], "author_email")

    assert [r.rating for r in sdk.products.reviews("sku-1", rating=1)] == [1]
    lowest = sdk.products.reviews("sku-1", sort="lowest").items[0]
    assert lowest.rating == 1


def test_another_site_by_slug(sdk, make_site, post):
    other = make_site()
    post.slug = other.slug
    post.review("elsewhere", rating=3)
    assert sdk.products.summary("elsewhere", site=other.slug).count == 1
    assert sdk.products.summary("elsewhere").count == 0  # not on the key's own site


def test_unknown_site_is_not_found(sdk):
    with pytest.raises(plaudit.NotFoundError):
        sdk.products.reviews("sku-1", site="no-such-site")


def test_public_comments(sdk, post):
    first = post.comment()
    post.comment(parent_id=first["id"])
    comments = list(sdk.products.comments("sku-1", limit=1))
    assert [c.parent_id for c in comments] == [None, first["id"]]  # oldest first


@pytest.mark.parametrize("product", ["shoe:42.blue", "SKU_9-x", ".", ".."])
def test_any_valid_product_id_reaches_its_product(sdk, post, product):
    post.review(product, rating=2)
    assert sdk.products.summary(product).count == 1
    assert [r.product for r in sdk.products.reviews(product)] == [product]
    assert [r.product for r in sdk.reviews.list(product=product)] == [product]
