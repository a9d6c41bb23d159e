"""The shared CSV reading: encodings, broken quoting, absurd sizes, headers, streaming,
and the cell rules (text, dates, ratings) the CSV importers share."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plaudit_server.transfer import csvfiles
from plaudit_server.transfer.csvfiles import Columns, Row, RowError
from plaudit_server.transfer.records import ImportFileError, Note, Refused

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
COLUMNS = Columns({"title": ("review_title",), "body": (), "rating": ()}, ("body", "rating"))


def read(path: Path, columns: Columns = COLUMNS) -> list[Row | Refused | Note]:
    return list(csvfiles.read_rows(path, columns))


def write(tmp_path: Path, data: bytes, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_bom_crlf_header_spellings_and_multiline_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b"\xef\xbb\xbf Review Title ,BODY, Rating \r\n"
        b'Hi,"two\r\nlines",5\r\n'
        b"\r\n"
        b'"a ""quoted"" one","x, y",4\r\n',
    )
    assert read(path) == [
        Row(2, {"title": "Hi", "body": "two\r\nlines", "rating": "5"}),
        Row(5, {"title": 'a "quoted" one', "body": "x, y", "rating": "4"}),
    ]


def test_unknown_columns_are_left_out_and_missing_ones_read_as_empty(tmp_path: Path) -> None:
    path = write(tmp_path, b"body,rating,ip_address\nok,5,203.0.113.9\n")
    [row] = read(path)
    assert isinstance(row, Row)
    assert row.cells == {"body": "ok", "rating": "5"}
    assert row.get("title") == ""


def test_an_unterminated_quote_refuses_its_line_only(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b'title,body,rating\na,"never closed,1\nb,fine,2\nc,"also ""fine""",3\nd,last,4\n',
    )
    assert read(path) == [
        Refused(2, "a quote opened here is never closed"),
        Row(3, {"title": "b", "body": "fine", "rating": "2"}),
        Row(4, {"title": "c", "body": 'also "fine"', "rating": "3"}),
        Row(5, {"title": "d", "body": "last", "rating": "4"}),
    ]


def test_a_stray_quote_that_joins_rows_is_refused_and_the_rows_after_it_read(
    tmp_path: Path,
) -> None:
    # Line 2's stray quote pairs with the one on line 4: lines 2-4 parse as one record
    # of four cells; only line 2 is refused, and lines 3 and 4 are read again (line 4
    # has a quote that never closes). Had the record had three cells, it would be valid
    # CSV (a field over three lines) and read as such: nothing can tell them apart.
    path = write(
        tmp_path,
        b'title,body,rating\na,"stray,1\nb,plain,2\nc,tail",3,extra\nd,last,4\n',
    )
    assert read(path) == [
        Refused(2, "4 columns, expected 3 (a quote opened here is probably never closed)"),
        Row(3, {"title": "b", "body": "plain", "rating": "2"}),
        Refused(4, "a quote opened here is never closed"),
        Row(5, {"title": "d", "body": "last", "rating": "4"}),
    ]


def test_text_after_a_closing_quote_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, b'title,body,rating\na,"quoted"tail,1\nb,ok,2\n')
    assert read(path) == [
        Refused(2, "broken quoting: a closing quote is followed by other characters"),
        Row(3, {"title": "b", "body": "ok", "rating": "2"}),
    ]


def test_wrong_number_of_cells(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b"title,body,rating\na,b\na,b,1,extra\na,b,2,,\na,b,3\n",
    )
    assert read(path) == [
        Refused(2, "2 columns, expected 3"),
        Refused(3, "4 columns, expected 3"),
        Row(4, {"title": "a", "body": "b", "rating": "2"}),  # empty cells after the end
        Row(5, {"title": "a", "body": "b", "rating": "3"}),
    ]


def test_windows_1252_file_is_read_and_said(tmp_path: Path) -> None:
    data = "title,body,rating\nTrès,“Grüße” \u2013 5 €,5\nplain,ascii,4\n".encode("cp1252")
    items = read(write(tmp_path, data))
    assert items == [
        Row(2, {"title": "Très", "body": "“Grüße” \u2013 5 €", "rating": "5"}),
        Row(3, {"title": "plain", "body": "ascii", "rating": "4"}),
        Note("the file is not UTF-8: read as Windows-1252 (1 line)"),
    ]


