"""The admin page's sign-in and session security (issue 13), on SQLite and PostgreSQL.

Throttling is counted before the password is checked and holds under real concurrency
(threads against a live server); it is keyed on the client's network, so a stranger
elsewhere cannot keep an owner out; sessions end on sign-out and password change and
expire; the cookie's ``Secure`` flag does not depend on ``Host``; the ``Origin``
fallback compares whole origins; ``mailto:`` links are encoded.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from flask import Flask
from werkzeug.serving import make_server

from plaudit_server.extensions import db
from plaudit_server.models import Comment, Review
from plaudit_server.services import sites

from .helpers import browser, open_page, seed_comment, seed_reviews, sign_in

ADMIN = "/admin"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
LONG_SECRET_KEY = "a secret key of at least 32 bytes, as outside tests"


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """``app`` over real HTTP on a threaded server: one thread per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def post_all_at_once(url: str, forms: list[dict[str, str]]) -> list[httpx.Response]:
    """Post every form to ``url`` from its own thread, released together."""
    start = threading.Barrier(len(forms))

    def post(form: dict[str, str]) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            start.wait()
            return client.post(url, data=form, headers=SAME_ORIGIN)

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, forms))


def from_address(app: Flask, address: str) -> Any:
    client = browser(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Where the limiter counts: this process's memory, or a Redis of the test's own."""
    if request.param == "memory":
        return {}
    return {"REDIS_URL": request.getfixturevalue("own_redis").url}


# ---------------------------------------------------------------- counted before checking


def test_concurrent_wrong_passwords_reach_argon2_only_as_often_as_the_limit(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any], storage: dict[str, Any]
) -> None:
    """40 wrong passwords at once for one email: 5 are checked (401), 35 refused (429).
    Counting only failures, after the check, let all 40 through to Argon2."""
    site = make_site()
    app = app_factory(
        RATELIMIT_ENABLED=True,
        ADMIN_LOGIN_LIMIT_PER_EMAIL="5/minute",
        ADMIN_PASSWORD_HASHING_WAIT=60,  # queued, not refused: only the limit answers
        **storage,
    )
    with served(app) as url:
        form = {"email": site.owner_email, "password": "wrong"}
        responses = post_all_at_once(f"{url}{ADMIN}/login", [form] * 40)
    assert Counter(r.status_code for r in responses) == {401: 5, 429: 35}
    refused = [r for r in responses if r.status_code == 429]
    assert all(1 <= int(r.headers["Retry-After"]) <= 61 for r in refused), [
        r.headers["Retry-After"] for r in refused
    ]


def test_concurrent_guesses_at_many_emails_are_held_to_the_network_limit(
    app_factory: Callable[..., Flask], storage: dict[str, Any]
) -> None:
    app = app_factory(
        RATELIMIT_ENABLED=True,
        ADMIN_LOGIN_LIMIT_PER_IP="8/minute",
        ADMIN_PASSWORD_HASHING_WAIT=60,
        **storage,
    )
    forms = [{"email": f"guess{i}@example.test", "password": "wrong"} for i in range(30)]
    with served(app) as url:
        responses = post_all_at_once(f"{url}{ADMIN}/login", forms)
    assert Counter(r.status_code for r in responses) == {401: 8, 429: 22}


def test_password_hashing_runs_at_most_the_bound_at_once(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argon2 (64 MiB each) runs at most ADMIN_PASSWORD_HASHING_CONCURRENCY at a time;
    the others wait their turn. Observed by counting around the real verification."""
    running = peak = 0
    lock = threading.Lock()
    verify = sites.verify_password

    def counted(owner: Any, password: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return verify(owner, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(sites, "verify_password", counted)
    app = app_factory(ADMIN_PASSWORD_HASHING_CONCURRENCY=2, ADMIN_PASSWORD_HASHING_WAIT=60)
    forms = [{"email": f"guess{i}@example.test", "password": "wrong"} for i in range(12)]
    with served(app) as url:
        responses = post_all_at_once(f"{url}{ADMIN}/login", forms)
    assert [r.status_code for r in responses] == [401] * 12
    assert peak == 2


def test_sign_ins_beyond_the_hashing_bound_are_told_to_retry(
    app_factory: Callable[..., Flask],
) -> None:
    """No turn free within ADMIN_PASSWORD_HASHING_WAIT: 503 with Retry-After, not an
    unbounded queue."""
    app = app_factory(ADMIN_PASSWORD_HASHING_CONCURRENCY=1, ADMIN_PASSWORD_HASHING_WAIT=0)
    forms = [{"email": f"guess{i}@example.test", "password": "wrong"} for i in range(8)]
    with served(app) as url:
        responses = post_all_at_once(f"{url}{ADMIN}/login", forms)
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) == {401, 503}, statuses
    busy = next(r for r in responses if r.status_code == 503)
    assert busy.headers["Retry-After"] == "1"
    assert "The server is busy" in busy.text


def test_a_success_clears_the_emails_count_but_not_the_networks(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any], storage: dict[str, Any]
) -> None:
    site = make_site()
    app = app_factory(
        RATELIMIT_ENABLED=True,
        ADMIN_LOGIN_LIMIT_PER_EMAIL="3/minute",
        ADMIN_LOGIN_LIMIT_PER_IP="8/minute",
        **storage,
    )
    client = browser(app)
    for _ in range(2):
        assert sign_in(client, site.owner_email, "wrong").status_code == 401
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    client.post(f"{ADMIN}/logout")
    # The owner's typos before getting in are forgotten...
    for _ in range(3):
        assert sign_in(client, site.owner_email, "wrong").status_code == 401
    # ...but every attempt counted for the network: 2 + 1 + 3, and now 2 more.
    assert sign_in(client, "other@example.test", "wrong").status_code == 401
    assert sign_in(client, "other@example.test", "wrong").status_code == 401
    assert sign_in(client, "third@example.test", "wrong").status_code == 429


# ---------------------------------------------------------------- keyed on the network


@pytest.mark.parametrize("proxied", [False, True])
def test_a_strangers_failures_elsewhere_do_not_keep_the_owner_out(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any], proxied: bool
) -> None:
    site = make_site()
    config: dict[str, Any] = {"TRUSTED_PROXIES": 1} if proxied else {}
    app = app_factory(RATELIMIT_ENABLED=True, ADMIN_LOGIN_LIMIT_PER_EMAIL="3/minute", **config)

    def client_at(address: str) -> Any:
        if not proxied:
            return from_address(app, address)
        client = from_address(app, "10.0.0.2")  # the proxy
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        return client

    stranger = client_at("198.51.100.7")
    for _ in range(3):
        assert sign_in(stranger, site.owner_email, "wrong").status_code == 401
    assert sign_in(stranger, site.owner_email, "wrong").status_code == 429
    # Their whole /24 is one network: another address in it is held too...
    neighbour = client_at("198.51.100.250")
    assert sign_in(neighbour, site.owner_email, site.password).status_code == 429
    # ...while the owner, elsewhere, signs in.
    owner = client_at("203.0.113.9")
    assert sign_in(owner, site.owner_email, site.password).status_code == 302
    assert owner.get(f"{ADMIN}/{site.slug}/reviews").status_code == 200


