"""Production mode with Redis: cached public reads, ETags, shared limits, degradation.

Uses the machine's Redis (keys under a per-test prefix, removed afterwards; the shared
server is never flushed) and, for failures, a redis-server of the test's own on a free
port that the test kills, freezes (SIGSTOP) and brings back.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from conftest import SHARED_REDIS
from plaudit_server.extensions import db
from plaudit_server.models import Review


@pytest.fixture
def redis_app(app_factory: Callable[..., Flask], prefix: str) -> Flask:
    return app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)


def _post_review(client: Any, slug: str, product: str = "sku-1", **fields: Any) -> Any:
    body = {"rating": 5, "body": f"Review {uuid.uuid4().hex}", "author_name": "Ada", **fields}
    response = client.post(f"/api/v1/sites/{slug}/products/{product}/reviews", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["review"]


def _admin(client: Any, key: str, method: str, path: str, **kwargs: Any) -> Any:
    return client.open(
        f"/api/v1/admin{path}", method=method, headers={"Authorization": f"Bearer {key}"}, **kwargs
    )


def _fresh_summary(app: Flask, product: str) -> dict[str, Any]:
    """The summary straight from the reviews table, bypassing counters and caches."""
    from plaudit_server.models import Product, Status

    with app.app_context():
        rows = db.session.execute(
            sa.select(Review.rating, sa.func.count())
            .join(Product, Review.product_id == Product.id)
            .where(Product.external_id == product, Review.status == Status.PUBLISHED)
            .group_by(Review.rating)
        ).all()
    histogram = {str(n): 0 for n in range(1, 6)}
    for rating, count in rows:
        histogram[str(rating)] = count
    count = sum(histogram.values())
    total = sum(int(k) * v for k, v in histogram.items())
    return {
        "count": count,
        "average": round(total / count, 2) if count else None,
        "histogram": histogram,
    }


def test_second_read_is_a_cache_hit_with_the_same_body(redis_app: Flask, make_site: Any) -> None:
    site = make_site()
    client = redis_app.test_client()
    _post_review(client, site.slug)
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    first = client.get(url, headers={"Origin": "http://shop.test"})
    second = client.get(url, headers={"Origin": "http://shop.test"})
    assert first.headers["X-Cache"] == "miss"
    assert second.headers["X-Cache"] == "hit"
    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    # The hit still names only the site's allowed origin.
    assert second.headers["Access-Control-Allow-Origin"] == "http://shop.test"
    evil = client.get(url, headers={"Origin": "http://evil.test"})
    assert evil.headers["X-Cache"] == "hit"
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_query_order_does_not_split_the_cache(redis_app: Flask, make_site: Any) -> None:
    site = make_site()
    client = redis_app.test_client()
    base = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    assert client.get(base + "?sort=oldest&limit=5").headers["X-Cache"] == "miss"
    assert client.get(base + "?limit=5&sort=oldest").headers["X-Cache"] == "hit"
    assert client.get(base + "?limit=6&sort=oldest").headers["X-Cache"] == "miss"


def test_conditional_get_answers_304_until_a_write(redis_app: Flask, make_site: Any) -> None:
    site = make_site()
    client = redis_app.test_client()
    review = _post_review(client, site.slug)
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    etag = client.get(url).headers["ETag"]
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.get_data() == b""
    assert "max-age=" in not_modified.headers["Cache-Control"]
    _admin(client, site.api_key, "PATCH", f"/reviews/{review['id']}", json={"status": "rejected"})
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["reviews"] == []


def test_etag_and_304_without_redis(app: Flask, make_site: Any) -> None:
    site = make_site()
    client = app.test_client()
    _post_review(client, site.slug)
    url = f"/api/v1/sites/{site.slug}/summaries?products=sku-1"
    response = client.get(url)
    assert "X-Cache" not in response.headers
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


WRITES: list[str] = [
    "new_review",
    "reject",
    "publish_pending",
    "delete",
    "bulk_spam",
    "reply",
    "vote",
    "comment",
    "moderate_comment",
]


@pytest.mark.parametrize("write", WRITES)
def test_every_kind_of_write_is_seen_by_the_next_read(
    redis_app: Flask, make_site: Any, write: str
) -> None:
    site = make_site()
    client = redis_app.test_client()
    reviews = [_post_review(client, site.slug, rating=r) for r in (5, 4, 2)]
    comment = client.post(
        f"/api/v1/sites/{site.slug}/products/sku-1/comments",
        json={"body": "Does it come in blue?", "author_name": "Bo"},
    ).get_json()["comment"]
    reviews_url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    comments_url = f"/api/v1/sites/{site.slug}/products/sku-1/comments"
    summary_url = f"/api/v1/sites/{site.slug}/summaries?products=sku-1"
    # Warm every cache entry, then check it is served from the cache.
    for url in (reviews_url, comments_url, summary_url):
        client.get(url)
        assert client.get(url).headers["X-Cache"] == "hit"

    target = reviews[0]["id"]
    if write == "new_review":
        _post_review(client, site.slug, rating=1)
    elif write == "reject":
        _admin(client, site.api_key, "PATCH", f"/reviews/{target}", json={"status": "rejected"})
    elif write == "publish_pending":
        _admin(client, site.api_key, "PATCH", f"/reviews/{target}", json={"status": "pending"})
        client.get(reviews_url)  # cache the state without it
        _admin(client, site.api_key, "PATCH", f"/reviews/{target}", json={"status": "published"})
    elif write == "delete":
        assert _admin(client, site.api_key, "DELETE", f"/reviews/{target}").status_code == 204
    elif write == "bulk_spam":
        ids = [r["id"] for r in reviews[:2]]
        _admin(
            client, site.api_key, "POST", "/reviews/moderate", json={"ids": ids, "status": "spam"}
        )
    elif write == "reply":
        _admin(client, site.api_key, "PATCH", f"/reviews/{target}", json={"reply": "Thanks!"})
    elif write == "vote":
        client.post(f"/api/v1/sites/{site.slug}/reviews/{target}/votes", json={"helpful": True})
    elif write == "comment":
        client.post(comments_url, json={"body": "Second question", "author_name": "Cy"})
    elif write == "moderate_comment":
        _admin(client, site.api_key, "PATCH", f"/comments/{comment['id']}", json={"status": "spam"})

    # What the cache serves now must equal what the database says.
    with redis_app.app_context():
        published = db.session.scalars(
            sa.select(Review).where(Review.site_id == site.id, Review.status == "published")
        ).all()
        expected = {r.id: (r.helpful_count, r.reply_body, r.comment_count) for r in published}
    # A query never read before misses the body cache; the site and product rows it
    # starts from may come from an earlier miss's snapshot: they must be current too.
    assert client.get(reviews_url + "?limit=7").get_json()["summary"] == _fresh_summary(
        redis_app, "sku-1"
    )
    listed = client.get(reviews_url).get_json()
    assert {
        r["id"]: (r["helpful_count"], (r["reply"] or {}).get("body"), r["comment_count"])
        for r in listed["reviews"]
    } == expected
    assert listed["summary"] == _fresh_summary(redis_app, "sku-1")
    summaries = client.get(summary_url).get_json()["summaries"]
    assert summaries["sku-1"] == _fresh_summary(redis_app, "sku-1")
    comments = client.get(comments_url).get_json()["comments"]
    expected_comments = 0 if write == "moderate_comment" else (2 if write == "comment" else 1)
    assert len(comments) == expected_comments


def test_misses_under_the_same_generations_read_only_their_page(
    redis_app: Flask, make_site: Any
) -> None:
    """Site and product come from one query, then from the snapshot of that miss until a
    write moves a generation; the page itself always comes from the database."""
    site = make_site()
    client = redis_app.test_client()
    _post_review(client, site.slug)
    with redis_app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    def selects_for(query: str) -> int:
        statements.clear()
        response = client.get(f"/api/v1/sites/{site.slug}/products/sku-1/reviews?{query}")
        assert response.status_code == 200
        assert response.headers["X-Cache"] == "miss"
        return len(statements)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert selects_for("limit=3") == 2  # site with product, then the page
        assert selects_for("limit=4") == 1  # the page only
        assert selects_for("sort=oldest") == 1
        _post_review(client, site.slug, rating=2)
        assert selects_for("limit=5") == 2  # the product's generation moved
        listed = client.get(f"/api/v1/sites/{site.slug}/products/sku-1/reviews?limit=6")
        assert listed.get_json()["summary"] == _fresh_summary(redis_app, "sku-1")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_reads_survive_redis_forgetting_the_lookup_script(
    app_factory: Callable[..., Flask], make_site: Any, own_redis: Any
) -> None:
    """After a Redis restart or SCRIPT FLUSH the script is sent again (EVAL), unseen."""
    app = app_factory(REDIS_URL=own_redis.url)
    site = make_site()
    client = app.test_client()
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    assert client.get(url).headers["X-Cache"] == "miss"
    redis.Redis.from_url(own_redis.url).script_flush()
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["X-Cache"] == "hit"  # Redis was used, not skipped
    assert app.extensions["plaudit_cache"].store.state == "ok"


def test_a_forked_process_opens_its_own_redis_connection(redis_app: Flask, make_site: Any) -> None:
    """Two processes on one socket would read each other's replies: a child (a
    gunicorn worker forked from a preloaded master) must open its own connection."""
    site = make_site()
    client = redis_app.test_client()
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    client.get(url)
    store = redis_app.extensions["plaudit_cache"].store
    parent_connection = store._local.conn
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        try:
            response = client.get(url)
            ok = response.headers.get("X-Cache") == "hit"
            ok = ok and store._local.conn is not parent_connection
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert client.get(url).headers["X-Cache"] == "hit"
    assert store._local.conn is parent_connection  # the parent's is still its own


def test_snapshots_keep_the_newest_versions_and_a_bounded_number() -> None:
    from plaudit_server.cache import Snapshots

    snapshots = Snapshots(size=2)
    loads: list[str] = []

    def load(value: str) -> Callable[[], str]:
        return lambda: loads.append(value) or value

    assert snapshots.get_or_load("a", "1.1", load("a1")) == "a1"
    assert snapshots.get_or_load("a", "1.1", load("unused")) == "a1"
    assert snapshots.get_or_load("a", "1.2", load("a2")) == "a2"  # a write moved it
    assert snapshots.get_or_load("b", "1.1", load("b1")) == "b1"
    assert snapshots.get_or_load("a", "1.2", load("unused")) == "a2"  # a is now newest
    assert snapshots.get_or_load("c", "1.1", load("c1")) == "c1"  # evicts b
    assert snapshots.get_or_load("b", "1.1", load("b1 again")) == "b1 again"
    assert snapshots.get_or_load("x", None, load("x1")) == "x1"  # no Redis: no trust
    assert snapshots.get_or_load("x", None, load("x2")) == "x2"
    assert loads == ["a1", "a2", "b1", "c1", "b1 again", "x1", "x2"]


def test_snapshots_hand_each_request_its_own_objects(redis_app: Flask, make_site: Any) -> None:
    """A snapshot keeps column values, not ORM rows: two requests under the same
    generations get equal, separate objects that belong to no session."""
    from flask import g
    from sqlalchemy import inspect

    from plaudit_server.cache import snapshot
    from plaudit_server.services import summaries

    site = make_site()
    loads = []

    def load() -> Any:
        loads.append(1)
        return summaries.site_and_product(db.session, site.slug, "sku-none")

    seen = []
    for _ in range(2):
        with redis_app.test_request_context():
            g.cache_version = "0.1.1"
            found_site, product = snapshot(("site-product", site.slug, "sku-none"), load)
            seen.append(found_site)
            assert product is None
            assert inspect(found_site).transient  # in no session, this request's own
    assert loads == [1]  # the second came from the snapshot
    assert seen[0] is not seen[1]
    assert (seen[0].id, seen[0].slug) == (seen[1].id, seen[1].slug) == (seen[0].id, site.slug)
    seen[0].allowed_origins.append("https://changed.test")  # a request's own business
    assert "https://changed.test" not in seen[1].allowed_origins


def test_site_origin_change_reaches_cached_reads(redis_app: Flask, make_site: Any) -> None:
    site = make_site()
    client = redis_app.test_client()
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    client.get(url)
    hit = client.get(url, headers={"Origin": "https://new.shop.test"})
    assert hit.headers["X-Cache"] == "hit"
    assert "Access-Control-Allow-Origin" not in hit.headers
    _admin(
        client, site.api_key, "PATCH", "/site", json={"allowed_origins": ["https://new.shop.test"]}
    )
    # First a query never read: a miss that could reuse the first read's site snapshot.
    other = client.get(url + "?limit=3", headers={"Origin": "https://new.shop.test"})
    assert other.headers["X-Cache"] == "miss"
    assert other.headers["Access-Control-Allow-Origin"] == "https://new.shop.test"
    after = client.get(url, headers={"Origin": "https://new.shop.test"})
    assert after.headers["Access-Control-Allow-Origin"] == "https://new.shop.test"


def test_redis_killed_serves_from_the_database_and_recovers(
    app_factory: Callable[..., Flask],
    make_site: Any,
    own_redis: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = app_factory(
        REDIS_URL=own_redis.url,
        REDIS_COOLDOWN=0.3,
        RATELIMIT_ENABLED=True,
        RATELIMIT_SUBMISSIONS_PER_VISITOR="100/minute",
    )
    site = make_site()
    client = app.test_client()
    _post_review(client, site.slug)
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    client.get(url)
    assert client.get(url).headers["X-Cache"] == "hit"
    assert client.get("/readyz").get_json() == {"database": "ok", "redis": "ok"}

    own_redis.kill()
    caplog.set_level(logging.WARNING)
    for _ in range(5):
        response = client.get(url)
        assert response.status_code == 200
        assert "X-Cache" not in response.headers  # straight from the database
    _post_review(client, site.slug, rating=3)  # submissions still work (limits fall back)
    # The stricter fallback limit (3/minute) reaches only views that declare limits.
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/widget.js").status_code == 200
        assert (
            client.get(
                "/api/v1/admin/stats", headers={"Authorization": f"Bearer {site.api_key}"}
            ).status_code
            == 200
        )
    assert client.get(url).get_json()["summary"]["count"] == 2
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"database": "ok", "redis": "down"}
    # Said once, not per request: by the cache and by the rate limiter (which now
    # counts in-process, more strictly).
    cache_logs = [r for r in caplog.records if r.name.startswith("plaudit_server.cache")]
    limiter_logs = [r for r in caplog.records if r.name == "flask-limiter"]
    assert len(cache_logs) == 1, [r.getMessage() for r in caplog.records]
    # (At most once: the limiter object is module-global, so an earlier test in this
    # process may already have switched it to its fallback.)
    assert len(limiter_logs) <= 1, [r.getMessage() for r in caplog.records]

    own_redis.start()  # same port, empty
    time.sleep(0.35)
    assert client.get("/readyz").get_json()["redis"] == "ok"
    client.get(url)
    again = client.get(url)
    assert again.headers["X-Cache"] == "hit"
    assert again.get_json()["summary"]["count"] == 2
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_frozen_redis_costs_a_timeout_once_and_never_serves_stale_after(
    app_factory: Callable[..., Flask], make_site: Any, own_redis: Any
) -> None:
    app = app_factory(REDIS_URL=own_redis.url, REDIS_COOLDOWN=0.3, REDIS_TIMEOUT=0.1)
    site = make_site()
    client = app.test_client()
    review = _post_review(client, site.slug)
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    client.get(url)
    assert client.get(url).headers["X-Cache"] == "hit"  # the review is in the cache

    own_redis.freeze()
    try:
        # The delete commits although Redis can't be told: its cached copy survives there.
        deleted = _admin(client, site.api_key, "DELETE", f"/reviews/{review['id']}")
        assert deleted.status_code == 204
        for _ in range(3):
            response = client.get(url)
            assert response.status_code == 200
            assert response.get_json()["reviews"] == []
    finally:
        own_redis.thaw()
    time.sleep(0.35)
    # Redis still holds the old body under the old generation; the epoch bump on
    # recovery makes it unreachable, so the deleted review never comes back.
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200
        assert response.get_json()["reviews"] == []
        assert response.get_json()["summary"]["count"] == 0


def test_rate_limits_are_shared_between_app_instances(
    app_factory: Callable[..., Flask], make_site: Any, prefix: str
) -> None:
    config = {
        "REDIS_URL": SHARED_REDIS,
        "REDIS_KEY_PREFIX": prefix,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_SUBMISSIONS_PER_VISITOR": "3/minute",
    }
    site = make_site()
    one = app_factory(**config).test_client()
    two = app_factory(**config).test_client()
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    statuses = []
    for i in range(4):
        client = one if i % 2 == 0 else two
        statuses.append(
            client.post(url, json={"rating": 4, "body": f"n{i}", "author_name": "A"}).status_code
        )
    assert statuses == [201, 201, 201, 429]


@pytest.mark.parametrize("origin", ["http://shop.test", "http://elsewhere.test", None])
def test_a_hit_answers_exactly_like_the_miss_that_filled_it(
    redis_app: Flask, make_site: Any, origin: str | None
) -> None:
    """Hits are served before Flask (fastpath.py); they must not differ from Flask's."""
    site = make_site()
    client = redis_app.test_client()
    _post_review(client, site.slug)
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews?limit=5"
    headers = {"Origin": origin} if origin else {}
    miss = client.get(url, headers=headers)
    hit = client.get(url, headers=headers)
    assert (miss.headers["X-Cache"], hit.headers["X-Cache"]) == ("miss", "hit")
    assert hit.get_data() == miss.get_data()

    def comparable(response: Any) -> dict[str, str]:
        skip = {"X-Cache", "X-Request-Id"}
        return {k: v for k, v in response.headers.items() if k not in skip}

    assert comparable(hit) == comparable(miss)
    caller_id = client.get(url, headers={**headers, "X-Request-Id": "trace-12345678"})
    assert caller_id.headers["X-Request-Id"] == "trace-12345678"
    head = client.head(url, headers=headers)
    assert head.status_code == 200
    assert head.get_data() == b""
    conditional = client.get(url, headers={**headers, "If-None-Match": hit.headers["ETag"]})
    assert conditional.status_code == 304
    assert conditional.headers["X-Cache"] == "hit"