def test_mixed_encodings_are_decoded_line_by_line(tmp_path: Path) -> None:
    data = (
        b"title,body,rating\n"
        + "utf8,Zoë,5\n".encode()
        + "cp1252,Zoë,4\n".encode("cp1252")
        + "cp1252,Noël,3\n".encode("cp1252")
    )
    items = read(write(tmp_path, data))
    assert [item.cells["body"] for item in items if isinstance(item, Row)] == [
        "Zoë",
        "Zoë",
        "Noël",
    ]
    assert items[-1] == Note("mixed encodings: 2 lines not valid UTF-8 were read as Windows-1252")


def test_control_characters_reach_the_reader_which_refuses_them(tmp_path: Path) -> None:
    items = read(write(tmp_path, b"title,body,rating\nx,a\x00b,5\n"))
    assert items == [Row(2, {"title": "x", "body": "a\x00b", "rating": "5"})]
    with pytest.raises(RowError, match="body contains control characters"):
        csvfiles.text("a\x00b", "body", 100)


def test_undefined_windows_1252_bytes_become_replacement_characters(tmp_path: Path) -> None:
    items = read(write(tmp_path, b"title,body,rating\nx,a\x81b,5\n"))
    assert items[0] == Row(2, {"title": "x", "body": "a\ufffdb", "rating": "5"})


def test_semicolons_and_tabs_as_delimiters(tmp_path: Path) -> None:
    semicolons = write(tmp_path, b"title;body;rating\na;b, c;5\n", "semi.csv")
    tabs = write(tmp_path, b"title\tbody\trating\na\tb;c\t4\n", "tab.csv")
    assert read(semicolons) == [Row(2, {"title": "a", "body": "b, c", "rating": "5"})]
    assert read(tabs) == [Row(2, {"title": "a", "body": "b;c", "rating": "4"})]


