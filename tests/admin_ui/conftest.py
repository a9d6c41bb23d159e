"""Admin page fixtures: Playwright on Debian's Chromium (never a download) and helpers.

Browser tests need ``chromium`` (``apt-get install chromium``) and ``pytest-playwright``;
without them they are skipped, unless ``REQUIRE_BROWSER=1`` (CI), which makes a missing
browser an error so CI can't pass by skipping. The tests' own package (``__init__.py``)
keeps this module from shadowing ``tests/conftest.py`` as the module ``conftest``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from .helpers import browser, sign_in

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
# Playwright adds --headless, --no-sandbox and a fresh profile itself. *.test names
# reach the live server: another site than 127.0.0.1, for cross-site requests.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--host-resolver-rules=MAP *.test 127.0.0.1"]
BROWSER_FIXTURES = {"page", "context", "browser"}

SKIP_REASON = None
if not os.access(CHROMIUM, os.X_OK):
    SKIP_REASON = (
        f"no Chromium at {CHROMIUM}: run `apt-get install -y chromium` or set CHROMIUM_BIN"
    )
elif importlib.util.find_spec("pytest_playwright") is None:
    SKIP_REASON = "pytest-playwright not installed: `pip install pytest-playwright`"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if not Path(str(item.path)).is_relative_to(HERE):
            continue
        if SKIP_REASON and BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            if os.environ.get("REQUIRE_BROWSER"):
                raise pytest.UsageError(SKIP_REASON)
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


if SKIP_REASON is None:

    @pytest.fixture(scope="session")
    def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
        """pytest-playwright's launch arguments, pointed at the system Chromium."""
        return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def client(app: Flask) -> Any:
    """The admin page's tests post as its own pages do (see ``helpers.browser``)."""
    return browser(app)


@pytest.fixture
def signed_in(app: Flask) -> Callable[[Any], Any]:
    """A test client signed in as ``site``'s owner."""

    def make(site: Any) -> Any:
        client = browser(app)
        response = sign_in(client, site.owner_email, site.password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
