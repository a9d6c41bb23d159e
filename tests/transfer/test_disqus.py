"""The Disqus reader, over ``tests/fixtures/import/disqus.xml`` (a shop's export: four
product threads, a blog page, a deleted thread; replies four deep, a deleted and a spam
post, HTML with links and scripts, a post on a thread the file does not have, replies to
refused posts) and over hostile files (entity expansion, external entities, a
gigabyte-sized message); then through ``plaudit import`` on both databases."""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from conftest import SiteInfo
from plaudit_server.extensions import db
from plaudit_server.models import Comment, Product, Status
from plaudit_server.transfer.formats import disqus
from plaudit_server.transfer.records import (
    CommentRecord,
    ImportFileError,
    Note,
    Options,
    Record,
    Refused,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"
EXPORT = FIXTURES / "disqus.xml"
PRODUCTS_ONLY = r"/products/([^/?#]+)"

HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
    '  <thread dsq:id="1"><link>https://shop.example/products/grinder-aurora</link></thread>\n'
)


def post(dsq_id: int, message: str, thread: str = '<thread dsq:id="1" />') -> str:
    return (
        f'  <post dsq:id="{dsq_id}">\n'
        f"    <message><![CDATA[{message}]]></message>\n"
        "    <createdAt>2019-03-10T19:02:11Z</createdAt>\n"
        "    <author><name>Marta</name><isAnonymous>false</isAnonymous></author>\n"
        f"    {thread}\n"
        "  </post>\n"
    )


def read(path: Path, pattern: str | None = None) -> list[Record]:
    return list(disqus.read(path, Options(thread_pattern=pattern)))


def at(hour: int, minute: int, second: int = 0, *, month: int, day: int) -> datetime:
    return datetime(2019, month, day, hour, minute, second, tzinfo=UTC)


GRINDER = "grinder-aurora"
KETTLE = "kettle-gooseneck"
CAFE_LINK = "https://shop.example/products/caf%C3%A9-cr%C3%A8me"
MARTA = "marta.lindqvist@mail.example"
JIDE = "j.okafor@mail.example"

