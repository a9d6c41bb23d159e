"""Rate limits: per product, per secret key, and per-site overrides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


def _review(client: Any, slug: str, product: str, n: int, **environ: Any) -> int:
    response = client.post(
        f"/api/v1/sites/{slug}/products/{product}/reviews",
        json={"rating": 4, "body": f"Review number {n}", "author_name": "Lim"},
        environ_base=environ,
    )
    return response.status_code


def test_per_product_limit_counts_every_visitor(
    app_factory: Callable[..., Flask], make_site: Any
) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_SUBMISSIONS_PER_PRODUCT="3/minute")
    site = make_site()
    client = app.test_client()
    statuses = [_review(client, site.slug, "hot", n, REMOTE_ADDR=f"198.51.{n}.7") for n in range(4)]
    assert statuses == [201, 201, 201, 429]
    # Another product of the same site is not affected.
    assert _review(client, site.slug, "cold", 9, REMOTE_ADDR="198.51.100.9") == 201


def test_site_override_tightens_its_own_limit_only(
    app_factory: Callable[..., Flask], make_site: Any
) -> None:
    app = app_factory(RATELIMIT_ENABLED=True)
    strict, relaxed = make_site(), make_site()
    client = app.test_client()
    patched = client.patch(
        "/api/v1/admin/site",
        json={"rate_limits": {"submissions_per_visitor": "2/minute"}},
        headers={"Authorization": f"Bearer {strict.api_key}"},
    )
    assert patched.status_code == 200
    limits = patched.get_json()["rate_limits"]
    assert limits["submissions_per_visitor"] == "2/minute"
    assert limits["votes_per_visitor"] == app.config["RATELIMIT_VOTES_PER_VISITOR"]
    assert [_review(client, strict.slug, "p", n) for n in range(3)] == [201, 201, 429]
    assert [_review(client, relaxed.slug, "p", n) for n in range(3)] == [201, 201, 201]

    reset = client.patch(
        "/api/v1/admin/site",
        json={"rate_limits": None},
        headers={"Authorization": f"Bearer {strict.api_key}"},
    )
    assert (
        reset.get_json()["rate_limits"]["submissions_per_visitor"]
        == (app.config["RATELIMIT_SUBMISSIONS_PER_VISITOR"])
    )


def test_invalid_limit_override_is_a_422(client: Any, site: Any) -> None:
    response = client.patch(
        "/api/v1/admin/site",
        json={"rate_limits": {"submissions_per_visitor": "lots"}},
        headers={"Authorization": f"Bearer {site.api_key}"},
    )
    assert response.status_code == 422
    assert "rate_limits.submissions_per_visitor" in response.get_json()["errors"]
    unknown = client.patch(
        "/api/v1/admin/site",
        json={"rate_limits": {"per_moon_phase": "1/day"}},
        headers={"Authorization": f"Bearer {site.api_key}"},
    )
    assert unknown.status_code == 422


def test_admin_api_is_limited_per_secret_key(
    app_factory: Callable[..., Flask], make_site: Any
) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_ADMIN_PER_KEY="3/minute")
    one, two = make_site(), make_site()
    client = app.test_client()

    def stats(key: str) -> int:
        return client.get(
            "/api/v1/admin/stats", headers={"Authorization": f"Bearer {key}"}
        ).status_code

    assert [stats(one.api_key) for _ in range(4)] == [200, 200, 200, 429]
    assert stats(two.api_key) == 200
