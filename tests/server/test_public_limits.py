"""Rate limits, Idempotency-Key and request ids on the public endpoints.

Rate limits key on the visitor's network (/24 for IPv4), from the socket's address:
``X-Forwarded-For`` counts only when ``TRUSTED_PROXIES`` says how many proxies to
believe, or spoofing it would reset every limit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from support import assert_problem

ALLOWED = "http://shop.test"


def review_body(**fields: Any) -> dict[str, Any]:
    return {"rating": 4, "body": f"Review {uuid.uuid4().hex}", "author_name": "Ada", **fields}


def stored_reviews(api: Any) -> list[dict[str, Any]]:
    response = api.admin("GET", "/reviews", query_string={"limit": "100"})
    assert response.status_code == 200
    return response.get_json()["reviews"]


# ---------------------------------------------------------------- rate limits


@pytest.fixture
def limited(app_factory: Callable[..., Flask], site: Any) -> Callable[..., Any]:
    """An app with submissions limited to 3 a minute per visitor; returns a poster.

    Made after ``site`` (whose app is the conftest's), so the module-global limiter is
    bound to this app's configuration.
    """

    def make(**config: Any) -> Callable[..., Any]:
        app = app_factory(
            RATELIMIT_ENABLED=True, RATELIMIT_SUBMISSIONS_PER_VISITOR="3/minute", **config
        )
        client = app.test_client()

        def post(
            ip: str = "192.0.2.10", headers: dict[str, str] | None = None, path: str = "reviews"
        ) -> Any:
            body = review_body() if path == "reviews" else {"body": "Hi", "author_name": "A"}
            return client.post(
                f"/api/v1/sites/{site.slug}/products/sku-1/{path}",
                json=body,
                headers=headers or {},
                environ_base={"REMOTE_ADDR": ip},
            )

        post.client = client  # type: ignore[attr-defined]
        return post

    return make


def assert_rate_limited(response: Any) -> None:
    assert_problem(response, 429)
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) > 0


def test_fourth_submission_is_429_with_retry_after(limited: Callable[..., Any]) -> None:
    post = limited()
    assert [post().status_code for _ in range(3)] == [201, 201, 201]
    response = post()
    assert_rate_limited(response)
    # At most the window (plus a second of rounding up by the limiter's clock).
    assert int(response.headers["Retry-After"]) <= 61


def test_a_refused_submission_creates_nothing(limited: Callable[..., Any], api: Any) -> None:
    post = limited()
    for _ in range(3):
        post()
    assert_rate_limited(post())
    assert len(stored_reviews(api)) == 3


def test_per_site_limit(app_factory: Callable[..., Flask], site: Any, make_site: Any) -> None:
    other = make_site()
    client = app_factory(
        RATELIMIT_ENABLED=True, RATELIMIT_SUBMISSIONS_PER_SITE="3/minute"
    ).test_client()

    def post(slug: str, network: int) -> Any:
        return client.post(
            f"/api/v1/sites/{slug}/products/sku-1/reviews",
            json=review_body(),
            environ_base={"REMOTE_ADDR": f"198.51.{network}.1"},
        )

    # Every submission from another network: the per-visitor limit never applies.
    assert [post(site.slug, n).status_code for n in range(3)] == [201, 201, 201]
    assert_rate_limited(post(site.slug, 3))
    assert post(other.slug, 4).status_code == 201


def test_limit_applies_to_comments_too(limited: Callable[..., Any]) -> None:
    post = limited()
    statuses = [post(path="comments").status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]


def test_429_can_be_read_by_the_widget(limited: Callable[..., Any]) -> None:
    post = limited()
    for _ in range(3):
        post(headers={"Origin": ALLOWED})
    response = post(headers={"Origin": ALLOWED})
    assert_rate_limited(response)
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "retry-after" in response.headers["Access-Control-Expose-Headers"].lower()


def test_another_network_is_not_limited(limited: Callable[..., Any]) -> None:
    post = limited()
    for _ in range(3):
        post(ip="192.0.2.10")
    assert_rate_limited(post(ip="192.0.2.10"))
    assert post(ip="198.51.100.20").status_code == 201
    assert post(ip="2001:db8::1").status_code == 201
    # Another address in the same /24 is the same network: rotating it does not help.
    assert_rate_limited(post(ip="192.0.2.99"))


def test_x_forwarded_for_is_ignored_without_trusted_proxies(limited: Callable[..., Any]) -> None:
    post = limited()
    for i in range(3):
        assert post(headers={"X-Forwarded-For": f"203.0.{i}.1"}).status_code == 201
    assert_rate_limited(post(headers={"X-Forwarded-For": "198.51.100.77"}))


def test_x_forwarded_for_counts_behind_a_trusted_proxy(limited: Callable[..., Any]) -> None:
    post = limited(TRUSTED_PROXIES=1)
    proxy = "10.0.0.1"
    for _ in range(3):
        assert post(ip=proxy, headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 201
    assert_rate_limited(post(ip=proxy, headers={"X-Forwarded-For": "203.0.113.5"}))
    # Another client behind the same proxy has its own limit.
    assert post(ip=proxy, headers={"X-Forwarded-For": "198.51.100.77"}).status_code == 201
    # Only the last hop (the one the trusted proxy added) counts: a spoofed first entry
    # does not move the client to another network.
    spoofed = post(ip=proxy, headers={"X-Forwarded-For": "192.0.2.1, 203.0.113.5"})
    assert_rate_limited(spoofed)


def test_vote_limit(app_factory: Callable[..., Flask], site: Any, api: Any) -> None:
    review = api.post_review(body="Vote on me").get_json()["review"]["id"]
    client = app_factory(
        RATELIMIT_ENABLED=True, RATELIMIT_VOTES_PER_VISITOR="2/minute"
    ).test_client()
    url = f"/api/v1/sites/{site.slug}/reviews/{review}/votes"
    statuses = [client.post(url, json={"helpful": i % 2 == 0}).status_code for i in range(3)]
    assert statuses == [200, 200, 429]


def test_reads_are_not_limited(limited: Callable[..., Any], site: Any) -> None:
    post = limited()
    for _ in range(3):
        post()
    assert_rate_limited(post())
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    statuses = {
        post.client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code
        for _ in range(5)
    }
    assert statuses == {200}


# ---------------------------------------------------------------- Idempotency-Key


def test_same_key_same_body_replays_the_first_response(api: Any) -> None:
    body = review_body()
    headers = {"Idempotency-Key": "order-1234-review"}
    first = api.client.post(api.public("/products/sku-1/reviews"), json=body, headers=headers)
    assert first.status_code == 201
    again = api.client.post(api.public("/products/sku-1/reviews"), json=body, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(stored_reviews(api)) == 1
    listed = api.client.get(api.public("/products/sku-1/reviews")).get_json()
    assert listed["summary"]["count"] == 1


def test_same_body_in_another_key_order_is_the_same_request(api: Any) -> None:
    body = review_body()
    headers = {"Idempotency-Key": "k-reordered", "Content-Type": "application/json"}
    url = api.public("/products/sku-1/reviews")
    first = api.client.post(url, data=json.dumps(body), headers=headers)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = api.client.post(url, data=reordered, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert len(stored_reviews(api)) == 1


def test_same_key_different_body_is_422(api: Any) -> None:
    url = api.public("/products/sku-1/reviews")
    headers = {"Idempotency-Key": "k-1"}
    assert api.client.post(url, json=review_body(), headers=headers).status_code == 201
    response = api.client.post(url, json=review_body(), headers=headers)
    assert "Idempotency-Key" in assert_problem(response, 422)["errors"]
    # The same body on another product is another request too.
    assert len(stored_reviews(api)) == 1


def test_same_key_on_another_path_is_422(api: Any) -> None:
    body = review_body()
    headers = {"Idempotency-Key": "k-path"}
    assert api.client.post(api.public("/products/sku-1/reviews"), json=body, headers=headers)
    response = api.client.post(api.public("/products/sku-2/reviews"), json=body, headers=headers)
    assert_problem(response, 422)
    assert len(stored_reviews(api)) == 1


def test_keys_of_different_visitors_do_not_collide(api: Any) -> None:
    body = review_body()
    url = api.public("/products/sku-1/reviews")
    one = api.client.post(url, json=body, headers={"Idempotency-Key": "k", "User-Agent": "a"})
    two = api.client.post(url, json=body, headers={"Idempotency-Key": "k", "User-Agent": "b"})
    assert one.status_code == two.status_code == 201
    assert one.get_json()["review"]["id"] != two.get_json()["review"]["id"]
    assert "Idempotent-Replayed" not in two.headers


def test_a_rejected_request_does_not_use_up_the_key(api: Any) -> None:
    url = api.public("/products/sku-1/reviews")
    headers = {"Idempotency-Key": "k-retry"}
    bad = api.client.post(url, json=review_body(rating=9), headers=headers)
    assert_problem(bad, 422)
    fixed = api.client.post(url, json=review_body(), headers=headers)
    assert fixed.status_code == 201
    assert len(stored_reviews(api)) == 1


def test_idempotent_votes_and_comments(api: Any) -> None:
    review = api.post_review(body="Idempotent target").get_json()["review"]["id"]
    vote_url = api.public(f"/reviews/{review}/votes")
    for _ in range(2):
        response = api.client.post(
            vote_url, json={"helpful": True}, headers={"Idempotency-Key": "v-1"}
        )
        assert response.get_json() == {"helpful_count": 1, "unhelpful_count": 0}
    comment_url = api.public("/products/sku-1/comments")
    body = {"body": "Once only", "author_name": "Fan"}
    first = api.client.post(comment_url, json=body, headers={"Idempotency-Key": "c-1"})
    again = api.client.post(comment_url, json=body, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    listed = api.client.get(comment_url).get_json()["comments"]
    assert [c["body"] for c in listed] == ["Once only"]


@pytest.mark.parametrize("key", ["k" * 256, "tab\there", "bell\x07"])
def test_invalid_idempotency_key_is_422(api: Any, key: str) -> None:
    response = api.post_review(headers={"Idempotency-Key": key})
    assert "Idempotency-Key" in assert_problem(response, 422)["errors"]
    assert stored_reviews(api) == []


# ---------------------------------------------------------------- request ids


def test_every_response_has_a_request_id(api: Any) -> None:
    responses = [
        api.client.get(api.public("/products/sku-1/reviews")),
        api.post_review(),
        api.client.get(api.public("/summaries?products=sku-1")),
        api.client.get(api.public("/products/sku-1/comments")),
    ]
    ids = [r.headers["X-Request-Id"] for r in responses]
    assert all(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/sites/no-such-site/products/sku-1/reviews", 404),
        ("GET", "/api/v1/sites/acme-shop/products/sku-1/reviews?limit=0", 422),
        ("POST", "/api/v1/sites/acme-shop/products/sku-1/reviews", 422),
        ("DELETE", "/api/v1/sites/acme-shop/products/sku-1/reviews", 405),
    ],
)
def test_problems_carry_the_request_id(
    client: Any, site: Any, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method, json={})
    body = assert_problem(response, status)
    assert body["request_id"].startswith("req_")


def test_a_well_formed_incoming_request_id_is_kept(api: Any) -> None:
    incoming = "edge-7f3a9c21-0001"
    response = api.client.get(
        api.public("/products/bad%20id/reviews"), headers={"X-Request-Id": incoming}
    )
    assert response.headers["X-Request-Id"] == incoming
    assert assert_problem(response, 422)["request_id"] == incoming


@pytest.mark.parametrize("incoming", ["short", "has space in it", "x" * 200, "<script>1</script>"])
def test_a_malformed_incoming_request_id_is_replaced(api: Any, incoming: str) -> None:
    response = api.client.get(
        api.public("/products/sku-1/reviews"), headers={"X-Request-Id": incoming}
    )
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] != incoming
    assert response.headers["X-Request-Id"].startswith("req_")
