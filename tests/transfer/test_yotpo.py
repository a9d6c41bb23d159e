"""The Yotpo reader over the sample exports in tests/fixtures/import (the moderation
export's title-case header, and the import template's snake case with semicolons)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from plaudit_server.models import STORE, Status
from plaudit_server.transfer.csvfiles import stable_id
from plaudit_server.transfer.formats import yotpo
from plaudit_server.transfer.records import (
    ImportFileError,
    Note,
    Options,
    Record,
    Refused,
    ReviewRecord,
)

from .test_judgeme import public_summary, statuses, summaries_of

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"


def read(name: str) -> list[Record]:
    return list(yotpo.read(FIXTURES / name, Options()))


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def review(line: int, source_id: str, **fields: object) -> ReviewRecord:
    base: dict[str, object] = {"title": None, "author_email": None, "verified_buyer": False}
    base.update(fields)
    return ReviewRecord(source_id=source_id, line=line, **base)  # type: ignore[arg-type]


def test_the_moderation_export_record_by_record() -> None:
    assert read("yotpo.csv") == [
        review(
            2,
            "301456789",
            product="SKU-TEA-001",
            rating=5,
            title="Fresh and grassy",
            body="My daily tea now. Smells like a spring meadow.",
            author_name="Akira T.",
            author_email="akira@example.jp",
            created_at=when("2025-02-10 08:15:00"),
            verified_buyer=True,
            reply_body="Thank you Akira!",
            reply_created_at=when("2025-02-11 09:00:00"),
            helpful_count=12,
            unhelpful_count=1,
        ),
        review(
            3,
            "301456790",
            product="SKU-TEA-002",
            rating=2,
            title="Too much bergamot",
            body="Strong, a bit perfumy for me.",
            author_name="Olivia",
            author_email="olivia@example.co.uk",
            created_at=when("2025-02-12 14:00:00"),
            helpful_count=3,
            unhelpful_count=4,
        ),
        review(
            4,
            "301456791",
            product="SKU-TEA-001",
            rating=4,
            title="Waiting",
            body="Ordered twice, good both times.",
            author_name="Ben",
            author_email="ben@example.com",
            created_at=when("2025-03-15 00:00:00"),  # 03/15/2025
            verified_buyer=True,
            status=Status.PENDING,  # Published: false
        ),
        review(
            5,
            "301456792",
            product=STORE,  # a site review
            rating=5,
            title="Great service",
            body="Quick replies from the team and fast delivery.",
            author_name="Carla",
            author_email="carla@example.it",
            created_at=when("2025-03-20 00:00:00"),
            verified_buyer=True,
        ),
        review(
            6,
            "301456793",
            product="SKU-TEA-003",
            rating=3,
            title="Private reply",
            body="Tin was dented on arrival.",
            author_name="Dev",
            author_email="dev@example.in",
            created_at=when("2025-03-22 00:00:00"),
            # Its comment is not public: not imported as the shop's public reply.
        ),
        Refused(7, "rating 0 is not 1-5", "301456794"),
        Refused(8, "rating 6 is not 1-5", "301456795"),
        Refused(9, "no body", "301456796"),
        Refused(10, "date '31/12/2024' is not a date (YYYY-MM-DD or MM/DD/YYYY)", "301456797"),
        Refused(
            11,
            "product id 'SKU TEA 004' is not a product id (1-128 of A-Z a-z 0-9 . _ : -)",
            "301456798",
        ),
        Refused(12, "broken quoting: a closing quote is followed by other characters"),
        Refused(13, "title is 121 characters (at most 120)", "301456800"),
        # The id of line 3 again: the loader counts it as a duplicate.
        review(
            14,
            "301456790",
            product="SKU-TEA-002",
            rating=4,
            title="Dupe",
            body="Same id as the Earl Grey one.",
            author_name="Leo",
            created_at=when("2025-03-30 00:00:00"),
        ),
        review(
            15,
            "301456802",
            product="SKU-TEA-003",
            rating=4,
            title='Quoted "name"',
            body='Comma, quote "and" newline\ninside.',
            author_name='Mia "Tea" K.',
            author_email="mia@example.com",
            created_at=when("2025-04-01 08:00:00"),  # 10:00 at +02:00
            verified_buyer=True,
        ),
        Refused(17, "votes up 'many' is not a count", "301456803"),
    ]


def test_the_import_template_style() -> None:
    def source(product: str, email: str, date: str, body: str) -> str:
        return stable_id("yotpo_", product, email, date, body)

    assert read("yotpo_template.csv") == [
        review(
            2,
            source("mug-blue", "rosa@example.com", "01/20/2025", "Holds heat; glaze is beautiful."),
            product="mug-blue",
            rating=5,
            title="Lovely mug",
            body="Holds heat; glaze is beautiful.",
            author_name="Rosa",
            author_email="rosa@example.com",
            created_at=when("2025-01-20 00:00:00"),
            verified_buyer=True,  # user_type verified_buyer
            reply_body="Thanks Rosa!",
            reply_created_at=when("2025-01-21 00:00:00"),
        ),
        review(
            3,
            source("mug-blue", "sven@example.se", "01/22/2025", "Arrived chipped; replaced fast."),
            product="mug-blue",
            rating=3,
            title="Chipped",
            body="Arrived chipped; replaced fast.",
            author_name="Sven",
            author_email="sven@example.se",
            created_at=when("2025-01-22 00:00:00"),
            status=Status.PENDING,  # verified_reviewer is not a verified buyer
        ),
        review(
            4,
            source("mug-green", "Tariq", "01/23/2025", "Visit my site for free mugs"),
            product="mug-green",
            rating=5,
            title="Spammy",
            body="Visit my site for free mugs",
            author_name="Tariq",
            created_at=when("2025-01-23 00:00:00"),
            status=Status.SPAM,
        ),
        review(
            5,
            source("mug-green", "uma@example.com", "01/24/2025", "Deleted by the shop."),
            product="mug-green",
            rating=1,
            title="Gone",
            body="Deleted by the shop.",
            author_name="Uma",
            author_email="uma@example.com",
            created_at=when("2025-01-24 00:00:00"),
            verified_buyer=True,
            status=Status.REJECTED,  # deleted: true wins over published
        ),
        review(
            6,
            source("mug-green", "vic@example.com", "01/25/2025", "Off topic text."),
            product="mug-green",
            rating=4,
            title="Rejected",
            body="Off topic text.",
            author_name="Vic",
            author_email="vic@example.com",
            created_at=when("2025-01-25 00:00:00"),
            status=Status.REJECTED,
        ),
        Refused(7, "status 'maybe' is not published, pending, rejected, deleted or spam"),
        review(
            8,
            source("mug-red", "xavi@example.es", "2025-01-27", "Color precioso."),
            product="mug-red",
            rating=5,
            title="Rojo",
            body="Color precioso.",
            author_name="Xavi",
            author_email="xavi@example.es",
            created_at=when("2025-01-27 00:00:00"),
            verified_buyer=True,
        ),
    ]


def test_scores_out_of_a_hundred(tmp_path: Path) -> None:
    path = tmp_path / "hundred.csv"
    path.write_text(
        "Review ID,Product ID,Review Content,Review Score,Date\n"
        "1,p1,Great,100,2025-01-01\n"
        "2,p1,Good,80,2025-01-02\n"
        "3,p1,Meh,50,2025-01-03\n"
        "4,p1,Bad,10,2025-01-04\n",
        encoding="utf-8",
    )
    records = list(yotpo.read(path, Options()))
    assert [r.rating for r in records if isinstance(r, ReviewRecord)] == [5, 4, 3, 1]
    assert records[-1] == Note("ratings out of 100 were mapped to 1-5 stars (4 rows)")


def test_published_as_words_or_booleans(tmp_path: Path) -> None:
    path = tmp_path / "published.csv"
    path.write_text(
        "Review ID,Product ID,Review Content,Review Score,Date,Published\n"
        "1,p1,a,5,2025-01-01,Published\n"
        "2,p1,b,5,2025-01-01,Unpublished\n"
        "3,p1,c,5,2025-01-01,No\n"
        "4,p1,d,5,2025-01-01,\n"
        "5,p1,e,5,2025-01-01,perhaps\n",
        encoding="utf-8",
    )
    assert [
        r.status if isinstance(r, ReviewRecord) else r for r in yotpo.read(path, Options())
    ] == [
        Status.PUBLISHED,
        Status.PENDING,
        Status.PENDING,
        Status.PENDING,  # an empty cell says no
        Refused(6, "published 'perhaps' is not true or false", "5"),
    ]


def test_sku_when_there_is_no_product_id_column(tmp_path: Path) -> None:
    path = tmp_path / "sku.csv"
    path.write_text("sku,content,score,created_at\nTEA-9,Nice,4,2025-01-01\n")
    [record] = list(yotpo.read(path, Options()))
    assert isinstance(record, ReviewRecord)
    assert record.product == "TEA-9"
    assert record.author_name == "Anonymous"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Review ID,Review Content,Review Score,Date", "lacks the column product_id or sku"),
        (
            "title,body,rating,review_date,product_handle",
            "^the header row lacks the columns review_content, review_score, date, "
            "product_id or sku: not Yotpo's reviews export$",
        ),
    ],
)
def test_not_a_yotpo_file(tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "other.csv"
    path.write_text(header + "\n")
    with pytest.raises(ImportFileError, match=message):
        list(yotpo.read(path, Options()))


def test_a_judgeme_file_is_not_read_as_yotpo() -> None:
    with pytest.raises(ImportFileError, match="lacks the columns"):
        read("judgeme.csv")


# --- through `plaudit import`, on both databases ------------------------------------


def import_file(app: Flask, slug: str, path: Path, *args: str) -> Any:
    return app.test_cli_runner().invoke(
        args=["import", "--site", slug, "--format", "yotpo", *args, str(path)]
    )


def test_import_keeps_votes_replies_and_statuses_and_a_second_run_adds_nothing(
    api: Any, app: Flask, tmp_path: Path
) -> None:
    source = tmp_path / "yotpo.csv"
    shutil.copy(FIXTURES / "yotpo.csv", source)
    result = import_file(app, api.site.slug, source)
    assert result.exit_code == 0, result.output
    assert "read 15, imported 6 (6 reviews), duplicates 1, refused 8" in result.output
    assert "line 10: date '31/12/2024' is not a date (YYYY-MM-DD or MM/DD/YYYY)" in result.output
    assert "line 12: broken quoting: a closing quote is followed by other characters" in (
        result.output
    )
    report = source.with_name("yotpo.csv.refused.csv").read_text(encoding="utf-8")
    assert "7,301456794,rating 0 is not 1-5" in report.splitlines()

    expected = summaries_of(read("yotpo.csv"))
    assert set(expected) == {"SKU-TEA-001", "SKU-TEA-002", "SKU-TEA-003", STORE}
    for product, summary in expected.items():
        assert public_summary(api, product) == summary, product
    assert statuses(app) == {"published": 5, "pending": 1}

    page = api.client.get(api.public("/products/SKU-TEA-001/reviews")).get_json()
    [akira] = page["reviews"]
    assert (akira["helpful_count"], akira["unhelpful_count"]) == (12, 1)
    assert akira["verified_buyer"] is True
    assert akira["reply"] == {
        "body": "Thank you Akira!",
        "created_at": "2025-02-11T09:00:00.000000Z",
    }
    private = api.client.get(api.public("/products/SKU-TEA-003/reviews")).get_json()
    assert [r["reply"] for r in private["reviews"]] == [None, None]

    again = import_file(app, api.site.slug, source)
    assert again.exit_code == 0, again.output
    assert "read 15, imported 0" in again.output
    assert "duplicates 7, refused 8" in again.output
    assert statuses(app) == {"published": 5, "pending": 1}


def test_the_template_style_file_imports_with_its_statuses(
    api: Any, app: Flask, tmp_path: Path
) -> None:
    source = tmp_path / "yotpo_template.csv"
    shutil.copy(FIXTURES / "yotpo_template.csv", source)
    result = import_file(app, api.site.slug, source)
    assert result.exit_code == 0, result.output
    assert "imported 6 (6 reviews), duplicates 0, refused 1" in result.output
    assert statuses(app) == {"published": 2, "pending": 1, "spam": 1, "rejected": 2}
    for product, summary in summaries_of(read("yotpo_template.csv")).items():
        assert public_summary(api, product) == summary, product


def test_a_judgeme_file_given_as_yotpo_imports_nothing(
    api: Any, app: Flask, tmp_path: Path
) -> None:
    source = tmp_path / "judgeme.csv"
    shutil.copy(FIXTURES / "judgeme.csv", source)
    result = import_file(app, api.site.slug, source)
    assert result.exit_code != 0
    assert (
        "the header row lacks the columns review_content, review_score, date: "
        "not Yotpo's reviews export. Nothing was imported." in result.output
    )
    assert "Nothing was imported" in result.output
    assert statuses(app) == {}
