"""Every error class, each produced by a real HTTP response (or a real failed connection)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import plaudit
from plaudit import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PlauditError,
    RateLimitError,
    ServerError,
    ValidationError,
)

from .helpers import Action, answer, free_port


def _assert_from_server(error: APIStatusError, status: int) -> None:
    """The error carries the problem details and the server's request id."""
    assert error.status_code == status
    assert isinstance(error.body, dict)
    assert error.body["status"] == status
    assert error.request_id
    assert error.request_id == error.response.headers["X-Request-Id"]
    assert error.body["request_id"] == error.request_id
    assert error.request_id in str(error)
    assert error.detail


@pytest.mark.parametrize(
    "cls",
    [
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        ValidationError,
        RateLimitError,
        ServerError,
    ],
)
def test_hierarchy(cls):
    assert issubclass(cls, APIStatusError)
    assert issubclass(cls, PlauditError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, PlauditError)


def test_bad_key_is_authentication_error(live_server):
    client = plaudit.Plaudit(api_key="sk_live_nope", base_url=live_server.url)
    with client, pytest.raises(AuthenticationError) as caught:
        client.reviews.list()
    _assert_from_server(caught.value, 401)


def test_foreign_origin_is_permission_denied(sdk, site):
    with pytest.raises(PermissionDeniedError) as caught:
        sdk.request(
            "POST",
            f"sites/{site.slug}/products/sku-1/reviews",
            json={"rating": 5, "body": "Hi", "author_name": "Eve"},
            headers={"Origin": "http://evil.test"},
        )
    _assert_from_server(caught.value, 403)


def test_unknown_id_is_not_found(sdk):
    with pytest.raises(NotFoundError) as caught:
        sdk.reviews.get("rev_doesnotexist")
    _assert_from_server(caught.value, 404)


def test_invalid_input_is_validation_error_with_field_errors(sdk):
    with pytest.raises(ValidationError) as caught:
        sdk.reviews.list(status="maybe")
    _assert_from_server(caught.value, 422)
    assert "status" in caught.value.errors
    assert "status" in str(caught.value)

    with pytest.raises(ValidationError) as caught:
        sdk.reviews.moderate(["x" * 65], "published")
    assert "ids.0" in caught.value.errors  # list items are named by dotted path

    with pytest.raises(ValidationError) as caught:
        sdk.reviews.update("rev_x", reply="x" * 5001)
    assert "reply" in caught.value.errors


def test_key_in_use_is_conflict(sdk, app, site, post):
    """A request whose Idempotency-Key another request is still running with gets 409."""
    _hold_idempotency_key(
        app, site, "held-key", "/api/v1/admin/comments", {"product": "sku-1", "body": "Hello"}
    )
    with pytest.raises(ConflictError) as caught:
        sdk.comments.create(product="sku-1", body="Hello", idempotency_key="held-key")
    _assert_from_server(caught.value, 409)


def test_rate_limited_is_rate_limit_error_with_retry_after(proxied, proxy):
    proxy.script(answer(429, retry_after="120"))  # longer than the SDK waits by itself
    with pytest.raises(RateLimitError) as caught:
        proxied.site.get()
    assert caught.value.retry_after == 120
    assert caught.value.status_code == 429
    assert caught.value.request_id == "req_proxy429"
    assert len(proxy.seen) == 1


def test_server_failure_is_server_error(proxied, proxy):
    proxy.script(answer(500))
    with pytest.raises(ServerError) as caught:
        proxied.site.get()
    assert caught.value.status_code == 500
    assert caught.value.body is not None and caught.value.body["detail"] == "The proxy says 500."
    assert len(proxy.seen) == 1  # a 500 is not retried


def test_html_error_page_still_maps_by_status(proxied, proxy):
    proxy.script(
        Action(
            "answer",
            status=502,
            headers={"Content-Type": "text/html"},
            body=b"<h1>Bad gateway</h1>",
        )
    )
    with pytest.raises(ServerError) as caught:
        proxied.with_options(max_retries=0).site.get()
    assert caught.value.body is None
    assert "Bad gateway" in str(caught.value)


