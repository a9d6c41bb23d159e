"""The SDK is typed: it ships ``py.typed`` and passes ``mypy --strict``, and the types a
user's code sees are the precise ones."""

from __future__ import annotations

from pathlib import Path

import pytest

SDK = Path(__file__).parents[2] / "sdk" / "plaudit"

USAGE = """
from __future__ import annotations

import datetime as dt
from typing import Any, assert_type

import plaudit
from plaudit.pagination import CursorPage


def sync(client: plaudit.Plaudit) -> None:
    page = client.reviews.list(status=plaudit.ReviewStatus.PENDING)
    assert_type(page, CursorPage[plaudit.AdminReview])
    for review in page:
        assert_type(review.created_at, dt.datetime)
        assert_type(review.status, plaudit.ReviewStatus)
        assert_type(review.reply, plaudit.Reply | None)
    for one in page.iter_pages():
        assert_type(one.items, list[plaudit.AdminReview])
    assert_type(client.products.reviews("sku").summary, plaudit.Summary)
    assert_type(client.products.summaries(["a"]), dict[str, plaudit.Summary])
    assert_type(client.stats().published_per_day[0].date, dt.date)
    assert_type(client.reviews.moderate(["x"], "spam"), int)
    assert_type(client.reviews.export("x.csv"), int)
    assert_type(client.export("site.jsonl"), int)
    for line in client.export_lines():
        assert_type(line, dict[str, Any])
    try:
        client.reviews.get("x")
    except plaudit.RateLimitError as error:
        assert_type(error.retry_after, float | None)
        assert_type(error.request_id, str | None)
    except plaudit.ValidationError as error:
        assert_type(error.errors, dict[str, Any])
    try:
        invitation = client.invitations.create(
            order_id="1", email="a@example.com", products=["sku"], send_at=dt.datetime.now(dt.UTC)
        )
        assert_type(invitation, plaudit.Invitation)
        assert_type(invitation.status, plaudit.InvitationStatus)
        assert_type(invitation.sent_at, dt.datetime | None)
    except plaudit.ConflictError as conflict:
        assert_type(conflict.existing_id, str | None)
        assert_type(conflict.extensions, dict[str, Any])
    item: plaudit.NewInvitation = {"order_id": "2", "email": "b@example.com", "products": ["x"]}
    result = client.invitations.create_many([item])
    assert_type(result.created, list[plaudit.Invitation])
    assert_type(result.errors[0].problem, plaudit.Problem)
    assert_type(result.errors[0].problem.existing_id, str | None)
    assert_type(client.invitations.list(status="sent"), CursorPage[plaudit.Invitation])
    assert_type(client.invitations.cancel("inv_1"), plaudit.Invitation)
    assert_type(client.store.summary(), plaudit.Summary)
    assert_type(client.store.reviews().items[0].product, str | None)
    assert_type(client.reviews.list(subject="store").items[0].product, str | None)
    assert_type(client.stats().invitations.conversion, float | None)
    assert_type(client.site.update(invite_ttl_days=30).invite_ttl_days, int)
    assert_type(client.questions.list(), CursorPage[plaudit.AdminQuestion])
    assert_type(client.answers.create(question_id="q", body="b"), plaudit.AdminAnswer)
    assert_type(client.ideas.get("idea_1").stage, plaudit.IdeaStage)


async def asynchronous(client: plaudit.AsyncPlaudit) -> None:
    async for review in client.reviews.list():
        assert_type(review, plaudit.AdminReview)
    first = await client.comments.list()
    assert_type(first.items, list[plaudit.AdminComment])
    assert_type((await client.products.reviews("sku")).summary, plaudit.Summary)
    assert_type(await client.site.get(), plaudit.Site)
    async for invitation in client.invitations.list(order_id="1"):
        assert_type(invitation, plaudit.Invitation)
    batch = await client.invitations.create_many([])
    assert_type(batch, plaudit.BatchResult)
    assert_type((await client.store.reviews()).summary, plaudit.Summary)
    assert_type(await client.export("site.jsonl"), int)
    async for line in client.export_lines():
        assert_type(line, dict[str, Any])
    async for idea in client.ideas.list(stage="planned"):
        assert_type(idea, plaudit.AdminIdea)
"""


def test_py_typed_is_shipped():
    assert (SDK / "py.typed").exists()


def test_mypy_strict(tmp_path):
    api = pytest.importorskip("mypy.api")
    usage = tmp_path / "usage.py"
    usage.write_text(USAGE)
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(SDK),
            str(usage),
        ]
    )
    assert status == 0, stdout + stderr
