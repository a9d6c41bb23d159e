"""Admin reviews: the list and its filters and cursors, one review, PATCH, DELETE, bulk
moderation, and summaries that are never stale after any of them.

Every test runs on SQLite and PostgreSQL over the Flask test client. Where a test must
control time (``updated_since``, sort orders), it sets timestamps through the models;
summaries are checked against a fresh ``COUNT``/``AVG`` over the published reviews.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from support import assert_problem

from plaudit_server.extensions import db
from plaudit_server.models import Comment, Product, Review, Site, Status, Vote

STATUSES = ["pending", "published", "rejected", "spam"]
ADMIN_REVIEW_KEYS = {
    "id",
    "product",
    "rating",
    "title",
    "body",
    "author_name",
    "verified_buyer",
    "helpful_count",
    "unhelpful_count",
    "comment_count",
    "created_at",
    "reply",
    "status",
    "author_email",
    "updated_at",
    "spam_reasons",
    "incentivized",
    "moderation",
    "reports_open",
    "appealed",
    "appeal_message",
}


# ---------------------------------------------------------------- helpers


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def add_review(api: Any, product: str = "sku-1", rating: int = 5, **fields: Any) -> dict[str, Any]:
    """A review through the public POST, with a unique body (no duplicate flag)."""
    fields.setdefault("body", f"Review {uuid.uuid4().hex}")
    return ok(api.post_review(product=product, rating=rating, **fields), 201)["review"]


def admin_get(api: Any, review_id: str) -> dict[str, Any]:
    return ok(api.admin("GET", f"/reviews/{review_id}"))


def patch(api: Any, review_id: str, **changes: Any) -> dict[str, Any]:
    return ok(api.admin("PATCH", f"/reviews/{review_id}", json=changes))


def listing(api: Any, **query: Any) -> dict[str, Any]:
    return ok(api.admin("GET", "/reviews", query_string=query))


def ids_of(api: Any, **query: Any) -> list[str]:
    return [r["id"] for r in listing(api, **query)["reviews"]]


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    """The app's session, committed (and the SQLite write lock freed) on exit."""
    with app.app_context():
        yield db.session
        db.session.commit()


def set_times(app: Flask, review_id: str, **times: datetime) -> None:
    with database(app) as session:
        session.execute(sa.update(Review).where(Review.id == review_id).values(**times))


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2020, 1, day, hour, minute, tzinfo=UTC)


def sql_summary(app: Flask, slug: str, product: str) -> dict[str, Any]:
    """The summary recomputed from scratch: COUNT and AVG over published reviews."""
    published = (
        sa.select(Review.rating)
        .join(Product, Review.product_id == Product.id)
        .join(Site, Product.site_id == Site.id)
        .where(Site.slug == slug, Product.external_id == product, Review.status == Status.PUBLISHED)
        .subquery()
    )
    with database(app) as session:
        count, average = session.execute(
            sa.select(sa.func.count(), sa.func.avg(published.c.rating))
        ).one()
        by_rating = dict(
            session.execute(
                sa.select(published.c.rating, sa.func.count()).group_by(published.c.rating)
            ).all()
        )
    return {
        "count": count,
        "average": None if average is None else round(float(average), 2),
        "histogram": {str(n): by_rating.get(n, 0) for n in range(1, 6)},
    }


def public_summary(api: Any, product: str = "sku-1") -> dict[str, Any]:
    """The summary as the widget sees it, from both public endpoints (they must agree)."""
    listed = ok(api.client.get(api.public(f"/products/{product}/reviews")))["summary"]
    badges = ok(api.client.get(api.public("/summaries"), query_string={"products": product}))
    assert badges["summaries"][product] == listed
    return listed


def assert_summary_fresh(app: Flask, api: Any, product: str = "sku-1") -> dict[str, Any]:
    expected = sql_summary(app, api.site.slug, product)
    actual = public_summary(api, product)
    assert actual == expected
    if actual["average"] is not None:
        assert round(actual["average"], 2) == actual["average"]
    return actual


def public_ids(api: Any, product: str = "sku-1") -> set[str]:
    body = ok(
        api.client.get(api.public(f"/products/{product}/reviews"), query_string={"limit": 50})
    )
    return {r["id"] for r in body["reviews"]}


# ---------------------------------------------------------------- the list


