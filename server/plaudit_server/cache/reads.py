"""Cached public reads: which reads, their keys, the hit path, the fill, the snapshots.

A view marked :func:`cached_public_read` is cached under a key made of its path and its
query *as the view's schema loads it*. A hit is answered by :class:`CachedReads`, WSGI
middleware that runs before Flask (one Redis round trip and the bytes out: Flask's
routing, hooks and serialisation would cost several times that); everything else goes
on to Flask, where the decorator runs the view and stores its body (the fill), once per
content coding. The cached paths are the views' own routes, with the URL variables'
patterns from ``fields.py``: nothing spells them a second time.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl

import marshmallow as ma
import sqlalchemy as sa
from flask import Flask, Response, current_app, request
from flask import g as flask_g
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import generate_etag, http_date

from .. import compression
from ..extensions import limiter
from ..fields import OBJECT_ID_RE, PRODUCT_RE, SITE_RE
from ..origins import cors_headers_for
from ..requestids import request_id_for
from .faststore import FastStore, Found, coded_key

T = TypeVar("T")
StartResponse = Callable[..., Any]

# The patterns of the URL variables cached reads may have.
_VARIABLES = {
    "site": SITE_RE.pattern,
    "product": PRODUCT_RE.pattern,
    "question_id": OBJECT_ID_RE.pattern,
    "idea_id": OBJECT_ID_RE.pattern,
}
_MARK = "plaudit_cached_read"
# Where the hit path leaves its lookup for the view it falls through to (None: Redis
# was unavailable), so a miss costs one round trip, not two.
LOOKUP_ENVIRON = "plaudit.cache_lookup"
_NOT_LOOKED_UP = object()


class CachedRead(NamedTuple):
    path: re.Pattern[str]
    query: ma.Schema  # made once: an instance per request would rebuild its fields
    mimetype: str


def cached_public_read(
    query: type[ma.Schema], mimetype: str = "application/json"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Cache a public GET view in Redis, with an ETag, 304s and gzip/brotli.

    ``query``: the schema the view loads its query string with (its ``@bp.arguments``);
    the cache key is what it loads, so no two spellings of a query are two entries and
    no junk parameter makes a new one. The view's URL has ``site`` (and optionally
    ``product``): a write to either moves their generation and retires the entry. A
    read that runs the view (a miss, or no Redis) counts toward the visitor network's
    ``RATELIMIT_PUBLIC_READS_PER_VISITOR``; a hit never does.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def fill(*args: Any, **kwargs: Any) -> Any:
            return _run_and_fill(view, args, kwargs)

        setattr(fill, _MARK, (query, mimetype))
        return fill

    return decorate


class PublicReads:
    """The cached reads of an app, found among its routes on first use."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._reads: tuple[CachedRead, ...] | None = None

    @property
    def reads(self) -> tuple[CachedRead, ...]:
        if self._reads is None:  # after every blueprint is registered
            self._reads = tuple(self._find())
        return self._reads

    def _find(self) -> Iterable[CachedRead]:
        for rule in self.app.url_map.iter_rules():
            marked = getattr(self.app.view_functions[rule.endpoint], _MARK, None)
            if marked is not None and {"GET"} <= (rule.methods or set()):
                schema, mimetype = marked
                yield CachedRead(_path_pattern(rule.rule), schema(), mimetype)

    def match(self, path: str) -> tuple[CachedRead, re.Match[str]] | None:
        """Which cached read ``path`` is, if any, and its URL variables."""
        for read in self.reads:
            found = read.path.fullmatch(path)
            if found is not None:
                return read, found
        return None

    def key(self, path: str, query_string: str, read: CachedRead | None = None) -> str | None:
        """The cache identity of a read, from its *validated* query: None when the path
        is not a cached read or its query is invalid (the view answers 422; nothing is
        cached).

        ``query_string`` is the raw WSGI ``QUERY_STRING``. The key is the path and the
        arguments as the view's schema loaded them, JSON-encoded with sorted names: the
        parameters' order, their spelling (``limit=010``) and their defaults make no
        difference, and no value can pass for another parameter (``%26``, ``%3D``).
        """
        if read is None:
            found = self.match(path)
            if found is None:
                return None
            read = found[0]
        load = _loaded_query if len(query_string) > _MEMO_QUERY_LENGTH else _memo_loaded_query
        query = load(read.query, query_string)
        return None if query is None else f"{path}|{query}"


