"""Engine set-up (db.py): connections are checked without a round trip per request, and
public reads on PostgreSQL run without BEGIN/ROLLBACK. Against the real servers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plaudit_server import create_app
from plaudit_server import db as db_setup
from plaudit_server.extensions import db


@pytest.fixture
def pg_app(empty_postgres_url: str, base_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app({**base_config, "DATABASE_URL": empty_postgres_url})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_site_on() -> Callable[[Flask], str]:
    """A site on an app other than the ``app`` fixture's (``make_site`` is bound to it)."""
    from plaudit_server.models import Moderation
    from plaudit_server.services import sites

    def make(app: Flask) -> str:
        with app.app_context():
            sites.create_site(
                db.session,
                "db-shop",
                origins=["http://shop.test"],
                owner_email="owner@db-shop.test",
                password="correct horse battery",
                moderation=Moderation.POST,
            )
            db.session.commit()
        return "db-shop"

    return make


def _terminate_app_connections(app: Flask) -> None:
    """End every server session of the app's database but ours, as a restart or an
    administrator's pg_terminate_backend would, and wait until they are gone."""
    with app.app_context():
        url = db.engine.url
    admin = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with admin.connect() as connection:
        ended = connection.exec_driver_sql(f"SELECT pg_terminate_backend(pid) {others}").all()
        assert ended, "the app had no open connection to end"
        deadline = time.monotonic() + 10
        while connection.exec_driver_sql(f"SELECT count(*) {others}").scalar():
            assert time.monotonic() < deadline
            time.sleep(0.02)
    admin.dispose()


def _read(app: Flask, slug: str) -> Any:
    return app.test_client().get(f"/api/v1/sites/{slug}/products/sku-1/reviews")


def test_a_connection_the_server_ended_is_replaced_unseen(
    pg_app: Flask, make_site_on: Callable[[Flask], str]
) -> None:
    slug = make_site_on(pg_app)
    assert _read(pg_app, slug).status_code == 200  # a connection now waits in the pool
    _terminate_app_connections(pg_app)
    for _ in range(3):
        response = _read(pg_app, slug)
        assert response.status_code == 200, response.get_json()


def test_an_idle_connection_is_pinged_before_use(
    pg_app: Flask, make_site_on: Callable[[Flask], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead connection the kernel knows nothing about (a silent network drop) is
    caught by the ping a long-idle connection gets."""
    slug = make_site_on(pg_app)
    assert _read(pg_app, slug).status_code == 200
    _terminate_app_connections(pg_app)
    monkeypatch.setattr(db_setup, "_ended_by_peer", lambda connection: False)
    monkeypatch.setattr(db_setup, "IDLE_PING_AFTER", 0.0)
    response = _read(pg_app, slug)
    assert response.status_code == 200, response.get_json()


def test_without_the_checks_the_dead_connection_would_fail_the_request(
    pg_app: Flask, make_site_on: Callable[[Flask], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two tests above would pass without any check if the pool healed itself."""
    slug = make_site_on(pg_app)
    assert _read(pg_app, slug).status_code == 200
    _terminate_app_connections(pg_app)
    monkeypatch.setattr(db_setup, "_ended_by_peer", lambda connection: False)
    response = _read(pg_app, slug)
    assert response.status_code == 503
    assert _read(pg_app, slug).status_code == 200  # and the pool recovers at once


def test_public_reads_run_in_autocommit_on_postgresql_only(
    app: Flask, backend: str, make_site: Any
) -> None:
    """No BEGIN/ROLLBACK round trips for public reads on PostgreSQL; SQLite keeps its
    read transaction (its consistent snapshot). Writes are transactions everywhere."""
    make_site(slug="tx-shop")
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, bool]] = []

    def record(conn: sa.Connection, cursor: Any, statement: str, *args: Any) -> None:
        dbapi = conn.connection.dbapi_connection
        autocommit = dbapi.autocommit if backend == "postgresql" else not dbapi.in_transaction
        seen.append((statement.split()[0].upper(), bool(autocommit)))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        client = app.test_client()
        url = "/api/v1/sites/tx-shop/products/sku-1/reviews"
        assert client.get(url).status_code == 200
        reads = list(seen)
        seen.clear()
        body = {"rating": 4, "body": "Solid kettle.", "author_name": "Ada"}
        assert client.post(url, json=body).status_code == 201
        writes = list(seen)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    selects = [autocommit for kind, autocommit in reads if kind == "SELECT"]
    assert selects
    if backend == "postgresql":
        assert all(selects), reads
        assert [kind for kind, _ in reads if kind != "SELECT"] == []
    else:
        # db.py emits SQLite's BEGIN itself: every read runs inside that transaction.
        assert not any(selects), reads
    assert any(kind == "INSERT" for kind, _ in writes)
    assert not any(autocommit for kind, autocommit in writes if kind == "INSERT"), writes


def test_a_relative_sqlite_path_lives_in_the_instance_folder(tmp_path: Any) -> None:
    """As with flask-sqlalchemy-lite before: ``sqlite:///plaudit.sqlite3`` (the default)
    is a file in the app's instance folder, wherever the process was started."""
    from plaudit_server.db import Database, _in_instance_folder

    instance = tmp_path / "instance"
    app = Flask("plaudit_server", instance_path=str(instance))
    app.config["SQLALCHEMY_ENGINES"] = {"default": {"url": "sqlite:///plaudit.sqlite3"}}
    database = Database()
    database.init_app(app)
    with app.app_context():
        assert database.engine.url.database == str(instance / "plaudit.sqlite3")
        database.session.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        database.session.commit()
    assert (instance / "plaudit.sqlite3").is_file()
    uri = _in_instance_folder(app, sa.make_url("sqlite:///file:plaudit.sqlite3?uri=true"))
    assert uri.database == f"file:{instance / 'plaudit.sqlite3'}"
    absolute = _in_instance_folder(app, sa.make_url(f"sqlite:///{tmp_path}/x.sqlite3"))
    assert absolute.database == f"{tmp_path}/x.sqlite3"
    with app.app_context():
        database.engine.dispose()


def test_an_in_memory_sqlite_database_is_one_database_for_every_session(
    base_config: dict[str, Any],
) -> None:
    app = create_app({**base_config, "DATABASE_URL": "sqlite://"})
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (42)")
    # Another context, another session, and (on another thread) the same database.
    seen: list[int] = []

    def read() -> None:
        with app.app_context():
            seen.append(db.session.execute(sa.text("SELECT x FROM t")).scalar_one())

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen == [42]


def test_each_app_context_has_its_own_session_closed_at_its_end(app: Flask) -> None:
    with app.app_context():
        first = db.session
        assert db.session is first  # one per context
        first.execute(sa.text("SELECT 1"))
        assert first.in_transaction()
    assert not first.in_transaction()  # closed (its connection back in the pool)
    with app.app_context():
        assert db.session is not first