def test_list_shape_and_default_status_is_all(api: Any) -> None:
    made = {status: add_review(api, rating=2)["id"] for status in STATUSES}
    for status, review_id in made.items():
        patch(api, review_id, status=status)
    body = listing(api)
    assert set(body) == {"reviews", "next_cursor"} and body["next_cursor"] is None
    assert {r["id"] for r in body["reviews"]} == set(made.values())
    for review in body["reviews"]:
        assert set(review) >= ADMIN_REVIEW_KEYS
        assert "visitor_hash" not in review and "ip" not in review
    assert set(ids_of(api, status="all")) == set(made.values())
    for status, review_id in made.items():
        assert ids_of(api, status=status) == [review_id]


BAD_QUERIES = [
    {"status": "deleted"},
    {"status": ""},
    {"rating": "0"},
    {"rating": "6"},
    {"rating": "4.5"},
    {"rating": "five"},
    {"product": "bad product"},
    {"product": "x" * 129},
    {"sort": "highest"},
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "-1"},
    {"limit": "1e2"},
    {"q": ""},
    {"updated_since": "yesterday"},
    {"updated_since": "2020-13-01T00:00:00Z"},
    {"updated_since": "1577836800"},
    {"cursor": "not-a-cursor"},
]


def test_invalid_query_is_422(api: Any) -> None:
    add_review(api)
    for query in BAD_QUERIES:
        body = assert_problem(api.admin("GET", "/reviews", query_string=query), 422)
        assert set(body["errors"]) == set(query), query


def test_limit_100_is_the_maximum(api: Any) -> None:
    add_review(api)
    assert len(listing(api, limit="100")["reviews"]) == 1
    assert_problem(api.admin("GET", "/reviews", query_string={"limit": "101"}), 422)


def test_filter_by_product_and_rating(api: Any) -> None:
    a5 = add_review(api, product="sku-a", rating=5)["id"]
    a3 = add_review(api, product="sku-a", rating=3)["id"]
    b3 = add_review(api, product="sku-b", rating=3)["id"]
    patch(api, a3, status="rejected")
    assert set(ids_of(api, product="sku-a")) == {a5, a3}
    assert ids_of(api, product="sku-b") == [b3]
    assert ids_of(api, product="sku-c") == []
    assert set(ids_of(api, rating="3")) == {a3, b3}
    assert ids_of(api, rating="3", product="sku-a") == [a3]
    assert ids_of(api, rating="3", product="sku-a", status="published") == []
    assert ids_of(api, rating="1") == []


def test_q_searches_title_body_and_author_case_insensitively(api: Any) -> None:
    title = add_review(api, title="Sturdy Umbrella", body="ok")["id"]
    body = add_review(api, body="The umbrella broke on day two")["id"]
    author = add_review(api, author_name="Umbrella Fan", body="fine")["id"]
    other = add_review(api, title="Raincoat", body="dry", author_name="Cy")["id"]
    for q in ("umbrella", "UMBRELLA", "uMbReLlA", "brell"):
        assert set(ids_of(api, q=q)) == {title, body, author}
    assert ids_of(api, q="raincoat") == [other]
    assert ids_of(api, q="nothing like it") == []
    # Combined with the other filters.
    patch(api, body, status="spam")
    assert set(ids_of(api, q="umbrella", status="published")) == {title, author}


LITERAL_SEARCHES = [
    ("%", {"percent"}),
    ("100%", {"percent"}),
    ("_", {"underscore"}),
    ("a_b", {"underscore"}),
    ("\\", {"backslash"}),
    ("c\\d", {"backslash"}),
    ("%%", set()),
    ("a%b", set()),
]


def test_q_wildcards_are_literal(api: Any) -> None:
    made = {
        "percent": add_review(api, body="100% cotton")["id"],
        "underscore": add_review(api, body="see a_b here")["id"],
        "plain": add_review(api, body="see axb and a-b and 100 cotton and aXb")["id"],
        "backslash": add_review(api, body="path c\\d ok")["id"],
    }
    for q, expected in LITERAL_SEARCHES:
        assert set(ids_of(api, q=q)) == {made[name] for name in expected}, q


@pytest.fixture
def timed(app: Flask, api: Any) -> dict[str, str]:
    """Three reviews updated at 10:00, 12:00 and 14:00 UTC on 2020-01-01."""
    made = {}
    for name, hour in (("ten", 10), ("noon", 12), ("two", 14)):
        made[name] = add_review(api)["id"]
        set_times(app, made[name], created_at=at(hour), updated_at=at(hour))
    return made


