"""Allowed origins: the server-side POST check and the CORS headers.

Origins match exactly (scheme, host and port): an origin that merely starts with an
allowed one is refused. GETs answer every origin but name only allowed ones in
``Access-Control-Allow-Origin``; admin endpoints carry no CORS headers at all.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from support import assert_problem

ALLOWED = "http://shop.test"  # the conftest site's only origin
REVIEWS = "/products/sku-1/reviews"
CORS_HEADERS = {
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Credentials",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
}
REFUSED = [
    "http://evil.example",
    "http://shop.test.evil.example",  # starts with the allowed origin
    "http://shop.testevil.example",
    "http://evil.shop.test",  # a subdomain is another origin
    "https://shop.test",  # another scheme
    "http://shop.test:8080",  # another port
    "http://shop.test.",
    "null",  # sandboxed iframes and file:// pages
    "http://shop.test/path",
    "*",
]


def review_body() -> dict[str, Any]:
    return {"rating": 5, "body": f"From a page {uuid.uuid4().hex}", "author_name": "Ada"}


def cors_headers(response: Any) -> set[str]:
    return {name for name, _ in response.headers.items() if name in CORS_HEADERS}


def admin_review_count(api: Any) -> int:
    return len(api.admin("GET", "/reviews").get_json()["reviews"])


def assert_allows(response: Any, origin: str) -> None:
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response.headers.get("Vary", "")
    assert "Access-Control-Allow-Credentials" not in response.headers


# ---------------------------------------------------------------- POST


def test_post_from_allowed_origin(api: Any) -> None:
    response = api.client.post(api.public(REVIEWS), json=review_body(), headers={"Origin": ALLOWED})
    assert response.status_code == 201
    assert_allows(response, ALLOWED)
    # The widget reads these from JavaScript.
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed


@pytest.mark.parametrize("origin", REFUSED)
def test_post_from_other_origin_is_403(api: Any, origin: str) -> None:
    response = api.client.post(api.public(REVIEWS), json=review_body(), headers={"Origin": origin})
    assert_problem(response, 403)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert origin not in {v for _, v in response.headers.items()}
    assert admin_review_count(api) == 0


@pytest.mark.parametrize("origin", ["http://evil.example", "http://shop.test.evil.example"])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/products/sku-1/comments", {"body": "Hi", "author_name": "A"}),
        ("/reviews/rev_01ABCDEFGHJKMNPQRSTVWXYZ00/votes", {"helpful": True}),
    ],
)
def test_other_public_posts_check_the_origin_too(
    api: Any, origin: str, path: str, body: dict[str, Any]
) -> None:
    response = api.client.post(api.public(path), json=body, headers={"Origin": origin})
    assert_problem(response, 403)


def test_post_without_origin_is_allowed(api: Any) -> None:
    """Server-to-server calls (a shop's back end) send no Origin header."""
    response = api.client.post(api.public(REVIEWS), json=review_body())
    assert response.status_code == 201
    assert "Access-Control-Allow-Origin" not in response.headers


def test_errors_for_allowed_origins_carry_cors_headers(api: Any) -> None:
    """The widget must be able to read a 422's field errors."""
    response = api.client.post(api.public(REVIEWS), json={"rating": 9}, headers={"Origin": ALLOWED})
    assert_problem(response, 422)
    assert_allows(response, ALLOWED)


def test_site_with_several_origins(make_site: Any, client: Any) -> None:
    site = make_site(origins=("https://www.shop.example", "http://localhost:3000"))
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    for origin in ("https://www.shop.example", "http://localhost:3000"):
        response = client.post(url, json=review_body(), headers={"Origin": origin})
        assert response.status_code == 201
        assert_allows(response, origin)
    for origin in ("https://shop.example", "http://localhost:3001", "http://localhost"):
        response = client.post(url, json=review_body(), headers={"Origin": origin})
        assert_problem(response, 403)


def test_site_without_origins_refuses_every_browser_post(make_site: Any, client: Any) -> None:
    site = make_site(origins=())
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    assert_problem(client.post(url, json=review_body(), headers={"Origin": ALLOWED}), 403)
    assert client.post(url, json=review_body()).status_code == 201


def test_allowed_origins_change_through_the_admin_api(api: Any) -> None:
    new = "https://new.shop.example"
    response = api.admin("PATCH", "/site", json={"allowed_origins": [new]})
    assert response.status_code == 200
    assert response.get_json()["allowed_origins"] == [new]
    accepted = api.client.post(api.public(REVIEWS), json=review_body(), headers={"Origin": new})
    assert accepted.status_code == 201
    assert_allows(accepted, new)
    old = api.client.post(api.public(REVIEWS), json=review_body(), headers={"Origin": ALLOWED})
    assert_problem(old, 403)
    listed = api.client.get(api.public(REVIEWS), headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in listed.headers


def test_origins_are_stored_normalised(api: Any) -> None:
    response = api.admin(
        "PATCH",
        "/site",
        json={"allowed_origins": ["HTTPS://Shop.Example:443/", "http://a.test:80"]},
    )
    assert response.status_code == 200
    assert response.get_json()["allowed_origins"] == ["https://shop.example", "http://a.test"]
    accepted = api.client.post(
        api.public(REVIEWS), json=review_body(), headers={"Origin": "https://shop.example"}
    )
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    "origin", ["shop.example", "ftp://shop.example", "https://shop.example/path", "https://"]
)
def test_invalid_allowed_origin_is_422(api: Any, origin: str) -> None:
    response = api.admin("PATCH", "/site", json={"allowed_origins": [origin]})
    assert "allowed_origins.0" in assert_problem(response, 422)["errors"]


# ---------------------------------------------------------------- GET


@pytest.mark.parametrize(
    "path", [REVIEWS, "/products/sku-1/comments", "/summaries?products=sku-1,sku-2"]
)
def test_get_from_allowed_origin_names_it(api: Any, path: str) -> None:
    response = api.client.get(api.public(path), headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert_allows(response, ALLOWED)


@pytest.mark.parametrize("origin", REFUSED)
def test_get_from_any_origin_answers_without_cors(api: Any, origin: str) -> None:
    for path in (REVIEWS, "/products/sku-1/comments", "/summaries?products=sku-1,sku-2"):
        response = api.client.get(api.public(path), headers={"Origin": origin})
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Origin" in response.headers.get("Vary", "")
        values = [v for _, v in response.headers.items()]
        assert "*" not in values
        if origin not in {"*", "null"}:
            assert not any(origin in v for v in values)


def test_get_without_origin_has_no_cors_headers(api: Any) -> None:
    response = api.client.get(api.public(REVIEWS))
    assert response.status_code == 200
    assert cors_headers(response) == set()


# ---------------------------------------------------------------- preflight


def preflight(api: Any, origin: str, path: str = REVIEWS) -> Any:
    return api.client.options(
        api.public(path),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key",
        },
    )


@pytest.mark.parametrize(
    "path",
    [REVIEWS, "/products/sku-1/comments", "/reviews/rev_01ABCDEFGHJKMNPQRSTVWXYZ00/votes"],
)
def test_preflight_from_allowed_origin(api: Any, path: str) -> None:
    response = preflight(api, ALLOWED, path)
    assert response.status_code in {200, 204}
    assert_allows(response, ALLOWED)
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed_headers
    assert "idempotency-key" in allowed_headers


@pytest.mark.parametrize("origin", REFUSED)
def test_preflight_from_other_origin_grants_nothing(api: Any, origin: str) -> None:
    response = preflight(api, origin)
    assert response.status_code < 500
    assert cors_headers(response) == set()


def test_preflight_does_not_create_anything(api: Any) -> None:
    preflight(api, ALLOWED)
    assert admin_review_count(api) == 0


# ---------------------------------------------------------------- admin: no CORS


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/site"), ("GET", "/reviews"), ("GET", "/stats"), ("OPTIONS", "/reviews")],
)
def test_admin_endpoints_have_no_cors_headers(api: Any, method: str, path: str) -> None:
    headers = {"Origin": ALLOWED}
    if method == "OPTIONS":
        headers["Access-Control-Request-Method"] = "GET"
        headers["Access-Control-Request-Headers"] = "authorization"
    response = api.admin(method, path, headers=headers)
    assert response.status_code < 500
    assert cors_headers(response) == set()


def test_admin_error_has_no_cors_headers(client: Any, site: Any) -> None:
    response = client.get("/api/v1/admin/reviews", headers={"Origin": ALLOWED})
    assert_problem(response, 401)
    assert cors_headers(response) == set()
