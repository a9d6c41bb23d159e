"""The Isso reader, over databases written by Isso's own code.

``tests/fixtures/import/make_isso_db.py`` drives Isso's storage classes (installed from
PyPI with the test extra) to write a sample site; its docstring lists what each comment
is. Rows Isso's code would never write but its schema allows (a hand-edited or damaged
database) are added with plain SQL to a database Isso made.
"""

from __future__ import annotations

import csv
import re
import runpy
import shutil
import sqlite3
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from isso import config
from isso.db import SQLite3

from plaudit_server.extensions import db
from plaudit_server.models import Comment, Status
from plaudit_server.transfer.formats import isso
from plaudit_server.transfer.records import (
    CommentRecord,
    ImportFileError,
    Note,
    Options,
    Record,
    Refused,
)

MAKE_ISSO_DB = Path(__file__).parents[1] / "fixtures" / "import" / "make_isso_db.py"


@pytest.fixture(scope="session")
def isso_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("isso") / "comments.db"
    runpy.run_path(str(MAKE_ISSO_DB))["make"](path)
    return path


@pytest.fixture
def empty_isso_db(tmp_path: Path) -> Path:
    """A database as Isso creates it on first start, with one thread."""
    path = tmp_path / "isso.db"
    db = SQLite3(str(path), config.new({"general": {"dbpath": str(path)}}))
    db.threads.new("/products/grinder-aurora/", "Aurora")
    return path


def insert(path: Path, *rows: dict[str, object]) -> None:
    """Rows into Isso's comments table as they are (what Isso's code would not write)."""
    with sqlite3.connect(path) as con:
        for row in rows:
            values = {
                "tid": 1,
                "created": 1714546800.0,
                "mode": 1,
                "remote_addr": "192.0.2.0",
                "text": "Fine",
                "author": "Ana",
                "voters": b"\x00",
                **row,
            }
            names = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            con.execute(f"INSERT INTO comments ({names}) VALUES ({marks})", list(values.values()))
    con.close()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def sid(comment_id: int, created: str) -> str:
    """The source id of the Isso comment ``comment_id`` created at ``created``."""
    return f"{comment_id}@{utc(created).timestamp()!r}"


def read(path: Path, **options: str) -> list[Record]:
    return list(isso.read(path, Options(**options)))


EXPECTED: list[Record] = [
    CommentRecord(
        source_id=sid(1, "2024-03-01T09:15:30.250000"),
        product="grinder-aurora",
        body="¡Muy buena! Mahlt gleichmäßig, auch für Espresso ☕",
        author_name="Ana García",
        created_at=utc("2024-03-01T09:15:30.250000"),
        line=1,
        author_email="ana@example.com",
    ),
    CommentRecord(
        source_id=sid(2, "2024-03-02T10:00:00"),
        product="grinder-aurora",
        body="**Danke!** Welche Stufe nimmst du für Espresso?\n\n- fein\n- mittel",
        author_name="Jonas Müller",
        created_at=utc("2024-03-02T10:00:00"),
        line=2,
        parent_source_id=sid(1, "2024-03-01T09:15:30.250000"),
        author_email="jonas@example.de",
        updated_at=utc("2024-03-02T10:05:00"),
    ),
    CommentRecord(
        source_id=sid(3, "2024-03-03T08:00:00"),
        product="grinder-aurora",
        body="Stufe 4 works for me.",
        author_name="Anonymous",
        created_at=utc("2024-03-03T08:00:00"),
        line=3,
        # It answered 2; Isso stored it as an answer to 1 (Isso nests one level).
        parent_source_id=sid(1, "2024-03-01T09:15:30.250000"),
        status=Status.PENDING,
    ),
    CommentRecord(
        source_id=sid(4, "2024-04-10T12:00:00"),
        product="kettle-nova",
        body=isso.DELETED_BODY,
        author_name="Anonymous",
        created_at=utc("2024-04-10T12:00:00"),
        line=4,
        author_email="troll@example.net",  # Isso keeps it when it deletes a comment
        status=Status.REJECTED,
    ),
    CommentRecord(
        source_id=sid(5, "2024-04-10T12:30:00"),
        product="kettle-nova",
        body="Please keep it about the kettle.",
        author_name="Shop team",
        created_at=utc("2024-04-10T12:30:00"),
        line=5,
        parent_source_id=sid(4, "2024-04-10T12:00:00"),
    ),
    CommentRecord(
        source_id=sid(6, "2024-05-01T07:00:00"),
        product="grinder-aurora",
        body="Caf\u00e9 au lait comes out great.",
        author_name="Zo\u00eb",
        created_at=utc("2024-05-01T07:00:00"),
        line=6,
        author_email=None,  # "not-an-email": left out, and said in a note
    ),
    Refused(
        7,
        "thread URI '/blog/unsere-m%C3%BChle/' gives product id 'unsere-mühle', "
        "which is not 1-128 characters of A-Z a-z 0-9 . _ : -",
        "7",
    ),
    Refused(8, "thread URI '/' has no path segment to use as the product id", "8"),
    Refused(9, "text is longer than 5000 characters (5001)", "9"),
    Refused(10, "author name is longer than 80 characters (81)", "10"),
    Refused(11, "no text", "11"),
    CommentRecord(
        source_id=sid(12, "2024-05-07T07:00:00"),
        product="kettle-nova",
        body="水开得很快\uff0c很安静。",
        author_name="李雷",
        created_at=utc("2024-05-07T07:00:00"),
        line=12,
        author_email="lilei@example.cn",
        status=Status.PENDING,
    ),
    Note(
        "comments deleted in Isso that still had replies were kept as rejected comments "
        'reading "(deleted in Isso)", so their replies stay in the thread (1 row)'
    ),
    Note(
        "likes and dislikes of comments were not kept, comments have no votes here "
        "(2 rows had some)"
    ),
    Note("commenters' websites were not kept (1 row had one)"),
    Note("e-mail addresses that are not valid were left out (1 row)"),
]


