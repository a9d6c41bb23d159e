"""``client.reviews.export``: CSV and JSON Lines, paths and file objects, filters,
formula injection, and the progress bar on a real terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import select
import sys

import pytest

import plaudit
from plaudit._export import neutralise


def _read_csv(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_to_a_path_across_pages(sdk, post, tmp_path):
    created = post.reviews(130)  # more than one page of 100
    target = tmp_path / "reviews.csv"

    assert sdk.reviews.export(target) == 130

    rows = _read_csv(target)
    assert {row["id"] for row in rows} == {r["id"] for r in created}
    first = rows[0]
    assert first["status"] == "published"
    assert first["rating"] == "5"
    assert first["verified_buyer"] == "false"
    assert first["created_at"].endswith("Z")
    assert not list(tmp_path.glob(".plaudit-export-*"))  # the temporary file is gone


def test_csv_neutralises_formulas(sdk, post, tmp_path):
    post.review(title='=HYPERLINK("http://evil.test","x")', body="+1+1", author_name="@SUM(A1:A9)")
    post.review(title="-2", body="Plain text, = in the middle is fine", author_name="Bo")
    target = tmp_path / "reviews.csv"
    sdk.reviews.export(target, sort="oldest")

    first, second = _read_csv(target)
    assert first["title"] == '\'=HYPERLINK("http://evil.test","x")'
    assert first["body"] == "'+1+1"
    assert first["author_name"] == "'@SUM(A1:A9)"
    assert second["title"] == "'-2"
    assert second["body"] == "Plain text, = in the middle is fine"
    assert second["author_name"] == "Bo"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_neutralise(cell, safe):
    assert neutralise(cell) == safe


def test_csv_carries_reply_email_and_spam_reasons(sdk, post, tmp_path):
    kept = post.review(author_email="ada@example.test")
    post.review(hp="bot")
    sdk.reviews.reply(kept["id"], "Thanks!")
    target = tmp_path / "reviews.csv"
    sdk.reviews.export(target, sort="oldest")

    replied, spam = _read_csv(target)
    assert replied["author_email"] == "ada@example.test"
    assert replied["reply_body"] == "Thanks!"
    assert replied["reply_created_at"].endswith("Z")
    assert spam["status"] == "spam"
    assert spam["spam_reasons"] == "honeypot"


def test_jsonl_to_a_text_file_object(sdk, post):
    post.reviews(3)
    out = io.StringIO()
    assert sdk.reviews.export(out, format="jsonl") == 3
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert {r["status"] for r in records} == {"published"}
    assert all("author_email" in r for r in records)
    assert not out.closed


def test_to_a_binary_file_object(sdk, post):
    post.review(body="Ünïcode ✓")
    out = io.BytesIO()
    sdk.reviews.export(out, format="jsonl")
    assert not out.closed
    assert json.loads(out.getvalue().decode("utf-8"))["body"] == "Ünïcode ✓"


def test_filters_are_those_of_list(sdk, post, tmp_path):
    post.review("sku-a", rating=1)
    post.review("sku-b", rating=5)
    spam = post.review("sku-b", rating=5, hp="x")

    target = tmp_path / "spam.jsonl"
    assert sdk.reviews.export(target, format="jsonl", status="spam") == 1
    assert json.loads(target.read_text())["id"] == spam["id"]
    assert sdk.reviews.export(io.StringIO(), product="sku-b") == 2
    assert sdk.reviews.export(io.StringIO(), rating=1) == 1


def test_failed_export_leaves_no_file(sdk, post, tmp_path):
    post.review()
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(plaudit.ValidationError):
        sdk.reviews.export(folder / "reviews.csv", status="nonsense")
    assert list(folder.iterdir()) == []


def test_unknown_format_is_refused(sdk, tmp_path):
    with pytest.raises(ValueError, match="jsonl"):
        sdk.reviews.export(tmp_path / "x.xml", format="xml")


def test_no_progress_bar_when_stderr_is_not_a_terminal(sdk, post, capsys):
    post.reviews(2)
    sdk.reviews.export(io.StringIO())
    assert capsys.readouterr().err == ""


def test_progress_bar_forced_on(sdk, post, capsys):
    post.reviews(3)
    sdk.reviews.export(io.StringIO(), progress=True)
    err = capsys.readouterr().err
    assert err.startswith("\rExporting reviews [------------------------------]   0% 0/3")
    assert err.endswith("100% 3/3\n")


def test_progress_bar_on_a_real_terminal(sdk, post, monkeypatch):
    """stderr is a pseudo-terminal: the bar appears without being asked for."""
    pty = pytest.importorskip("pty")
    post.reviews(4)
    sdk.reviews.reject(post.review()["id"])
    master, slave = pty.openpty()
    terminal = open(slave, "w", encoding="utf-8")  # noqa: SIM115
    try:
        monkeypatch.setattr(sys, "stderr", terminal)
        assert sdk.reviews.export(io.StringIO(), status="published") == 4
        terminal.flush()
        shown = b""
        while select.select([master], [], [], 0.2)[0]:
            shown += os.read(master, 65536)
        shown = shown.decode()
    finally:
        terminal.close()
        os.close(master)
    assert "Exporting reviews [" in shown
    assert "100% 4/4" in shown  # the total comes from the stats by status


def test_progress_without_a_known_total_counts(sdk, post, capsys):
    post.reviews(2, product="sku-z")
    sdk.reviews.export(io.StringIO(), product="sku-z", progress=True)
    assert capsys.readouterr().err.endswith("Exporting reviews: 2\n")
