"""Admin comments (list, get, PATCH, DELETE, bulk moderation, owner replies), the site's
settings and the statistics.

Every test runs on SQLite and PostgreSQL over the Flask test client. Comment counters
are checked against a fresh ``COUNT`` of published comments; statistics against
reviews whose ``created_at`` the test sets through the models.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from support import assert_problem

from plaudit_server.extensions import db
from plaudit_server.models import Comment, Review, Status

STATUSES = ["pending", "published", "rejected", "spam"]
ADMIN_COMMENT_KEYS = {
    "id",
    "product",
    "review_id",
    "parent_id",
    "author_name",
    "body",
    "is_owner",
    "created_at",
    "status",
    "author_email",
    "updated_at",
}


# ---------------------------------------------------------------- helpers


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    """The app's session, committed (and the SQLite write lock freed) on exit."""
    with app.app_context():
        yield db.session
        db.session.commit()


def add_review(api: Any, product: str = "sku-1", rating: int = 5, **fields: Any) -> dict[str, Any]:
    fields.setdefault("body", f"Review {uuid.uuid4().hex}")
    return ok(api.post_review(product=product, rating=rating, **fields), 201)["review"]


def add_comment(api: Any, product: str = "sku-1", **fields: Any) -> dict[str, Any]:
    body = {"body": f"Comment {uuid.uuid4().hex}", "author_name": "Bo", **fields}
    response = api.client.post(api.public(f"/products/{product}/comments"), json=body)
    return ok(response, 201)["comment"]


def owner_reply(api: Any, **fields: Any) -> Any:
    return api.admin("POST", "/comments", json={"product": "sku-1", "body": "From us", **fields})


def comment_ids(api: Any, **query: Any) -> list[str]:
    body = ok(api.admin("GET", "/comments", query_string=query))
    return [c["id"] for c in body["comments"]]


def set_comment_status(api: Any, comment_id: str, status: str) -> dict[str, Any]:
    return ok(api.admin("PATCH", f"/comments/{comment_id}", json={"status": status}))


def comment_count(api: Any, review_id: str) -> int:
    """The review's comment_count as the admin API shows it."""
    return ok(api.admin("GET", f"/reviews/{review_id}"))["comment_count"]


def sql_comment_count(app: Flask, review_id: str) -> int:
    with database(app) as session:
        return (
            session.scalar(
                sa.select(sa.func.count()).where(
                    Comment.review_id == review_id, Comment.status == Status.PUBLISHED
                )
            )
            or 0
        )


def assert_comment_count_exact(app: Flask, api: Any, review_id: str) -> int:
    count = comment_count(api, review_id)
    assert count == sql_comment_count(app, review_id)
    public = ok(api.client.get(api.public("/products/sku-1/reviews"), query_string={"limit": 50}))
    for review in public["reviews"]:
        if review["id"] == review_id:
            assert review["comment_count"] == count
    return count


def public_comment_ids(api: Any, review: str | None = None) -> list[str]:
    query = {"limit": 50, **({"review": review} if review else {})}
    body = ok(api.client.get(api.public("/products/sku-1/comments"), query_string=query))
    return [c["id"] for c in body["comments"]]


def set_comment_times(app: Flask, comment_id: str, **times: datetime) -> None:
    with database(app) as session:
        session.execute(sa.update(Comment).where(Comment.id == comment_id).values(**times))


def at(hour: int) -> datetime:
    return datetime(2020, 1, 1, hour, tzinfo=UTC)


# ---------------------------------------------------------------- comments: list and get


