"""Fan comments: a product's discussion, a review's thread, replies 3 levels deep.

A review's ``comment_count`` counts its thread's published comments and must follow
every publish, moderation and delete at once.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from support import assert_problem

COMMENT_KEYS = {
    "id",
    "product",
    "review_id",
    "parent_id",
    "author_name",
    "body",
    "is_owner",
    "created_at",
}
NO_SUCH_ID = "cmt_01ABCDEFGHJKMNPQRSTVWXYZ00"


def post_comment(api: Any, product: str = "sku-1", **fields: Any) -> Any:
    body = {"body": f"Comment {uuid.uuid4().hex}", "author_name": "Fan", **fields}
    return api.client.post(api.public(f"/products/{product}/comments"), json=body)


def comment(api: Any, product: str = "sku-1", **fields: Any) -> dict[str, Any]:
    response = post_comment(api, product, **fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["comment"]


def list_comments(api: Any, product: str = "sku-1", **query: Any) -> dict[str, Any]:
    response = api.client.get(api.public(f"/products/{product}/comments"), query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def add_review(api: Any, product: str = "sku-1") -> str:
    response = api.post_review(product=product, body=f"Review {uuid.uuid4().hex}")
    assert response.status_code == 201
    return response.get_json()["review"]["id"]


def comment_count(api: Any, review_id: str, product: str = "sku-1") -> int:
    listed = api.client.get(api.public(f"/products/{product}/reviews")).get_json()["reviews"]
    public = next((r["comment_count"] for r in listed if r["id"] == review_id), None)
    admin = api.admin("GET", f"/reviews/{review_id}").get_json()["comment_count"]
    if public is not None:
        assert public == admin
    return admin


# ---------------------------------------------------------------- posting and listing


def test_comment_shape(api: Any) -> None:
    response = post_comment(api, body="  First!  ", author_name="Fan", author_email="f@x.example")
    assert response.status_code == 201
    data = response.get_json()
    assert set(data) == {"comment", "status", "manage_url"}
    assert data["status"] == "published"
    created = data["comment"]
    assert set(created) == COMMENT_KEYS
    assert created["product"] == "sku-1"
    assert created["body"] == "First!"
    assert created["review_id"] is None and created["parent_id"] is None
    assert created["is_owner"] is False
    assert created["created_at"].endswith("Z")
    listed = list_comments(api)
    assert listed == {"comments": [created], "next_cursor": None}
    assert "f@x.example" not in api.client.get(api.public("/products/sku-1/comments")).text


def test_discussion_and_review_thread_are_separate(api: Any) -> None:
    review = add_review(api)
    on_product = comment(api)
    on_review = comment(api, review_id=review)
    assert on_review["review_id"] == review
    assert [c["id"] for c in list_comments(api)["comments"]] == [on_product["id"]]
    assert [c["id"] for c in list_comments(api, review=review)["comments"]] == [on_review["id"]]
    # Another product's discussion is empty.
    assert list_comments(api, "sku-2") == {"comments": [], "next_cursor": None}


def test_threads_oldest_first_with_parent_ids(api: Any) -> None:
    review = add_review(api)
    root = comment(api, review_id=review)
    reply = comment(api, parent_id=root["id"])
    other_root = comment(api, review_id=review)
    reply_to_reply = comment(api, parent_id=reply["id"])
    # A reply inherits the thread's review.
    assert reply["review_id"] == review and reply["parent_id"] == root["id"]
    assert reply_to_reply["review_id"] == review and reply_to_reply["parent_id"] == reply["id"]
    thread = list_comments(api, review=review)["comments"]
    assert [c["id"] for c in thread] == [
        root["id"],
        reply["id"],
        other_root["id"],
        reply_to_reply["id"],
    ]
    assert {c["parent_id"] for c in thread} == {None, root["id"], reply["id"]}


def test_reply_in_product_discussion(api: Any) -> None:
    root = comment(api)
    reply = comment(api, parent_id=root["id"])
    assert reply["review_id"] is None
    assert [c["id"] for c in list_comments(api)["comments"]] == [root["id"], reply["id"]]


def test_threads_nest_at_most_three_levels(api: Any) -> None:
    review = add_review(api)
    level1 = comment(api, review_id=review)
    level2 = comment(api, parent_id=level1["id"])
    level3 = comment(api, parent_id=level2["id"])
    response = post_comment(api, parent_id=level3["id"])
    assert "parent_id" in assert_problem(response, 422)["errors"]
    # Replying to a level-2 comment again is fine.
    assert post_comment(api, parent_id=level2["id"]).status_code == 201
    assert comment_count(api, review) == 4


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"parent_id": NO_SUCH_ID}, "parent_id"),
        ({"review_id": "rev_01ABCDEFGHJKMNPQRSTVWXYZ00"}, "review_id"),
        ({"parent_id": "not-an-id"}, "parent_id"),
        ({"review_id": "1"}, "review_id"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "b" * 5001}, "body"),
        ({"body": "nul \x00"}, "body"),
        ({"author_name": ""}, "author_name"),
        ({"author_name": "n" * 81}, "author_name"),
        ({"is_owner": True}, "is_owner"),
        ({"status": "published"}, "status"),
        ({"rating": 5}, "rating"),
    ],
)
def test_invalid_comment_is_422(api: Any, fields: dict[str, Any], field: str) -> None:
    response = post_comment(api, **fields)
    assert field in assert_problem(response, 422)["errors"]
    assert list_comments(api)["comments"] == []


def test_parent_on_another_product_is_422(api: Any) -> None:
    elsewhere = comment(api, "sku-2")
    response = post_comment(api, "sku-1", parent_id=elsewhere["id"])
    assert "parent_id" in assert_problem(response, 422)["errors"]


def test_review_on_another_product_is_422(api: Any) -> None:
    review = add_review(api, "sku-2")
    response = post_comment(api, "sku-1", review_id=review)
    assert "review_id" in assert_problem(response, 422)["errors"]


def test_parent_in_another_review_thread_is_422(api: Any) -> None:
    first, second = add_review(api), add_review(api)
    root = comment(api, review_id=first)
    response = post_comment(api, review_id=second, parent_id=root["id"])
    assert "parent_id" in assert_problem(response, 422)["errors"]
    # Naming the parent's own review is fine.
    assert post_comment(api, review_id=first, parent_id=root["id"]).status_code == 201


def test_parent_on_another_site_is_422(api: Any, make_site: Any) -> None:
    other = make_site()
    foreign = api.client.post(
        f"/api/v1/sites/{other.slug}/products/sku-1/comments",
        json={"body": "elsewhere", "author_name": "B"},
    ).get_json()["comment"]
    response = post_comment(api, parent_id=foreign["id"])
    assert "parent_id" in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize("status", ["pending", "rejected", "spam"])
def test_unpublished_review_or_parent_cannot_be_answered(api: Any, status: str) -> None:
    review = add_review(api)
    parent = comment(api)
    api.admin("PATCH", f"/reviews/{review}", json={"status": status})
    api.admin("PATCH", f"/comments/{parent['id']}", json={"status": status})
    assert "review_id" in assert_problem(post_comment(api, review_id=review), 422)["errors"]
    assert "parent_id" in assert_problem(post_comment(api, parent_id=parent["id"]), 422)["errors"]


@pytest.mark.parametrize("value", ["not-an-id", "rev_short", "1"])
def test_invalid_review_query_is_422(api: Any, value: str) -> None:
    response = api.client.get(
        api.public("/products/sku-1/comments"), query_string={"review": value}
    )
    assert "review" in assert_problem(response, 422)["errors"]


def test_unknown_product_has_no_comments(api: Any) -> None:
    assert list_comments(api, "never-seen") == {"comments": [], "next_cursor": None}


def test_comments_of_invalid_product_is_422(api: Any) -> None:
    response = api.client.get(api.public("/products/bad%20id/comments"))
    assert "product" in assert_problem(response, 422)["errors"]


def test_owner_reply_is_marked(api: Any) -> None:
    root = comment(api)
    response = api.admin(
        "POST", "/comments", json={"product": "sku-1", "body": "Thanks!", "parent_id": root["id"]}
    )
    assert response.status_code == 201
    listed = list_comments(api)["comments"]
    assert [(c["body"], c["is_owner"]) for c in listed] == [
        (root["body"], False),
        ("Thanks!", True),
    ]


# ---------------------------------------------------------------- moderation and counts


def test_comment_count_follows_publish_moderate_and_delete(api: Any) -> None:
    review = add_review(api)
    assert comment_count(api, review) == 0
    first = comment(api, review_id=review)
    second = comment(api, parent_id=first["id"])
    comment(api)  # product discussion: not this review's
    assert comment_count(api, review) == 2

    api.admin("PATCH", f"/comments/{second['id']}", json={"status": "rejected"})
    assert comment_count(api, review) == 1
    api.admin("PATCH", f"/comments/{second['id']}", json={"status": "rejected"})
    assert comment_count(api, review) == 1  # no move, no change
    api.admin("PATCH", f"/comments/{second['id']}", json={"status": "published"})
    assert comment_count(api, review) == 2

    moderate = api.admin(
        "POST", "/comments/moderate", json={"ids": [first["id"], second["id"]], "status": "spam"}
    )
    assert moderate.get_json() == {"updated": 2}
    assert comment_count(api, review) == 0
    api.admin(
        "POST",
        "/comments/moderate",
        json={"ids": [first["id"], second["id"]], "status": "published"},
    )
    assert comment_count(api, review) == 2

    # Deleting a comment takes its replies with it.
    assert api.admin("DELETE", f"/comments/{first['id']}").status_code == 204
    assert comment_count(api, review) == 0
    assert list_comments(api, review=review)["comments"] == []


def test_pre_moderated_comments_wait_for_approval(api: Any) -> None:
    review = add_review(api)
    api.admin("PATCH", "/site", json={"moderation": "pre"})
    response = post_comment(api, review_id=review)
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    held = response.get_json()["comment"]
    assert set(held) == COMMENT_KEYS
    assert list_comments(api, review=review)["comments"] == []
    assert comment_count(api, review) == 0

    api.admin("PATCH", f"/comments/{held['id']}", json={"status": "published"})
    assert [c["id"] for c in list_comments(api, review=review)["comments"]] == [held["id"]]
    assert comment_count(api, review) == 1


def test_honeypot_comment_looks_pending(api: Any) -> None:
    response = post_comment(api, hp="bot")
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    assert set(response.get_json()["comment"]) == COMMENT_KEYS
    stored = api.admin("GET", f"/comments/{response.get_json()['comment']['id']}").get_json()
    assert stored["status"] == "spam"
    assert "honeypot" in stored["spam_reasons"]
    assert list_comments(api)["comments"] == []


def test_deleting_the_review_removes_its_thread(api: Any) -> None:
    review = add_review(api)
    comment(api, review_id=review)
    assert api.admin("DELETE", f"/reviews/{review}").status_code == 204
    assert list_comments(api, review=review)["comments"] == []


# ---------------------------------------------------------------- pagination


def test_comment_pages_oldest_first(api: Any) -> None:
    ids = [comment(api)["id"] for _ in range(23)]
    first = list_comments(api)
    assert [c["id"] for c in first["comments"]] == ids[:10]  # default limit 10
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query: dict[str, Any] = {"limit": 7}
        if cursor:
            query["cursor"] = cursor
        page = list_comments(api, **query)
        seen.extend(c["id"] for c in page["comments"])
        # Comments arriving meanwhile land after the cursor, never twice.
        cursor = page["next_cursor"]
        if cursor is None:
            break
        ids.append(comment(api)["id"])
    assert seen == ids
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("limit", ["0", "-1", "51", "abc", "2.5"])
def test_invalid_comment_limit_is_422(api: Any, limit: str) -> None:
    response = api.client.get(api.public("/products/sku-1/comments"), query_string={"limit": limit})
    assert "limit" in assert_problem(response, 422)["errors"]


def test_comment_cursor_from_another_thread_is_422(api: Any) -> None:
    review = add_review(api)
    for _ in range(3):
        comment(api)
    cursor = list_comments(api, limit=1)["next_cursor"]
    assert cursor
    for query in ({"review": review}, {"cursor": "garbage"}):
        params = {"cursor": cursor, **query}
        response = api.client.get(api.public("/products/sku-1/comments"), query_string=params)
        assert "cursor" in assert_problem(response, 422)["errors"]
    elsewhere = api.client.get(
        api.public("/products/sku-2/comments"), query_string={"cursor": cursor}
    )
    assert "cursor" in assert_problem(elsewhere, 422)["errors"]


def test_cursors_do_not_cross_between_comments_and_reviews(api: Any) -> None:
    for _ in range(2):
        comment(api)
        add_review(api)
    comment_cursor = list_comments(api, limit=1)["next_cursor"]
    reviews_url = api.public("/products/sku-1/reviews")
    review_cursor = api.client.get(reviews_url, query_string={"limit": 1}).get_json()["next_cursor"]
    assert comment_cursor and review_cursor
    on_reviews = api.client.get(reviews_url, query_string={"limit": 1, "cursor": comment_cursor})
    assert "cursor" in assert_problem(on_reviews, 422)["errors"]
    on_comments = api.client.get(
        api.public("/products/sku-1/comments"), query_string={"limit": 1, "cursor": review_cursor}
    )
    assert "cursor" in assert_problem(on_comments, 422)["errors"]


def test_thread_of_an_unpublished_review_is_not_public(api: Any, client: Any) -> None:
    review = api.post_review(body="Soon rejected").get_json()["review"]
    url = api.public("/products/sku-1/comments")
    posted = client.post(
        url, json={"body": "Agreed!", "author_name": "Fan", "review_id": review["id"]}
    )
    assert posted.status_code == 201
    assert len(client.get(url, query_string={"review": review["id"]}).get_json()["comments"]) == 1
    api.admin("PATCH", f"/reviews/{review['id']}", json={"status": "rejected"})
    hidden = client.get(url, query_string={"review": review["id"]})
    assert hidden.status_code == 200
    assert hidden.get_json() == {"comments": [], "next_cursor": None}
