"""Redis killed and started again under a multi-worker gunicorn: /readyz tells the
truth, and every worker uses Redis again within the cooldown plus a request.

Each worker has its own circuit breaker, its own raw connection for cache lookups and
its own flask-limiter storage state; which of them noticed the outage first depends on
the request each worker happened to serve, so the test goes through several cycles and
starts each outage with writes (whose failures used to leave a worker's lookup
connection open on the dead server).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cluster import run_cluster

from conftest import free_port

COOLDOWN = 1.0
CYCLES = 3


def _fresh(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request on a connection of its own (so any worker may take it)."""
    with httpx.Client(timeout=10) as client:
        return client.request(method, url, **kwargs)


def _at_once(n: int, call: Callable[[int], Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(call, range(n)))


def test_every_worker_uses_redis_again_promptly_after_each_restart(
    empty_postgres_url: str,
    base_config: dict[str, Any],
    tmp_path: Path,
    own_redis: Any,
) -> None:
    with run_cluster(
        empty_postgres_url,
        base_config,
        tmp_path,
        own_redis.url,
        cooldown=COOLDOWN,
        trusted_proxies=1,
    ) as cluster:
        reviews = f"{cluster.url}/api/v1/sites/{cluster.slug}/products/hot/reviews"
        networks = iter(range(10_000))

        def post(_: int, network: str | None = None) -> int:
            """A submission from a network of its own (none gets near its limit)."""
            n = next(networks)
            address = network or f"10.{n // 256 % 256}.{n % 256}.1"
            response = _fresh(
                "POST",
                reviews,
                json={"rating": 4, "body": f"text {uuid.uuid4().hex}", "author_name": "A"},
                headers={"X-Forwarded-For": address},
            )
            return response.status_code

        # Load in the background while Redis is up, and while it is down.
        loading = threading.Event()
        stop = threading.Event()
        statuses: list[int] = []

        def load() -> None:
            while not stop.is_set():
                if not loading.wait(0.05):
                    continue
                statuses.append(_fresh("GET", reviews + "?limit=5").status_code)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            for cycle in range(CYCLES):
                loading.set()
                time.sleep(0.5)
                loading.clear()
                time.sleep(0.2)  # the load's requests in flight finish
                own_redis.kill()
                # Writes first: every worker meets the dead Redis through a write (its
                # generation bump and its rate limit), not through a cache lookup.
                assert all(status < 500 for status in _at_once(16, post))
                loading.set()
                time.sleep(2 * COOLDOWN)  # probes after the cooldown fail again
                loading.clear()
                time.sleep(0.2)

                own_redis.start()  # returns once Redis answers PING
                # /readyz asks Redis itself: ok at once, from every worker.
                ready = _at_once(8, lambda _: _fresh("GET", f"{cluster.url}/readyz").json())
                assert ready == [{"database": "ok", "redis": "ok"}] * 8, (cycle, ready)

                # Each worker's breaker may skip Redis until its cooldown is over ...
                time.sleep(COOLDOWN + 0.1)
                seen = len(cluster.log_lines())
                for _ in range(4):
                    _at_once(8, lambda _: _fresh("GET", reviews + "?limit=5"))
                # ... and then its next request uses Redis again: an X-Cache header (hit
                # or miss) on every read, allowing one request per worker.
                reads = [
                    line
                    for line in cluster.log_lines()[seen:]
                    if line[1] == "GET" and line[2].endswith("/reviews")
                ]
                without = Counter(pid for pid, *_, cache in reads if cache not in {"hit", "miss"})
                assert len({line[0] for line in reads}) >= 2, "one worker served every read"
                assert all(count <= 1 for count in without.values()), (cycle, without, reads)

                # The rate limits count in Redis again, shared by the workers: 5 of 8
                # from one network (the in-process fallback would count per worker).
                network = f"192.0.2.{cycle + 1}"
                limited = sorted(_at_once(8, lambda i, net=network: post(i, net)))
                assert limited == [201] * 5 + [429] * 3, (cycle, limited)
        finally:
            stop.set()
            loading.set()
            for thread in threads:
                thread.join(30)
        assert statuses and all(status < 500 for status in statuses)


def test_readyz_probes_redis_itself_not_the_breaker(
    app_factory: Callable[..., Any], own_redis: Any
) -> None:
    """The breaker may skip Redis for its cooldown after an outage that is over: /readyz
    answers what a PING says now (down while Redis is, ok as soon as it is back)."""
    app = app_factory(REDIS_URL=own_redis.url, REDIS_COOLDOWN=60.0)
    client = app.test_client()
    store = app.extensions["plaudit_cache"].store
    assert client.get("/readyz").get_json()["redis"] == "ok"
    own_redis.kill()
    assert client.get("/readyz").get_json()["redis"] == "down"
    assert store.call(lambda r: r.get("x")) is None  # the breaker opens for 60 s
    own_redis.start()
    assert client.get("/readyz").get_json() == {"database": "ok", "redis": "ok"}
    own_redis.freeze()
    try:
        started = time.monotonic()
        assert client.get("/readyz").get_json()["redis"] == "down"
        assert time.monotonic() - started < 5  # bounded by the short timeout, not hung
    finally:
        own_redis.thaw()


def test_a_lookup_connection_left_open_on_a_dead_redis_is_not_trusted(
    app_factory: Callable[..., Any], make_site: Any, own_redis: Any
) -> None:
    """The race behind the slow recovery, in one process: a write meets the dead Redis
    first (the breaker opens; the lookup connection is still open on the dead server),
    Redis comes back, the probe succeeds: the next lookup must not fail on that old
    connection and open the breaker for another cooldown."""
    app = app_factory(REDIS_URL=own_redis.url, REDIS_COOLDOWN=0.2)
    site = make_site()
    client = app.test_client()
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    client.get(url)
    assert client.get(url).headers["X-Cache"] == "hit"  # the lookup connection is open
    own_redis.kill()
    body = {"rating": 5, "body": "Written while Redis is down", "author_name": "Ada"}
    assert client.post(url, json=body).status_code == 201  # its bump fails: breaker opens
    own_redis.start()
    time.sleep(0.3)  # the cooldown is over
    first = client.get(url)
    assert first.headers.get("X-Cache") == "miss"  # from Redis, not around it
    assert first.get_json()["summary"]["count"] == 1
    assert client.get(url).headers["X-Cache"] == "hit"
    assert app.extensions["plaudit_cache"].store.state == "ok"


def test_the_rate_limiter_returns_to_redis_with_the_cache(
    app_factory: Callable[..., Any], make_site: Any, own_redis: Any
) -> None:
    """flask-limiter falls back to counting in this process when Redis fails and, left
    to itself, looks at Redis again after 1, 2, 4 ... 32 s: it follows the cache's
    breaker back instead."""
    from plaudit_server.extensions import limiter

    site = make_site()
    app = app_factory(
        REDIS_URL=own_redis.url,
        REDIS_COOLDOWN=0.2,
        RATELIMIT_ENABLED=True,
        RATELIMIT_SUBMISSIONS_PER_VISITOR="100/minute",
    )
    client = app.test_client()
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"

    def post(n: int) -> int:
        body = {"rating": 4, "body": f"Review number {n}", "author_name": "Ada"}
        return int(client.post(url, json=body).status_code)

    assert post(0) == 201
    logging.getLogger("flask-limiter").setLevel(logging.ERROR)  # the fallback's warning
    for cycle in range(3):  # flask-limiter's own back-off grows with every outage
        own_redis.kill()
        assert post(100 + cycle) == 201  # counted in the in-process fallback
        assert limiter.storage_is_down()
        own_redis.start()
        time.sleep(0.3)  # the cache's cooldown is over
        client.get(url)  # any request: the cache's breaker closes
        assert not limiter.storage_is_down(), cycle
        keys = redis.Redis.from_url(own_redis.url).keys("LIMITS:*")
        assert post(200 + cycle) == 201
        assert len(redis.Redis.from_url(own_redis.url).keys("LIMITS:*")) > len(keys)


# ---------------------------------------------------------------- secrets in logs


def test_the_redis_password_never_reaches_the_log(
    app_factory: Callable[..., Any], make_site: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis unreachable (a closed port): the cache and the rate limiter say so, without
    the password of the URL."""
    site = make_site()
    url = f"redis://plaudit:s3cret-Passw0rd@127.0.0.1:{free_port()}/0"
    app = app_factory(
        REDIS_URL=url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_SUBMISSIONS_PER_VISITOR="100/minute",
        REDIS_COOLDOWN=0.05,
    )
    client = app.test_client()
    caplog.set_level(logging.DEBUG)
    reads = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    assert client.get(reads).status_code == 200
    body = {"rating": 5, "body": "Still accepted", "author_name": "Ada"}
    assert client.post(reads, json=body).status_code == 201
    time.sleep(0.1)
    assert client.get(reads).status_code == 200  # a failed probe after the cooldown
    assert client.get("/readyz").get_json()["redis"] == "down"
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert unreachable, caplog.text
    assert "redis://plaudit:***@127.0.0.1:" in caplog.text
    assert "s3cret-Passw0rd" not in caplog.text


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("redis://:pw@localhost:6379/0", "redis://:***@localhost:6379/0"),
        ("rediss://user:p%40ss@h.example:6380/1", "rediss://user:***@h.example:6380/1"),
        ("redis://h:6379/0?password=pw&db=2", "redis://h:6379/0?password=***&db=2"),
        ("unix:///run/redis.sock?Password=pw", "unix:///run/redis.sock?Password=***"),
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("redis://user@localhost", "redis://user@localhost"),
        ("redis://:a@b@h:1/0", "redis://:***@h:1/0"),
        ("redis://:pw@[::1/0", "<unparseable Redis URL>"),
    ],
)
def test_redact_url(url: str, logged: str) -> None:
    from plaudit_server.cache import redact_url

    assert redact_url(url) == logged
