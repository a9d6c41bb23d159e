"""The questions bundle (issue 18) in real headless Chromium: a ``data-plaudit-questions``
mount and the reviews widget's "Questions" tab. Asking (with "tell me when it is
answered"), answering (verified with an invitation token), helpful votes, owner and
verified badges, paging and sorting, the FAQPage JSON-LD, languages, keyboard, axe at
phone and desktop widths, a strict CSP, and the bundle loaded only where it is used.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import Plaudit, off_loop
from .test_browser import PRODUCT, mount, open_page, real_errors, widget
from .test_invitations import invite

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "widget"
STATIC = ROOT / "server" / "plaudit_server" / "static"
STRICT_CSP = "default-src 'none'; script-src {o}; connect-src {o}; style-src 'self'"


# ---------------------------------------------------------------- helpers


def questions_mount(site: str, product: str = PRODUCT, **attrs: str) -> str:
    extra = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<div data-plaudit-questions data-site="{site}" data-product="{product}" {extra}></div>'


def qbox(page: Page) -> Any:
    return page.locator("[data-plaudit-questions]")


def ask(plaudit: Plaudit, site: str, body: str, product: str = PRODUCT, **data: Any) -> str:
    """A question as a visitor's (published on a post-moderated site); returns its id."""

    def make() -> str:
        from plaudit_server.extensions import db
        from plaudit_server.services import community, sites

        with plaudit.app.app_context():
            found = sites.site_by_slug(db.session, site)
            made = community.ask(
                db.session,
                found,
                product,
                {"body": body, "author_name": "Quinn", **data},
                visitor_hash=f"q-{body[:12]}",
            )
            db.session.commit()
            return str(made.id)

    return off_loop(make)  # type: ignore[no-any-return]


def answer(
    plaudit: Plaudit, site: str, question: str, body: str, *, owner: bool = False, **data: Any
) -> str:
    """An answer: the shop's (owner) or a visitor's (``verified`` a verified buyer's)."""

    def make() -> str:
        from plaudit_server.extensions import db
        from plaudit_server.services import community, sites

        with plaudit.app.app_context():
            found = sites.site_by_slug(db.session, site)
            if owner:
                made = community.owner_answer(db.session, found, question, body)
            else:
                verified = bool(data.pop("verified", False))
                made = community.answer(
                    db.session,
                    found,
                    question,
                    {"body": body, "author_name": "Ari", **data},
                    visitor_hash=f"a-{body[:12]}",
                    verified=verified,
                )
            db.session.commit()
            return str(made.id)

    return off_loop(make)  # type: ignore[no-any-return]


def publish(plaudit: Plaudit, model: str, item_id: str) -> None:
    """Publish a held item, as the shop's moderation would."""

    def write() -> None:
        from plaudit_server import models
        from plaudit_server.extensions import db
        from plaudit_server.services import community

        with plaudit.app.app_context():
            item = db.session.get(getattr(models, model), item_id)
            assert item is not None
            site = db.session.get(models.Site, item.site_id)
            assert site is not None
            community.set_status(
                db.session, site, getattr(models, model), [item_id], models.Status.PUBLISHED
            )
            db.session.commit()

    off_loop(write)


def stored(plaudit: Plaudit, model: str, **where: Any) -> list[dict[str, Any]]:
    """Rows of a community model as the database has them (a few columns)."""

    def read() -> list[dict[str, Any]]:
        import sqlalchemy as sa

        from plaudit_server import models
        from plaudit_server.extensions import db

        cls = getattr(models, model)
        with plaudit.app.app_context():
            rows = db.session.scalars(sa.select(cls).filter_by(**where).order_by(cls.created_at))
            keys = ("id", "body", "author_name", "author_email", "notify", "verified_buyer")
            return [{k: getattr(r, k) for k in keys if hasattr(r, k)} for r in rows]

    return off_loop(read)  # type: ignore[no-any-return]


def chunk_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: "/widget/" in r.url and seen.append(r.url.split("?")[0]))
    return seen


def posts_of(page: Page) -> list[tuple[str, Any]]:
    posts: list[tuple[str, Any]] = []
    page.on(
        "request",
        lambda r: r.method == "POST" and posts.append((r.url, json.loads(r.post_data or "null"))),
    )
    return posts


