"""Operations: liveness, readiness, a lost database, and unexpected errors.

A lost database and a crashing view must both answer problem details under ``/api/``
(503 with ``Retry-After``, 500 with the request id), never a stack trace.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from plaudit_server import create_app
from plaudit_server.extensions import db

PROBLEM = "application/problem+json"
SHARED_REDIS_DB15 = "redis://127.0.0.1:6379/15"


def free_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_no_stack_trace(text: str) -> None:
    for leak in ("Traceback", 'File "', "psycopg", "sqlalchemy", "<html", "<!doctype"):
        assert leak.lower() not in text.lower(), f"{leak!r} leaked into {text!r}"


# ---------------------------------------------------------------- liveness and readiness


def test_healthz_answers_200(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_without_redis_reports_it_absent(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "absent"}


def test_readyz_with_redis_from_the_environment(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", SHARED_REDIS_DB15)
    app = app_factory()
    assert app.config["REDIS_URL"] == SHARED_REDIS_DB15
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok"}


def test_readyz_with_redis_down_is_still_ready(app_factory: Callable[..., Flask]) -> None:
    """Redis is optional: reported as down, but the service stays ready (200)."""
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "down"}


# ---------------------------------------------------------------- the database is down


def _unreachable_database(backend: str, tmp_path: Path) -> str:
    if backend == "postgresql":
        return "postgresql://root@127.0.0.1:1/plaudit"  # nothing listens on port 1
    # A file in a directory that does not exist: SQLite can't open it.
    return f"sqlite:///{tmp_path / 'missing-dir' / 'plaudit.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def down_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app whose database can't be reached at all."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": False,
            "DATABASE_URL": _unreachable_database(request.param, tmp_path),
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_healthz_still_answers_when_the_database_is_down(down_app: Flask) -> None:
    assert down_app.test_client().get("/healthz").status_code == 200


def test_readyz_is_503_when_the_database_is_down(down_app: Flask) -> None:
    response = down_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "down", "redis": "absent"}
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("method", "path", "body", "authorised"),
    [
        ("GET", "/api/v1/sites/acme-shop/products/sku-1/reviews", None, False),
        ("GET", "/api/v1/sites/acme-shop/summaries?products=a,b", None, False),
        ("GET", "/api/v1/sites/acme-shop/products/sku-1/comments", None, False),
        (
            "POST",
            "/api/v1/sites/acme-shop/products/sku-1/reviews",
            {"rating": 5, "body": "Nice", "author_name": "Ada"},
            False,
        ),
        ("POST", "/api/v1/sites/acme-shop/reviews/rev_x/votes", {"helpful": True}, False),
        ("GET", "/api/v1/admin/reviews", None, True),
        ("PATCH", "/api/v1/admin/site", {"moderation": "pre"}, True),
    ],
)
def test_api_answers_a_503_problem_when_the_database_is_down(
    down_app: Flask, method: str, path: str, body: dict[str, Any] | None, authorised: bool
) -> None:
    headers = {"Authorization": "Bearer sk_live_" + "x" * 43} if authorised else {}
    response = down_app.test_client().open(path, method=method, json=body, headers=headers)
    assert response.status_code == 503
    assert response.mimetype == PROBLEM
    assert int(response.headers["Retry-After"]) > 0
    problem = response.get_json()
    assert problem["status"] == 503
    assert problem["request_id"] == response.headers["X-Request-Id"]
    assert problem["type"].endswith("service-unavailable")
    assert_no_stack_trace(response.get_data(as_text=True))
    assert "127.0.0.1:1" not in response.get_data(as_text=True)


def test_idempotent_write_is_503_when_the_database_is_down(down_app: Flask) -> None:
    response = down_app.test_client().post(
        "/api/v1/sites/acme-shop/products/sku-1/reviews",
        json={"rating": 4, "body": "Fine", "author_name": "Bo"},
        headers={"Idempotency-Key": "key-during-outage"},
    )
    assert response.status_code == 503
    assert response.mimetype == PROBLEM
    assert "Retry-After" in response.headers


# ---------------------------------------------------------------- unexpected exceptions


class Boom(RuntimeError):
    pass


SECRET_DETAIL = "internal detail: password=hunter2"


@pytest.fixture
def crashing_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app with test-only routes that raise, under /api/ and outside it."""
    # PROPAGATE_EXCEPTIONS: TESTING would otherwise re-raise into the test client.
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    def boom() -> Any:
        raise Boom(SECRET_DETAIL)

    app.add_url_rule("/api/v1/test-only/boom", "test_only_boom", boom, methods=["GET", "POST"])
    return app


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unexpected_exception_is_a_500_problem_with_the_request_id(
    crashing_app: Flask, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    caplog.set_level(logging.ERROR)
    response = crashing_app.test_client().open(
        "/api/v1/test-only/boom", method=method, json={} if method == "POST" else None
    )
    assert response.status_code == 500
    assert response.mimetype == PROBLEM
    problem = response.get_json()
    request_id = response.headers["X-Request-Id"]
    assert request_id.startswith("req_")
    assert problem["request_id"] == request_id
    assert problem["status"] == 500
    assert problem["type"].endswith("internal-error")
    text = response.get_data(as_text=True)
    assert_no_stack_trace(text)
    assert "hunter2" not in text and "Boom" not in text
    # Logged server-side, with the request id and the real exception.
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged, [r.getMessage() for r in caplog.records]
    record = logged[0]
    assert record.levelno >= logging.ERROR
    assert record.exc_info is not None and isinstance(record.exc_info[1], Boom)


def test_500_carries_the_callers_request_id(
    crashing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    response = crashing_app.test_client().get(
        "/api/v1/test-only/boom", headers={"X-Request-Id": "lb-trace-0123456789"}
    )
    assert response.status_code == 500
    assert response.get_json()["request_id"] == "lb-trace-0123456789"
    assert response.headers["X-Request-Id"] == "lb-trace-0123456789"
    assert any("lb-trace-0123456789" in r.getMessage() for r in caplog.records)


def test_malformed_request_id_is_replaced(client: Any) -> None:
    """An incoming X-Request-Id is echoed only when it is a sane token (no log injection)."""
    response = client.get("/healthz", headers={"X-Request-Id": "bad id <script>%0d%0a"})
    assert response.headers["X-Request-Id"].startswith("req_")
