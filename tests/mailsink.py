"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 and a free port.

Every message that arrives is kept, parsed as a mail client would parse it
(``email.policy.default``), with its envelope and the SMTP connection it came on, so a
test can check what was sent (headers, both parts, links), how (one connection reused
for many messages), and what the server did to it (refuse a recipient, drop the
connection). Nothing is mocked: the server speaks SMTP over a real socket.

Use the ``smtp_sink`` fixture (tests/conftest.py), and build the app with
``sink.config`` (``SMTP_URL`` pointing at it).
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

# Recipients whose local part starts with this are refused with a 550 (permanent).
REFUSED_PREFIX = "refused"
# ... and with this, a 450 (mailbox busy: try again later).
BUSY_PREFIX = "busy"
# ... and with this, the message is taken, then the connection closed before the answer.
VANISH_PREFIX = "vanish"


@dataclass
class Arrived:
    """One message as the server received it."""

    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str]
    connection: int  # 1 for the first connection that sent mail, 2 for the next ...
    raw: bytes

    def part(self, content_type: str) -> str:
        """The decoded text of the ``text/plain`` or ``text/html`` part."""
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert body is not None and body.get_content_type() == content_type, content_type
        return str(body.get_content())

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")


@dataclass
class _Handler:
    sink: MailSink

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        self.sink._greeted(server)
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        local = address.split("@", 1)[0].lower()
        if local.startswith(REFUSED_PREFIX):
            return "550 5.1.1 No such user here"
        if local.startswith(BUSY_PREFIX):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.sink._arrived(
            Arrived(
                message=message,
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                connection=self.sink._connection_number(server),
                raw=raw,
            )
        )
        if any(a.lower().startswith(VANISH_PREFIX) for a in envelope.rcpt_tos):
            assert server.transport is not None
            server.transport.abort()  # a crash, or a network gone, before the answer
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's threaded controller, remembering each connection's server protocol
    (so the sink can drop them)."""

    def __init__(self, sink: MailSink, **kwargs: Any) -> None:
        super().__init__(_Handler(sink), **kwargs)
        self.protocols: list[SMTP] = []

    def factory(self) -> SMTP:
        protocol = super().factory()
        self.protocols.append(protocol)
        return protocol


@dataclass
class MailSink:
    """The running server; ``messages`` fills as mail arrives."""

    host: str = "127.0.0.1"
    port: int = 0
    tls_context: ssl.SSLContext | None = None  # set: require STARTTLS with this certificate
    credentials: tuple[str, str] | None = None  # set: require AUTH with these
    messages: list[Arrived] = field(default_factory=list)
    _servers: list[SMTP] = field(default_factory=list)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _controller: _Controller | None = None

    # ------------------------------------------------------------ control

    def start(self) -> MailSink:
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port}
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        if self.credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
        if self.port == 0:
            self.port = _free_port()
            kwargs["port"] = self.port
        self._controller = _Controller(self, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Close every connection, stop listening, and free the event loop."""
        controller = self._controller
        if controller is None:
            return
        self.drop_connections()
        controller.stop()
        controller.loop.close()
        self._controller = None

    def drop_connections(self) -> None:
        """Close every open connection from the server's side, as a server that
        restarts or times idle clients out does; the server goes on listening."""
        controller = self._controller
        assert controller is not None
        done = threading.Event()

        def close_all() -> None:
            for protocol in controller.protocols:
                # After STARTTLS, ``transport`` is the TLS layer, whose close() waits
                # for the client's answer; the socket's own transport closes at once.
                for transport in (
                    getattr(protocol, "_original_transport", None),
                    protocol.transport,
                ):
                    if transport is not None:
                        transport.close()
            # After the callbacks close() scheduled, which close the sockets.
            controller.loop.call_soon(done.set)

        controller.loop.call_soon_threadsafe(close_all)
        assert done.wait(5)

    # ------------------------------------------------------------ results

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def config(self) -> dict[str, Any]:
        """App configuration that sends to this sink."""
        return {"SMTP_URL": self.url}

    @property
    def connections(self) -> int:
        """How many SMTP sessions greeted the server (EHLO): one per connection."""
        with self._lock:
            return len(self._servers)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Arrived]:
        """The messages once at least ``count`` arrived; fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, {len(self.messages)} arrived")
                self._lock.wait(left)
            return list(self.messages)

    def to(self, address: str) -> list[Arrived]:
        """The messages that arrived for ``address``."""
        with self._lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    # ------------------------------------------------------------ from the handler

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        given = (
            (data.login.decode(), data.password.decode())
            if isinstance(data, LoginPassword)
            else None
        )
        return AuthResult(success=given == self.credentials, handled=False)

    def _greeted(self, server: SMTP) -> None:
        """One server protocol per connection (EHLO comes again after STARTTLS, with a
        new session, on the same one)."""
        with self._lock:
            if not any(known is server for known in self._servers):
                self._servers.append(server)

    def _connection_number(self, server: SMTP) -> int:
        with self._lock:
            for number, known in enumerate(self._servers, start=1):
                if known is server:
                    return number
            return 0

    def _arrived(self, arrived: Arrived) -> None:
        with self._lock:
            self.messages.append(arrived)
            self._lock.notify_all()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
