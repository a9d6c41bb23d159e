"""Public review lists: summary, sort orders, filters, limits and keyset cursors.

Every test runs on SQLite and PostgreSQL over the Flask test client. Reviews are
created through the public POST (as the widget does) and moderated through the admin
API, so the counters under the summaries move exactly as in production.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from support import assert_problem

PUBLIC_REVIEW_KEYS = {
    "id",
    "product",
    "rating",
    "title",
    "body",
    "author_name",
    "verified_buyer",
    "incentivized",
    "helpful_count",
    "unhelpful_count",
    "comment_count",
    "created_at",
    "reply",
}
EMPTY_SUMMARY = {
    "count": 0,
    "average": None,
    "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
}


def add_review(api: Any, product: str = "sku-1", rating: int = 5, **fields: Any) -> dict[str, Any]:
    """A published review with a unique body (so the duplicate check never fires)."""
    fields.setdefault("body", f"Review {uuid.uuid4().hex}")
    response = api.post_review(product=product, rating=rating, **fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["status"] == "published"
    return response.get_json()["review"]


def vote(api: Any, review_id: str, visitor: str, helpful: bool = True) -> None:
    response = api.client.post(
        api.public(f"/reviews/{review_id}/votes"),
        json={"helpful": helpful},
        headers={"User-Agent": visitor},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def list_reviews(api: Any, product: str = "sku-1", **query: Any) -> dict[str, Any]:
    response = api.client.get(api.public(f"/products/{product}/reviews"), query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def all_pages(api: Any, product: str = "sku-1", **query: Any) -> list[list[str]]:
    """Ids of every page, following ``next_cursor`` until it is null."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        params = dict(query)
        if cursor is not None:
            params["cursor"] = cursor
        data = list_reviews(api, product, **params)
        pages.append([r["id"] for r in data["reviews"]])
        cursor = data["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not terminate"


# ---------------------------------------------------------------- summary


def test_summary_histogram_and_rounded_average(api: Any) -> None:
    for rating in (5, 4, 4):
        add_review(api, rating=rating)
    data = list_reviews(api)
    assert data["summary"] == {
        "count": 3,
        "average": 4.33,  # 13 / 3, rounded to 2 decimals
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1},
    }
    add_review(api, rating=1)
    add_review(api, rating=2)
    add_review(api, rating=5)
    # 21 / 6 = 3.5 exactly; then 5,5,4 -> 4.666... -> 4.67 on another product
    assert list_reviews(api)["summary"]["average"] == 3.5
    for rating in (5, 5, 4):
        add_review(api, product="sku-2", rating=rating)
    assert list_reviews(api, "sku-2")["summary"]["average"] == 4.67


def test_summary_counts_only_published_reviews(api: Any) -> None:
    kept = add_review(api, rating=5)
    rejected = add_review(api, rating=1)
    response = api.admin("PATCH", f"/reviews/{rejected['id']}", json={"status": "rejected"})
    assert response.status_code == 200
    spam = api.post_review(rating=2, body="honeypot filled", hp="http://spam.example")
    assert spam.get_json()["status"] == "pending"

    data = list_reviews(api)
    assert data["summary"] == {
        "count": 1,
        "average": 5.0,
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
    }
    assert [r["id"] for r in data["reviews"]] == [kept["id"]]


def test_unknown_product_is_an_empty_list_not_an_error(api: Any) -> None:
    add_review(api, product="sku-1")
    assert list_reviews(api, "never-reviewed") == {
        "summary": EMPTY_SUMMARY,
        "reviews": [],
        "next_cursor": None,
    }


@pytest.mark.parametrize("slug", ["no-such-site", "UPPER-case", "ab", "x" * 65])
def test_unknown_site_is_404(client: Any, site: Any, slug: str) -> None:
    response = client.get(f"/api/v1/sites/{slug}/products/sku-1/reviews")
    assert_problem(response, 404)


# ---------------------------------------------------------------- public form


