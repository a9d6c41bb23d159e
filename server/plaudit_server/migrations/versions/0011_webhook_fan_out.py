"""Webhook fan-out by the deliverer: a site's wanted event types on its row
(``sites.webhook_events``), and when each event got its deliveries
(``webhook_events.dispatched_at``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:21:43.637455
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "webhook_events",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                server_default=sa.text("'[]'"),
                nullable=False,
            )
        )

    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_webhook_events_undispatched",
            ["created_at"],
            unique=False,
            postgresql_where=sa.text("dispatched_at IS NULL"),
            sqlite_where=sa.text("dispatched_at IS NULL"),
        )

    # Events written before this revision got their deliveries when they were written.
    op.execute("UPDATE webhook_events SET dispatched_at = created_at")
    # Each site's wanted event types, from its enabled webhooks.
    bind = op.get_bind()
    wanted: dict[str, set[str]] = defaultdict(set)
    for site_id, events in bind.execute(
        sa.text("SELECT site_id, events FROM webhooks WHERE enabled")
    ):
        wanted[site_id].update(json.loads(events) if isinstance(events, str) else events)
    for site_id, types in wanted.items():
        value = ["*"] if "*" in types else sorted(types)
        bind.execute(
            sa.text("UPDATE sites SET webhook_events = :value WHERE id = :id"),
            {"value": json.dumps(value), "id": site_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_webhook_events_undispatched",
            postgresql_where=sa.text("dispatched_at IS NULL"),
            sqlite_where=sa.text("dispatched_at IS NULL"),
        )
        batch_op.drop_column("dispatched_at")

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("webhook_events")
