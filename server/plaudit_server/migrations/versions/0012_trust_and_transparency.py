"""Trust and transparency: reports, the audit log (append-only, guarded by triggers),
manage tokens, moderation reasons and appeals on items, incentives, response times,
and the sites' report threshold and guidelines.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:31:32.917632
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("from_value", sa.String(length=500), nullable=True),
        sa.Column("to_value", sa.String(length=500), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_audit_entries_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entries_site_id_action_at_id"),
            ["site_id", "action", "at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entries_site_id_at_id"), ["site_id", "at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entries_site_id_object_id_at_id"),
            ["site_id", "object_id", "at", "id"],
            unique=False,
        )

    op.create_table(
        "manage_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_manage_tokens_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_manage_tokens")),
    )
    with op.batch_alter_table("manage_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manage_tokens_object_id"), ["object_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("locale", sa.String(length=8), server_default="en", nullable=False),
        sa.Column("visitor_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "kept",
                "removed",
                name="report_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_reports_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint(
            "object_id", "visitor_hash", name=op.f("uq_reports_object_id_visitor_hash")
        ),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reports_object_id_status"), ["object_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reports_site_id_created_at_id"),
            ["site_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reports_site_id_status_created_at_id"),
            ["site_id", "status", "created_at", "id"],
            unique=False,
        )

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("moderation_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("moderated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("moderated_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("reports_open", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("appeal_message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("appealed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("incentivized", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("incentive", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderation_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("moderation_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("moderated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("moderated_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("reports_open", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("appeal_message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("appealed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("incentivized", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("first_reply_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_threshold", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(sa.Column("guidelines", sa.Text(), nullable=True))

    # Reviews answered so far: their first reply counts from when it was written.
    op.execute("UPDATE reviews SET first_reply_at = reply_created_at WHERE reply_body IS NOT NULL")
    _guard_audit_log()


# Nothing may change or remove an audit entry; a DELETE is let through only while its
# site is being deleted (the ON DELETE CASCADE runs after the site row is gone).
# TRUNCATE, which needs the table's owner, is left to whoever runs the database.
_REFUSAL = "the audit log is append-only"


def _guard_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE'
                   AND NOT EXISTS (SELECT 1 FROM sites WHERE id = OLD.site_id) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'insufficient_privilege';
            END
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
            "WHEN EXISTS (SELECT 1 FROM sites WHERE id = OLD.site_id) "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_append_only()")
    else:
        op.execute("DROP TRIGGER audit_entries_no_delete")
        op.execute("DROP TRIGGER audit_entries_no_update")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("guidelines")
        batch_op.drop_column("report_threshold")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("first_reply_at")
        batch_op.drop_column("incentivized")
        batch_op.drop_column("appealed_at")
        batch_op.drop_column("appeal_message")
        batch_op.drop_column("reports_open")
        batch_op.drop_column("moderated_by")
        batch_op.drop_column("moderated_at")
        batch_op.drop_column("moderation_note")
        batch_op.drop_column("moderation_reason")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("incentive")

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("incentivized")
        batch_op.drop_column("appealed_at")
        batch_op.drop_column("appeal_message")
        batch_op.drop_column("reports_open")
        batch_op.drop_column("moderated_by")
        batch_op.drop_column("moderated_at")
        batch_op.drop_column("moderation_note")
        batch_op.drop_column("moderation_reason")

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_site_id_status_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_reports_site_id_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_reports_object_id_status"))

    op.drop_table("reports")
    with op.batch_alter_table("manage_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manage_tokens_object_id"))

    op.drop_table("manage_tokens")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_site_id_object_id_at_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_site_id_at_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_site_id_action_at_id"))

    op.drop_table("audit_entries")