SINCE_CASES = [
    ("2020-01-01T12:00:00Z", {"two"}),
    ("2020-01-01T12:00:00.000000Z", {"two"}),
    ("2020-01-01T12:00:00+00:00", {"two"}),
    ("2020-01-01T13:00:00+01:00", {"two"}),
    ("2020-01-01T07:00:00-05:00", {"two"}),
    ("2020-01-01T11:59:59.999999Z", {"noon", "two"}),
    ("2020-01-01T12:59:59+01:00", {"noon", "two"}),
    ("2019-12-31T23:00:00Z", {"ten", "noon", "two"}),
    ("2020-01-01T14:00:00Z", set()),
]


def test_updated_since_is_strictly_after_in_any_zone(api: Any, timed: dict[str, str]) -> None:
    for since, expected in SINCE_CASES:
        assert set(ids_of(api, updated_since=since)) == {timed[n] for n in expected}, since


def test_updated_since_round_trips_a_returned_timestamp(api: Any, timed: dict[str, str]) -> None:
    """Syncing with the last item's ``updated_at`` never returns that item again."""
    noon = admin_get(api, timed["noon"])
    assert noon["updated_at"].endswith("Z")
    assert ids_of(api, updated_since=noon["updated_at"]) == [timed["two"]]


def test_updated_since_sees_a_moderation_change(
    app: Flask, api: Any, timed: dict[str, str]
) -> None:
    mark = "2020-01-02T00:00:00Z"
    assert ids_of(api, updated_since=mark) == []
    patch(api, timed["ten"], status="rejected")
    assert ids_of(api, updated_since=mark, sort="updated") == [timed["ten"]]
    patch(api, timed["noon"], reply="Thanks")
    assert ids_of(api, updated_since=mark, sort="updated") == [timed["ten"], timed["noon"]]


def test_sort_orders(app: Flask, api: Any) -> None:
    first, second, third = (add_review(api)["id"] for _ in range(3))
    set_times(app, first, created_at=at(9), updated_at=at(20))
    set_times(app, second, created_at=at(10), updated_at=at(8))
    set_times(app, third, created_at=at(11), updated_at=at(15))
    assert ids_of(api) == [third, second, first]
    assert ids_of(api, sort="newest") == [third, second, first]
    assert ids_of(api, sort="oldest") == [first, second, third]
    assert ids_of(api, sort="updated") == [second, third, first]


