"""Review requests: invitations, the suppression list, store reviews' settings.

``invitations`` holds one review request per order (its link's token only as a hash);
``reviews.invitation_id`` marks a verified buyer's review and keeps one per product per
invitation; ``suppressions`` lists addresses that unsubscribed from a kind of message;
sites get their message language and the invitation delay, reminder and lifetime.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 18:34:48.184316
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "invitations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("store_review", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "sent",
                "reviewed",
                "cancelled",
                "unsubscribed",
                "failed",
                "expired",
                name="invitation_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_invitations_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("site_id", "order_id", name=op.f("uq_invitations_site_id_order_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invitations_site_id_created_at_id"),
            ["site_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invitations_site_id_status_created_at_id"),
            ["site_id", "status", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "suppressions",
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_suppressions_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "kind", "email", name=op.f("pk_suppressions")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invitation_id", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_reviews_invitation_id_product_id"), ["invitation_id", "product_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reviews_invitation_id_invitations"),
            "invitations",
            ["invitation_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", sa.String(length=8), server_default="en", nullable=False)
        )
        batch_op.add_column(
            sa.Column("invite_delay_days", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("invite_reminder_days", sa.Integer(), server_default="7", nullable=False)
        )
        batch_op.add_column(
            sa.Column("invite_ttl_days", sa.Integer(), server_default="60", nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("invite_ttl_days")
        batch_op.drop_column("invite_reminder_days")
        batch_op.drop_column("invite_delay_days")
        batch_op.drop_column("locale")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reviews_invitation_id_invitations"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_reviews_invitation_id_product_id"), type_="unique")
        batch_op.drop_column("invitation_id")

    op.drop_table("suppressions")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_site_id_status_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_site_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_due_at"))

    op.drop_table("invitations")
