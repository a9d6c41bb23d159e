"""The admin page's sign-in and session security (issue 13), on SQLite and PostgreSQL.

The session cookie's ``Secure`` flag does not depend on ``Host``; the ``Origin``
fallback compares whole origins; ``mailto:`` links are encoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from plaudit_server.extensions import db
from plaudit_server.models import Comment, Review

from .helpers import browser, open_page, seed_comment, seed_reviews

ADMIN = "/admin"
LONG_SECRET_KEY = "a secret key of at least 32 bytes, as outside tests"


# ---------------------------------------------------------------- Secure and Origin


def cookie_is_secure(response: Any) -> bool:
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
    return "secure" in {part.strip().lower() for part in cookie.split(";")}


@pytest.mark.parametrize(("env", "secure"), [(None, True), ("false", False), ("0", False)])
def test_a_tls_proxy_forwarding_host_127_0_0_1_gets_a_secure_cookie(
    app_factory: Callable[..., Flask],
    make_site: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    env: str | None,
    secure: bool,
) -> None:
    """A TLS proxy talking plain HTTP to the app on 127.0.0.1, Host included: the
    request looks like scripts/demo's, yet the browser's connection is HTTPS. Only
    PLAUDIT_SESSION_COOKIE_SECURE=false drops Secure."""
    if env is not None:
        monkeypatch.setenv("PLAUDIT_SESSION_COOKIE_SECURE", env)
    site = make_site()
    client = browser(app_factory(TESTING=False, SECRET_KEY=LONG_SECRET_KEY))
    base = "http://127.0.0.1:8000"
    assert client.get(f"{ADMIN}/login", base_url=base).status_code == 200
    form = {"email": site.owner_email, "password": site.password}
    response = client.post(f"{ADMIN}/login", base_url=base, data=form)
    assert response.status_code == 302
    assert cookie_is_secure(response) is secure


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("https://admin.example", True),
        ("https://admin.example:443", True),
        ("http://admin.example", False),  # the same host, over plain HTTP
        ("http://admin.example:443", False),
        ("https://admin.example:8443", False),
    ],
)
def test_the_origin_fallback_compares_scheme_host_and_port(
    app: Flask, make_site: Callable[..., Any], origin: str, accepted: bool
) -> None:
    site = make_site()
    client = app.test_client()  # a browser without Sec-Fetch-Site
    base = "https://admin.example"
    assert client.get(f"{ADMIN}/login", base_url=base).status_code == 200
    form = {"email": site.owner_email, "password": site.password}
    response = client.post(f"{ADMIN}/login", base_url=base, data=form, headers={"Origin": origin})
    assert response.status_code == (302 if accepted else 403)


# ---------------------------------------------------------------- mailto


EVIL = "a?cc=attacker@evil.test&bcc=x%40y@shop.test"


def test_mailto_links_encode_the_address(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    """An address stored before ``?``, ``&`` and ``%`` were refused (old data), put in
    through the ORM: the link writes to it alone."""
    site = make_site(moderation="pre")  # the queues open on what awaits moderation
    (review_id,) = seed_reviews(app, site.slug, 1)
    comment_id = seed_comment(app, site.slug)
    with app.app_context():
        db.session.get(Review, review_id).author_email = EVIL  # type: ignore[union-attr]
        db.session.get(Comment, comment_id).author_email = EVIL  # type: ignore[union-attr]
        db.session.commit()
    client = signed_in(site)
    encoded = "mailto:a%3Fcc%3Dattacker@evil.test%26bcc%3Dx%2540y@shop.test"
    for path in ("reviews", "comments", f"reviews/{review_id}"):
        html = open_page(client, f"{ADMIN}/{site.slug}/{path}")
        hrefs = re.findall(r'href="(mailto:[^"]*)"', html)
        assert hrefs, path
        assert set(hrefs) == {encoded}, path
