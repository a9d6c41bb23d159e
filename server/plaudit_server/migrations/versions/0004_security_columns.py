"""Security columns: an owner's session version, a vote's visitor network.

``owners.session_version`` is part of every admin session; bumping it (sign-out,
password change) ends every session issued before. ``votes.network_hash`` (a keyed
hash of the voter's /24 or /56 network) lets a review count at most a few votes per
network and day, whatever User-Agents one address rotates through.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("owners", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("network_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_votes_review_id_network_hash_created_at"),
            ["review_id", "network_hash", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_votes_review_id_network_hash_created_at"))
        batch_op.drop_column("network_hash")
    with op.batch_alter_table("owners", schema=None) as batch_op:
        batch_op.drop_column("session_version")
