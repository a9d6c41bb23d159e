"""Browser tests: SQLite only, and every app-context use off the Playwright thread.

Playwright's sync API keeps an asyncio loop running on the main thread (in a greenlet)
for as long as Playwright runs. Popping a Flask app context there fails: Flask runs
Flask-SQLAlchemy-Lite's async teardown through asgiref, which refuses to start inside
a running loop. Two consequences:

* Playwright must not outlive these tests, or every later test of the session (all of
  ``tests/server``) would fail the same way. pytest-playwright starts it once per
  session; the fixtures below narrow ``playwright`` and the browser to one module.
* Within a module, apps are created, migrated, seeded and disposed in a short-lived
  thread (:func:`off_loop`), and the tests call the services and the test client the
  same way. The live server already answers the browser from its own threads.
"""

from __future__ import annotations

import importlib.util
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from flask import Flask
from werkzeug.serving import make_server

from plaudit_server import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserType, Playwright

T = TypeVar("T")


def off_loop(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``func`` in a fresh thread (no asyncio loop there) and return its result."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


# Without pytest-playwright the browser tests skip themselves (importorskip), and these
# overrides of its fixtures have nothing to override.
if importlib.util.find_spec("pytest_playwright") is not None:

    @pytest.fixture(scope="module")
    def playwright() -> Iterator[Playwright]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as running:
            yield running

    @pytest.fixture(scope="module")
    def browser_context_args() -> dict[str, Any]:
        """No device emulation, video or base URL: tests use their live server's URLs.
        (pytest-playwright's own is session-scoped and would start Playwright for good.)"""
        return {}

    @pytest.fixture(scope="module")
    def browser_type(playwright: Playwright, browser_name: str | None) -> BrowserType:
        return getattr(playwright, browser_name or "chromium")

    @pytest.fixture(scope="module")
    def launch_browser(
        browser_type_launch_args: dict[str, Any], browser_type: BrowserType
    ) -> Callable[..., Browser]:
        def launch(**kwargs: Any) -> Browser:
            return browser_type.launch(**{**browser_type_launch_args, **kwargs})

        return launch

    @pytest.fixture(scope="module")
    def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
        launched = launch_browser()
        yield launched
        launched.close()


def _migrate(url: str, config: dict[str, Any]) -> None:
    from alembic import command

    from plaudit_server.cli import alembic_config
    from plaudit_server.extensions import db

    app = create_app({**config, "DATABASE_URL": url})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("admin-browser") / "template.sqlite3"
    off_loop(_migrate, f"sqlite:///{path}", {"TESTING": True, "SECRET_KEY": "migrate"})
    return path


@pytest.fixture
def database_url(browser_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database (replaces the two-backend parametrised one)."""
    path = tmp_path / "plaudit.sqlite3"
    shutil.copy(browser_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_factory(database_url: str, base_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = off_loop(create_app, {**base_config, "DATABASE_URL": database_url, **overrides})
        made.append(app)
        return app

    yield factory
    from plaudit_server.extensions import db

    def dispose(app: Flask) -> None:
        with app.app_context():
            db.engine.dispose()

    for app in made:
        off_loop(dispose, app)


@pytest.fixture
def make_site(make_site: Callable[..., Any]) -> Callable[..., Any]:
    """The shared ``make_site``, run off the loop."""

    def make(*args: Any, **kwargs: Any) -> Any:
        return off_loop(make_site, *args, **kwargs)

    return make


@pytest.fixture
def throttled_url(app_factory: Callable[..., Flask]) -> Iterator[str]:
    """A second live server on the test's database with sign-in throttling on."""
    app = app_factory(RATELIMIT_ENABLED=True, ADMIN_LOGIN_LIMIT_PER_EMAIL="3/minute")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()
