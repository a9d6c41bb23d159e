"""The public read cache under attack: poisoning, busting and floods of misses.

Cache keys come from the query as the view's schema loads it (one function, shared by
the WSGI fast path and the views), unknown query parameters are refused on every API
operation, and reads that reach the database are rate limited per visitor network.
Uses the machine's Redis under a per-test key prefix (never flushed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from support import assert_problem

from conftest import SHARED_REDIS
from plaudit_server.extensions import db


def _redis_keys(prefix: str) -> set[bytes]:
    client = redis.Redis.from_url(SHARED_REDIS)
    return set(client.scan_iter(match=prefix + "*", count=500))


def _post_review(client: Any, slug: str, rating: int, product: str = "sku-1") -> str:
    body = {"rating": rating, "body": f"Review {uuid.uuid4().hex}", "author_name": "Ada"}
    response = client.post(f"/api/v1/sites/{slug}/products/{product}/reviews", json=body)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["review"]["id"])


class StatementCounter:
    """Every statement the app's engine sends to the database while active."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: Any) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


# ---------------------------------------------------------------- poisoning


def test_a_smuggled_query_cannot_poison_another_querys_entry(
    app_factory: Callable[..., Flask], make_site: Any, prefix: str
) -> None:
    """The request of the security review: one parameter named ``limit=10&rating``
    used to be answered with every review and stored under the key of
    ``?sort=newest&limit=10&rating=1``, then served to whoever asked for 1-star reviews."""
    site = make_site()
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    client = app.test_client()
    for rating in (5, 4, 1):
        _post_review(client, site.slug, rating)
    base = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"

    smuggled = client.get(base + "?limit%3D10%26rating=1%26sort%3Dnewest")
    assert_problem(smuggled, 422)
    assert list(smuggled.get_json()["errors"]) == ["limit=10&rating"]
    for _ in range(2):  # the miss that fills the entry, then the hit that serves it
        honest = client.get(base + "?sort=newest&limit=10&rating=1")
        assert honest.status_code == 200
        assert [r["rating"] for r in honest.get_json()["reviews"]] == [1]
    assert honest.headers["X-Cache"] == "hit"


def test_a_value_cannot_pass_for_another_parameter(
    app_factory: Callable[..., Flask], make_site: Any, prefix: str
) -> None:
    """A known parameter whose value holds ``&`` and ``=`` (the JSON-LD ``name``, free
    text) must not share an entry with the query those characters spell out."""
    site = make_site()
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    client = app.test_client()
    for rating in (5, 1):
        _post_review(client, site.slug, rating)
    base = f"/api/v1/sites/{site.slug}/products/sku-1/jsonld"

    smuggled = client.get(base + "?name=Mug%26sort%3Dlowest")
    assert smuggled.status_code == 200
    assert smuggled.get_json()["name"] == "Mug&sort=lowest"
    for _ in range(2):
        honest = client.get(base + "?name=Mug&sort=lowest")
        assert honest.status_code == 200
        document = honest.get_json()
        assert document["name"] == "Mug"
        assert [r["reviewRating"]["ratingValue"] for r in document["review"]] == [1, 5]
    assert honest.headers["X-Cache"] == "hit"


def test_spellings_of_one_query_share_one_entry(
    app_factory: Callable[..., Flask], make_site: Any, prefix: str
) -> None:
    site = make_site()
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    client = app.test_client()
    _post_review(client, site.slug, 4)
    base = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    first = client.get(base + "?limit=10")
    assert first.headers["X-Cache"] == "miss"
    # Leading zeros, defaults spelled out, another order, a repeat (the first counts,
    # as the view reads it): all the query the view runs for ?limit=10.
    for query in ("?limit=010", "", "?sort=newest&limit=10", "?limit=10&limit=50"):
        again = client.get(base + query)
        assert again.headers["X-Cache"] == "hit", query
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.get_data() == first.get_data()
    assert client.get(base + "?limit=50&limit=10").headers["X-Cache"] == "miss"
    summaries = f"/api/v1/sites/{site.slug}/summaries"
    assert client.get(summaries + "?products=sku-1,sku-2").headers["X-Cache"] == "miss"
    assert client.get(summaries + "?products=sku-1,sku-2,sku-1").headers["X-Cache"] == "hit"