def test_comment_list_shape_and_filters(app: Flask, api: Any) -> None:
    review = add_review(api)["id"]
    on_product = add_comment(api, body="Does it come in RED?")["id"]
    on_review = add_comment(api, review_id=review, author_name="Red Fan")["id"]
    reply = add_comment(api, parent_id=on_review, body="plain")["id"]
    elsewhere = add_comment(api, product="sku-2", body="other product")["id"]
    set_comment_status(api, reply, "spam")

    body = ok(api.admin("GET", "/comments"))
    assert set(body) == {"comments", "next_cursor"} and body["next_cursor"] is None
    assert len(body["comments"]) == 4
    for comment in body["comments"]:
        assert set(comment) >= ADMIN_COMMENT_KEYS
    assert set(comment_ids(api, status="all")) == {on_product, on_review, reply, elsewhere}
    assert comment_ids(api, status="spam") == [reply]
    assert set(comment_ids(api, status="published")) == {on_product, on_review, elsewhere}
    assert comment_ids(api, status="rejected") == []
    assert set(comment_ids(api, product="sku-1")) == {on_product, on_review, reply}
    assert comment_ids(api, product="sku-2") == [elsewhere]
    assert set(comment_ids(api, review=review)) == {on_review, reply}
    assert set(comment_ids(api, q="red")) == {on_product, on_review}  # body and author
    assert comment_ids(api, q="%") == []
    assert comment_ids(api, q="RED", status="published", product="sku-1", review=review) == [
        on_review
    ]


