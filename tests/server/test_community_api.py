"""Questions, answers and the idea board through the public and admin APIs.

Runs on SQLite and PostgreSQL (and the cached reads against the shared Redis, under
this test's own key prefix): what a visitor and the shop can do, the orders and
counters, and the bad input the issue names, each refused with nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from support import assert_problem

from conftest import SHARED_REDIS, Api, SiteInfo

QUESTION = "Does this kettle switch itself off when it boils dry?"
QUESTION_KEYS = {"id", "product", "body", "author_name", "answer_count", "created_at", "top_answer"}
ANSWER_KEYS = {
    "id",
    "question_id",
    "body",
    "author_name",
    "is_owner",
    "verified_buyer",
    "helpful_count",
    "unhelpful_count",
    "created_at",
}
IDEA_KEYS = {
    "id",
    "title",
    "body",
    "author_name",
    "product",
    "stage",
    "stage_note",
    "vote_count",
    "created_at",
    "updated_at",
    "sources",
}


def ask(api: Api, product: str = "kettle", **fields: Any) -> Any:
    body = {"body": QUESTION, "author_name": "Ada", **fields}
    return api.client.post(api.public(f"/products/{product}/questions"), json=body)


def answer(api: Api, question_id: str, body: str = "Yes, it does.", **fields: Any) -> Any:
    payload = {"body": body, "author_name": "Grace", **fields}
    return api.client.post(api.public(f"/questions/{question_id}/answers"), json=payload)


def propose(api: Api, title: str = "A travel size", **fields: Any) -> Any:
    body = {"title": title, "body": "Half the size, for trips.", "author_name": "Lin", **fields}
    return api.client.post(api.public("/ideas"), json=body)


def vote(api: Api, idea_id: str, value: bool, visitor: str = "1", **fields: Any) -> Any:
    return api.client.post(
        api.public(f"/ideas/{idea_id}/votes"),
        json={"vote": value, **fields},
        headers={"User-Agent": f"voter-{visitor}"},
        environ_base={"REMOTE_ADDR": f"10.{visitor}.0.1"},
    )


def questions(api: Api, product: str = "kettle", **query: Any) -> list[dict[str, Any]]:
    response = api.client.get(api.public(f"/products/{product}/questions"), query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["questions"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- questions and answers


def test_a_question_is_asked_answered_and_listed_with_its_top_answer(api: Api) -> None:
    created = ask(api)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["status"] == "published"
    question = body["question"]
    assert set(question) == QUESTION_KEYS
    assert question["id"].startswith("que_")
    assert question["product"] == "kettle" and question["answer_count"] == 0
    assert question["top_answer"] is None

    given = answer(api, question["id"])
    assert given.status_code == 201, given.get_data(as_text=True)
    assert given.get_json()["status"] == "published"
    assert set(given.get_json()["answer"]) == ANSWER_KEYS

    (listed,) = questions(api)
    assert listed["answer_count"] == 1
    assert listed["top_answer"]["body"] == "Yes, it does."
    assert "author_email" not in listed and "status" not in listed


def test_answers_come_shop_first_then_verified_then_by_votes(api: Api) -> None:
    question = ask(api).get_json()["question"]
    plain = answer(api, question["id"], "An ordinary answer.").get_json()["answer"]
    helpful = answer(api, question["id"], "A helpful answer.").get_json()["answer"]
    invitation = api.admin(
        "POST",
        "/invitations",
        json={"order_id": "o-1", "email": "buyer@example.com", "products": ["kettle"]},
    ).get_json()["invitation"]
    token = urlsplit(invitation["url"]).path.removeprefix("/r/")
    verified = answer(api, question["id"], "I bought it.", invite=token).get_json()["answer"]
    assert verified["verified_buyer"] is True
    shop = api.admin(
        "POST", "/answers", json={"question_id": question["id"], "body": "Yes: after 30 s."}
    )
    assert shop.status_code == 201, shop.get_data(as_text=True)
    shop_answer = shop.get_json()["answer"]
    assert shop_answer["is_owner"] is True and shop_answer["status"] == "published"
    voted = api.client.post(api.public(f"/answers/{helpful['id']}/votes"), json={"helpful": True})
    assert voted.get_json() == {"helpful_count": 1, "unhelpful_count": 0}

    listed = api.client.get(api.public(f"/questions/{question['id']}/answers")).get_json()
    order = [a["id"] for a in listed["answers"]]
    assert order == [shop_answer["id"], verified["id"], helpful["id"], plain["id"]]
    (with_top,) = questions(api)
    assert with_top["top_answer"]["id"] == shop_answer["id"]
    assert with_top["answer_count"] == 4


def test_an_invitation_for_another_product_does_not_verify(api: Api) -> None:
    question = ask(api).get_json()["question"]
    invitation = api.admin(
        "POST",
        "/invitations",
        json={"order_id": "o-2", "email": "buyer@example.com", "products": ["teapot"]},
    ).get_json()["invitation"]
    token = urlsplit(invitation["url"]).path.removeprefix("/r/")
    problem = assert_problem(answer(api, question["id"], invite=token), 422)
    assert "invite" in problem["errors"]
    assert (
        api.client.get(api.public(f"/questions/{question['id']}/answers")).get_json()["answers"]
        == []
    )


def test_question_sorts_answered_and_helpful(api: Api) -> None:
    quiet = ask(api, body="Is the lid removable for cleaning?").get_json()["question"]
    busy = ask(api, body="What is the capacity in litres?").get_json()["question"]
    newest = ask(api, body="Which colours does it come in?").get_json()["question"]
    for text in ("1.7 litres.", "About seven cups."):
        answer(api, busy["id"], text)
    liked = answer(api, quiet["id"], "Yes, it lifts off.").get_json()["answer"]
    api.client.post(api.public(f"/answers/{liked['id']}/votes"), json={"helpful": True})

    assert [q["id"] for q in questions(api)] == [newest["id"], busy["id"], quiet["id"]]
    assert questions(api, sort="answered")[0]["id"] == busy["id"]
    assert questions(api, sort="helpful")[0]["id"] == quiet["id"]
    first = api.client.get(api.public("/products/kettle/questions"), query_string={"limit": 2})
    page = first.get_json()
    assert len(page["questions"]) == 2 and page["next_cursor"]
    rest = questions(api, limit=2, cursor=page["next_cursor"])
    assert [q["id"] for q in rest] == [quiet["id"]]


def test_bad_questions_and_answers_change_nothing(api: Api) -> None:
    problem = assert_problem(ask(api, body="Too short"), 422)
    assert problem["errors"]["body"] == ["Must be at least 10 characters."]
    assert_problem(ask(api, body="x" * 1001), 422)
    assert_problem(ask(api, rating=5), 422)  # unknown field
    assert questions(api) == []
    assert_problem(answer(api, "que_01J9Z3Q8W5V6N2K4T7X0M1B3C5"), 404)
    question = ask(api).get_json()["question"]
    rejected = api.admin(
        "PATCH", f"/questions/{question['id']}", json={"status": "rejected", "reason": "off_topic"}
    )
    assert rejected.status_code == 200, rejected.get_data(as_text=True)
    assert rejected.get_json()["question"]["moderation"]["reason"] == "off_topic"
    assert_problem(answer(api, question["id"]), 404)
    shop = api.admin("POST", "/answers", json={"question_id": question["id"], "body": "Hm."})
    assert "question_id" in assert_problem(shop, 422)["errors"]
    assert api.admin("GET", "/answers").get_json()["answers"] == []
    assert_problem(
        api.client.post(
            api.public("/answers/ans_01J9Z3Q8W5V6N2K4T7X0M1B3C5/votes"), json={"helpful": True}
        ),
        404,
    )


def test_pre_moderation_and_the_honeypot_hold_questions(
    api: Api, make_site: Callable[..., SiteInfo]
) -> None:
    spam = ask(api, hp="http://spam.example")
    assert spam.get_json()["status"] == "pending"
    assert questions(api) == []
    (held,) = api.admin("GET", "/questions?status=spam").get_json()["questions"]
    assert held["spam_reasons"] == ["honeypot"]

    strict = make_site(moderation="pre")
    other = Api(api.client, strict)
    pending = ask(other).get_json()
    assert pending["status"] == "pending"
    assert questions(other) == []
    moved = other.admin(
        "POST",
        "/questions/moderate",
        json={"ids": [pending["question"]["id"]], "status": "published"},
    )
    assert moved.get_json() == {"updated": 1}
    assert [q["id"] for q in questions(other)] == [pending["question"]["id"]]
    stats = other.admin("GET", "/stats").get_json()
    assert stats["questions"]["published"] == 1


def test_answer_moderation_and_deletes_keep_the_counters_exact(api: Api) -> None:
    question = ask(api).get_json()["question"]
    first = answer(api, question["id"], "First.").get_json()["answer"]
    second = answer(api, question["id"], "Second.").get_json()["answer"]
    api.client.post(api.public(f"/answers/{second['id']}/votes"), json={"helpful": True})
    assert questions(api, sort="helpful")[0]["answer_count"] == 2
    hidden = api.admin(
        "PATCH", f"/answers/{second['id']}", json={"status": "rejected", "note": "Not an answer"}
    )
    assert hidden.get_json()["answer"]["status"] == "rejected"
    assert hidden.get_json()["answer"]["question_body"] == QUESTION
    (listed,) = questions(api)
    assert listed["answer_count"] == 1 and listed["top_answer"]["id"] == first["id"]
    assert api.admin("DELETE", f"/answers/{first['id']}").status_code == 204
    (listed,) = questions(api)
    assert listed["answer_count"] == 0 and listed["top_answer"] is None
    counts = api.admin("GET", "/stats").get_json()["answers"]
    assert counts["published"] == 0 and counts["rejected"] == 1 and counts["total"] == 1
    assert api.admin("DELETE", f"/questions/{question['id']}").status_code == 204
    assert api.admin("GET", "/stats").get_json()["answers"]["total"] == 0
    assert_problem(api.admin("GET", f"/questions/{question['id']}"), 404)


def test_another_sites_key_sees_nothing(api: Api, make_site: Callable[..., SiteInfo]) -> None:
    question = ask(api).get_json()["question"]
    idea = propose(api).get_json()["idea"]
    other = Api(api.client, make_site())
    assert_problem(other.admin("GET", f"/questions/{question['id']}"), 404)
    assert_problem(other.admin("DELETE", f"/ideas/{idea['id']}"), 404)
    assert other.admin(
        "POST", "/ideas/moderate", json={"ids": [idea["id"]], "status": "rejected"}
    ).get_json() == {"updated": 0}
    merged = other.admin("POST", f"/ideas/{idea['id']}/merge", json={"into": idea["id"]})
    assert merged.status_code in (404, 422)
    assert api.client.get(api.public(f"/ideas/{idea['id']}")).status_code == 200


def test_community_counts_batch_like_summaries(api: Api) -> None:
    question = ask(api).get_json()["question"]
    ask(api, body="Another question about the kettle?")
    answer(api, question["id"])
    ask(api, product="teapot", body="Is the teapot dishwasher safe?")
    response = api.client.get(
        api.public("/community"), query_string={"products": "kettle,teapot,x"}
    )
    assert response.get_json() == {
        "counts": {
            "kettle": {"questions": 2, "answered": 1},
            "teapot": {"questions": 1, "answered": 0},
            "x": {"questions": 0, "answered": 0},
        }
    }


# ---------------------------------------------------------------- ideas


def test_ideas_are_proposed_voted_and_withdrawn(api: Api) -> None:
    created = propose(api, product="kettle")
    assert created.status_code == 201, created.get_data(as_text=True)
    idea = created.get_json()["idea"]
    assert set(idea) == IDEA_KEYS
    assert idea["id"].startswith("idea_") and idea["stage"] == "open"
    assert idea["product"] == "kettle" and idea["vote_count"] == 0

    assert vote(api, idea["id"], True, "1").get_json() == {"vote_count": 1, "voted": True}
    assert vote(api, idea["id"], True, "1").get_json() == {"vote_count": 1, "voted": True}
    assert vote(api, idea["id"], True, "2", email="fan@example.com").get_json()["vote_count"] == 2
    assert vote(api, idea["id"], False, "1").get_json() == {"vote_count": 1, "voted": False}
    assert vote(api, idea["id"], False, "1").get_json() == {"vote_count": 1, "voted": False}
    board = api.client.get(api.public("/ideas")).get_json()["ideas"]
    assert [(i["id"], i["vote_count"]) for i in board] == [(idea["id"], 1)]
    admin = api.admin("GET", f"/ideas/{idea['id']}").get_json()["idea"]
    assert admin["status"] == "published" and admin["merged_into"] is None


def test_the_board_sorts_and_filters(api: Api) -> None:
    older = propose(api, title="Older idea", product="kettle").get_json()["idea"]
    newer = propose(api, title="Newer idea").get_json()["idea"]
    vote(api, older["id"], True, "3")
    top = api.client.get(api.public("/ideas")).get_json()["ideas"]
    assert [i["id"] for i in top] == [older["id"], newer["id"]]
    newest = api.client.get(api.public("/ideas?sort=newest")).get_json()["ideas"]
    assert [i["id"] for i in newest] == [newer["id"], older["id"]]
    by_product = api.client.get(api.public("/ideas?product=kettle")).get_json()["ideas"]
    assert [i["id"] for i in by_product] == [older["id"]]
    api.admin("PATCH", f"/ideas/{newer['id']}", json={"stage": "planned", "stage_note": "Spring"})
    planned = api.client.get(api.public("/ideas?stage=planned")).get_json()["ideas"]
    assert [(i["id"], i["stage_note"]) for i in planned] == [(newer["id"], "Spring")]
    assert_problem(api.client.get(api.public("/ideas?stage=someday")), 422)


def test_bad_ideas_and_votes_change_nothing(api: Api) -> None:
    assert_problem(propose(api, title="Hm"), 422)
    assert_problem(api.client.post(api.public("/ideas"), json={"title": "Valid title"}), 422)
    assert api.client.get(api.public("/ideas")).get_json()["ideas"] == []
    assert_problem(vote(api, "idea_01J9Z3Q8W5V6N2K4T7X0M1B3C5", True), 404)
    idea = propose(api).get_json()["idea"]
    assert_problem(api.client.post(api.public(f"/ideas/{idea['id']}/votes"), json={}), 422)
    bad_stage = api.admin("PATCH", f"/ideas/{idea['id']}", json={"stage": "someday"})
    assert "stage" in assert_problem(bad_stage, 422)["errors"]
    api.admin("PATCH", f"/ideas/{idea['id']}", json={"status": "rejected"})
    assert_problem(vote(api, idea["id"], True), 404)
    assert_problem(api.client.get(api.public(f"/ideas/{idea['id']}")), 404)
    assert api.admin("GET", f"/ideas/{idea['id']}").get_json()["idea"]["vote_count"] == 0


def test_merging_moves_votes_once_per_visitor_and_links(api: Api) -> None:
    review = api.post_review(product="kettle", body="I wish it came in a travel size").get_json()
    keep = propose(api, title="Travel size kettle").get_json()["idea"]
    dup = api.admin(
        "POST", "/ideas", json={"title": "Smaller kettle", "from": [review["review"]["id"]]}
    ).get_json()["idea"]
    vote(api, keep["id"], True, "1")
    vote(api, dup["id"], True, "1", email="one@example.com")
    vote(api, dup["id"], True, "2")

    assert (
        "into"
        in assert_problem(
            api.admin("POST", f"/ideas/{dup['id']}/merge", json={"into": dup["id"]}), 422
        )["errors"]
    )
    merged = api.admin("POST", f"/ideas/{dup['id']}/merge", json={"into": keep["id"]})
    assert merged.status_code == 200, merged.get_data(as_text=True)
    target = merged.get_json()["idea"]
    assert target["id"] == keep["id"] and target["vote_count"] == 2
    assert [s["id"] for s in target["sources"]] == [review["review"]["id"]]
    gone = api.admin("GET", f"/ideas/{dup['id']}").get_json()["idea"]
    assert gone["status"] == "rejected" and gone["merged_into"] == keep["id"]
    assert gone["vote_count"] == 0
    assert_problem(api.admin("POST", f"/ideas/{dup['id']}/merge", json={"into": keep["id"]}), 409)
    public = api.client.get(api.public(f"/ideas/{keep['id']}")).get_json()["idea"]
    assert public["sources"] == [
        {
            "type": "review",
            "id": review["review"]["id"],
            "excerpt": "I wish it came in a travel size",
        }
    ]
    assert vote(api, keep["id"], True, "1").get_json()["vote_count"] == 2


def test_feedback_becomes_an_idea_and_shows_only_while_published(api: Api) -> None:
    review = api.post_review(product="kettle", body="Please add a keep-warm mode").get_json()
    comment = api.client.post(
        api.public("/products/kettle/comments"),
        json={"body": "Yes, keep-warm please!", "author_name": "Bo"},
    ).get_json()
    created = api.admin(
        "POST",
        "/ideas",
        json={
            "title": "Keep-warm mode",
            "from": [review["review"]["id"], comment["comment"]["id"]],
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    idea = created.get_json()["idea"]
    assert idea["product"] == "kettle" and idea["status"] == "published"
    assert [(s["type"], s["status"]) for s in idea["sources"]] == [
        ("review", "published"),
        ("comment", "published"),
    ]
    api.admin("PATCH", f"/reviews/{review['review']['id']}", json={"status": "rejected"})
    public = api.client.get(api.public(f"/ideas/{idea['id']}")).get_json()["idea"]
    assert [s["type"] for s in public["sources"]] == ["comment"]
    (listed,) = api.client.get(api.public("/ideas")).get_json()["ideas"]
    assert listed["sources"] == public["sources"]
    unknown = api.admin(
        "POST", "/ideas", json={"title": "Nothing", "from": ["rev_01J9Z3Q8W5V6N2K4T7X0M1B3C5"]}
    )
    assert "from" in assert_problem(unknown, 422)["errors"]


def test_stage_changes_are_logged_and_sent_as_events(api: Api) -> None:
    idea = propose(api).get_json()["idea"]
    for stage in ("under_review", "planned", "in_progress", "shipped"):
        moved = api.admin("PATCH", f"/ideas/{idea['id']}", json={"stage": stage})
        assert moved.get_json()["idea"]["stage"] == stage
    entries = api.admin("GET", f"/audit?object_id={idea['id']}").get_json()["entries"]
    stages = [(e["from"], e["to"]) for e in entries if e["action"] == "idea.stage"]
    assert stages[::-1] == [
        ("open", "under_review"),
        ("under_review", "planned"),
        ("planned", "in_progress"),
        ("in_progress", "shipped"),
    ]
    stats = api.admin("GET", "/stats").get_json()
    assert [i["id"] for i in stats["ideas_shipped"]] == [idea["id"]]
    assert stats["ideas_top"] == []


# ---------------------------------------------------------------- the fast path


def test_question_and_idea_reads_are_cached_and_retired_by_writes(
    app_factory: Callable[..., Flask], make_site: Callable[..., SiteInfo], prefix: str
) -> None:
    """ETags and 304s while nothing changes; an answer or a vote retires exactly the
    reads that show it (generations, as for reviews)."""
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    api = Api(app.test_client(), make_site())  # the site is in the database both apps use
    question = ask(api).get_json()["question"]
    idea = propose(api).get_json()["idea"]
    for path in (
        "/products/kettle/questions",
        f"/questions/{question['id']}/answers",
        "/ideas",
        f"/ideas/{idea['id']}",
    ):
        first = api.client.get(api.public(path))
        assert first.status_code == 200
        etag = first.headers["ETag"]
        again = api.client.get(api.public(path), headers={"If-None-Match": etag})
        assert again.status_code == 304, path
    answer(api, question["id"])
    vote(api, idea["id"], True)
    assert questions(api)[0]["answer_count"] == 1
    listed = api.client.get(api.public(f"/questions/{question['id']}/answers")).get_json()
    assert len(listed["answers"]) == 1
    assert api.client.get(api.public("/ideas")).get_json()["ideas"][0]["vote_count"] == 1
    assert api.client.get(api.public(f"/ideas/{idea['id']}")).get_json()["idea"]["vote_count"] == 1


def test_submissions_and_votes_are_rate_limited_like_reviews(
    app_factory: Callable[..., Flask], api: Api, site: SiteInfo
) -> None:
    question = ask(api).get_json()["question"]
    idea = propose(api).get_json()["idea"]
    limited = Api(
        app_factory(
            RATELIMIT_ENABLED=True,
            RATELIMIT_SUBMISSIONS_PER_VISITOR="2/minute",
            RATELIMIT_VOTES_PER_VISITOR="1/minute",
        ).test_client(),
        site,
    )
    asked = [ask(limited, body=f"Question number {n}?").status_code for n in range(3)]
    answered = [answer(limited, question["id"], f"Answer {n}").status_code for n in range(3)]
    proposed = [propose(limited, title=f"Idea number {n}").status_code for n in range(3)]
    votes = [vote(limited, idea["id"], True, "9").status_code for _ in range(2)]
    assert (asked, answered, proposed, votes) == (
        [201, 201, 429],
        [201, 201, 429],
        [201, 201, 429],
        [200, 429],
    )
    assert len(questions(api)) == 3  # the refused one made nothing


def test_a_link_to_another_sites_feedback_shows_nothing(
    app: Flask, api: Api, make_site: Callable[..., SiteInfo]
) -> None:
    """Links come from the shop's own feedback, or from an imported file that might name
    any id: another site's review never shows on this site's idea."""
    from plaudit_server.extensions import db
    from plaudit_server.models import IdeaSource

    other = Api(api.client, make_site())
    foreign = other.post_review(body="Another shop's words").get_json()["review"]
    own = api.post_review(body="Our customer's words").get_json()["review"]
    idea = api.admin("POST", "/ideas", json={"title": "A linked idea", "from": [own["id"]]})
    idea_id = idea.get_json()["idea"]["id"]
    with app.app_context():
        db.session.add(IdeaSource(idea_id=idea_id, object_type="review", object_id=foreign["id"]))
        db.session.commit()
    public = api.client.get(api.public(f"/ideas/{idea_id}")).get_json()["idea"]
    admin = api.admin("GET", f"/ideas/{idea_id}").get_json()["idea"]
    assert [s["id"] for s in public["sources"]] == [own["id"]]
    assert [s["id"] for s in admin["sources"]] == [own["id"]]
