"""The webhook sender against real local receivers: it delivers, and it refuses and gives up safely.

Every receiver here is a real HTTP(S) server on 127.0.0.1 in a thread; the hostile
ones answer slowly, drip, answer hugely, redirect to the metadata service or are not
there at all. Each outcome must be a recorded ``Attempt``, never an exception, and
never a connection to a refused address.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
from standardwebhooks.webhooks import Webhook

from plaudit_server.webhooks import signing, ssrf
from plaudit_server.webhooks.sender import Attempt, Sender


def resolver_for(*addresses: str) -> Callable[..., Sequence[tuple[Any, ...]]]:
    """A getaddrinfo stand-in mapping every name to ``addresses``; records the names asked."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        resolve.calls.append(host)  # type: ignore[attr-defined]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    resolve.calls = []  # type: ignore[attr-defined]
    return resolve


class Receiver(ThreadingHTTPServer):
    """Records what it receives; its handler's behaviour is chosen by the request path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.connections = 0
        self.server_names: list[str | None] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each answer waits 40 ms for a delayed ACK
    timeout = 0.5  # idle kept-alive connections end after this
    server: Receiver

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"ok", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.requests.append(
                (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
        try:
            self._behave(self.path.partition("?")[0])
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _behave(self, path: str) -> None:
        if path.startswith("/status/"):
            self._answer(int(path.rsplit("/", 1)[1]))
        elif path == "/redirect":
            self._answer(302, b"", Location="http://169.254.169.254/latest/meta-data/")
        elif path == "/slow":
            time.sleep(3)
            self._answer(200)
        elif path == "/drip-head":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for byte in b"X-Drip: " + b"a" * 100:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)
            self.close_connection = True
        elif path == "/drip-body":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            for _ in range(100):
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(0.05)
            self.close_connection = True
        elif path == "/huge":  # endless, no length: the sender must stop reading
            self.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            self.close_connection = True
            for _ in range(100_000):
                self.wfile.write(b"x" * 65536)
        elif path == "/huge-length":
            self.close_connection = True
            self._answer(200, b"x" * 5_000_000)
        elif path == "/close":
            self.wfile.write(b"")
            self.close_connection = True
        else:
            self._answer(200, b'{"received": true}', Content_Type="application/json")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_receiver(ca: trustme.CA) -> Iterator[Receiver]:
    server = Receiver()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)

    def remember(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        server.server_names.append(name)

    context.sni_callback = remember  # type: ignore[assignment]
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 that must never see a connection."""
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock
    sock.close()


def no_connection(sock: socket.socket) -> bool:
    sock.settimeout(0.2)
    try:
        conn, _ = sock.accept()
    except TimeoutError:
        return True
    conn.close()
    return False


def local(**kwargs: Any) -> Sender:
    return Sender(allow_private=True, **kwargs)


# -- delivering ------------------------------------------------------------------------


def test_a_signed_delivery_arrives_and_verifies(receiver: Receiver) -> None:
    secret = signing.new_secret()
    body = json.dumps({"type": "ping", "timestamp": "2026-12-06T21:00:00Z", "data": {}}).encode()
    headers = signing.headers("msg_abc", int(time.time()), body, [secret])
    with local() as sender:
        attempt = sender.post(f"http://127.0.0.1:{receiver.port}/hook?site=1", body, headers)
    assert attempt == Attempt(status=200, error=None, duration_ms=attempt.duration_ms)
    assert attempt.ok and 0 <= attempt.duration_ms < 2000
    [(path, got, received)] = receiver.requests
    assert path == "/hook?site=1"
    assert received == body
    assert got["host"] == f"127.0.0.1:{receiver.port}"
    assert got["user-agent"] == "Plaudit-Webhooks/1"
    assert got["content-type"] == "application/json"
    assert Webhook(secret).verify(received, got)["type"] == "ping"


def test_non_2xx_is_not_ok(receiver: Receiver) -> None:
    with local() as sender:
        failed = sender.post(f"http://127.0.0.1:{receiver.port}/status/500", b"{}", {})
        gone = sender.post(f"http://127.0.0.1:{receiver.port}/status/410", b"{}", {})
        accepted = sender.post(f"http://127.0.0.1:{receiver.port}/status/204", b"{}", {})
    assert (failed.status, failed.ok, failed.error) == (500, False, None)
    assert (gone.status, gone.ok) == (410, False)
    assert (accepted.status, accepted.ok) == (204, True)


def test_connections_are_kept_alive_and_threads_share_the_sender(receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.port}/hook"
    count = 400
    with local() as sender, ThreadPoolExecutor(4) as pool:
        started = time.monotonic()
        attempts = list(pool.map(lambda i: sender.post(url, b'{"n": %d}' % i, {}), range(count)))
        elapsed = time.monotonic() - started
    assert all(a.ok for a in attempts), {a.error for a in attempts}
    assert len(receiver.requests) == count
    assert receiver.connections <= 4  # one per thread, reused
    print(f"{count / elapsed:.0f} deliveries/s")
    assert count / elapsed > 100  # the worker's target is 300/s; this machine is shared


