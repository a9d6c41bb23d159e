"""The lighter indexes of migration 0014, on both databases: imported items (no network,
no invitation) add no entries to the duplicate-text index or to the one-review-per-
invitation index, and what those indexes are for still holds: the duplicate check finds
its rows through its index, and an invitation still takes one review per product."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from conftest import SiteInfo
from plaudit_server.extensions import db
from plaudit_server.models import Invitation, InvitationStatus, Review, Status
from plaudit_server.services import invitations, sites
from plaudit_server.transfer import loader
from plaudit_server.transfer.records import ReviewRecord

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _import(app: Flask, slug: str, count: int) -> None:
    records = [
        ReviewRecord(
            source_id=f"r{n}",
            product="cast-iron-pan",
            rating=5,
            body=f"Review {n}.",
            author_name="Camille",
            created_at=WHEN,
            line=n + 2,
            checked=True,
        )
        for n in range(count)
    ]
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        summary = loader.import_records(db.session, site, "judgeme", records)
    assert summary.imported == count


@pytest.mark.parametrize(
    ("index", "absent"),
    [
        ("ix_reviews_site_id_network_hash_body_hash", None),
        ("uq_reviews_invitation_id_product_id", None),
        ("ix_reviews_site_id_visitor_hash_body_hash", "dropped"),
        ("ix_comments_site_id_visitor_hash_body_hash", "dropped"),
    ],
)
def test_the_indexes_are_partial_or_gone(
    app: Flask, backend: str, index: str, absent: str | None
) -> None:
    with app.app_context(), db.engine.connect() as connection:
        if backend == "sqlite":
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)
            ).scalar()
        else:
            sql = connection.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (index,)
            ).scalar()
    if absent:
        assert sql is None
    else:
        assert sql is not None and "IS NOT NULL" in sql, sql


def test_imported_reviews_are_not_in_the_partial_indexes(
    app: Flask, backend: str, make_site: Callable[..., SiteInfo]
) -> None:
    if backend != "postgresql":
        pytest.skip("counts index tuples through PostgreSQL's statistics")
    _import(app, make_site().slug, 30)
    with app.app_context(), db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE reviews"
        )
        tuples = dict(
            connection.exec_driver_sql(
                "SELECT c.relname, c.reltuples::bigint FROM pg_class c "
                "WHERE c.relname IN ('ix_reviews_site_id_network_hash_body_hash', "
                "'uq_reviews_invitation_id_product_id', 'ix_reviews_site_id_created_at_id')"
            ).all()
        )
    assert tuples["ix_reviews_site_id_created_at_id"] == 30  # a full index has them all
    assert tuples["ix_reviews_site_id_network_hash_body_hash"] == 0
    assert tuples["uq_reviews_invitation_id_product_id"] == 0


def test_the_duplicate_check_reads_its_partial_index(app: Flask, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    with app.app_context(), db.engine.connect() as connection, connection.begin():
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        # The duplicate check's statement (services/spam.py), as a generic plan would
        # have it: with parameters, the partial index is still provably usable.
        plan = "\n".join(
            row[0]
            for row in connection.execute(
                sa.text(
                    "EXPLAIN SELECT id FROM reviews WHERE site_id = :site "
                    "AND network_hash = :network AND body_hash = :body "
                    "AND created_at > :since LIMIT 1"
                ),
                {"site": "s", "network": "n", "body": "b", "since": datetime(2024, 1, 1)},
            )
        )
    assert "ix_reviews_site_id_network_hash_body_hash" in plan, plan


def test_an_invitation_still_takes_one_review_per_product(
    app: Flask, make_site: Callable[..., SiteInfo]
) -> None:
    slug = make_site().slug
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        invitation = Invitation(
            id="inv_" + "0" * 26,
            site_id=site.id,
            order_id="o-1",
            email="buyer@example.test",
            products=["cast-iron-pan"],
            locale="en",
            status=InvitationStatus.SENT,
            token_hash=invitations.token_hash(invitations.token_for("inv_" + "0" * 26)),
            attempts=0,
            send_at=WHEN,
            created_at=WHEN,
            updated_at=WHEN,
            expires_at=WHEN + timedelta(days=30),
        )
        db.session.add(invitation)
        db.session.commit()
    _import(app, slug, 2)  # two reviews of the same product without an invitation: fine
    with app.app_context():
        first, second = db.session.scalars(sa.select(Review).order_by(Review.source_id)).all()
        first.invitation_id = invitation.id
        db.session.commit()
        second.invitation_id = invitation.id  # the same invitation, the same product
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        stored = db.session.scalars(
            sa.select(Review.status).where(Review.invitation_id == invitation.id)
        ).all()
    assert stored == [Status.PUBLISHED]
