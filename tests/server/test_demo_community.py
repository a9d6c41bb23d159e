"""The demo shop's community: questions with answers from the shop and from verified
buyers, an idea board with an idea in every stage, and the pages that embed them.

The demo is made as a visitor makes it (``plaudit demo``) and read back through the
public and admin API, as the widget and the admin page read it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plaudit_server.extensions import db
from plaudit_server.models import IDEA_STAGES, Answer, Idea, IdeaVote, Message, Question

KEY_RE = re.compile(r"sk_live_[A-Za-z0-9_-]{20,}")
PUBLIC = "/api/v1/sites/demo"
ANSWERED_PRODUCTS = ("grinder-aurora", "kettle-pour-over")


@pytest.fixture
def demo(runner: Any) -> str:
    """The demo site, made by the command; its secret key."""
    made = runner.invoke(args=["demo"])
    assert made.exit_code == 0, made.output
    assert "questions" in made.output and "ideas" in made.output
    key = KEY_RE.search(made.output)
    assert key is not None, made.output
    return key.group()


def get(client: Any, url: str, key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json(force=True)


def answers_of(client: Any, question_id: str) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = get(client, f"{PUBLIC}/questions/{question_id}/answers")[
        "answers"
    ]
    return answers


def community_rows(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            or 0
            for model in (Question, Answer, Idea, IdeaVote)
        }


# ---------------------------------------------------------------- questions and answers


@pytest.mark.parametrize("product", ANSWERED_PRODUCTS)
def test_questions_answered_by_the_shop_and_by_a_verified_buyer(
    demo: str, client: Any, product: str
) -> None:
    questions = get(client, f"{PUBLIC}/products/{product}/questions")["questions"]
    answered = [q for q in questions if q["answer_count"]]
    assert answered, questions
    both = [
        answers_of(client, q["id"])
        for q in answered
        if q["top_answer"] is not None and q["top_answer"]["is_owner"]
    ]
    # A question whose answers are the shop's (first) and a verified buyer's (next).
    assert any(
        answers[0]["is_owner"]
        and any(a["verified_buyer"] and not a["is_owner"] for a in answers[1:])
        for answers in both
    ), both
    for q in answered:
        listed = answers_of(client, q["id"])
        assert len(listed) == q["answer_count"]
        assert listed[0] == q["top_answer"]  # the widget's order: the list's first


def test_a_question_waits_for_its_first_answer_and_one_for_moderation(
    demo: str, client: Any
) -> None:
    questions = get(client, f"{PUBLIC}/products/grinder-aurora/questions")["questions"]
    assert [q for q in questions if q["answer_count"] == 0 and q["top_answer"] is None]
    pending = get(client, "/api/v1/admin/questions?status=pending", demo)["questions"]
    assert len(pending) == 1
    assert pending[0]["product"] == "mug-set-stoneware"
    public = get(client, f"{PUBLIC}/products/mug-set-stoneware/questions")["questions"]
    assert public == []  # not shown before the shop publishes it


def test_the_demo_has_a_faq_document(demo: str, client: Any) -> None:
    document = get(client, f"{PUBLIC}/products/grinder-aurora/questions/jsonld")
    assert document["@type"] == "FAQPage"
    accepted = [entry["acceptedAnswer"]["author"] for entry in document["mainEntity"]]
    assert {"@type": "Organization", "name": "Plaudit Demo Coffee"} in accepted


# ---------------------------------------------------------------- the idea board


def test_an_idea_in_every_stage_with_votes_and_notes(demo: str, client: Any) -> None:
    board = get(client, f"{PUBLIC}/ideas?limit=50")["ideas"]
    assert {idea["stage"] for idea in board} == set(IDEA_STAGES)
    for stage in IDEA_STAGES:
        ideas = get(client, f"{PUBLIC}/ideas?stage={stage}")["ideas"]
        assert ideas, stage
        assert all(idea["vote_count"] > 0 for idea in ideas), ideas
        if stage != "open":
            assert all(idea["stage_note"] for idea in ideas), ideas
    # Sorted by votes, as the board shows them.
    counts = [idea["vote_count"] for idea in board]
    assert counts == sorted(counts, reverse=True)
    pending = get(client, "/api/v1/admin/ideas?status=pending", demo)["ideas"]
    assert [idea["title"] for idea in pending] == ["Gift wrapping at checkout"]


def test_an_idea_made_from_a_review_shows_it(demo: str, client: Any) -> None:
    board = get(client, f"{PUBLIC}/ideas?stage=in_progress")["ideas"]
    made = [i for i in board if i["author_name"] == "Plaudit Demo Coffee"]
    assert len(made) == 1
    idea = get(client, f"{PUBLIC}/ideas/{made[0]['id']}")["idea"]
    assert idea["product"] == "grinder-aurora"  # the review's
    (source,) = idea["sources"]
    assert source["type"] == "review"
    assert "hopper lid" in source["excerpt"]
    review = get(client, f"/api/v1/admin/reviews/{source['id']}", demo)
    assert review["product"] == "grinder-aurora"


def test_voters_who_left_an_address_hear_of_planned_and_shipped_ideas(
    demo: str, app: Flask
) -> None:
    """The demo's planned and shipped ideas told their voters ("you asked, we built
    it"): the messages wait in the outbox for the worker."""
    with app.app_context():
        voters = db.session.scalars(
            sa.select(IdeaVote.email)
            .join(Idea, Idea.id == IdeaVote.idea_id)
            .where(Idea.stage.in_(["planned", "shipped"]), IdeaVote.email.is_not(None))
        ).all()
        told = db.session.scalars(
            sa.select(Message.email).where(Message.kind == "idea_progress")
        ).all()
    assert voters
    assert set(told) == set(voters)


# ---------------------------------------------------------------- pages and resets


def test_the_pages_embed_questions_and_the_idea_board(demo: str, client: Any) -> None:
    listing = client.get("/demo").get_data(as_text=True)
    assert 'href="/demo/ideas"' in listing
    assert "data-plaudit-ideas data-" not in listing  # the listing stays one request for badges
    ideas = client.get("/demo/ideas?theme=dark")
    assert ideas.status_code == 200
    board = ideas.get_data(as_text=True)
    for view in ("roadmap", "board"):
        assert f'data-plaudit-ideas data-view="{view}" data-site="demo" data-theme="dark"' in board
    hostile = client.get('/demo/ideas?theme="><script>').get_data(as_text=True)
    assert "<script>" not in hostile and 'data-theme="light"' in hostile
    page = client.get("/demo/products/kettle-pour-over").get_data(as_text=True)
    assert 'data-plaudit-questions data-site="demo" data-product="kettle-pour-over"' in page
    assert 'data-questions="off"' in page  # not twice: the block, not the reviews' tab
    tab = client.get("/demo/products/kettle-pour-over?questions=tab").get_data(as_text=True)
    assert "data-plaudit-questions data-site" not in tab and 'data-questions="off"' not in tab
    assert 'data-plaudit-reviews data-site="demo" data-product="kettle-pour-over"' in tab


def test_a_reset_makes_the_community_again_without_duplicates(
    demo: str, runner: Any, app: Flask
) -> None:
    before = community_rows(app)
    assert all(before.values()), before
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "already exists" in again.output
    assert community_rows(app) == before
    reset = runner.invoke(args=["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert community_rows(app) == before  # the old site's went with it
