"""Widget fixtures: Playwright on Debian's Chromium (never a downloaded browser), a shop
page server and a Plaudit server on different ports and host names, so the widget is a
real third-party embed with real CORS.

``--host-resolver-rules`` maps every ``*.test`` name to 127.0.0.1: the shop is
``http://shop.test:<port>`` and Plaudit ``http://plaudit.test:<port>``.

While Playwright's sync API runs it keeps an asyncio loop running on the main thread,
and Flask then refuses to pop an app context there (flask-sqlalchemy-lite's teardown is
async): every use of the app outside its server threads goes through :func:`off_loop`,
and Playwright is stopped after each browser test module.

Browser tests are skipped when Chromium or pytest-playwright is missing, unless
``REQUIRE_BROWSER=1`` (CI), which makes that a usage error. They run on SQLite by
default; ``PLAUDIT_BROWSER_DATABASES=sqlite,postgresql`` adds PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from plaudit_server import create_app
from plaudit_server.models import Moderation

HERE = Path(__file__).resolve().parent

CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
# Playwright adds --headless, --no-sandbox and a fresh profile itself (never pass
# --user-data-dir); these are the only extra flags.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--host-resolver-rules=MAP *.test 127.0.0.1"]

SKIP_REASON: str | None = None
if not os.access(CHROMIUM, os.X_OK):
    SKIP_REASON = (
        f"no Chromium at {CHROMIUM}: run `apt-get install -y chromium` or set CHROMIUM_BIN"
    )
elif importlib.util.find_spec("playwright") is None:
    SKIP_REASON = "Playwright is not installed: `pip install pytest-playwright`"

BROWSER_FIXTURES = {"page", "context", "browser"}
BROWSER_BACKENDS = [
    b for b in os.environ.get("PLAUDIT_BROWSER_DATABASES", "sqlite").split(",") if b
]
CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "widget-test-secret",
    "RATELIMIT_ENABLED": False,
}


_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="widget-tests")


def off_loop(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``function`` on a thread without an event loop and return its result."""
    return _WORKER.submit(function, *args, **kwargs).result()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: only ours are concerned.
    ours = [
        item
        for item in items
        if HERE in Path(str(item.path)).parents
        and BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    if SKIP_REASON and ours and os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError(SKIP_REASON)
    if SKIP_REASON:
        for item in ours:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="module")
def widget_browser() -> Iterator[Any]:
    """Our own Playwright and Chromium, per test module. Not pytest-playwright's
    session-wide ones: Playwright's sync API keeps an event loop running on the main
    thread while it is started, which breaks Flask app contexts (flask-sqlalchemy-lite's
    teardown is async) in every test that runs after it; stopping it here ends that."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a shared 2-core machine can be slow; never a sleep
    driver = sync_playwright().start()
    try:
        launched = driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()
    finally:
        driver.stop()


@pytest.fixture
def context(widget_browser: Any) -> Iterator[Any]:
    made = widget_browser.new_context()
    yield made
    made.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def _serve(app: Any) -> tuple[int, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(5)
        server.server_close()

    return server.server_port, stop


@dataclass
class Shop:
    """A shop's own web server: pages registered by the tests, with their headers."""

    port: int
    pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"http://shop.test:{self.port}"

    def page(self, html: str, headers: dict[str, str] | None = None) -> str:
        path = f"/p/{uuid.uuid4().hex[:10]}"
        self.pages[path] = (html, headers or {})
        return self.origin + path

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        html, headers = self.pages.get(request.path, ("not found", {}))
        status = 200 if request.path in self.pages else 404
        if request.path == "/favicon.ico":
            status, html = 204, ""
        response = Response(html, status=status, mimetype="text/html", headers=headers)
        return response(environ, start_response)


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    holder: dict[str, Shop] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["shop"](environ, start_response)

    port, stop = _serve(app)
    holder["shop"] = Shop(port)
    yield holder["shop"]
    stop()


@pytest.fixture(params=BROWSER_BACKENDS)
def browser_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template = off_loop(request.getfixturevalue, "sqlite_template")
        path = tmp_path / "plaudit.sqlite3"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    return str(off_loop(request.getfixturevalue, "empty_postgres_url"))


@dataclass
class Plaudit:
    """A live Plaudit server on its own host name, with helpers to seed it directly."""

    app: Flask
    port: int
    shop: Shop

    @property
    def origin(self) -> str:
        return f"http://plaudit.test:{self.port}"

    @property
    def script(self) -> str:
        return f'<script src="{self.origin}/widget.js" async></script>'

    def site(self, *args: Any, **kwargs: Any) -> Any:
        return off_loop(self._site, *args, **kwargs)

    def _site(
        self, slug: str = "acme-shop", moderation: str = "post", origins: list[str] | None = None
    ) -> str:
        from plaudit_server.extensions import db
        from plaudit_server.services import sites

        with self.app.app_context():
            sites.create_site(
                db.session,
                slug,
                origins=[self.shop.origin] if origins is None else origins,
                owner_email=f"owner@{slug}.test",
                password="correct horse battery",
                moderation=Moderation(moderation),
            )
            db.session.commit()
        return slug

    def review(self, *args: Any, **kwargs: Any) -> Any:
        return off_loop(self._review, *args, **kwargs)

    def _review(self, slug: str, product: str, index: int = 0, **data: Any) -> str:
        """A published review (unless the site pre-moderates); returns its id."""
        from plaudit_server.extensions import db
        from plaudit_server.services import reviews, sites

        body = {"rating": 5, "body": f"Review number {index}", "author_name": "Ada", **data}
        extra = {k: body.pop(k) for k in ("helpful_count", "verified_buyer") if k in body}
        with self.app.app_context():
            site = sites.site_by_slug(db.session, slug)
            review = reviews.submit_review(
                db.session, site, product, body, visitor_hash=f"seed-{index}"
            )
            for name, value in extra.items():
                setattr(review, name, value)
            db.session.commit()
            return review.id

    def comment(self, *args: Any, **kwargs: Any) -> Any:
        return off_loop(self._comment, *args, **kwargs)

    def _comment(self, slug: str, product: str, **data: Any) -> str:
        from plaudit_server.extensions import db
        from plaudit_server.services import comments, sites

        with self.app.app_context():
            site = sites.site_by_slug(db.session, slug)
            made = comments.submit_comment(
                db.session,
                site,
                product,
                {"author_name": "Kim", **data},
                visitor_hash=f"seed-c-{uuid.uuid4().hex[:6]}",
            )
            db.session.commit()
            return made.id

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return off_loop(self._get, *args, **kwargs)

    def _get(self, path: str) -> Any:
        return self.app.test_client().get(path).get_json()


@pytest.fixture
def plaudit(browser_database_url: str, shop: Shop) -> Iterator[Plaudit]:
    app = off_loop(create_app, {**CONFIG, "DATABASE_URL": browser_database_url})
    port, stop = _serve(app)
    yield Plaudit(app, port, shop)
    stop()
    off_loop(_dispose, app)


def _dispose(app: Flask) -> None:
    from plaudit_server.extensions import db

    with app.app_context():
        db.engine.dispose()