def test_public_form_hides_email_status_spam_reasons_and_ip(api: Any) -> None:
    secret_ip = "203.0.113.77"
    response = api.client.post(
        api.public("/products/sku-1/reviews"),
        json={
            "rating": 4,
            "title": "Solid",
            "body": "Works well",
            "author_name": "Ada",
            "author_email": "ada@private.example",
        },
        environ_base={"REMOTE_ADDR": secret_ip},
    )
    assert response.status_code == 201
    created = response.get_json()["review"]
    assert set(created) == PUBLIC_REVIEW_KEYS

    listed = api.client.get(api.public("/products/sku-1/reviews"))
    for text in (response.get_data(as_text=True), listed.get_data(as_text=True)):
        assert "ada@private.example" not in text
        assert secret_ip not in text
    (review,) = listed.get_json()["reviews"]
    assert set(review) == PUBLIC_REVIEW_KEYS
    assert review["id"] == created["id"]
    assert review["product"] == "sku-1"
    assert review["rating"] == 4
    assert review["title"] == "Solid"
    assert review["verified_buyer"] is False
    assert review["helpful_count"] == review["unhelpful_count"] == review["comment_count"] == 0
    assert review["reply"] is None
    assert review["created_at"].endswith("Z")
    assert isinstance(review["id"], str) and not review["id"].isdigit()

    # The admin form has what the public form hides (and no IP address either).
    admin = api.admin("GET", f"/reviews/{created['id']}")
    assert admin.get_json()["author_email"] == "ada@private.example"
    assert admin.get_json()["status"] == "published"
    assert secret_ip not in admin.get_data(as_text=True)


def test_owner_reply_appears_in_public_form(api: Any) -> None:
    review = add_review(api)
    response = api.admin("PATCH", f"/reviews/{review['id']}", json={"reply": "Thank you!"})
    assert response.status_code == 200
    (listed,) = list_reviews(api)["reviews"]
    assert listed["reply"]["body"] == "Thank you!"
    assert listed["reply"]["created_at"].endswith("Z")


@pytest.mark.parametrize("status", ["pending", "rejected", "spam"])
def test_only_published_reviews_are_listed(api: Any, status: str) -> None:
    visible = add_review(api)
    hidden = add_review(api)
    api.admin("PATCH", f"/reviews/{hidden['id']}", json={"status": status})
    data = list_reviews(api)
    assert [r["id"] for r in data["reviews"]] == [visible["id"]]
    assert data["summary"]["count"] == 1
    # Every filter and order leaves it out too.
    for sort in ("oldest", "highest", "lowest", "helpful"):
        assert [r["id"] for r in list_reviews(api, sort=sort)["reviews"]] == [visible["id"]]
    assert list_reviews(api, rating=5)["reviews"] == [list_reviews(api)["reviews"][0]]


def test_pre_moderated_reviews_are_not_public_until_approved(api: Any) -> None:
    assert api.admin("PATCH", "/site", json={"moderation": "pre"}).status_code == 200
    response = api.post_review(rating=3, body="Held for approval")
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    review_id = response.get_json()["review"]["id"]
    assert list_reviews(api) == {"summary": EMPTY_SUMMARY, "reviews": [], "next_cursor": None}

    api.admin("PATCH", f"/reviews/{review_id}", json={"status": "published"})
    data = list_reviews(api)
    assert [r["id"] for r in data["reviews"]] == [review_id]
    assert data["summary"]["count"] == 1
    assert data["summary"]["histogram"]["3"] == 1


# ---------------------------------------------------------------- sort orders and filters

RATINGS = [3, 5, 1, 5, 2, 4]  # r0 .. r5, created in this order
# helpful votes: r2 three, r4 one, r0 one (ties on helpful_count break newest first)
HELPFUL_VOTES = {2: 3, 4: 1, 0: 1}
EXPECTED_ORDERS = {
    "newest": [5, 4, 3, 2, 1, 0],
    "oldest": [0, 1, 2, 3, 4, 5],
    # rating, then newest first on ties
    "highest": [3, 1, 5, 0, 4, 2],
    # rating, then oldest first on ties (as documented in the OpenAPI description)
    "lowest": [2, 4, 0, 5, 1, 3],
    "helpful": [2, 4, 0, 5, 3, 1],
}


@pytest.fixture
def sortable(api: Any) -> list[str]:
    ids = [add_review(api, rating=rating)["id"] for rating in RATINGS]
    for index, count in HELPFUL_VOTES.items():
        for n in range(count):
            vote(api, ids[index], visitor=f"voter-{n}")
    vote(api, ids[5], visitor="grump", helpful=False)  # unhelpful votes don't count
    return ids


