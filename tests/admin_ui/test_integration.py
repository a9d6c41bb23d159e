"""The admin page is a blueprint of the main app with a session of its own.

It must behave as part of that app (request ids, the client's scheme and address as
ProxyFix restores them, routes that ``url_for`` and ``flask routes`` know), while its
session cookie stays its own: never read nor set on any path outside ``/admin``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, url_for
from flask.cli import routes_command

from .helpers import browser, sign_in

ADMIN = "/admin"


def test_only_admin_paths_are_the_admin_pages(client: Any) -> None:
    for path in ("/administrator", "/adminx/login"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Content-Security-Policy" not in response.headers or (
            "form-action" not in response.headers["Content-Security-Policy"]
        )
    assert (
        client.get("/admin/login")
        .headers["Content-Security-Policy"]
        .startswith("default-src 'none'")
    )
    # /admin itself belongs to the admin page, which redirects it to /admin/.
    response = client.get(ADMIN)
    assert response.status_code in {301, 308}
    assert response.headers["Location"].endswith("/admin/")


def test_admin_urls_are_built_by_the_main_app(app: Flask, runner: Any) -> None:
    with app.test_request_context("/api/v1/openapi.json"):
        assert url_for("admin_ui.reviews", slug="acme") == "/admin/acme/reviews"
        assert url_for("admin_ui.login") == "/admin/login"
    listed = runner.invoke(routes_command).output  # what `plaudit routes` prints
    assert "admin_ui.reviews" in listed and "/admin/<slug>/reviews" in listed


def test_admin_pages_carry_request_ids(client: Any) -> None:
    mine = client.get(f"{ADMIN}/login", headers={"X-Request-Id": "trace-1234-abcd"})
    assert mine.status_code == 200
    assert mine.headers["X-Request-Id"] == "trace-1234-abcd"
    assert client.get(f"{ADMIN}/login").headers["X-Request-Id"].startswith("req_")


def test_the_admin_page_sees_the_client_as_proxyfix_restores_it(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    """Behind a proxy the session cookie is Secure because the client used HTTPS: the
    admin page must see the client's scheme, or it would see the proxy's plain HTTP
    from a loopback address and leave the cookie without Secure."""
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


def test_the_session_cookie_is_scoped_to_the_admin_page(
    app: Flask, make_site: Callable[..., Any]
) -> None:
    site = make_site()
    client = browser(app)
    response = sign_in(client, site.owner_email, site.password)
    assert response.status_code == 302
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie")
    assert "Path=/admin;" in cookie or cookie.endswith("Path=/admin")
    assert client.get_cookie("session", path="/admin") is not None


def test_public_responses_ignore_the_admin_session(
    app: Flask, make_site: Callable[..., Any]
) -> None:
    """A browser that kept an admin session cookie on ``/`` (set before the cookie was
    scoped to ``/admin``) sends it to the widget's API too; the API must neither read it
    (``Vary: Cookie`` would split every CDN's cache) nor set it."""
    site = make_site()
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    value = client.get_cookie("session", path="/admin").value
    client.set_cookie("session", value, path="/")
    for path in (f"/api/v1/sites/{site.slug}/products/sku-1/reviews", "/widget.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Cookie" not in response.headers.get("Vary", "")
        assert "Set-Cookie" not in response.headers