def test_reads_every_comment_isso_wrote_in_id_order(isso_db: Path) -> None:
    assert read(isso_db) == EXPECTED


def test_the_total_for_a_progress_bar_is_the_number_of_rows_read(
    isso_db: Path, tmp_path: Path
) -> None:
    records = read(isso_db)
    assert isso.total(isso_db) == len([r for r in records if not isinstance(r, Note)]) == 12
    (tmp_path / "other.db").write_text("not a database")
    assert isso.total(tmp_path / "other.db") is None


def test_the_committed_sample_is_what_the_script_makes() -> None:
    # tests/fixtures/import/isso.db is there to try the importer by hand; it must not
    # drift from the script the tests run.
    assert read(MAKE_ISSO_DB.with_name("isso.db")) == EXPECTED


def test_the_records_keep_no_markup_and_are_what_the_api_would_store(isso_db: Path) -> None:
    comments = [r for r in read(isso_db) if isinstance(r, CommentRecord)]
    for comment in comments:
        assert comment.body == comment.body.strip()
        assert comment.created_at.tzinfo is UTC
    # NFC: the decomposed "e" + combining accent became one character.
    assert "Cafe\u0301" not in comments[5].body
    assert comments[5].author_name == "Zoë" and len(comments[5].author_name) == 3


def test_a_thread_pattern_picks_the_product_id(isso_db: Path) -> None:
    records = read(isso_db, thread_pattern=r"^/products/([a-z-]+)")
    by_line = {r.line: r for r in records if isinstance(r, CommentRecord | Refused)}
    assert isinstance(by_line[1], CommentRecord) and by_line[1].product == "grinder-aurora"
    assert isinstance(by_line[5], CommentRecord) and by_line[5].product == "kettle-nova"
    assert by_line[7] == Refused(
        7, "thread URI '/blog/unsere-m%C3%BChle/' does not match --thread-pattern", "7"
    )
    assert by_line[8] == Refused(8, "thread URI '/' does not match --thread-pattern", "8")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"/products/[a-z]+", "must have exactly one group (the product id)"),
        (r"/(products)/([a-z]+)", "must have exactly one group (the product id)"),
        (r"/products/([a-z]+", "is not a regular expression"),
    ],
)
def test_a_thread_pattern_that_cannot_pick_one_id_is_refused_before_reading(
    isso_db: Path, pattern: str, message: str
) -> None:
    with pytest.raises(ImportFileError, match=rf"--thread-pattern.*{re.escape(message)}"):
        read(isso_db, thread_pattern=pattern)