@pytest.mark.parametrize("sort", list(EXPECTED_ORDERS))
def test_each_sort_order(api: Any, sortable: list[str], sort: str) -> None:
    data = list_reviews(api, sort=sort)
    assert [r["id"] for r in data["reviews"]] == [sortable[i] for i in EXPECTED_ORDERS[sort]]
    assert data["next_cursor"] is None


def test_newest_is_the_default_order(api: Any, sortable: list[str]) -> None:
    assert list_reviews(api) == list_reviews(api, sort="newest")


@pytest.mark.parametrize("sort", list(EXPECTED_ORDERS))
def test_pages_of_two_follow_each_order(api: Any, sortable: list[str], sort: str) -> None:
    pages = all_pages(api, sort=sort, limit=2)
    assert [len(p) for p in pages] == [2, 2, 2]
    assert [review for page in pages for review in page] == [
        sortable[i] for i in EXPECTED_ORDERS[sort]
    ]


def test_rating_filter(api: Any, sortable: list[str]) -> None:
    data = list_reviews(api, rating=5)
    assert [r["id"] for r in data["reviews"]] == [sortable[3], sortable[1]]
    assert {r["rating"] for r in data["reviews"]} == {5}
    # The summary stays the product's, not the filtered list's.
    assert data["summary"]["count"] == 6
    lowest_fives = list_reviews(api, rating=5, sort="lowest")["reviews"]
    assert [r["id"] for r in lowest_fives] == [sortable[1], sortable[3]]
    assert list_reviews(api, rating=1)["reviews"][0]["id"] == sortable[2]
    assert list_reviews(api, rating=5, limit=1)["next_cursor"] is not None


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("rating", "0"),
        ("rating", "6"),
        ("rating", "x"),
        ("rating", "4.5"),
        ("sort", "random"),
        ("sort", "NEWEST"),
        ("limit", "51"),
        ("limit", "0"),
        ("limit", "-1"),
        ("limit", "abc"),
        ("limit", "4.7"),
        ("limit", ""),
        ("limit", "1e3"),
        ("limit", "99999999999999999999"),
    ],
)
def test_invalid_query_parameters_are_422(api: Any, param: str, value: str) -> None:
    add_review(api)
    response = api.client.get(api.public("/products/sku-1/reviews"), query_string={param: value})
    body = assert_problem(response, 422)
    assert param in body["errors"]


def test_limit_defaults_to_10_and_allows_50(api: Any) -> None:
    ids = [add_review(api)["id"] for _ in range(11)]
    first = list_reviews(api)
    assert [r["id"] for r in first["reviews"]] == ids[::-1][:10]
    assert first["next_cursor"] is not None
    assert [r["id"] for r in list_reviews(api, limit=50)["reviews"]] == ids[::-1]
    assert list_reviews(api, limit=50)["next_cursor"] is None
    assert len(list_reviews(api, limit=1)["reviews"]) == 1


def test_limit_50_returns_50(api: Any) -> None:
    for _ in range(51):
        add_review(api)
    data = list_reviews(api, limit=50)
    assert len(data["reviews"]) == 50
    assert data["next_cursor"] is not None
    rest = list_reviews(api, limit=50, cursor=data["next_cursor"])
    assert len(rest["reviews"]) == 1
    assert rest["next_cursor"] is None