def _path_pattern(rule: str) -> re.Pattern[str]:
    """A route (``/api/v1/sites/<site>/summaries``) as a regular expression whose
    variables match what ``fields.py`` accepts for them."""
    parts = re.split(r"<(?:[a-z]+:)?([a-z_]+)>", rule)
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>{_VARIABLES[part]})"
        for index, part in enumerate(parts)
    )
    return re.compile(pattern)


def _loaded_query(schema: ma.Schema, query_string: str) -> str | None:
    """The canonical JSON of what ``schema`` loads from ``query_string``, or None if it
    refuses it."""
    try:
        # Parsed exactly as werkzeug parses request.args, which the view validates.
        text = query_string.encode("latin-1").decode()
    except UnicodeError:
        return None
    arguments: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        arguments.setdefault(name, value)  # the first of repeats, as webargs reads them
    try:
        loaded = schema.load(arguments)
    except ma.ValidationError:
        return None
    return json.dumps(loaded, sort_keys=True, separators=(",", ":"), default=str)


# Validation costs a hit a third of its time: the answer is kept per distinct query
# string (a pure function of it), so a popular page costs none, while junk only churns
# this bounded cache (short strings only: 1,024 of at most 256 characters).
_MEMO_QUERY_LENGTH = 256
_memo_loaded_query = functools.lru_cache(maxsize=1024)(_loaded_query)


# What a public read's body depends on besides its URL (its CORS headers, its coding).
PUBLIC_VARY = "Origin, Accept-Encoding"


def public_cache_control(config: Any) -> str:
    """``Cache-Control`` of public GETs (and their 304s)."""
    value = f"public, max-age={config['PUBLIC_CACHE_MAX_AGE']}"
    if config["PUBLIC_CACHE_STALE_WHILE_REVALIDATE"]:
        value += f", stale-while-revalidate={config['PUBLIC_CACHE_STALE_WHILE_REVALIDATE']}"
    return value


# ---------------------------------------------------------------- the hit path


