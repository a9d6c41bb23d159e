"""The Judge.me reader over the sample exports in tests/fixtures/import: every record
exactly, in file order (no database needed)."""

from __future__ import annotations

import shutil
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plaudit_server.extensions import db
from plaudit_server.models import STORE, Review, Status
from plaudit_server.transfer.csvfiles import stable_id
from plaudit_server.transfer.formats import judgeme
from plaudit_server.transfer.records import (
    ImportFileError,
    Note,
    Options,
    Record,
    Refused,
    ReviewRecord,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"


def read(name: str, options: Options | None = None) -> list[Record]:
    return list(judgeme.read(FIXTURES / name, options or Options()))


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


CAMILLE = ReviewRecord(
    source_id=stable_id(
        "jm_",
        "cast-iron-pan-26cm",
        "camille.rousseau@example.com",
        "2025-03-02 10:12:00 UTC",
        "Sears a steak beautifully and goes from hob to oven. Seasoning held up after "
        "a month of daily use.",
    ),
    product="cast-iron-pan-26cm",
    rating=5,
    body="Sears a steak beautifully and goes from hob to oven. Seasoning held up after "
    "a month of daily use.",
    author_name="Camille Rousseau",
    created_at=when("2025-03-02 10:12:00"),
    line=2,
    title="Best pan I own",
    author_email="camille.rousseau@example.com",
    verified_buyer=True,  # source "email": written from Judge.me's review request
    status=Status.PUBLISHED,
    reply_body="Thank you Camille! Enjoy the steaks.",
    reply_created_at=when("2025-03-04 08:30:00"),
    checked=True,  # the reader applied the API's text rules: the loader does not again
)


def test_the_sample_export_record_by_record() -> None:
    records = read("judgeme.csv")

    def review(line: int, **fields: object) -> ReviewRecord:
        base = {
            "title": None,
            "author_email": None,
            "verified_buyer": False,
            "status": Status.PUBLISHED,
            "checked": True,
        }
        base.update(fields)
        email = base["author_email"]
        base["source_id"] = stable_id(
            "jm_",
            str(base["product"]),
            str(email).lower() if email else str(base["author_name"]),
            str(base.pop("raw_date")),
            str(base["body"]),
        )
        return ReviewRecord(line=line, **base)  # type: ignore[arg-type]

    assert records == [
        CAMILLE,
        review(
            3,
            product="linen-apron",
            rating=3,
            body="Nice apron, the straps are a bit short for me.",
            author_name="Marc D.",
            author_email="marc@example.org",
            created_at=when("2025-01-10 17:45:02"),
            raw_date="2025-01-10 17:45:02 UTC",
        ),
        review(
            4,
            product="beeswax-wraps-3pack",
            rating=4,
            title="Works, with caveats",
            body="Pros:\n- keeps bread fresh for days\n- washable",
            author_name="Priya N.",
            author_email="priya@example.net",
            verified_buyer=True,
            created_at=when("2024-11-28 09:00:00"),
            raw_date="2024-11-28 09:00:00 UTC",
        ),
        review(
            7,
            product="cast-iron-pan-26cm",
            rating=4,
            title="Not yet curated",
            body="Arrived quickly, looks good so far.",
            author_name="Tom",
            author_email="tom@example.com",
            status=Status.PENDING,
            created_at=when("2025-04-18 12:00:00"),
            raw_date="2025-04-18 12:00:00 UTC",
        ),
        review(
            8,
            product="linen-apron",
            rating=5,
            title="CHEAP WATCHES",
            body="Buy cheap watches at example.biz now!!!",
            author_name="Bot",
            author_email="bot@example.biz",
            status=Status.SPAM,
            created_at=when("2025-04-19 03:14:00"),
            raw_date="2025-04-19 03:14:00 UTC",
        ),
        review(
            9,
            product=STORE,  # neither product column: a shop review
            rating=5,
            title="Lovely shop",
            body="Fast shipping and a handwritten note in the parcel.",
            author_name="Hanna Berg",
            author_email="hanna@example.se",
            created_at=when("2025-02-14 19:20:00"),
            raw_date="2025-02-14 19:20:00 UTC",
        ),
        Refused(10, "rating 0 is not 1-5"),
        Refused(11, "rating 6 is not 1-5"),
        Refused(12, "no body"),
        Refused(13, "review_date 'last Tuesday' is not a date (YYYY-MM-DD or MM/DD/YYYY)"),
        Refused(
            14,
            "product_handle 'summer sale!' is not a product id (1-128 of A-Z a-z 0-9 . _ : -)",
        ),
        Refused(15, "broken quoting: a closing quote is followed by other characters"),
        Refused(16, "body is 5319 characters (at most 5000)"),
        Refused(17, "17 columns, expected 15"),
        Refused(18, "5 columns, expected 15"),
        review(
            19,
            product="linen-apron",
            rating=5,
            body="Lovely linen, softens with every wash.",
            author_name="Nadia",  # "nadia at example dot com" is dropped, not refused
            created_at=when("2025-05-09 10:00:00"),
            raw_date="2025-05-09 10:00:00 UTC",
        ),
        review(
            20,
            product="beeswax-wraps-3pack",
            rating=4,
            body="Does what it says.",
            author_name="Anonymous",  # no name; Judge.me's placeholder address dropped
            created_at=when("2025-05-10 10:00:00"),
            raw_date="2025-05-10 10:00:00 UTC",
        ),
        review(
            21,
            product="cast-iron-pan-26cm",
            rating=5,
            title="Très bien",  # NFC: the file has "e" + combining grave
            body="Zoë loves it \U0001f373",
            author_name="Zoë M.",
            author_email="ZOE@Example.com",
            verified_buyer=True,
            created_at=when("2025-06-01 14:00:00"),  # 10:00 at -04:00
            raw_date="2025-06-01T10:00:00-04:00",
        ),
        Refused(22, "no product_handle (the row has a product_id: try --product-field product_id)"),
        # The same row again: the same source id, so the loader counts a duplicate.
        ReviewRecord(**{**CAMILLE.__dict__, "line": 23}),
        Refused(24, "a quote opened here is never closed"),
        review(
            25,
            product="linen-apron",
            rating=5,
            title="Second apron",
            body="Bought a second one for my partner.",
            author_name="Marc D.",
            author_email="marc@example.org",
            verified_buyer=True,
            created_at=when("2025-06-04 10:00:00"),
            raw_date="2025-06-04 10:00:00 UTC",
        ),
        review(
            26,
            product="cast-iron-pan-26cm",
            rating=2,
            title="Rusted",
            body="Rust spots after the first wash; support replaced it quickly though.",
            author_name="Sam Okafor",
            author_email="sam@example.com",
            verified_buyer=True,
            created_at=when("2025-06-05 10:00:00"),
            raw_date="2025-06-05 10:00:00 UTC",
            reply_body="Sorry about that, Sam: glad the replacement is fine.",
            reply_created_at=when("2025-06-06 09:00:00"),
        ),
        review(
            27,
            product="linen-apron",
            rating=5,
            title="Well made",
            body="Solid and well made.",
            # 90 characters in the file: shortened to 80, not refused.
            author_name="Maximiliane Alexandra Henriette von und zu "
            "Hohenberg-Lichtenstein-Waldburg-Zeil\u2026",
            author_email="max@example.at",
            created_at=when("2025-06-07 10:00:00"),
            raw_date="2025-06-07 10:00:00 UTC",
        ),
        Note("author names longer than 80 characters were shortened (1)"),
        Note("e-mail addresses that are not valid were left out (1)"),
    ]


def test_ip_addresses_pictures_and_locations_are_not_kept() -> None:
    stored = repr(read("judgeme.csv"))
    for value in ("203.0.113.7", "judgeme.imgix.net", "Lyon"):
        assert value not in stored


def test_bom_crlf_product_ids_and_the_verified_and_hidden_columns() -> None:
    records = read("judgeme_bom.csv", Options(product_field="product_id"))
    summary = [
        (r.line, r.product, r.title, r.verified_buyer, r.status, r.reply_body)
        if isinstance(r, ReviewRecord)
        else r
        for r in records
    ]
    assert summary == [
        (2, "8123456789", "Perfect sweater", True, Status.PUBLISHED, None),  # "buyer"
        (3, "8123456789", "Great fit", False, Status.PUBLISHED, "Danke Jonas!"),  # "email"
        (4, "8123456790", "Itchy", False, Status.PENDING, None),  # hidden: true
        (5, "8123456790", None, True, Status.PUBLISHED, None),  # "verified_buyer"
        Refused(
            6, "no product_id (the row has a product_handle: try --product-field product_handle)"
        ),
        (7, "8123456791", "Gift", True, Status.PUBLISHED, None),
    ]
    first = records[0]
    assert isinstance(first, ReviewRecord)
    assert first.created_at == datetime(2025, 8, 14, 11, 5, tzinfo=UTC)
    assert records[3].author_name == "Anonymous"  # type: ignore[union-attr]


def test_windows_1252_export() -> None:
    records = read("judgeme_cp1252.csv")
    reviews = [r for r in records if isinstance(r, ReviewRecord)]
    assert [(r.author_name, r.body) for r in reviews] == [
        ("Hélène Lefèvre", "Très bonne qualité, livraison rapide. Le “vrai” lin!"),
        ("Jürgen Müller", "Größe passt, Farbe wie abgebildet. Preis 29 € ist fair."),
        ("Al", "Nothing special to say."),
        ("Begoña", "Llegó en dos días… perfecto."),
    ]
    assert reviews[3].reply_body == "¡Gracias Begoña!"
    assert records[-1] == Note("the file is not UTF-8: read as Windows-1252 (3 lines)")


def test_ratings_out_of_ten_are_mapped_and_said() -> None:
    records = read("judgeme_out_of_10.csv")
    assert [(r.line, r.rating) if isinstance(r, ReviewRecord) else r for r in records] == [
        (2, 5),  # 10
        (3, 5),  # 9
        (4, 4),  # 8
        (5, 4),  # 7
        (6, 5),  # 10
        (7, 3),  # 6
        (8, 2),  # 3
        (9, 1),  # 1
        Refused(10, "rating 11 is not 0-10"),
        (11, 4),  # 8
        Note("ratings out of 10 were mapped to 1-5 stars (9 rows)"),
    ]


def test_an_unknown_curated_value_holds_the_review_and_is_said(tmp_path: Path) -> None:
    path = tmp_path / "curated.csv"
    path.write_text(
        "body,rating,review_date,curated,product_handle\n"
        "Fine,4,2025-01-01,maybe,mug\n"
        "Fine too,4,2025-01-02,OK,mug\n",
        encoding="utf-8",
    )
    records = list(judgeme.read(path, Options()))
    assert [r.status for r in records if isinstance(r, ReviewRecord)] == [
        Status.PENDING,
        Status.PUBLISHED,
    ]
    assert records[-1] == Note(
        "1 review with a curated value other than ok, not-yet or spam was held as pending"
    )


def test_not_a_judgeme_file() -> None:
    with pytest.raises(
        ImportFileError,
        match=r"^the header row lacks the columns body, rating, review_date, product_handle: "
        r"not Judge\.me's review export$",
    ):
        read("yotpo.csv")


def test_the_product_column_must_be_there(tmp_path: Path) -> None:
    path = tmp_path / "noid.csv"
    path.write_text("body,rating,review_date,product_handle\nx,5,2025-01-01,mug\n")
    with pytest.raises(ImportFileError, match=r"lacks the column product_id: not Judge\.me's"):
        list(judgeme.read(path, Options(product_field="product_id")))
    with pytest.raises(ImportFileError, match="must be product_handle or product_id"):
        list(judgeme.read(path, Options(product_field="sku")))


def test_reading_again_gives_the_same_ids() -> None:
    first = [r.source_id for r in read("judgeme.csv") if isinstance(r, ReviewRecord)]
    again = [r.source_id for r in read("judgeme.csv") if isinstance(r, ReviewRecord)]
    assert first == again
    assert len(set(first)) == len(first) - 1  # line 23 repeats line 2


def test_a_large_export_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("title,body,rating,review_date,curated,reviewer_name,product_handle\n")
        for n in range(30_000):
            handle.write(
                f'T{n},"Body {n}, fine",{n % 5 + 1},2025-01-01 10:00:00 UTC,ok,N{n},p-{n % 50}\n'
            )
    tracemalloc.start()
    try:
        count = 0
        for record in judgeme.read(path, Options()):
            assert isinstance(record, ReviewRecord)
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert peak < 2 * 1024 * 1024  # the file is 2.1 MB; nothing grows with it


# --- through `plaudit import`, on both databases ------------------------------------


def summaries_of(records: list[Record]) -> dict[str, dict[str, object]]:
    """The public summary every product should have after importing ``records``:
    computed here from what the reader gave, published reviews only, duplicates once."""
    seen: set[str] = set()
    ratings: dict[str, list[int]] = {}
    for record in records:
        if not isinstance(record, ReviewRecord) or record.source_id in seen:
            continue
        seen.add(record.source_id)
        if record.status is Status.PUBLISHED:
            ratings.setdefault(record.product, []).append(record.rating)
    return {
        product: {
            "count": len(values),
            "average": round(sum(values) / len(values), 2),
            "histogram": {str(n): values.count(n) for n in range(1, 6)},
        }
        for product, values in ratings.items()
    }


def public_summary(api: Any, product: str) -> dict[str, object]:
    path = "/store/reviews" if product == STORE else f"/products/{product}/reviews"
    response = api.client.get(api.public(path))
    assert response.status_code == 200
    return response.get_json()["summary"]  # type: ignore[no-any-return]


def import_file(app: Flask, slug: str, path: Path, *args: str) -> Any:
    return app.test_cli_runner().invoke(
        args=["import", "--site", slug, "--format", "judgeme", *args, str(path)]
    )


def statuses(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Review.status, sa.func.count()).group_by(Review.status)
        ).all()
    return {str(getattr(status, "value", status)): count for status, count in rows}


