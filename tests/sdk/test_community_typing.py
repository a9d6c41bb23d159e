"""The community resources are typed precisely: what user code sees of questions,
answers, ideas and the community statistics passes ``mypy --strict`` with the exact
types asserted, on both clients, and a sort outside the list is a type error."""

from __future__ import annotations

from pathlib import Path

import pytest

SDK = Path(__file__).parents[2] / "sdk" / "plaudit"

USAGE = """
from __future__ import annotations

import datetime as dt
from typing import assert_type

import plaudit
from plaudit.pagination import AsyncCursorPage, AsyncPaginator, CursorPage


def sync(client: plaudit.Plaudit) -> None:
    questions = client.questions.list(status=plaudit.ReviewStatus.PENDING, product="sku", q="fit")
    assert_type(questions, CursorPage[plaudit.AdminQuestion])
    for question in questions:
        assert_type(question.status, plaudit.ReviewStatus)
        assert_type(question.notify, bool)
        assert_type(question.top_answer, plaudit.Answer | None)
        assert_type(question.moderation, plaudit.ModerationDecision | None)
        assert_type(question.updated_at, dt.datetime)
    assert_type(client.questions.get("que_1"), plaudit.AdminQuestion)
    assert_type(client.questions.update("que_1", status="spam", note=None), plaudit.AdminQuestion)
    assert_type(client.questions.reject("que_1", reason="off_topic"), plaudit.AdminQuestion)
    assert_type(client.questions.moderate(["que_1"], "published"), int)
    assert_type(client.questions.delete("que_1"), None)

    answer = client.answers.create(question_id="que_1", body="Yes.", idempotency_key="k")
    assert_type(answer, plaudit.AdminAnswer)
    assert_type(answer.question_body, str | None)
    assert_type(answer.product, str | None)
    assert_type(answer.is_owner, bool)
    assert_type(client.answers.list(question_id="que_1"), CursorPage[plaudit.AdminAnswer])
    assert_type(client.answers.approve("ans_1"), plaudit.AdminAnswer)
    assert_type(client.answers.mark_spam("ans_1", note="Ads."), plaudit.AdminAnswer)

    idea = client.ideas.create(title="A bigger lid", sources=["rev_1", "cmt_1"])
    assert_type(idea, plaudit.AdminIdea)
    assert_type(idea.stage, plaudit.IdeaStage)
    assert_type(idea.sources, list[plaudit.IdeaSource])
    assert_type(idea.sources[0].excerpt, str)
    assert_type(idea.merged_into, str | None)
    assert_type(idea.sources[0].status, plaudit.ReviewStatus | None)
    assert_type(idea.product, str | None)
    stage: plaudit.IdeaStage = plaudit.IdeaStage.SHIPPED
    assert_type(client.ideas.update(idea.id, stage=stage, stage_note=None), plaudit.AdminIdea)
    assert_type(client.ideas.merge("idea_2", into=idea.id), plaudit.AdminIdea)
    assert_type(client.ideas.list(stage="planned", sort="top"), CursorPage[plaudit.AdminIdea])

    stats = client.stats()
    assert_type(stats.questions, plaudit.StatusCounts)
    assert_type(stats.ideas["pending"], int)
    assert_type(stats.ideas_top, list[plaudit.Idea])
    assert_type(stats.ideas_shipped[0].stage_note, str | None)

    public = client.products.questions("sku", sort="answered", site="acme-shop")
    assert_type(public, CursorPage[plaudit.Question])
    assert_type(public.items[0].top_answer, plaudit.Answer | None)
    assert_type(client.products.answers("que_1").items, list[plaudit.Answer])
    board = client.products.ideas(stage=plaudit.IdeaStage.PLANNED, sort="top")
    assert_type(board, CursorPage[plaudit.Idea])
    assert_type(client.products.idea("idea_1").sources[0].status, plaudit.ReviewStatus | None)
    assert_type(client.products.community(["sku"])["sku"], plaudit.CommunityCounts)


async def asynchronous(client: plaudit.AsyncPlaudit) -> None:
    pages = client.ideas.list(sort="newest")
    assert_type(pages, AsyncPaginator[plaudit.AdminIdea, AsyncCursorPage[plaudit.AdminIdea]])
    async for question in client.questions.list():
        assert_type(question, plaudit.AdminQuestion)
    first = await client.answers.list(status="pending")
    assert_type(first.items, list[plaudit.AdminAnswer])
    assert_type(await client.answers.create(question_id="q", body="b"), plaudit.AdminAnswer)
    assert_type(await client.ideas.merge("idea_1", into="idea_2"), plaudit.AdminIdea)
    assert_type((await client.stats()).answers.total, int)
    assert_type(await client.products.ideas(), AsyncCursorPage[plaudit.Idea])
    async for public in await client.products.questions("sku"):
        assert_type(public, plaudit.Question)
"""

BAD_SORT = """
import plaudit


def sync(client: plaudit.Plaudit) -> None:
    client.ideas.list(sort="best")
    client.questions.list(sort="top")
    client.products.ideas(sort="oldest")
"""


def _mypy(tmp_path: Path, code: str) -> tuple[int, str]:
    api = pytest.importorskip("mypy.api")
    usage = tmp_path / "usage.py"
    usage.write_text(code)
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
    return status, stdout + stderr


def test_community_types_are_precise(tmp_path):
    status, output = _mypy(tmp_path, USAGE)
    assert status == 0, output


def test_sorts_outside_the_lists_are_type_errors(tmp_path):
    status, output = _mypy(tmp_path, BAD_SORT)
    assert status == 1
    assert 'usage.py:6: error: Argument "sort" to "list" of "Ideas"' in output
    assert 'usage.py:7: error: Argument "sort" to "list" of "Questions"' in output
    assert 'usage.py:8: error: Argument "sort" to "ideas" of "Products"' in output