def test_a_jsonld_hit_answers_exactly_like_the_miss_that_filled_it(
    app_factory: Callable[..., Flask], make_site: Any, prefix: str
) -> None:
    """JSON-LD reads are cached under the same keys, and their hits are served before
    Flask with their own media type."""
    site = make_site()
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    client = app.test_client()
    _post_review(client, site.slug, 4)
    url = f"/api/v1/sites/{site.slug}/products/sku-1/jsonld?name=Mug"
    headers = {"Origin": "http://shop.test"}
    miss = client.get(url, headers=headers)
    hit = client.get(url, headers=headers)
    assert (miss.headers["X-Cache"], hit.headers["X-Cache"]) == ("miss", "hit")
    assert hit.get_data() == miss.get_data()
    skip = {"X-Cache", "X-Request-Id"}
    assert {k: v for k, v in hit.headers.items() if k not in skip} == {
        k: v for k, v in miss.headers.items() if k not in skip
    }
    assert hit.headers["Content-Type"] == "application/ld+json"


# ---------------------------------------------------------------- busting


def _api_reads(slug: str, review_id: str) -> list[str]:
    return [
        f"/api/v1/sites/{slug}/products/sku-1/reviews",
        f"/api/v1/sites/{slug}/products/sku-1/comments",
        f"/api/v1/sites/{slug}/summaries?products=sku-1",
        f"/api/v1/sites/{slug}/products/sku-1/jsonld",
        "/api/v1/admin/reviews",
        "/api/v1/admin/comments",
        f"/api/v1/admin/reviews/{review_id}",
        "/api/v1/admin/site",
        "/api/v1/admin/stats",
        "/healthz",
        "/readyz",
    ]


def test_unknown_query_parameters_are_refused_on_every_operation(
    app: Flask, make_site: Any
) -> None:
    site = make_site()
    client = app.test_client()
    review_id = _post_review(client, site.slug, 4)
    auth = {"Authorization": f"Bearer {site.api_key}"}
    for url in _api_reads(site.slug, review_id):
        assert client.get(url, headers=auth).status_code == 200, url
        joiner = "&" if "?" in url else "?"
        typo = client.get(url + joiner + "sorted=highest", headers=auth)
        assert_problem(typo, 422)
        assert typo.get_json()["errors"] == {"sorted": ["Unknown field."]}, url
    # Writes too: a parameter beside a body is as unknown as a field inside it.
    posted = client.post(
        f"/api/v1/sites/{site.slug}/products/sku-1/reviews?rating=1",
        json={"rating": 5, "body": "Fine", "author_name": "Bo"},
    )
    assert_problem(posted, 422)
    assert posted.get_json()["errors"] == {"rating": ["Unknown field."]}
    patched = client.patch(
        f"/api/v1/admin/reviews/{review_id}?status=spam", json={"reply": "Thanks"}, headers=auth
    )
    assert_problem(patched, 422)
    assert (
        client.get(f"/api/v1/admin/reviews/{review_id}", headers=auth).get_json()["reply"] is None
    )