@pytest.mark.parametrize(
    ("first", "same_network", "other_network"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:3::1"),
        ("192.0.2.1", "192.0.2.254", "192.0.3.1"),
    ],
)
def test_the_per_address_limit_counts_per_network(
    app_factory: Callable[..., Flask],
    make_site: Callable[..., Any],
    first: str,
    same_network: str,
    other_network: str,
) -> None:
    """/64 for IPv6 (one subscriber's allocation), /24 for IPv4."""
    site = make_site()
    app = app_factory(RATELIMIT_ENABLED=True, ADMIN_LOGIN_LIMIT_PER_IP="3/minute")
    guesser = from_address(app, first)
    for i in range(3):
        assert sign_in(guesser, f"guess{i}@example.test", "wrong").status_code == 401
    rotated = from_address(app, same_network)
    assert sign_in(rotated, "guess9@example.test", "wrong").status_code == 429
    elsewhere = from_address(app, other_network)
    assert sign_in(elsewhere, site.owner_email, site.password).status_code == 302


def test_repeated_failures_back_off_with_a_growing_wait(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    """The per-email tiers are the back-off: a short wait first, then a long one; the
    Retry-After says which."""
    site = make_site()
    app = app_factory(RATELIMIT_ENABLED=True, ADMIN_LOGIN_LIMIT_PER_EMAIL="2/2 seconds;3/hour")
    client = browser(app)
    for _ in range(2):
        assert sign_in(client, site.owner_email, "wrong").status_code == 401
    short = sign_in(client, site.owner_email, "wrong")
    assert short.status_code == 429
    assert 1 <= int(short.headers["Retry-After"]) <= 3
    time.sleep(int(short.headers["Retry-After"]) + 0.1)
    assert sign_in(client, site.owner_email, "wrong").status_code == 401
    long = sign_in(client, site.owner_email, "wrong")
    assert long.status_code == 429
    assert int(long.headers["Retry-After"]) > 60


# ---------------------------------------------------------------- sessions


def session_cookie(client: Any) -> str:
    cookie = client.get_cookie("session", path=ADMIN)
    assert cookie is not None
    return str(cookie.value)


def with_cookie(app: Flask, value: str) -> Any:
    client = browser(app)
    client.set_cookie("session", value, path=ADMIN)
    return client


def test_a_cookie_copied_before_sign_out_is_refused_after_it(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    client = signed_in(site)
    copy = with_cookie(app, session_cookie(client))
    assert copy.get(f"{ADMIN}/{site.slug}/reviews").status_code == 200
    assert client.post(f"{ADMIN}/logout").status_code == 302
    response = copy.get(f"{ADMIN}/{site.slug}/reviews")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{ADMIN}/login")
    # Signing in again starts a session that works.
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    assert client.get(f"{ADMIN}/{site.slug}/reviews").status_code == 200


def test_a_password_change_signs_out_every_other_session(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    here, elsewhere = signed_in(site), signed_in(site)
    before = with_cookie(app, session_cookie(here))  # this session's cookie, copied
    new = "a new password, long enough"
    response = here.post(
        f"{ADMIN}/account/password",
        data={"current_password": site.password, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    assert here.get(f"{ADMIN}/{site.slug}/reviews").status_code == 200
    assert elsewhere.get(f"{ADMIN}/{site.slug}/reviews").status_code == 302
    assert before.get(f"{ADMIN}/{site.slug}/reviews").status_code == 302
    assert sign_in(browser(app), site.owner_email, new).status_code == 302


def test_the_current_password_check_is_rate_limited(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    site = make_site()
    app = app_factory(RATELIMIT_ENABLED=True, ADMIN_PASSWORD_CHECK_LIMIT="3/minute")
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    new = "a new password, long enough"
    form = {"current_password": "a guess", "new_password": new, "confirm_password": new}
    for _ in range(3):
        response = client.post(f"{ADMIN}/account/password", data=form)
        assert response.status_code == 422
    right = {**form, "current_password": site.password}
    refused = client.post(f"{ADMIN}/account/password", data=right)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert sign_in(browser(app), site.owner_email, site.password).status_code == 302


def test_the_session_cookie_expires_when_idle(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    """A session in use goes on; its cookie, copied and left unused longer than
    ADMIN_SESSION_IDLE_TIMEOUT, is refused although its owner never signed out."""
    site = make_site()
    app = app_factory(ADMIN_SESSION_IDLE_TIMEOUT=3)  # signatures carry whole seconds
    client = browser(app)
    response = sign_in(client, site.owner_email, site.password)
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
    expires = re.search(r"Expires=([^;]+)", cookie)
    assert expires is not None  # not a 31-day cookie, nor Flask's 31-day signature
    assert parsedate_to_datetime(expires.group(1)).timestamp() - time.time() <= 4
    copy = with_cookie(app, session_cookie(client))
    for _ in range(2):
        time.sleep(1.5)
        assert client.get(f"{ADMIN}/{site.slug}/reviews").status_code == 200
    time.sleep(1.6)
    assert copy.get(f"{ADMIN}/{site.slug}/reviews").status_code == 302
    assert client.get(f"{ADMIN}/{site.slug}/reviews").status_code == 200


def test_a_session_ends_at_its_maximum_age_even_in_use(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    site = make_site()
    app = app_factory(ADMIN_SESSION_MAX_AGE=3)  # sign-in times are whole seconds
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    time.sleep(1)
    assert client.get(f"{ADMIN}/{site.slug}/reviews").status_code == 200
    time.sleep(2.2)
    assert client.get(f"{ADMIN}/{site.slug}/reviews").status_code == 302


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
