"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 and a free port.

It keeps every request (headers, body, when) and answers what the test scripts in
``answers`` (status codes, used in turn; the last one repeats), so retries, 410s and
slow receivers are real HTTP exchanges, never mocks. Use the ``hook_sink`` fixture
(tests/conftest.py) and build the app with ``WEBHOOKS_ALLOW_PRIVATE=True`` (a
loopback http URL is otherwise refused, as it should be).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class HookSink:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[int] = [200]
        self.delay = 0.0
        self._lock = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks"

    def start(self) -> HookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)
        self._server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        with self._lock:
            status = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            self.received.append(
                Received({k.lower(): v for k, v in request.headers}, body, time.time())
            )
            self._lock.notify_all()
        if self.delay:
            time.sleep(self.delay)
        return Response("ok", status=status)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} requests arrived")
                self._lock.wait(left)
            return list(self.received[:count])