def test_unknown_query_parameters_are_refused(api: Any) -> None:
    """As unknown body fields are (the contract): a typo must not look like it worked,
    and a cache-buster must not split the read cache."""
    add_review(api)
    url = api.public("/products/sku-1/reviews")
    response = api.client.get(url, query_string={"utm_source": "newsletter", "_": "17000"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "utm_source": ["Unknown field."],
        "_": ["Unknown field."],
    }
    typo = api.client.get(url + "?sorted=highest")
    assert typo.status_code == 422
    assert list(typo.get_json()["errors"]) == ["sorted"]


# ---------------------------------------------------------------- pagination and cursors


def test_pages_cover_everything_once_and_end_with_null_cursor(api: Any) -> None:
    ids = [add_review(api, rating=1 + i % 5)["id"] for i in range(23)]
    pages = all_pages(api, limit=10)
    assert [len(p) for p in pages] == [10, 10, 3]
    assert [review for page in pages for review in page] == ids[::-1]


def test_exact_multiple_of_limit_ends_cleanly(api: Any) -> None:
    for _ in range(4):
        add_review(api)
    pages = all_pages(api, limit=2)
    # No empty trailing page: the second page already says there is no next one.
    assert [len(p) for p in pages] == [2, 2]


@pytest.mark.parametrize("sort", list(EXPECTED_ORDERS))
def test_pages_stay_stable_while_reviews_arrive(api: Any, sort: str) -> None:
    original = [add_review(api, rating=r)["id"] for r in [1, 5, 3, 2, 4, 5, 1, 3, 4, 2, 5, 3]]
    first = list_reviews(api, sort=sort, limit=5)
    seen = [r["id"] for r in first["reviews"]]
    cursor = first["next_cursor"]
    arrived: list[str] = []
    while cursor is not None:
        # New reviews between every page fetch, with ratings that land on both sides of
        # the cursor for the rating orders.
        for rating in (5, 1, 3):
            arrived.append(add_review(api, rating=rating)["id"])
        page = list_reviews(api, sort=sort, limit=5, cursor=cursor)
        seen.extend(r["id"] for r in page["reviews"])
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)), "a review was listed twice"
    assert set(original) <= set(seen), "a review that existed all along was skipped"
    assert set(seen) <= set(original) | set(arrived)
    if sort == "newest":
        # Newer reviews sort before the cursor: a reader paging on sees none of them.
        assert seen[: len(original)] == original[::-1]


@pytest.fixture
def two_pages(api: Any) -> str:
    for rating in (1, 2, 3, 4, 5):
        add_review(api, rating=rating)
    cursor = list_reviews(api, limit=2)["next_cursor"]
    assert cursor
    return cursor


def _corrupt(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


@pytest.mark.parametrize(
    ("make_cursor", "query"),
    [
        (lambda c: "garbage", {}),
        (lambda c: "", {}),
        (lambda c: "eyJmIjoiMCIsImsiOltdfQ", {}),  # base64 JSON, unsigned
        (_corrupt, {}),
        (lambda c: c[:-4], {}),
        (lambda c: c + "x", {}),
        (lambda c: c.split(".")[0] + ".forgedsignature", {}),
        (lambda c: "x" * 600, {}),
        (lambda c: c, {"sort": "oldest"}),
        (lambda c: c, {"sort": "highest"}),
        (lambda c: c, {"rating": "3"}),
    ],
    ids=[
        "garbage",
        "empty",
        "unsigned",
        "corrupted",
        "truncated",
        "extended",
        "forged-signature",
        "too-long",
        "other-sort",
        "other-sort-same-keys",
        "other-filter",
    ],
)
def test_bad_cursor_is_422_never_500(
    api: Any, two_pages: str, make_cursor: Callable[[str], str], query: dict[str, str]
) -> None:
    response = api.client.get(
        api.public("/products/sku-1/reviews"),
        query_string={"limit": "2", **query, "cursor": make_cursor(two_pages)},
    )
    body = assert_problem(response, 422)
    assert "cursor" in body["errors"]


def test_cursor_from_another_product_is_422(api: Any, two_pages: str) -> None:
    add_review(api, product="sku-2")
    for product in ("sku-2", "never-reviewed"):
        response = api.client.get(
            api.public(f"/products/{product}/reviews"),
            query_string={"limit": "2", "cursor": two_pages},
        )
        assert "cursor" in assert_problem(response, 422)["errors"]


def test_cursor_from_another_site_is_422(
    api: Any, two_pages: str, make_site: Callable[..., Any]
) -> None:
    other = make_site()
    add_review_response = api.client.post(
        f"/api/v1/sites/{other.slug}/products/sku-1/reviews",
        json={"rating": 5, "body": "Other site", "author_name": "B"},
    )
    assert add_review_response.status_code == 201
    response = api.client.get(
        f"/api/v1/sites/{other.slug}/products/sku-1/reviews",
        query_string={"limit": "2", "cursor": two_pages},
    )
    assert "cursor" in assert_problem(response, 422)["errors"]


def test_cursor_signed_with_another_secret_is_422(
    api: Any, two_pages: str, app_factory: Callable[..., Flask]
) -> None:
    other = app_factory(SECRET_KEY="another-secret-key").test_client()
    response = other.get(
        api.public("/products/sku-1/reviews"), query_string={"limit": "2", "cursor": two_pages}
    )
    assert "cursor" in assert_problem(response, 422)["errors"]
    # The same cursor on the server that issued it works.
    assert list_reviews(api, limit=2, cursor=two_pages)["reviews"]
