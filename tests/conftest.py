"""Shared fixtures: every test that uses ``app`` runs on SQLite and on PostgreSQL.

Databases are real. SQLite: a migrated template file copied per test. PostgreSQL: one
database per test session on the server at ``PLAUDIT_TEST_POSTGRES`` (default
``postgresql://root@127.0.0.1:5432/test`` as the admin connection), migrated once and
truncated between tests. Set ``PLAUDIT_TEST_DATABASES=sqlite`` to run SQLite only;
CI runs both and fails when PostgreSQL can't be reached rather than skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from plaudit_server import create_app
from plaudit_server.models import Base, Moderation

ADMIN_PG_URL = os.environ.get("PLAUDIT_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test")
BACKENDS = [
    b for b in os.environ.get("PLAUDIT_TEST_DATABASES", "sqlite,postgresql").split(",") if b
]

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "RATELIMIT_ENABLED": False,
}


def _pg(url: str) -> str:
    from plaudit_server.config import normalise_database_url

    return normalise_database_url(url)


def _migrate(url: str, tmp: Path) -> None:
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url})
    from alembic import command

    from plaudit_server.cli import alembic_config

    with app.app_context():
        command.upgrade(alembic_config(), "head")
    from plaudit_server.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def no_redis_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose Redis explicitly (``REDIS_URL`` in the app config), whatever the
    shell exports."""
    monkeypatch.delenv("REDIS_URL", raising=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of our own on the shared server, dropped at the end of the session."""
    admin = sa.create_engine(_pg(ADMIN_PG_URL), isolation_level="AUTOCOMMIT")
    name = f"plaudit_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"PostgreSQL is not reachable at {ADMIN_PG_URL}: {exc}", pytrace=False)
    url = _pg(sa.make_url(_pg(ADMIN_PG_URL)).set(database=name).render_as_string(False))
    _migrate(url, Path("."))
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} CASCADE")
    engine.dispose()


@pytest.fixture
def empty_postgres_url(postgres_url: str) -> str:
    """The session's PostgreSQL database, emptied: for tests that only make sense there."""
    _truncate(postgres_url)
    return postgres_url


@pytest.fixture
def base_config() -> dict[str, Any]:
    return dict(BASE_CONFIG)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated, empty database of each backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "plaudit.sqlite3"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def app_factory(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Make an app on this test's database with config overrides."""
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app({**BASE_CONFIG, "DATABASE_URL": database_url, **overrides})
        made.append(app)
        return app

    yield factory
    from plaudit_server.extensions import db

    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@dataclass
class SiteInfo:
    slug: str
    api_key: str
    owner_email: str
    password: str
    id: str


@pytest.fixture
def make_site(app: Flask) -> Callable[..., SiteInfo]:
    """Create a site directly through the service layer (what `plaudit sites create` does)."""
    from plaudit_server.extensions import db
    from plaudit_server.services import sites

    def make(
        slug: str | None = None,
        origins: tuple[str, ...] | list[str] = ("http://shop.test",),
        moderation: str = "post",
        owner_email: str | None = None,
        password: str = "correct horse battery",
    ) -> SiteInfo:
        slug = slug or f"site-{uuid.uuid4().hex[:8]}"
        with app.app_context():
            new = sites.create_site(
                db.session,
                slug,
                origins=list(origins),
                owner_email=owner_email or f"owner@{slug}.test",
                password=password,
                moderation=Moderation(moderation),
            )
            db.session.commit()
            return SiteInfo(slug, new.secret_key, new.owner.email, password, new.site.id)

    return make


@pytest.fixture
def site(make_site: Callable[..., SiteInfo]) -> SiteInfo:
    return make_site(slug="acme-shop")


@dataclass
class LiveServer:
    url: str
    app: Flask


def serve(app: Flask) -> tuple[LiveServer, Callable[[], None]]:
    """Serve ``app`` on a free loopback port in a thread; returns it and a stopper."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Request threads are joined on close: work a response leaves behind (mail sent
    # after it, e.g. a manage link) ends before the test's database goes away.
    server.daemon_threads = False
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(5)
        server.server_close()

    return LiveServer(f"http://127.0.0.1:{server.server_port}", app), stop


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test's app over real HTTP."""
    live, stop = serve(app)
    yield live
    stop()


class Api:
    """Small helper over the Flask test client for JSON calls with a key or an origin."""

    def __init__(self, client: Any, site: SiteInfo) -> None:
        self.client = client
        self.site = site

    def public(self, path: str) -> str:
        return f"/api/v1/sites/{self.site.slug}{path}"

    def post_review(
        self, product: str = "sku-1", headers: dict[str, str] | None = None, **fields: Any
    ) -> Any:
        body = {"rating": 5, "body": "Great product", "author_name": "Ada", **fields}
        return self.client.post(
            self.public(f"/products/{product}/reviews"), json=body, headers=headers
        )

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.site.api_key}", **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1/admin{path}", method=method, headers=headers, **kwargs)


