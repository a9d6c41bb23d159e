"""The hosted answer page ``/q/<token>`` in real Chromium (issue 18).

A customer asked by e-mail to answer another's question does it with the keyboard only
(Tab, Enter; the error summary's links), at a phone's width and a desktop's; every
state (the form, its errors, the thanks, the 404 and 410 pages) is axe-clean (WCAG 2.2
A/AA) at both, and the page speaks the invitation's language. Chromium posts the form
with this server's own ``Origin``. No request leaves the server's origin and nothing
breaks the CSP (the ``watched`` fixture of the hosted review page's test).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import Plaudit, off_loop
from .test_review_page_browser import DESKTOP, PHONE, fits, served, watched

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect

__all__ = ["served", "watched"]  # fixtures, used by name

QUESTION = "Does it grind <b>fine</b> enough\nfor espresso?"


def asked(plaudit: Plaudit, slug: str, *, index: int = 0, locale: str | None = None) -> str:
    """A verified buyer's review, then a question about the product: the answer link the
    buyer's invitation carries (its path)."""
    plaudit.review(
        slug,
        "sku-1",
        index=index,
        author_email="vera@example.com",
        author_name="Vera",
        verified_buyer=True,
    )

    def ask() -> str:
        import sqlalchemy as sa

        from plaudit_server.extensions import db
        from plaudit_server.models import Message
        from plaudit_server.services import community, notifications, sites

        with plaudit.app.app_context():
            site = sites.site_by_slug(db.session, slug)
            if locale:
                site.locale = locale
            body = {"body": f"{QUESTION} ({index})", "author_name": "Ada"}
            community.ask(db.session, site, "sku-1", body, visitor_hash=f"asker-{index}")
            db.session.commit()
            row = db.session.scalars(
                sa.select(Message)
                .where(Message.kind == notifications.QUESTION_INVITE)
                .order_by(Message.created_at.desc())
            ).first()
            assert row is not None and row.email == "vera@example.com"
            return "/q/" + notifications.answer_token(row.id)

    result: str = off_loop(ask)
    return result


def stored_answers(plaudit: Plaudit) -> list[tuple[str, str, bool, str | None]]:
    def read() -> list[tuple[str, str, bool, str | None]]:
        import sqlalchemy as sa

        from plaudit_server.extensions import db
        from plaudit_server.models import Answer

        with plaudit.app.app_context():
            rows = db.session.scalars(sa.select(Answer).order_by(Answer.created_at))
            return [(a.body, a.author_name, a.verified_buyer, a.author_email) for a in rows]

    result: list[tuple[str, str, bool, str | None]] = off_loop(read)
    return result


def age_links(plaudit: Plaudit, days: int) -> None:
    def shift() -> None:
        import sqlalchemy as sa

        from plaudit_server.extensions import db
        from plaudit_server.models import Message

        with plaudit.app.app_context():
            for row in db.session.scalars(sa.select(Message)):
                row.created_at -= timedelta(days=days)
            db.session.commit()

    off_loop(shift)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_answer_with_the_keyboard_and_every_state_axe_clean(
    watched: tuple[Any, list[str]], served: Plaudit, axe: Any, viewport: dict[str, int]
) -> None:
    page, requested = watched
    page.set_viewport_size(viewport)
    slug = served.site()
    url = served.origin + asked(served, slug)

    response = page.goto(url)
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "same-origin"
    expect(page.get_by_role("heading", level=1)).to_have_text("Answer a question about sku-1")
    expect(page.locator(".question-body")).to_have_text(f"{QUESTION} (0)")  # text, not markup
    expect(page.locator(".asked")).to_contain_text("Ada asked on ")
    expect(page.locator(".note")).to_have_text(
        "Your answer will show that you bought it from acme-shop."
    )
    axe(page)
    fits(page)

    # Errors first: the name emptied, nothing written, sent with Enter.
    page.keyboard.press("Tab")
    body = page.get_by_role("textbox", name="Your answer")
    expect(body).to_be_focused()
    page.keyboard.press("Tab")
    name = page.get_by_label("Your name")
    expect(name).to_be_focused()
    expect(name).to_have_value("Vera")  # the review's name, to keep or change
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send my answer")).to_be_focused()
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.keyboard.press("Enter")
    assert posted.value.headers.get("origin") == served.origin  # never "null"
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Write your answer.", "Enter your name."])
    assert page.title().startswith("Error: ")
    expect(body).to_have_attribute("aria-invalid", "true")
    axe(page)
    fits(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the summary's first link: to the field it names
    expect(body).to_be_focused()

    # Now the answer, typed and sent with the keyboard alone.
    page.keyboard.type("Yes: setting <3> is fine.\nIt is quiet too.")
    page.keyboard.press("Tab")
    page.keyboard.type("Vera B.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    done = page.locator("#done")
    expect(done).to_be_focused()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    expect(page.locator(".answer-body")).to_have_text("Yes: setting <3> is fine.\nIt is quiet too.")
    expect(page.locator(".answer-state")).to_have_text("Your answer is published.")
    axe(page)
    fits(page)
    assert stored_answers(served) == [
        ("Yes: setting <3> is fine.\nIt is quiet too.", "Vera B.", True, "vera@example.com")
    ]

    # The link gave its answer: opened again, it thanks (and takes no second one).
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")

    # Links that do not work say so, as pages of their own.
    gone = page.goto(served.origin + "/q/mail_unknown.token")
    assert gone is not None and gone.status == 404
    expect(page.get_by_role("heading", name="Link not valid")).to_be_visible()
    axe(page)
    fits(page)
    age_links(served, days=31)
    other = served.origin + asked(served, slug, index=1)  # a week later: Vera is asked again
    fresh = page.goto(other)
    assert fresh is not None and fresh.status == 200
    age_links(served, days=31)
    expired = page.goto(other)
    assert expired is not None and expired.status == 410
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    axe(page)
    fits(page)
    assert any(u.startswith(served.origin + "/static/public/review.css") for u in requested)


def test_the_page_speaks_the_invitations_language(
    watched: tuple[Any, list[str]], served: Plaudit, axe: Any
) -> None:
    page, _ = watched
    page.set_viewport_size(PHONE)
    slug = served.site()
    url = served.origin + asked(served, slug, locale="de")
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.get_by_role("heading", level=1)).to_have_text("Beantworten Sie eine Frage zu sku-1")
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.locator("#error-summary").get_by_role("link").first).to_have_text(
        "Schreiben Sie Ihre Antwort."
    )
    axe(page)
    fits(page)
