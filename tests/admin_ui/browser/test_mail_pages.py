"""The pages people reach from a message, in real Chromium: the forgot-password and
reset pages of the admin, and the public unsubscribe pages. axe-core (WCAG 2.2 A/AA) on
each; no script errors and no CSP violations (the console would show them); the
unsubscribe button works without a script.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from mailsink import MailSink
from plaudit_server import mail, unsubscribe
from plaudit_server.admin_ui import password_reset
from plaudit_server.extensions import db
from plaudit_server.models import Owner
from plaudit_server.services import suppressions

from .conftest import off_loop

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect


@pytest.fixture
def app(app_factory: Callable[..., Flask], smtp_sink: MailSink) -> Iterator[Flask]:
    app = app_factory(**smtp_sink.config)
    # Until create_app binds them itself.
    if "plaudit_mail" not in app.extensions:
        mail.init_app(app)
    if "unsubscribe" not in app.blueprints:
        app.register_blueprint(unsubscribe.bp)
    yield app
    app.extensions["plaudit_mail"].close()


@pytest.fixture
def watched(page: Any) -> Iterator[Any]:
    """The page, failing the test on any script error or console error."""
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", on_console)
    yield page
    assert problems == []


def in_app(app: Flask, func: Callable[[], Any]) -> Any:
    def call() -> Any:
        with app.app_context():
            try:
                return func()
            finally:
                db.session.rollback()

    return off_loop(call)


def test_forgot_and_reset_pages(
    watched: Any, axe: Callable[..., Any], app: Flask, live_server: Any, site: Any
) -> None:
    url = live_server.url
    watched.goto(f"{url}/admin/login")
    watched.get_by_role("link", name="Forgot your password?").click()
    expect(watched.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    axe(watched)
    watched.get_by_label("Email").fill("nobody@example.test")
    watched.get_by_role("button", name="Send the link").click()
    expect(watched.get_by_role("status")).to_contain_text("is on its way")
    axe(watched)

    def token() -> str:
        owner = db.session.query(Owner).filter_by(email=site.owner_email).one()
        return password_reset.reset_token(owner)

    link = f"{url}/admin/reset/{in_app(app, token)}"
    watched.goto(link)
    axe(watched)
    watched.get_by_label("New password (at least 10 characters)").fill("short")
    watched.get_by_label("The new password again").fill("short")
    watched.get_by_role("button", name="Change the password").click()
    expect(watched.get_by_text("Use at least 10 characters.")).to_be_visible()
    axe(watched)  # with its error
    watched.get_by_label("New password (at least 10 characters)").fill("a new passphrase")
    watched.get_by_label("The new password again").fill("a new passphrase")
    watched.get_by_role("button", name="Change the password").click()
    expect(watched.get_by_text("Your password is changed.")).to_be_visible()
    response = watched.goto(link)
    assert response is not None and response.status == 410
    expect(watched.get_by_role("alert")).to_contain_text("already used")
    axe(watched)


def test_unsubscribe_pages(
    watched: Any, axe: Callable[..., Any], app: Flask, live_server: Any, site: Any
) -> None:
    def token() -> str:
        return suppressions.unsubscribe_token(site.id, "ada@example.test", "invitations")

    link = f"{live_server.url}/u/{in_app(app, token)}"
    response = watched.goto(link)
    assert response is not None and response.status == 200
    expect(watched.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    axe(watched)
    watched.set_viewport_size({"width": 360, "height": 640})  # a phone
    axe(watched)
    watched.get_by_role("button", name="Unsubscribe").click()
    expect(watched.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    axe(watched)

    def listed() -> set[str]:
        return suppressions.suppressed(db.session, site.id, "invitations", ["ada@example.test"])

    assert in_app(app, listed) == {"ada@example.test"}

    missing = watched.goto(f"{live_server.url}/u/not-a-token")
    assert missing is not None and missing.status == 404
    expect(watched.get_by_role("heading", name="Link not valid")).to_be_visible()
    axe(watched)
