"""The admin page's Questions and Ideas sections in real Chromium, by keyboard.

The questions queue (approve, answer in place, a bulk rejection through the page that
asks why), the answers queue of one question; the idea list (stage filter, votes), an
idea's page (a stage with a public note, the title, a merge confirmed in a prompt, the
linked feedback); "make this an idea" from a review card; the ideas line of the insight
page. axe-core (WCAG 2.2 A/AA) at 1280 and 375 px wide with nothing sticking out on the
phone; no script errors or CSP violations; typed text shown as text, never run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from plaudit_server.models import Answer, Idea, Question, Status

from ..community_helpers import (
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
from .conftest import off_loop
from .test_browser import section, seed, sign_in
from .test_webhooks_browser import both_widths, watched  # noqa: F401  (a fixture)

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect

PAYLOAD = '<img src=x onerror="document.title=1">'


def run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A seeding or reading helper, off Playwright's loop (see conftest)."""
    return off_loop(func, *args, **kwargs)


def test_questions_queue_by_keyboard(
    watched: Any,  # noqa: F811
    axe: Callable[..., Any],
    app: Flask,
    live_server: Any,
    make_site: Callable[..., Any],
) -> None:
    page = watched
    site = make_site(moderation="pre")
    slug = site.slug
    waiting = run(seed_question, app, slug, body=f"Is it loud? {PAYLOAD}", author_email="a@x.test")
    first, second = (run(seed_question, app, slug, body=f"Spam number {n} here") for n in range(2))
    answered = run(seed_question, app, slug, product="sku-2", body="Which filter size fits?")
    run(publish, app, slug, Question, [answered])
    pending_answer = run(seed_answer, app, slug, answered, body="60 mm, from a buyer.")
    sign_in(page, live_server.url, site.owner_email, site.password)
    section(page, "Questions")
    expect(page.get_by_role("heading", name="Questions", exact=True)).to_be_visible()
    expect(page.locator("li.item")).to_have_count(3)
    card = page.locator(f"#item-{waiting}")
    expect(card.locator(".body")).to_have_text(f"Is it loud? {PAYLOAD}")
    assert page.title() != "1"
    both_widths(page, axe)

    # Approve by keyboard.
    card.get_by_role("button", name="Approve").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text("1 question approved.")
    assert run(row, app, Question, waiting).status == Status.PUBLISHED

    # Answer it in place, from the Published tab.
    page.get_by_role("link", name=re.compile("^Published")).click()
    card = page.locator(f"#item-{waiting}")
    card.locator("summary", has_text="Answer as the shop").focus()
    page.keyboard.press("Enter")
    field = card.get_by_label(re.compile("^Answer from"))
    expect(field).to_be_visible()
    both_widths(page, axe)
    field.focus()
    page.keyboard.type("Quiet: 60 dB <at most>.")
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Publish answer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text("Answer published as the shop.")
    (answer,) = run(answers_of, app, waiting)
    assert (answer.body, answer.is_owner, answer.status) == (
        "Quiet: 60 dB <at most>.",
        True,
        Status.PUBLISHED,
    )
    expect(page.locator(f"#item-{waiting} .answers-link")).to_contain_text("1 published answer")

    # Two at once: the bulk toolbar asks why on a page of its own.
    page.get_by_role("link", name=re.compile("^Pending")).click()
    for question_id in (first, second):
        page.locator(f"#item-{question_id}").get_by_role("checkbox").focus()
        page.keyboard.press("Space")
    expect(page.locator("output[data-selected-count]")).to_have_text("2 selected")
    page.get_by_role("button", name="Reject selected…").click()
    expect(page.get_by_role("heading", name="Reject 2 questions: why?")).to_be_visible()
    both_widths(page, axe)
    page.get_by_label("Reason").focus()
    page.keyboard.type("Of")  # type-ahead: Offensive
    expect(page.get_by_label("Reason")).to_have_value("offensive")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator(".flashes")).to_have_text("2 questions rejected.")
    assert {run(row, app, Question, q).status for q in (first, second)} == {Status.REJECTED}

    # The answers of one question, from its card's link.
    page.get_by_role("link", name=re.compile("^All")).click()
    page.locator(f"#item-{answered} .answers-link").click()
    expect(page.get_by_role("heading", name="The answers to one question")).to_be_visible()
    expect(page.locator("li.item")).to_have_count(1)
    expect(page.locator(f"#item-{pending_answer} .question-of")).to_contain_text(
        "Which filter size fits?"
    )
    both_widths(page, axe)
    page.locator(f"#item-{pending_answer}").get_by_role("button", name="Approve").click()
    expect(page.locator(".flashes")).to_have_text("1 answer approved.")
    assert run(row, app, Answer, pending_answer).status == Status.PUBLISHED