def page_through(api: Any, **query: Any) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        params = dict(query) if cursor is None else {**query, "cursor": cursor}
        body = listing(api, **params)
        pages += 1
        seen.extend(r["id"] for r in body["reviews"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
        assert len(body["reviews"]) == int(query["limit"])


@pytest.mark.parametrize("sort", ["newest", "oldest", "updated"])
def test_cursor_pages_cover_everything_once(app: Flask, api: Any, sort: str) -> None:
    made = [add_review(api, rating=1 + n % 5)["id"] for n in range(17)]
    # Ties on the sort key: the id breaks them, across page boundaries too.
    for review_id in made[:6]:
        set_times(app, review_id, created_at=at(12), updated_at=at(12))
    expected = ids_of(api, sort=sort, limit="100")
    assert sorted(expected) == sorted(made)
    seen, pages = page_through(api, sort=sort, limit="3")
    assert seen == expected
    assert pages == 6
    # Filters keep working across pages.
    fives = [i for i in expected if admin_get(api, i)["rating"] == 5]
    seen, _ = page_through(api, sort=sort, limit="2", rating="5")
    assert seen == fives


def test_cursor_is_stable_while_reviews_arrive_and_change(api: Any) -> None:
    made = [add_review(api)["id"] for _ in range(9)]
    page = listing(api, limit="4")
    seen = [r["id"] for r in page["reviews"]]
    arrivals = [add_review(api)["id"] for _ in range(3)]  # newer than everything listed
    patch(api, seen[0], status="rejected")  # a change behind the cursor
    while page["next_cursor"]:
        page = listing(api, limit="4", cursor=page["next_cursor"])
        seen.extend(r["id"] for r in page["reviews"])
    assert len(seen) == len(set(seen)) == 9
    assert set(seen) == set(made) and not set(arrivals) & set(seen)


def test_tampered_cursor_is_422(api: Any) -> None:
    for _ in range(3):
        add_review(api)
    cursor = listing(api, limit="1")["next_cursor"]
    assert cursor
    flipped = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    payload, _, signature = cursor.partition(".")
    forged = base64.urlsafe_b64encode(b'{"f":"x","k":["2999-01-01","rev_X"]}').decode()
    for bad in (
        flipped,
        cursor[:-5],
        cursor + "x",
        f"{forged.rstrip('=')}.{signature}",
        "x" * 600,
        "%00",
        "..",
    ):
        body = assert_problem(
            api.admin("GET", "/reviews", query_string={"limit": "1", "cursor": bad}), 422
        )
        assert "cursor" in body["errors"]
    assert payload  # the cursor is signed, not a bare value


OTHER_QUERIES = [
    {"status": "published"},
    {"sort": "oldest"},
    {"sort": "updated"},
    {"product": "sku-2"},
    {"rating": "5"},
    {"q": "Review"},
    {"updated_since": "2000-01-01T00:00:00Z"},
]


def test_cursor_from_another_filter_is_422(api: Any) -> None:
    for _ in range(3):
        add_review(api)
    cursor = listing(api, limit="1")["next_cursor"]
    assert cursor
    for other in OTHER_QUERIES:
        query = {"limit": "1", "cursor": cursor, **other}
        response = api.admin("GET", "/reviews", query_string=query)
        assert "cursor" in assert_problem(response, 422)["errors"], other
    # The same cursor with the same filters (and another limit) still works.
    assert listing(api, limit="2", cursor=cursor)["reviews"]


def test_cursor_from_another_site_is_422(api: Any, make_site: Callable[..., Any]) -> None:
    for _ in range(3):
        add_review(api)
    cursor = listing(api, limit="1")["next_cursor"]
    other = make_site(slug="other-shop")
    response = api.client.get(
        "/api/v1/admin/reviews",
        query_string={"limit": "1", "cursor": cursor},
        headers={"Authorization": f"Bearer {other.api_key}"},
    )
    assert_problem(response, 422)


# ---------------------------------------------------------------- one review


def test_get_one_is_the_admin_form(api: Any) -> None:
    created = add_review(
        api, rating=4, title="Nice", author_email="ada@example.test", hp="bot was here"
    )
    review = admin_get(api, created["id"])
    assert set(review) >= ADMIN_REVIEW_KEYS
    assert review["status"] == "spam" and review["spam_reasons"] == ["honeypot"]
    assert review["author_email"] == "ada@example.test"
    assert review["rating"] == 4 and review["title"] == "Nice" and review["reply"] is None
    assert review["created_at"].endswith("Z") and review["updated_at"].endswith("Z")
    assert {k: review[k] for k in created} == created


TRANSITIONS = [(old, new) for old in STATUSES for new in STATUSES]


@pytest.mark.parametrize(("old", "new"), TRANSITIONS)
def test_every_status_transition(app: Flask, api: Any, old: str, new: str) -> None:
    add_review(api, rating=2)  # another published review, so the average is not trivial
    review_id = add_review(api, rating=5)["id"]
    if old != "published":
        patch(api, review_id, status=old)
    assert_summary_fresh(app, api)
    before = admin_get(api, review_id)
    set_times(app, review_id, updated_at=at(0))

    after = patch(api, review_id, status=new)
    assert after["status"] == new == admin_get(api, review_id)["status"]
    assert (review_id in public_ids(api)) is (new == "published")
    if old != new:
        assert after["updated_at"] > "2020-01-01T00:00:00.000000Z"
    else:
        assert after["updated_at"] == "2020-01-01T00:00:00.000000Z"
    moved = {"status", "updated_at", "moderation"}
    assert {k: v for k, v in after.items() if k not in moved} == {
        k: v for k, v in before.items() if k not in moved
    }
    # A decision is recorded with its default reason; a move back to pending is none.
    reason = {"published": None, "rejected": "other", "spam": "spam"}
    if old != new and new != "pending":
        assert after["moderation"]["reason"] == reason[new]
    summary = assert_summary_fresh(app, api)
    assert summary["count"] == 1 + (new == "published")
    assert summary["average"] == (3.5 if new == "published" else 2.0)


def test_reply_set_change_and_remove(app: Flask, api: Any) -> None:
    review_id = add_review(api)["id"]
    set_times(app, review_id, updated_at=at(0))

    first = patch(api, review_id, reply="  Thank you, Ada!  ")
    assert first["reply"]["body"] == "Thank you, Ada!"
    assert first["reply"]["created_at"].endswith("Z")
    assert first["updated_at"] > "2020-01-01T00:00:00.000000Z"
    public = ok(api.client.get(api.public("/products/sku-1/reviews")))["reviews"]
    assert public[0]["reply"] == first["reply"]
    assert set(public[0]["reply"]) == {"body", "created_at"}

    set_times(app, review_id, updated_at=at(1))
    changed = patch(api, review_id, reply="Thanks again")
    assert changed["reply"]["body"] == "Thanks again"
    assert changed["updated_at"] > "2020-01-01T01:00:00.000000Z"
    assert admin_get(api, review_id)["reply"] == changed["reply"]

    # The same reply again is no change.
    set_times(app, review_id, updated_at=at(2))
    same = patch(api, review_id, reply="Thanks again")
    assert same["updated_at"] == "2020-01-01T02:00:00.000000Z"

    removed = patch(api, review_id, reply=None)
    assert removed["reply"] is None
    assert removed["updated_at"] > "2020-01-01T02:00:00.000000Z"
    public = ok(api.client.get(api.public("/products/sku-1/reviews")))["reviews"]
    assert public[0]["reply"] is None


def test_status_and_reply_in_one_patch(app: Flask, api: Any) -> None:
    review_id = add_review(api, rating=1)["id"]
    patch(api, review_id, status="pending")
    both = patch(api, review_id, status="published", reply="Sorry to hear that")
    assert both["status"] == "published" and both["reply"]["body"] == "Sorry to hear that"
    assert_summary_fresh(app, api)
    assert patch(api, review_id)["status"] == "published"  # an empty PATCH changes nothing


def test_reply_on_a_pending_review_is_not_public(api: Any) -> None:
    review_id = add_review(api)["id"]
    patch(api, review_id, status="pending", reply="We will look into it")
    assert public_ids(api) == set()
    assert admin_get(api, review_id)["reply"]["body"] == "We will look into it"


BAD_PATCHES = [
    {"status": "deleted"},
    {"status": "PUBLISHED"},
    {"status": None},
    {"status": 1},
    {"reply": ""},
    {"reply": "   "},
    {"reply": "x" * 5001},
    {"reply": "bad\x00byte"},
    {"reply": 5},
    {"rating": 1},
    {"body": "rewritten"},
    {"author_email": "x@example.test"},
    {"helpful_count": 1000},
    {"id": "rev_" + "1" * 26},
    {"status": "spam", "product": "sku-2"},
]


def test_invalid_patch_is_422_and_changes_nothing(api: Any) -> None:
    review_id = add_review(api)["id"]
    before = admin_get(api, review_id)
    for changes in BAD_PATCHES:
        body = assert_problem(api.admin("PATCH", f"/reviews/{review_id}", json=changes), 422)
        bad = set(changes) - {"status"} if len(changes) > 1 else set(changes)
        assert bad <= set(body["errors"]), changes
    assert admin_get(api, review_id) == before


# ---------------------------------------------------------------- delete


def table_counts(app: Flask, review_id: str) -> tuple[int, int, int]:
    with database(app) as session:
        reviews = session.scalar(sa.select(sa.func.count()).where(Review.id == review_id))
        votes = session.scalar(sa.select(sa.func.count()).where(Vote.review_id == review_id))
        comments = session.scalar(sa.select(sa.func.count()).where(Comment.review_id == review_id))
    return reviews or 0, votes or 0, comments or 0


def test_delete_removes_review_votes_and_comments(app: Flask, api: Any) -> None:
    keep = add_review(api, rating=1)["id"]
    doomed = add_review(api, rating=5)["id"]
    for agent in ("a", "b"):
        response = api.client.post(
            api.public(f"/reviews/{doomed}/votes"),
            json={"helpful": True},
            headers={"User-Agent": agent},
        )
        ok(response)
    comment = ok(
        api.client.post(
            api.public("/products/sku-1/comments"),
            json={"body": "Agreed", "author_name": "Bo", "review_id": doomed},
        ),
        201,
    )["comment"]
    reply = ok(
        api.client.post(
            api.public("/products/sku-1/comments"),
            json={"body": "Me too", "author_name": "Cy", "parent_id": comment["id"]},
        ),
        201,
    )["comment"]
    assert table_counts(app, doomed) == (1, 2, 2)
    assert public_summary(api)["count"] == 2

    response = api.admin("DELETE", f"/reviews/{doomed}")
    assert response.status_code == 204 and response.get_data() == b""
    assert table_counts(app, doomed) == (0, 0, 0)
    assert_problem(api.admin("GET", f"/reviews/{doomed}"), 404)
    assert_problem(api.admin("DELETE", f"/reviews/{doomed}"), 404)
    assert_problem(api.admin("PATCH", f"/reviews/{doomed}", json={"status": "published"}), 404)
    for comment_id in (comment["id"], reply["id"]):
        assert_problem(api.admin("GET", f"/comments/{comment_id}"), 404)
    assert ids_of(api) == [keep]
    assert admin_get(api, keep)["helpful_count"] == 0
    summary = assert_summary_fresh(app, api)
    assert summary == {
        "count": 1,
        "average": 1.0,
        "histogram": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0},
    }


@pytest.mark.parametrize("status", STATUSES)
def test_delete_in_any_status_keeps_summary_exact(app: Flask, api: Any, status: str) -> None:
    add_review(api, rating=4)
    review_id = add_review(api, rating=2)["id"]
    patch(api, review_id, status=status)
    assert api.admin("DELETE", f"/reviews/{review_id}").status_code == 204
    summary = assert_summary_fresh(app, api)
    assert summary["count"] == 1 and summary["average"] == 4.0


# ---------------------------------------------------------------- summaries never stale


def test_summaries_exact_after_every_kind_of_write(app: Flask, api: Any) -> None:
    ratings = [5, 4, 4, 3, 1, 5, 2]
    ids = [add_review(api, rating=r)["id"] for r in ratings]
    other = [add_review(api, product="sku-2", rating=r)["id"] for r in (1, 2)]
    assert assert_summary_fresh(app, api)["average"] == round(24 / 7, 2)

    writes: list[Callable[[], Any]] = [
        lambda: patch(api, ids[0], status="rejected"),
        lambda: patch(api, ids[1], status="spam"),
        lambda: patch(api, ids[2], status="pending"),
        lambda: patch(api, ids[2], status="published"),
        lambda: patch(api, ids[0], status="spam"),  # not published to not published
        lambda: api.admin("DELETE", f"/reviews/{ids[3]}"),
        lambda: api.admin(
            "POST", "/reviews/moderate", json={"ids": [*ids[4:], *other], "status": "rejected"}
        ),
        lambda: api.admin("POST", "/reviews/moderate", json={"ids": ids, "status": "published"}),
        lambda: add_review(api, rating=3),
        lambda: add_review(api, rating=1, hp="spam!"),  # not published: no change
        lambda: api.admin("POST", "/reviews/moderate", json={"ids": ids[:2], "status": "pending"}),
    ]
    for write in writes:
        response = write()
        if hasattr(response, "status_code"):
            assert response.status_code in {200, 204}, response.get_data(as_text=True)
        assert_summary_fresh(app, api)
        assert_summary_fresh(app, api, "sku-2")
    assert public_summary(api, "sku-2")["count"] == 0


def test_average_is_rounded_to_two_decimals(app: Flask, api: Any) -> None:
    for rating in (5, 4, 4):
        add_review(api, rating=rating)
    summary = assert_summary_fresh(app, api)
    assert summary["average"] == 4.33
    add_review(api, rating=1)
    assert assert_summary_fresh(app, api)["average"] == 3.5


# ---------------------------------------------------------------- bulk moderation


@pytest.mark.parametrize("count", [0, 501])
def test_bulk_moderation_size_limits(api: Any, count: int) -> None:
    review_id = add_review(api)["id"]
    ids = [review_id] + [f"rev_{n:026d}" for n in range(count - 1)] if count else []
    body = assert_problem(
        api.admin("POST", "/reviews/moderate", json={"ids": ids, "status": "spam"}), 422
    )
    assert "ids" in body["errors"]
    assert admin_get(api, review_id)["status"] == "published"


BAD_MODERATIONS = [
    {"ids": ["rev_x"]},
    {"status": "spam"},
    {"ids": "rev_x", "status": "spam"},
    {"ids": [1], "status": "spam"},
    {"ids": [""], "status": "spam"},
    {"ids": ["rev_x"], "status": "all"},
    {"ids": ["rev_x"], "status": "spam", "reason": "why not"},
]


def test_bulk_moderation_invalid_body_is_422(api: Any) -> None:
    review_id = add_review(api)["id"]
    for payload in BAD_MODERATIONS:
        raw = json.dumps(payload).replace("rev_x", review_id)
        response = api.admin("POST", "/reviews/moderate", data=raw, content_type="application/json")
        assert_problem(response, 422)
    assert admin_get(api, review_id)["status"] == "published"


def test_bulk_moderation_of_500_ids(app: Flask, api: Any) -> None:
    made = [add_review(api, rating=1 + n % 5)["id"] for n in range(5)]
    ids = made + [f"rev_{n:026d}" for n in range(495)]
    result = ok(api.admin("POST", "/reviews/moderate", json={"ids": ids, "status": "pending"}))
    assert result == {"updated": 5}
    assert {admin_get(api, i)["status"] for i in made} == {"pending"}
    assert assert_summary_fresh(app, api)["count"] == 0


def test_bulk_moderation_counts_ignores_and_repeats(
    app: Flask, api: Any, make_site: Callable[..., Any]
) -> None:
    other = make_site(slug="other-shop")
    foreign = ok(
        api.client.post(
            "/api/v1/sites/other-shop/products/sku-1/reviews",
            json={"rating": 5, "body": "Elsewhere", "author_name": "Di"},
        ),
        201,
    )["review"]["id"]
    mine = [add_review(api, rating=r)["id"] for r in (5, 3, 1)]
    ids = [*mine, mine[0], "rev_" + "Z" * 26, "nonsense", foreign]

    result = ok(api.admin("POST", "/reviews/moderate", json={"ids": ids, "status": "rejected"}))
    assert result == {"updated": 3}  # each of the site's reviews once; the rest ignored
    assert {admin_get(api, i)["status"] for i in mine} == {"rejected"}
    assert assert_summary_fresh(app, api)["count"] == 0

    # Repeating it changes nothing more, and the counters stay exact.
    again = ok(api.admin("POST", "/reviews/moderate", json={"ids": ids, "status": "rejected"}))
    assert again == {"updated": 3}
    assert assert_summary_fresh(app, api)["count"] == 0

    ok(api.admin("POST", "/reviews/moderate", json={"ids": mine, "status": "published"}))
    ok(api.admin("POST", "/reviews/moderate", json={"ids": mine, "status": "published"}))
    summary = assert_summary_fresh(app, api)
    assert summary["count"] == 3 and summary["average"] == 3.0

    # The other site's review was untouched.
    response = api.client.get(
        f"/api/v1/admin/reviews/{foreign}", headers={"Authorization": f"Bearer {other.api_key}"}
    )
    assert ok(response)["status"] == "published"
    assert (
        ok(api.client.get("/api/v1/sites/other-shop/products/sku-1/reviews"))["summary"]["count"]
        == 1
    )


def test_bulk_moderation_mixed_statuses_moves_each_counter_once(app: Flask, api: Any) -> None:
    made = {status: add_review(api, rating=n + 1)["id"] for n, status in enumerate(STATUSES)}
    for status, review_id in made.items():
        patch(api, review_id, status=status)
    for target in STATUSES:
        result = ok(
            api.admin(
                "POST", "/reviews/moderate", json={"ids": list(made.values()), "status": target}
            )
        )
        assert result == {"updated": 4}
        summary = assert_summary_fresh(app, api)
        assert summary["count"] == (4 if target == "published" else 0)
    with database(app) as session:
        product = session.scalar(sa.select(Product).where(Product.external_id == "sku-1"))
        assert product is not None
        assert product.published_count == 0 and product.rating_sum == 0


def test_timestamps_are_utc_with_z(api: Any) -> None:
    review = admin_get(api, add_review(api)["id"])
    for key in ("created_at", "updated_at"):
        parsed = datetime.fromisoformat(review[key].replace("Z", "+00:00"))
        assert parsed.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - parsed) < timedelta(hours=1)


def test_q_is_case_insensitive_beyond_ascii(api: Any) -> None:
    # SQLite's own lower() and LIKE fold ASCII letters only; db.py gives it Python's.
    made = add_review(api, body="Über gut", author_name="Zoë Ünal")["id"]
    for q in ("über", "ÜBER", "zoë", "ZOË", "ünal"):
        assert ids_of(api, q=q) == [made], q
