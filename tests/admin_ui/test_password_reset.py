"""Owners who forgot their password (issue 14), on SQLite and PostgreSQL, with a real
SMTP server: the link that arrives works when followed, once, within its hour; an
unknown address gets the same page and no mail; every other session ends; the form is
rate limited per network and per address.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from mailsink import MailSink
from plaudit_server import mail
from plaudit_server.admin_ui import password_reset
from plaudit_server.extensions import db
from plaudit_server.models import Owner

from .helpers import browser, sign_in

PUBLIC = "https://reviews.example"
NEW_PASSWORD = "a brand new passphrase"


def mail_app(app_factory: Callable[..., Flask], sink: MailSink, **config: Any) -> Flask:
    app = app_factory(**sink.config, PUBLIC_URL=PUBLIC, **config)
    if "plaudit_mail" not in app.extensions:  # until create_app binds it itself
        mail.init_app(app)
    return app


@pytest.fixture
def app(app_factory: Callable[..., Flask], smtp_sink: MailSink) -> Iterator[Flask]:
    app = mail_app(app_factory, smtp_sink)
    yield app
    app.extensions["plaudit_mail"].close()


def ask(client: Any, email: str) -> tuple[int, str]:
    """Post the forgot-password form; the mail (if any) goes out as the response closes."""
    response = client.post("/admin/forgot", data={"email": email})
    status, body = response.status_code, response.get_data(as_text=True)
    response.close()
    return status, body


def link_in(arrived: Any) -> str:
    found = re.findall(r"https?://\S+/admin/reset/[A-Za-z0-9._-]+", arrived.text)
    assert len(set(found)) == 1, arrived.text
    assert f'href="{found[0]}"' in arrived.html
    return str(found[0])


def test_the_mailed_link_sets_a_new_password_once_and_ends_every_session(
    app: Flask, client: Any, site: Any, smtp_sink: MailSink, signed_in: Callable[[Any], Any]
) -> None:
    elsewhere = signed_in(site)  # another browser, signed in before
    assert elsewhere.get("/admin/account").status_code == 200

    login = client.get("/admin/login").get_data(as_text=True)
    assert 'href="/admin/forgot"' in login and "Forgot your password?" in login
    assert client.get("/admin/forgot").status_code == 200
    status, page = ask(client, site.owner_email.upper())
    assert status == 200
    assert "a link to choose a new password is on its way" in page

    [arrived] = smtp_sink.wait_for(1)
    message = arrived.message
    assert arrived.rcpt_tos == [site.owner_email]
    assert message["Subject"] == "Reset your Plaudit password"
    assert "List-Unsubscribe" not in message  # it answers the person's own request
    link = link_in(arrived)
    assert link.startswith(PUBLIC + "/admin/reset/")
    path = urlsplit(link).path

    form = client.get(path)
    assert form.status_code == 200
    assert 'name="new_password"' in form.get_data(as_text=True)

    short = client.post(path, data={"new_password": "short", "confirm_password": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.get_data(as_text=True)
    differ = client.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": "other"})
    assert differ.status_code == 422
    assert "differ" in differ.get_data(as_text=True)

    done = client.post(path, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/admin/login"
    assert "Your password is changed" in client.get("/admin/login").get_data(as_text=True)

    # The other browser is signed out; the old password no longer works, the new one does.
    assert elsewhere.get("/admin/account").status_code == 302
    assert sign_in(browser(app), site.owner_email, site.password).status_code == 401
    assert sign_in(browser(app), site.owner_email, NEW_PASSWORD).status_code == 302

    # Used: the link is dead, for showing the form and for posting it.
    again = client.get(path)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)
    replay = client.post(path, data={"new_password": "x" * 12, "confirm_password": "x" * 12})
    assert replay.status_code == 410
    assert sign_in(browser(app), site.owner_email, NEW_PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_page_and_no_mail(
    client: Any, site: Any, smtp_sink: MailSink
) -> None:
    unknown_status, unknown_page = ask(client, "nobody@example.test")
    assert smtp_sink.messages == []  # the response is closed: a mail would have gone
    known_status, known_page = ask(client, site.owner_email)
    assert len(smtp_sink.wait_for(1)) == 1
    assert unknown_status == known_status == 200
    assert unknown_page.replace("nobody@example.test", "ADDRESS") == known_page.replace(
        site.owner_email, "ADDRESS"
    )
    assert smtp_sink.messages[0].rcpt_tos == [site.owner_email]


def test_an_expired_link_is_refused(app: Flask, client: Any, site: Any) -> None:
    class AnHourAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3601

    with app.app_context():
        owner = db.session.query(Owner).filter_by(email=site.owner_email).one()
        signer = URLSafeTimedSerializer(
            app.config["SECRET_KEY"], salt=password_reset._SALT, signer=AnHourAgo
        )
        token = signer.dumps([owner.id, password_reset._fingerprint(owner)])
        fresh = password_reset.reset_token(owner)
    assert client.get(f"/admin/reset/{fresh}").status_code == 200
    expired = client.get(f"/admin/reset/{token}")
    assert expired.status_code == 410
    assert "expired" in expired.get_data(as_text=True)
    posted = client.post(
        f"/admin/reset/{token}",
        data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert posted.status_code == 410
    assert sign_in(client, site.owner_email, site.password).status_code == 302


def test_a_tampered_link_is_refused(client: Any) -> None:
    response = client.get("/admin/reset/WyJvd25fMSIsImFiYyJd.bad.signature")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_a_new_link_after_signing_out_everywhere_replaces_the_old_one(
    app: Flask, client: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    with app.app_context():
        owner = db.session.query(Owner).filter_by(email=site.owner_email).one()
        old = password_reset.reset_token(owner)
    session = signed_in(site)
    assert session.post("/admin/logout").status_code == 302  # ends every session
    assert client.get(f"/admin/reset/{old}").status_code == 410


def test_requests_are_rate_limited_per_address_and_per_network(
    app_factory: Callable[..., Flask], smtp_sink: MailSink, site: Any
) -> None:
    app = mail_app(
        app_factory,
        smtp_sink,
        RATELIMIT_ENABLED=True,
        ADMIN_RESET_LIMIT_PER_EMAIL="2/hour",
        ADMIN_RESET_LIMIT_PER_IP="5/hour",
    )
    try:
        client = browser(app)
        assert [ask(client, site.owner_email)[0] for _ in range(3)] == [200, 200, 429]
        assert len(smtp_sink.wait_for(2)) == 2  # the third never mailed anyone
        # Other addresses from the same network, until the network's budget (5) is
        # spent (a refused request is not counted against it).
        statuses = [ask(client, f"person{i}@example.test")[0] for i in range(3)]
        assert statuses == [200, 200, 200]
        limited = client.post("/admin/forgot", data={"email": "late@example.test"})
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        # Another network is not held back by this one.
        elsewhere = browser(app)
        elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        assert ask(elsewhere, "late@example.test")[0] == 200
        assert len(smtp_sink.messages) == 2
    finally:
        app.extensions["plaudit_mail"].close()
