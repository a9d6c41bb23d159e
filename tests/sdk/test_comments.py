"""``client.comments`` against the live server."""

from __future__ import annotations

import pytest

import plaudit
from plaudit import AdminComment, CommentStatus


def test_list_follows_pages(sdk, post):
    created = [post.comment() for _ in range(7)]
    page = sdk.comments.list(limit=3)
    assert len(page.items) == 3
    assert [c.id for c in page] == [c["id"] for c in reversed(created)]
    assert [len(p.items) for p in sdk.comments.list(limit=3).iter_pages()] == [3, 3, 1]


def test_results_are_typed(sdk, post):
    post.comment(author_email="grace@example.test")
    comment = sdk.comments.list().items[0]
    assert isinstance(comment, AdminComment)
    assert comment.status is CommentStatus.PUBLISHED
    assert comment.author_email == "grace@example.test"
    assert comment.created_at.tzinfo is not None
    assert comment.is_owner is False


def test_create_as_the_shop(sdk, post):
    review = post.review()
    created = sdk.comments.create(product="sku-1", body="We are glad!", review_id=review["id"])
    assert created.is_owner is True
    assert created.status is CommentStatus.PUBLISHED
    assert created.review_id == review["id"]
    assert sdk.comments.get(created.id) == created

    public = sdk.products.comments("sku-1", review=review["id"])
    assert [c.id for c in public] == [created.id]


def test_reply_answers_under_the_comment(sdk, post):
    fan = post.comment()
    reply = sdk.comments.reply(fan["id"], "Thanks for asking!")
    assert reply.parent_id == fan["id"]
    assert reply.product == "sku-1"
    assert reply.is_owner


def test_filters(sdk, post):
    review = post.review()
    on_review = post.comment(review_id=review["id"])
    post.comment("sku-2", body="About the lid")
    assert [c.id for c in sdk.comments.list(review=review["id"])] == [on_review["id"]]
    assert [c.product for c in sdk.comments.list(product="sku-2")] == ["sku-2"]
    assert [c.body for c in sdk.comments.list(q="lid")] == ["About the lid"]


def test_status_changes_and_moderate(sdk, post):
    a, b, c, d = (post.comment()["id"] for _ in range(4))
    assert sdk.comments.reject(a).status is CommentStatus.REJECTED
    assert sdk.comments.mark_spam(b).status is CommentStatus.SPAM
    assert sdk.comments.approve(a).status is CommentStatus.PUBLISHED
    assert sdk.comments.update(c, status="pending").status is CommentStatus.PENDING
    assert sdk.comments.moderate([b, c, d], CommentStatus.REJECTED) == 3
    assert [x.id for x in sdk.comments.list(status="rejected", sort="oldest")] == [b, c, d]


def test_delete(sdk, post):
    comment = post.comment()
    sdk.comments.delete(comment["id"])
    with pytest.raises(plaudit.NotFoundError):
        sdk.comments.get(comment["id"])
