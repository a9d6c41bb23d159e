"""Admin text search (``q``): ILIKE on each searched column, found through a trigram
index on PostgreSQL (``models.search_document``), with the same answers everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plaudit_server.extensions import db


def found(api: Any, q: str, kind: str = "reviews") -> list[str]:
    response = api.admin("GET", f"/{kind}", query_string={"q": q, "limit": 100})
    assert response.status_code == 200, response.get_json()
    return sorted(item["body"] for item in response.get_json()[kind])


def test_search_matches_within_a_column_only(api: Any) -> None:
    api.post_review(body="Grinds coffee fine", title="Solid grinder", author_name="Ada")
    api.post_review(body="Über leise", author_name="Bo", author_email="bo@example.test")
    api.post_review(body="100% sure, snake_case", author_name="Cy")
    assert found(api, "GRINDER") == ["Grinds coffee fine"]  # title, any case
    assert found(api, "über") == ["Über leise"]  # Unicode case folding on both backends
    assert found(api, "bo@example") == ["Über leise"]  # author_email
    assert found(api, "100%") == ["100% sure, snake_case"]  # wildcards taken literally
    assert found(api, "e_c") == ["100% sure, snake_case"]
    assert found(api, "0_s") == []
    # The index's text joins the columns; a match across two of them is no match.
    assert found(api, "fine Solid") == []
    assert found(api, "fine") == ["Grinds coffee fine"]


def test_comment_search(api: Any) -> None:
    for body in ("When does it ship?", "Does it come in blue?"):
        posted = api.client.post(
            api.public("/products/sku-1/comments"), json={"body": body, "author_name": "Fan"}
        )
        assert posted.status_code == 201
    assert found(api, "BLUE", "comments") == ["Does it come in blue?"]


@contextmanager
def statements(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the app sends while inside, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("kind", ["reviews", "comments"])
def test_postgresql_finds_matches_through_the_trigram_index(
    app: Flask, api: Any, backend: str, kind: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    api.post_review(body="A rare word: zanzibar")
    with statements(app) as seen:
        found(api, "zanzibar", kind)
    (statement, parameters), *_ = [s for s in seen if "ILIKE" in s[0].upper()]
    with app.app_context(), db.engine.connect() as connection, connection.begin() as transaction:
        # A few rows read faster without the search index: take away the scans and the
        # site's other indexes (until the rollback), so the plan shows that this
        # statement can use the search index at all (bench/ checks 1M rows unaided).
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for (name,) in connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s",
            (kind, f"ix_{kind}_site_id%"),
        ):
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
        # ... and the unique (site_id, source, source_id) of imports, a constraint's index.
        connection.exec_driver_sql(
            f'ALTER TABLE "{kind}" DROP CONSTRAINT "uq_{kind}_site_id_source_source_id"'
        )
        plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
        transaction.rollback()
    assert f"Bitmap Index Scan on ix_{kind}_search_trgm" in "\n".join(plan), "\n".join(plan)