class CachedReads:
    """WSGI middleware: answer public GETs whose body is in Redis, pass the rest on."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        extension = self.app.extensions["plaudit_cache"]
        fast: FastStore | None = extension.store
        if fast is None or environ.get("REQUEST_METHOD") not in {"GET", "HEAD"}:
            return self.wsgi_app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        matched = extension.reads.match(path)
        if matched is None:
            return self.wsgi_app(environ, start_response)
        read, variables = matched
        # An invalid query (no key) goes on to the view, which answers 422.
        key = extension.reads.key(path, environ.get("QUERY_STRING", ""), read)
        if key is None:
            return self.wsgi_app(environ, start_response)
        codings = compression.preferred(environ.get("HTTP_ACCEPT_ENCODING", ""))
        found = fast.lookup(
            variables["site"],
            variables.groupdict().get("product") or "",
            key,
            codings[0] if codings else "identity",
        )
        if found is None or found.body is None or found.origins is None:
            environ[LOOKUP_ENVIRON] = found  # the view fills the cache: no second lookup
            return self.wsgi_app(environ, start_response)
        return self._answer(environ, start_response, found, read.mimetype)

    def _answer(
        self, environ: dict[str, Any], start_response: StartResponse, found: Found, mimetype: str
    ) -> list[bytes]:
        assert found.body is not None and found.origins is not None
        method = environ["REQUEST_METHOD"]
        headers = [
            ("Content-Type", mimetype),
            ("Date", http_date()),  # as werkzeug's make_conditional adds on a miss
            ("ETag", f'"{found.etag}{compression.SUFFIX[found.coding]}"'),
            ("Cache-Control", public_cache_control(self.app.config)),
            ("Vary", PUBLIC_VARY),
            ("X-Cache", "hit"),
            ("X-Request-Id", request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))),
        ]
        if "HTTP_ORIGIN" in environ:  # no Origin, no CORS headers (as flask-cors)
            allowed = json.loads(found.origins)
            cors = cors_headers_for(allowed, EnvironHeaders(environ), method)
            headers += [(name, value) for name, value in cors if name != "Vary"]
        if compression.etag_matches(environ.get("HTTP_IF_NONE_MATCH"), found.etag):
            start_response("304 NOT MODIFIED", headers)
            return []
        if found.coding != "identity":
            headers.append(("Content-Encoding", found.coding))
        headers.append(("Content-Length", str(len(found.body))))
        start_response("200 OK", headers)
        return [] if method == "HEAD" else [found.body]


# ---------------------------------------------------------------- the fill


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


def _run_and_fill(view: Callable[..., Any], args: Any, kwargs: dict[str, Any]) -> Response:
    extension = current_app.extensions["plaudit_cache"]
    fast: FastStore | None = extension.store
    key = extension.reads.key(request.path, request.environ.get("QUERY_STRING", ""))
    if key is None:  # the query is invalid: the view refuses it (422), nothing cached
        return current_app.make_response(view(*args, **kwargs))
    found = None
    if fast is not None:
        found = request.environ.get(LOOKUP_ENVIRON, _NOT_LOOKED_UP)
        if found is _NOT_LOOKED_UP:  # not through the hit path: only the keys are used
            found = fast.lookup(kwargs["site"], kwargs.get("product") or "", key)
    _count_read_miss()
    if found is not None:
        flask_g.cache_version = found.version  # for snapshots
    response = current_app.make_response(view(*args, **kwargs))
    if response.status_code != 200:
        return response
    body = response.get_data()
    if fast is None or found is None:  # nothing is stored: compress for this client only
        accepted = compression.preferred(request.headers.get("Accept-Encoding", ""))
        forms = compression.compress(body, codings=accepted[:1])
        etag = generate_etag(body)
    else:
        forms = compression.compress(body)
        response.headers["X-Cache"] = "miss"
        etag = found.etag
        entries = {coded_key(found.body_key, name): data for name, data in forms.items()}
        if found.origins is None:
            site = flask_g.get("site")
            origins = list(site.allowed_origins if site else [])
            entries[found.site_key] = json.dumps(origins).encode()
        fast.set_many(entries, ttl=current_app.config["PUBLIC_CACHE_TTL"])
    coding = compression.choose(request.headers.get("Accept-Encoding"), forms)
    return _conditional(response, forms[coding], coding, etag)


def _conditional(response: Response, body: bytes, coding: str, etag: str) -> Response:
    """``response`` with ``body`` in ``coding``, its ETag, and a 304 if the client's
    copy is current."""
    response.set_etag(etag + compression.SUFFIX[coding])
    response.headers["Date"] = http_date()  # as a hit has
    if compression.etag_matches(request.headers.get("If-None-Match"), etag):
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Length", None)
        return response
    response.set_data(body)
    if coding != "identity":
        response.headers["Content-Encoding"] = coding
    return response


# ---------------------------------------------------------------- snapshots


class Snapshots:
    """Rows read from the database, kept in this process as plain column values while
    the generations they were read under are still current (a bounded LRU;
    thread-safe).

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


Columns = tuple[type, dict[str, Any]] | None


def snapshot(key: Hashable, load: Callable[[], Sequence[Any]]) -> tuple[Any, ...]:
    """The ORM rows ``load()`` returns (None for a row not found), or copies of the ones
    an earlier miss read under the same generations (see :class:`Snapshots`).

    Kept as column values, handed out as new transient objects: each request gets its
    own, attached to no session, so no request can change or expire another's.
    """
    snapshots: Snapshots = current_app.extensions["plaudit_cache"].snapshots
    kept = snapshots.get_or_load(key, flask_g.get("cache_version"), lambda: _columns(load()))
    return tuple(None if row is None else row[0](**copy.deepcopy(row[1])) for row in kept)


def _columns(rows: Sequence[Any]) -> tuple[Columns, ...]:
    return tuple(
        None
        if row is None
        else (
            type(row),
            {a.key: getattr(row, a.key) for a in sa.inspect(type(row)).column_attrs},
        )
        for row in rows
    )
