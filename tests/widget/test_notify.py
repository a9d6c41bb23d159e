"""The widget's "Tell me when the shop answers" checkbox, in real headless Chromium.

Next to the e-mail field of the review form and of every comment form: ticked with an
address, the submission carries ``"notify": true`` and the stored item asks to be told;
ticked without an address, the form asks for one and posts nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Plaudit, off_loop
from .test_browser import PRODUCT, fill_review, mount, open_page, real_errors, review_form, widget

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

LABEL = "Tell me by email when the shop answers"


def stored(plaudit: Plaudit, model_name: str, item_id: str) -> tuple[bool, str | None]:
    """``(notify, author_email)`` of a review or comment, as the database has it."""

    def read() -> tuple[bool, str | None]:
        from plaudit_server import models
        from plaudit_server.extensions import db

        with plaudit.app.app_context():
            item = db.session.get(getattr(models, model_name), item_id)
            assert item is not None
            return item.notify, item.author_email

    return off_loop(read)  # type: ignore[no-any-return]


def posted_bodies(page: Page) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda req: (
            req.method == "POST"
            and "/api/" in req.url
            and bodies.append(json.loads(req.post_data or "{}"))
        ),
    )
    return bodies


def test_the_review_form_asks_for_an_address_then_sends_notify(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    bodies = posted_bodies(page)
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    fill_review(w, stars=4, body="Solid grinder.", name="Ada")
    form = review_form(w)
    box = form.get_by_label(LABEL)
    expect(box).not_to_be_checked()
    box.check()
    form.get_by_role("button", name="Submit review").click()
    email = form.get_by_label("Email (optional, never shown)")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(form).to_contain_text("Enter your email to hear when the shop answers.")
    expect(email).to_be_focused()
    assert bodies == []  # nothing posted without an address

    email.fill("ada@example.com")
    form.get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    assert len(bodies) == 1
    assert bodies[0]["notify"] is True and bodies[0]["author_email"] == "ada@example.com"
    data = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")
    [review] = data["reviews"]
    assert stored(plaudit, "Review", review["id"]) == (True, "ada@example.com")
    assert real_errors(seen) == []


def test_unticked_sends_no_notify(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    bodies = posted_bodies(page)
    open_page(page, plaudit, mount(site))
    w = widget(page)
    fill_review(w, stars=5, body="Quiet and quick.", name="Bo")
    review_form(w).get_by_label("Email (optional, never shown)").fill("bo@example.com")
    review_form(w).get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_be_visible()
    assert len(bodies) == 1 and "notify" not in bodies[0]
    [review] = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")["reviews"]
    assert stored(plaudit, "Review", review["id"]) == (False, "bo@example.com")


def test_a_comment_asks_to_be_told(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    bodies = posted_bodies(page)
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    w.get_by_role("button", name="Show questions and comments").click()
    disc = w.locator(".disc")
    disc.get_by_label("Your comment").last.fill("Which grind for V60?")
    disc.get_by_label("Your name").last.fill("Ellie")
    disc.get_by_label("Email (optional, never shown)").last.fill("ellie@example.com")
    disc.get_by_label(LABEL).last.check()
    disc.get_by_role("button", name="Post comment").last.click()
    expect(disc.get_by_text("Thank you! Your comment is published.")).to_be_visible()
    expect(disc.get_by_label(LABEL).last).not_to_be_checked()  # the form was reset
    assert len(bodies) == 1 and bodies[0]["notify"] is True
    [made] = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/comments")["comments"]
    assert stored(plaudit, "Comment", made["id"]) == (True, "ellie@example.com")
    assert real_errors(seen) == []


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("de", "Per E-Mail benachrichtigen, wenn der Shop antwortet"),
        ("fr", "Me prévenir par e-mail quand la boutique répond"),
        ("es", "Avisarme por correo cuando la tienda responda"),
    ],
)
def test_the_checkbox_speaks_the_widgets_language(
    page: Page, plaudit: Plaudit, lang: str, label: str
) -> None:
    site = plaudit.site()
    open_page(page, plaudit, mount(site, lang=lang))
    w = widget(page)
    w.locator("button[aria-expanded]").first.click()  # "write a review", in any language
    expect(review_form(w).get_by_label(label)).to_be_visible()