def test_a_kept_alive_connection_closed_by_the_receiver_is_replaced(receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.port}/hook"
    with local() as sender:
        assert sender.post(url, b"1", {}).ok
        time.sleep(Handler.timeout + 0.5)  # the receiver drops the idle connection
        second = sender.post(url, b"2", {})
    assert second.ok, second.error
    assert receiver.connections == 2


# -- refusing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("2130706433", "127.0.0.1 is a loopback address"),
        ("0177.0.0.1", "127.0.0.1 is a loopback address"),
        ("127.1", "127.0.0.1 is a loopback address"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1 is a loopback address"),
        ("localhost", "is a loopback address"),  # the system resolver: 127.0.0.1 or ::1
    ],
)
def test_loopback_is_refused_and_never_connected(
    listener: socket.socket, host: str, shown: str
) -> None:
    port = listener.getsockname()[1]
    with Sender(allow_private=False) as sender:
        attempt = sender.post(f"https://{host}:{port}/hook", b"{}", {})
    assert attempt.status is None and not attempt.ok
    assert attempt.error is not None and attempt.error.startswith("refused: ")
    assert shown in attempt.error
    assert no_connection(listener)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.5", "private"),
        ("172.16.4.2", "private"),
        ("192.168.1.10", "private"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("100.64.0.7", "shared (carrier-grade NAT)"),
        ("127.0.0.1", "loopback"),
    ],
)
def test_a_name_resolving_to_a_private_address_is_refused(
    listener: socket.socket, address: str, kind: str
) -> None:
    port = listener.getsockname()[1]
    resolver = resolver_for(address)
    with Sender(allow_private=False, resolver=resolver) as sender:
        attempt = sender.post(f"https://hooks.example:{port}/", b"{}", {})
    assert (
        attempt.error
        == f"refused: {address} is a{'n' if kind[0] in 'aeiou' else ''} {kind} address"
    )
    assert resolver.calls == ["hooks.example"]  # type: ignore[attr-defined]
    assert no_connection(listener)


@pytest.mark.parametrize("url", ["http://hooks.example.com/", "https://u:p@hooks.example.com/"])
def test_bad_urls_are_refused_before_any_lookup(url: str) -> None:
    resolver = resolver_for("93.184.216.34")
    with Sender(allow_private=False, resolver=resolver) as sender:
        attempt = sender.post(url, b"{}", {})
    assert attempt.status is None
    assert attempt.error is not None and attempt.error.startswith("refused: The URL must")
    assert resolver.calls == []  # type: ignore[attr-defined]


