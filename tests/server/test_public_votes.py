"""Helpful votes and the summaries endpoint for star badges.

A visitor (keyed hash of IP and user agent) has one vote per review: voting again
changes it, never adds. Summaries answer up to 100 products in one request.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from support import assert_problem

ZERO = {"count": 0, "average": None, "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}


def add_review(api: Any, product: str = "sku-1", rating: int = 5) -> str:
    response = api.post_review(product=product, rating=rating, body=f"R {uuid.uuid4().hex}")
    assert response.status_code == 201
    return response.get_json()["review"]["id"]


def vote(
    api: Any, review_id: str, helpful: Any, user_agent: str = "browser-a", ip: str = "192.0.2.1"
) -> Any:
    return api.client.post(
        api.public(f"/reviews/{review_id}/votes"),
        json={"helpful": helpful},
        headers={"User-Agent": user_agent},
        environ_base={"REMOTE_ADDR": ip},
    )


def public_review(api: Any, review_id: str, product: str = "sku-1") -> dict[str, Any]:
    listed = api.client.get(api.public(f"/products/{product}/reviews")).get_json()["reviews"]
    return next(r for r in listed if r["id"] == review_id)


# ---------------------------------------------------------------- votes


def test_vote_counts(api: Any) -> None:
    review = add_review(api)
    response = vote(api, review, True)
    assert response.status_code == 200
    assert response.get_json() == {"helpful_count": 1, "unhelpful_count": 0}
    assert vote(api, review, False, user_agent="browser-b").get_json() == {
        "helpful_count": 1,
        "unhelpful_count": 1,
    }
    assert vote(api, review, True, user_agent="browser-c").get_json() == {
        "helpful_count": 2,
        "unhelpful_count": 1,
    }
    listed = public_review(api, review)
    assert (listed["helpful_count"], listed["unhelpful_count"]) == (2, 1)


def test_second_vote_from_same_visitor_changes_never_adds(api: Any) -> None:
    review = add_review(api)
    assert vote(api, review, True).get_json() == {"helpful_count": 1, "unhelpful_count": 0}
    assert vote(api, review, True).get_json() == {"helpful_count": 1, "unhelpful_count": 0}
    assert vote(api, review, False).get_json() == {"helpful_count": 0, "unhelpful_count": 1}
    assert vote(api, review, False).get_json() == {"helpful_count": 0, "unhelpful_count": 1}
    assert vote(api, review, True).get_json() == {"helpful_count": 1, "unhelpful_count": 0}
    listed = public_review(api, review)
    assert (listed["helpful_count"], listed["unhelpful_count"]) == (1, 0)


def test_visitor_is_ip_and_user_agent(api: Any) -> None:
    review = add_review(api)
    vote(api, review, True, user_agent="ua-1", ip="192.0.2.1")
    # Another user agent on the same address is another visitor.
    assert vote(api, review, True, user_agent="ua-2", ip="192.0.2.1").get_json() == {
        "helpful_count": 2,
        "unhelpful_count": 0,
    }
    # So is the same user agent from another address.
    assert vote(api, review, True, user_agent="ua-1", ip="198.51.100.9").get_json() == {
        "helpful_count": 3,
        "unhelpful_count": 0,
    }
    # And the first one is still the same visitor.
    assert vote(api, review, False, user_agent="ua-1", ip="192.0.2.1").get_json() == {
        "helpful_count": 2,
        "unhelpful_count": 1,
    }


def test_votes_are_per_review(api: Any) -> None:
    first, second = add_review(api), add_review(api)
    vote(api, first, True)
    assert vote(api, second, False).get_json() == {"helpful_count": 0, "unhelpful_count": 1}
    assert public_review(api, first)["helpful_count"] == 1


def test_vote_does_not_change_the_summary(api: Any) -> None:
    review = add_review(api, rating=4)
    before = api.client.get(api.public("/products/sku-1/reviews")).get_json()["summary"]
    vote(api, review, False)
    after = api.client.get(api.public("/products/sku-1/reviews")).get_json()["summary"]
    assert (
        before
        == after
        == {
            "count": 1,
            "average": 4.0,
            "histogram": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
        }
    )


@pytest.mark.parametrize(
    "review_id",
    ["rev_01ABCDEFGHJKMNPQRSTVWXYZ00", "does-not-exist", "1", "rev_" + "Z" * 200],
)
def test_vote_on_unknown_review_is_404(api: Any, review_id: str) -> None:
    add_review(api)
    assert_problem(vote(api, review_id, True), 404)


@pytest.mark.parametrize("status", ["pending", "rejected", "spam"])
def test_vote_on_unpublished_review_is_404(api: Any, status: str) -> None:
    review = add_review(api)
    api.admin("PATCH", f"/reviews/{review}", json={"status": status})
    assert_problem(vote(api, review, True), 404)
    api.admin("PATCH", f"/reviews/{review}", json={"status": "published"})
    assert public_review(api, review)["helpful_count"] == 0


def test_vote_on_deleted_review_is_404(api: Any) -> None:
    review = add_review(api)
    vote(api, review, True)
    assert api.admin("DELETE", f"/reviews/{review}").status_code == 204
    assert_problem(vote(api, review, True), 404)


def test_vote_through_another_site_is_404(api: Any, make_site: Any) -> None:
    review = add_review(api)
    other = make_site()
    response = api.client.post(
        f"/api/v1/sites/{other.slug}/reviews/{review}/votes", json={"helpful": True}
    )
    assert_problem(response, 404)
    assert public_review(api, review)["helpful_count"] == 0


@pytest.mark.parametrize("value", ["true", 1, 0, None, "yes", [True], {}])
def test_helpful_must_be_a_json_boolean(api: Any, value: Any) -> None:
    review = add_review(api)
    errors = assert_problem(vote(api, review, value), 422)["errors"]
    assert set(errors) == {"helpful"}
    assert public_review(api, review)["helpful_count"] == 0


@pytest.mark.parametrize("body", [{}, {"helpful": True, "weight": 10}])
def test_vote_body_is_exactly_helpful(api: Any, body: dict[str, Any]) -> None:
    review = add_review(api)
    response = api.client.post(api.public(f"/reviews/{review}/votes"), json=body)
    assert_problem(response, 422)


def test_helpful_votes_reorder_the_helpful_sort(api: Any) -> None:
    older, newer = add_review(api), add_review(api)
    url = api.public("/products/sku-1/reviews")
    assert [r["id"] for r in api.client.get(url + "?sort=helpful").get_json()["reviews"]] == [
        newer,
        older,
    ]
    vote(api, older, True)
    assert [r["id"] for r in api.client.get(url + "?sort=helpful").get_json()["reviews"]] == [
        older,
        newer,
    ]


# ---------------------------------------------------------------- summaries


def summaries(api: Any, products: str) -> Any:
    return api.client.get(api.public("/summaries"), query_string={"products": products})


def test_summaries_of_several_products(api: Any) -> None:
    for rating in (5, 4):
        add_review(api, "sku-1", rating)
    add_review(api, "sku-2", 1)
    hidden = add_review(api, "sku-2", 5)
    api.admin("PATCH", f"/reviews/{hidden}", json={"status": "rejected"})

    response = summaries(api, "sku-1,sku-2,unknown-sku")
    assert response.status_code == 200
    assert response.get_json() == {
        "summaries": {
            "sku-1": {
                "count": 2,
                "average": 4.5,
                "histogram": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
            },
            "sku-2": {
                "count": 1,
                "average": 1.0,
                "histogram": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0},
            },
            "unknown-sku": ZERO,
        }
    }


def test_summaries_match_the_review_list_summary(api: Any) -> None:
    for rating in (5, 5, 4):
        add_review(api, "sku-1", rating)
    listed = api.client.get(api.public("/products/sku-1/reviews")).get_json()["summary"]
    assert summaries(api, "sku-1").get_json()["summaries"]["sku-1"] == listed
    assert listed["average"] == 4.67


def test_duplicate_products_collapse(api: Any) -> None:
    add_review(api, "sku-1", 3)
    data = summaries(api, "sku-1,sku-2,sku-1,,sku-2").get_json()["summaries"]
    assert list(data) == ["sku-1", "sku-2"]
    assert data["sku-1"]["count"] == 1
    assert data["sku-2"] == ZERO


def test_up_to_100_products(api: Any) -> None:
    add_review(api, "p-7", 2)
    products = [f"p-{i}" for i in range(100)]
    response = summaries(api, ",".join(products))
    assert response.status_code == 200
    data = response.get_json()["summaries"]
    assert list(data) == products
    assert data["p-7"]["count"] == 1
    assert data["p-8"] == ZERO
    # 100 distinct ids plus repeats is still 100 products.
    assert summaries(api, ",".join(products + products[:5])).status_code == 200


def test_101_products_is_422(api: Any) -> None:
    response = summaries(api, ",".join(f"p-{i}" for i in range(101)))
    assert "products" in assert_problem(response, 422)["errors"]


@pytest.mark.parametrize(
    "products", ["", ",", "sku-1,a b", "sku-1,caf\u00e9", "x" * 129, "sku-1,a/b", "a;b"]
)
def test_invalid_products_are_422(api: Any, products: str) -> None:
    assert "products" in assert_problem(summaries(api, products), 422)["errors"]


def test_products_parameter_is_required(api: Any) -> None:
    response = api.client.get(api.public("/summaries"))
    assert "products" in assert_problem(response, 422)["errors"]


def test_summaries_of_unknown_site_is_404(api: Any) -> None:
    response = api.client.get("/api/v1/sites/no-such-site/summaries?products=sku-1")
    assert_problem(response, 404)


def test_summaries_do_not_leak_across_sites(api: Any, make_site: Any) -> None:
    add_review(api, "sku-1", 5)
    other = make_site()
    response = api.client.get(f"/api/v1/sites/{other.slug}/summaries?products=sku-1")
    assert response.get_json() == {"summaries": {"sku-1": ZERO}}
