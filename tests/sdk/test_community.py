"""The SDK's community resources against the live server, on both clients: the
questions visitors ask, the answers (the shop's own too), and the idea board (stages,
feedback turned into ideas, merges), with the paging, errors and statistics of reviews.
Retries and idempotency of their writes are in test_parity.py."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

import plaudit
from plaudit import IdeaStage, ReviewStatus

from .conftest import Poster


class Visitor:
    """Asks, answers, proposes and votes through the public API as the widget would;
    each vote is another visitor (its own User-Agent), since one visitor votes once."""

    def __init__(self, base_url: str, slug: str) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/api/v1/sites/{slug}")
        self._counter = 0

    def _post(self, path: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        response = self.http.post(path, json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        data: dict[str, Any] = response.json()
        return data

    def question(self, product: str = "sku-1", **fields: Any) -> dict[str, Any]:
        self._counter += 1
        body = {
            "body": f"Question {self._counter}: does it fit? {uuid.uuid4().hex[:6]}",
            "author_name": "Ada",
            **fields,
        }
        question: dict[str, Any] = self._post(f"/products/{product}/questions", body)["question"]
        return question

    def answer(self, question_id: str, **fields: Any) -> dict[str, Any]:
        self._counter += 1
        body = {"body": f"Answer {self._counter}: it does.", "author_name": "Grace", **fields}
        answer: dict[str, Any] = self._post(f"/questions/{question_id}/answers", body)["answer"]
        return answer

    def idea(self, **fields: Any) -> dict[str, Any]:
        self._counter += 1
        body = {
            "title": f"Idea {self._counter}: a bigger lid",
            "body": "So it is easier to fill.",
            "author_name": "Lin",
            **fields,
        }
        idea: dict[str, Any] = self._post("/ideas", body)["idea"]
        return idea

    def vote(self, idea_id: str, **fields: Any) -> dict[str, Any]:
        agent = f"visitor-{uuid.uuid4().hex}"
        body = {"vote": True, **fields}
        return self._post(f"/ideas/{idea_id}/votes", body, **{"User-Agent": agent})

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def visitor(live_server: Any, site: Any) -> Any:
    visiting = Visitor(live_server.url, site.slug)
    yield visiting
    visiting.close()


def _recent(moment: dt.datetime) -> bool:
    return moment.tzinfo is dt.UTC and abs(moment - dt.datetime.now(dt.UTC)) < dt.timedelta(
        minutes=5
    )


# ---------------------------------------------------------------- questions


def test_questions_list_get_and_filters(both, sdk, visitor):
    first = visitor.question("sku-1", author_email="ada@example.test", notify=True)
    second = visitor.question("sku-1")
    other = visitor.question("sku-2")
    sdk.questions.reject(second["id"])

    listed = both(lambda client: client.questions.list())
    assert [q.id for q in listed] == [other["id"], second["id"], first["id"]]  # newest first
    assert all(isinstance(q, plaudit.AdminQuestion) for q in listed)

    got = both(lambda client: client.questions.get(first["id"]))
    assert (got.product, got.body, got.author_name) == ("sku-1", first["body"], "Ada")
    assert (got.status, got.author_email, got.notify) == (
        ReviewStatus.PUBLISHED,
        "ada@example.test",
        True,
    )
    assert (got.answer_count, got.top_answer, got.spam_reasons) == (0, None, [])
    assert _recent(got.created_at) and _recent(got.updated_at)

    on_sku_1 = both(lambda client: client.questions.list(product="sku-1", sort="oldest"))
    assert [q.id for q in on_sku_1] == [first["id"], second["id"]]
    rejected = both(lambda client: client.questions.list(status=ReviewStatus.REJECTED))
    assert [q.id for q in rejected] == [second["id"]]
    assert both(lambda client: client.questions.list(status="spam")) == []


def test_questions_are_read_page_by_page(sdk, visitor):
    made = [visitor.question()["id"] for _ in range(5)]
    page = sdk.questions.list(limit=2)
    assert len(page.items) == 2 and page.has_next_page()
    assert [len(p.items) for p in page.iter_pages()] == [2, 2, 1]
    assert [q.id for q in page] == made[::-1]


def test_a_question_is_moderated_like_a_review(both, sdk, visitor):
    question = visitor.question()["id"]

    rejected = both(
        lambda client: client.questions.reject(question, reason="off_topic", note="Ask support.")
    )
    assert rejected.status is ReviewStatus.REJECTED
    assert rejected.moderation is not None
    assert (rejected.moderation.reason, rejected.moderation.note) == ("off_topic", "Ask support.")
    assert both(lambda client: client.questions.approve(question)).status is ReviewStatus.PUBLISHED
    spam = both(lambda client: client.questions.mark_spam(question, reason="spam"))
    assert spam.status is ReviewStatus.SPAM

    edited = both(lambda client: client.questions.update(question, status="published"))
    assert edited.status is ReviewStatus.PUBLISHED
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.questions.update(question, status="rejected", reason="nope"))
    assert "reason" in caught.value.errors
    with pytest.raises(ValueError, match="Nothing to update"):
        both(lambda client: client.questions.update(question))
    assert sdk.questions.get(question).status is ReviewStatus.PUBLISHED  # nothing changed

    assert both(lambda client: client.questions.delete(question)) is None
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.questions.get(question))


def test_questions_are_moderated_in_bulk(both, sdk, visitor):
    ids = [visitor.question()["id"] for _ in range(3)]
    assert both(lambda client: client.questions.moderate(ids, "rejected", reason="spam")) == 3
    assert {q.status for q in sdk.questions.list()} == {ReviewStatus.REJECTED}
    assert {q.moderation.reason for q in sdk.questions.list()} == {"spam"}  # type: ignore[union-attr]
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.questions.moderate(ids, "hidden"))
    assert "status" in caught.value.errors
    with pytest.raises(TypeError, match="list of ids"):
        both(lambda client: client.questions.moderate(ids[0], "published"))
    assert {q.status for q in sdk.questions.list()} == {ReviewStatus.REJECTED}


# ---------------------------------------------------------------- answers


def test_the_shop_answers_and_comes_first(both, sdk, visitor):
    question = visitor.question("sku-7")
    customer = visitor.answer(question["id"])

    ours = both(
        lambda client: client.answers.create(question_id=question["id"], body="Yes, it does.")
    )
    assert isinstance(ours, plaudit.AdminAnswer)
    assert (ours.question_id, ours.body, ours.is_owner) == (question["id"], "Yes, it does.", True)
    assert (ours.status, ours.product) == (ReviewStatus.PUBLISHED, "sku-7")
    assert ours.question_body and ours.question_body in question["body"]
    assert _recent(ours.created_at)

    read = sdk.questions.get(question["id"])
    assert read.answer_count >= 2
    assert read.top_answer is not None and read.top_answer.is_owner  # the shop's first
    assert isinstance(read.top_answer, plaudit.Answer)

    answers = both(lambda client: client.answers.list(question_id=question["id"]))
    assert {a.id for a in answers} == {customer["id"], ours.id}
    got = both(lambda client: client.answers.get(customer["id"]))
    assert (got.is_owner, got.verified_buyer, got.author_name) == (False, False, "Grace")


def test_an_answer_to_a_question_that_is_not_published_is_refused(both, sdk, visitor):
    question = visitor.question()["id"]
    sdk.questions.reject(question, reason="off_topic")
    for question_id in (question, "que_" + "0" * 26):  # rejected, no such question
        with pytest.raises(plaudit.ValidationError) as caught:
            both(lambda client, q=question_id: client.answers.create(question_id=q, body="Hi"))
        assert "question_id" in caught.value.errors
    assert list(sdk.answers.list()) == []


def test_answers_are_moderated_like_reviews(both, sdk, visitor):
    question = visitor.question()["id"]
    ids = [visitor.answer(question)["id"] for _ in range(3)]

    rejected = both(lambda client: client.answers.reject(ids[0], reason="offensive", note="Rude."))
    assert rejected.status is ReviewStatus.REJECTED
    assert rejected.moderation is not None and rejected.moderation.note == "Rude."
    restored = both(lambda client: client.answers.update(ids[0], status="published"))
    assert restored.status is ReviewStatus.PUBLISHED
    assert both(lambda client: client.answers.moderate(ids, ReviewStatus.SPAM)) == 3
    spam = both(lambda client: client.answers.list(status="spam", question_id=question))
    assert sorted(a.id for a in spam) == sorted(ids)

    both(lambda client: client.answers.delete(ids[2]))
    with pytest.raises(plaudit.NotFoundError):
        sdk.answers.get(ids[2])
    assert sdk.questions.get(question).status is ReviewStatus.PUBLISHED


# ---------------------------------------------------------------- ideas


def test_feedback_becomes_an_idea(both, sdk, post: Poster):
    review = post.review("sku-1", body="I wish the lid were bigger, it spills")
    comment = post.comment("sku-1", body="A bigger lid would help me too")

    idea = both(
        lambda client: client.ideas.create(
            title="A bigger lid",
            body="Several customers ask for it.",
            product="sku-1",
            sources=[review["id"], comment["id"]],
        )
    )
    assert isinstance(idea, plaudit.AdminIdea)
    assert (idea.title, idea.body, idea.product) == (
        "A bigger lid",
        "Several customers ask for it.",
        "sku-1",
    )
    assert (idea.status, idea.stage, idea.merged_into) == (
        ReviewStatus.PUBLISHED,
        IdeaStage.OPEN,
        None,
    )
    assert sorted((s.type, s.id, s.status) for s in idea.sources) == [
        ("comment", comment["id"], ReviewStatus.PUBLISHED),
        ("review", review["id"], ReviewStatus.PUBLISHED),
    ]
    assert all(isinstance(s, plaudit.IdeaSource) and s.excerpt for s in idea.sources)
    assert {s.author_name for s in idea.sources} == {"Ada", "Grace"}
    assert _recent(idea.created_at) and _recent(idea.updated_at)

    bare = both(lambda client: client.ideas.create(title="Gift wrapping"))
    assert (bare.body, bare.product, bare.sources) == ("", None, [])
    missing = "rev_" + "0" * 26  # well formed, but no such review
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.ideas.create(title="From nothing", sources=[missing]))
    assert "from" in caught.value.errors
    with pytest.raises(TypeError, match="list of review or comment ids"):
        both(lambda client: client.ideas.create(title="One string", sources=review["id"]))


def test_ideas_move_through_their_stages(both, sdk, visitor):
    idea = visitor.idea()["id"]

    planned = both(
        lambda client: client.ideas.update(
            idea, stage=IdeaStage.PLANNED, stage_note="Coming in the spring."
        )
    )
    assert (planned.stage, planned.stage_note) == (IdeaStage.PLANNED, "Coming in the spring.")
    shipped = both(lambda client: client.ideas.update(idea, stage="shipped", stage_note=None))
    assert (shipped.stage, shipped.stage_note) == (IdeaStage.SHIPPED, None)
    renamed = both(lambda client: client.ideas.update(idea, title="A much bigger lid", body=""))
    assert (renamed.title, renamed.body) == ("A much bigger lid", "")

    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.ideas.update(idea, stage="someday"))
    assert "stage" in caught.value.errors
    assert sdk.ideas.get(idea).stage is IdeaStage.SHIPPED  # nothing changed


def test_ideas_list_filters_and_sorts(both, sdk, visitor):
    few = visitor.idea(product="sku-1")["id"]
    many = visitor.idea()["id"]
    for _ in range(3):
        visitor.vote(many, email=f"{uuid.uuid4().hex[:6]}@example.test")
    visitor.vote(few)
    sdk.ideas.update(few, stage="under_review")

    top = both(lambda client: client.ideas.list(sort="top"))
    assert [(i.id, i.vote_count) for i in top] == [(many, 3), (few, 1)]
    newest = both(lambda client: client.ideas.list())
    assert [i.id for i in newest] == [many, few]
    staged = both(lambda client: client.ideas.list(stage=IdeaStage.UNDER_REVIEW))
    assert [i.id for i in staged] == [few]
    assert [i.id for i in both(lambda client: client.ideas.list(product="sku-1"))] == [few]
    assert both(lambda client: client.ideas.list(status="pending")) == []
    page = sdk.ideas.list(limit=1)
    assert [len(p.items) for p in page.iter_pages()] == [1, 1]


def test_merging_moves_the_votes_to_the_other_idea(both, sdk, visitor, post):
    target = visitor.idea()["id"]
    review = post.review(body="Please make a bigger lid")["id"]
    duplicate = sdk.ideas.create(title="Bigger lid please", sources=[review]).id
    visitor.vote(target)
    visitor.vote(duplicate)

    merged = both(lambda client: client.ideas.merge(duplicate, into=target))
    assert merged.id == target
    assert merged.vote_count == 2
    assert review in [s.id for s in merged.sources]
    gone = sdk.ideas.get(duplicate)
    assert (gone.status, gone.merged_into) == (ReviewStatus.REJECTED, target)

    for into in (target, "idea_" + "0" * 26, duplicate):  # itself, unknown, merged itself
        with pytest.raises(plaudit.ValidationError) as caught:
            both(lambda client, into=into: client.ideas.merge(target, into=into))
        assert "into" in caught.value.errors
    with pytest.raises(plaudit.ConflictError):
        both(lambda client: client.ideas.merge(duplicate, into=target))
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.ideas.merge("idea_nope", into=target))
    assert sdk.ideas.get(target).vote_count == 2


def test_ideas_are_moderated_and_deleted(both, sdk, visitor):
    ids = [visitor.idea()["id"] for _ in range(2)]
    rejected = both(lambda client: client.ideas.reject(ids[0], reason="off_topic"))
    assert rejected.status is ReviewStatus.REJECTED
    assert both(lambda client: client.ideas.moderate(ids, "published")) == 2
    both(lambda client: client.ideas.delete(ids[1]))
    assert [i.id for i in sdk.ideas.list()] == [ids[0]]


# ---------------------------------------------------------------- public reads


def test_public_questions_and_answers_as_the_widget_shows_them(both, sdk, visitor):
    quiet = visitor.question("sku-5")["id"]
    busy = visitor.question("sku-5")["id"]
    hidden = visitor.question("sku-5")["id"]
    sdk.questions.reject(hidden)
    helpful = visitor.answer(busy)["id"]
    ours = sdk.answers.create(question_id=busy, body="Yes, from the shop.").id
    visitor.answer(busy)

    newest = both(lambda client: client.products.questions("sku-5"))
    assert [q.id for q in newest] == [busy, quiet]
    assert all(type(q) is plaudit.Question for q in newest)
    answered = both(lambda client: client.products.questions("sku-5", sort="answered", limit=1))
    assert [(q.id, q.answer_count) for q in answered] == [(busy, 3), (quiet, 0)]
    assert answered[0].top_answer is not None and answered[0].top_answer.id == ours

    answers = both(lambda client: client.products.answers(busy, limit=2))
    assert answers[0].id == ours and answers[0].is_owner  # the shop's first
    assert len(answers) == 3 and helpful in [a.id for a in answers]
    assert all(type(a) is plaudit.Answer for a in answers)
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.products.answers(hidden))


def test_question_counts_of_many_products_at_once(both, sdk, visitor, proxy, site):
    answered = visitor.question("sku-a")["id"]
    visitor.question("sku-a")
    visitor.question("sku-b")
    sdk.answers.create(question_id=answered, body="Yes.")

    counts = both(lambda client: client.products.community(["sku-a", "sku-b", "sku-none"]))
    assert counts == {
        "sku-a": plaudit.CommunityCounts(questions=2, answered=1),
        "sku-b": plaudit.CommunityCounts(questions=1, answered=0),
        "sku-none": plaudit.CommunityCounts(questions=0, answered=0),
    }
    many = [f"sku-{n}" for n in range(250)]
    with plaudit.Plaudit(api_key=site.api_key, base_url=proxy.url) as client:
        counted = client.products.community(iter([*many, "sku-a"]), site=site.slug)
    assert list(counted) == [*many, "sku-a"] and counted["sku-a"].questions == 2
    assert [seen.path.split("?")[0].rsplit("/", 1)[1] for seen in proxy.seen] == ["community"] * 3


def test_the_public_idea_board(both, sdk, visitor, post, site):
    review = post.review("sku-1", body="Please sell refills")["id"]
    planned = sdk.ideas.create(title="Refills", sources=[review]).id
    sdk.ideas.update(planned, stage="planned", stage_note="Next month.")
    popular = visitor.idea()["id"]
    visitor.vote(popular)
    hidden = visitor.idea()["id"]
    sdk.ideas.reject(hidden)

    board = both(lambda client: client.products.ideas())
    assert [i.id for i in board] == [popular, planned]  # most votes first
    assert all(type(i) is plaudit.Idea for i in board)
    newest = both(lambda client: client.products.ideas(sort="newest", site=site.slug))
    assert [i.id for i in newest] == [popular, planned]
    staged = both(lambda client: client.products.ideas(stage=plaudit.IdeaStage.PLANNED))
    assert [(i.id, i.stage_note) for i in staged] == [(planned, "Next month.")]
    assert both(lambda client: client.products.ideas(product="sku-9")) == []

    one = both(lambda client: client.products.idea(planned))
    assert [(s.type, s.id, s.status) for s in one.sources] == [("review", review, None)]
    assert one.product == "sku-1"  # the feedback's product
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.products.idea(hidden))


# ---------------------------------------------------------------- the site, errors


def test_another_sites_items_are_not_found(both, make_site, live_server):
    other = make_site()
    visiting = Visitor(live_server.url, other.slug)
    try:
        question = visiting.question()["id"]
        idea = visiting.idea()["id"]
    finally:
        visiting.close()
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.questions.get(question))
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.ideas.update(idea, stage="planned"))
    with pytest.raises(plaudit.ValidationError):
        both(lambda client: client.answers.create(question_id=question, body="Hi"))
    with pytest.raises(plaudit.AuthenticationError):
        both(lambda client: client.ideas.list(), api_key="sk_live_wrong")


def test_stats_count_the_community(both, sdk, visitor):
    questions = [visitor.question()["id"] for _ in range(2)]
    sdk.questions.reject(questions[0])
    visitor.answer(questions[1])
    open_idea = visitor.idea()["id"]
    visitor.vote(open_idea)
    shipped = visitor.idea()["id"]
    sdk.ideas.update(shipped, stage="shipped", stage_note="Out now.")

    stats = both(lambda client: client.stats())
    assert (stats.questions.published, stats.questions.rejected, stats.questions.total) == (1, 1, 2)
    assert (stats.answers.published, stats.answers.total) == (1, 1)
    assert (stats.ideas.published, stats.ideas["pending"]) == (2, 0)
    assert [i.id for i in stats.ideas_top] == [open_idea]
    assert stats.ideas_top[0].vote_count == 1
    assert [i.id for i in stats.ideas_shipped] == [shipped]
    assert stats.ideas_shipped[0].stage is IdeaStage.SHIPPED
