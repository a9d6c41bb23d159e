"""The loader on both databases, with records built by hand: on PostgreSQL reviews go in
through COPY and ``INSERT ... ON CONFLICT`` (``loader._Writer._reviews_by_copy``), on
SQLite through the ORM; what is stored, what is counted as a duplicate and which row
of a duplicate is kept must be the same on both."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from conftest import SiteInfo
from plaudit_server.extensions import db
from plaudit_server.fields import OBJECT_ID_RE
from plaudit_server.ids import new_id
from plaudit_server.models import STORE, Product, Review, Status
from plaudit_server.services import sites
from plaudit_server.transfer import loader
from plaudit_server.transfer.records import ImportFileError, Record, ReviewRecord

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def review(source_id: str, **fields: Any) -> ReviewRecord:
    values: dict[str, Any] = {
        "product": "cast-iron-pan",
        "rating": 5,
        "body": f"Review {source_id}.",
        "author_name": "Camille",
        "created_at": WHEN,
        "line": 2,
        "checked": True,
    }
    values.update(fields)
    return ReviewRecord(source_id=source_id, **values)


def run(app: Flask, slug: str, records: Iterable[Record], **options: Any) -> loader.Summary:
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        return loader.import_records(db.session, site, "judgeme", records, **options)


def stored(app: Flask) -> dict[str, Review]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Review)).all()
        db.session.expunge_all()
    return {str(row.source_id): row for row in rows}


def products(app: Flask) -> dict[str, tuple[int, int]]:
    """(published count, rating sum) by external id."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Product.external_id, Product.published_count, Product.rating_sum)
        ).all()
    return {external: (count, total) for external, count, total in rows}


# Text that COPY's text format escapes (tab, newline, backslash, "\N", "\."), quotes,
# and Unicode beyond the BMP, joiners, combining marks and right-to-left text.
AWKWARD = (
    "Tab\there, backslash \\ and \\N and \\\\N, a line\nand another\n\nand \\. alone",
    "Quotes \"double\" and 'single', commas, semicolons; pipes | and 100% \\t literal",
    "Émoji 👍🏽 and 👩\u200d👩\u200d👧, שלום עולם, e\u0301 combining, 中文, \u00a0nbsp",
)


def test_awkward_text_is_stored_exactly(app: Flask, make_site: Callable[..., SiteInfo]) -> None:
    site = make_site()
    records = [
        review(
            f"t{n}",
            body=text,
            title=text.split("\n")[0][:120],
            author_name="Zoë \\ O'Brien\t",
            author_email=f"zoe+{n}@example.com",
            reply_body=text[::-1],
            reply_created_at=WHEN + timedelta(days=2),
            verified_buyer=True,
            status=Status.SPAM if n == 2 else Status.PUBLISHED,
            created_at=WHEN + timedelta(seconds=n),
            product=STORE if n == 1 else "cast-iron-pan",
        )
        for n, text in enumerate(AWKWARD)
    ]
    summary = run(app, site.slug, records)
    assert (summary.imported, summary.duplicates, summary.refused) == (3, 0, [])
    rows = stored(app)
    for n, text in enumerate(AWKWARD):
        row = rows[f"t{n}"]
        assert row.body == text
        assert row.title == text.split("\n")[0][:120]
        assert row.author_name == "Zoë \\ O'Brien\t"
        assert row.author_email == f"zoe+{n}@example.com"
        assert row.reply_body == text[::-1]
        assert row.reply_created_at == WHEN + timedelta(days=2)
        assert row.created_at == row.updated_at == WHEN + timedelta(seconds=n)
        assert row.verified_buyer is True and row.rating == 5
        assert row.status == (Status.SPAM if n == 2 else Status.PUBLISHED)
        assert row.source == "judgeme" and row.spam_reasons == [] and row.comment_count == 0
        assert OBJECT_ID_RE.fullmatch(row.id) and row.id.startswith("rev_")
    assert products(app) == {"cast-iron-pan": (1, 5), STORE: (1, 5)}


def test_unchecked_records_get_the_api_rules(
    app: Flask, make_site: Callable[..., SiteInfo]
) -> None:
    """A reader that did not check its text (``checked`` false) has it checked here."""
    site = make_site()
    records = [
        review("ok", checked=False, body="  Trimmed \r\n ", author_name="", title="  "),
        review("control", checked=False, body="bad \x01 byte", line=3),
        review("long", checked=False, title="t" * 121, line=4),
        review("product", checked=False, product="no spaces allowed", line=5),
        review("rating", rating=6, line=6),
    ]
    summary = run(app, site.slug, records)
    assert summary.imported == 1
    assert [(r.line, r.reason) for r in summary.refused] == [
        (3, "body: must not contain control characters"),
        (4, "title: must be at most 120 characters"),
        (5, "product id 'no spaces allowed' is not valid (A-Z a-z 0-9 . _ : -)"),
        (6, "rating 6 is not 1-5"),
    ]
    row = stored(app)["ok"]
    assert (row.body, row.title, row.author_name) == ("Trimmed", None, "Anonymous")


