"""The admin page's Questions and Ideas sections (issue 18), through the Flask test
client, on SQLite and PostgreSQL.

The questions and answers queues (tabs, filters, bulk actions that ask why, deletion
through its confirmation page, the shop's answer written in place), the idea list
(stage filter, votes, moderation of proposed ideas), an idea's page (stage with a public
note, title and text, merge, the linked feedback), "make this an idea" from a review or
a comment card, and the ideas line of the insight page. Bad input is refused with a
clear message and changes nothing; another site's ids are 404; typed text is escaped.
Every outcome is read back from the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask

from plaudit_server.admin_ui.ideas import STAGE_LABELS
from plaudit_server.models import IDEA_STAGES, Answer, Idea, Question, Status

from .community_helpers import (
    answers_of,
    ideas_titled,
    publish,
    row,
    seed_answer,
    seed_idea,
    seed_question,
    set_stage,
    sources_of,
    vote,
)
from .helpers import seed_comment, seed_reviews

ADMIN = "/admin"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def text_of(response: Any) -> str:
    """The page's text with tags removed and entities decoded, spaces collapsed."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def card_ids(response: Any) -> list[str]:
    return re.findall(
        r'<li class="item[^"]*" id="item-([a-z]+_[0-9A-Za-z]+)"', response.get_data(as_text=True)
    )


def card(response: Any, item_id: str) -> str:
    html = response.get_data(as_text=True)
    start = html.index(f'id="item-{item_id}"')
    return html[start : html.index("</li>", html.index("</article>", start))]


@pytest.fixture
def owner(make_site: Callable[..., Any], signed_in: Callable[[Any], Any]) -> Any:
    """A pre-moderated site (submissions wait in the queue) and its signed-in owner."""
    site = make_site(moderation="pre")
    client = signed_in(site)
    client.site = site
    return client


# ---------------------------------------------------------------- access