def test_the_database_is_opened_read_only(isso_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(isso_db.read_bytes())
    before = copy.read_bytes()
    records = isso.read(copy, Options())
    next(records)
    # While it reads, a write through its connection is impossible: the file is not
    # Plaudit's to change (Isso may still be running on it).
    frame = records.gi_frame
    assert frame is not None
    con = frame.f_locals["con"]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        con.execute("DELETE FROM comments")
    records.close()
    assert copy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"mode": 3}, "mode 3 is not 1 (accepted), 2 (pending) or 4 (deleted)"),
        ({"mode": None}, "mode None is not 1 (accepted), 2 (pending) or 4 (deleted)"),
        ({"created": "yesterday"}, "created 'yesterday' is not a Unix time"),
        ({"created": 1e300}, "created 1e+300 is not a Unix time"),
        ({"modified": "later"}, "modified 'later' is not a Unix time"),
        ({"tid": 99}, "thread 99 does not exist"),
        ({"text": "Bad \x07 bell"}, "text: must not contain control characters"),
        ({"text": "Caf\xe9".encode("latin-1")}, "text is not text"),
        ({"author": "Eve\u202egnp.exe"}, "author name: must not contain invisible formatting"),
        ({"author": b"\x00Ana"}, "author name is not text"),  # a BLOB
    ],
)
def test_rows_isso_would_not_write_are_refused_with_the_reason(
    empty_isso_db: Path, row: dict[str, object], reason: str
) -> None:
    insert(empty_isso_db, {"id": 7, **row}, {"id": 8, "text": "Still read"})
    records = read(empty_isso_db)
    assert isinstance(records[0], Refused)
    assert (records[0].line, records[0].source_id) == (7, "7")
    assert records[0].reason.startswith(reason)
    assert isinstance(records[1], CommentRecord) and records[1].body == "Still read"


def test_text_that_is_not_utf8_refuses_its_row_not_the_file(empty_isso_db: Path) -> None:
    # SQLite stores what it is given: a Windows-1252 string written as TEXT.
    with sqlite3.connect(empty_isso_db) as con:
        con.execute(
            "INSERT INTO comments (tid, id, created, mode, text, author, voters) "
            "VALUES (1, 1, 1714546800.0, 1, CAST(? AS TEXT), 'Ana', x'00')",
            ("Caf\xe9 cr\xe8me".encode("cp1252"),),
        )
    con.close()
    insert(empty_isso_db, {"id": 2})
    records = read(empty_isso_db)
    assert records[0] == Refused(1, "text is not valid UTF-8", "1")
    assert isinstance(records[1], CommentRecord) and records[1].line == 2


def test_a_deleted_comment_that_kept_its_text_is_rejected_with_it(empty_isso_db: Path) -> None:
    insert(empty_isso_db, {"id": 1, "mode": 4, "text": "Rude words", "parent": 0})
    assert read(empty_isso_db) == [
        CommentRecord(
            source_id="1@1714546800.0",
            product="grinder-aurora",
            body="Rude words",
            author_name="Ana",
            created_at=utc("2024-05-01T07:00:00"),
            line=1,
            status=Status.REJECTED,
        )
    ]


def test_a_reply_whose_parent_is_not_in_the_file_names_it_by_its_id(
    empty_isso_db: Path,
) -> None:
    insert(empty_isso_db, {"id": 3, "parent": 99})
    [record] = read(empty_isso_db)
    assert isinstance(record, CommentRecord)
    assert record.parent_source_id == "99"  # the loader reports it as not found


def test_a_comment_that_takes_a_deleted_ones_id_is_another_source_id(
    empty_isso_db: Path,
) -> None:
    # SQLite gives a removed last row's id to the next row: in Isso, a comment deleted
    # without replies and a later one can share an id, and importing before and after
    # must not take the later one for the first.
    db = SQLite3(str(empty_isso_db), config.new({"general": {"dbpath": str(empty_isso_db)}}))
    uri = "/products/grinder-aurora/"

    def add(text: str, created: str) -> int:
        comment = {"text": text, "author": "Ana", "email": None, "website": None}
        comment.update({"remote_addr": "192.0.2.0", "mode": 2, "parent": None})
        return int(db.comments.add(uri, {**comment, "created": utc(created).timestamp()})["id"])

    first = add("Spam spam", "2024-06-01T10:00:00")
    [before] = read(empty_isso_db)
    db.comments.delete(first)
    db.threads.new(uri, "Aurora")  # Isso's trigger removed the emptied thread
    assert add("A real question", "2024-06-02T10:00:00") == first
    [after] = read(empty_isso_db)
    assert isinstance(before, CommentRecord) and isinstance(after, CommentRecord)
    assert before.line == after.line == first
    assert before.source_id == sid(first, "2024-06-01T10:00:00")
    assert after.source_id == sid(first, "2024-06-02T10:00:00")


