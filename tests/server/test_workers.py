"""Production shape: gunicorn with 4 workers on PostgreSQL and Redis, over real HTTP.

Each request goes on a new connection, so the kernel spreads them over the workers; the
access log (with the worker's pid) proves several workers answered.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cluster import Cluster, run_cluster

from conftest import SHARED_REDIS
from plaudit_server.models import Review


@pytest.fixture
def cluster(
    empty_postgres_url: str, base_config: dict[str, Any], tmp_path: Path
) -> Iterator[Cluster]:
    with run_cluster(empty_postgres_url, base_config, tmp_path, SHARED_REDIS) as running:
        yield running


def _fresh(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request on a connection of its own (so any worker may take it)."""
    with httpx.Client(timeout=10) as client:
        return client.request(method, url, **kwargs)


def _at_once(n: int, call: Callable[[], Any]) -> list[Any]:
    """``n`` calls in parallel, each on its own connection: sequential requests may all
    be taken by one worker; simultaneous ones keep both busy."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda _: call(), range(n)))


def test_rate_limit_holds_across_workers(cluster: Cluster) -> None:
    """Eight submissions at once (so both workers take some; one after the other, a
    fast worker may take them all): the limit of 5 holds across the two."""
    url = f"{cluster.url}/api/v1/sites/{cluster.slug}/products/sku-1/reviews"

    texts = iter(range(8))

    def submit() -> int:
        body = {"rating": 4, "body": f"text {next(texts)}", "author_name": "A"}
        return _fresh("POST", url, json=body).status_code

    statuses = sorted(_at_once(8, submit))
    assert statuses == [201] * 5 + [429] * 3
    assert len(cluster.pids()) >= 2, "the requests were all served by one worker"


def test_one_idempotency_key_gives_one_review_across_workers(cluster: Cluster) -> None:
    url = f"{cluster.url}/api/v1/sites/{cluster.slug}/products/sku-2/reviews"
    body = {"rating": 5, "body": "Exactly once", "author_name": "Ida"}
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        response = _fresh("POST", url, json=body, headers=headers)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}, [r.text for r in results]
    created = {r.json()["review"]["id"] for r in results if r.status_code == 201}
    assert len(created) == 1
    engine = sa.create_engine(cluster.database_url)
    with engine.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).select_from(Review).where(Review.body == "Exactly once")
        ).scalar_one()
    engine.dispose()
    assert count == 1


def test_a_write_on_one_worker_is_read_on_another_at_once(cluster: Cluster) -> None:
    base = f"{cluster.url}/api/v1/sites/{cluster.slug}/products/sku-3/reviews"
    admin = {"Authorization": f"Bearer {cluster.api_key}"}
    ids = []
    for i in range(4):
        created = _fresh("POST", base, json={"rating": 3, "body": f"b{i}", "author_name": "C"})
        assert created.status_code == 201
        ids.append(created.json()["review"]["id"])
        # Several reads at once: both workers answer some, misses and cache hits.
        for listed in _at_once(4, lambda: _fresh("GET", base).json()):
            assert listed["summary"]["count"] == i + 1
    for done, review_id in enumerate(ids, start=1):
        patched = _fresh(
            "PATCH",
            f"{cluster.url}/api/v1/admin/reviews/{review_id}",
            json={"status": "rejected"},
            headers=admin,
        )
        assert patched.status_code == 200
        for listed in _at_once(4, lambda: _fresh("GET", base).json()):
            assert listed["summary"]["count"] == len(ids) - done
            assert review_id not in {r["id"] for r in listed["reviews"]}
    assert len(cluster.pids()) >= 2


def test_killing_redis_mid_load_loses_nothing_and_returns_no_5xx(
    empty_postgres_url: str, base_config: dict[str, Any], tmp_path: Path, own_redis: Any
) -> None:
    """Writers and readers keep going while Redis dies and comes back."""
    with run_cluster(
        empty_postgres_url, base_config, tmp_path, own_redis.url, per_visitor="10000/minute"
    ) as running:
        base = f"{running.url}/api/v1/sites/{running.slug}/products"
        results: list[tuple[str, int, str | None]] = []
        lock = threading.Lock()
        stop = threading.Event()

        def load(worker: int) -> None:
            n = 0
            while not stop.is_set() and n < 400:
                n += 1
                # Each writer is its own visitor network, so limits don't get in the way.
                headers = {"User-Agent": f"load-{worker}"}
                if n % 3 == 0:
                    response = _fresh(
                        "POST",
                        f"{base}/hot/reviews",
                        headers=headers,
                        json={"rating": 1 + n % 5, "body": f"w{worker} n{n}", "author_name": "L"},
                    )
                    created = (
                        response.json()["review"]["id"] if response.status_code == 201 else None
                    )
                    with lock:
                        results.append(("POST", response.status_code, created))
                else:
                    response = _fresh("GET", f"{base}/hot/reviews?limit=5")
                    with lock:
                        results.append(("GET", response.status_code, None))

        threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        own_redis.kill()
        time.sleep(1.5)
        # Down until the stricter in-process limit has refused a write: once Redis is
        # back the workers count there again at once, so on a slow machine the outage
        # itself must last long enough for that (bounded).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            status == 429 for _, status, _ in list(results)
        ):
            time.sleep(0.1)
        own_redis.start()
        time.sleep(1.5)
        stop.set()
        for thread in threads:
            thread.join(30)

        statuses = [status for _, status, _ in results]
        assert statuses, "no load was generated"
        assert not [s for s in statuses if s >= 500], statuses
        created = {review_id for _, status, review_id in results if review_id}
        # While Redis is down the stricter in-process limit refuses some writes (429);
        # every write that was answered 201 is stored.
        assert created
        assert 429 in statuses
        engine = sa.create_engine(running.database_url)
        with engine.connect() as connection:
            stored = set(connection.execute(sa.select(Review.id)).scalars())
        engine.dispose()
        assert created <= stored
        final = _fresh("GET", f"{base}/hot/reviews?limit=50").json()
        assert final["summary"]["count"] == len(stored)
        # Redis is back: reads are served from it again.
        assert _fresh("GET", f"{base}/hot/reviews?limit=5").headers.get("X-Cache") in {
            "hit",
            "miss",
        }
        assert _fresh("GET", f"{running.url}/readyz").json()["redis"] == "ok"
