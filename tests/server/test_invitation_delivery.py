"""Sending review requests, on SQLite and PostgreSQL, to a real SMTP server.

What arrives is parsed as a mail client would (headers, both parts, one link per
product, the unsubscribe link followed). Time passes by moving an invitation's
timestamps back in the database, never by sleeping. Failures come from real SMTP
answers: a server that says 451 first, one that refuses with 550, one that drops the
connection after the message. Crashes are claims committed by hand.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

from conftest import Api, RedisProcess, SiteInfo, free_port
from mailsink import MailSink
from plaudit_server.extensions import db
from plaudit_server.models import Invitation, InvitationStatus, Site, Suppression
from plaudit_server.services import invitation_delivery, suppressions
from plaudit_server.services.invitation_delivery import Tally, deliver_due
from plaudit_server.services.invitations import token_for

SHOP = "Acme Shop"


# ---------------------------------------------------------------- helpers


@pytest.fixture
def mail_app(app_factory: Callable[..., Flask], smtp_sink: MailSink) -> Iterator[Flask]:
    """An app that mails the sink; a failed mail is tried again after 5 and 30 minutes."""
    app = app_factory(**smtp_sink.config, INVITATION_RETRY_MINUTES=[5, 30])
    yield app
    app.extensions["plaudit_mail"].close()


@pytest.fixture
def shop(make_site: Callable[..., SiteInfo], mail_app: Flask) -> SiteInfo:
    site = make_site(slug="acme-shop")
    with mail_app.app_context():
        db.session.get(Site, site.id).name = SHOP  # type: ignore[union-attr]
        db.session.commit()
    return site


@pytest.fixture
def mapi(mail_app: Flask, shop: SiteInfo) -> Api:
    return Api(mail_app.test_client(), shop)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def invite(api: Api, **fields: Any) -> dict[str, Any]:
    body = {
        "order_id": "1001",
        "email": "ada@example.com",
        "name": "Ada",
        "products": ["sku-1", "sku-2"],
        **fields,
    }
    return ok(api.admin("POST", "/invitations", json=body), 201)["invitation"]  # type: ignore[no-any-return]


def run(app: Flask, **kwargs: Any) -> Tally:
    with app.app_context():
        return deliver_due(**kwargs)


def row(app: Flask, invitation_id: str) -> Invitation:
    with app.app_context():
        found = db.session.get(Invitation, invitation_id)
        assert found is not None
        db.session.expunge(found)
        return found


def age(app: Flask, invitation_id: str, **delta: float) -> None:
    """Let time pass for one invitation: every timestamp it has moves back by ``delta``."""
    shift = timedelta(**delta)
    with app.app_context():
        found = db.session.get(Invitation, invitation_id)
        assert found is not None
        for column in ("send_at", "sent_at", "reminded_at", "due_at", "expires_at", "created_at"):
            value = getattr(found, column)
            if value is not None:
                setattr(found, column, value - shift)
        db.session.commit()


def settings(api: Api, **values: Any) -> None:
    ok(api.admin("PATCH", "/site", json=values))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def hrefs(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def has_route(app: Flask, prefix: str) -> bool:
    return any(rule.rule.startswith(prefix) for rule in app.url_map.iter_rules())


# ---------------------------------------------------------------- the mail


def test_the_invitation_mail_arrives_with_a_link_per_product(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    invitation = invite(mapi, email="Ada@Example.com", products=["sku-1", "sku-2", "sku-3"])
    assert run(mail_app).invited == 1
    [arrived] = smtp_sink.wait_for(1)
    message = arrived.message
    assert message["From"] == "Plaudit <plaudit@localhost>"
    assert message["To"] == "Ada@Example.com" and arrived.rcpt_tos == ["Ada@Example.com"]
    assert message["Subject"] == f"How do you like your order from {SHOP}?"
    assert message["Message-ID"] == f"<{invitation['id']}.invite@localhost>"
    assert message["Content-Language"] == "en"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(https?://[^>]+)>", message["List-Unsubscribe"])
    assert unsubscribe, message["List-Unsubscribe"]
    assert message.get_content_type() == "multipart/alternative"

    text, html = arrived.text, arrived.html
    url = invitation["url"]
    assert text.startswith("Hello Ada,")
    expected = [
        f"- Review sku-1: {url}#product-1",
        f"- Review sku-2: {url}#product-2",
        f"- Review sku-3: {url}#product-3",
        f"- Rate {SHOP} itself: delivery, service, the whole experience: {url}#store",
    ]
    assert [line for line in text.splitlines() if line.startswith("- ")] == expected
    expires = datetime.fromisoformat(invitation["expires_at"].replace("Z", "+00:00"))
    assert f"The links work until {expires:%B} {expires.day}, {expires.year}." in text
    assert unsubscribe.group(1) in text  # the footer's link, for clients without the header
    links = hrefs(html)
    assert links[:4] == [e.rsplit(": ", 1)[1] for e in expected]
    assert url in links and unsubscribe.group(1) in links
    assert "Hello Ada," in html and "<script" not in html

    # The links, followed.
    client = mail_app.test_client()
    page = urlsplit(links[0])
    assert page.path == urlsplit(url).path and page.fragment == "product-1"
    if has_route(mail_app, "/r/"):  # the hosted review page (built beside this)
        body = client.get(page.path).get_data(as_text=True)
        assert 'id="product-1"' in body and 'id="product-3"' in body and 'id="store"' in body
    assert client.get(urlsplit(unsubscribe.group(1)).path).status_code == 200  # only asks
    done = client.post(urlsplit(unsubscribe.group(1)).path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    with mail_app.app_context():
        listed = suppressions.suppressed(db.session, shop.id, "invitations", ["ada@example.com"])
    assert listed == {"ada@example.com"}
    assert row(mail_app, invitation["id"]).status == InvitationStatus.SENT


@pytest.mark.parametrize(
    ("locale", "subject", "greeting", "first_line", "expiry"),
    [
        (
            "de",
            f"Wie gefällt Ihnen Ihre Bestellung bei {SHOP}?",
            "Hallo Ada,",
            "- sku-1 bewerten: ",
            "Die Links gelten bis zum {d}. {m} {y}.",
        ),
        (
            "fr",
            f"Que pensez-vous de votre commande chez {SHOP} ?",
            "Bonjour Ada,",
            "- Donner mon avis sur sku-1 : ",
            "Les liens sont valables jusqu'au {d} {m} {y}.",
        ),
        (
            "es",
            f"¿Qué te parece tu pedido de {SHOP}?",
            "Hola, Ada:",
            "- Valorar sku-1: ",
            "Los enlaces funcionan hasta el {d} de {m} de {y}.",
        ),
    ],
)
def test_the_mail_speaks_the_invitations_language(
    mail_app: Flask,
    mapi: Api,
    smtp_sink: MailSink,
    locale: str,
    subject: str,
    greeting: str,
    first_line: str,
    expiry: str,
) -> None:
    invitation = invite(mapi, locale=locale)
    run(mail_app)
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.message["Subject"] == subject
    assert arrived.message["Content-Language"] == locale
    assert arrived.text.startswith(greeting)
    months = invitation_delivery.MONTHS[locale].split()
    expires = datetime.fromisoformat(invitation["expires_at"].replace("Z", "+00:00"))
    day = "1er" if locale == "fr" and expires.day == 1 else str(expires.day)
    assert expiry.format(d=day, m=months[expires.month - 1], y=expires.year) in arrived.text
    line = next(x for x in arrived.text.splitlines() if x.startswith("- "))
    assert line.startswith(first_line) and line.endswith("#product-1")
    assert f'lang="{locale}"' in arrived.html
    # The layout's footer, in the same language.
    assert {"de": "Keine solchen", "fr": "Ne plus recevoir", "es": "No recibir"}[locale] in (
        arrived.text
    )


def test_no_name_no_store_review(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    invitation = invite(mapi, name=None, store_review=False, products=["sku-9"])
    run(mail_app)
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.text.startswith("Hello,")
    lines = [x for x in arrived.text.splitlines() if x.startswith("- ")]
    assert lines == [f"- Review sku-9: {invitation['url']}#product-1"]
    assert not any(h.endswith("#store") for h in hrefs(arrived.html))


def test_markup_in_a_name_is_text_in_the_html_part(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    invite(mapi, name="<b>Ada</b>")
    run(mail_app)
    [arrived] = smtp_sink.wait_for(1)
    assert "&lt;b&gt;Ada&lt;/b&gt;" in arrived.html and "<b>Ada" not in arrived.html
    assert arrived.text.startswith("Hello <b>Ada</b>,")  # plain text is plain


# ---------------------------------------------------------------- when


def test_send_at_in_the_future_waits(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    invitation = invite(mapi, send_at=later)
    assert run(mail_app).total == 0
    age(mail_app, invitation["id"], days=1)
    assert run(mail_app).total == 0
    assert smtp_sink.messages == []
    age(mail_app, invitation["id"], days=1)
    assert run(mail_app).invited == 1
    smtp_sink.wait_for(1)
    sent = row(mail_app, invitation["id"])
    assert sent.status == InvitationStatus.SENT and sent.sent_at is not None


def test_one_reminder_after_the_sites_delay_then_expiry(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    settings(mapi, invite_reminder_days=3, invite_ttl_days=10)
    invitation = invite(mapi)
    run(mail_app)
    sent = row(mail_app, invitation["id"])
    assert sent.sent_at is not None and sent.due_at == sent.sent_at + timedelta(days=3)
    age(mail_app, invitation["id"], days=2, hours=23)
    assert run(mail_app).total == 0
    age(mail_app, invitation["id"], hours=1)
    assert run(mail_app).reminded == 1
    first, reminder = smtp_sink.wait_for(2)
    assert reminder.message["Message-ID"] == f"<{invitation['id']}.reminder@localhost>"
    assert reminder.message["Subject"] == f"A reminder: how do you like your order from {SHOP}?"
    assert "a few days ago we asked" in reminder.text
    assert reminder.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.message["Message-ID"] != reminder.message["Message-ID"]
    reminded = row(mail_app, invitation["id"])
    assert reminded.reminded_at is not None and reminded.due_at == reminded.expires_at
    assert reminded.status == InvitationStatus.SENT
    age(mail_app, invitation["id"], days=3)
    assert run(mail_app).total == 0  # only one reminder
    age(mail_app, invitation["id"], days=4)
    assert run(mail_app).expired == 1
    expired = row(mail_app, invitation["id"])
    assert expired.status == InvitationStatus.EXPIRED and expired.due_at is None
    assert len(smtp_sink.messages) == 2


def test_no_reminder_once_reviewed(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    invitation = invite(mapi)
    run(mail_app)
    token = token_of(invitation)
    ok(mapi.post_review(product="sku-2", invite=token), 201)
    age(mail_app, invitation["id"], days=8)
    assert run(mail_app).total == 0
    age(mail_app, invitation["id"], days=60)
    assert run(mail_app).total == 0  # reviewed never expires
    assert len(smtp_sink.messages) == 1
    assert row(mail_app, invitation["id"]).status == InvitationStatus.REVIEWED


def test_no_reminder_when_the_site_wants_none(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    settings(mapi, invite_reminder_days=0)
    invitation = invite(mapi)
    run(mail_app)
    sent = row(mail_app, invitation["id"])
    assert sent.due_at == sent.expires_at
    age(mail_app, invitation["id"], days=30)
    assert run(mail_app).total == 0
    assert len(smtp_sink.messages) == 1


def test_reminders_turned_off_after_sending_are_not_sent(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    invitation = invite(mapi)
    run(mail_app)
    settings(mapi, invite_reminder_days=0)
    age(mail_app, invitation["id"], days=8)
    assert run(mail_app).reminded == 0
    assert len(smtp_sink.messages) == 1
    assert row(mail_app, invitation["id"]).due_at == row(mail_app, invitation["id"]).expires_at


def test_never_sent_after_expiry(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    invitation = invite(mapi)
    age(mail_app, invitation["id"], days=61)  # the worker was down for two months
    assert run(mail_app).expired == 1
    assert smtp_sink.messages == []
    assert row(mail_app, invitation["id"]).status == InvitationStatus.EXPIRED


def test_cancelled_is_never_sent(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    invitation = invite(mapi)
    ok(mapi.admin("DELETE", f"/invitations/{invitation['id']}"))
    age(mail_app, invitation["id"], days=8)
    assert run(mail_app).total == 0
    assert smtp_sink.messages == []


@pytest.mark.parametrize("when", ["before the mail", "before the reminder"])
def test_an_address_unsubscribed_meanwhile_gets_nothing(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink, shop: SiteInfo, when: str
) -> None:
    invitation = invite(mapi, email="Ada@Example.com")
    if when == "before the reminder":
        run(mail_app)
        age(mail_app, invitation["id"], days=7)
    with mail_app.app_context():
        suppressions.suppress(db.session, shop.id, "invitations", "ada@example.com")
        db.session.commit()
    assert run(mail_app).unsubscribed == 1
    assert len(smtp_sink.messages) == (1 if when == "before the reminder" else 0)
    done = row(mail_app, invitation["id"])
    assert done.status == InvitationStatus.UNSUBSCRIBED and done.due_at is None


def test_another_sites_suppression_does_not_count(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink, make_site: Callable[..., SiteInfo]
) -> None:
    other = make_site()
    with mail_app.app_context():
        suppressions.suppress(db.session, other.id, "invitations", "ada@example.com")
        db.session.commit()
    invite(mapi)
    assert run(mail_app).invited == 1


# ---------------------------------------------------------------- never twice


def claim(app: Flask, invitation_id: str, at: datetime) -> None:
    """What a worker commits before it talks SMTP (and then dies, here)."""
    with app.app_context():
        found = db.session.get(Invitation, invitation_id)
        assert found is not None
        found.claimed_at, found.attempts = at, found.attempts + 1
        db.session.commit()


def test_a_claim_in_flight_is_left_alone(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    invitation = invite(mapi)
    claim(mail_app, invitation["id"], datetime.now(UTC))
    assert run(mail_app).total == 0
    assert smtp_sink.messages == []
    assert row(mail_app, invitation["id"]).status == InvitationStatus.SCHEDULED


@pytest.mark.parametrize("step", ["invite", "reminder"])
def test_a_crash_after_claiming_never_mails_twice(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    invitation = invite(mapi)
    if step == "reminder":
        run(mail_app)
        age(mail_app, invitation["id"], days=7)
    before = len(smtp_sink.messages)
    crashed_at = datetime.now(UTC) - timedelta(hours=1)  # older than the claim timeout
    claim(mail_app, invitation["id"], crashed_at)
    with caplog.at_level(logging.WARNING, logger="plaudit_server.services.invitation_delivery"):
        assert run(mail_app).taken_as_sent == 1
    assert "taking it as sent" in caplog.text and invitation["id"] in caplog.text
    assert len(smtp_sink.messages) == before  # not sent again
    done = row(mail_app, invitation["id"])
    assert done.status == InvitationStatus.SENT and done.claimed_at is None
    if step == "invite":
        assert done.sent_at == crashed_at and done.due_at == crashed_at + timedelta(days=7)
    else:
        assert done.reminded_at == crashed_at and done.due_at == done.expires_at
    age(mail_app, invitation["id"], days=8)
    run(mail_app)
    assert len(smtp_sink.messages) == before + (1 if step == "invite" else 0)  # the reminder


def test_an_answer_lost_after_sending_is_taken_as_sent(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    invitation = invite(mapi, email="vanish@example.com")
    tally = run(mail_app)
    assert tally.invited == 1 and tally.retrying == 0
    smtp_sink.wait_for(1)
    sent = row(mail_app, invitation["id"])
    assert sent.status == InvitationStatus.SENT and "taken as sent" in (sent.last_error or "")
    run(mail_app)
    assert len(smtp_sink.messages) == 1


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_at_once_send_each_mail_once(
    app_factory: Callable[..., Flask],
    smtp_sink: MailSink,
    mapi: Api,
    workers: int,
) -> None:
    apps = [app_factory(**smtp_sink.config, INVITATION_BATCH=3) for _ in range(workers)]
    items = [
        {"order_id": f"o{n}", "email": f"buyer{n}@example.com", "products": ["sku-1"]}
        for n in range(24)
    ]
    created = ok(mapi.admin("POST", "/invitations/batch", json={"invitations": items}))["created"]
    start = threading.Barrier(workers)
    tallies: list[Tally] = []
    failures: list[BaseException] = []

    def work(app: Flask) -> None:
        try:
            start.wait(10)
            tallies.append(run(app))
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)
        finally:
            app.extensions["plaudit_mail"].close()

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sum(t.invited for t in tallies) == 24
    ids = [m.message["Message-ID"] for m in smtp_sink.wait_for(24)]
    assert sorted(ids) == sorted(f"<{c['id']}.invite@localhost>" for c in created)
    assert len(smtp_sink.messages) == 24


# ---------------------------------------------------------------- failures


class ScriptedSMTP:
    """A real SMTP server whose answers to RCPT follow a script (then 250), and which
    can act while a message is in flight (``on_data``, before it answers)."""

    def __init__(self, replies: list[str], on_data: Callable[[], None] | None = None) -> None:
        self.replies = list(replies)
        self.on_data = on_data
        self.messages: list[email.message.EmailMessage] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.replies:
            return self.replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        parsed = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        self.messages.append(parsed)  # type: ignore[arg-type]
        if self.on_data is not None:
            self.on_data()
        return "250 Message accepted"

    @property
    def config(self) -> dict[str, Any]:
        return {"SMTP_URL": f"smtp://127.0.0.1:{self.port}"}


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedSMTP]]:
    started: list[ScriptedSMTP] = []

    def start(replies: list[str], on_data: Callable[[], None] | None = None) -> ScriptedSMTP:
        server = ScriptedSMTP(replies, on_data)
        server.controller.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.controller.stop()


def test_a_transient_failure_is_tried_again_later(
    app_factory: Callable[..., Flask], scripted: Callable[..., ScriptedSMTP], mapi: Api
) -> None:
    server = scripted(["451 4.3.0 Temporary local problem, try again"])
    app = app_factory(**server.config, INVITATION_RETRY_MINUTES=[5, 30])
    invitation = invite(mapi)
    tally = run(app)
    assert tally.retrying == 1 and tally.invited == 0
    waiting = row(app, invitation["id"])
    assert waiting.status == InvitationStatus.SCHEDULED and "451" in (waiting.last_error or "")
    assert waiting.attempts == 1 and waiting.claimed_at is None
    assert waiting.due_at is not None
    assert timedelta(minutes=4) < waiting.due_at - datetime.now(UTC) <= timedelta(minutes=5)
    assert run(app).total == 0  # not before its time
    age(app, invitation["id"], minutes=5)
    assert run(app).invited == 1
    assert [m["Message-ID"] for m in server.messages] == [f"<{invitation['id']}.invite@localhost>"]
    sent = row(app, invitation["id"])
    assert sent.status == InvitationStatus.SENT and sent.attempts == 0
    app.extensions["plaudit_mail"].close()


def test_out_of_retries_the_invitation_failed(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    invitation = invite(mapi, email="busy@example.com")  # the sink answers 450, always
    for minutes in (5, 30):
        assert run(mail_app).retrying == 1
        age(mail_app, invitation["id"], minutes=minutes)
    assert run(mail_app).failed == 1
    failed = row(mail_app, invitation["id"])
    assert failed.status == InvitationStatus.FAILED and failed.due_at is None
    assert "450" in (failed.last_error or "")
    assert smtp_sink.messages == []
    api_view = ok(mapi.admin("GET", f"/invitations/{invitation['id']}"))["invitation"]
    assert api_view["status"] == "failed"


def test_a_permanent_refusal_fails_at_once(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    invitation = invite(mapi, email="refused@example.com")  # the sink answers 550
    assert run(mail_app).failed == 1
    failed = row(mail_app, invitation["id"])
    assert failed.status == InvitationStatus.FAILED and "550" in (failed.last_error or "")
    assert failed.attempts == 0 and failed.due_at is None
    invite(mapi, order_id="1002")  # the same connection serves the next mail
    assert run(mail_app).invited == 1


def test_a_review_while_the_mail_is_in_flight_stays_reviewed(
    app_factory: Callable[..., Flask], scripted: Callable[..., ScriptedSMTP], mapi: Api
) -> None:
    invitation = invite(mapi)
    token = token_of(invitation)

    def buyer_reviews_now() -> None:  # the server holds its answer until this is done
        ok(mapi.post_review(product="sku-1", invite=token), 201)

    server = scripted([], on_data=buyer_reviews_now)
    app = app_factory(**server.config)
    assert run(app).invited == 1
    assert len(server.messages) == 1
    done = row(app, invitation["id"])
    assert done.status == InvitationStatus.REVIEWED and done.due_at is None
    assert done.sent_at is not None and done.claimed_at is None
    app.extensions["plaudit_mail"].close()


def test_one_connection_for_a_batch(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    items = [
        {"order_id": f"o{n}", "email": f"buyer{n}@example.com", "products": ["sku-1"]}
        for n in range(30)
    ]
    ok(mapi.admin("POST", "/invitations/batch", json={"invitations": items}))
    assert run(mail_app).invited == 30
    assert len(smtp_sink.wait_for(30)) == 30
    assert smtp_sink.connections == 1


def test_limit_stops_early(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    for n in range(5):
        invite(mapi, order_id=f"o{n}")
    assert run(mail_app, limit=2).invited == 2
    assert run(mail_app).invited == 3


# ---------------------------------------------------------------- running it


def token_of(invitation: dict[str, Any]) -> str:
    return urlsplit(invitation["url"]).path.removeprefix("/r/")


def test_without_redis_the_mail_goes_out_right_after_the_response(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    response = mapi.admin(
        "POST",
        "/invitations",
        json={"order_id": "1", "email": "ada@example.com", "products": ["sku-1"]},
    )
    invitation = ok(response, 201)["invitation"]
    assert invitation["status"] == "scheduled"  # the answer went out before the mail
    assert smtp_sink.messages == []
    response.close()  # the server is done with the response: now the mail goes
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.message["Message-ID"] == f"<{invitation['id']}.invite@localhost>"
    after = ok(mapi.admin("GET", f"/invitations/{invitation['id']}"))["invitation"]
    assert after["status"] == "sent" and after["sent_at"] is not None


def test_a_batch_for_later_sends_nothing_after_the_response(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    items = [{"order_id": "1", "email": "a@example.com", "products": ["x"], "send_at": later}]
    response = mapi.admin("POST", "/invitations/batch", json={"invitations": items})
    ok(response)
    response.close()
    assert smtp_sink.messages == []
    assert ok(mapi.admin("GET", "/invitations"))["invitations"][0]["status"] == "scheduled"


def test_run_due_command(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    for n in range(3):
        invite(mapi, order_id=f"o{n}")
    refused = invite(mapi, order_id="bad", email="refused@example.com")
    result = mail_app.test_cli_runner().invoke(args=["run-due"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 e-mails sent (3 invited, 0 reminded,")
    assert "1 failed" in result.output
    assert len(smtp_sink.wait_for(3)) == 3
    assert row(mail_app, refused["id"]).status == InvitationStatus.FAILED
    again = mail_app.test_cli_runner().invoke(args=["run-due"])
    assert again.output.startswith("0 e-mails sent")


def test_the_worker_sends_what_the_api_queued_and_what_fell_due(
    app_factory: Callable[..., Flask],
    smtp_sink: MailSink,
    own_redis: RedisProcess,
    shop: SiteInfo,
) -> None:
    app = app_factory(**smtp_sink.config, REDIS_URL=own_redis.url)
    api = Api(app.test_client(), shop)
    queued = invite(api, order_id="now")
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    scheduled = invite(api, order_id="later", send_at=later)
    response = api.admin("GET", "/invitations")
    response.close()
    jobs = redis.Redis.from_url(own_redis.url)
    assert jobs.llen("rq:queue:plaudit:jobs") >= 1  # the API queued the sending
    assert smtp_sink.messages == []  # with Redis, the request itself sends nothing
    age(app, scheduled["id"], days=2)  # due now, queued by nobody: the worker's poll

    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    ids = sorted(m.message["Message-ID"] for m in smtp_sink.wait_for(2))
    assert ids == sorted(f"<{i['id']}.invite@localhost>" for i in (queued, scheduled))
    assert jobs.llen("rq:queue:plaudit:jobs") == 0
    for invitation in (queued, scheduled):
        assert row(app, invitation["id"]).status == InvitationStatus.SENT
    app.extensions["plaudit_mail"].close()


def test_token_in_the_mail_opens_the_invitation(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    invitation = invite(mapi)
    run(mail_app)
    [arrived] = smtp_sink.wait_for(1)
    link = next(x for x in arrived.text.split() if "#product-1" in x)
    token = urlsplit(link).path.removeprefix("/r/")
    with mail_app.app_context():
        assert token == token_for(invitation["id"])
    review = ok(mapi.post_review(product="sku-1", invite=token), 201)["review"]
    assert review["verified_buyer"] is True
    with mail_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0


def test_the_procfile_worker_polls_due_mail_without_cron(
    app_factory: Callable[..., Flask],
    smtp_sink: MailSink,
    own_redis: RedisProcess,
    make_site: Callable[..., SiteInfo],
    database_url: str,
    tmp_path: Path,
) -> None:
    """`plaudit worker` as the Procfile runs it (no --burst): an invitation that falls
    due with nothing queued for it is mailed by the worker's poll; SIGTERM stops it."""
    app = app_factory(**smtp_sink.config, REDIS_URL=own_redis.url)
    api = Api(app.test_client(), make_site())
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    invitation = invite(api, send_at=later)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": own_redis.url,
        "SMTP_URL": smtp_sink.url,
        "SECRET_KEY": "test-secret-key-" + "0" * 32,
        "PLAUDIT_WORKER_POLL_SECONDS": "0.2",
    }
    plaudit = str(Path(sys.executable).with_name("plaudit"))
    worker = subprocess.Popen(
        [plaudit, "worker"], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        age(app, invitation["id"], days=1)  # due now; no job was queued for it
        [arrived] = smtp_sink.wait_for(1, timeout=30)
        assert arrived.message["Message-ID"] == f"<{invitation['id']}.invite@localhost>"
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr[-2000:]
    assert row(app, invitation["id"]).status == InvitationStatus.SENT
    app.extensions["plaudit_mail"].close()
