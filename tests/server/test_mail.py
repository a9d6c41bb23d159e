"""The mailer against a real SMTP server (aiosmtpd, tests/mailsink.py).

What arrives is parsed as a mail client parses it: both parts, the headers, UTF-8. The
connection is reused and re-established when the server drops it; a refused recipient
is a permanent failure and an unreachable server a transient one; STARTTLS and AUTH
work with a real certificate; without ``SMTP_URL`` messages go to the log.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from mailsink import MailSink
from plaudit_server import mail
from plaudit_server.mail import Mail, MailError, SmtpSettings


@pytest.fixture
def mail_app(app_factory: Callable[..., Flask]) -> Iterator[Callable[..., Flask]]:
    """Make an app with a mailer; its connections are closed after the test."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = app_factory(**config)
        if "plaudit_mail" not in app.extensions:  # until create_app binds it itself
            mail.init_app(app)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["plaudit_mail"].close()


@pytest.fixture
def app(mail_app: Callable[..., Flask], smtp_sink: MailSink) -> Flask:
    return mail_app(
        **smtp_sink.config,
        MAIL_FROM="Shop reviews <reviews@shop.test>",
        PUBLIC_URL="https://reviews.example/",
    )


def send(app: Flask, *messages: Mail) -> None:
    with app.app_context():
        for message in messages:
            mail.mailer().send(message)


def simple(to: str = "ada@example.test", **fields: Any) -> Mail:
    given: dict[str, Any] = {"subject": "Hello", "text": "Plain text", "html": "<p>HTML</p>"}
    return Mail(to=to, **{**given, **fields})


def test_both_parts_and_every_header_arrive(app: Flask, smtp_sink: MailSink) -> None:
    with app.app_context():
        url = mail.public_url("/u/token-123")
    assert url == "https://reviews.example/u/token-123"
    send(
        app,
        Mail(
            to="mueller@example.test",
            subject="Bewertung für Müller ★",
            text="Grüße, Jürgen! Wie war's?",
            html="<p>Grüße, <b>Jürgen</b>!</p>",
            message_id="<inv_123.invite@plaudit>",
            unsubscribe_url=url,
            reply_to="Shop <help@shop.test>",
            locale="de",
        ),
    )
    [arrived] = smtp_sink.wait_for(1)
    message = arrived.message
    assert arrived.rcpt_tos == ["mueller@example.test"]
    assert arrived.mail_from == "reviews@shop.test"
    assert message["From"] == "Shop reviews <reviews@shop.test>"
    assert message["To"] == "mueller@example.test"
    assert message["Subject"] == "Bewertung für Müller ★"
    assert message["Message-ID"] == "<inv_123.invite@plaudit>"
    assert message["Reply-To"] == "Shop <help@shop.test>"
    assert message["Content-Language"] == "de"
    assert message["Date"].datetime is not None
    assert message["List-Unsubscribe"] == "<https://reviews.example/u/token-123>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
    assert arrived.text.strip() == "Grüße, Jürgen! Wie war's?"
    assert arrived.html.strip() == "<p>Grüße, <b>Jürgen</b>!</p>"
    # Headers went out 7-bit (RFC 2047 encoded words), as every server takes them.
    assert max(arrived.raw.split(b"\r\n\r\n", 1)[0]) < 128


def test_a_message_without_an_id_or_unsubscribe_link_gets_an_id_and_no_list_headers(
    app: Flask, smtp_sink: MailSink
) -> None:
    send(app, simple(), simple())
    first, second = smtp_sink.wait_for(2)
    ids = [first.message["Message-ID"], second.message["Message-ID"]]
    assert all(re.fullmatch(r"<[^<>@\s]+@shop\.test>", value) for value in ids), ids
    assert ids[0] != ids[1]
    assert "List-Unsubscribe" not in first.message
    assert "List-Unsubscribe-Post" not in first.message


def test_one_connection_carries_many_messages(app: Flask, smtp_sink: MailSink) -> None:
    send(app, *(simple(f"person{i}@example.test") for i in range(10)))
    arrived = smtp_sink.wait_for(10)
    assert sorted(a.rcpt_tos[0] for a in arrived) == sorted(
        f"person{i}@example.test" for i in range(10)
    )
    assert smtp_sink.connections == 1
    assert {a.connection for a in arrived} == {1}


def test_a_dropped_connection_is_replaced(app: Flask, smtp_sink: MailSink) -> None:
    send(app, simple("before@example.test"))
    smtp_sink.wait_for(1)
    smtp_sink.drop_connections()
    send(app, simple("after@example.test"), simple("later@example.test"))
    arrived = smtp_sink.wait_for(3)
    assert [a.rcpt_tos[0] for a in arrived] == [
        "before@example.test",
        "after@example.test",
        "later@example.test",
    ]
    assert smtp_sink.connections == 2
    assert [a.connection for a in arrived] == [1, 2, 2]


def test_a_refused_recipient_is_a_permanent_failure(app: Flask, smtp_sink: MailSink) -> None:
    with pytest.raises(MailError) as refused:
        send(app, simple("refused@example.test"))
    assert refused.value.permanent is True
    assert refused.value.maybe_sent is False
    assert "550" in str(refused.value)
    # The connection stays good for the next message.
    send(app, simple("fine@example.test"))
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.rcpt_tos == ["fine@example.test"]
    assert smtp_sink.connections == 1


