"""Reviews and comments keep their submitter's network (keyed hash).

The duplicate-text spam check compared the visitor hash (IP and User-Agent), which a
spammer defeats by changing the User-Agent; it now compares the network (/24, /56).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("reviews", "comments")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("network_hash", sa.String(length=64), nullable=True))
            batch_op.create_index(
                batch_op.f(f"ix_{table}_site_id_network_hash_body_hash"),
                ["site_id", "network_hash", "body_hash"],
                unique=False,
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_site_id_network_hash_body_hash"))
            batch_op.drop_column("network_hash")