def test_an_old_database_without_the_optional_columns_is_read(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE)")
        con.execute(
            "CREATE TABLE comments (tid, id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT,"
            " modified FLOAT, mode INTEGER, text VARCHAR, author VARCHAR)"
        )
        con.execute("INSERT INTO threads VALUES (1, '/p/mill-2')")
        con.execute("INSERT INTO comments VALUES (1, 1, NULL, 0.5, NULL, 1, 'Old', NULL)")
    con.close()
    assert read(path) == [
        CommentRecord(
            source_id="1@0.5",
            product="mill-2",
            body="Old",
            author_name="Anonymous",
            created_at=datetime(1970, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
            line=1,
        )
    ]


def make_text_file(path: Path) -> None:
    path.write_text("id,text\n1,hello\n")


def make_other_database(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)")
    con.close()


def make_threads_only(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR)")
        con.execute("CREATE TABLE comments (tid, id INTEGER PRIMARY KEY, text VARCHAR)")
    con.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (make_text_file, "not an SQLite database, as Isso's is"),
        (lambda path: path.write_bytes(b""), "not an Isso database: it has no threads"),
        (make_other_database, "not an Isso database: it has no threads and comments tables"),
        (
            make_threads_only,
            "not an Isso database: it lacks comments.author, comments.created, "
            "comments.mode, comments.modified, comments.parent",
        ),
        (lambda path: None, "no such file"),
        (lambda path: path.mkdir(), "no such file"),
    ],
)
def test_a_file_that_is_not_an_isso_database_is_refused_whole(
    tmp_path: Path, make: Callable[[Path], None], message: str
) -> None:
    path = tmp_path / "comments.db"
    make(path)
    with pytest.raises(ImportFileError, match=f"^{re.escape(message)}"):
        read(path)


def test_a_large_database_streams_in_constant_memory(empty_isso_db: Path) -> None:
    # 20,000 comments of 1,000 characters: 20 MB of text; a reader that held the rows
    # (fetchall, a list) would need all of it at once.
    with sqlite3.connect(empty_isso_db) as con:
        con.executemany(
            "INSERT INTO comments (tid, created, mode, remote_addr, text, author, voters) "
            "VALUES (1, ?, 1, '192.0.2.0', ?, ?, x'00')",
            ((1.7e9 + n, f"{n:06d} " + "x" * 993, f"Buyer {n}") for n in range(20_000)),
        )
    con.close()
    tracemalloc.start()
    try:
        count = 0
        last = None
        for record in isso.read(empty_isso_db, Options()):
            count += 1
            last = record
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert isinstance(last, CommentRecord) and last.body.startswith("019999 ")
    assert peak < 1_000_000, f"reading held {peak} bytes"


# ---------------------------------------------------------------- plaudit import --format isso


def run_import(runner: Any, path: Path, *more: str) -> Any:
    return runner.invoke(
        args=["import", "--site", "acme-shop", "--format", "isso", *more, str(path)]
    )


SUMMARY = re.compile(
    r"read (\d+), (?:would import|imported) (\d+)\b.*, duplicates (\d+), refused (\d+)"
)


def summary(output: str) -> tuple[int, ...]:
    """The summary's counts: read, imported, duplicates, refused."""
    match = next(filter(None, map(SUMMARY.fullmatch, output.splitlines())))
    return tuple(int(n) for n in match.groups())


def stats(api: Any) -> dict[str, int]:
    counts: dict[str, int] = api.admin("GET", "/stats").get_json()["comments"]
    return counts


def public_comments(api: Any, product: str) -> list[dict[str, Any]]:
    response = api.client.get(api.public(f"/products/{product}/comments?limit=50"))
    assert response.status_code == 200
    comments: list[dict[str, Any]] = response.get_json()["comments"]
    return comments


def all_comments(app: Flask) -> dict[str, tuple[str, str, str | None, str]]:
    """Every stored comment by Isso id: (product, status, parent's Isso id, body)."""
    with app.app_context():
        rows = db.session.scalars(sa.select(Comment)).all()
        # The Isso id is the source id's part before "@" (the part after is the time).
        source_of = {c.id: str(c.source_id).split("@")[0] for c in rows}
        assert {c.source for c in rows} <= {"isso"}
        return {
            source_of[c.id]: (
                c.product.external_id,
                c.status.value,
                source_of[c.parent_id] if c.parent_id else None,
                c.body,
            )
            for c in rows
        }


def body_of(record: Record) -> str:
    assert isinstance(record, CommentRecord)
    return record.body


REFUSED_LINES = [
    "  line 7: thread URI '/blog/unsere-m%C3%BChle/' gives product id 'unsere-mühle', "
    "which is not 1-128 characters of A-Z a-z 0-9 . _ : -",
    "  line 8: thread URI '/' has no path segment to use as the product id",
    "  line 9: text is longer than 5000 characters (5001)",
    "  line 10: author name is longer than 80 characters (81)",
    "  line 11: no text",
]


