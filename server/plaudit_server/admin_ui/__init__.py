"""The admin page at ``/admin/``, mounted on the main app and built on its first request.

Visitors' widgets and shops' back ends send nearly all the traffic; owners' visits to the
admin page are rare. The page's own stack (Flask-Login, its views and templates) is
1.2 MB of a worker's memory, whose budget is 80 MB (benchmark, README), so a worker
loads it when it first serves an owner, not at start. The page is therefore its own
Flask app (:mod:`.app`), since Flask takes no new routes once an app has served a
request: requests under ``/admin`` go to it, everything else to the main app. This
module imports nothing of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

PREFIX = "/admin"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def init_app(app: Flask) -> None:
    """Serve the admin page at ``/admin`` beside ``app`` (call before ProxyFix wraps it,
    so the page sees the client's address and scheme as the main app does)."""
    app.wsgi_app = AdminMount(app.wsgi_app, app)  # type: ignore[method-assign]


class AdminMount:
    """WSGI middleware: ``/admin`` and ``/admin/...`` to the admin app, the rest on."""

    def __init__(self, wsgi_app: WSGIApp, parent: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.parent = parent
        self.admin: Flask | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return self.admin_app()(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def admin_app(self) -> Flask:
        """The admin app, built once per process (threaded servers: by one thread)."""
        if self.admin is None:
            with self._lock:
                if self.admin is None:
                    from .app import create_admin_app

                    self.admin = create_admin_app(self.parent)
        return self.admin
