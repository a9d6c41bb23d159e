"""The admin page is its own app, built on a worker's first ``/admin`` request.

Until then a worker carries none of its stack; once built it must behave as part of the
main app: same database and Redis, same rate-limit counts, request ids, and the
client's scheme and address as ProxyFix restores them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from plaudit_server.admin_ui import AdminMount

from .helpers import browser, sign_in

ADMIN = "/admin"

_PROBE = textwrap.dedent(
    """
    import json, sys
    from plaudit_server import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": sys.argv[1]})
    client = app.test_client()
    heavy = ("flask_login", "flask_wtf", "wtforms", "plaudit_server.admin_ui.app")
    seen = {}
    for path in ("/healthz", "/api/v1/sites/none/products/p/reviews", "/widget.js"):
        client.get(path)
    seen["api"] = [name for name in heavy if name in sys.modules]
    seen["login_status"] = client.get("/admin/login").status_code
    seen["admin"] = [name for name in heavy if name in sys.modules]
    print(json.dumps(seen))
    """
)


def test_the_admin_stack_loads_on_the_first_admin_request(database_url: str) -> None:
    # A fresh interpreter: this test process has long imported everything.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "server")}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, database_url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    ).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen["api"] == []
    assert seen["login_status"] == 200
    assert seen["admin"] == ["flask_login", "plaudit_server.admin_ui.app"]  # no WTForms


def admin_mount(app: Flask) -> AdminMount:
    """The AdminMount among the WSGI middleware wrapped around ``app``."""
    layer: Any = app.wsgi_app
    while not isinstance(layer, AdminMount):
        layer = layer.app if isinstance(layer, ProxyFix) else layer.wsgi_app
    return layer


def test_only_admin_paths_go_to_the_admin_app(app: Flask) -> None:
    client = app.test_client()
    mount = admin_mount(app)
    for path in ("/administrator", "/adminx/login", "/api/v1/admin/site", "/healthz"):
        client.get(path)
    assert mount.admin is None
    # /admin itself belongs to the admin page, which redirects it to /admin/.
    response = client.get(ADMIN)
    assert response.status_code in {301, 308}
    assert response.headers["Location"].endswith("/admin/")
    assert mount.admin is not None


def test_admin_pages_carry_request_ids(client: Any) -> None:
    mine = client.get(f"{ADMIN}/login", headers={"X-Request-Id": "trace-1234-abcd"})
    assert mine.status_code == 200
    assert mine.headers["X-Request-Id"] == "trace-1234-abcd"
    assert client.get(f"{ADMIN}/login").headers["X-Request-Id"].startswith("req_")


def test_the_admin_app_shares_the_main_apps_engine_and_store(
    app: Flask, make_site: Callable[..., Any]
) -> None:
    site = make_site()
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    admin = admin_mount(app).admin
    assert admin is not None
    for key in ("plaudit_db", "plaudit_store", "plaudit_snapshots"):
        assert admin.extensions[key] is app.extensions[key]
    assert admin.config is app.config


def test_building_the_admin_app_keeps_the_rate_limit_counts(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    """Without Redis, counts live in this process: a second limiter set-up for the admin
    app must not start them from zero (a free reset for a visitor at the limit)."""
    site = make_site()
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_SUBMISSIONS_PER_VISITOR="2/minute")
    client = app.test_client()

    def submit() -> int:
        body = {"rating": 5, "body": f"Review {submit.n}", "author_name": "Ada"}  # type: ignore[attr-defined]
        submit.n += 1  # type: ignore[attr-defined]
        return client.post(
            f"/api/v1/sites/{site.slug}/products/sku-1/reviews",
            json=body,
            headers={"Origin": "http://shop.test"},
        ).status_code

    submit.n = 0  # type: ignore[attr-defined]
    assert [submit(), submit()] == [201, 201]
    assert client.get(f"{ADMIN}/login").status_code == 200  # builds the admin app
    assert submit() == 429


def test_the_admin_app_sees_the_client_as_proxyfix_restores_it(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    """Behind a proxy the session cookie is Secure because the client used HTTPS: the
    admin app must sit inside ProxyFix, or it would see the proxy's plain HTTP from a
    loopback address and leave the cookie without Secure."""
    site = make_site()
    client = app_factory(
        TESTING=False, TRUSTED_PROXIES=1, SECRET_KEY="proxied-admin-" + "0" * 32
    ).test_client()
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "admin.example"}
    login = client.get(f"{ADMIN}/login", base_url="http://127.0.0.1:8000", headers=proxied)
    assert login.status_code == 200
    response = client.post(
        f"{ADMIN}/login",
        base_url="http://127.0.0.1:8000",
        # A browser without Sec-Fetch-Site: its Origin names the host the proxy forwards.
        headers={**proxied, "Origin": "https://admin.example"},
        data={"email": site.owner_email, "password": site.password},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    cookie = next(
        v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session=")
    )
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_public_responses_ignore_the_admin_session(
    app: Flask, make_site: Callable[..., Any]
) -> None:
    """A signed-in owner's browser sends its session cookie to the widget's API too; the
    API must neither read it (``Vary: Cookie`` would split every CDN's cache) nor set it."""
    site = make_site()
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    assert client.get_cookie("session") is not None
    for path in (f"/api/v1/sites/{site.slug}/products/sku-1/reviews", "/widget.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Cookie" not in response.headers.get("Vary", "")
        assert "Set-Cookie" not in response.headers
