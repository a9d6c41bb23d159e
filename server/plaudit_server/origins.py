"""Per-site allowed origins: CORS headers and the server-side POST check.

flask-cors computes the headers, but its options are static per app while each site
has its own list, so we build its options per site. flask-cors guesses from its
characters whether an origin is a regular expression, and the brackets of an IPv6
origin (``http://[2001:db8::1]``) make it one: a character class, matched by prefix,
that refused the real origin and let ``http://2.evil.example`` in. So every origin is
handed over as a compiled pattern that matches exactly that origin, whatever it
contains (case-insensitively, as hosts and schemes are).
"""

from __future__ import annotations

import functools
import re
from types import SimpleNamespace

from flask import Response, request
from flask_cors.core import get_cors_headers, get_cors_options, set_cors_headers
from werkzeug.datastructures import Headers

from .errors import Problem
from .models import Site

ALLOWED_HEADERS = ["Content-Type", "Idempotency-Key", "Accept-Language", "If-None-Match"]
EXPOSED_HEADERS = ["Retry-After", "X-Request-Id", "Idempotent-Replayed", "ETag"]


# flask-cors would otherwise merge in the current app's CORS_* config, which needs an
# app context; these options are complete, and cache/reads.py builds headers without one.
_NO_APP_CONFIG = SimpleNamespace(config={})


@functools.lru_cache(maxsize=4096)
def _cors_options(origins: tuple[str, ...]) -> object:
    return get_cors_options(
        _NO_APP_CONFIG,  # type: ignore[arg-type]
        {
            "origins": [re.compile(re.escape(o) + r"\Z", re.IGNORECASE) for o in origins],
            "methods": ["GET", "HEAD", "POST", "OPTIONS"],
            "allow_headers": ALLOWED_HEADERS,
            "expose_headers": EXPOSED_HEADERS,
            "max_age": 600,
            "supports_credentials": False,
            "send_wildcard": False,
            "always_send": False,
            "vary_header": True,
        },
    )


def is_allowed(site: Site, origin: str) -> bool:
    return origin.lower() in (o.lower() for o in site.allowed_origins or ())


def check_origin(site: Site) -> None:
    """A POST from a browser on a page the site does not list is refused with 403."""
    origin = request.headers.get("Origin")
    if origin is not None and not is_allowed(site, origin):
        raise Problem(403, "This origin is not allowed to post to this site.")


def cors_headers_for(
    allowed_origins: list[str], request_headers: Headers, method: str
) -> list[tuple[str, str]]:
    """The CORS headers flask-cors would add, for a response built outside Flask."""
    if not allowed_origins:
        return []
    options = _cors_options(tuple(allowed_origins))
    return [(k, str(v)) for k, v in get_cors_headers(options, request_headers, method).items()]  # type: ignore[arg-type]


def add_cors_headers(response: Response, allowed_origins: list[str] | None) -> Response:
    """Name the request's origin only if the site allows it; otherwise add nothing."""
    response.vary.add("Origin")
    if not allowed_origins:
        return response
    return set_cors_headers(response, _cors_options(tuple(allowed_origins)))  # type: ignore[arg-type]
