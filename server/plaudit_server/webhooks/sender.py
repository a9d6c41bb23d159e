"""One webhook HTTP POST, made safely: checked addresses only, bounded in time and size.

The delivery worker calls :meth:`Sender.post` for every attempt. It never raises for
what the network or the receiver does: the outcome is an :class:`Attempt` whose
``error`` says in a few words what went wrong, for the delivery log.

- Every post resolves the host again and checks every address (:mod:`.ssrf`), then
  connects to a checked address itself, never to the name: a name that re-resolves
  to a private address between the check and the connection (DNS rebinding) cannot
  slip in. ``Host`` carries the name; TLS sends the name as SNI and checks the
  certificate against the name.
- Redirects are not followed (a 3xx is a failed attempt).
- ``timeout`` bounds the whole attempt, not each socket read: a watchdog thread shuts
  the socket down at the deadline, so a receiver that drips its answer a byte at a
  time cannot hold a worker thread past it.
- At most ``max_read`` bytes of the response body are read; past that the connection
  is dropped rather than drained.
- Connections are kept alive per (scheme, host, port, address) for throughput.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error

from . import ssrf

_Key = tuple[str, str, int, str]
_IDLE_SECONDS = 30.0
_CHUNK = 16384


@dataclass(frozen=True)
class Attempt:
    """The outcome of one POST.

    ``status`` is the receiver's HTTP status, None when none was received. ``error``
    explains a failure ("timed out after 10 s", "connection refused", "redirect (302)
    not followed", "refused: 10.0.0.5 is a private address"); it may also note a
    problem after a 2xx status was received (an over-long or too slow response body):
    ``ok`` alone decides whether the delivery succeeded.
    """

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """The receiver took the delivery: it answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


class _TrackedHTTP(HTTPConnection):
    """Remembers its TCP socket from the moment it exists, so the watchdog can end a
    connection that is still in its TLS handshake."""

    tcp_sock: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        self.tcp_sock = super()._new_conn()
        return self.tcp_sock


class _TrackedHTTPS(HTTPSConnection):
    tcp_sock: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        self.tcp_sock = super()._new_conn()
        return self.tcp_sock


_Conn = _TrackedHTTP | _TrackedHTTPS


def _shut(conn: _Conn) -> None:
    """Wake any thread blocked on this connection's socket (shutdown, not close: the
    owning thread still closes it, so the descriptor cannot be reused under it)."""
    for sock in (conn.sock, conn.tcp_sock):
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Alarm:
    __slots__ = ("conn", "done", "fired", "lock")

    def __init__(self, conn: _Conn) -> None:
        self.conn = conn
        self.lock = threading.Lock()
        self.done = False
        self.fired = False

    def disarm(self) -> None:
        with self.lock:
            self.done = True


class _Watchdog:
    """One thread per sender that shuts down the sockets of attempts past their deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Alarm]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def arm(self, deadline: float, conn: _Conn) -> _Alarm:
        alarm = _Alarm(conn)
        with self._cond:
            heapq.heappush(self._heap, (deadline, next(self._seq), alarm))
            if self._thread is None:
                self._stopped = False
                self._thread = threading.Thread(
                    target=self._run, name="webhook-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return alarm

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._thread = None  # a later arm() starts a new one
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    self._cond.wait(self._heap[0][0] - now if self._heap else None)
                if self._stopped:
                    return
                due = []
                while self._heap and self._heap[0][0] <= time.monotonic():
                    due.append(heapq.heappop(self._heap)[2])
            for alarm in due:
                with alarm.lock:
                    if not alarm.done:
                        alarm.fired = True
                        _shut(alarm.conn)


class _ConnectFailed(Exception):
    """The TCP connection to one address failed: the next checked address may work."""


class Sender:
    """Posts webhook deliveries; thread-safe, one per worker process (keeps connections)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout: float = 10.0,
        max_read: int = 65536,
        ca_certs: str | None = None,
        resolver: ssrf.Resolver = socket.getaddrinfo,
        user_agent: str = "Plaudit-Webhooks/1",
        max_idle: int = 64,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.max_read = max_read
        self.user_agent = user_agent
        self._resolver = resolver
        self._max_idle = max_idle
        # One TLS context for all connections: loading the CA store per connection costs.
        self._tls = ssl.create_default_context(cafile=ca_certs)
        self._lock = threading.Lock()
        self._idle: OrderedDict[_Key, list[tuple[_Conn, float]]] = OrderedDict()
        self._idle_count = 0
        self._watchdog = _Watchdog()

    # -- the connection cache -------------------------------------------------------

    def _take(self, key: _Key) -> _Conn | None:
        """An idle kept-alive connection for ``key`` that the peer has not closed, or None."""
        now = time.monotonic()
        stale: list[_Conn] = []
        found: _Conn | None = None
        with self._lock:
            conns = self._idle.get(key)
            while conns:
                conn, since = conns.pop()
                self._idle_count -= 1
                if now - since < _IDLE_SECONDS and conn.is_connected:
                    found = conn
                    break
                stale.append(conn)
            if conns is not None and not conns:
                del self._idle[key]
        for conn in stale:
            conn.close()
        return found

    def _give_back(self, key: _Key, conn: _Conn) -> None:
        evicted: list[_Conn] = []
        with self._lock:
            self._idle.setdefault(key, []).append((conn, time.monotonic()))
            self._idle.move_to_end(key)
            self._idle_count += 1
            while self._idle_count > self._max_idle:
                oldest_key, conns = next(iter(self._idle.items()))
                evicted.append(conns.pop(0)[0])
                self._idle_count -= 1
                if not conns:
                    del self._idle[oldest_key]
        for old in evicted:
            old.close()

    def close(self) -> None:
        """Close the kept-alive connections and stop the watchdog."""
        with self._lock:
            conns = [c for entries in self._idle.values() for c, _ in entries]
            self._idle.clear()
            self._idle_count = 0
        for conn in conns:
            conn.close()
        self._watchdog.stop()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- posting --------------------------------------------------------------------

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        """POST ``body`` to ``url`` with ``headers``; never raises for network problems."""
        start = time.monotonic()
        try:
            status, error = self._post(url, body, headers, start + self.timeout)
        except Exception as exc:  # the worker must keep going whatever happened
            status, error = None, f"unexpected error: {type(exc).__name__}: {exc}"[:500]
        return Attempt(status, error, round((time.monotonic() - start) * 1000))

    def _timed_out(self) -> str:
        return f"timed out after {self.timeout:g} s"

    def _post(
        self, url: str, body: bytes, headers: Mapping[str, str], deadline: float
    ) -> tuple[int | None, str | None]:
        try:
            parts = ssrf.check_url(url, allow_private=self.allow_private)
            host = parts.hostname or ""
            port = ssrf.default_port(parts)
            addresses = ssrf.resolve(
                host, port, allow_private=self.allow_private, resolver=self._resolver
            )
        except ssrf.UrlRefused as exc:
            return None, f"refused: {exc.brief}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        shown = f"[{host}]" if ":" in host else host
        sent = {"user-agent": self.user_agent}
        sent.update({k.lower(): v for k, v in headers.items()})
        sent["host"] = shown if parts.port is None else f"{shown}:{port}"
        error = "no address to connect to"
        for ip in addresses:
            if time.monotonic() >= deadline:
                return None, self._timed_out()
            key = (parts.scheme, host, port, str(ip))
            try:
                return self._exchange(key, target, body, sent, deadline)
            except _ConnectFailed as exc:
                error = str(exc) if len(addresses) == 1 else f"{exc} ({ip})"
        return None, error

    def _new(self, key: _Key, deadline: float) -> _Conn:
        scheme, host, port, ip = key
        remaining = max(deadline - time.monotonic(), 0.001)
        conn: _Conn
        if scheme == "https":
            # SNI and the certificate check use the name; the TCP connection goes to ip.
            conn = _TrackedHTTPS(
                ip, port, timeout=remaining, ssl_context=self._tls, server_hostname=host
            )
        else:
            conn = _TrackedHTTP(ip, port, timeout=remaining)
        return conn

    def _exchange(
        self, key: _Key, target: str, body: bytes, headers: dict[str, str], deadline: float
    ) -> tuple[int | None, str | None]:
        """One request on a kept-alive connection if there is one, else on a new one.

        A kept-alive connection the receiver closed meanwhile fails before any answer;
        then the request is sent once more on a fresh connection.
        """
        reused = self._take(key)
        for conn in ([reused] if reused else []) + [None]:
            fresh = conn is None
            if conn is None:
                conn = self._new(key, deadline)
            alarm = self._watchdog.arm(deadline, conn)
            keep = False
            try:
                if fresh:
                    self._connect(conn, alarm)
                status, error, keep = self._request(conn, target, body, headers, deadline, alarm)
                return status, error
            except _ConnectFailed:
                raise
            except (ConnectionError, http.client.RemoteDisconnected) as exc:
                if not fresh and not alarm.fired:
                    continue  # a kept-alive connection the receiver had closed meanwhile
                return None, self._describe(exc, alarm)
            except Exception as exc:
                return None, self._describe(exc, alarm)
            finally:
                alarm.disarm()
                if keep and not alarm.fired:
                    self._give_back(key, conn)
                else:
                    conn.close()
        raise AssertionError("unreachable: the fresh connection returns or raises")

    def _connect(self, conn: _Conn, alarm: _Alarm) -> None:
        try:
            conn.connect()
        except Exception as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            if isinstance(cause, ssl.SSLError) or isinstance(exc, ssl.SSLError):
                raise  # TLS: the next address would not be any better
            if alarm.fired or isinstance(cause, TimeoutError):
                raise _ConnectFailed(self._timed_out()) from exc
            if isinstance(cause, ConnectionRefusedError):
                raise _ConnectFailed("connection refused") from exc
            if isinstance(cause, OSError):
                raise _ConnectFailed(f"connection failed: {cause.strerror or cause}") from exc
            raise

    def _request(
        self,
        conn: _Conn,
        target: str,
        body: bytes,
        headers: dict[str, str],
        deadline: float,
        alarm: _Alarm,
    ) -> tuple[int | None, str | None, bool]:
        """Send, read the status and up to ``max_read`` body bytes: (status, error, keep)."""
        conn.timeout = max(deadline - time.monotonic(), 0.001)
        if conn.sock is not None:  # a kept-alive socket still has the last attempt's timeout
            conn.sock.settimeout(conn.timeout)
        conn.request(
            "POST", target, body=body, headers=headers, preload_content=False, decode_content=False
        )
        response = conn.getresponse()
        if alarm.fired:  # the status line and headers may be cut short: not an answer
            return None, self._timed_out(), False
        status = response.status
        if 300 <= status < 400:
            return status, f"redirect ({status}) not followed", False
        length = response.length_remaining
        if length is not None and length > self.max_read:
            return status, self._too_long(), False
        read = 0
        cut = False
        try:
            while not cut:
                chunk = response.read1(min(_CHUNK, self.max_read + 1 - read))
                if not chunk:
                    break
                read += len(chunk)
                if read > self.max_read:
                    return status, self._too_long(), False
                cut = time.monotonic() >= deadline
        except (Urllib3Error, OSError, http.client.HTTPException):
            cut = True
            if not alarm.fired and time.monotonic() < deadline:
                return status, "the response ended early", False
        if cut or alarm.fired:
            return status, f"{self._timed_out()} reading the response", False
        return status, None, not conn.is_closed

    def _too_long(self) -> str:
        return f"response longer than {self.max_read} bytes: the rest was not read"

    def _describe(self, exc: BaseException, alarm: _Alarm) -> str:
        """A few words for the delivery log about an exception from the exchange."""
        if alarm.fired:
            return self._timed_out()
        chain: list[BaseException] = []
        seen: BaseException | None = exc
        while seen is not None and seen not in chain:
            chain.append(seen)
            seen = seen.__cause__ or seen.__context__
        for cause in chain:
            if isinstance(cause, ssl.SSLCertVerificationError):
                return f"TLS certificate verify failed: {cause.verify_message}"
            if isinstance(cause, ssl.SSLError):
                return f"TLS failed: {cause.reason or cause}"
            if isinstance(cause, TimeoutError):
                return self._timed_out()
        for cause in chain:
            if "CertificateError" in type(cause).__name__:
                return f"TLS certificate verify failed: {cause}"
            if isinstance(cause, http.client.RemoteDisconnected):
                return "the connection was closed without an answer"
            if isinstance(cause, ConnectionResetError):
                return "the connection was reset"
            if isinstance(cause, http.client.HTTPException):
                return f"invalid HTTP answer: {type(cause).__name__}: {cause}"[:300]
        return f"{type(exc).__name__}: {exc}"[:300]
