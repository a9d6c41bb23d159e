"""``client.export`` and ``client.export_lines``: the whole site in the open format,
streamed from ``GET /api/v1/admin/export``, byte for byte what ``plaudit export``
writes; a site of thousands of reviews arrives in chunks; errors are the SDK's own and
leave the destination untouched."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import plaudit
from plaudit_server.extensions import db
from plaudit_server.services import sites
from plaudit_server.transfer import loader
from plaudit_server.transfer.records import ReviewRecord

from .helpers import Action, FlakyProxy, answer


def cli_export(live_server: Any, slug: str, path: Path) -> bytes:
    """What ``plaudit export --site SLUG FILE`` writes, run through the app's CLI."""
    result = live_server.app.test_cli_runner().invoke(args=["export", "--site", slug, str(path)])
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def fill(sdk: plaudit.Plaudit, post: Any, live_server: Any, slug: str) -> None:
    """Every kind of line: products, the store, reviews with a reply, a rejected one, a
    comment thread, an invitation, text that is not ASCII."""
    kept = post.review("sku-1", rating=5, body="Ünïcode ✓ and a line\u2028separator")
    sdk.reviews.reply(kept["id"], "Thanks!")
    sdk.reviews.reject(post.review("sku-2", rating=1)["id"])
    post.comment("sku-1", body="Does it fit?")
    store = httpx.post(
        f"{live_server.url}/api/v1/sites/{slug}/store/reviews",
        json={"rating": 4, "body": "Fast delivery", "author_name": "Bo"},
    )
    assert store.status_code == 201, store.text
    # Due tomorrow: sent now, it would change between one export and the next.
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    sdk.invitations.create(
        order_id="o-1", email="cy@example.com", products=["sku-1"], send_at=tomorrow
    )


def folder(tmp_path: Path) -> Path:
    """An empty folder of its own (``tmp_path`` also holds the test's database)."""
    out = tmp_path / "out"
    out.mkdir()
    return out


def export_with(flavour: str, call: Any, **options: Any) -> Any:
    """``call(client)`` on a fresh sync or async client; an async iterator is read out."""
    if flavour == "sync":
        with plaudit.Plaudit(**options) as client:
            result = call(client)
            return list(result) if not isinstance(result, int) else result

    async def main() -> Any:
        async with plaudit.AsyncPlaudit(**options) as client:
            result = call(client)
            if hasattr(result, "__aiter__"):
                return [item async for item in result]
            return await result

    return anyio.run(main)


@pytest.fixture
def run(flavour: str, live_server: Any, site: Any) -> Any:
    def run(call: Any, **options: Any) -> Any:
        options = {"api_key": site.api_key, "base_url": live_server.url, **options}
        return export_with(flavour, call, **options)

    return run


def test_the_file_is_what_plaudit_export_writes(run, sdk, post, live_server, site, tmp_path):
    fill(sdk, post, live_server, site.slug)
    expected = cli_export(live_server, site.slug, tmp_path / "cli.jsonl")
    kinds = {json.loads(line)["type"] for line in expected.splitlines()}
    assert kinds >= {"site", "product", "store", "review", "comment", "invitation"}

    target = tmp_path / "sdk.jsonl"
    count = run(lambda client: client.export(target))
    assert target.read_bytes() == expected
    assert count == expected.count(b"\n")
    assert not list(tmp_path.glob(".plaudit-export-*"))

    binary = io.BytesIO()
    assert run(lambda client: client.export(binary)) == count
    assert binary.getvalue() == expected and not binary.closed
    text = io.StringIO()
    assert run(lambda client: client.export(text, progress=False)) == count
    assert text.getvalue() == expected.decode("utf-8")


def test_export_lines_are_the_parsed_lines(run, sdk, post, live_server, site, tmp_path):
    fill(sdk, post, live_server, site.slug)
    expected = cli_export(live_server, site.slug, tmp_path / "cli.jsonl")

    lines = run(lambda client: client.export_lines())
    # Split on "\n" alone: the review's U+2028 is inside a line, not the end of one.
    assert lines == [json.loads(line) for line in expected.split(b"\n")[:-1]]
    assert lines[0]["type"] == "site" and lines[0]["id"] == site.slug
    bodies = [line["body"] for line in lines if line["type"] == "review"]
    assert "Ünïcode ✓ and a line\u2028separator" in bodies


