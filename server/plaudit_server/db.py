"""Engine set-up: SQLite as a correct embedded default, PostgreSQL without wasted round trips.

SQLite allows one writer at a time. With Python's default (deferred) transactions, two
requests that read and then write can both hold a read lock and then fail to upgrade it,
which surfaces as "database is locked" however long the busy timeout. Write requests
therefore start with ``BEGIN IMMEDIATE`` (take the write lock first, wait in line for
it), reads with a plain ``BEGIN``; WAL lets those reads run beside the one writer.

On PostgreSQL a cache-miss read is a few milliseconds, and every round trip counts
(the benchmark, README). SQLAlchemy's ``pool_pre_ping`` spends one per request on a
``SELECT 1``; instead a connection is checked when it leaves the pool by asking the
kernel whether its socket has anything to read (a server that ended the session, by
restart or ``pg_terminate_backend``, has sent its goodbye and closed it), and is pinged
only after sitting idle long enough for a silent network drop to have happened. Public
reads run in autocommit (:func:`read_without_transaction`), which saves ``BEGIN`` and
``ROLLBACK``.
"""

from __future__ import annotations

import os
import select
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session, sessionmaker

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
IDLE_PING_AFTER = 30.0  # seconds in the pool after which a connection is pinged


def _writing() -> bool:
    return not has_request_context() or request.method not in _READ_METHODS


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def configure_engine(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        _check_on_checkout(engine)
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


def _check_on_checkout(engine: sa.Engine) -> None:
    """Hand out only live connections (see the module docstring); a dead one raises
    DisconnectionError, on which the pool quietly opens a new connection instead."""

    @sa.event.listens_for(engine, "connect")
    @sa.event.listens_for(engine, "checkin")
    def _idle_from_now(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle = time.monotonic() - record.info.get("idle_since", 0.0)
        if _ended_by_peer(dbapi_connection) or (
            idle > IDLE_PING_AFTER and not _answers(engine, dbapi_connection)
        ):
            raise sa.exc.DisconnectionError("the database closed this connection")


def _ended_by_peer(dbapi_connection: Any) -> bool:
    """Between requests nothing is due from the server: a readable socket means it
    sent an error and EOF (session terminated). Costs one poll(2), no round trip."""
    if getattr(dbapi_connection, "closed", False):
        return True
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return False  # a driver without a socket to look at: the idle ping decides
    try:
        poller = select.poll()
        poller.register(fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return True


def _answers(engine: sa.Engine, dbapi_connection: Any) -> bool:
    try:
        return bool(engine.dialect.do_ping(dbapi_connection))
    except Exception:  # any failure of the ping means "dead"
        return False


def read_without_transaction(session: Session) -> None:
    """Run this request's reads in autocommit, before the session has done anything.

    On PostgreSQL (READ COMMITTED) every statement sees its own snapshot, inside a
    transaction or not, so a transaction around a read-only request buys nothing and
    costs a ``BEGIN`` and a ``ROLLBACK`` round trip. SQLite keeps its transaction: there
    it is what gives a request one consistent snapshot.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


class Database:
    """The app's engine (``SQLALCHEMY_ENGINES["default"]``) and a session per app
    context, closed when the context ends: the part of flask-sqlalchemy-lite Plaudit
    used. That extension also loads async SQLAlchemy, greenlet and unittest.mock in
    every worker (2.4 MB of RSS against an 80 MB budget, benchmark in the README) and
    closes sessions in an async teardown that costs a thread per request.
    """

    def __init__(self, session_options: dict[str, Any] | None = None) -> None:
        self.session_options = session_options or {}

    def init_app(self, app: Flask) -> None:
        options = dict(app.config["SQLALCHEMY_ENGINES"]["default"])
        url = _in_instance_folder(app, sa.make_url(options.pop("url")))
        if url.get_backend_name() == "sqlite" and url.database in {None, "", ":memory:"}:
            # One connection for everyone, or each would see its own empty database.
            options.setdefault("poolclass", sa.pool.StaticPool)
            options.setdefault("connect_args", {"check_same_thread": False})
        # Error messages and logs show the statement, never its values (e-mail
        # addresses, review text): they reach log files that many people can read.
        options.setdefault("hide_parameters", True)
        engine = sa.create_engine(url, **options)
        configure_engine(engine)
        app.extensions["plaudit_db"] = (engine, sessionmaker(engine, **self.session_options))
        app.teardown_appcontext(_close_session)

    @property
    def engine(self) -> sa.Engine:
        return current_app.extensions["plaudit_db"][0]  # type: ignore[no-any-return]

    @property
    def session(self) -> Session:
        """This app context's session (made on first use)."""
        session = g.get(_SESSION)
        if session is None:
            session = current_app.extensions["plaudit_db"][1]()
            setattr(g, _SESSION, session)
        return session  # type: ignore[no-any-return]


_SESSION = "_plaudit_session"


def _close_session(exc: BaseException | None) -> None:
    session = g.pop(_SESSION, None)
    if session is not None:
        session.close()


def _in_instance_folder(app: Flask, url: sa.URL) -> sa.URL:
    """A relative SQLite path lives in the app's instance folder (created if needed)."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in {"", ":memory:"}:
        return url
    is_uri = bool(url.query.get("uri"))
    path = database[5:] if is_uri else database
    if os.path.isabs(path):
        return url
    os.makedirs(app.instance_path, exist_ok=True)
    path = os.path.join(app.instance_path, path)
    return url.set(database=f"file:{path}" if is_uri else path)
