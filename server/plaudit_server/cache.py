"""Redis as a fast, optional store: public read cache and generation numbers.

Redis is an accelerator, never a dependency: every call has a short timeout and no
retries, and a circuit breaker skips Redis entirely for a few seconds after a failure,
so a dead or frozen Redis costs nothing per request. Reads then go to the database.
"Redis is down" and "Redis is back" are logged once per transition, not per request.

Cache correctness rests on generation numbers, not on deleting keys. Each product (and
each site) has a counter that every committed write increments (``changes.py``); a
cached body lives under a key that contains the generations read *before* the database
was queried, so a write that lands meanwhile makes that entry unreachable. If an
increment fails because Redis is unreachable, the process remembers it and, on the first
successful call after recovery, bumps a global epoch that is part of every key: entries
written before the outage can never be served again.

Without ``REDIS_URL`` nothing is cached across requests (several workers on one machine
would not see each other's writes); responses still carry an ETag from their body.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import marshmallow as ma
import redis
from flask import Flask, current_app, request
from flask import g as flask_g
from redis.backoff import NoBackoff
from redis.retry import Retry

from .extensions import limiter
from .schemas import JsonLdQuery, PublicCommentsQuery, PublicReviewsQuery, SummariesQuery

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

    def _eval(self, script: tuple[str, str], *args: str) -> Any:
        """EVALSHA, and EVAL if Redis lost the script (restart, SCRIPT FLUSH)."""
        source, sha = script
        try:
            return self._command("EVALSHA", sha, 0, *args)
        except redis.exceptions.NoScriptError:
            return self._command("EVAL", source, 0, *args)

    def ping(self) -> bool:
        """For /readyz: a real PING now, within the timeout, whatever the breaker says
        (it may skip Redis for its cooldown after an outage that is already over)."""
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def mget(self, keys: Sequence[str]) -> list[bytes | None] | None:
        return self.call(lambda r: r.mget(keys))

    def lookup(
        self, slug: str, product: str, key: str
    ) -> tuple[str, str, bytes | None, bytes | None] | None:
        """(version, etag, cached body, cached origins) of a public read, or None."""
        result = self.call(lambda r: self._eval(_LOOKUP, self.prefix, slug, product, key))
        if result is None:
            return None
        version, etag, body, origins = result
        return version.decode(), etag.decode(), body or None, origins or None

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
        """Store cache entries (a miss's body; its site's origins once per generation)."""

        def set_all(r: redis.Redis) -> None:
            for key, value in items.items():
                self._command("SET", key, value, "EX", ttl)

        self.call(set_all)


class Snapshots:
    """Values read from the database, kept in this process while the generations they
    were read under are still current (a bounded LRU; thread-safe).

    A public read that misses Redis still needs its site and product rows before its
    page of reviews; the generation numbers say whether the copies from an earlier miss
    are still exact, exactly as they say it for cached bodies, so most misses (another
    page, sort or filter of the same product) read only their page from the database.
    A value may be newer than its version, never older: the version is read first.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_load(self, key: Hashable, version: str | None, load: Callable[[], T]) -> T:
        """The value under ``key`` read at ``version``, else ``load()`` (kept if it
        returns). Without a version (no Redis) nothing can be trusted: always loads."""
        if version is None:
            return load()
        with self._lock:
            kept = self._items.get(key)
            if kept is not None and kept[0] == version:
                self._items.move_to_end(key)
                return kept[1]  # type: ignore[no-any-return]
        value = load()
        with self._lock:
            self._items[key] = (version, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def snapshot(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, or its copy from an earlier cache miss read under the same
    generations (see :class:`Snapshots`). For views under :func:`cached_public_read`."""
    snapshots: Snapshots = current_app.extensions["plaudit_snapshots"]
    return snapshots.get_or_load(key, flask_g.get("cache_version"), load)


def init_app(app: Flask) -> None:
    app.extensions["plaudit_snapshots"] = Snapshots()
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
    app.extensions["plaudit_store"] = fast
    if fast is None:
        return
    # A request first gives an open breaker whose cooldown is over its probe, so that
    # the rate limiter (which runs before the view) already counts in Redis again.
    app.before_request(fast.recover_if_due)
    if app.config.get("RATELIMIT_STORAGE_URI") == url:
        # flask-limiter shares the cache's Redis: it follows the breaker back.
        fast.on_recover.append(limiter.storage_is_back)


def share_store(app: Flask, parent: Flask) -> None:
    """Let ``app`` (the admin page's) use ``parent``'s Redis store and snapshots."""
    for key in ("plaudit_snapshots", "plaudit_store"):
        app.extensions[key] = parent.extensions[key]


def store() -> FastStore | None:
    return current_app.extensions.get("plaudit_store")


def gen_key(site_slug: str, product: str | None = None) -> str:
    """Generation counter of a site, or of one of its products (without the prefix)."""
    if product is None:
        return f"gen:{site_slug}"
    return f"gen:{site_slug}:{product}"


def public_cache_control(config: Any) -> str:
    """``Cache-Control`` of public GETs (and their 304s)."""
    value = f"public, max-age={config['PUBLIC_CACHE_MAX_AGE']}"
    if config["PUBLIC_CACHE_STALE_WHILE_REVALIDATE"]:
        value += f", stale-while-revalidate={config['PUBLIC_CACHE_STALE_WHILE_REVALIDATE']}"
    return value


# ---------------------------------------------------------------- cached reads and keys
#
# Every public read that is cached, with the schema its view validates its query with.
# fastpath.py answers hits of these paths before Flask; cached_public_read (the views)
# fills the cache. Both take the key from request_key, so they cannot disagree.

_SITE_PATH = r"/api/v1/sites/(?P<site>[a-z0-9-]{3,64})"
_PRODUCT_PATH = _SITE_PATH + r"/products/(?P<product>[A-Za-z0-9._:-]{1,128})"


class CachedRead(NamedTuple):
    path: re.Pattern[str]
    query: ma.Schema  # made once: an instance per request would rebuild its fields
    mimetype: str


CACHED_READS: tuple[CachedRead, ...] = (
    CachedRead(re.compile(_PRODUCT_PATH + "/reviews"), PublicReviewsQuery(), "application/json"),
    CachedRead(re.compile(_PRODUCT_PATH + "/comments"), PublicCommentsQuery(), "application/json"),
    CachedRead(re.compile(_SITE_PATH + "/summaries"), SummariesQuery(), "application/json"),
    CachedRead(re.compile(_PRODUCT_PATH + "/jsonld"), JsonLdQuery(), "application/ld+json"),
)


def cached_read(path: str) -> tuple[int, re.Match[str]] | None:
    """Which of CACHED_READS ``path`` is (its index and the match), if any."""
    for index, read in enumerate(CACHED_READS):
        match = read.path.fullmatch(path)
        if match is not None:
            return index, match
    return None


def request_key(path: str, query_string: str, *, read: int | None = None) -> str | None:
    """The cache identity of a read, from its *validated* query: None when the path is
    not a cached read or its query is invalid (the view answers 422; nothing is cached).

    ``query_string`` is the raw WSGI ``QUERY_STRING``. The key is the path and the
    arguments as the view's schema loaded them, JSON-encoded with sorted names: the
    parameters' order, their spelling (``limit=010``) and their defaults make no
    difference, and no value can pass for another parameter (``%26``, ``%3D``).
    ``read``: the path's index in CACHED_READS, when the caller has matched it already.
    """
    if read is None:
        found = cached_read(path)
        if found is None:
            return None
        read = found[0]
    load = _loaded_query if len(query_string) > _MEMO_QUERY_LENGTH else _memo_loaded_query
    query = load(read, query_string)
    return None if query is None else f"{path}|{query}"


def _loaded_query(index: int, query_string: str) -> str | None:
    """The canonical JSON of what the read's schema loads from ``query_string``, or None
    if it refuses it."""
    try:
        # Parsed exactly as werkzeug parses request.args, which the view validates.
        text = query_string.encode("latin-1").decode()
    except UnicodeError:
        return None
    arguments: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        arguments.setdefault(name, value)  # the first of repeats, as webargs reads them
    try:
        loaded = CACHED_READS[index].query.load(arguments)
    except ma.ValidationError:
        return None
    return json.dumps(loaded, sort_keys=True, separators=(",", ":"), default=str)


# Validation costs a hit a third of its time: the answer is kept per distinct query
# string (a pure function of it), so a popular page costs none, while junk only churns
# this bounded cache (short strings only: 1,024 of at most 256 characters).
_MEMO_QUERY_LENGTH = 256
_memo_loaded_query = functools.lru_cache(maxsize=1024)(_loaded_query)


# One round trip for a cached read: the generations, the ETag derived from them, the
# body and the site's origins. (It touches keys it computes, so it needs a single Redis
# or a cluster with hash tags; Plaudit uses a single Redis.)
_LOOKUP_SOURCE = """
local p, slug, product = ARGV[1], ARGV[2], ARGV[3]
local epoch = redis.call('GET', p .. 'epoch') or '0'
local site_gen = redis.call('GET', p .. 'gen:' .. slug) or '0'
local version = epoch .. '.' .. site_gen
if product ~= '' then
  version = version .. '.' .. (redis.call('GET', p .. 'gen:' .. slug .. ':' .. product) or '0')
end
local etag = redis.sha1hex(version .. '|' .. ARGV[4])
local body = redis.call('GET', p .. 'body:' .. etag)
local site = redis.call('GET', p .. 'site:' .. epoch .. '.' .. site_gen .. ':' .. slug)
return {version, etag, body or false, site or false}
"""
_LOOKUP = (_LOOKUP_SOURCE, hashlib.sha1(_LOOKUP_SOURCE.encode()).hexdigest())


# Where fastpath.py leaves the answer of its Redis lookup for the Flask view it falls
# through to (None: Redis was unavailable).
LOOKUP_ENVIRON = "plaudit.cache_lookup"
_NOT_LOOKED_UP = object()


@limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PUBLIC_READS_PER_VISITOR"], scope="public-read-miss"
)
def _count_read_miss() -> None:
    """Count a public read that reaches the database, per visitor network (the limiter's
    key), in one budget across the public reads; raises 429 once it is spent.

    Declared on this helper, not on the views: views that declare limits get the
    stricter in-process fallback limit while Redis is down (extensions.py), which would
    then refuse ordinary reads, all of which are misses during an outage.
    """


def cached_public_read(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve a public GET from Redis when possible; always with an ETag and 304s.

    The view must be a public-blueprint view with ``site`` (and optionally ``product``)
    in its URL, and its path one of CACHED_READS. The site's allowed origins are cached
    beside the body (under the site's generation), so a hit needs neither the database
    nor serialisation: one Redis round trip (a Lua script) and the bytes go out. A read
    that runs the view (a miss, or no Redis) counts toward the visitor network's
    ``RATELIMIT_PUBLIC_READS_PER_VISITOR``; a hit never does.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request_key(request.path, request.environ.get("QUERY_STRING", ""))
        if key is None:  # the query is invalid: the view refuses it (422), nothing cached
            return view(*args, **kwargs)
        fast = store()
        slug, product = kwargs["site"], kwargs.get("product") or ""
        found = None
        if fast is not None:
            # fastpath.py has usually just asked Redis under this key, and missed.
            found = request.environ.get(LOOKUP_ENVIRON, _NOT_LOOKED_UP)
            if found is _NOT_LOOKED_UP:
                found = fast.lookup(slug, product, key)
        if found is None:
            _count_read_miss()
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code == 200:
                response.add_etag()
                response.make_conditional(request)
            return response

        version, etag, body, origins = found
        flask_g.cache_version = version
        if body is not None and origins is not None:
            flask_g.cors_origins = json.loads(origins)
            response = current_app.response_class(body, mimetype="application/json")
            response.headers["X-Cache"] = "hit"
        else:
            _count_read_miss()
            response = current_app.make_response(view(*args, **kwargs))
            response.headers["X-Cache"] = "miss"
            if response.status_code == 200:
                entries = {f"{fast.prefix}body:{etag}": response.get_data()}
                if origins is None:
                    site = flask_g.get("site")
                    epoch, site_gen = version.split(".")[:2]
                    entries[f"{fast.prefix}site:{epoch}.{site_gen}:{slug}"] = json.dumps(
                        list(site.allowed_origins if site else [])
                    ).encode()
                fast.set_many(entries, ttl=current_app.config["PUBLIC_CACHE_TTL"])
        if response.status_code == 200:
            response.set_etag(etag)
            response.make_conditional(request)
        return response

    return wrapper
