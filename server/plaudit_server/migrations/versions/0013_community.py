"""Community: questions and answers (with helpful votes), the idea board (ideas, votes,
the feedback they were made from).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:28:54.851986
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ideas",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("author_email", sa.String(length=254), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "published",
                "rejected",
                "spam",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("stage", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("stage_note", sa.Text(), nullable=True),
        sa.Column("stage_changed_at", sa.DateTime(), nullable=True),
        sa.Column("announced", sa.JSON(), nullable=False),
        sa.Column("vote_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("merged_into", sa.String(length=32), nullable=True),
        sa.Column("spam_reasons", sa.JSON(), nullable=False),
        sa.Column("visitor_hash", sa.String(length=64), nullable=True),
        sa.Column("network_hash", sa.String(length=64), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("moderation_reason", sa.String(length=32), nullable=True),
        sa.Column("moderation_note", sa.Text(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(), nullable=True),
        sa.Column("moderated_by", sa.String(length=200), nullable=True),
        sa.Column("reports_open", sa.Integer(), server_default="0", nullable=False),
        sa.Column("appeal_message", sa.Text(), nullable=True),
        sa.Column("appealed_at", sa.DateTime(), nullable=True),
        sa.Column("incentivized", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "stage IN ('open', 'under_review', 'planned', 'in_progress', 'shipped', 'declined')",
            name=op.f("ck_ideas_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into"],
            ["ideas.id"],
            name=op.f("fk_ideas_merged_into_ideas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_ideas_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_ideas_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideas")),
    )
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ideas_site_id_created_at_id"),
            ["site_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_ideas_site_id_network_hash_body_hash"),
            ["site_id", "network_hash", "body_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_ideas_site_id_status_created_at_id"),
            ["site_id", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_ideas_site_id_status_stage_vote_count_created_at_id"),
            ["site_id", "status", "stage", "vote_count", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_ideas_site_id_status_vote_count_created_at_id"),
            ["site_id", "status", "vote_count", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_ideas_site_id_updated_at_id"),
            ["site_id", "updated_at", "id"],
            unique=False,
        )

    op.create_table(
        "questions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("author_email", sa.String(length=254), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "published",
                "rejected",
                "spam",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("spam_reasons", sa.JSON(), nullable=False),
        sa.Column("visitor_hash", sa.String(length=64), nullable=True),
        sa.Column("network_hash", sa.String(length=64), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("answer_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("helpful_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("notify", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("answer_notified_at", sa.DateTime(), nullable=True),
        sa.Column("community_asked_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("moderation_reason", sa.String(length=32), nullable=True),
        sa.Column("moderation_note", sa.Text(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(), nullable=True),
        sa.Column("moderated_by", sa.String(length=200), nullable=True),
        sa.Column("reports_open", sa.Integer(), server_default="0", nullable=False),
        sa.Column("appeal_message", sa.Text(), nullable=True),
        sa.Column("appealed_at", sa.DateTime(), nullable=True),
        sa.Column("incentivized", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_questions_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_questions_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questions_product_id_status_answer_count_created_at_id"),
            ["product_id", "status", "answer_count", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_questions_product_id_status_created_at_id"),
            ["product_id", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_questions_product_id_status_helpful_count_created_at_id"),
            ["product_id", "status", "helpful_count", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_questions_site_id_created_at_id"),
            ["site_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_questions_site_id_network_hash_body_hash"),
            ["site_id", "network_hash", "body_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_questions_site_id_status_created_at_id"),
            ["site_id", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_questions_site_id_updated_at_id"),
            ["site_id", "updated_at", "id"],
            unique=False,
        )

    op.create_table(
        "answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("author_email", sa.String(length=254), nullable=True),
        sa.Column("is_owner", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("verified_buyer", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "published",
                "rejected",
                "spam",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("spam_reasons", sa.JSON(), nullable=False),
        sa.Column("visitor_hash", sa.String(length=64), nullable=True),
        sa.Column("network_hash", sa.String(length=64), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("helpful_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unhelpful_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("moderation_reason", sa.String(length=32), nullable=True),
        sa.Column("moderation_note", sa.Text(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(), nullable=True),
        sa.Column("moderated_by", sa.String(length=200), nullable=True),
        sa.Column("reports_open", sa.Integer(), server_default="0", nullable=False),
        sa.Column("appeal_message", sa.Text(), nullable=True),
        sa.Column("appealed_at", sa.DateTime(), nullable=True),
        sa.Column("incentivized", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_answers_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_answers_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_answers_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answers_question_id_status_rank_helpful_count_created_at_id"),
            ["question_id", "status", "rank", "helpful_count", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_answers_site_id_created_at_id"),
            ["site_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_answers_site_id_network_hash_body_hash"),
            ["site_id", "network_hash", "body_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_answers_site_id_status_created_at_id"),
            ["site_id", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_answers_site_id_updated_at_id"),
            ["site_id", "updated_at", "id"],
            unique=False,
        )

    op.create_table(
        "idea_sources",
        sa.Column("idea_id", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_idea_sources_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "idea_id", "object_type", "object_id", name=op.f("pk_idea_sources")
        ),
    )
    with op.batch_alter_table("idea_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_sources_object_id"), ["object_id"], unique=False)

    op.create_table(
        "idea_votes",
        sa.Column("idea_id", sa.String(length=32), nullable=False),
        sa.Column("visitor_hash", sa.String(length=64), nullable=False),
        sa.Column("network_hash", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_idea_votes_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("idea_id", "visitor_hash", name=op.f("pk_idea_votes")),
    )
    with op.batch_alter_table("idea_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idea_votes_idea_id_network_hash_created_at"),
            ["idea_id", "network_hash", "created_at"],
            unique=False,
        )

    op.create_table(
        "answer_votes",
        sa.Column("answer_id", sa.String(length=32), nullable=False),
        sa.Column("visitor_hash", sa.String(length=64), nullable=False),
        sa.Column("network_hash", sa.String(length=64), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answers.id"],
            name=op.f("fk_answer_votes_answer_id_answers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("answer_id", "visitor_hash", name=op.f("pk_answer_votes")),
    )
    with op.batch_alter_table("answer_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_votes_answer_id_network_hash_created_at"),
            ["answer_id", "network_hash", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("answer_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_votes_answer_id_network_hash_created_at"))

    op.drop_table("answer_votes")
    with op.batch_alter_table("idea_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_votes_idea_id_network_hash_created_at"))

    op.drop_table("idea_votes")
    with op.batch_alter_table("idea_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_sources_object_id"))

    op.drop_table("idea_sources")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_site_id_updated_at_id"))
        batch_op.drop_index(batch_op.f("ix_answers_site_id_status_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_answers_site_id_network_hash_body_hash"))
        batch_op.drop_index(batch_op.f("ix_answers_site_id_created_at_id"))
        batch_op.drop_index(
            batch_op.f("ix_answers_question_id_status_rank_helpful_count_created_at_id")
        )

    op.drop_table("answers")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_site_id_updated_at_id"))
        batch_op.drop_index(batch_op.f("ix_questions_site_id_status_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_questions_site_id_network_hash_body_hash"))
        batch_op.drop_index(batch_op.f("ix_questions_site_id_created_at_id"))
        batch_op.drop_index(
            batch_op.f("ix_questions_product_id_status_helpful_count_created_at_id")
        )
        batch_op.drop_index(batch_op.f("ix_questions_product_id_status_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_questions_product_id_status_answer_count_created_at_id"))

    op.drop_table("questions")
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ideas_site_id_updated_at_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_site_id_status_vote_count_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_site_id_status_stage_vote_count_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_site_id_status_created_at_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_site_id_network_hash_body_hash"))
        batch_op.drop_index(batch_op.f("ix_ideas_site_id_created_at_id"))

    op.drop_table("ideas")