@pytest.fixture
def api(client: Any, site: SiteInfo) -> Api:
    return Api(client, site)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisProcess:
    """A redis-server of our own, to kill and freeze without touching the shared one."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(5)

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(5)


# The machine's shared Redis: tests use it under a prefix of their own and never flush it.
SHARED_REDIS = os.environ.get("PLAUDIT_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own in the shared Redis; its keys (flask-limiter's,
    which the limits package prefixes again, and RQ's included) are deleted after."""
    value = f"test-{uuid.uuid4().hex[:10]}:"
    yield value
    client = redis.Redis.from_url(SHARED_REDIS)
    keys = list(client.scan_iter(match=f"*{value}*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed")
    server = RedisProcess()
    server.start()
    yield server
    server.close()


# ---------------------------------------------------------------- accessibility (axe-core)

AXE_JS = Path(__file__).resolve().parents[1] / "widget" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 levels A and AA, as axe-core tags its rules.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="session")
def axe() -> Callable[..., list[dict[str, Any]]]:
    """``axe(page)``: run axe-core (the npm package, installed by ``npm ci`` in widget/)
    on the page as it is now, open shadow roots included, and fail the test on any WCAG
    2.2 A/AA violation. Returns the results' ``passes`` so a test can also check that a
    rule really looked at something. Injected through the DevTools protocol, so strict
    CSPs (admin page, hosted pages) need no exception for it."""
    if not AXE_JS.exists():
        reason = f"axe-core is not installed ({AXE_JS}): run `cd widget && npm ci`"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    source = AXE_JS.read_text(encoding="utf-8")

    def check(page: Any, *, include: str | None = None) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(f"() => {{ {source}\n }}")
            page.evaluate("() => { if (!window.axe) { throw new Error('axe not loaded'); } }")
        results = page.evaluate(
            "([include, tags]) => axe.run(include ? {include: [include]} : document,"
            " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            [include, AXE_TAGS],
        )
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
            for v in results["violations"]
        ]
        assert not violations, f"axe-core found WCAG A/AA violations on {page.url}:\n" + (
            "\n".join(violations)
        )
        return results["passes"]  # type: ignore[no-any-return]

    return check


# ---------------------------------------------------------------- e-mail (a real SMTP server)

from mailsink import MailSink  # noqa: E402  (tests/mailsink.py)


@pytest.fixture
def smtp_sink() -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd) on a free loopback port, collecting what arrives.
    Build the app with ``app_factory(**smtp_sink.config)`` to send to it."""
    sink = MailSink().start()
    yield sink
    sink.stop()


from hooksink import HookSink  # noqa: E402  (tests/hooksink.py)


@pytest.fixture
def hook_sink() -> Iterator[HookSink]:
    """A real webhook receiver on a free loopback port, keeping what arrives. Build the
    app with ``WEBHOOKS_ALLOW_PRIVATE=True`` to deliver to it."""
    sink = HookSink().start()
    yield sink
    sink.stop()
