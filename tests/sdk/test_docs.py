"""The examples of the SDK's README and docstrings, run against the live server."""

from __future__ import annotations

import doctest
import importlib
import json
import logging
import re
from pathlib import Path

import httpx
import pytest

import plaudit

README = Path(__file__).parents[2] / "sdk" / "README.md"
DOCTEST_MODULES = ["plaudit", "plaudit._sync.client", "plaudit.pagination", "plaudit._sync.reviews"]
# Run after one published 4-star store review was added (the modules above count 12
# reviews and no store review).
STORE_DOCTEST_MODULES = ["plaudit._sync.invitations", "plaudit._sync.store", "plaudit._sync.site"]


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.fixture
def environment(monkeypatch, tmp_path, live_server, site):
    monkeypatch.setenv("PLAUDIT_API_KEY", site.api_key)
    monkeypatch.setenv("PLAUDIT_BASE_URL", live_server.url)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work
    logging.getLogger("plaudit").setLevel(logging.NOTSET)


def _close_clients(namespace: dict, seen: list) -> None:
    for value in list(namespace.values()):
        if isinstance(value, plaudit.Plaudit | httpx.Client) and value not in seen:
            seen.append(value)


def test_readme_examples_run(environment, sdk, post, capsys):
    sdk.site.update(moderation="pre")
    post.reviews(2, "sku-123", rating=5)
    post.review("sku-123", rating=1, title="Broken")
    post.review("sku-123", rating=3, title="Late delivery", body="The delivery was late")
    post.comment("sku-123", body="Does it fit the 2023 model?")
    sdk.comments.moderate([c.id for c in sdk.comments.list()], "published")
    sdk.site.update(moderation="post")

    blocks = _python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 10
    namespace: dict = {"__name__": "readme"}
    clients: list = []
    try:
        for number, block in enumerate(blocks, 1):
            try:
                exec(compile(block, f"sdk/README.md block {number}", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the message says which block
                raise AssertionError(f"README block {number} failed:\n{block}") from exc
            _close_clients(namespace, clients)
    finally:
        for client in clients:
            client.close()

    out = capsys.readouterr().out
    assert "{'rating': [" in out  # the ValidationError example printed the field errors
    assert "There is no review" in out or "rev_does_not_exist" in out
    assert (environment / "still-pending.csv").exists()
    assert (environment / "reviews.csv").read_text(encoding="utf-8").startswith("id,product")
    assert (environment / "spam.jsonl").exists()
    site_lines = (environment / "acme-shop.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(site_lines[0])["format"] == "plaudit-export"
    assert namespace["lines"] == len(site_lines)
    assert sorted(namespace["ratings"]) == sorted(r.rating for r in sdk.reviews.list())
    assert "already invited: True" in out  # ConflictError.existing_id
    assert "['A-1002']\n1 422 {'email': [" in out  # create_many's created and errors
    assert sdk.invitations.list(order_id="A-1001").items[0].status == "cancelled"


def test_the_ten_lines(environment, sdk, post):
    sdk.site.update(moderation="pre")
    good = post.review(rating=5)
    bad = post.review(rating=1)
    meh = post.review(rating=3)

    ten_lines = _python_blocks(README.read_text(encoding="utf-8"))[0]
    assert len([line for line in ten_lines.splitlines() if line.strip()]) <= 10
    namespace: dict = {}
    exec(ten_lines, namespace)
    namespace["client"].close()

    assert sdk.reviews.get(good["id"]).status is plaudit.ReviewStatus.PUBLISHED
    replied = sdk.reviews.get(bad["id"])
    assert replied.status is plaudit.ReviewStatus.PENDING
    assert replied.reply is not None
    exported = (environment / "still-pending.csv").read_text(encoding="utf-8")
    assert bad["id"] in exported and meh["id"] in exported and good["id"] not in exported


def test_docstring_examples_run(environment, sdk, post, live_server, site):
    sdk.site.update(moderation="pre")
    post.reviews(12, rating=5)  # pending until the package docstring approves them
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    finder = doctest.DocTestFinder()
    examples = 0

    def run(names: list[str]) -> int:
        count = 0
        for name in names:
            module = importlib.import_module(name)
            found = finder.find(module, extraglobs={"client": sdk})
            for test in sorted(found, key=lambda t: t.name):
                count += len(test.examples)
                runner.run(test)
        return count

    examples += run(DOCTEST_MODULES)
    sdk.site.update(moderation="post")
    store = httpx.post(
        f"{live_server.url}/api/v1/sites/{site.slug}/store/reviews",
        json={"rating": 4, "body": "Fast delivery", "author_name": "Ada"},
    )
    assert store.status_code == 201, store.text
    stores = run(STORE_DOCTEST_MODULES)
    results = runner.summarize(verbose=False)
    assert results.failed == 0
    assert examples >= 10
    assert stores >= 15