def test_database_down_is_a_server_error_from_the_real_server(app, live_server, site, backend):
    """The server's database goes away: the real server answers 503 with Retry-After."""
    from plaudit_server.extensions import db

    url = app.config["DATABASE_URL"]
    with app.app_context():
        db.engine.dispose()
    restore = _take_sqlite_away(url) if backend == "sqlite" else _take_postgres_away(url)
    try:
        client = plaudit.Plaudit(api_key=site.api_key, base_url=live_server.url, max_retries=0)
        with client, pytest.raises(ServerError) as caught:
            client.reviews.list()
    finally:
        with app.app_context():
            db.engine.dispose()
        restore()
    _assert_from_server(caught.value, 503)
    assert caught.value.retry_after == float(caught.value.response.headers["Retry-After"]) > 0


def _take_sqlite_away(url: str):
    path = Path(url.removeprefix("sqlite:///"))
    os.rename(path, path.with_suffix(".away"))
    return lambda: os.replace(path.with_suffix(".away"), path)


def _take_postgres_away(url: str):
    """Refuse new connections to the test database and end the open ones."""
    import sqlalchemy as sa

    name = sa.make_url(url).database
    admin = sa.create_engine(
        sa.make_url(url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )

    def allow(allowed: bool) -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'
            )
            if not allowed:
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name"
                    ),
                    {"name": name},
                )

    allow(False)

    def restore() -> None:
        allow(True)
        admin.dispose()

    return restore


def test_nothing_listening_is_connection_error(site):
    with (
        plaudit.Plaudit(
            api_key=site.api_key, base_url=f"http://127.0.0.1:{free_port()}", max_retries=0
        ) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.site.get()
    assert caught.value.status_code is None
    assert caught.value.body is None
    assert not isinstance(caught.value, APITimeoutError)


def test_slow_server_is_timeout_error(proxy, site):
    proxy.script(Action("delay", seconds=1.0))
    with (
        plaudit.Plaudit(
            api_key=site.api_key, base_url=proxy.url, timeout=0.2, max_retries=0
        ) as client,
        pytest.raises(APITimeoutError),
    ):
        client.site.get()


def test_not_json_says_base_url_may_be_wrong(proxy, site):
    proxy.script(
        Action(
            "answer", status=200, headers={"Content-Type": "text/html"}, body=b"<html>a shop</html>"
        )
    )
    client = plaudit.Plaudit(api_key=site.api_key, base_url=proxy.url)
    with client, pytest.raises(PlauditError, match="base_url"):
        client.site.get()


def _hold_idempotency_key(app, site, key, path, body, *, release_after=None, release_when=None):
    """Record ``key`` as taken by a request still running, as the server does while it
    serves the first request with that key. With ``release_after`` (seconds) or
    ``release_when`` (a condition, polled), free it later, as the server does when that
    first request fails."""
    from plaudit_server.extensions import db
    from plaudit_server.idempotency import _request_hash
    from plaudit_server.models import IdempotencyRecord

    with app.test_request_context(path, method="POST", json=body):
        digest = _request_hash()
    scope = f"admin:{site.id}"
    with app.app_context():
        db.session.add(IdempotencyRecord(scope=scope, key=key, request_hash=digest))
        db.session.commit()

    def release():
        with app.app_context():
            record = db.session.get(IdempotencyRecord, (scope, key))
            db.session.delete(record)
            db.session.commit()

    if release_after is not None:
        timer = threading.Timer(release_after, release)
        timer.start()
        return timer
    if release_when is not None:

        def release_once_true():
            deadline = time.monotonic() + 30
            while not release_when() and time.monotonic() < deadline:
                time.sleep(0.01)
            release()

        thread = threading.Thread(target=release_once_true, daemon=True)
        thread.start()
        return thread
    return None