def faq(page: Page, site: str) -> Any:
    node = page.locator(f'script[data-plaudit="{site}/{PRODUCT}/questions"]')
    return json.loads(node.text_content() or "null")


# ---------------------------------------------------------------- asking


def test_ask_by_keyboard_under_a_strict_csp(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    asked = ask(plaudit, site, "Does the grinder fit a 60 mm portafilter?")
    answer(plaudit, site, asked, "Yes, with the included adapter.", owner=True)
    answer(plaudit, site, asked, "Mine fits fine.", verified=True)
    chunks = chunk_requests(page)
    posts = posts_of(page)
    seen = open_page(
        page,
        plaudit,
        questions_mount(site, product_name="Aurora grinder"),
        headers={"Content-Security-Policy": STRICT_CSP.format(o=plaudit.origin)},
    )
    q = qbox(page)
    expect(q.get_by_role("heading", level=2)).to_have_text("Questions and answers")
    item = q.locator(".qa")
    expect(item).to_have_count(1)
    expect(item.locator(".q")).to_have_text("Does the grinder fit a 60 mm portafilter?")
    expect(item.locator(".meta").first).to_contain_text("2 answers")
    # The best answer first: the shop's, with its badge.
    top = item.locator(".an").first
    expect(top).to_contain_text("Yes, with the included adapter.")
    expect(top.locator(".own")).to_have_text("Shop")
    assert chunks == [f"{plaudit.origin}/widget/questions.js"]
    ld = faq(page, site)
    assert ld["@type"] == "FAQPage"
    assert ld["about"] == {"@type": "Product", "name": "Aurora grinder", "productID": PRODUCT}
    [entity] = ld["mainEntity"]
    assert entity["name"] == "Does the grinder fit a 60 mm portafilter?"
    assert entity["answerCount"] == 2
    assert entity["acceptedAnswer"]["text"] == "Yes, with the included adapter."

    button = q.get_by_role("button", name="Ask a question")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(q.get_by_label("Your question")).to_be_focused()
    page.keyboard.type("Is it loud <b>at all</b>?")
    page.keyboard.press("Tab")
    expect(q.get_by_label("Your name")).to_be_focused()
    page.keyboard.type("Mo")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    notify = q.get_by_label("Tell me by email when my question is answered")
    expect(notify).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")  # submits: the checkbox wants an address first
    expect(
        q.get_by_text("Enter your email to hear when your question is answered.")
    ).to_be_visible()
    assert [p for p in posts if "/questions" in p[0]] == []
    q.get_by_label("Email (optional, never shown)").fill("mo@example.com")
    q.get_by_role("button", name="Submit question").click()
    thanks = q.locator(".msg.good").first
    expect(thanks).to_have_text("Thank you! Your question is published.")
    expect(thanks).to_be_focused()
    expect(q.locator(".qa")).to_have_count(2)
    # Text stays text.
    expect(q.locator(".qa .q").first).to_have_text("Is it loud <b>at all</b>?")
    assert posts == [
        (
            f"{plaudit.origin}/api/v1/sites/{site}/products/{PRODUCT}/questions",
            {
                "body": "Is it loud <b>at all</b>?",
                "author_name": "Mo",
                "author_email": "mo@example.com",
                "notify": True,
            },
        )
    ]
    mine = [r for r in stored(plaudit, "Question") if r["author_name"] == "Mo"]
    assert mine and mine[0]["notify"] is True and mine[0]["author_email"] == "mo@example.com"
    # destroy() takes the mount and its JSON-LD away.
    page.evaluate("() => Plaudit.destroy()")
    expect(page.locator('script[type="application/ld+json"]')).to_have_count(0)
    expect(q.locator(".pl")).to_have_count(0)
    assert real_errors(seen) == []


def test_a_short_question_shows_the_servers_message(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seen = open_page(page, plaudit, questions_mount(site))
    q = qbox(page)
    expect(q.get_by_text("No questions yet. Be the first to ask.")).to_be_visible()
    q.get_by_role("button", name="Ask a question").click()
    body = q.get_by_label("Your question")
    body.fill("Loud?")
    q.get_by_label("Your name").fill("Mo")
    q.get_by_role("button", name="Submit question").click()
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_be_focused()
    expect(q.locator(".err").first).not_to_be_empty()
    assert stored(plaudit, "Question") == []
    assert real_errors(seen) == []


# ---------------------------------------------------------------- answering and votes


def test_answer_with_an_invitation_is_verified_and_votes_count(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    asked = ask(plaudit, site, "How long does the warranty last?")
    _, token = invite(plaudit, site, [PRODUCT])
    posts = posts_of(page)
    seen = open_page(page, plaudit, questions_mount(site))
    page.goto(page.url + f"?plaudit_invite={token}")
    q = qbox(page)
    item = q.locator(".qa")
    expect(item.locator(".meta").first).to_contain_text("No answers yet")
    open_btn = item.get_by_role("button", name="Answer", exact=True)
    open_btn.click()
    expect(open_btn).to_have_attribute("aria-expanded", "true")
    expect(item.get_by_text("Your answer will show that you bought this product.")).to_be_visible()
    item.get_by_label("Your answer").fill("Two years, I checked the box.")
    item.get_by_label("Your name").fill("Bea")
    item.get_by_role("button", name="Post answer").click()
    expect(item.locator(".msg.good")).to_have_text("Thank you! Your answer is published.")
    posted = item.locator(".an")
    expect(posted).to_have_count(1)
    expect(posted.locator(".vb")).to_contain_text("Verified buyer")
    expect(item.locator(".meta").first).to_contain_text("1 answer")
    answers = [p for p in posts if p[0].endswith(f"/questions/{asked}/answers")]
    assert answers and answers[0][1]["invite"] == token
    assert stored(plaudit, "Answer")[0]["verified_buyer"] is True

    # Helpful votes, as on reviews.
    yes = posted.get_by_role("button", name="Yes (0)")
    yes.click()
    expect(posted.get_by_role("button", name="Yes (1)")).to_have_attribute("aria-pressed", "true")
    answer_id = stored(plaudit, "Answer")[0]["id"]
    votes = [p for p in posts if p[0].endswith("/votes")]
    assert votes == [
        (f"{plaudit.origin}/api/v1/sites/{site}/answers/{answer_id}/votes", {"helpful": True})
    ]
    assert real_errors(seen) == []


def test_a_refused_invitation_is_dropped_and_pending_is_said(page: Page, plaudit: Plaudit) -> None:
    """A token the server refuses shows by the note, and the answer then goes without
    it; on a pre-moderated site the thanks say it waits for approval."""
    site = plaudit.site(moderation="pre")
    asked = ask(plaudit, site, "Is the hopper removable, really?")
    publish(plaudit, "Question", asked)
    posts = posts_of(page)
    seen = open_page(page, plaudit, questions_mount(site))
    page.goto(page.url + "?plaudit_invite=not-a-real-token-0123456789")
    item = qbox(page).locator(".qa")
    item.get_by_role("button", name="Answer", exact=True).click()
    item.get_by_label("Your answer").fill("It is.")
    item.get_by_label("Your name").fill("Bo")
    item.get_by_role("button", name="Post answer").click()
    expect(
        item.get_by_text(
            "This invitation link is not valid here. Submit again to post your answer without it."
        )
    ).to_be_visible()
    expect(item.get_by_text("Your answer will show that you bought this product.")).to_have_count(0)
    item.get_by_role("button", name="Post answer").click()
    expect(item.locator(".msg.good")).to_have_text(
        "Thank you! Your answer will appear once approved."
    )
    expect(item.locator(".an")).to_have_count(0)
    sent = [body for url, body in posts if url.endswith("/answers")]
    assert [b.get("invite") for b in sent] == ["not-a-real-token-0123456789", None]
    [stored_answer] = stored(plaudit, "Answer")
    assert stored_answer["verified_buyer"] is False

    q = qbox(page)
    q.get_by_role("button", name="Ask a question").click()
    form = q.locator("form").first  # the ask form; the answer form is under its question
    form.get_by_label("Your question").fill("Does it need a special plug?")
    form.get_by_label("Your name").fill("Bo")
    form.get_by_role("button", name="Submit question").click()
    expect(q.locator(".msg.good").first).to_have_text(
        "Thank you! Your question will appear once approved."
    )
    expect(q.locator(".qa")).to_have_count(1)
    assert real_errors(seen) == []


def test_all_answers_sorting_and_paging(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    busy = ask(plaudit, site, "Which beans work best with it?")
    answer(plaudit, site, busy, "Any medium roast.")
    answer(plaudit, site, busy, "We suggest our house blend.", owner=True)
    answer(plaudit, site, busy, "Light roasts on the fine settings.", verified=True)
    for n in range(11):
        ask(plaudit, site, f"Filler question number {n:02} about the grinder")
    seen = open_page(page, plaudit, questions_mount(site, sort="answered"))
    q = qbox(page)
    expect(q.locator(".qa")).to_have_count(10)
    assert "sort=answered" in next(u for u in seen["api"] if "/questions" in u)
    first = q.locator(".qa").first
    expect(first.locator(".q")).to_have_text("Which beans work best with it?")
    expect(first.locator(".an")).to_have_count(1)
    expect(first.locator(".an .own")).to_have_text("Shop")
    first.get_by_role("button", name="Show all 3 answers").click()
    expect(first.locator(".an")).to_have_count(3)
    # The server's order: the shop's, the verified buyer's, then the rest.
    expect(first.locator(".an .b")).to_have_text(
        ["We suggest our house blend.", "Light roasts on the fine settings.", "Any medium roast."]
    )
    expect(first.locator(".an").first).to_be_focused()
    expect(first.get_by_role("button", name="Show all 3 answers")).to_be_hidden()

    more = q.get_by_role("button", name="Show more questions")
    more.click()
    expect(q.locator(".qa")).to_have_count(12)
    expect(more).to_be_hidden()
    expect(q.locator(".qa").nth(10)).to_be_focused()

    q.get_by_label("Sort by").select_option("newest")
    expect(q.locator(".qa")).to_have_count(10)
    expect(q.locator(".qa .q").first).to_have_text("Filler question number 10 about the grinder")
    assert real_errors(seen) == []


# ---------------------------------------------------------------- the FAQPage


def test_the_faq_page_is_the_servers_and_names_verified_buyers(
    page: Page, plaudit: Plaudit
) -> None:
    """The bundle's FAQPage is the document the server's /questions/jsonld builds for
    shops that render on the server (api/seo.py): a verified buyer's accepted answer has
    "Verified buyer" as its author's description, the shop's and a visitor's none."""
    site = plaudit.site()
    by_shop = ask(plaudit, site, "Does it come with a warranty card?")
    answer(plaudit, site, by_shop, "Two years, the card is in the box.", owner=True)
    answer(plaudit, site, by_shop, "Mine had one.", verified=True)  # not the accepted one
    by_buyer = ask(plaudit, site, "Is it fine enough for Turkish coffee?")
    answer(plaudit, site, by_buyer, "Yes, on the finest setting.", verified=True)
    by_visitor = ask(plaudit, site, "Does it work with a 220 V plug?")
    answer(plaudit, site, by_visitor, "I think so.")
    ask(plaudit, site, "Is there a version in white?")  # unanswered: not in the FAQPage
    seen = open_page(page, plaudit, questions_mount(site, product_name="Aurora grinder"))
    expect(qbox(page).locator(".qa")).to_have_count(4)
    mine = faq(page, site)
    authors = {e["name"]: e["acceptedAnswer"]["author"] for e in mine["mainEntity"]}
    assert set(authors) == {
        "Does it come with a warranty card?",
        "Is it fine enough for Turkish coffee?",
        "Does it work with a 220 V plug?",
    }
    shop = authors["Does it come with a warranty card?"]
    assert shop["@type"] == "Organization" and "description" not in shop
    assert authors["Is it fine enough for Turkish coffee?"] == {
        "@type": "Person",
        "name": "Ari",
        "description": "Verified buyer",
    }
    assert authors["Does it work with a 220 V plug?"] == {"@type": "Person", "name": "Ari"}
    servers = plaudit.get(
        f"/api/v1/sites/{site}/products/{PRODUCT}/questions/jsonld?name=Aurora%20grinder"
    )

    def by_name(document: dict[str, Any]) -> dict[str, Any]:
        return {**document, "mainEntity": sorted(document["mainEntity"], key=str)}

    assert by_name(mine) == by_name(servers)
    assert real_errors(seen) == []


# ---------------------------------------------------------------- the reviews widget's tab


def test_questions_tab_by_keyboard(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1, body="A fine grinder")
    asked = ask(plaudit, site, "Can I grind for French press?")
    answer(plaudit, site, asked, "Yes, on the coarsest settings.", owner=True)
    chunks = chunk_requests(page)
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(1)
    tabs = w.get_by_role("tab")
    expect(tabs).to_have_text(["Reviews", "Questions"])
    reviews_tab, questions_tab = tabs.nth(0), tabs.nth(1)
    expect(reviews_tab).to_have_attribute("aria-selected", "true")
    expect(questions_tab).to_have_attribute("aria-selected", "false")
    expect(questions_tab).to_have_attribute("tabindex", "-1")
    assert chunks == []  # nothing of questions until the tab is chosen

    reviews_tab.focus()
    page.keyboard.press("ArrowRight")
    expect(questions_tab).to_be_focused()
    expect(questions_tab).to_have_attribute("aria-selected", "true")
    panel = w.get_by_role("tabpanel", name="Questions")
    expect(panel.locator(".qa .q")).to_have_text("Can I grind for French press?")
    expect(w.get_by_role("tabpanel", name="Reviews")).to_be_hidden()
    assert chunks == [f"{plaudit.origin}/widget/questions.js"]
    page.keyboard.press("ArrowLeft")
    expect(reviews_tab).to_be_focused()
    expect(w.locator(".rv")).to_be_visible()
    expect(panel).to_be_hidden()
    page.keyboard.press("ArrowRight")
    expect(panel).to_be_visible()
    assert len(chunks) == 1  # loaded once
    # The tab adds the FAQPage beside the reviews' Product.
    assert faq(page, site)["mainEntity"][0]["acceptedAnswer"]["text"] == (
        "Yes, on the coarsest settings."
    )
    assert (
        json.loads(page.locator(f'script[data-plaudit="{site}/{PRODUCT}"]').text_content() or "")[
            "@type"
        ]
        == "Product"
    )

    # Asking from the tab works as in the standalone mount.
    panel.get_by_role("button", name="Ask a question").click()
    panel.get_by_label("Your question").fill("Does it come with a brush?")
    panel.get_by_label("Your name").fill("Lu")
    panel.get_by_role("button", name="Submit question").click()
    expect(panel.locator(".qa")).to_have_count(2)
    page.evaluate("() => Plaudit.destroy()")
    expect(page.locator('script[type="application/ld+json"]')).to_have_count(0)
    assert real_errors(seen) == []


def test_no_tab_for_the_store_or_when_turned_off(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    open_page(
        page,
        plaudit,
        mount(site, questions="off") + mount(site, product="other", store=""),
    )
    expect(widget(page).locator(".cnt")).to_have_text(["0 reviews", "0 reviews"])
    expect(widget(page).get_by_role("tab")).to_have_count(0)


def test_bundles_only_where_they_are_used(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1)
    chunks = chunk_requests(page)
    open_page(
        page,
        plaudit,
        mount(site)
        + f'<span data-plaudit-stars data-site="{site}" data-product="{PRODUCT}"></span>',
    )
    expect(widget(page).locator(".rv")).to_have_count(1)
    expect(page.locator("[data-plaudit-stars] .st").first).to_be_attached()
    assert chunks == []
    open_page(page, plaudit, questions_mount(site))
    expect(qbox(page).get_by_text("No questions yet. Be the first to ask.")).to_be_visible()
    assert chunks == [f"{plaudit.origin}/widget/questions.js"]


# ---------------------------------------------------------------- accessibility, languages


@pytest.mark.parametrize("width", [375, 1280])
def test_no_axe_violations(page: Page, plaudit: Plaudit, axe: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    site = plaudit.site()
    asked = ask(plaudit, site, "Is the hopper removable?")
    answer(plaudit, site, asked, "Yes, it twists off.", owner=True)
    answer(plaudit, site, asked, "It does.", verified=True)
    open_page(page, plaudit, questions_mount(site) + mount(site, theme="dark"))
    q = qbox(page)
    expect(q.locator(".an")).to_have_count(1)
    q.get_by_role("button", name="Ask a question").click()
    q.locator(".qa").get_by_role("button", name="Answer", exact=True).click()
    q.get_by_role("button", name="Submit question").click()  # errors shown too
    expect(q.get_by_text("Please fill in this field.").first).to_be_visible()
    w = widget(page)
    w.get_by_role("tab", name="Questions").click()
    expect(w.get_by_role("tabpanel", name="Questions").locator(".qa")).to_have_count(1)
    axe(page)
    for host in (q, w):
        box = host.locator(".pl").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width


@pytest.mark.parametrize(
    ("lang", "title", "ask_label", "tab", "count"),
    [
        ("de", "Fragen und Antworten", "Frage stellen", "Fragen", "1 Antwort"),
        ("fr", "Questions et réponses", "Poser une question", "Questions", "1 réponse"),
        ("es", "Preguntas y respuestas", "Hacer una pregunta", "Preguntas", "1 respuesta"),
    ],
)
def test_languages(
    page: Page, plaudit: Plaudit, lang: str, title: str, ask_label: str, tab: str, count: str
) -> None:
    site = plaudit.site()
    asked = ask(plaudit, site, "Does it work with 110 volts?")
    answer(plaudit, site, asked, "Yes.", owner=True)
    seen = open_page(page, plaudit, questions_mount(site) + mount(site), lang=lang)
    q = qbox(page)
    expect(q.get_by_role("heading", level=2)).to_have_text(title)
    expect(q.get_by_role("button", name=ask_label)).to_be_visible()
    expect(q.locator(".qa .meta").first).to_contain_text(count)
    expect(q.locator(".pl")).to_have_attribute("lang", lang)
    widget(page).get_by_role("tab", name=tab).click()
    panel = widget(page).get_by_role("tabpanel", name=tab)
    expect(panel.get_by_role("button", name=ask_label)).to_be_visible()
    expect(panel.locator(".qa .meta").first).to_contain_text(count)
    assert real_errors(seen) == []


# ---------------------------------------------------------------- strings and sizes


@pytest.mark.skipif(
    shutil.which("node") is None or not (WIDGET / "node_modules").is_dir(),
    reason="needs node and `npm ci` in widget/",
)
def test_every_language_has_every_string() -> None:
    script = """
    const out = {};
    for (const f of ['questions', 'ideas']) {
      const s = (await import(`./src/${f}-strings.js`)).default;
      out[f] = Object.fromEntries(Object.entries(s).map(([l, t]) => [l, Object.keys(t).sort()]));
    }
    const core = {};
    for (const l of ['en', 'de', 'fr', 'es'])
      core[l] = Object.keys((await import(`./src/lang/${l}.js`)).default).sort();
    out.core = core;
    console.log(JSON.stringify(out));
    """
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=WIDGET,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(done.stdout)
    for table in ("questions", "ideas", "core"):
        assert set(found[table]) == {"en", "de", "fr", "es"}, table
        english = found[table]["en"]
        for lang, keys in found[table].items():
            assert keys == english, f"{table} {lang}: {set(english) ^ set(keys)}"
    assert {"tabR", "tabQ"} <= set(found["core"]["en"])


def test_bundles_within_their_budgets() -> None:
    """Each community bundle at most 8 KB gzipped; the core keeps its 12 KB."""
    sizes = {
        path.name: len(gzip.compress(path.read_bytes(), compresslevel=9))
        for path in [
            STATIC / "plaudit.min.js",
            STATIC / "widget" / "questions.js",
            STATIC / "widget" / "ideas.js",
        ]
    }
    assert sizes["plaudit.min.js"] <= 12 * 1024, sizes
    assert sizes["questions.js"] <= 8 * 1024, sizes
    assert sizes["ideas.js"] <= 8 * 1024, sizes
    # The core knows both by their content hash, as every chunk.
    core = (STATIC / "plaudit.min.js").read_text(encoding="utf-8")
    assert re.search(r'questions"?:"[0-9a-f]{20}"', core) and re.search(
        r'ideas"?:"[0-9a-f]{20}"', core
    )
    size = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "widget_size.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "questions.js" in size.stdout and "ideas.js" in size.stdout, size.stdout
