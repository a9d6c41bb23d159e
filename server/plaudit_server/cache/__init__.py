"""The cache: Redis in front of the database, in one place.

- ``faststore.py``: the Redis client behind a circuit breaker (Redis is optional: when it is
  down or absent, everything is read from the database) and every key the cache uses.
- ``reads.py``: the cached public reads: their keys, the hit path (WSGI, before Flask),
  the fill (after the view), and the snapshots a miss reuses.
- ``invalidation.py``: generation numbers, moved after each commit by what it touched.
- here: the app's cache (:func:`init_app`), and values of a site cached under its
  generation (:func:`cached_for_site`, the admin statistics).

Without ``REDIS_URL`` nothing is cached across requests (several workers on one machine
would not see each other's writes); responses still carry an ETag from their body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from ..extensions import limiter
from .faststore import FastStore, Found, coded_key, gen_key, redact_url
from .invalidation import touch
from .reads import (
    LOOKUP_ENVIRON,
    PUBLIC_VARY,
    CachedReads,
    PublicReads,
    Snapshots,
    cached_public_read,
    public_cache_control,
    snapshot,
)

__all__ = [
    "LOOKUP_ENVIRON",
    "PUBLIC_VARY",
    "CachedReads",
    "FastStore",
    "Found",
    "PublicCache",
    "Snapshots",
    "cached_for_site",
    "cached_public_read",
    "coded_key",
    "gen_key",
    "init_app",
    "public_cache_control",
    "redact_url",
    "snapshot",
    "store",
    "touch",
]

SITE_VALUE_TTL = 24 * 3600


class PublicCache:
    """An app's cache: its Redis store (or None), its cached reads and snapshots, and
    who wants to hear that a site changed (``on_sites_changed``: called after a commit
    with the slugs of the sites it changed, each at most once every few seconds)."""

    def __init__(self, app: Flask, fast: FastStore | None) -> None:
        self.store = fast
        self.reads = PublicReads(app)
        self.snapshots = Snapshots()
        self.on_sites_changed: list[Callable[[list[str]], None]] = []


def init_app(app: Flask) -> None:
    """Give ``app`` its cache, and answer cache hits before Flask runs (reads.py)."""
    url = app.config.get("REDIS_URL")
    fast = (
        FastStore(
            url,
            timeout=app.config["REDIS_TIMEOUT"],
            cooldown=app.config["REDIS_COOLDOWN"],
            prefix=app.config["REDIS_KEY_PREFIX"],
        )
        if url
        else None
    )
    app.extensions["plaudit_cache"] = PublicCache(app, fast)
    app.wsgi_app = CachedReads(app.wsgi_app, app)  # type: ignore[method-assign]
    if fast is None:
        return
    # A request first gives an open breaker whose cooldown is over its probe, so that
    # the rate limiter (which runs before the view) already counts in Redis again.
    app.before_request(fast.recover_if_due)
    if app.config.get("RATELIMIT_STORAGE_URI") == url:
        # flask-limiter shares the cache's Redis: it follows the breaker back.
        fast.on_recover.append(limiter.storage_is_back)


def store() -> FastStore | None:
    """The current app's Redis store, or None when there is no Redis."""
    return current_app.extensions["plaudit_cache"].store  # type: ignore[no-any-return]


def cached_for_site(
    site_slug: str, name: str, compute: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """``compute()``, cached under the site's generation: a copy is used only while
    nothing of the site has changed, so it is never stale. ``name`` says what it is and
    anything else it depends on (the day, for a window that moves at midnight)."""
    fast = store()
    found = None if fast is None else fast.lookup(site_slug, "", f"site-value|{name}")
    if found is None:
        return compute()
    if found.body is not None:
        return json.loads(found.body)  # type: ignore[no-any-return]
    value = compute()
    assert fast is not None
    fast.set_many({found.body_key: json.dumps(value).encode()}, ttl=SITE_VALUE_TTL)
    return value