def test_the_sections_need_a_session_and_the_owners_own_site(
    app: Flask, client: Any, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    mine, theirs = make_site(), make_site()
    question = seed_question(app, theirs.slug)
    idea = seed_idea(app, theirs.slug)
    for path in ("questions", "answers", "ideas", "ideas/new", f"ideas/{idea}"):
        response = client.get(f"{ADMIN}/{mine.slug}/{path}")
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith(f"{ADMIN}/login")
    me = signed_in(mine)
    for path in ("questions", "answers", "ideas"):
        ok(me.get(f"{ADMIN}/{theirs.slug}/{path}"), 404)
    # Another site's items through my own site's pages: 404, nothing changed.
    ok(me.get(f"{ADMIN}/{mine.slug}/ideas/{idea}"), 404)
    ok(me.post(f"{ADMIN}/{mine.slug}/ideas/{idea}/stage", data={"stage": "planned"}), 404)
    ok(me.post(f"{ADMIN}/{mine.slug}/questions/{question}/answer", data={"body": "Yes"}), 404)
    moderate = {"ids": question, "action": "approve"}
    ok(me.post(f"{ADMIN}/{mine.slug}/questions/moderate", data=moderate), 404)
    ok(
        me.post(
            f"{ADMIN}/{mine.slug}/ideas/moderate",
            data={"ids": idea, "action": "delete", "confirmed": "yes"},
        ),
        404,
    )
    assert row(app, Idea, idea).stage == "open"
    assert answers_of(app, question) == []
    theirs_review = seed_reviews(app, theirs.slug, 1)[0]
    ok(me.get(f"{ADMIN}/{mine.slug}/ideas/new?from={theirs_review}"), 404)


def test_every_stage_has_words_in_the_models_order() -> None:
    assert tuple(STAGE_LABELS) == IDEA_STAGES


def test_forms_from_another_site_are_refused(app: Flask, owner: Any) -> None:
    """The same-origin check covers the new forms: a post another site made the
    browser send changes nothing."""
    slug = owner.site.slug
    idea, question = seed_idea(app, slug), seed_question(app, slug)
    posts = [
        (f"ideas/{idea}/stage", {"stage": "planned"}),
        (f"ideas/{idea}/edit", {"title": "Taken over", "body": ""}),
        ("ideas/moderate", {"ids": idea, "action": "approve"}),
        (f"questions/{question}/answer", {"body": "Buy elsewhere"}),
        ("questions/moderate", {"ids": question, "action": "approve"}),
        ("ideas/new", {"title": "Planted idea"}),
    ]
    for path, data in posts:
        response = owner.post(
            f"{ADMIN}/{slug}/{path}", data=data, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert response.status_code == 403, path
    stored = row(app, Idea, idea)
    assert (stored.stage, stored.title, stored.status) == ("open", "A travel case", Status.PENDING)
    assert row(app, Question, question).status == Status.PENDING
    assert answers_of(app, question) == []
    assert ideas_titled(app, slug, "Planted idea") == []


def test_the_navigation_names_both_sections(owner: Any) -> None:
    slug = owner.site.slug
    page = ok(owner.get(f"{ADMIN}/{slug}/questions")).get_data(as_text=True)
    assert (
        f'<a href="{ADMIN}/{slug}/questions"\n             aria-current="page">Questions</a>'
        in page
    )
    assert f'href="{ADMIN}/{slug}/ideas"' in page
    page = ok(owner.get(f"{ADMIN}/{slug}/ideas")).get_data(as_text=True)
    assert re.search(r'href="/admin/[^"]+/ideas"\s+aria-current="page">Ideas</a>', page)


# ---------------------------------------------------------------- questions


def test_the_questions_queue_shows_pending_first_and_approves(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    waiting = seed_question(app, slug, body="Is the <b>burr</b> steel?", author_email="a@x.test")
    other = seed_question(app, slug, product="sku-2", body="How loud is it at 5 am?")
    response = ok(owner.get(f"{ADMIN}/{slug}/questions"))
    assert card_ids(response) == [other, waiting]
    html = card(response, waiting)
    assert "Is the &lt;b&gt;burr&lt;/b&gt; steel?" in html and "<b>burr" not in html
    assert 'href="mailto:a@x.test"' in html
    assert 'Pending <span class="count">2</span>' in response.get_data(as_text=True)
    # The product filter, as on the reviews queue.
    assert card_ids(owner.get(f"{ADMIN}/{slug}/questions?product=sku-2")) == [other]

    done = owner.post(
        f"{ADMIN}/{slug}/questions/moderate",
        data={"ids": waiting, "action": "approve", "next": f"{ADMIN}/{slug}/questions"},
    )
    assert done.status_code == 302 and done.headers["Location"] == f"{ADMIN}/{slug}/questions"
    assert row(app, Question, waiting).status == Status.PUBLISHED
    assert "1 question approved." in text_of(owner.get(done.headers["Location"]))
    assert card_ids(owner.get(f"{ADMIN}/{slug}/questions?status=published")) == [waiting]


def test_a_bulk_rejection_asks_why_then_records_the_reason(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    ids = [seed_question(app, slug, body=f"Question number {n}?") for n in range(2)]
    url = f"{ADMIN}/{slug}/questions/moderate"
    asked = ok(owner.post(url, data={"ids": ids, "action": "reject"}))
    assert "Reject 2 questions: why?" in text_of(asked)
    # A reason outside the list: the page again, nothing changed.
    refused = ok(owner.post(url, data={"ids": ids, "action": "reject", "reason": "nope"}), 422)
    assert "Choose one of the reasons in the list." in text_of(refused)
    assert {row(app, Question, i).status for i in ids} == {Status.PENDING}
    ok(
        owner.post(
            url, data={"ids": ids, "action": "reject", "reason": "off_topic", "note": "Ask <us>."}
        ),
        302,
    )
    for question_id in ids:
        stored = row(app, Question, question_id)
        assert (stored.status, stored.moderation_reason, stored.moderation_note) == (
            Status.REJECTED,
            "off_topic",
            "Ask <us>.",
        )
    page = owner.get(f"{ADMIN}/{slug}/questions?status=rejected")
    assert "Ask &lt;us&gt;." in card(page, ids[0])
    # Spam without a reason: the reason is Spam.
    ok(owner.post(url, data={"ids": ids[0], "action": "spam", "reason": ""}), 302)
    assert row(app, Question, ids[0]).moderation_reason == "spam"


def test_deleting_a_question_confirms_first_and_takes_its_answers(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    question = seed_question(app, slug)
    publish(app, slug, Question, [question])
    seed_answer(app, slug, question)
    url = f"{ADMIN}/{slug}/questions/moderate"
    confirm = ok(owner.post(url, data={"ids": question, "action": "delete"}))
    assert "Delete 1 question for good?" in text_of(confirm)
    assert "Their answers go with them." in text_of(confirm)
    assert row(app, Question, question) is not None
    ok(owner.post(url, data={"ids": question, "action": "delete", "confirmed": "yes"}), 302)
    assert row(app, Question, question) is None
    assert answers_of(app, question) == []


def test_the_shop_answers_in_place(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    question = seed_question(app, slug)
    publish(app, slug, Question, [question])
    page = owner.get(f"{ADMIN}/{slug}/questions?status=published")
    form_action = f"{ADMIN}/{slug}/questions/{question}/answer"
    assert f'action="{form_action}"' in card(page, question)
    # An empty answer: refused with a message, nothing stored.
    back = f"{ADMIN}/{slug}/questions?status=published"
    refused = owner.post(form_action, data={"body": "   ", "next": back})
    assert refused.status_code == 302 and refused.headers["Location"] == back
    assert "Answer not sent" in text_of(owner.get(back))
    assert answers_of(app, question) == []

    ok(owner.post(form_action, data={"body": "Yes: 60 <mm>.", "next": back}), 302)
    (stored,) = answers_of(app, question)
    assert (stored.body, stored.is_owner, stored.status) == (
        "Yes: 60 <mm>.",
        True,
        Status.PUBLISHED,
    )
    assert row(app, Question, question).answer_count == 1
    page = owner.get(back)
    assert "Answer published as the shop." in text_of(page)
    assert "1 published answer" in text_of(page)
    # The public API shows it first.
    answers = owner.get(f"/api/v1/sites/{slug}/questions/{question}/answers").get_json()
    assert [a["body"] for a in answers["answers"]] == ["Yes: 60 <mm>."]
    assert answers["answers"][0]["is_owner"] is True


def test_a_rejected_question_takes_no_answer(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    question = seed_question(app, slug)
    ok(
        owner.post(
            f"{ADMIN}/{slug}/questions/moderate",
            data={"ids": question, "action": "reject", "reason": "off_topic"},
        ),
        302,
    )
    page = owner.get(f"{ADMIN}/{slug}/questions?status=rejected")
    assert "Answer as the shop" not in card(page, question)
    owner.post(f"{ADMIN}/{slug}/questions/{question}/answer", data={"body": "Sure."})
    assert answers_of(app, question) == []
    assert "Answer not sent: The question is rejected." in text_of(
        owner.get(f"{ADMIN}/{slug}/questions")
    )


def test_the_answers_queue_of_one_question(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    first, second = seed_question(app, slug, body="First question here?"), seed_question(app, slug)
    publish(app, slug, Question, [first, second])
    mine = seed_answer(app, slug, first, body="An answer <i>here</i>.")
    seed_answer(app, slug, second)
    everything = owner.get(f"{ADMIN}/{slug}/answers")
    assert len(card_ids(everything)) == 2
    html = card(everything, mine)
    assert "An answer &lt;i&gt;here&lt;/i&gt;." in html
    assert "First question here?" in html  # the question it answers
    assert f'href="{ADMIN}/{slug}/answers?status=all&amp;question_id={first}"' in html
    one = owner.get(f"{ADMIN}/{slug}/answers?status=all&question_id={first}")
    assert card_ids(one) == [mine]
    assert "The answers to one question" in text_of(one)
    ok(owner.post(f"{ADMIN}/{slug}/answers/moderate", data={"ids": mine, "action": "approve"}), 302)
    assert row(app, Answer, mine).status == Status.PUBLISHED
    assert row(app, Question, first).answer_count == 1
    # A bad filter is named and left out, the queue still shown.
    response = ok(owner.get(f"{ADMIN}/{slug}/answers?status=nope"))
    assert "Some filters were ignored: status." in text_of(response)


# ---------------------------------------------------------------- ideas


def test_the_idea_list_by_votes_with_a_stage_filter(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    few, many, planned = (seed_idea(app, slug, title=f"Idea number {n}") for n in range(3))
    waiting = seed_idea(app, slug, title="Still waiting here")
    publish(app, slug, Idea, [few, many, planned])
    vote(app, slug, few, ["v1"])
    vote(app, slug, many, ["v1", "v2", "v3"])
    set_stage(app, slug, planned, "planned", "Next month.")
    board = ok(owner.get(f"{ADMIN}/{slug}/ideas"))
    assert card_ids(board) == [many, few, planned]
    assert 'data-votes="3"' in card(board, many)
    assert "Planned" in card(board, planned) and "Next month." in card(board, planned)
    assert card_ids(owner.get(f"{ADMIN}/{slug}/ideas?stage=planned")) == [planned]
    assert card_ids(owner.get(f"{ADMIN}/{slug}/ideas?q=number+1")) == [many]
    assert card_ids(owner.get(f"{ADMIN}/{slug}/ideas?sort=newest")) == [planned, many, few]
    ignored = ok(owner.get(f"{ADMIN}/{slug}/ideas?stage=someday"))
    assert "Some filters were ignored: stage." in text_of(ignored)
    # A proposed idea waits in its own tab and is approved like a review.
    pending = owner.get(f"{ADMIN}/{slug}/ideas?status=pending")
    assert card_ids(pending) == [waiting]
    ok(
        owner.post(f"{ADMIN}/{slug}/ideas/moderate", data={"ids": waiting, "action": "approve"}),
        302,
    )
    assert row(app, Idea, waiting).status == Status.PUBLISHED


def test_the_stage_moves_with_a_public_note(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    idea = seed_idea(app, slug)
    publish(app, slug, Idea, [idea])
    url = f"{ADMIN}/{slug}/ideas/{idea}/stage"
    done = owner.post(url, data={"stage": "in_progress", "stage_note": "Being <built>."})
    assert done.status_code == 302 and done.headers["Location"] == f"{ADMIN}/{slug}/ideas/{idea}"
    stored = row(app, Idea, idea)
    assert (stored.stage, stored.stage_note) == ("in_progress", "Being <built>.")
    page = owner.get(done.headers["Location"])
    assert "Stage set to In progress." in text_of(page)
    assert "Being &lt;built&gt;." in page.get_data(as_text=True)
    public = owner.get(f"/api/v1/sites/{slug}/ideas/{idea}").get_json()["idea"]
    assert (public["stage"], public["stage_note"]) == ("in_progress", "Being <built>.")
    # A stage outside the list: the page again with the problem, nothing changed.
    refused = ok(owner.post(url, data={"stage": "someday", "stage_note": "x"}), 422)
    assert "Nothing was changed" in text_of(refused)
    assert 'aria-invalid="true" aria-describedby="stage-stage-error"' in refused.get_data(
        as_text=True
    )
    assert row(app, Idea, idea).stage == "in_progress"


def test_title_and_text_are_edited_and_checked(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    idea = seed_idea(app, slug)
    url = f"{ADMIN}/{slug}/ideas/{idea}/edit"
    refused = ok(owner.post(url, data={"title": "Hm", "body": "Kept as typed"}), 422)
    assert 'id="edit-title-error"' in refused.get_data(as_text=True)
    assert "Kept as typed" in refused.get_data(as_text=True)
    assert row(app, Idea, idea).title == "A travel case"
    ok(owner.post(url, data={"title": "A padded travel case", "body": "For trains."}), 302)
    stored = row(app, Idea, idea)
    assert (stored.title, stored.body) == ("A padded travel case", "For trains.")


def test_merge_moves_the_votes_and_refuses_itself(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    duplicate, kept = (
        seed_idea(app, slug, title="Travel case"),
        seed_idea(app, slug, title="Carry bag"),
    )
    publish(app, slug, Idea, [duplicate, kept])
    vote(app, slug, duplicate, ["v1", "v2"], email="fan@x.test")
    vote(app, slug, kept, ["v2", "v3"])
    page = owner.get(f"{ADMIN}/{slug}/ideas/{duplicate}")
    html = page.get_data(as_text=True)
    assert f'<option value="{kept}"' in html and f'<option value="{duplicate}"' not in html
    url = f"{ADMIN}/{slug}/ideas/{duplicate}/merge"
    itself = ok(owner.post(url, data={"into": duplicate}), 422)
    assert "An idea cannot be merged into itself." in text_of(itself)
    unknown = ok(owner.post(url, data={"into": ""}), 422)
    assert "Choose the idea to merge this one into." in text_of(unknown)
    assert row(app, Idea, duplicate).merged_into is None
    done = owner.post(url, data={"into": kept})
    assert done.status_code == 302 and done.headers["Location"] == f"{ADMIN}/{slug}/ideas/{kept}"
    assert row(app, Idea, kept).vote_count == 3  # v2 voted for both: one vote
    merged = row(app, Idea, duplicate)
    assert (merged.merged_into, merged.status) == (kept, Status.REJECTED)
    assert "Merged into “Carry bag”" in text_of(owner.get(done.headers["Location"]))
    assert f'href="{ADMIN}/{slug}/ideas/{kept}"' in owner.get(
        f"{ADMIN}/{slug}/ideas/{duplicate}"
    ).get_data(as_text=True)


# ---------------------------------------------------------------- make this an idea


def test_make_this_an_idea_from_a_review(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    (review,) = seed_reviews(app, slug, 1, product="grinder", title="Wish it had a <case>")
    queue = owner.get(f"{ADMIN}/{slug}/reviews")
    link = f"{ADMIN}/{slug}/ideas/new?from={review}"
    assert f'href="{link}"' in card(queue, review)
    form = ok(owner.get(link)).get_data(as_text=True)
    assert 'value="Wish it had a &lt;case&gt;"' in form  # the title, prefilled
    assert 'name="product" maxlength="128" value="grinder"' in form
    assert f'<input type="hidden" name="from" value="{review}">' in form
    assert "Review number 0 of grinder" in form  # the feedback, quoted
    done = owner.post(
        f"{ADMIN}/{slug}/ideas/new",
        data={"title": "Wish it had a <case>", "body": "", "product": "grinder", "from": review},
    )
    assert done.status_code == 302
    (idea,) = ideas_titled(app, slug, "Wish it had a <case>")
    assert done.headers["Location"] == f"{ADMIN}/{slug}/ideas/{idea.id}"
    assert idea.status == Status.PUBLISHED and idea.product_id is not None
    assert sources_of(app, idea.id) == [("review", review)]
    page = owner.get(done.headers["Location"]).get_data(as_text=True)
    assert f'href="{ADMIN}/{slug}/reviews/{review}"' in page
    assert "Review number 0 of grinder" in page


def test_make_this_an_idea_from_a_comment_uses_an_excerpt(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    words = "Please make a version with a longer cord because the socket is far away " * 3
    comment = seed_comment(app, slug, body=words)
    queue = owner.get(f"{ADMIN}/{slug}/comments")
    link = f"{ADMIN}/{slug}/ideas/new?from={comment}"
    assert f'href="{link}"' in card(queue, comment)
    form = ok(owner.get(link)).get_data(as_text=True)
    title = unescape(re.search(r'id="title" name="title"[^>]* value="([^"]*)"', form).group(1))
    assert title.startswith("Please make a version with a longer cord") and title.endswith("…")
    assert len(title) <= 120
    ok(owner.post(f"{ADMIN}/{slug}/ideas/new", data={"title": title, "from": comment}), 302)
    (idea,) = ideas_titled(app, slug, title)
    assert sources_of(app, idea.id) == [("comment", comment)]


def test_a_new_idea_with_a_bad_title_keeps_the_form(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    (review,) = seed_reviews(app, slug, 1)
    refused = ok(
        owner.post(
            f"{ADMIN}/{slug}/ideas/new", data={"title": "No", "body": "Typed", "from": review}
        ),
        422,
    )
    html = refused.get_data(as_text=True)
    assert "The idea was not created" in text_of(refused)
    assert 'aria-describedby="title-error"' in html and "Typed" in html
    assert f'name="from" value="{review}"' in html
    assert ideas_titled(app, slug, "No") == []


# ---------------------------------------------------------------- insight


def test_the_insight_page_has_an_ideas_line(app: Flask, owner: Any) -> None:
    slug = owner.site.slug
    wanted, shipped, declined = (
        seed_idea(app, slug, title=t) for t in ("Wanted most", "Shipped one", "Declined one")
    )
    publish(app, slug, Idea, [wanted, shipped, declined])
    vote(app, slug, wanted, ["v1", "v2"])
    vote(app, slug, declined, ["v1", "v2", "v3"])
    set_stage(app, slug, shipped, "shipped", "Out now.")
    set_stage(app, slug, declined, "declined")
    page = ok(owner.get(f"{ADMIN}/{slug}/insight"))
    html = page.get_data(as_text=True)
    top = html[
        html.index('id="ideas-wanted"') : html.index("</ol>", html.index('id="ideas-wanted"'))
    ]
    assert "Wanted most" in top and "2 votes" in unescape(top)
    assert "Declined one" not in top and "Shipped one" not in top
    done = html[
        html.index('id="ideas-shipped"') : html.index("</ol>", html.index('id="ideas-shipped"'))
    ]
    assert "Shipped one" in done and "Wanted most" not in done
    assert f'href="{ADMIN}/{slug}/ideas/{wanted}"' in top
