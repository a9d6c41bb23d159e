"""Content codings for bodies compressed once and sent many times.

The widget script is compressed once per build, cached public JSON once when it is
stored: never per request, so a cache hit costs no CPU for compression. Each coding of a
body is its own representation (RFC 9110 8.8.3), so it gets its own strong ETag, made
from the body's tag and a suffix; a conditional request for any of them is answered 304.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Sequence

import brotli
from werkzeug.http import parse_accept_header

# Best first: the first one the client accepts is sent.
CODINGS = ("br", "gzip")
SUFFIX = {"br": "-br", "gzip": "-gz", "identity": ""}
# Below this, a compressed body is hardly smaller and costs the client a decoder run.
MIN_SIZE = 256


def compress(
    data: bytes, *, best: bool = False, codings: Sequence[str] = CODINGS
) -> dict[str, bytes]:
    """``data`` in each of ``codings`` if worth it, and as identity.

    ``best``: the smallest output at any CPU cost (the widget, once per build); else
    levels that keep a cache fill cheap (brotli 5 is as small as gzip 9 at a tenth of
    its time on JSON).
    """
    forms = {"identity": data}
    if len(data) < MIN_SIZE:
        return forms
    if "gzip" in codings:
        forms["gzip"] = gzip.compress(data, compresslevel=9 if best else 6, mtime=0)
    if "br" in codings:
        forms["br"] = brotli.compress(data, quality=11 if best else 5, mode=brotli.MODE_TEXT)
    return forms


@functools.lru_cache(maxsize=256)
def preferred(accept_encoding: str) -> tuple[str, ...]:
    """The codings of :data:`CODINGS` that an ``Accept-Encoding`` value accepts
    (q > 0), best first. Clients send few distinct values: parsed once each."""
    accepted = parse_accept_header(accept_encoding)
    return tuple(name for name in CODINGS if accepted[name] > 0)


def choose(accept_encoding: str | None, forms: dict[str, bytes]) -> str:
    """The coding to send: the best that both the client accepts and ``forms`` has."""
    for name in preferred(accept_encoding or ""):
        if name in forms:
            return name
    return "identity"


def etag_matches(header: str | None, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag`` in any coding (weak comparison, RFC 9110
    13.1.2: ``W/"x"`` matches ``"x"``; ``*`` matches all)."""
    if not header:
        return False
    variants = {tag + suffix for suffix in SUFFIX.values()}
    for raw in header.split(","):
        candidate = raw.strip()
        if candidate == "*":
            return True
        if candidate.removeprefix("W/").strip('"') in variants:
            return True
    return False
