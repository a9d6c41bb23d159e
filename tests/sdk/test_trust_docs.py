"""The Trust and Authors sections of the SDK's README, run against the live server with
something to act on: pending reviews to reject, visitors' reports to decide, a
rejected review whose author appeals, edits and deletes it.

tests/sdk/test_docs.py runs the ```python blocks too, in the state the README's earlier
blocks leave (no reports there); the Authors section's ```py blocks need a real manage
link, so only this test runs them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import plaudit

from .test_trust import Reporter

README = Path(__file__).parents[2] / "sdk" / "README.md"
README_SERVER = "https://reviews.example.com"


def _section(title: str, fence: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"### {title}", 1)[1].split("\n### ", 1)[0]
    return re.findall(rf"```{fence}\n(.*?)```", section, flags=re.DOTALL)


def _run(blocks: list[str], namespace: dict[str, Any], name: str) -> None:
    assert blocks, f"no blocks in the README's {name} section"
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"sdk/README.md {name} block {number}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message says which block
            raise AssertionError(f"README {name} block {number} failed:\n{block}") from exc


def test_the_trust_section_runs(sdk, post, live_server, site, capsys):
    sdk.site.update(moderation="pre")
    casino = post.review("sku-123", body="Win big at the casino tonight")["id"]
    rival = post.review("sku-123", body="Buy it at my other shop instead")["id"]
    sdk.site.update(moderation="post")
    doxxed = post.review("sku-123", rating=2, body="The seller lives at 5 Elm St")["id"]
    fine = post.review("sku-123", rating=1, body="Broke after a week")["id"]
    report = Reporter(live_server.url, site.slug)
    illegal = report(doxxed, reason="illegal", details="A home address", email="e@x.test")
    other = report(doxxed, reason="personal_data")
    unfair = report(fine, reason="fake")
    sdk.reviews.reply(fine, "Sorry: a new one is on its way.")

    _run(_section("Trust", "python"), {"client": sdk, "plaudit": plaudit}, "Trust")

    rejected = sdk.reviews.get(casino)
    assert rejected.status is plaudit.ReviewStatus.REJECTED
    assert rejected.moderation is not None
    assert (rejected.moderation.reason, rejected.moderation.note) == (
        "spam",
        "It advertises a casino.",
    )
    assert sdk.reviews.get(rival).moderation.reason == "conflict_of_interest"  # type: ignore[union-attr]
    assert sdk.reviews.get(doxxed).status is plaudit.ReviewStatus.REJECTED
    assert {sdk.reports.get(i).status for i in (illegal, other)} == {plaudit.ReportStatus.REMOVED}
    assert sdk.reports.get(unfair).status is plaudit.ReportStatus.KEPT
    assert sdk.reviews.get(fine).status is plaudit.ReviewStatus.PUBLISHED
    assert list(sdk.reports.list(status="open")) == []

    (invitation,) = sdk.invitations.list(order_id="A-2001").items
    assert invitation.incentive
    settings = sdk.site.get()
    assert settings.report_threshold == 5
    assert settings.guidelines is not None and "never remove" in settings.guidelines
    out = capsys.readouterr().out
    assert f"review {doxxed} illegal A home address" in out
    assert " key " in out and "review.status" in out  # the audit log's lines
    assert "True" in out.splitlines()[-1]  # the guidelines are the site's own


def test_the_authors_section_runs(sdk, post, live_server, capsys):
    # The links name PUBLIC_URL: here, the live server itself.
    live_server.app.config["PUBLIC_URL"] = live_server.url
    response = post.http.post(
        post._url("sku-123", "reviews"),
        json={"rating": 2, "body": "The lid broke", "author_name": "Ada"},
    )
    assert response.status_code == 201, response.text
    manage_url = response.json()["manage_url"]
    assert manage_url.startswith(live_server.url + "/m/")
    review = response.json()["review"]["id"]
    sdk.reviews.reject(review, reason="off_topic", note="This is about the courier.")

    blocks = [block.replace(README_SERVER, live_server.url) for block in _section("Authors", "py")]
    namespace = {
        "plaudit": plaudit,
        "manage_url": manage_url,
        "token": manage_url.rsplit("/", 1)[1],
    }
    _run(blocks, namespace, "Authors")

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "review rejected off_topic This is about the courier."
    assert out[1] == "True It is about the kettle: the photo shows its broken lid."
    assert out[2] == "pending"
    with pytest.raises(plaudit.NotFoundError):
        sdk.reviews.get(review)
    with plaudit.AuthorClient.from_url(manage_url) as author, pytest.raises(plaudit.GoneError):
        author.get()
