"""Migrations: ``plaudit db upgrade`` builds the schema, and models and migrations agree.

Each test gets an empty database of its own (a new SQLite file, or a new database on
the PostgreSQL server), not the shared migrated one of conftest.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from plaudit_server import create_app
from plaudit_server.cli import alembic_config
from plaudit_server.config import normalise_database_url
from plaudit_server.extensions import db
from plaudit_server.models import Base

ADMIN_PG_URL = normalise_database_url(
    os.environ.get("PLAUDIT_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test")
)
BACKENDS = [
    b for b in os.environ.get("PLAUDIT_TEST_DATABASES", "sqlite,postgresql").split(",") if b
]


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    admin = sa.create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    name = f"plaudit_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(ADMIN_PG_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def empty_app(empty_url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": False,
            "DATABASE_URL": empty_url,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def table_names(app: Flask) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def differences(app: Flask) -> list[Any]:
    """What autogenerate would put in a new migration: nothing, if models and DB agree."""
    with app.app_context(), db.engine.connect() as connection, warnings.catch_warnings():
        # The search indexes are PostgreSQL's alone (ddl_if); alembic says it cannot
        # compare expression indexes on SQLite, where they do not exist.
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, Base.metadata)


def current_revision(app: Flask) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()  # type: ignore[arg-type]
    assert head is not None
    return head


def upgrade(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_db_upgrade_creates_the_schema(empty_app: Flask) -> None:
    assert table_names(empty_app) == set()
    upgrade(empty_app)
    model_tables = set(Base.metadata.tables)
    assert table_names(empty_app) == model_tables | {"alembic_version"}
    assert current_revision(empty_app) == head_revision()


def test_models_and_migrations_agree(empty_app: Flask) -> None:
    upgrade(empty_app)
    assert differences(empty_app) == []


def test_comparison_is_not_vacuous(empty_app: Flask) -> None:
    """compare_metadata does see a difference when the database lacks something."""
    upgrade(empty_app)
    with empty_app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_comments_parent_id")
    diffs = differences(empty_app)
    assert [d[0] for d in diffs] == ["add_index"]


def test_downgrade_to_base_then_upgrade_again(empty_app: Flask) -> None:
    upgrade(empty_app)
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert table_names(empty_app) <= {"alembic_version"}
    assert current_revision(empty_app) is None

    upgrade(empty_app)
    assert table_names(empty_app) == set(Base.metadata.tables) | {"alembic_version"}
    assert differences(empty_app) == []


def test_upgraded_schema_serves_the_api(empty_app: Flask) -> None:
    """A freshly upgraded database is usable end to end (sites create, then the API)."""
    upgrade(empty_app)
    result = empty_app.test_cli_runner().invoke(
        args=[
            "sites",
            "create",
            "fresh-shop",
            "--origin",
            "https://fresh.example",
            "--owner-email",
            "o@fresh.example",
        ]
    )
    assert result.exit_code == 0, result.output
    client = empty_app.test_client()
    posted = client.post(
        "/api/v1/sites/fresh-shop/products/sku-1/reviews",
        json={"rating": 4, "body": "Works", "author_name": "Ada"},
    )
    assert posted.status_code == 201
    summary = client.get("/api/v1/sites/fresh-shop/products/sku-1/reviews").get_json()["summary"]
    assert summary["count"] == 1 and summary["average"] == 4.0