# Everything the export holds, in file order, as the default (last path segment) reads it.
EXPECTED: list[Record] = [
    CommentRecord(
        source_id="4380117205",
        product=GRINDER,
        body="Had mine for a month now. The grind is very even for pour-over, and the "
        "stepless adjustment is great.\n\n"
        # Disqus's redirector unwrapped; the link's text was its URL, so it stays once.
        "I compared it with the chart here: https://coffee.example/grind-chart",
        author_name="Marta Lindqvist",
        author_email=MARTA,
        created_at=at(19, 2, 11, month=3, day=10),
        line=93,
    ),
    CommentRecord(
        source_id="4380265590",
        product=GRINDER,
        body="Does it fit the 1Zpresso hopper? Mine is tiny.",
        author_name="Jide Okafor",
        author_email=JIDE,
        created_at=at(7, 45, 30, month=3, day=11),
        line=108,
        parent_source_id="4380117205",
    ),
    CommentRecord(
        source_id="4380301877",
        product=GRINDER,
        body="No, different thread.\n"
        "But the Aurora hopper (https://shop.example/products/hopper-aurora) does.",
        author_name="Marta Lindqvist",
        author_email=MARTA,
        created_at=at(9, 12, 4, month=3, day=11),
        line=124,
        parent_source_id="4380265590",
    ),
    CommentRecord(  # the fourth level; given as it is (the loader flattens)
        source_id="4380422316",
        product=GRINDER,
        body="Thanks both & ordered one!",
        author_name="Jide Okafor",
        author_email=JIDE,
        created_at=at(9, 30, month=3, day=11),  # 10:30+01:00
        line=140,
        parent_source_id="4380301877",
    ),
    CommentRecord(
        source_id="4381009842",
        product=GRINDER,
        body="Mine broke after two days, avoid.",
        author_name="Guest",
        created_at=at(22, 18, 45, month=3, day=12),
        line=156,
        status=Status.REJECTED,
    ),
    CommentRecord(
        source_id="4402551763",
        product=KETTLE,  # from .../kettle-gooseneck?variant=39912
        body="Cheap kettles here (http://spam.example/k?ref=d)!!! http://spam.example/",
        author_name="Best Deals",
        author_email="deals4u@spam.example",
        created_at=at(3, 3, 3, month=4, day=1),
        line=169,
        status=Status.SPAM,
    ),
    CommentRecord(  # what the person typed, escaped by Disqus: text, never markup
        source_id="4402698120",
        product=KETTLE,
        body="Tried to paste <script>alert(1)</script> in the review form, nothing "
        "happened. Good job.",
        author_name="Pen Tester",
        author_email=None,  # "not-an-address" left out
        created_at=at(12, 0, month=4, day=2),
        line=184,
    ),
    CommentRecord(  # a real <script> and <style>: dropped with what they hold
        source_id="4402711458",
        product=KETTLE,
        body="Pours well. Handle stays cool.",
        author_name="quietbrewer",  # no name: the username
        created_at=at(12, 5, month=4, day=2),
        line=199,
    ),
    CommentRecord(
        source_id="4455100398",
        product="brewing-guide",
        body="Great guide. What water temperature for a light roast?",
        author_name="Sofía Ramírez",
        created_at=at(6, 48, 19, month=5, day=23),
        line=213,
    ),
    CommentRecord(
        source_id="4455208871",
        product="brewing-guide",
        body="Around 94 °C works for us.",
        author_name="Brewhaus Team With A Very Long Signature Including The Whole Shop "
        "Address And P\u2026",
        created_at=at(8, 2, 55, month=5, day=23),
        line=226,
        parent_source_id="4455100398",
    ),
    Refused(
        241,
        f"thread link {CAFE_LINK} gives product id 'caf%C3%A9-cr%C3%A8me', "
        "not 1-128 characters of A-Z a-z 0-9 . _ : -",
        "4460017733",
    ),
    Refused(254, "thread 7609999999 is not in the file", "4460102267"),
    Refused(267, "no message", "4461880052"),
    CommentRecord(  # on a deleted thread
        source_id="4512330071",
        product="dripper-v60-old",
        body="Best dripper I ever had, sad to see it go.",
        author_name="Hiro Nakamura",
        author_email="h.nakamura@mail.example",
        created_at=at(18, 25, 40, month=8, day=2),
        line=280,
        status=Status.REJECTED,
    ),
    Refused(295, "createdAt 'yesterday' is not a date", "4512447719"),
    CommentRecord(
        source_id="4512590330",
        product="brewing-guide",
        body="Notes from my dial-in:\n\n"
        "- Grind: medium-fine\n"
        # The link's text was the URL cut short by Disqus: the whole URL, once.
        "- Ratio 1:16, see https://coffee.example/ratios/pour-over-and-immersion-brewing-"
        "explained\n\n"
        "Bloom for 30 s",
        author_name="Ana Costa",
        author_email="ana.costa@mail.example",
        created_at=at(7, 15, month=8, day=3),
        line=308,
        parent_source_id="4455208871",
    ),
    CommentRecord(  # answers the post refused for "no message": starts a thread instead
        source_id="4512800144",
        product=GRINDER,
        body="Whoever posted the empty comment: same here, it happens on mobile.",
        author_name="Ravi Menon",
        created_at=at(9, 0, month=8, day=10),
        line=324,
    ),
    Refused(339, "createdAt '2019-13-01T00:00:00Z' is not a date", "4512800233"),
    CommentRecord(  # answers the refused reply above: answers what that one answered
        source_id="4512800377",
        product=GRINDER,
        body="Not that we know of.",
        author_name="Marta Lindqvist",
        author_email=MARTA,
        created_at=at(16, 20, month=8, day=11),
        line=354,
        parent_source_id="4380117205",
    ),
    Note("comments on deleted Disqus threads are kept as rejected (1)"),
    Note("replies to refused posts answer the post those answered, or start a thread (2)"),
    Note("author names longer than 80 characters were shortened (1)"),
    Note("e-mail addresses that are not valid were left out (1)"),
]