def test_a_line_over_one_mebibyte_is_refused_without_being_held(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    with path.open("wb") as handle:
        handle.write(b"title,body,rating\n")
        handle.write(b"a," + b"x" * (16 * 1024 * 1024) + b",5\n")
        handle.write(b"b,after,4\n")
    tracemalloc.start()
    try:
        items = read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert items == [
        Refused(2, "the line is longer than 1 MiB"),
        Row(3, {"title": "b", "body": "after", "rating": "4"}),
    ]
    assert peak < 4 * 1024 * 1024  # a 16 MiB line, read in 1 MiB pieces


def test_a_field_over_one_mebibyte_across_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "field.csv"
    with path.open("wb") as handle:
        handle.write(b'title,body,rating\na,"')
        for _ in range(1100):
            handle.write(b"y" * 1000 + b"\n")
        handle.write(b'",5\nb,after,4\n')
    items = read(path)
    assert items == [
        Refused(2, "a field is longer than 1 MiB"),
        Row(1103, {"title": "b", "body": "after", "rating": "4"}),
    ]


def test_an_unclosed_quote_stops_at_the_record_limit_and_reading_resumes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "unclosed.csv"
    lines = 5000
    with path.open("wb") as handle:
        handle.write(b'title,body,rating\nopen,"never closed,1\n')
        for number in range(lines):
            handle.write(b"row%d," % number + b"z" * 1000 + b",5\n")
    items = read(path)
    assert items[0] == Refused(
        2, "a quote opened here is never closed (or a field is longer than 4 MiB)"
    )
    rows = [item for item in items if isinstance(item, Row)]
    assert len(rows) == lines
    assert rows[0].line == 3
    assert rows[-1].cells["title"] == f"row{lines - 1}"


def test_many_rows_stream_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    with path.open("wb") as handle:
        handle.write(b"title,body,rating\n")
        for number in range(50_000):
            handle.write(b'"title %d","a body, with a comma",5\n' % number)
    tracemalloc.start()
    try:
        count = 0
        for item in csvfiles.read_rows(path, COLUMNS):
            assert isinstance(item, Row)
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 50_000
    assert peak < 1024 * 1024


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty: a header row is required"),
        (b"\n\n  \n", "the file is empty: a header row is required"),
        (b"title,rating\nx,5\n", "the header row lacks the column body"),
        (b"name,email\nx,y\n", "the header row lacks the columns body, rating"),
        (b"body,rating,Body\nx,5,y\n", "the header has the column 'body' twice"),
        (b"body,rating\rx,5\r", "its lines end with a carriage return alone"),
        (b"PK\x03\x04\x14\x00\x06\x00\xff\xfe\n\x00\x01,\x02\n", "lacks the columns body, rating"),
    ],
)
def test_files_that_cannot_be_read(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(")):
        read(write(tmp_path, data))


def test_a_missing_file_is_an_import_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"^cannot open the file: No such file or directory$"):
        read(tmp_path / "nothing.csv")


def test_any_of_requires_one_column_of_a_group(tmp_path: Path) -> None:
    columns = Columns(
        {"body": (), "sku": (), "product_id": ()}, ("body",), (("product_id", "sku"),)
    )
    assert read(write(tmp_path, b"body,sku\nx,1\n"), columns) == [Row(2, {"body": "x", "sku": "1"})]
    with pytest.raises(ImportFileError, match="lacks the column product_id or sku"):
        read(write(tmp_path, b"body\nx\n", "other.csv"), columns)


def test_count_rows_counts_records_not_lines(tmp_path: Path) -> None:
    path = write(tmp_path, b'title,body,rating\na,"two\nlines",5\nb,"""q"" x",4\nc,last,3')
    assert csvfiles.count_rows(path) == 3
    assert csvfiles.count_rows(write(tmp_path, b"title,body\n", "empty.csv")) == 0
    assert csvfiles.count_rows(tmp_path / "missing.csv") is None
    assert csvfiles.count_rows(FIXTURES / "judgeme_bom.csv") == 6  # CRLF
    assert csvfiles.count_rows(FIXTURES / "yotpo.csv") == 15  # 17 lines, one row on 2
    # A quote never closed hides the newlines after it: a total too low, never an error.
    assert csvfiles.count_rows(FIXTURES / "judgeme.csv") == 20  # of 24


def test_sample_reads_the_first_values_of_a_column(tmp_path: Path) -> None:
    path = write(tmp_path, b"title,body,rating\na,b,5\na,b,\na,b,3\na,b,1\n")
    assert csvfiles.sample(path, COLUMNS, "rating", limit=2) == ["5", "3"]


# --- cell rules ---------------------------------------------------------------------


def test_text_is_cleaned_as_the_api_cleans_it() -> None:
    assert csvfiles.text("  Zoe\u0308\r\nok  ", "body", 100) == "Zoë\nok"
    assert csvfiles.text("   \u200b ", "body", 100) == ""
    with pytest.raises(RowError, match="body is 6 characters \\(at most 5\\)"):
        csvfiles.text("abcdef", "body", 5)
    with pytest.raises(RowError, match="body contains control characters"):
        csvfiles.text("a\x00b", "body", 100)


def test_names_are_cleaned_and_shortened_not_refused() -> None:
    people = csvfiles.People()
    assert people.name("") == "Anonymous"
    assert people.name(" \u200b ") == "Anonymous"
    assert people.name("  Ana \n  Lopez ") == "Ana Lopez"
    assert people.name("Ana\u202eevil\x00") == "Anaevil"  # bidi override, NUL dropped
    assert people.name("Zoe\u0308 \U0001f469\u200d\U0001f373") == "Zoë \U0001f469\u200d\U0001f373"
    assert people.name("n" * 80) == "n" * 80
    assert people.name("n" * 81) == "n" * 79 + "\u2026"
    assert list(people.notes()) == [
        Note("author names longer than 80 characters were shortened (1)")
    ]


def test_bad_addresses_are_left_out_and_counted() -> None:
    people = csvfiles.People()
    assert people.email(" ana@example.com ") == "ana@example.com"
    assert people.email("") is None
    assert list(people.notes()) == []
    assert people.email("ana at example.com") is None
    assert people.email("ana@example.com?cc=x@example.com") is None
    assert list(people.notes()) == [Note("e-mail addresses that are not valid were left out (2)")]


def test_products() -> None:
    assert csvfiles.product(" sku-1.a:b_c ", "product id") == "sku-1.a:b_c"
    with pytest.raises(RowError, match="no product id"):
        csvfiles.product(" ", "product id")
    with pytest.raises(RowError, match="product id 'a b' is not a product id"):
        csvfiles.product("a b", "product id")
    with pytest.raises(RowError, match="is not a product id"):
        csvfiles.product("x" * 129, "product id")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-02 10:12:00 UTC", datetime(2025, 3, 2, 10, 12, tzinfo=UTC)),
        ("2025-03-02T10:12:00Z", datetime(2025, 3, 2, 10, 12, tzinfo=UTC)),
        ("2025-03-02T10:12:00.250Z", datetime(2025, 3, 2, 10, 12, 0, 250000, tzinfo=UTC)),
        ("2025-03-02T10:12:00-04:00", datetime(2025, 3, 2, 14, 12, tzinfo=UTC)),
        ("2025-03-02 10:12:00", datetime(2025, 3, 2, 10, 12, tzinfo=UTC)),
        ("2025-03-02", datetime(2025, 3, 2, tzinfo=UTC)),
        ("2025/03/02", datetime(2025, 3, 2, tzinfo=UTC)),
        ("03/02/2025", datetime(2025, 3, 2, tzinfo=UTC)),
        ("3/2/2025 17:30", datetime(2025, 3, 2, 17, 30, tzinfo=UTC)),
    ],
)
def test_dates(value: str, expected: datetime) -> None:
    parsed = csvfiles.date(value, "date")
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "no date"),
        ("31/12/2024", "date '31/12/2024' is not a date"),
        ("2025-02-30", "date '2025-02-30' is not a date"),
        ("soon", "date 'soon' is not a date"),
        ("2999-01-01", "date '2999-01-01' is in the future"),
    ],
)
def test_bad_dates(value: str, reason: str) -> None:
    with pytest.raises(RowError, match=reason):
        csvfiles.date(value, "date")


