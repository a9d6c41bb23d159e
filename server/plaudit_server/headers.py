"""Security headers on every response, in one place.

A WSGI middleware around the whole server, so every response gets them whoever
answered it: the API's views, the cache hits answered before Flask (cache/reads.py), the
admin page's own app, the widget script, the demo shop, the error pages. A response
that already carries a header keeps its own value (the admin page sets a stricter
policy of its own; /widget.js its own cross-origin resource policy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]

# Every response: no MIME sniffing (a JSON body must never be run as a script or
# rendered as HTML), and no full URLs (admin searches, tokens) leaking to other sites.
EVERYWHERE = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
# Data, not documents: nothing loads from them, nothing frames them.
API = (
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
)
# The demo shop: the widget from this server, the shop's own inline styles.
DEMO = (
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'",
    ),
)
_DATA_PATHS = ("/api/", "/healthz", "/readyz")


def headers_for(path: str) -> tuple[tuple[str, str], ...]:
    """The headers every response on ``path`` gets (unless it set its own)."""
    if path.startswith(_DATA_PATHS):
        return EVERYWHERE + API
    if path == "/demo" or path.startswith("/demo/"):
        return EVERYWHERE + DEMO
    return EVERYWHERE


class SecurityHeaders:
    """WSGI middleware adding :func:`headers_for` to each response it passes on."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        extra = headers_for(environ.get("PATH_INFO", ""))

        def with_headers(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend(item for item in extra if item[0].lower() not in present)
            return start_response(status, headers, *args)

        return self.wsgi_app(environ, with_headers)
