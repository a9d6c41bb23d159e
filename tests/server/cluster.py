"""A production-shaped server for tests: gunicorn with 4 workers on PostgreSQL and a
Redis, over real HTTP (used by the multi-worker and the Redis fault tests)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from conftest import free_port
from plaudit_server import create_app
from plaudit_server.extensions import db
from plaudit_server.services import sites


@dataclass
class Cluster:
    url: str
    slug: str
    api_key: str
    database_url: str
    access_log: Path

    def log_lines(self) -> list[list[str]]:
        """The access log: worker pid, method, path, status and X-Cache per request."""
        return [line.split() for line in self.access_log.read_text().splitlines() if line]

    def pids(self) -> set[str]:
        return {line[0] for line in self.log_lines()}


@contextlib.contextmanager
def run_cluster(
    postgres_url: str,
    base_config: dict[str, Any],
    tmp_path: Path,
    redis_url: str,
    per_visitor: str = "5/minute",
    *,
    cooldown: float = 0.5,
    trusted_proxies: int = 0,
) -> Iterator[Cluster]:
    """gunicorn with 4 workers on ``postgres_url`` and ``redis_url``, and one site.
    With ``trusted_proxies``, ``X-Forwarded-For`` names each request's visitor."""
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    app = create_app({**base_config, "DATABASE_URL": postgres_url})
    with app.app_context():
        new = sites.create_site(
            db.session, "multi-shop", origins=["http://shop.test"], owner_email="o@shop.test"
        )
        db.session.commit()
        key = new.secret_key
        db.engine.dispose()
    port = free_port()
    log = tmp_path / "access.log"
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "cluster-secret-" + "0" * 32,
        "PLAUDIT_REDIS_KEY_PREFIX": prefix,
        "PLAUDIT_REDIS_COOLDOWN": str(cooldown),
        "TRUSTED_PROXIES": str(trusted_proxies),
        "PLAUDIT_RATELIMIT_SUBMISSIONS_PER_VISITOR": per_visitor,
    }
    errors = tmp_path / "gunicorn.err"
    error_file = errors.open("wb")
    proc = subprocess.Popen(
        [
            gunicorn,
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(m)s %(U)s %(s)s %({x-cache}o)s",
            "plaudit_server:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=error_file,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            error_file.close()
            pytest.fail(f"gunicorn did not start: {errors.read_text()[-2000:]}")
        time.sleep(0.1)
    # Let every worker boot so the kernel has all four to spread connections over.
    time.sleep(1.0)
    try:
        yield Cluster(url, "multi-shop", key, postgres_url, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        error_file.close()
        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=f"*{prefix}*"))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass  # the test's own Redis may be gone
