"""Imported items remember where they came from: ``source`` and ``source_id``.

``plaudit import`` stores the tool an item came from and its id there, unique per site,
so importing the same file again adds nothing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:30:11.459023
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_comments_site_id_source_source_id"), ["site_id", "source", "source_id"]
        )

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_reviews_site_id_source_source_id"), ["site_id", "source", "source_id"]
        )


def downgrade() -> None:

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_reviews_site_id_source_source_id"), type_="unique")
        batch_op.drop_column("source_id")
        batch_op.drop_column("source")

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_comments_site_id_source_source_id"), type_="unique")
        batch_op.drop_column("source_id")
        batch_op.drop_column("source")