def test_plaudit_import_brings_the_isso_threads_in(
    runner: Any, app: Flask, api: Any, isso_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "comments.db"
    shutil.copy(isso_db, path)
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert summary(result.output) == (12, 7, 0, 5)
    assert "read 12, imported 7 (7 comments)" in result.output
    for note in EXPECTED[-4:]:
        assert isinstance(note, Note)
        assert f"note: {note.text}" in lines
    assert [line for line in lines if line.startswith("  line ")] == REFUSED_LINES

    # The refused rows, also as a CSV next to the file, with their lines and reasons.
    with (tmp_path / "comments.db.refused.csv").open(newline="", encoding="utf-8") as handle:
        report = list(csv.reader(handle))
    assert [row[:1] for row in report[1:]] == [["7"], ["8"], ["9"], ["10"], ["11"]]
    assert [row for row in report[1:] if "no text" in row] != []

    stored = all_comments(app)
    assert stored == {
        "1": ("grinder-aurora", "published", None, body_of(EXPECTED[0])),
        "2": ("grinder-aurora", "published", "1", body_of(EXPECTED[1])),
        "3": ("grinder-aurora", "pending", "1", "Stufe 4 works for me."),
        "4": ("kettle-nova", "rejected", None, isso.DELETED_BODY),
        "5": ("kettle-nova", "published", "4", "Please keep it about the kettle."),
        "6": ("grinder-aurora", "published", None, "Caf\u00e9 au lait comes out great."),
        "12": ("kettle-nova", "pending", None, "水开得很快\uff0c很安静。"),
    }
    # The public threads are what Isso showed: published comments, dates and names kept,
    # the answer under the comment it answers.
    grinder = public_comments(api, "grinder-aurora")
    assert [(c["author_name"], c["created_at"]) for c in grinder] == [
        ("Ana García", "2024-03-01T09:15:30.250000Z"),
        ("Jonas Müller", "2024-03-02T10:00:00.000000Z"),
        ("Zoë", "2024-05-01T07:00:00.000000Z"),
    ]
    assert grinder[1]["parent_id"] == grinder[0]["id"]
    kettle = public_comments(api, "kettle-nova")
    assert [c["body"] for c in kettle] == ["Please keep it about the kettle."]
    # The counters say what was imported.
    assert stats(api) == {"published": 4, "pending": 2, "rejected": 1, "spam": 0, "total": 7}

    # The same file again adds nothing.
    again = run_import(runner, path)
    assert again.exit_code == 0, again.output
    assert summary(again.output) == (12, 0, 7, 5)
    assert all_comments(app) == stored
    assert stats(api) == {"published": 4, "pending": 2, "rejected": 1, "spam": 0, "total": 7}


def test_a_dry_run_reports_the_isso_import_and_writes_nothing(
    runner: Any, app: Flask, api: Any, isso_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "comments.db"
    shutil.copy(isso_db, path)
    result = run_import(runner, path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert summary(result.output) == (12, 7, 0, 5)
    assert "would import 7" in result.output
    assert [line for line in result.output.splitlines() if line.startswith("  line ")] == (
        REFUSED_LINES
    )
    assert all_comments(app) == {}
    assert stats(api)["total"] == 0


def test_the_isso_import_can_hold_everything_for_review(
    runner: Any, app: Flask, api: Any, isso_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "comments.db"
    shutil.copy(isso_db, path)
    result = run_import(runner, path, "--status", "pending")
    assert result.exit_code == 0, result.output
    assert {status for _, status, _, _ in all_comments(app).values()} <= {"pending", "rejected"}
    assert public_comments(api, "grinder-aurora") == []
    assert stats(api)["published"] == 0


def test_a_thread_pattern_given_to_plaudit_import_picks_the_products(
    runner: Any, app: Flask, site: Any, isso_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "comments.db"
    shutil.copy(isso_db, path)
    bad = run_import(runner, path, "--thread-pattern", "/products/[a-z-]+")
    assert bad.exit_code != 0
    assert "must have exactly one group" in bad.output
    assert "Nothing was imported" in bad.output
    assert all_comments(app) == {}
    result = run_import(runner, path, "--thread-pattern", r"^/(?:products|blog)/([a-z]+)")
    assert result.exit_code == 0, result.output
    products = {product for product, _, _, _ in all_comments(app).values()}
    assert products == {"grinder", "kettle", "unsere"}


def test_a_file_that_is_not_an_isso_database_imports_nothing(
    runner: Any, app: Flask, site: Any, tmp_path: Path
) -> None:
    path = tmp_path / "comments.db"
    path.write_text("tid,id,text\n1,1,hello\n")
    result = run_import(runner, path)
    assert result.exit_code != 0
    assert f"{path}: not an SQLite database" in result.output
    assert all_comments(app) == {}