def test_comment_list_sorts_updated_since_and_cursor(app: Flask, api: Any) -> None:
    made = [add_comment(api)["id"] for _ in range(7)]
    for hour, comment_id in enumerate(made):
        set_comment_times(app, comment_id, created_at=at(hour), updated_at=at(20 - hour))
    assert comment_ids(api) == made[::-1]
    assert comment_ids(api, sort="oldest") == made
    assert comment_ids(api, sort="updated") == made[::-1]
    since = comment_ids(api, updated_since="2020-01-01T16:00:00Z", sort="updated")
    assert since == made[:4][::-1]  # updated at 17:00-20:00, strictly after 16:00
    assert comment_ids(api, updated_since="2020-01-01T17:00:00+01:00") == made[:4][::-1]

    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "3", "sort": "oldest", **({"cursor": cursor} if cursor else {})}
        page = ok(api.admin("GET", "/comments", query_string=query))
        seen.extend(c["id"] for c in page["comments"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made
    bad = api.admin("GET", "/comments", query_string={"cursor": cursor or "x", "limit": "3"})
    assert "cursor" in assert_problem(bad, 422)["errors"]
    first = ok(api.admin("GET", "/comments", query_string={"limit": "3"}))["next_cursor"]
    other = api.admin(
        "GET", "/comments", query_string={"limit": "3", "cursor": first, "status": "spam"}
    )
    assert_problem(other, 422)


BAD_COMMENT_QUERIES = [
    {"limit": "101"},
    {"limit": "0"},
    {"status": "hidden"},
    {"sort": "helpful"},
    {"review": "not-an-id"},
    {"review": "rev_" + "0" * 26 + "-and-more"},
    {"product": "no spaces"},
    {"updated_since": "soon"},
]


def test_invalid_comment_query_is_422(api: Any) -> None:
    for query in BAD_COMMENT_QUERIES:
        body = assert_problem(api.admin("GET", "/comments", query_string=query), 422)
        assert set(body["errors"]) == set(query), query


def test_get_one_comment(api: Any) -> None:
    review = add_review(api)["id"]
    made = add_comment(api, review_id=review, author_email="bo@example.test")
    comment = ok(api.admin("GET", f"/comments/{made['id']}"))
    assert set(comment) >= ADMIN_COMMENT_KEYS
    assert {k: comment[k] for k in made} == made
    assert comment["status"] == "published" and comment["is_owner"] is False
    assert comment["author_email"] == "bo@example.test"
    assert comment["review_id"] == review and comment["parent_id"] is None
    assert comment["updated_at"].endswith("Z")


# ---------------------------------------------------------------- comments: PATCH


@pytest.mark.parametrize(("old", "new"), [(o, n) for o in STATUSES for n in STATUSES])
def test_comment_status_transitions_keep_comment_count_exact(
    app: Flask, api: Any, old: str, new: str
) -> None:
    review = add_review(api)["id"]
    add_comment(api, review_id=review)
    comment = add_comment(api, review_id=review)["id"]
    set_comment_status(api, comment, old)
    assert assert_comment_count_exact(app, api, review) == 1 + (old == "published")
    set_comment_times(app, comment, updated_at=at(0))

    changed = set_comment_status(api, comment, new)
    assert changed["status"] == new
    assert (changed["updated_at"] == "2020-01-01T00:00:00.000000Z") is (old == new)
    assert assert_comment_count_exact(app, api, review) == 1 + (new == "published")
    assert (comment in public_comment_ids(api, review)) is (new == "published")


@pytest.mark.parametrize(
    "changes",
    [{"status": "gone"}, {"status": None}, {"body": "edited"}, {"is_owner": True}, {"reply": "x"}],
)
def test_invalid_comment_patch_is_422(api: Any, changes: dict[str, Any]) -> None:
    comment = add_comment(api)
    response = api.admin("PATCH", f"/comments/{comment['id']}", json=changes)
    assert set(assert_problem(response, 422)["errors"]) == set(changes)
    assert ok(api.admin("GET", f"/comments/{comment['id']}"))["body"] == comment["body"]


# ---------------------------------------------------------------- comments: DELETE


def thread(api: Any, review: str) -> tuple[str, str, str, str]:
    """root -> child -> grandchild on ``review``, plus a sibling of root."""
    root = add_comment(api, review_id=review)["id"]
    child = add_comment(api, parent_id=root)["id"]
    grandchild = add_comment(api, parent_id=child)["id"]
    sibling = add_comment(api, review_id=review)["id"]
    return root, child, grandchild, sibling


def rows(app: Flask, ids: list[str]) -> set[str]:
    with database(app) as session:
        return set(session.scalars(sa.select(Comment.id).where(Comment.id.in_(ids))))


def test_delete_comment_removes_its_replies_and_fixes_comment_count(app: Flask, api: Any) -> None:
    review = add_review(api)["id"]
    root, child, grandchild, sibling = thread(api, review)
    set_comment_status(api, grandchild, "pending")  # not counted before, nothing to remove
    assert assert_comment_count_exact(app, api, review) == 3

    response = api.admin("DELETE", f"/comments/{root}")
    assert response.status_code == 204 and response.get_data() == b""
    assert rows(app, [root, child, grandchild, sibling]) == {sibling}
    for gone in (root, child, grandchild):
        assert_problem(api.admin("GET", f"/comments/{gone}"), 404)
    assert_problem(api.admin("DELETE", f"/comments/{root}"), 404)
    assert assert_comment_count_exact(app, api, review) == 1
    assert public_comment_ids(api, review) == [sibling]


def test_delete_middle_of_thread_keeps_the_parent(app: Flask, api: Any) -> None:
    review = add_review(api)["id"]
    root, child, grandchild, sibling = thread(api, review)
    assert api.admin("DELETE", f"/comments/{child}").status_code == 204
    assert rows(app, [root, child, grandchild, sibling]) == {root, sibling}
    assert assert_comment_count_exact(app, api, review) == 2


def test_delete_product_discussion_comment(app: Flask, api: Any) -> None:
    top = add_comment(api)["id"]
    reply = add_comment(api, parent_id=top)["id"]
    keep = add_comment(api)["id"]
    assert api.admin("DELETE", f"/comments/{top}").status_code == 204
    assert rows(app, [top, reply, keep]) == {keep}
    assert public_comment_ids(api) == [keep]


# ---------------------------------------------------------------- comments: moderate


def test_comment_bulk_moderation(app: Flask, api: Any, make_site: Callable[..., Any]) -> None:
    other = make_site(slug="other-shop")
    foreign = ok(
        api.client.post(
            "/api/v1/sites/other-shop/products/sku-1/comments",
            json={"body": "elsewhere", "author_name": "Di"},
        ),
        201,
    )["comment"]["id"]
    review = add_review(api)["id"]
    mine = [add_comment(api, review_id=review)["id"] for _ in range(3)]
    ids = [*mine, mine[1], "cmt_" + "0" * 26, foreign]

    result = ok(api.admin("POST", "/comments/moderate", json={"ids": ids, "status": "spam"}))
    assert result == {"updated": 3}
    assert set(comment_ids(api, status="spam")) == set(mine)
    assert assert_comment_count_exact(app, api, review) == 0
    again = ok(api.admin("POST", "/comments/moderate", json={"ids": ids, "status": "spam"}))
    assert again == {"updated": 3}
    assert assert_comment_count_exact(app, api, review) == 0
    ok(api.admin("POST", "/comments/moderate", json={"ids": mine[:2], "status": "published"}))
    assert assert_comment_count_exact(app, api, review) == 2

    response = api.client.get(
        f"/api/v1/admin/comments/{foreign}", headers={"Authorization": f"Bearer {other.api_key}"}
    )
    assert ok(response)["status"] == "published"


@pytest.mark.parametrize("count", [0, 501])
def test_comment_bulk_moderation_size_limits(api: Any, count: int) -> None:
    ids = [f"cmt_{n:026d}" for n in range(count)]
    response = api.admin("POST", "/comments/moderate", json={"ids": ids, "status": "spam"})
    assert "ids" in assert_problem(response, 422)["errors"]


def test_comment_bulk_moderation_accepts_500(api: Any) -> None:
    comment = add_comment(api)["id"]
    ids = [comment] + [f"cmt_{n:026d}" for n in range(499)]
    result = ok(api.admin("POST", "/comments/moderate", json={"ids": ids, "status": "rejected"}))
    assert result == {"updated": 1}
    assert public_comment_ids(api) == []


# ---------------------------------------------------------------- comments: owner replies


def test_owner_reply_on_product(api: Any) -> None:
    response = owner_reply(api, body="  We restock on Monday.  ")
    comment = ok(response, 201)
    assert set(comment) >= ADMIN_COMMENT_KEYS
    assert comment["is_owner"] is True and comment["status"] == "published"
    assert comment["body"] == "We restock on Monday."
    assert comment["product"] == "sku-1"
    assert comment["review_id"] is None and comment["parent_id"] is None
    assert comment["author_name"] == "acme-shop"  # the site's name
    public = ok(api.client.get(api.public("/products/sku-1/comments")))["comments"]
    assert [(c["id"], c["is_owner"]) for c in public] == [(comment["id"], True)]


def test_owner_reply_on_review_and_on_comment(app: Flask, api: Any) -> None:
    review = add_review(api)["id"]
    on_review = ok(owner_reply(api, review_id=review), 201)
    assert on_review["review_id"] == review and on_review["is_owner"] is True
    assert assert_comment_count_exact(app, api, review) == 1

    fan = add_comment(api, review_id=review)["id"]
    answer = ok(owner_reply(api, parent_id=fan), 201)
    assert answer["parent_id"] == fan and answer["review_id"] == review
    assert answer["status"] == "published"
    assert assert_comment_count_exact(app, api, review) == 3
    assert public_comment_ids(api, review) == [on_review["id"], fan, answer["id"]]


def test_owner_may_answer_a_held_review_or_comment(app: Flask, api: Any) -> None:
    review = add_review(api)["id"]
    ok(api.admin("PATCH", f"/reviews/{review}", json={"status": "pending"}))
    assert ok(owner_reply(api, review_id=review), 201)["review_id"] == review
    fan = add_comment(api)["id"]
    set_comment_status(api, fan, "pending")
    assert ok(owner_reply(api, parent_id=fan), 201)["parent_id"] == fan


BAD_OWNER_REPLIES = [
    ({"product": "bad product"}, "product"),
    ({"product": "sku/1"}, "product"),
    ({"product": ""}, "product"),
    ({"product": "x" * 129}, "product"),
    ({"product": "sku-1<script>"}, "product"),
    ({"product": None}, "product"),
    ({"review_id": "rev_" + "0" * 26}, "review_id"),
    ({"review_id": "not-an-id"}, "review_id"),
    ({"parent_id": "cmt_" + "0" * 26}, "parent_id"),
    ({"body": ""}, "body"),
    ({"body": "x" * 5001}, "body"),
    ({"author_name": "Someone else"}, "author_name"),
    ({"is_owner": False}, "is_owner"),
    ({"status": "pending"}, "status"),
]


def test_invalid_owner_reply_is_422(app: Flask, api: Any) -> None:
    for payload, field in BAD_OWNER_REPLIES:
        body = {"product": "sku-1", "body": "From us", **payload}
        response = api.admin("POST", "/comments", json=body)
        assert field in assert_problem(response, 422)["errors"], payload
    with database(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_owner_reply_to_review_of_another_product_is_422(api: Any) -> None:
    review = add_review(api, product="sku-2")["id"]
    response = owner_reply(api, review_id=review)
    assert "review_id" in assert_problem(response, 422)["errors"]
    fan = add_comment(api, product="sku-2")["id"]
    assert "parent_id" in assert_problem(owner_reply(api, parent_id=fan), 422)["errors"]


def test_owner_reply_respects_thread_depth(api: Any) -> None:
    root = add_comment(api)["id"]
    child = ok(owner_reply(api, parent_id=root), 201)["id"]
    grandchild = ok(owner_reply(api, parent_id=child), 201)["id"]
    response = owner_reply(api, parent_id=grandchild)
    assert "parent_id" in assert_problem(response, 422)["errors"]


# ---------------------------------------------------------------- site


def get_site(api: Any) -> dict[str, Any]:
    return ok(api.admin("GET", "/site"))


def patch_site(api: Any, **changes: Any) -> Any:
    return api.admin("PATCH", "/site", json=changes)


def test_site_shape(api: Any) -> None:
    site = get_site(api)
    assert {"id", "name", "allowed_origins", "moderation", "blocked_words"} <= set(site)
    assert site["id"] == "acme-shop"
    assert site["name"] == "acme-shop"
    assert site["allowed_origins"] == ["http://shop.test"]
    assert site["moderation"] == "post"
    assert site["blocked_words"] == []
    assert not any("key" in k or "owner" in k for k in site)


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Acme Outdoor"},
        {"allowed_origins": ["https://acme.example", "http://localhost:8000"]},
        {"allowed_origins": []},
        {"moderation": "pre"},
        {"blocked_words": ["casino", "free money"]},
        {"blocked_words": []},
        {"name": "Acme", "moderation": "pre", "blocked_words": ["spam"]},
    ],
)
def test_patch_each_field(api: Any, changes: dict[str, Any]) -> None:
    before = get_site(api)
    after = ok(patch_site(api, **changes))
    assert after == {**before, **changes} == get_site(api)


ORIGIN_FORMS = [
    ("https://shop.example/", "https://shop.example"),
    ("https://SHOP.Example", "https://shop.example"),
    ("HTTPS://Shop.Example:443/", "https://shop.example"),
    ("http://shop.example:80", "http://shop.example"),
    ("http://shop.example:443", "http://shop.example:443"),
    ("https://shop.example:8443", "https://shop.example:8443"),
    ("http://localhost:5000/", "http://localhost:5000"),
    ("  https://shop.example  ", "https://shop.example"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
]


def test_origins_are_normalised(api: Any) -> None:
    for given, stored in ORIGIN_FORMS:
        site = ok(patch_site(api, allowed_origins=[given]))
        assert site["allowed_origins"] == [stored], given
    site = ok(patch_site(api, allowed_origins=[given for given, _ in ORIGIN_FORMS]))
    assert site["allowed_origins"] == list(dict.fromkeys(s for _, s in ORIGIN_FORMS))


def test_duplicate_origins_collapse(api: Any) -> None:
    origins = [
        "https://a.example/",
        "https://A.example",
        "https://a.example:443",
        "https://b.example",
    ]
    site = ok(patch_site(api, allowed_origins=origins))
    assert site["allowed_origins"] == ["https://a.example", "https://b.example"]


BAD_ORIGINS = [
    "javascript:alert(1)",
    "https://x/path",
    "*",
    "https://*.shop.test",
    "null",
    "shop.test",
    "ftp://shop.test",
    "https://shop.test?x=1",
    "https://shop.test/#top",
    "https://user:pw@shop.test",
    "https://",
    "https://shop.test:99999",
    "https://shop test",
    "",
    "data:text/html,hi",
]


def test_invalid_origin_is_422_and_changes_nothing(api: Any) -> None:
    for origin in BAD_ORIGINS:
        response = patch_site(api, allowed_origins=["https://fine.example", origin])
        assert "allowed_origins.1" in assert_problem(response, 422)["errors"], origin
    assert get_site(api)["allowed_origins"] == ["http://shop.test"]


BAD_SITE_PATCHES = [
    {"name": ""},
    {"name": "x" * 121},
    {"moderation": "auto"},
    {"moderation": None},
    {"allowed_origins": "https://shop.example"},
    {"allowed_origins": None},
    {"blocked_words": "casino"},
    {"blocked_words": [""]},
    {"blocked_words": [1]},
    {"id": "new-slug"},
    {"slug": "new-slug"},
    {"api_keys": []},
]


def test_invalid_site_patch_is_422(api: Any) -> None:
    before = get_site(api)
    for changes in BAD_SITE_PATCHES:
        body = assert_problem(patch_site(api, **changes), 422)
        # Each field is named, itself or by the dotted path of an item in it.
        assert set(changes) <= {name.split(".")[0] for name in body["errors"]}, changes
    assert get_site(api) == before


def test_pre_moderation_holds_new_reviews_and_comments(app: Flask, api: Any) -> None:
    ok(patch_site(api, moderation="pre"))
    response = api.post_review(body="Held for approval")
    assert ok(response, 201)["status"] == "pending"
    review = response.get_json()["review"]["id"]
    comment = ok(
        api.client.post(
            api.public("/products/sku-1/comments"), json={"body": "Held", "author_name": "Bo"}
        ),
        201,
    )
    assert comment["status"] == "pending"
    listing = ok(api.client.get(api.public("/products/sku-1/reviews")))
    assert listing["reviews"] == [] and listing["summary"]["count"] == 0
    assert ok(api.admin("GET", f"/reviews/{review}"))["status"] == "pending"
    # The owner's own reply is published at once, whatever the policy.
    assert ok(owner_reply(api), 201)["status"] == "published"

    ok(patch_site(api, moderation="post"))
    assert ok(api.post_review(body="Straight out"), 201)["status"] == "published"


def test_new_origin_can_post_and_removed_one_cannot(api: Any) -> None:
    new = "https://new-shop.example"
    refused = api.post_review(headers={"Origin": new}, body="Too early")
    assert_problem(refused, 403)
    ok(patch_site(api, allowed_origins=[new + "/"]))
    accepted = api.post_review(headers={"Origin": new}, body="Now allowed")
    assert ok(accepted, 201)["status"] == "published"
    assert accepted.headers["Access-Control-Allow-Origin"] == new
    gone = api.post_review(headers={"Origin": "http://shop.test"}, body="Old origin")
    assert_problem(gone, 403)
    # A request without Origin (a server, curl) is not a browser and is still fine.
    assert api.post_review(body="No origin").status_code == 201


def test_blocked_words_take_effect(api: Any) -> None:
    ok(patch_site(api, blocked_words=["casino"]))
    response = api.post_review(body="Great CASINO bonus inside")
    assert ok(response, 201)["status"] == "pending"
    review = ok(api.admin("GET", f"/reviews/{response.get_json()['review']['id']}"))
    assert review["status"] == "spam" and "blocked_word" in review["spam_reasons"]
    assert ok(api.post_review(body="Casinos nearby? No idea"), 201)["status"] == "published"


# ---------------------------------------------------------------- stats


def stats(api: Any) -> dict[str, Any]:
    return ok(api.admin("GET", "/stats"))


def set_review_created(app: Flask, review_id: str, when: datetime) -> None:
    with database(app) as session:
        session.execute(sa.update(Review).where(Review.id == review_id).values(created_at=when))


def test_stats_shape_on_an_empty_site(api: Any) -> None:
    body = stats(api)
    empty = {"pending": 0, "published": 0, "rejected": 0, "spam": 0}
    assert {k: body["reviews"][k] for k in empty} == empty
    assert {k: body["comments"][k] for k in empty} == empty
    assert body["average"] is None
    days = body["published_per_day"]
    assert len(days) == 90 and all(d["count"] == 0 for d in days)
    today = datetime.now(UTC).date()
    assert days[-1]["date"] == today.isoformat()
    assert days[0]["date"] == (today - timedelta(days=89)).isoformat()
    dates = [datetime.fromisoformat(d["date"]).date() for d in days]
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(dates))


def test_stats_counts_average_and_days(app: Flask, api: Any, make_site: Callable[..., Any]) -> None:
    today = datetime.now(UTC).date()
    midnight = datetime.combine(today, time(0, 0, 1), tzinfo=UTC)
    published = {
        "today": add_review(api, rating=5)["id"],
        "today-too": add_review(api, product="sku-2", rating=4)["id"],
        "three-days": add_review(api, rating=2)["id"],
        "first-day": add_review(api, rating=3)["id"],
        "too-old": add_review(api, rating=1)["id"],
    }
    set_review_created(app, published["three-days"], midnight - timedelta(days=3))
    set_review_created(app, published["first-day"], midnight - timedelta(days=89))
    set_review_created(app, published["too-old"], midnight - timedelta(days=90))
    held = [add_review(api, rating=1)["id"] for _ in range(4)]
    for review_id, status in zip(held, ["pending", "pending", "rejected", "spam"], strict=True):
        ok(api.admin("PATCH", f"/reviews/{review_id}", json={"status": status}))
    comments = [add_comment(api)["id"] for _ in range(3)]
    set_comment_status(api, comments[0], "spam")
    other = make_site(slug="other-shop")  # another site's activity is not counted
    api.client.post(
        f"/api/v1/sites/{other.slug}/products/sku-1/reviews",
        json={"rating": 1, "body": "elsewhere", "author_name": "Di"},
    )

    body = stats(api)
    assert body["reviews"] == {
        "pending": 2,
        "published": 5,
        "rejected": 1,
        "spam": 1,
        "total": 9,
    }
    assert body["comments"] == {
        "pending": 0,
        "published": 2,
        "rejected": 0,
        "spam": 1,
        "total": 3,
    }
    assert body["average"] == round((5 + 4 + 2 + 3 + 1) / 5, 2)
    per_day = {d["date"]: d["count"] for d in body["published_per_day"]}
    assert len(per_day) == 90
    assert per_day[today.isoformat()] == 2
    assert per_day[(today - timedelta(days=3)).isoformat()] == 1
    assert per_day[(today - timedelta(days=89)).isoformat()] == 1
    assert (today - timedelta(days=90)).isoformat() not in per_day
    assert sum(per_day.values()) == 4

    # Never stale: a change shows in the next answer.
    ok(api.admin("PATCH", f"/reviews/{published['today']}", json={"status": "rejected"}))
    after = stats(api)
    assert after["reviews"]["published"] == 4 and after["reviews"]["rejected"] == 2
    assert after["average"] == round((4 + 2 + 3 + 1) / 4, 2)
    assert {d["date"]: d["count"] for d in after["published_per_day"]}[today.isoformat()] == 1