def test_reads_the_export_into_exact_records() -> None:
    assert read(EXPORT) == EXPECTED


def test_the_line_of_each_record_is_its_post_start_tag() -> None:
    lines = [n for n, text in enumerate(EXPORT.read_text().splitlines(), 1) if "<post " in text]
    assert [r.line for r in read(EXPORT) if not isinstance(r, Note)] == lines


def test_a_gzipped_export_reads_the_same(tmp_path: Path) -> None:
    """Disqus mails the export gzipped; it is read as it is, decompressed as it streams."""
    path = tmp_path / "brewhaus-2019-08-04T10:00:00-all.xml.gz"
    path.write_bytes(gzip.compress(EXPORT.read_bytes()))
    assert read(path) == EXPECTED
    assert disqus.total(path) == 19


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[: len(data) // 2], "the gzipped file ends early"),
        (lambda data: data[:20] + b"\0" * 64 + data[84:], "the gzipped file is damaged"),
    ],
)
def test_a_damaged_gzipped_export(
    tmp_path: Path, damage: Callable[[bytes], bytes], message: str
) -> None:
    path = tmp_path / "export.xml.gz"
    path.write_bytes(damage(gzip.compress(EXPORT.read_bytes())))
    with pytest.raises(ImportFileError, match=message):
        read(path)


def test_total_counts_the_posts_for_the_progress_bar(tmp_path: Path) -> None:
    assert disqus.total(EXPORT) == sum(1 for r in read(EXPORT) if not isinstance(r, Note))
    # Over a megabyte (the chunk read), with a <post tag across the chunks' boundary.
    before = HEAD + "".join(posts(2_000))
    padding = " " * ((1 << 20) - 3 - len(before.encode()) - len("  "))
    text = before + padding + "".join(posts(1_000)) + "</disqus>\n"
    assert text.encode()[(1 << 20) - 3 :].startswith(b"<post ")
    path = tmp_path / "big.xml"
    path.write_text(text)
    assert disqus.total(path) == 3_000
    assert sum(1 for r in read(path) if isinstance(r, CommentRecord)) == 3_000
    assert disqus.total(tmp_path / "missing.xml") is None


def test_a_thread_pattern_takes_product_pages_only() -> None:
    records = read(EXPORT, PRODUCTS_ONLY)
    blog = "thread link https://shop.example/blog/brewing-guide/ does not match --thread-pattern"
    refused = [(r.line, r.reason) for r in records if isinstance(r, Refused)]
    assert refused == [
        (213, blog),
        (226, blog),
        (241, EXPECTED[10].reason),  # type: ignore[union-attr]
        (254, "thread 7609999999 is not in the file"),
        (267, "no message"),
        (295, blog),  # the thread is checked before the date
        (308, blog),
        (339, "createdAt '2019-13-01T00:00:00Z' is not a date"),
    ]
    comments = [r for r in records if isinstance(r, CommentRecord)]
    assert {c.product for c in comments} == {GRINDER, KETTLE, "dripper-v60-old"}
    assert len(comments) == 11