def test_the_idea_board_by_keyboard(
    watched: Any,  # noqa: F811
    axe: Callable[..., Any],
    app: Flask,
    live_server: Any,
    make_site: Callable[..., Any],
) -> None:
    page = watched
    site = make_site(moderation="pre")
    slug = site.slug
    case, bag, cord = (
        run(seed_idea, app, slug, title=title)
        for title in ("Travel case", "A carry bag", f"Longer cord {PAYLOAD}")
    )
    proposed = run(seed_idea, app, slug, title="Waiting for a look")
    run(publish, app, slug, Idea, [case, bag, cord])
    run(vote, app, slug, case, ["v1", "v2"], email="fan@x.test")
    run(vote, app, slug, bag, ["v2", "v3", "v4"])
    run(set_stage, app, slug, cord, "planned", "In the spring.")
    sign_in(page, live_server.url, site.owner_email, site.password)
    section(page, "Ideas")
    items = page.locator("li.item")
    expect(items).to_have_count(3)
    expect(items.locator(".votes strong")).to_have_text(["3", "2", "0"])
    expect(page.locator(f"#item-{cord} .item-title")).to_have_text(f"Longer cord {PAYLOAD}")
    both_widths(page, axe)

    # The stage filter, by keyboard.
    page.get_by_label("Stage").focus()
    page.keyboard.type("Pl")  # type-ahead: Planned
    expect(page.get_by_label("Stage")).to_have_value("planned")
    page.get_by_role("button", name="Filter").focus()
    page.keyboard.press("Enter")
    expect(items).to_have_count(1)
    expect(page.locator(f"#item-{cord} .stage-note")).to_have_text("In the spring.")

    # A proposed idea is approved from its tab (the filters reset first: tabs keep them).
    section(page, "Ideas")
    page.get_by_role("link", name=re.compile("^Proposed")).click()
    page.locator(f"#item-{proposed}").get_by_role("button", name="Approve").click()
    expect(page.locator(".flashes")).to_have_text("1 idea approved.")
    assert run(row, app, Idea, proposed).status == Status.PUBLISHED

    # The idea's page: the stage with a public note, by keyboard.
    page.get_by_role("link", name=re.compile("^On the board")).click()
    page.get_by_role("link", name="Travel case", exact=True).click()
    expect(page.get_by_role("heading", name="Travel case", level=1)).to_be_visible()
    both_widths(page, axe)
    page.get_by_label("Stage", exact=True).focus()
    page.keyboard.type("Sh")  # type-ahead: Shipped
    page.keyboard.press("Tab")
    expect(page.get_by_label(re.compile("^Public note"))).to_be_focused()
    page.keyboard.type("Out now <in black>.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Set stage")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_have_text("Stage set to Shipped.")
    expect(page.locator(".idea-page .stage-note")).to_have_text("Out now <in black>.")
    stored = run(row, app, Idea, case)
    assert (stored.stage, stored.stage_note) == ("shipped", "Out now <in black>.")

    # A title too short: announced by the field, nothing changed.
    title = page.get_by_label("Title", exact=True)
    title.evaluate("e => e.removeAttribute('minlength')")
    title.fill("Hm")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(title).to_have_attribute("aria-invalid", "true")
    both_widths(page, axe)
    assert run(row, app, Idea, case).title == "Travel case"

    # Merge into the other idea: confirmed in a prompt, votes move.
    page.get_by_label("Merge into", exact=True).select_option(bag)
    page.get_by_role("button", name="Merge").click()
    expect(page.locator(".flashes")).to_contain_text("Merged into “A carry bag”")
    assert page.dialogs == ["Merge this idea into the chosen one? This cannot be undone."]
    expect(page.get_by_role("heading", name="A carry bag", level=1)).to_be_visible()
    expect(page.locator(".idea-page .votes strong")).to_have_text("4")  # v2 counted once
    assert run(row, app, Idea, case).merged_into == bag

    # The ideas line of the insight page: open ideas by votes, the shipped.
    run(set_stage, app, slug, cord, "shipped", "Here it is.")
    section(page, "Insight")
    wanted = page.locator("#ideas-wanted li")
    expect(wanted).to_have_count(2)
    expect(wanted.first).to_contain_text("A carry bag · 4 votes · Open")
    expect(page.locator("#ideas-shipped li")).to_contain_text([f"Longer cord {PAYLOAD}"])
    both_widths(page, axe)
    page.locator("#ideas-wanted").get_by_role("link", name="A carry bag").click()
    expect(page.get_by_role("heading", name="A carry bag", level=1)).to_be_visible()


def test_make_this_an_idea_from_a_review_card(
    watched: Any,  # noqa: F811
    axe: Callable[..., Any],
    app: Flask,
    live_server: Any,
    site: Any,
) -> None:
    page = watched
    (review,) = seed(app, site.slug, 1, title=f"Wish it had a case {PAYLOAD}", product="grinder")
    sign_in(page, live_server.url, site.owner_email, site.password)
    page.get_by_role("link", name=re.compile("^Published")).click()
    link = page.locator(f"#item-{review}").get_by_role(
        "link", name=re.compile("^Make this an idea")
    )
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Make this an idea")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(f"Wish it had a case {PAYLOAD}")
    expect(page.get_by_label(re.compile("^Product"))).to_have_value("grinder")
    expect(page.locator(".source .excerpt")).to_contain_text("Review number 0 of grinder")
    both_widths(page, axe)
    # An empty title: refused by the browser first, then (its check taken off) by the server.
    title = page.get_by_label("Title")
    title.fill("")
    page.get_by_role("button", name="Create the idea").click()
    assert title.evaluate("e => e.validity.valueMissing") is True
    title.evaluate("e => { e.removeAttribute('required'); e.removeAttribute('minlength') }")
    title.fill("No")
    page.get_by_role("button", name="Create the idea").click()
    expect(page.get_by_role("alert")).to_contain_text("The idea was not created")
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    both_widths(page, axe)
    assert run(ideas_titled, app, site.slug, "No") == []
    page.get_by_label("Title").fill("A travel case for the grinder")
    page.get_by_label("Title").press("Enter")
    expect(page.locator(".flashes")).to_have_text("The idea is on the board.")
    (idea,) = run(ideas_titled, app, site.slug, "A travel case for the grinder")
    assert run(sources_of, app, idea.id) == [("review", review)]
    feedback = page.locator(".source")
    expect(feedback.locator(".excerpt")).to_have_text("Review number 0 of grinder")
    both_widths(page, axe)
    feedback.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/reviews/{review}$"))