def test_a_flood_of_junk_queries_costs_no_database_query_and_no_redis_key(
    app_factory: Callable[..., Flask], make_site: Any, prefix: str
) -> None:
    """200 cache-busters used to grow Redis by 64 MB and send every read to the
    database: now each is refused before either is touched."""
    site = make_site()
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    client = app.test_client()
    _post_review(client, site.slug, 4)
    base = f"/api/v1/sites/{site.slug}/products/sku-1"
    urls = [base + "/reviews?limit=10", base + "/comments", base + "/jsonld"]
    urls.append(f"/api/v1/sites/{site.slug}/summaries?products=sku-1")
    for url in urls:  # every entry is cached
        client.get(url)
        assert client.get(url).headers["X-Cache"] == "hit"
    keys_before = _redis_keys(prefix)

    with StatementCounter(app) as counter:
        for n in range(200):
            url = urls[n % len(urls)]
            joiner = "&" if "?" in url else "?"
            junk = [f"cb={n}", f"utm_{n}=x", f"_={n}", f"limit%3D{n}"][n % 4]
            response = client.get(url + joiner + junk)
            assert response.status_code == 422, (url, junk, response.status_code)
        # Other spellings of the cached queries are hits too.
        assert client.get(base + "/reviews?limit=0010").headers["X-Cache"] == "hit"
        assert client.get(base + "/reviews?sort=newest&limit=10").headers["X-Cache"] == "hit"
    assert counter.statements == []
    assert _redis_keys(prefix) == keys_before


# ---------------------------------------------------------------- misses per network


@pytest.fixture
def limited_reads(
    app_factory: Callable[..., Flask], make_site: Any, prefix: str
) -> tuple[Flask, Any]:
    """An app whose public reads may miss the cache 3 times a minute per network.

    Made after the site (whose app is the conftest's), so the module-global limiter is
    bound to this app's configuration."""
    site = make_site()
    app = app_factory(
        REDIS_URL=SHARED_REDIS,
        REDIS_KEY_PREFIX=prefix,
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_READS_PER_VISITOR="3/minute",
        TRUSTED_PROXIES=1,
    )
    return app, site


def test_misses_are_limited_per_network_and_hits_never(limited_reads: tuple[Flask, Any]) -> None:
    app, site = limited_reads
    client = app.test_client()
    base = f"/api/v1/sites/{site.slug}/products/sku-1"
    visitor = {"X-Forwarded-For": "203.0.113.7"}

    assert client.get(base + "/reviews", headers=visitor).headers["X-Cache"] == "miss"  # 1
    for _ in range(10):  # hits, answered before Flask: never counted
        assert client.get(base + "/reviews", headers=visitor).headers["X-Cache"] == "hit"
    assert client.get(base + "/reviews?limit=2", headers=visitor).status_code == 200  # 2
    # Another address of the same /24 shares the budget; the reads share one budget.
    neighbour = {"X-Forwarded-For": "203.0.113.99"}
    assert client.get(base + "/comments", headers=neighbour).status_code == 200  # 3
    refused = client.get(base + "/jsonld", headers=visitor)
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert client.get(base + "/reviews?limit=3", headers=neighbour).status_code == 429
    # What is cached is still served, to the limited network too.
    assert client.get(base + "/reviews", headers=visitor).headers["X-Cache"] == "hit"
    assert client.get(base + "/comments", headers=visitor).headers["X-Cache"] == "hit"
    # Another network has its own budget.
    other = {"X-Forwarded-For": "198.51.100.7"}
    assert client.get(base + "/reviews?limit=3", headers=other).status_code == 200
    assert client.get(base + "/reviews?limit=3", headers=visitor).headers["X-Cache"] == "hit"


def test_invalid_queries_do_not_spend_the_budget(limited_reads: tuple[Flask, Any]) -> None:
    app, site = limited_reads
    client = app.test_client()
    base = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    for n in range(5):
        assert client.get(base + f"?cb={n}").status_code == 422
    for limit in (1, 2, 3):
        assert client.get(base + f"?limit={limit}").status_code == 200
    assert client.get(base + "?limit=4").status_code == 429


def test_without_redis_every_read_counts(app_factory: Callable[..., Flask], make_site: Any) -> None:
    """No Redis, no cache: every read queries the database, so every read counts."""
    site = make_site()
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_READS_PER_VISITOR="2/minute")
    client = app.test_client()
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