def test_rebinding_after_the_check_is_caught_at_delivery(listener: socket.socket) -> None:
    """The name was public when the webhook was created; at delivery it points inside."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    port = listener.getsockname()[1]
    url = f"https://hooks.example:{port}/"
    assert ssrf.check(url, allow_private=False, resolver=rebinding)
    with Sender(allow_private=False, resolver=rebinding) as sender:
        attempt = sender.post(url, b"{}", {})
    assert attempt.error == "refused: 127.0.0.1 is a loopback address"
    assert no_connection(listener)


def test_the_connection_goes_to_the_checked_address_not_the_name(receiver: Receiver) -> None:
    """Only the sender's resolver knows hooks.example: reaching the receiver proves it
    connected to the address it checked, with the name in Host."""
    resolver = resolver_for("127.0.0.1")
    with local(resolver=resolver) as sender:
        attempt = sender.post(f"http://hooks.example:{receiver.port}/in", b"{}", {})
    assert attempt.ok, attempt.error
    [(_, headers, _)] = receiver.requests
    assert headers["host"] == f"hooks.example:{receiver.port}"
    assert resolver.calls == ["hooks.example"]  # type: ignore[attr-defined]


def test_the_next_checked_address_is_tried_when_one_refuses(receiver: Receiver) -> None:
    resolver = resolver_for("127.0.0.2", "127.0.0.1")  # nothing listens on 127.0.0.2
    with local(resolver=resolver) as sender:
        attempt = sender.post(f"http://hooks.example:{receiver.port}/", b"{}", {})
    assert attempt.ok, attempt.error
    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    with local() as sender:
        attempt = sender.post(f"http://127.0.0.1:{receiver.port}/redirect", b"{}", {})
    assert (attempt.status, attempt.ok) == (302, False)
    assert attempt.error == "redirect (302) not followed"
    assert [r[0] for r in receiver.requests] == ["/redirect"]
    assert attempt.duration_ms < 1000


# -- giving up -------------------------------------------------------------------------


def test_a_closed_port_is_a_recorded_error() -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with local() as sender:
        attempt = sender.post(f"http://127.0.0.1:{port}/", b"{}", {})
    assert attempt == Attempt(None, "connection refused", attempt.duration_ms)


def test_an_unresolvable_name_is_a_recorded_error() -> None:
    with local(resolver=resolver_for()) as sender:
        attempt = sender.post("http://nowhere.example/", b"{}", {})
    assert attempt.error == "refused: nowhere.example could not be resolved"


def test_a_slow_receiver_times_out(receiver: Receiver) -> None:
    with local(timeout=1) as sender:
        attempt = sender.post(f"http://127.0.0.1:{receiver.port}/slow", b"{}", {})
    assert attempt.status is None
    assert attempt.error == "timed out after 1 s"
    assert 900 <= attempt.duration_ms < 1800


def test_a_receiver_dripping_its_headers_is_cut_at_the_deadline(receiver: Receiver) -> None:
    """Each byte comes well within any per-read timeout; only a whole-attempt deadline ends it."""
    with local(timeout=1) as sender:
        attempt = sender.post(f"http://127.0.0.1:{receiver.port}/drip-head", b"{}", {})
    assert attempt.status is None
    assert attempt.error == "timed out after 1 s"
    assert 900 <= attempt.duration_ms < 1800


def test_a_receiver_dripping_its_body_is_cut_at_the_deadline(receiver: Receiver) -> None:
    with local(timeout=1) as sender:
        attempt = sender.post(f"http://127.0.0.1:{receiver.port}/drip-body", b"{}", {})
    # The receiver did answer 200; the rest of its body is not waited for.
    assert attempt.status == 200
    assert attempt.error == "timed out after 1 s reading the response"
    assert 900 <= attempt.duration_ms < 1800


def test_a_huge_endless_response_is_read_only_up_to_max_read(receiver: Receiver) -> None:
    with local(timeout=5, max_read=1000) as sender:
        attempt = sender.post(f"http://127.0.0.1:{receiver.port}/huge", b"{}", {})
        after = sender.post(f"http://127.0.0.1:{receiver.port}/hook", b"{}", {})
    assert attempt.status == 200
    assert attempt.error == "response longer than 1000 bytes: the rest was not read"
    assert attempt.duration_ms < 2000  # stopped reading, did not wait for the deadline
    assert after.ok and receiver.connections == 2  # that connection was dropped


def test_a_response_announcing_a_huge_length_is_not_read(receiver: Receiver) -> None:
    with local(timeout=5) as sender:
        attempt = sender.post(f"http://127.0.0.1:{receiver.port}/huge-length", b"{}", {})
    assert attempt.status == 200
    assert attempt.error == "response longer than 65536 bytes: the rest was not read"


def test_a_receiver_closing_without_an_answer(receiver: Receiver) -> None:
    with local() as sender:
        attempt = sender.post(f"http://127.0.0.1:{receiver.port}/close", b"{}", {})
    assert attempt.status is None
    assert attempt.error == "the connection was closed without an answer"


def test_a_receiver_that_never_answers_times_out_over_https_too(listener: socket.socket) -> None:
    """The kernel accepts the connection; nobody ever speaks TLS back."""
    port = listener.getsockname()[1]
    with local(timeout=1, resolver=resolver_for("127.0.0.1")) as sender:
        attempt = sender.post(f"https://hooks.example:{port}/", b"{}", {})
    assert attempt == Attempt(None, "timed out after 1 s", attempt.duration_ms)
    assert 900 <= attempt.duration_ms < 1800


def test_a_closed_sender_still_keeps_its_deadline(receiver: Receiver) -> None:
    sender = local(timeout=1)
    assert sender.post(f"http://127.0.0.1:{receiver.port}/hook", b"{}", {}).ok
    sender.close()
    attempt = sender.post(f"http://127.0.0.1:{receiver.port}/drip-head", b"{}", {})
    sender.close()
    assert attempt.error == "timed out after 1 s"


# -- TLS -------------------------------------------------------------------------------


def test_https_checks_the_certificate_against_the_name(
    tls_receiver: Receiver, ca_file: str
) -> None:
    resolver = resolver_for("127.0.0.1")
    with local(ca_certs=ca_file, resolver=resolver) as sender:
        attempt = sender.post(f"https://localhost:{tls_receiver.port}/tls", b"{}", {})
    assert attempt.ok, attempt.error
    assert tls_receiver.server_names == ["localhost"]  # SNI is the name, not the address
    assert tls_receiver.requests[0][1]["host"] == f"localhost:{tls_receiver.port}"


def test_https_to_a_name_the_certificate_does_not_cover_fails(
    tls_receiver: Receiver, ca_file: str
) -> None:
    resolver = resolver_for("127.0.0.1")
    with local(ca_certs=ca_file, resolver=resolver) as sender:
        attempt = sender.post(f"https://hooks.example:{tls_receiver.port}/", b"{}", {})
    assert attempt.status is None
    assert attempt.error is not None
    assert attempt.error.startswith("TLS certificate verify failed: ")
    assert "hooks.example" in attempt.error
    assert tls_receiver.requests == []


def test_https_with_an_untrusted_certificate_fails(tls_receiver: Receiver) -> None:
    with local(resolver=resolver_for("127.0.0.1")) as sender:
        attempt = sender.post(f"https://localhost:{tls_receiver.port}/", b"{}", {})
    assert attempt.status is None
    assert attempt.error is not None
    assert attempt.error.startswith("TLS certificate verify failed: ")
    assert tls_receiver.requests == []
