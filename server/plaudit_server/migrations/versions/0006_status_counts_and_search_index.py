"""Counts per status per site, and a trigram index for admin text search.

``status_counts`` holds how many of a site's reviews and comments are in each status,
moved by the services with every change (``services/site_counts.py``), so the admin
page's tabs and the statistics no longer count a site's rows on every view. The
upgrade fills it from the rows as they are.

On PostgreSQL, a GIN trigram index (pg_trgm) on the searched text of reviews and
comments (``models.search_document``) lets an admin search (``q``, ILIKE) find its
few matches without reading every row of the site. SQLite has no such index: nothing
changes there. pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner
may create it without being a superuser.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "published", "rejected", "spam")
# The index expressions, as models.search_document writes them.
SEARCHED = {
    "reviews": "body || ' ' || coalesce(title, '') || ' ' || author_name"
    " || ' ' || coalesce(author_email, '')",
    "comments": "body || ' ' || author_name || ' ' || coalesce(author_email, '')",
}


def upgrade() -> None:
    op.create_table(
        "status_counts",
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="status", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_status_counts_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "subject", "status", name=op.f("pk_status_counts")),
    )
    for table in SEARCHED:
        op.execute(
            "INSERT INTO status_counts (site_id, subject, status, count) "
            f"SELECT site_id, '{table}', status, count(*) FROM {table} GROUP BY site_id, status"
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # CONCURRENTLY: a big site keeps taking reviews while the index is built (it
        # cannot run in a transaction, hence the block; a failed build leaves an
        # invalid index that the downgrade drops).
        with op.get_context().autocommit_block():
            for table, document in SEARCHED.items():
                op.execute(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_{table}_search_trgm ON {table} "
                    f"USING gin (({document}) gin_trgm_ops)"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_trgm")
        # pg_trgm stays: other things of the database may use it by now.
    op.drop_table("status_counts")