def test_booleans() -> None:
    assert [csvfiles.boolean(v, "x") for v in ("TRUE", "yes", "1", " t ")] == [True] * 4
    assert [csvfiles.boolean(v, "x") for v in ("false", "No", "0", "")] == [False] * 4
    with pytest.raises(RowError, match="published 'maybe' is not true or false"):
        csvfiles.boolean("maybe", "published")


def test_ratings_out_of_five() -> None:
    scale = csvfiles.RatingScale(5)
    assert [scale.stars(v) for v in ("1", " 5 ", "4.0", "3,0")] == [1, 5, 4, 3]
    for value, reason in [
        ("0", "rating 0 is not 1-5"),
        ("6", "rating 6 is not 1-5"),
        ("4.5", "rating 4.5 is not 1-5"),
        ("five", "rating 'five' is not a number"),
        ("NaN", "rating 'NaN' is not a number"),
        ("", "no rating"),
    ]:
        with pytest.raises(RowError, match=reason):
            scale.stars(value)
    assert scale.note(10) is None


def test_ratings_out_of_ten_and_a_hundred() -> None:
    ten = csvfiles.RatingScale(10)
    assert [ten.stars(str(v)) for v in range(11)] == [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert ten.stars("8.5") == 4
    with pytest.raises(RowError, match="rating 11 is not 0-10"):
        ten.stars("11")
    hundred = csvfiles.RatingScale(100)
    assert [hundred.stars(v) for v in ("0", "20", "30", "50", "70", "89", "90", "100")] == [
        1,
        1,
        2,
        3,
        4,
        4,
        5,
        5,
    ]
    assert ten.note(3) == Note("ratings out of 10 were mapped to 1-5 stars (3 rows)")
    assert hundred.note(1) == Note("ratings out of 100 were mapped to 1-5 stars (1 row)")


@pytest.mark.parametrize(
    ("values", "top"),
    [
        ([], 5),
        (["5", "4", "3", "1", "2"], 5),
        (["5", "4", "6", "5", "5", "4", "7", "5", "3"], 5),  # two mistakes in nine
        (["10", "9", "8", "4", "11"], 10),  # the 11 is refused on its own
        (["80", "95", "100", "60", "4"], 100),
        (["x", "", "5"], 5),
    ],
)
def test_the_scale_is_decided_from_a_sample(values: list[str], top: int) -> None:
    assert csvfiles.decide_scale(values).top == top


def test_stable_ids_depend_on_every_part() -> None:
    first = csvfiles.stable_id("jm_", "pan", "ana@example.com", "2025-01-01", "Great")
    assert first == csvfiles.stable_id("jm_", "pan", "ana@example.com", "2025-01-01", "Great")
    assert first.startswith("jm_") and len(first) == 35
    assert first != csvfiles.stable_id("jm_", "pan", "ana@example.com", "2025-01-01", "Great!")
    assert first != csvfiles.stable_id("jm_", "pa", "nana@example.com", "2025-01-01", "Great")