def test_import_counts_summaries_and_a_second_run_adds_nothing(
    api: Any, app: Flask, tmp_path: Path
) -> None:
    source = tmp_path / "judgeme.csv"
    shutil.copy(FIXTURES / "judgeme.csv", source)
    result = import_file(app, api.site.slug, source)
    assert result.exit_code == 0, result.output
    assert "read 24, imported 12 (12 reviews), duplicates 1, refused 11" in result.output
    assert "note: author names longer than 80 characters were shortened (1)" in result.output
    assert "note: e-mail addresses that are not valid were left out (1)" in result.output
    for line, reason in [
        (10, "rating 0 is not 1-5"),
        (16, "body is 5319 characters (at most 5000)"),
        (22, "no product_handle (the row has a product_id: try --product-field product_id)"),
        (24, "a quote opened here is never closed"),
    ]:
        assert f"line {line}: {reason}" in result.output
    report = source.with_name("judgeme.csv.refused.csv").read_text(encoding="utf-8")
    assert report.splitlines()[0] == "line,source_id,reason"
    assert [row.split(",", 1)[0] for row in report.splitlines()[1:]] == [
        "10", "11", "12", "13", "14", "15", "16", "17", "18", "22", "24"
    ]  # fmt: skip

    expected = summaries_of(read("judgeme.csv"))
    assert set(expected) == {"cast-iron-pan-26cm", "linen-apron", "beeswax-wraps-3pack", STORE}
    for product, summary in expected.items():
        assert public_summary(api, product) == summary, product
    assert statuses(app) == {"published": 10, "pending": 1, "spam": 1}

    # The shop's reply, the verified flag and the date came along.
    page = api.client.get(api.public("/products/cast-iron-pan-26cm/reviews")).get_json()
    camille = next(r for r in page["reviews"] if r["author_name"] == "Camille Rousseau")
    assert camille["verified_buyer"] is True
    assert camille["created_at"] == "2025-03-02T10:12:00.000000Z"
    assert camille["reply"] == {
        "body": "Thank you Camille! Enjoy the steaks.",
        "created_at": "2025-03-04T08:30:00.000000Z",
    }

    again = import_file(app, api.site.slug, source)
    assert again.exit_code == 0, again.output
    assert "read 24, imported 0" in again.output
    assert "duplicates 13, refused 11" in again.output
    assert statuses(app) == {"published": 10, "pending": 1, "spam": 1}
    for product, summary in expected.items():
        assert public_summary(api, product) == summary, product


