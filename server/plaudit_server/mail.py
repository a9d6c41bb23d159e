"""Outgoing e-mail: one way for every feature to write to people.

Configured by ``SMTP_URL`` (``smtp://[user:pass@]host:port``, ``?starttls=true`` for
STARTTLS, or ``smtps://...`` for implicit TLS), ``MAIL_FROM`` and ``PUBLIC_URL`` (the
base of every link in a message). Without ``SMTP_URL`` every message is written to the
log (logger ``plaudit_server.mail``, INFO: headers and the text part) instead of being
sent, and the log says so once when the app starts; nothing else changes, so
development and the demo need no mail server.

Sending reuses one SMTP connection per thread (a worker sends many messages in a row;
a handshake, TLS included, per message would cost more than the message), checks a
connection that sat idle with a NOOP, and reconnects once when the server dropped it.
:class:`MailError` says whether a failure is permanent (the server refused the address
or the message: trying again will not help) or transient (no connection, a timeout, a
4xx: try again later), so callers can mark an invitation ``failed`` or retry it. A
connection lost after the whole message went out, before the server answered, is never
retried here (``MailError.maybe_sent``): the message may have arrived, and sending it
again could deliver it twice.

Messages are multipart/alternative (plain text and HTML, UTF-8, quoted-printable or
base64 so that any server takes them). Templates live in ``templates/mail/``;
:func:`render` renders both parts of one.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import ssl
import threading
import time
import weakref
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app, render_template
from jinja2 import Template

from .timeutil import utcnow

__all__ = ["Mail", "MailError", "Mailer", "init_app", "mailer", "public_url", "render"]

log = logging.getLogger(__name__)

DEFAULT_MAIL_FROM = "Plaudit <plaudit@localhost>"
DEFAULT_TIMEOUT = 10.0
# A connection unused for longer than this is checked with NOOP before the next message
# (servers close idle clients, Postfix after 5 minutes); a busier one is used directly,
# and a drop noticed while sending is retried on a new connection.
IDLE_CHECK_AFTER = 5.0
TRIES = 2  # per message: the connection we have (or a new one), then one new one
RETRY_PAUSE = 0.2
LOCALES = ("en", "de", "fr", "es")
# CRLF line ends, and bodies in quoted-printable or base64 rather than 8-bit: every
# server takes them, with or without 8BITMIME.
MESSAGE_POLICY = SMTP.clone(cte_type="7bit")


@dataclass(frozen=True)
class Mail:
    """One message to one person."""

    to: str  # one address
    subject: str
    text: str  # the plain-text part
    html: str  # the HTML part (already escaped by the caller's Jinja template)
    # e.g. "<inv_123.invite@plaudit>": deterministic ids let a sender reconcile
    message_id: str | None = None
    # When set: List-Unsubscribe: <url> and List-Unsubscribe-Post (RFC 8058).
    unsubscribe_url: str | None = None
    reply_to: str | None = None
    locale: str = "en"  # Content-Language


class MailError(Exception):
    """Sending failed. ``permanent``: the server refused the address or the message (a
    5xx, an address that cannot be written); otherwise it may work later (no
    connection, a timeout, a 4xx)."""

    def __init__(self, message: str, *, permanent: bool, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        # The connection failed after the whole message went out, before the server's
        # answer: it may have been delivered. Never retried here; a sender that must not
        # mail twice keeps it as sent (its Message-ID lets it reconcile).
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class SmtpSettings:
    """What ``SMTP_URL`` says."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpSettings:
        """Read ``SMTP_URL``; a wrong one stops the start-up, not the first message."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise RuntimeError(
                f"SMTP_URL must look like smtp://[user:pass@]host:port or smtps://..., "
                f"not {parts.scheme or '(no scheme)'}://..."
            )
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["false"])[-1].lower() in {"1", "true", "yes", "on"}
        implicit = parts.scheme == "smtps"
        try:
            port = parts.port or (465 if implicit else 587 if starttls else 25)
        except ValueError as exc:
            raise RuntimeError(f"SMTP_URL has a bad port: {exc}") from None
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=implicit,
            starttls=starttls and not implicit,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class _Connection:
    """An SMTP client connection and when it was last used."""

    def __init__(self, client: smtplib.SMTP) -> None:
        self.client = client
        self.used_at = time.monotonic()

    def close(self) -> None:
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()


class Mailer:
    """Sends :class:`Mail` over SMTP, or writes it to the log without ``SMTP_URL``."""

    def __init__(
        self,
        settings: SmtpSettings | None,
        *,
        sender: str = DEFAULT_MAIL_FROM,
        timeout: float = DEFAULT_TIMEOUT,
        helo_name: str = "localhost",
    ) -> None:
        self.settings = settings
        self.sender = sender
        self.envelope_from = parseaddr(sender)[1] or "plaudit@localhost"
        self.domain = self.envelope_from.rpartition("@")[2] or "plaudit"
        self.timeout = timeout
        self.helo_name = helo_name
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: dict[int, _Connection] = {}  # thread id -> its connection
        self._announced = False
        # A mailer dropped without close() (an app discarded) still says goodbye.
        weakref.finalize(self, _close_all, self._open)

    # ------------------------------------------------------------ public

    def announce(self) -> None:
        """Say once, when the process first serves or sends, that mail only goes to the
        log: not at start-up, where every ``plaudit`` command (``--help`` too) would."""
        if self.settings is None and not self._announced:
            self._announced = True
            log.warning("SMTP_URL is not set: e-mail is written to the log, not sent")

    def send(self, mail: Mail) -> None:
        """Send ``mail`` now; raises :class:`MailError` once the quick retries failed."""
        message = self.build(mail)
        if self.settings is None:
            self._log(message, mail)
            return
        self._deliver(message, mail.to)

    def build(self, mail: Mail) -> EmailMessage:
        """The message as it goes out: headers, then text and HTML alternatives."""
        message = EmailMessage(policy=MESSAGE_POLICY)
        try:
            message["From"] = self.sender
            message["To"] = mail.to
            message["Subject"] = mail.subject
            message["Date"] = format_datetime(utcnow())
            message["Message-ID"] = mail.message_id or make_msgid(domain=self.domain)
            if mail.reply_to:
                message["Reply-To"] = mail.reply_to
            if mail.unsubscribe_url:
                message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
                message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            message.set_content(mail.text, charset="utf-8")
            message.add_alternative(mail.html, subtype="html", charset="utf-8")
            # After the parts: set_content() clears every Content-* header before it.
            message["Content-Language"] = mail.locale
        except ValueError as exc:  # a line break in a header: never sent, never will be
            raise MailError(f"cannot write this message: {exc}", permanent=True) from exc
        return message

    def close(self) -> None:
        """Close every connection this mailer holds (at shutdown, or in tests)."""
        with self._lock:
            connections = list(self._open.values())
            self._open.clear()  # in place: the finalizer holds this dict
        self._local.__dict__.clear()
        for connection in connections:
            connection.close()

    # ------------------------------------------------------------ sending

    def _deliver(self, message: EmailMessage, to: str) -> None:
        problem: Exception | None = None
        for attempt in range(TRIES):
            if attempt:
                time.sleep(RETRY_PAUSE)
            try:
                connection = self._connection()
                _transmit(connection.client, message, self.envelope_from, to)
                connection.used_at = time.monotonic()
                return
            except _MaybeSent as exc:
                # The whole message went out and the answer never came: the server may
                # have taken it. Trying again could deliver it twice; the caller decides.
                self._drop()
                raise MailError(
                    f"no answer after the message was sent (it may have arrived): {exc.cause}",
                    permanent=False,
                    maybe_sent=True,
                ) from exc.cause
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = exc.recipients.get(to, (0, b""))
                raise _refused(f"recipient {to!r} refused", code, reply) from exc
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                if exc.smtp_code == 421:  # the server is closing this connection
                    self._drop()
                    problem = exc
                    continue
                raise _refused("message refused", exc.smtp_code, exc.smtp_error) from exc
            except smtplib.SMTPAuthenticationError as exc:
                self._drop()
                raise MailError(f"SMTP login refused: {exc}", permanent=False) from exc
            except (smtplib.SMTPException, OSError) as exc:  # dropped, refused, timed out
                self._drop()
                problem = exc
        raise MailError(f"could not send through SMTP: {problem}", permanent=False) from problem

    def _connection(self) -> _Connection:
        """This thread's open connection, checked if it sat idle, or a new one."""
        connection: _Connection | None = getattr(self._local, "connection", None)
        if connection is not None and time.monotonic() - connection.used_at > IDLE_CHECK_AFTER:
            try:
                code, _ = connection.client.noop()
            except (smtplib.SMTPException, OSError):
                code = 0
            if code != 250:
                self._drop()
                connection = None
        if connection is None:
            connection = _Connection(self._open_client())
            self._local.connection = connection
            with self._lock:
                self._forget_finished_threads()
                self._open[threading.get_ident()] = connection
        return connection

    def _open_client(self) -> smtplib.SMTP:
        settings = self.settings
        assert settings is not None
        client: smtplib.SMTP
        if settings.implicit_tls:
            client = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                local_hostname=self.helo_name,
                timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(
                settings.host, settings.port, local_hostname=self.helo_name, timeout=self.timeout
            )
        try:
            client.ehlo()
            if settings.starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.username:
                client.login(settings.username, settings.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def _drop(self) -> None:
        """Forget this thread's connection (closing what is left of it)."""
        connection: _Connection | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is None:
            return
        with self._lock:
            self._open.pop(threading.get_ident(), None)
        connection.client.close()

    def _forget_finished_threads(self) -> None:
        alive = {thread.ident for thread in threading.enumerate()}
        for ident in [i for i in self._open if i not in alive]:
            self._open.pop(ident).client.close()

    # ------------------------------------------------------------ no SMTP_URL

    def _log(self, message: EmailMessage, mail: Mail) -> None:
        headers = "\n".join(
            f"{name}: {value}"
            for name, value in message.items()
            if name not in ("Content-Type", "MIME-Version")
        )
        log.info("e-mail (not sent: no SMTP_URL)\n%s\n\n%s", headers, mail.text)


class _MaybeSent(Exception):
    """The connection failed after the message's last byte went out."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _transmit(client: smtplib.SMTP, message: EmailMessage, sender: str, to: str) -> None:
    """One message over an open connection: MAIL, RCPT, DATA.

    smtplib's ``send_message`` in steps, to know when a failure leaves the message
    undelivered for sure (anything before its last byte is sent: trying again is safe)
    and when it may have arrived (:class:`_MaybeSent`).
    """
    options: list[str] = []
    policy = MESSAGE_POLICY
    if not (sender + to).isascii():  # an internationalised address (RFC 6531)
        if not client.has_extn("smtputf8"):
            raise smtplib.SMTPRecipientsRefused(
                {to: (553, b"the mail server cannot deliver to non-ASCII addresses")}
            )
        options.append("SMTPUTF8")
        policy = policy.clone(utf8=True)
    body = message.as_bytes(policy=policy)
    code, reply = client.mail(sender, options)
    if code != 250:
        _reset(client)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = client.rcpt(to)
    if code not in (250, 251):
        _reset(client)
        raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
    client.putcmd("data")
    code, reply = client.getreply()
    if code != 354:
        _reset(client)
        raise smtplib.SMTPDataError(code, reply)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    try:
        client.send(_LEADING_DOT.sub(b"..", body) + b".\r\n")
        code, reply = client.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _MaybeSent(exc) from exc
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _reset(client: smtplib.SMTP) -> None:
    """RSET after a refusal, so the connection serves the next message; a connection
    that is gone by now is noticed (and replaced) then."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        client.rset()


def _close_all(connections: dict[int, _Connection]) -> None:
    for connection in list(connections.values()):
        connection.close()
    connections.clear()


def _refused(what: str, code: int, reply: bytes | str) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return MailError(f"{what}: {code} {text}".strip(), permanent=500 <= code < 600)


# ---------------------------------------------------------------- the app's mailer


def init_app(app: Flask) -> None:
    """Give ``app`` its :class:`Mailer`, from ``SMTP_URL``, ``MAIL_FROM``, ``PUBLIC_URL``
    and ``MAIL_TIMEOUT`` (see config.py)."""
    config = app.config
    url = config["SMTP_URL"] or None
    config["PUBLIC_URL"] = str(config["PUBLIC_URL"]).rstrip("/")
    settings = SmtpSettings.parse(url) if url else None
    app.extensions["plaudit_mail"] = Mailer(
        settings,
        sender=config["MAIL_FROM"],
        timeout=float(config["MAIL_TIMEOUT"]),
        helo_name=urlsplit(config["PUBLIC_URL"]).hostname or "localhost",
    )
    # A warning, not info: it must show whatever logging is set up.
    app.before_request(app.extensions["plaudit_mail"].announce)


def mailer() -> Mailer:
    """The current app's mailer."""
    found: Mailer = current_app.extensions["plaudit_mail"]
    found.announce()
    return found


@dataclass(frozen=True)
class Outcome:
    """What became of one message: sent, or not and whether trying again may help."""

    sent: bool
    permanent: bool = False
    error: str | None = None


def attempt(mail: Mail) -> Outcome:
    """Send ``mail`` with the app's mailer and say what became of it. A message that
    may have gone out (the answer was lost) counts as sent: senders that must not mail
    twice never retry it."""
    try:
        mailer().send(mail)
    except MailError as exc:
        if exc.maybe_sent:
            log.warning("%s: %s; taken as sent", mail.message_id, exc)
            return Outcome(sent=True, error=f"taken as sent: {exc}")
        return Outcome(sent=False, permanent=exc.permanent, error=str(exc))
    return Outcome(sent=True)


def public_url(path: str) -> str:
    """``PUBLIC_URL`` joined with an absolute path (``/r/abc``): links in messages point
    at the server's public address, not at whatever host a request came in on."""
    if not path.startswith("/"):
        raise ValueError(f"expected an absolute path, got {path!r}")
    return str(current_app.config["PUBLIC_URL"]) + path


def render(template: str, locale: str, **context: Any) -> tuple[str, str]:
    """The text and HTML parts of ``templates/mail/<template>.txt`` and ``.html``.

    ``mail/<template>.<locale>.txt`` (and ``.html``) is used when it exists, so a message
    can be translated file by file or in one template that looks at ``locale``. Both
    extend ``mail/_layout``, whose footer shows ``unsubscribe_url`` when given. The HTML
    part is autoescaped; the text part is not (it is plain text). ``public_url`` is
    available to the templates.
    """
    context.setdefault("public_url", public_url)
    context.setdefault("unsubscribe_url", None)
    parts = []
    for extension in ("txt", "html"):
        names: list[str | Template] = [
            f"mail/{template}.{locale}.{extension}",
            f"mail/{template}.{extension}",
        ]
        parts.append(render_template(names, locale=locale, **context))
    return parts[0], parts[1]
