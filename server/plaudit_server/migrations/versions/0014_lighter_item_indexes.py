"""Lighter indexes on reviews and comments: fewer entries per written row.

Every review or comment written pays for each index of its table (for a bulk import,
a PostgreSQL backend's CPU per row is mostly that upkeep: bench/README.md, issue #17).
Three of them held entries nothing reads:

- ``(site_id, visitor_hash, body_hash)``: no query has used it since duplicate texts are
  counted per network (``services/spam.py`` reads ``network_hash``): dropped.
- ``(site_id, network_hash, body_hash)``: the duplicate check asks for one network;
  items without one (imported, written by the shop) are now left out of it (partial
  index, ``network_hash IS NOT NULL``, which ``network_hash = ?`` implies).
- the one review per product per invitation (unique ``invitation_id, product_id``):
  only reviews that answer an invitation are in it now (a partial unique index; NULLs
  never conflicted anyway, so what it allows is unchanged).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("reviews", "comments")
INVITATION_UNIQUE = "uq_reviews_invitation_id_product_id"


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_site_id_visitor_hash_body_hash", table_name=table)
        op.drop_index(f"ix_{table}_site_id_network_hash_body_hash", table_name=table)
        op.create_index(
            f"ix_{table}_site_id_network_hash_body_hash",
            table,
            ["site_id", "network_hash", "body_hash"],
            postgresql_where=sa.text("network_hash IS NOT NULL"),
            sqlite_where=sa.text("network_hash IS NOT NULL"),
        )
    # SQLite changes a table's constraints by copying the table (batch mode).
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.drop_constraint(INVITATION_UNIQUE, type_="unique")
    op.create_index(
        INVITATION_UNIQUE,
        "reviews",
        ["invitation_id", "product_id"],
        unique=True,
        postgresql_where=sa.text("invitation_id IS NOT NULL"),
        sqlite_where=sa.text("invitation_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(INVITATION_UNIQUE, table_name="reviews")
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.create_unique_constraint(INVITATION_UNIQUE, ["invitation_id", "product_id"])
    for table in TABLES:
        op.drop_index(f"ix_{table}_site_id_network_hash_body_hash", table_name=table)
        op.create_index(
            f"ix_{table}_site_id_network_hash_body_hash",
            table,
            ["site_id", "network_hash", "body_hash"],
        )
        op.create_index(
            f"ix_{table}_site_id_visitor_hash_body_hash",
            table,
            ["site_id", "visitor_hash", "body_hash"],
        )