def test_dry_run_strict_and_status_pending(api: Any, app: Flask, tmp_path: Path) -> None:
    source = tmp_path / "judgeme.csv"
    shutil.copy(FIXTURES / "judgeme.csv", source)
    dry = import_file(app, api.site.slug, source, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would import 12" in dry.output and "refused 11" in dry.output
    strict = import_file(app, api.site.slug, source, "--strict")
    assert strict.exit_code != 0 and "nothing was written" in strict.output
    assert statuses(app) == {}

    held = import_file(app, api.site.slug, source, "--status", "pending")
    assert held.exit_code == 0, held.output
    assert statuses(app) == {"pending": 12}  # the loader holds spam as pending too
    assert public_summary(api, "cast-iron-pan-26cm")["count"] == 0


def test_windows_1252_and_ratings_out_of_ten_are_said(api: Any, app: Flask, tmp_path: Path) -> None:
    for name in ("judgeme_cp1252.csv", "judgeme_out_of_10.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    latin = import_file(app, api.site.slug, tmp_path / "judgeme_cp1252.csv")
    assert latin.exit_code == 0, latin.output
    assert "imported 4 (4 reviews), duplicates 0, refused 0" in latin.output
    assert "note: the file is not UTF-8: read as Windows-1252 (3 lines)" in latin.output
    page = api.client.get(api.public("/products/linen-apron/reviews")).get_json()
    assert {r["author_name"] for r in page["reviews"]} == {"Hélène Lefèvre", "Jürgen Müller", "Al"}

    tens = import_file(app, api.site.slug, tmp_path / "judgeme_out_of_10.csv")
    assert tens.exit_code == 0, tens.output
    assert "note: ratings out of 10 were mapped to 1-5 stars (9 rows)" in tens.output
    assert "line 10: rating 11 is not 0-10" in tens.output
    assert (
        public_summary(api, "chef-knife-20cm")
        == summaries_of(read("judgeme_out_of_10.csv"))["chef-knife-20cm"]
    )


def test_product_ids_instead_of_handles(api: Any, app: Flask, tmp_path: Path) -> None:
    source = tmp_path / "judgeme_bom.csv"
    shutil.copy(FIXTURES / "judgeme_bom.csv", source)
    result = import_file(app, api.site.slug, source, "--product-field", "product_id")
    assert result.exit_code == 0, result.output
    assert "imported 5 (5 reviews), duplicates 0, refused 1" in result.output
    expected = summaries_of(read("judgeme_bom.csv", Options(product_field="product_id")))
    assert public_summary(api, "8123456789") == expected["8123456789"]
    assert public_summary(api, "8123456789")["count"] == 2
