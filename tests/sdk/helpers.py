"""Test helpers: a real HTTP proxy that misbehaves on request (429, 503, lost answers,
slowness) before passing traffic on to the live server."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

import plaudit
from plaudit.pagination import AsyncCursorPage, AsyncPaginator, CursorPage

Run = Callable[..., Any]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Action:
    """What the proxy does with one request instead of (or on top of) passing it on."""

    kind: str  # "answer", "forward_then_drop", "forward_then_cut", "delay"
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0


def answer(status: int, *, retry_after: str | None = None, body: bytes | None = None) -> Action:
    headers = {"Content-Type": "application/problem+json", "X-Request-Id": f"req_proxy{status}"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if body is None:
        body = (
            f'{{"type": "about:blank", "title": "Error {status}", "status": {status}, '
            f'"detail": "The proxy says {status}.", "request_id": "req_proxy{status}"}}'
        ).encode()
    return Action("answer", status=status, headers=headers, body=body)


class FlakyProxy:
    """A real HTTP server in a thread in front of the live server.

    Each incoming request takes the next scripted :class:`Action`; with none left, it is
    passed on unchanged. Every request is recorded in ``seen``.
    """

    def __init__(self, upstream: str, port: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.actions: list[Action] = []
        self.seen: list[Seen] = []
        self.forwarded = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy._lock:
                    proxy.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                    action = proxy.actions.pop(0) if proxy.actions else None
                if action is not None and action.kind == "answer":
                    self._reply(action.status, action.headers, action.body)
                    return
                if action is not None and action.kind == "delay":
                    time.sleep(action.seconds)
                status, headers, content = proxy._forward(
                    self.command, self.path, dict(self.headers), body
                )
                if action is not None and action.kind == "forward_then_drop":
                    # The server did the work; the client never hears about it.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if action is not None and action.kind == "forward_then_cut":
                    # The answer starts, then the connection breaks halfway through it.
                    self.close_connection = True
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content[: len(content) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._reply(status, headers, content)

            def _reply(self, status: int, headers: dict[str, str], content: bytes) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        skip = {"host", "content-length", "connection", "accept-encoding"}
        sent = {k: v for k, v in headers.items() if k.lower() not in skip}
        with httpx.Client() as client:
            response = client.request(method, self.upstream + path, headers=sent, content=body)
        with self._lock:
            self.forwarded += 1
        keep = {"content-type", "retry-after", "x-request-id", "idempotent-replayed", "location"}
        return (
            response.status_code,
            {k: v for k, v in response.headers.items() if k.lower() in keep},
            response.content,
        )

    def script(self, *actions: Action) -> FlakyProxy:
        self.actions.extend(actions)
        return self

    def __enter__(self) -> FlakyProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_on(flavour: str, call: Callable[[Any], Any], **options: Any) -> Any:
    """``call(client)`` on a fresh sync or async client, awaiting what the async one
    returns, so one lambda states what both clients must do. Pages (what ``list()``
    and the public reads return) are read to the end while the client is open: a list
    of every item, on both clients."""
    if flavour == "sync":
        with plaudit.Plaudit(**options) as client:
            result = call(client)
            return list(result) if isinstance(result, CursorPage) else result

    async def main() -> Any:
        async with plaudit.AsyncPlaudit(**options) as client:
            result = call(client)
            if isinstance(result, AsyncPaginator):
                return [item async for item in result]
            result = await result
            if isinstance(result, AsyncCursorPage):
                return [item async for item in result]
            return result

    return anyio.run(main)