def test_duplicates_in_a_batch_across_batches_and_across_runs(
    app: Flask, make_site: Callable[..., SiteInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "BATCH", 3)
    site = make_site()
    records = [
        review("a", rating=5),
        review("b", rating=4),
        review("a", rating=1, title="the second, not kept"),  # same batch
        review("c", rating=3),
        review("b", rating=1),  # next batch
        review("d", rating=2, product="linen-apron"),
        review("e", rating=4, product="linen-apron", status=Status.PENDING),
        review("a", rating=1),  # a third batch
    ]
    summary = run(app, site.slug, records)
    assert (summary.read, summary.imported, summary.duplicates) == (8, 5, 3)
    assert summary.by_kind == {"review": 5}
    rows = stored(app)
    assert {k: (r.rating, r.title) for k, r in rows.items()} == {
        "a": (5, None),
        "b": (4, None),
        "c": (3, None),
        "d": (2, None),
        "e": (4, None),
    }
    assert products(app) == {"cast-iron-pan": (3, 12), "linen-apron": (1, 2)}

    again = run(app, site.slug, [*records, review("f", product="oak-board")])
    assert (again.read, again.imported, again.duplicates) == (9, 1, 8)
    assert len(stored(app)) == 6
    assert products(app) == {"cast-iron-pan": (3, 12), "linen-apron": (1, 2), "oak-board": (1, 5)}


def test_a_duplicate_with_a_new_product_creates_no_product(
    app: Flask, make_site: Callable[..., SiteInfo]
) -> None:
    """A source id stored already, now with a product the site does not have (another
    tool's ids are not tied to the product): a duplicate, and no empty product."""
    site = make_site()
    assert run(app, site.slug, [review("x")]).imported == 1
    summary = run(app, site.slug, [review("x", product="new-product"), review("y")])
    assert (summary.imported, summary.duplicates) == (1, 1)
    assert set(products(app)) == {"cast-iron-pan"}


def test_strict_and_status_on_this_path(app: Flask, make_site: Callable[..., SiteInfo]) -> None:
    site = make_site()
    records = [review("a"), review("b", rating=0, line=3), review("c")]
    strict = run(app, site.slug, records, strict=True)
    assert not strict.written and strict.imported == 2 and len(strict.refused) == 1
    assert stored(app) == {} and products(app) == {}

    held = run(app, site.slug, records, status=Status.PENDING)
    assert held.imported == 2
    assert {r.status for r in stored(app).values()} == {Status.PENDING}
    assert products(app) == {"cast-iron-pan": (0, 0)}


def test_the_stage_is_dropped_after_the_import(
    app: Flask, make_site: Callable[..., SiteInfo], backend: str
) -> None:
    """The temporary table would otherwise stay with the pooled connection."""
    if backend != "postgresql":
        pytest.skip("COPY and its stage are PostgreSQL's")
    site = make_site()
    with app.app_context(), db.engine.connect() as connection:
        session = Session(bind=connection)
        row = sites.site_by_slug(session, site.slug)
        writer_used = loader.import_records(session, row, "judgeme", [review("a")])
        assert writer_used.imported == 1
        stage = connection.execute(sa.text(f"SELECT to_regclass('{loader._STAGE}')")).scalar()
        assert stage is None
        session.close()
    assert set(stored(app)) == {"a"}


def test_new_ids_are_ids_as_new_id_makes_them() -> None:
    def decode(value: str) -> int:
        digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        number = 0
        for char in value.split("_", 1)[1]:
            number = number * 32 + digits.index(char)
        return number

    reference = decode(new_id("rev")) >> 80
    ids = loader._new_ids("rev", 5000)
    assert len(set(ids)) == 5000
    for value in ids:
        assert OBJECT_ID_RE.fullmatch(value) and value.startswith("rev_")
        assert abs((decode(value) >> 80) - reference) < 5000  # the same milliseconds
    assert len({decode(value) & ((1 << 80) - 1) for value in ids}) == 5000  # random part
    assert loader._new_ids("prd", 0) == []


def test_a_reader_error_is_raised_after_the_batches_before_it(
    app: Flask, make_site: Callable[..., SiteInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader runs in a thread of its own (``loader._Prefetch``): its error still
    reaches the caller, where it was, and the reader is closed in its own thread."""
    monkeypatch.setattr(loader, "BATCH", 2)
    site = make_site()
    ended_in: list[str] = []

    def records() -> Iterator[Record]:
        try:
            yield review("a")
            yield review("b")
            yield review("c")
            raise ImportFileError("broken after three rows")
        finally:
            ended_in.append(threading.current_thread().name)

    with pytest.raises(ImportFileError, match="broken after three rows"):
        run(app, site.slug, records())
    assert set(stored(app)) == {"a", "b"}  # the first batch, committed
    assert ended_in == ["plaudit-import-reader"]


def test_a_writer_error_stops_the_reader(
    app: Flask, make_site: Callable[..., SiteInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site()
    produced = 0
    closed = threading.Event()

    def endless() -> Iterator[Record]:
        nonlocal produced
        try:
            while True:
                produced += 1
                yield review(f"r{produced}")
        finally:
            closed.set()

    def fail(self: Any, batch: list[Any]) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(loader._Writer, "write", fail)
    with pytest.raises(RuntimeError, match="went away"):
        run(app, site.slug, endless())
    assert closed.wait(5)
    assert not any(t.name == "plaudit-import-reader" for t in threading.enumerate())
    # Read ahead by a bounded amount only (memory flat): a batch, the queue, a chunk.
    assert produced <= loader.BATCH + loader._Prefetch.CHUNK * (loader._Prefetch.DEPTH + 2)
