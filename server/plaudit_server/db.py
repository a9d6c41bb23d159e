"""Engine set-up that makes SQLite a correct embedded default.

SQLite allows one writer at a time. With Python's default (deferred) transactions, two
requests that read and then write can both hold a read lock and then fail to upgrade it,
which surfaces as "database is locked" however long the busy timeout. Write requests
therefore start with ``BEGIN IMMEDIATE`` (take the write lock first, wait in line for
it), reads with a plain ``BEGIN``; WAL lets those reads run beside the one writer.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, has_request_context, request

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def _writing() -> bool:
    return not has_request_context() or request.method not in _READ_METHODS


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def configure_engine(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Take transaction control away from the sqlite3 module (see module docstring).
        dbapi_connection.isolation_level = None
        # SQLite's lower() folds ASCII only, so ilike ("lower(x) LIKE lower(y)") would
        # miss "Über" for "über"; PostgreSQL folds all of Unicode. Use Python's.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing() else "BEGIN")


def init_app(app: Flask) -> None:
    from .extensions import db

    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)