def test_cors_headers_are_built_without_an_app_context() -> None:
    """A worker's first request for a site may be a hit served before Flask runs."""
    from werkzeug.datastructures import Headers

    from plaudit_server import origins

    origins._cors_options.cache_clear()
    headers = dict(
        origins.cors_headers_for(
            ["http://shop.test"], Headers({"Origin": "http://shop.test"}), "GET"
        )
    )
    assert headers["Access-Control-Allow-Origin"] == "http://shop.test"
    assert (
        origins.cors_headers_for(
            ["http://shop.test"], Headers({"Origin": "http://evil.test"}), "GET"
        )
        == []
    )


def test_a_write_retires_its_products_reads_and_the_site_wide_ones_only(
    redis_app: Flask, make_site: Any
) -> None:
    """A review of one product leaves other products' cached pages alone (a busy shop
    would otherwise miss on every page after every vote); summaries, which span
    products, and everything after a change of the site's settings, are read anew."""
    site = make_site()
    client = redis_app.test_client()
    _post_review(client, site.slug, "sku-a")
    _post_review(client, site.slug, "sku-b")
    page_b = f"/api/v1/sites/{site.slug}/products/sku-b/reviews"
    badges = f"/api/v1/sites/{site.slug}/summaries?products=sku-a,sku-b"
    for url in (page_b, badges):
        client.get(url)
        assert client.get(url).headers["X-Cache"] == "hit"

    _post_review(client, site.slug, "sku-a")
    assert client.get(page_b).headers["X-Cache"] == "hit"
    after = client.get(badges)
    assert after.headers["X-Cache"] == "miss"
    assert after.get_json()["summaries"]["sku-a"]["count"] == 2

    _admin(client, site.api_key, "PATCH", "/site", json={"name": "Renamed shop"})
    assert client.get(page_b).headers["X-Cache"] == "miss"
    assert client.get(badges).headers["X-Cache"] == "miss"
