"""Alembic environment: runs inside the Flask app context, on the app's engine."""

from __future__ import annotations

from alembic import context

from plaudit_server.extensions import db
from plaudit_server.models import Base


def run_migrations_online() -> None:
    engine = db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            compare_type=True,
            # SQLite can't ALTER most things; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations_online()
