"""Background jobs: RQ through Redis and a real `plaudit worker`, inline without Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from flask import Flask

from conftest import SHARED_REDIS
from plaudit_server import jobs
from plaudit_server.extensions import db
from plaudit_server.services import sites, stats

# What the admin stats add to the cached figures, read fresh on every request.
COMMUNITY = {"questions", "answers", "ideas", "ideas_top", "ideas_shipped"}


def _admin_stats(client: Any, key: str) -> dict[str, Any]:
    """The cached part of ``GET /admin/stats`` (the community figures are not cached)."""
    response = client.get("/api/v1/admin/stats", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    assert set(body) >= COMMUNITY
    return {k: v for k, v in body.items() if k not in COMMUNITY}


def _fresh_stats(app: Flask, slug: str) -> dict[str, Any]:
    with app.app_context():
        return stats.site_stats(db.session, sites.site_by_slug(db.session, slug))


def test_without_redis_jobs_run_inline(app: Flask) -> None:
    ran: list[str] = []
    with app.app_context():
        jobs.enqueue(ran.append, "done")
    assert ran == ["done"]


def test_a_write_queues_a_stats_refresh_that_the_worker_runs(
    app_factory: Callable[..., Flask],
    make_site: Any,
    prefix: str,
    database_url: str,
    tmp_path: Path,
) -> None:
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    site = make_site()
    client = app.test_client()
    created = client.post(
        f"/api/v1/sites/{site.slug}/products/sku-1/reviews",
        json={"rating": 4, "body": "Queued", "author_name": "Q"},
    )
    assert created.status_code == 201
    r = redis.Redis.from_url(SHARED_REDIS)
    queue_key = f"rq:queue:{prefix}jobs"
    assert r.llen(queue_key) == 1  # the refresh for this site, deduplicated by job id
    assert not list(r.scan_iter(match=f"{prefix}body:*"))

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": SHARED_REDIS,
        "SECRET_KEY": "test-secret-key-" + "0" * 32,
        "PLAUDIT_REDIS_KEY_PREFIX": prefix,
    }
    plaudit = str(Path(sys.executable).with_name("plaudit"))
    result = subprocess.run(
        [plaudit, "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert r.llen(queue_key) == 0
    cached = list(r.scan_iter(match=f"{prefix}body:*"))  # nothing else is cached here
    assert len(cached) == 1  # the worker computed and stored them

    served = _admin_stats(client, site.api_key)
    assert served == _fresh_stats(app, site.slug)
    assert served["reviews"]["published"] == 1


def test_cached_stats_are_never_stale_after_a_write(
    app_factory: Callable[..., Flask], make_site: Any, prefix: str
) -> None:
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    site = make_site()
    client = app.test_client()
    url = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    first = client.post(url, json={"rating": 5, "body": "One", "author_name": "A"}).get_json()
    assert _admin_stats(client, site.api_key)["reviews"]["published"] == 1
    client.open(
        f"/api/v1/admin/reviews/{first['review']['id']}",
        method="PATCH",
        json={"status": "rejected"},
        headers={"Authorization": f"Bearer {site.api_key}"},
    )
    after = _admin_stats(client, site.api_key)
    assert after["reviews"]["published"] == 0
    assert after["reviews"]["rejected"] == 1
    assert after == _fresh_stats(app, site.slug)


def test_worker_without_redis_explains_itself(runner: Any) -> None:
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output