class Recorder(io.RawIOBase):
    """A binary file that remembers the size of every write."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.sizes.append(len(chunk))
        self.data += chunk
        return len(chunk)


def import_reviews(app: Any, slug: str, n: int) -> None:
    """``n`` reviews written straight through the importer (quicker than n requests)."""
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    records = [
        ReviewRecord(
            source_id=f"r{i}",
            product=f"sku-{i % 7}",
            rating=1 + i % 5,
            body=f"Review {i}: " + "words " * 40,
            author_name="Ada",
            created_at=start + dt.timedelta(minutes=i),
            line=i + 1,
        )
        for i in range(n)
    ]
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        summary = loader.import_records(db.session, site, "judgeme", records)
        assert not summary.refused


def test_a_large_site_is_streamed_in_chunks(flavour, run, live_server, site, tmp_path):
    import_reviews(live_server.app, site.slug, 3000)
    expected = cli_export(live_server, site.slug, tmp_path / "cli.jsonl")
    assert len(expected) > 1_000_000

    out = Recorder()
    assert run(lambda client: client.export(out)) == expected.count(b"\n")
    assert bytes(out.data) == expected
    # Written as it arrived, never the whole body at once.
    assert len(out.sizes) > 10
    assert max(out.sizes) < len(expected) // 10

    lines = run(lambda client: client.export_lines())
    assert sum(1 for line in lines if line["type"] == "review") == 3000
    assert len([line for line in lines if line["type"] == "product"]) == 7


def test_a_wrong_key_is_an_authentication_error(run, tmp_path):
    out = folder(tmp_path)
    target = out / "site.jsonl"
    with pytest.raises(plaudit.AuthenticationError) as caught:
        run(lambda client: client.export(target), api_key="sk_live_not_a_key")
    assert caught.value.status_code == 401
    assert caught.value.request_id
    with pytest.raises(plaudit.AuthenticationError):
        run(lambda client: client.export_lines(), api_key="sk_live_not_a_key")
    assert list(out.iterdir()) == []  # neither the file nor a temporary one


def test_a_server_without_the_export_is_a_not_found_error(flavour, site, tmp_path):
    """A base_url under which there is no Plaudit API (or one too old to export)."""
    with FlakyProxy("http://127.0.0.1:9") as proxy:  # nothing is forwarded
        proxy.script(answer(404))
        out = io.StringIO()
        with pytest.raises(plaudit.NotFoundError) as caught:
            export_with(
                flavour,
                lambda client: client.export(out),
                api_key=site.api_key,
                base_url=proxy.url,
            )
    assert caught.value.request_id == "req_proxy404"
    assert out.getvalue() == ""
    assert [seen.path for seen in proxy.seen] == ["/api/v1/admin/export"]
    assert proxy.seen[0].headers["Accept"] == "application/x-ndjson"


def test_a_503_before_the_answer_is_retried(flavour, live_server, site, tmp_path):
    expected = cli_export(live_server, site.slug, tmp_path / "cli.jsonl")
    with FlakyProxy(live_server.url) as proxy:
        proxy.script(answer(503, retry_after="0"))
        target = tmp_path / "site.jsonl"
        options = {"api_key": site.api_key, "base_url": proxy.url}
        assert export_with(flavour, lambda client: client.export(target), **options) == 1
    assert target.read_bytes() == expected
    assert len(proxy.seen) == 2


def test_a_connection_cut_mid_body_leaves_no_file(flavour, post, live_server, site, tmp_path):
    post.reviews(20)
    out = folder(tmp_path)
    target = out / "site.jsonl"
    with FlakyProxy(live_server.url) as proxy:
        proxy.script(Action("forward_then_cut"))
        options = {"api_key": site.api_key, "base_url": proxy.url}
        with pytest.raises(plaudit.APIConnectionError, match="broke during the export"):
            export_with(flavour, lambda client: client.export(target), **options)
        proxy.script(Action("forward_then_cut"))
        with pytest.raises(plaudit.APIConnectionError):
            export_with(flavour, lambda client: client.export_lines(), **options)
    assert len(proxy.seen) == 2  # not retried: part of it was already written
    assert list(out.iterdir()) == []


def test_an_answer_that_is_not_json_lines_is_refused(flavour, site, tmp_path):
    page = Action("answer", status=200, headers={"Content-Type": "text/html"}, body=b"<html>")
    out = folder(tmp_path)
    target = out / "site.jsonl"
    with FlakyProxy("http://127.0.0.1:9") as proxy:
        proxy.script(page)
        options = {"api_key": site.api_key, "base_url": proxy.url}
        with pytest.raises(plaudit.PlauditError, match=r"Expected JSON Lines .* text/html"):
            export_with(flavour, lambda client: client.export(target), **options)
    assert list(out.iterdir()) == []


def test_progress_counts_lines(sdk, post, capsys):
    post.reviews(3)
    count = sdk.export(io.BytesIO(), progress=True)
    assert count == 5  # the site, the product, three reviews
    err = capsys.readouterr().err
    assert err.startswith("\rExporting site: 0")
    assert err.endswith("Exporting site: 5\n")
    sdk.export(io.BytesIO())
    assert capsys.readouterr().err == ""  # stderr is not a terminal here


def test_stopping_early_closes_the_response(post, live_server, site):
    post.reviews(3)
    # One connection in the pool: were the export's response left open, the next
    # request would wait for it and time out.
    http = httpx.Client(limits=httpx.Limits(max_connections=1))
    timeout = httpx.Timeout(5.0, pool=1.0)
    options = {"api_key": site.api_key, "base_url": live_server.url, "max_retries": 0}
    with http, plaudit.Plaudit(http_client=http, timeout=timeout, **options) as client:
        with contextlib.closing(client.export_lines()) as lines:
            first = next(lines)
        assert first["type"] == "site"
        assert client.site.get().id == first["id"]