def test_no_answer_after_the_message_went_out_is_never_retried(
    app: Flask, smtp_sink: MailSink
) -> None:
    with pytest.raises(MailError) as lost:
        send(app, simple("vanish@example.test"))
    assert lost.value.permanent is False
    assert lost.value.maybe_sent is True
    assert [a.rcpt_tos for a in smtp_sink.messages] == [["vanish@example.test"]]  # once
    # The next message gets a new connection.
    send(app, simple("next@example.test"))
    assert [a.rcpt_tos for a in smtp_sink.wait_for(2)][1] == ["next@example.test"]
    assert smtp_sink.connections == 2


def test_bodies_are_7bit_and_international_addresses_use_smtputf8(
    app: Flask, smtp_sink: MailSink
) -> None:
    send(app, simple("jürgen@example.test", text="Grüße " * 40, html="<p>Grüße</p>"))
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.rcpt_tos == ["jürgen@example.test"]
    assert arrived.message["To"] == "jürgen@example.test"
    encodings = {p["Content-Transfer-Encoding"] for p in arrived.message.iter_parts()}
    assert encodings <= {"quoted-printable", "base64"}, encodings
    assert arrived.text.strip() == ("Grüße " * 40).strip()


def test_a_busy_mailbox_is_a_transient_failure(app: Flask, smtp_sink: MailSink) -> None:
    with pytest.raises(MailError) as busy:
        send(app, simple("busy@example.test"))
    assert busy.value.permanent is False
    assert "450" in str(busy.value)
    assert smtp_sink.messages == []


def test_a_line_break_in_a_header_is_refused_before_sending(
    app: Flask, smtp_sink: MailSink
) -> None:
    with pytest.raises(MailError) as bad:
        send(app, simple(subject="Hi\r\nBcc: everyone@example.test"))
    assert bad.value.permanent is True
    send(app, simple("next@example.test"))
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.rcpt_tos == ["next@example.test"]


def test_no_server_is_a_transient_failure(
    mail_app: Callable[..., Flask], smtp_sink: MailSink
) -> None:
    port = smtp_sink.port
    smtp_sink.stop()  # nothing listens on the port any more
    app = mail_app(SMTP_URL=f"smtp://127.0.0.1:{port}", MAIL_TIMEOUT=2)
    with pytest.raises(MailError) as failed:
        send(app, simple())
    assert failed.value.permanent is False
    assert isinstance(failed.value.__cause__, OSError)


def test_without_smtp_url_messages_are_written_to_the_log(
    mail_app: Callable[..., Flask],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SMTP_URL", raising=False)
    caplog.set_level(logging.INFO, logger="plaudit_server.mail")
    app = mail_app()
    send(
        app,
        simple(subject="Bewertung für Müller", text="Hallo Jürgen,\nbitte bewerten Sie."),
        simple("second@example.test", unsubscribe_url="http://127.0.0.1:5000/u/x"),
    )
    records = [r for r in caplog.records if r.name == "plaudit_server.mail"]
    notices = [r for r in records if "SMTP_URL is not set" in r.getMessage()]
    assert len(notices) == 1
    logged = "\n".join(r.getMessage() for r in records if r.levelno == logging.INFO)
    assert "Hallo Jürgen,\nbitte bewerten Sie." in logged
    assert "To: ada@example.test" in logged
    assert "Subject: Bewertung für Müller" in logged
    assert "List-Unsubscribe: <http://127.0.0.1:5000/u/x>" in logged
    assert "<p>HTML</p>" not in logged  # the text part only


def test_smtp_url_forms() -> None:
    assert SmtpSettings.parse("smtp://mail.test") == SmtpSettings(
        "mail.test", 25, False, False, None, None
    )
    assert SmtpSettings.parse("smtps://u%40x:p%3Aw@mail.test") == SmtpSettings(
        "mail.test", 465, True, False, "u@x", "p:w"
    )
    assert SmtpSettings.parse("smtp://mail.test?starttls=true") == SmtpSettings(
        "mail.test", 587, False, True, None, None
    )
    assert SmtpSettings.parse("smtp://mail.test:2525?starttls=false").port == 2525
    with pytest.raises(RuntimeError, match="SMTP_URL"):
        SmtpSettings.parse("http://mail.test")


# ---------------------------------------------------------------- STARTTLS and AUTH


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by openssl."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    try:
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
    except FileNotFoundError:
        pytest.skip("openssl is not installed")
    return key, cert


def test_starttls_and_login(
    mail_app: Callable[..., Flask],
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = MailSink(tls_context=context, credentials=("shop", "s3cret/pass")).start()
    try:
        # The client verifies the server's certificate against the usual trust store,
        # which OpenSSL lets SSL_CERT_FILE replace.
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        url = f"smtp://shop:s3cret%2Fpass@127.0.0.1:{sink.port}?starttls=true"
        app = mail_app(SMTP_URL=url)
        send(app, simple("tls@example.test"), simple("tls2@example.test"))
        assert [a.rcpt_tos for a in sink.wait_for(2)] == [
            ["tls@example.test"],
            ["tls2@example.test"],
        ]
        assert sink.connections == 1

        wrong = mail_app(SMTP_URL=url.replace("s3cret", "wrong"))
        with pytest.raises(MailError) as refused:
            send(wrong, simple("nobody@example.test"))
        assert isinstance(refused.value.__cause__, smtplib.SMTPAuthenticationError)
        assert len(sink.messages) == 2
    finally:
        sink.stop()