def test_the_pattern_group_is_the_product_id(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text(HEAD + post(2, "<p>Nice</p>") + "</disqus>\n")
    [record] = read(path, r"shop\.example/(products)/grinder")
    assert isinstance(record, CommentRecord)
    assert record.product == "products"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("/products/([^/", "is not a regular expression"),
        ("/products/[^/]+", "needs a group, in parentheses, around the product id"),
    ],
)
def test_a_bad_thread_pattern_reads_nothing(pattern: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        read(EXPORT, pattern)


def test_entity_expansion_is_refused() -> None:
    with pytest.raises(ImportFileError) as raised:
        read(FIXTURES / "disqus-billion-laughs.xml")
    assert "declares XML entities (<!ENTITY lol>)" in str(raised.value)
    assert "billion laughs" in str(raised.value)


def test_external_entities_are_refused() -> None:
    with pytest.raises(ImportFileError) as raised:
        read(FIXTURES / "disqus-external-entity.xml")
    assert "<!ENTITY secret SYSTEM 'file:///etc/passwd'>" in str(raised.value)
    assert "root:" not in str(raised.value)


def test_an_external_dtd_is_never_fetched(tmp_path: Path) -> None:
    """An undeclared entity after an external DTD: expat does not load the DTD (param
    entity parsing is off), so the entity is unknown and the file malformed."""
    path = tmp_path / "export.xml"
    doctype = '<!DOCTYPE disqus SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
    text = HEAD.replace("\n", "\n" + doctype, 1) + post(2, "hi &xxe;") + "</disqus>\n"
    path.write_text(text.replace("<![CDATA[hi &xxe;]]>", "hi &xxe;"))
    with pytest.raises(ImportFileError, match=r"line 6, column \d+: undefined entity &xxe;"):
        read(path)


def test_a_file_that_is_not_a_disqus_export(tmp_path: Path) -> None:
    path = tmp_path / "wxr.xml"
    path.write_text('<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>\n')
    with pytest.raises(ImportFileError, match=r"root element is <rss>, not <disqus>"):
        read(path)
    missing = tmp_path / "missing.xml"
    with pytest.raises(ImportFileError, match=r"cannot read the file: No such file"):
        read(missing)


def test_records_come_out_before_the_end_of_the_file(tmp_path: Path) -> None:
    """A stream: the posts before a broken tail are yielded before the error (a
    reader that parsed the whole file first would yield nothing)."""
    path = tmp_path / "export.xml"
    path.write_text(HEAD + post(2, "<p>First</p>") + post(3, "<p>Second</p>") + "  <post <<\n")
    records = disqus.read(path, Options())
    assert [r.source_id for r in (next(records), next(records))] == ["2", "3"]  # type: ignore[union-attr]
    with pytest.raises(ImportFileError, match="not well-formed XML at line 16"):
        next(records)


def posts(count: int) -> Iterator[str]:
    for n in range(count):
        yield post(100 + n, f"<p>Comment number {n} about the grinder. {'Lorem ipsum ' * 20}</p>")


def test_a_big_export_is_read_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    with path.open("w") as file:
        file.write(HEAD)
        file.writelines(posts(20_000))
        file.write("</disqus>\n")
    size = path.stat().st_size
    assert size > 8_000_000
    tracemalloc.start()
    try:
        count = sum(1 for r in disqus.read(path, Options()) if isinstance(r, CommentRecord))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 1_000_000, f"peak {peak} bytes for a {size}-byte file"


def test_a_giant_message_is_refused_and_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    giant = "<p>" + "spam " * 2_000_000 + "</p>"  # 10 million characters
    path.write_text(HEAD + post(2, giant) + post(3, "<p>Fine</p>") + "</disqus>\n")
    tracemalloc.start()
    try:
        records = read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert records[0] == Refused(4, "message is longer than 1000000 characters", "2")
    assert isinstance(records[1], CommentRecord) and records[1].body == "Fine"
    # What is kept of the message (the first million characters), not all ten.
    assert peak < 2 * disqus.ELEMENT_TEXT_MAX, f"peak {peak} bytes"


def test_a_giant_thread_refuses_its_posts_and_marks_are_the_readers(tmp_path: Path) -> None:
    """A thread past the text allowance is not read (its link may be lost); the
    attributes the reader marks elements with are never taken from the file."""
    path = tmp_path / "export.xml"
    giant = "x" * (disqus.ELEMENT_TEXT_MAX + 1)
    marks = 'xmlns:m="urn:plaudit:disqus-reader" m:line="1" m:oversized="1"'
    text = (
        HEAD
        + f'  <thread dsq:id="2"><title>{giant}</title><link>https://a.example/p/x</link></thread>\n'
        + post(3, "<p>On the giant</p>", '<thread dsq:id="2" />')
        + post(4, "<p>Marked</p>").replace("<message>", f"<message {marks}>")
        + post(5, "<p>Marked too</p>").replace('dsq:id="5"', f'dsq:id="5" {marks}')
        + "</disqus>\n"
    )
    path.write_text(text)
    first, second, third = read(path)
    assert first == Refused(
        5, f"thread 2 holds more than {disqus.ELEMENT_TEXT_MAX} characters", "3"
    )
    assert isinstance(second, CommentRecord) and (second.body, second.line) == ("Marked", 11)
    assert isinstance(third, CommentRecord) and (third.body, third.line) == ("Marked too", 17)


def test_a_message_over_5000_characters_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text(
        HEAD
        + post(2, "<p>" + "a" * 5001 + "</p>")
        + post(3, "<p>" + "a" * 5000 + "</p>")
        + "</disqus>\n"
    )
    first, second = read(path)
    assert first == Refused(4, "message is 5001 characters, over 5000", "2")
    assert isinstance(second, CommentRecord) and len(second.body) == 5000


def test_threads_referred_to_by_identifier_and_posts_without_a_thread(tmp_path: Path) -> None:
    """Disqus's documented sample refers to a thread by its <id> text; a post may also
    come before its thread or name none."""
    path = tmp_path / "export.xml"
    head = HEAD.replace('<thread dsq:id="1">', '<thread dsq:id="1"><id>product-1042</id>')
    path.write_text(
        head
        + post(2, "<p>By identifier</p>", "<thread>product-1042</thread>")
        + post(3, "<p>Later thread</p>", '<thread dsq:id="9" />')
        + post(4, "<p>No thread</p>", "")
        + '  <thread dsq:id="9"><link>https://shop.example/products/late</link></thread>\n'
        + "</disqus>\n"
    )
    records = read(path)
    assert isinstance(records[0], CommentRecord) and records[0].product == GRINDER
    assert records[1:] == [
        Refused(10, "thread 9 is not in the file", "3"),
        Refused(16, "post names no thread", "4"),
    ]


def test_refused_posts_remembered_for_their_replies_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(disqus, "REFUSED_KEPT", 1)
    path = tmp_path / "export.xml"
    reply = '<thread dsq:id="1" /><parent dsq:id="{}" />'
    path.write_text(
        HEAD
        + post(2, "")  # refused, remembered
        + post(3, "")  # refused, past the bound
        + post(4, "<p>To 2</p>", reply.format(2))
        + post(5, "<p>To 3</p>", reply.format(3))
        + "</disqus>\n"
    )
    records = read(path)
    assert [getattr(r, "parent_source_id", None) for r in records[2:4]] == [None, "3"]
    assert records[4] == Note(
        "replies to refused posts answer the post those answered, or start a thread (1)"
    )


def test_names_and_text_are_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    author = (
        "<author><name>\u202eZoe\u200b\u0301\x85 Kim</name><isAnonymous>true</isAnonymous>"
        "<username>zoe</username><email>zoe@mail.example?cc=x@mail.example</email></author>"
    )
    text = HEAD + post(2, "<p>Cafe\u0301\x85 \u00a0ok</p>").replace(
        "<author><name>Marta</name><isAnonymous>false</isAnonymous></author>", author
    )
    path.write_text(text + "</disqus>\n")
    record, note = read(path)
    assert isinstance(record, CommentRecord)
    assert record.author_name == "Zo\u00e9 Kim"  # bidi and zero-width out, NFC
    assert record.body == "Caf\u00e9 \u00a0ok"
    assert record.author_email is None
    assert note == Note("e-mail addresses that are not valid were left out (1)")


def test_an_anonymous_post_without_a_name(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    author = "<author><name> </name><isAnonymous>true</isAnonymous><username>x</username></author>"
    path.write_text(
        HEAD
        + post(2, "<p>Hi</p>").replace(
            "<author><name>Marta</name><isAnonymous>false</isAnonymous></author>", author
        )
        + "</disqus>\n"
    )
    [record] = read(path)
    assert isinstance(record, CommentRecord) and record.author_name == "Anonymous"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<a href="javascript:alert(1)">click</a> me', "click me"),
        ('<a href="https://shop.example/a">https://shop.example/a</a>', "https://shop.example/a"),
        (
            '<a href="https://shop.example/abc/def">shop.example/abc/d\u2026</a>',
            "https://shop.example/abc/def",
        ),
        ('<a href="mailto:hi@shop.example">write us</a>', "write us (mailto:hi@shop.example)"),
        ('<a href="https://shop.example/x"></a>end', "https://shop.example/x end"),
        (
            '<a href="https://disq.us/url?url=https%3A%2F%2Fa.example%2F">a</a>',
            "a (https://a.example/)",
        ),
        ('<a href="http://[::1">broken</a>', "broken"),
        ('<a href="https://a.example/">a.example</a>', "https://a.example/"),
        (
            '<a href="https://a.example/pages/x">https://a.e...</a> <a href="https://a.example/x">htt...</a>',
            "https://a.example/pages/x htt... (https://a.example/x)",
        ),
        (
            "<p>a &lt;b&gt; &amp;amp;</p><img src=x alt='a cat'><br/>two",
            "a <b> &amp;\n\na cat\ntwo",
        ),
        (
            "<p>un<script/>closed <a href='https://a.example/'>link",
            "unclosed link (https://a.example/)",
        ),
        ("<STYLE>p{}</STYLE><P>Caps</P>", "Caps"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert disqus.html_to_text(html) == text


# ------------------------------------------------- through `plaudit import`, both databases

SUMMARY = re.compile(
    r"^read (\d+), (?:would import|imported) (\d+).*, duplicates (\d+), refused (\d+)$", re.M
)
# The fixture's posts as Plaudit has them afterwards (the default thread mapping).
PUBLISHED = {
    GRINDER: ["4380117205", "4380265590", "4380301877", "4380422316", "4512800144", "4512800377"],
    KETTLE: ["4402698120", "4402711458"],
    "brewing-guide": ["4455100398", "4455208871", "4512590330"],
}


def counts(output: str) -> tuple[int, ...]:
    """(read, imported, duplicates, refused) from the command's summary line."""
    match = SUMMARY.search(output)
    assert match is not None, output
    return tuple(int(n) for n in match.groups())


def import_file(runner: Any, slug: str, path: Path, *options: str) -> Any:
    return runner.invoke(args=["import", "--site", slug, "--format", "disqus", str(path), *options])


def comment_stats(app: Flask, site: SiteInfo) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {site.api_key}"}
    response = app.test_client().get("/api/v1/admin/stats", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {k: v for k, v in response.get_json()["comments"].items() if v}


def public_comments(app: Flask, site: SiteInfo, product: str) -> list[dict[str, Any]]:
    url = f"/api/v1/sites/{site.slug}/products/{product}/comments?limit=50"
    response = app.test_client().get(url)
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.get_json()["comments"]
    return found


@pytest.fixture
def export_copy(tmp_path: Path) -> Path:
    """The sample export in a folder of the test's (the refused rows' CSV goes next to it)."""
    path = tmp_path / "brewhaus-disqus.xml"
    shutil.copy(EXPORT, path)
    return path


def source_ids(app: Flask, site: SiteInfo) -> dict[str, str]:
    """Plaudit's comment ids by Disqus post id."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Comment.source_id, Comment.id).where(Comment.site_id == site.id)
        )
        return {str(source): str(id_) for source, id_ in rows}


def test_import_writes_the_threads_and_a_rerun_adds_nothing(
    app: Flask, runner: Any, site: SiteInfo, export_copy: Path
) -> None:
    result = import_file(runner, site.slug, export_copy)
    assert result.exit_code == 0, result.output
    assert counts(result.output) == (19, 14, 0, 5)
    lines = result.output.splitlines()
    for note in EXPECTED[-4:]:
        assert f"note: {note.text}" in lines  # type: ignore[union-attr]
    refused = [r for r in EXPECTED if isinstance(r, Refused)]
    for row in refused:
        assert f"  line {row.line}: {row.reason}" in lines
    report = export_copy.with_name(export_copy.name + ".refused.csv")
    with report.open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["line", "source_id", "reason"],
            *([str(r.line), r.source_id, r.reason] for r in refused),
        ]

    expected_stats = {"published": 11, "rejected": 2, "spam": 1, "total": 14}
    assert comment_stats(app, site) == expected_stats
    ids = source_ids(app, site)
    for product, posts_ in PUBLISHED.items():
        public = public_comments(app, site, product)
        assert [c["id"] for c in public] == [ids[p] for p in posts_]
    grinder = public_comments(app, site, GRINDER)
    first, reply, reply2, reply3, after_refused, after_refused_reply = grinder
    assert (first["parent_id"], reply["parent_id"], reply2["parent_id"]) == (
        None,
        first["id"],
        reply["id"],
    )
    # The fourth level answers the third's parent: Plaudit nests three levels.
    assert reply3["parent_id"] == reply["id"]
    assert reply3["body"] == "Thanks both & ordered one!"
    assert reply3["created_at"] == "2019-03-11T09:30:00.000000Z"
    # Replies to refused posts: one level up (a thread of its own, an answer to first).
    assert after_refused["parent_id"] is None
    assert after_refused_reply["parent_id"] == first["id"]
    assert first["author_name"] == "Marta Lindqvist"
    assert "<" not in first["body"] and "https://coffee.example/grind-chart" in first["body"]
    kettle = public_comments(app, site, KETTLE)
    assert kettle[0]["body"].startswith("Tried to paste <script>alert(1)</script>")
    assert kettle[1]["body"] == "Pours well. Handle stays cool."
    # No reviews came in: the products' review summaries stay empty.
    summary = app.test_client().get(f"/api/v1/sites/{site.slug}/products/{GRINDER}/reviews")
    assert summary.get_json()["summary"]["count"] == 0

    again = import_file(runner, site.slug, export_copy)
    assert again.exit_code == 0, again.output
    assert counts(again.output) == (19, 0, 14, 5)
    assert comment_stats(app, site) == expected_stats
    assert source_ids(app, site) == ids


def test_import_with_a_thread_pattern_pending_dry_run_and_strict(
    app: Flask, runner: Any, site: SiteInfo, export_copy: Path
) -> None:
    pattern = ("--thread-pattern", PRODUCTS_ONLY)
    dry = import_file(runner, site.slug, export_copy, *pattern, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert counts(dry.output) == (19, 11, 0, 8)
    assert "dry run: nothing was written" in dry.output
    strict = import_file(runner, site.slug, export_copy, *pattern, "--strict")
    assert strict.exit_code != 0
    assert "--strict: rows were refused, so nothing was written" in strict.output
    assert comment_stats(app, site) == {}

    held = import_file(runner, site.slug, export_copy, *pattern, "--status", "pending")
    assert held.exit_code == 0, held.output
    assert counts(held.output) == (19, 11, 0, 8)
    blog = "does not match --thread-pattern"
    assert sum(blog in line for line in held.output.splitlines()) == 4
    assert comment_stats(app, site) == {"pending": 11, "total": 11}
    assert public_comments(app, site, GRINDER) == []
    with app.app_context():
        products = db.session.scalars(
            sa.select(Product.external_id).where(Product.site_id == site.id)
        )
        assert sorted(products) == ["dripper-v60-old", GRINDER, KETTLE]


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("disqus-billion-laughs.xml", "the file declares XML entities (<!ENTITY lol>)"),
        ("disqus-external-entity.xml", "(<!ENTITY secret SYSTEM 'file:///etc/passwd'>)"),
    ],
)
def test_a_hostile_file_imports_nothing(
    app: Flask, runner: Any, site: SiteInfo, tmp_path: Path, fixture: str, message: str
) -> None:
    path = tmp_path / fixture
    shutil.copy(FIXTURES / fixture, path)
    result = import_file(runner, site.slug, path)
    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was imported." in result.output
    assert comment_stats(app, site) == {}
