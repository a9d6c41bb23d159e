"""``client.reviews`` against the live server: every method, and pagination."""

from __future__ import annotations

import datetime as dt
import time

import pytest

import plaudit
from plaudit import AdminReview, ReviewStatus


def test_list_follows_next_cursor_across_many_pages(sdk, post):
    created = post.reviews(23)
    page = sdk.reviews.list(limit=5)

    assert len(page.items) == 5
    assert page.has_next_page()
    everything = list(page)
    assert [r.id for r in everything] == [r["id"] for r in reversed(created)]  # newest first
    assert len({r.id for r in everything}) == 23


def test_iter_pages_gives_one_page_at_a_time(sdk, post):
    post.reviews(12)
    pages = list(sdk.reviews.list(limit=5).iter_pages())

    assert [len(p.items) for p in pages] == [5, 5, 2]
    assert pages[-1].next_cursor is None
    assert pages[-1].next_page() is None
    assert not pages[-1].has_next_page()


def test_next_page_by_hand(sdk, post):
    post.reviews(3)
    first = sdk.reviews.list(limit=2)
    second = first.next_page()
    assert second is not None
    assert len(second.items) == 1
    assert {r.id for r in first.items}.isdisjoint(r.id for r in second.items)


def test_results_are_typed(sdk, post):
    post.review(rating=4, title="Nice", author_email="ada@example.test")
    review = sdk.reviews.list().items[0]

    assert isinstance(review, AdminReview)
    assert review.status is ReviewStatus.PUBLISHED
    assert review.rating == 4
    assert review.title == "Nice"
    assert review.author_email == "ada@example.test"
    assert review.created_at.tzinfo is not None
    assert review.created_at.utcoffset() == dt.timedelta(0)
    assert abs(review.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert isinstance(review.updated_at, dt.datetime)
    assert review.reply is None
    assert review.spam_reasons == []


def test_list_filters(sdk, post):
    post.review("sku-a", rating=1, body="Broke after a week")
    post.review("sku-b", rating=5, body="Lovely kettle")
    post.review("sku-b", rating=3, body="Fine kettle")
    spam = post.review("sku-b", rating=5, hp="gotcha")

    assert {r.product for r in sdk.reviews.list(product="sku-b")} == {"sku-b"}
    assert [r.rating for r in sdk.reviews.list(rating=1)] == [1]
    assert len(list(sdk.reviews.list(q="kettle"))) == 2
    assert [r.id for r in sdk.reviews.list(status="spam")] == [spam["id"]]
    assert [r.id for r in sdk.reviews.list(status=ReviewStatus.SPAM)] == [spam["id"]]
    oldest = list(sdk.reviews.list(sort="oldest"))
    assert oldest[0].body == "Broke after a week"


def test_updated_since_for_incremental_sync(sdk, post):
    first, _ = post.reviews(2)
    checkpoint = max(r.updated_at for r in sdk.reviews.list())
    time.sleep(0.05)
    assert list(sdk.reviews.list(updated_since=checkpoint)) == []

    sdk.reviews.reject(first["id"])
    changed = list(sdk.reviews.list(updated_since=checkpoint, sort="updated"))
    assert [r.id for r in changed] == [first["id"]]
    assert changed[0].status is ReviewStatus.REJECTED


def test_naive_datetime_is_refused_before_any_request(sdk):
    with pytest.raises(ValueError, match="timezone"):
        sdk.reviews.list(updated_since=dt.datetime(2024, 1, 1))


def test_get(sdk, post):
    created = post.review(title="Hello")
    review = sdk.reviews.get(created["id"])
    assert review.id == created["id"]
    assert review.title == "Hello"


def test_approve_reject_mark_spam(make_site, live_server, post):
    pre = make_site(moderation="pre")
    with plaudit.Plaudit(api_key=pre.api_key, base_url=live_server.url) as client:
        post.slug = pre.slug
        a, b, c = (r["id"] for r in post.reviews(3))
        assert {r.status for r in client.reviews.list()} == {ReviewStatus.PENDING}

        assert client.reviews.approve(a).status is ReviewStatus.PUBLISHED
        assert client.reviews.reject(b).status is ReviewStatus.REJECTED
        assert client.reviews.mark_spam(c).status is ReviewStatus.SPAM

        assert client.reviews.get(a).status is ReviewStatus.PUBLISHED
        assert client.products.summary("sku-1").count == 1


def test_reply_and_remove_reply(sdk, post):
    created = post.review()
    replied = sdk.reviews.reply(created["id"], "Thank you, Ada!")
    assert replied.reply is not None
    assert replied.reply.body == "Thank you, Ada!"
    assert replied.reply.created_at.tzinfo is not None

    public = sdk.products.reviews("sku-1").items[0]
    assert public.reply is not None and public.reply.body == "Thank you, Ada!"

    assert sdk.reviews.reply(created["id"], None).reply is None


def test_update_several_fields_at_once(sdk, post):
    created = post.review()
    review = sdk.reviews.update(created["id"], status="rejected", reply="Sorry")
    assert review.status is ReviewStatus.REJECTED
    assert review.reply is not None and review.reply.body == "Sorry"


def test_update_with_nothing_to_change_is_refused(sdk, post):
    created = post.review()
    with pytest.raises(ValueError, match="Nothing to update"):
        sdk.reviews.update(created["id"])


def test_delete(sdk, post):
    created = post.review()
    assert sdk.reviews.delete(created["id"]) is None
    with pytest.raises(plaudit.NotFoundError):
        sdk.reviews.get(created["id"])
    assert sdk.products.summary("sku-1").count == 0


def test_moderate_in_bulk(sdk, post):
    ids = [r["id"] for r in post.reviews(4)]
    assert sdk.reviews.moderate(ids[:3], "rejected") == 3
    statuses = {r.id: r.status for r in sdk.reviews.list()}
    assert [statuses[i] for i in ids] == [ReviewStatus.REJECTED] * 3 + [ReviewStatus.PUBLISHED]
    assert sdk.reviews.moderate(iter(ids), ReviewStatus.PUBLISHED) == 4
    assert sdk.reviews.moderate([], "spam") == 0  # nothing to send


def test_moderate_more_than_one_request_holds(sdk, post):
    ids = [r["id"] for r in post.reviews(3)]
    # 1,200 ids (most unknown, so not updated) go out as three requests of at most 500.
    unknown = [f"rev_unknown{i}" for i in range(1197)]
    assert sdk.reviews.moderate([*unknown, *ids], "spam") == 3
    assert {r.status for r in sdk.reviews.list()} == {ReviewStatus.SPAM}


def test_another_sites_review_is_not_found(sdk, make_site, live_server, post):
    other = make_site()
    post.slug = other.slug
    foreign = post.review()
    with pytest.raises(plaudit.NotFoundError):
        sdk.reviews.get(foreign["id"])
    with pytest.raises(plaudit.NotFoundError):
        sdk.reviews.approve(foreign["id"])
