"""Redis as a fast, optional store, behind a circuit breaker.

Redis is an accelerator, never a dependency: every call has a short timeout and no
retries, and a circuit breaker skips Redis entirely for a few seconds after a failure,
so a dead or frozen Redis costs nothing per request. Reads then go to the database.
"Redis is down" and "Redis is back" are logged once per transition, not per request.

This module also owns every key the cache writes: generation counters
(:func:`gen_key`), the global epoch, and (inside the lookup script, which returns them
so no other code spells them) the keys of cached bodies and of a site's origins.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

T = TypeVar("T")


def redact_url(url: str) -> str:
    """``url`` fit for a log: its password (``redis://:secret@host``, or a ``password``
    query parameter, which redis-py also reads) replaced by ``***``. Neither redis-py
    nor the limits package offers this."""
    try:
        parts = urlsplit(url)
        redacted = url
        if parts.password is not None:
            userinfo, _, host = parts.netloc.rpartition("@")
            netloc = f"{userinfo.partition(':')[0]}:***@{host}"
            redacted = redacted.replace(parts.netloc, netloc, 1)
        if parts.query:
            query = "&".join(
                f"{field.partition('=')[0]}=***"
                if unquote(field.partition("=")[0]).lower() == "password"
                else field
                for field in parts.query.split("&")
            )
            redacted = redacted.replace("?" + parts.query, "?" + query, 1)
        return redacted
    except ValueError:  # not parseable (a bad port): log none of it
        return "<unparseable Redis URL>"


class FastStore:
    """A Redis client behind a circuit breaker; ``None`` answers mean "not available"."""

    def __init__(
        self, url: str, *, timeout: float = 0.2, cooldown: float = 3.0, prefix: str = "plaudit:"
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.epoch_key = prefix + "epoch"
        self.cooldown = cooldown
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # no retries on the hot path
            health_check_interval=0,
        )
        self._lock = threading.Lock()
        self._open_until = 0.0  # breaker open (Redis skipped) until this monotonic time
        self._down = False
        self._dirty = False  # an invalidation was lost while Redis was unreachable
        # Moves whenever the breaker opens or closes. A connection opened, or a call
        # begun, under an older value belongs to a Redis that may be gone: the
        # connection is replaced, the call's failure opens nothing.
        self._generation = 0
        self._local = threading.local()
        # Called (without arguments) each time Redis is found reachable again.
        self.on_recover: list[Callable[[], None]] = []

    @property
    def state(self) -> str:
        return "down" if self._down else "ok"

    def call(self, operation: Callable[[redis.Redis], T]) -> T | None:
        """Run ``operation`` against Redis, or return None if it is (or just went) down."""
        if self._down and not self._try_recover():
            return None
        generation = self._generation
        try:
            return operation(self.client)
        except redis.RedisError as exc:
            self._trip(exc, generation)
            return None

    def recover_if_due(self) -> None:
        """Probe Redis now if the breaker is open and its cooldown is over (for the start
        of a request, before anything else would use Redis or skip it)."""
        if self._down:
            self._try_recover()

    def _trip(self, exc: Exception, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                # Begun before the breaker last opened or closed: already counted, or a
                # connection to a Redis that has since been replaced. Not news.
                return
            self._open_until = time.monotonic() + self.cooldown
            self._generation += 1
            if not self._down:
                self._down = True
                log.warning(
                    "Redis at %s is unreachable (%s); serving without it",
                    redact_url(self.url),
                    exc,
                )

    def _try_recover(self) -> bool:
        """After the cooldown, one caller probes Redis; the epoch is bumped *before* any
        cached entry is read again if an invalidation was lost meanwhile."""
        if time.monotonic() < self._open_until:
            return False
        # One prober at a time; the others carry on without Redis meanwhile.
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if not self._down:
                return True
            try:
                # Through the pool, whose connections are checked as they are handed
                # out: a socket left from before the outage can't fail the probe.
                if self._dirty:
                    self.client.incr(self.epoch_key)
                else:
                    self.client.ping()
            except redis.RedisError as exc:
                self._open_until = time.monotonic() + self.cooldown
                log.debug("Redis still unreachable: %s", exc)
                return False
            self._dirty = False
            self._down = False
            # Every thread's lookup connection predates the outage: each reconnects at
            # its next command instead of failing on a dead socket and opening the
            # breaker for another cooldown.
            self._generation += 1
        finally:
            self._lock.release()
        log.warning("Redis at %s is reachable again", redact_url(self.url))
        for callback in self.on_recover:
            callback()
        return True

    def _command(self, *args: Any) -> Any:
        """One command on this thread's own connection, past redis-py's client layer
        (connection pool, retry and metrics hooks: a third of a cache hit's CPU).

        For the hot path only: the raw reply, no response callbacks. Errors propagate
        to :meth:`call` (the breaker) after the connection is dropped; the next call
        reconnects. A connection is never used across a fork, nor across an outage
        (the pool's checks on checkout are skipped here, so a socket the old Redis
        closed would otherwise fail the first command after recovery).
        """
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn, local.pid = self.client.connection_pool.make_connection(), os.getpid()
            local.generation = self._generation
        elif local.generation != self._generation:
            local.conn.disconnect()
            local.generation = self._generation
        try:
            local.conn.send_command(*args)
            return local.conn.read_response()
        except redis.ResponseError:
            raise  # an error reply (NOSCRIPT): the connection is fine
        except BaseException:
            local.conn.disconnect()
            raise

    def _eval(self, script: tuple[str, str], keys: Sequence[str], *args: str) -> Any:
        """EVALSHA, and EVAL if Redis lost the script (restart, SCRIPT FLUSH)."""
        source, sha = script
        try:
            return self._command("EVALSHA", sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            return self._command("EVAL", source, len(keys), *keys, *args)

    def ping(self) -> bool:
        """For /readyz: a real PING now, within the timeout, whatever the breaker says
        (it may skip Redis for its cooldown after an outage that is already over)."""
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def lookup(self, slug: str, product: str, key: str, coding: str = "identity") -> Found | None:
        """What Redis holds for the read ``key`` of a site (and product), in one round
        trip; None if Redis is unavailable. ``coding``: the content coding the client
        prefers; the body comes in it if it is stored so, else as identity."""
        # A product's read depends on the site's settings and on that product; a
        # site-wide read (summaries, statistics) on the settings and on every product.
        keys = [
            self.epoch_key,
            self.prefix + gen_key(slug),
            self.prefix + gen_key(slug, product or ANY_PRODUCT),
        ]
        suffix = coded_key("", coding)
        result = self.call(lambda r: self._eval(_LOOKUP, keys, self.prefix, slug, key, suffix))
        if result is None:
            return None
        version, etag, body, got, origins, body_key, site_key = result
        return Found(
            version.decode(),
            etag.decode(),
            body or None,
            coding if got else "identity",
            origins or None,
            body_key.decode(),
            site_key.decode(),
        )

    def bump(self, keys: Sequence[str], *, claim: Sequence[str] = (), ttl: int = 5) -> list[str]:
        """Increment generation counters; remember a failure so recovery bumps the epoch.

        In the same round trip, try to claim each key of ``claim`` for ``ttl`` seconds
        (``SET NX``); returns the claims won, so callers can debounce follow-up work.
        """
        if not keys:
            return []

        def incr_all(r: redis.Redis) -> Any:
            pipe = r.pipeline(transaction=False)
            for key in keys:
                pipe.incr(self.prefix + key)
            for key in claim:
                pipe.set(self.prefix + key, b"1", nx=True, ex=ttl)
            return pipe.execute()

        results = self.call(incr_all)
        if results is not None:
            return [key for key, won in zip(claim, results[len(keys) :], strict=True) if won]
        # The write is committed but cached copies of what it changed may survive: make
        # recovery bump the epoch before anything is read from Redis again.
        with self._lock:
            self._dirty = True
            self._down = True
        return []

    def set_many(self, items: dict[str, bytes], ttl: int) -> None:
        """Store cache entries, each for ``ttl`` seconds (one round trip)."""

        def set_all(r: redis.Redis) -> None:
            for key, value in items.items():
                self._command("SET", key, value, "EX", ttl)

        self.call(set_all)


# The generation that moves with a change to any of a site's products (a name that no
# product id can have: fields.PRODUCT_RE).
ANY_PRODUCT = "*"


def gen_key(site_slug: str, product: str | None = None) -> str:
    """Generation counter (without the prefix) of a site's own settings, or of one of its
    products, or (``ANY_PRODUCT``) of all its products together."""
    if product is None:
        return f"gen:{site_slug}"
    return f"gen:{site_slug}:{product}"


def coded_key(body_key: str, coding: str) -> str:
    """Where a body is stored in ``coding``, beside its identity form at ``body_key``."""
    return body_key if coding == "identity" else f"{body_key}:{coding}"


class Found(NamedTuple):
    """The answer of :meth:`FastStore.lookup`."""

    version: str  # the generations the entry is valid under: "epoch.site.product"
    etag: str  # of the read under this version (a hash of the version and the read's key)
    body: bytes | None  # the cached body, if any
    coding: str  # the content coding of ``body``
    origins: bytes | None  # the site's allowed origins (JSON), cached beside the bodies
    body_key: str  # where the body goes (identity; other codings: coded_key)
    site_key: str  # where the site's origins go


# One round trip for a cached read: the generations, the ETag derived from them, the body
# and the site's origins. The generation keys come from Python (gen_key); the keys of the
# body and of the site's origins are spelled here only, and returned for the fill.
_LOOKUP_SOURCE = """
local epoch = redis.call('GET', KEYS[1]) or '0'
local site_gen = redis.call('GET', KEYS[2]) or '0'
local version = epoch .. '.' .. site_gen .. '.' .. (redis.call('GET', KEYS[3]) or '0')
local prefix, slug, key, coded = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local etag = redis.sha1hex(version .. '|' .. key)
local body_key = prefix .. 'body:' .. etag
local body = false
if coded ~= '' then  -- the suffix of the coding asked for (coded_key)
  body = redis.call('GET', body_key .. coded)
end
if not body then
  coded = ''
  body = redis.call('GET', body_key)
end
local site_key = prefix .. 'site:' .. epoch .. '.' .. site_gen .. ':' .. slug
local origins = redis.call('GET', site_key)
return {version, etag, body or false, coded, origins or false, body_key, site_key}
"""
_LOOKUP = (_LOOKUP_SOURCE, hashlib.sha1(_LOOKUP_SOURCE.encode()).hexdigest())
