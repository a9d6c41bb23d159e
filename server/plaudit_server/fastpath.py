"""Cache hits of public reads, answered in WSGI before Flask runs at all.

A hit needs one Redis round trip and bytes out; going through Flask's routing, request
context, session, hooks and flask-smorest would cost several times that (the benchmark
measures it). Everything else, misses included, falls through to Flask, which fills
the cache (``cache.cached_public_read``). The headers are built by the same helpers the
Flask path uses, so a hit and a miss answer alike, apart from ``X-Cache``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import http_date

from . import request_id_for
from .cache import CACHED_READS, LOOKUP_ENVIRON, cached_read, public_cache_control, request_key
from .origins import cors_headers_for

StartResponse = Callable[..., Any]


class CachedReads:
    """WSGI middleware: serve public GETs that are in Redis, pass everything else on."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        store = self.app.extensions.get("plaudit_store")
        read = cached_read(path) if method in {"GET", "HEAD"} and store else None
        if read is None:
            return self.wsgi_app(environ, start_response)
        index, match = read
        # The key of the query as the view validates it; an invalid query (None) goes on
        # to the view, which answers 422.
        key = request_key(path, environ.get("QUERY_STRING", ""), read=index)
        if key is None:
            return self.wsgi_app(environ, start_response)
        found = store.lookup(match["site"], match.groupdict().get("product") or "", key)
        if found is None or found[2] is None or found[3] is None:
            environ[LOOKUP_ENVIRON] = found  # the view fills the cache: no second lookup
            return self.wsgi_app(environ, start_response)
        _, etag, body, origins = found
        return self._answer(
            environ, start_response, etag, body, origins, CACHED_READS[index].mimetype
        )

    def _answer(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        etag: str,
        body: bytes,
        origins: bytes,
        mimetype: str,
    ) -> list[bytes]:
        quoted = f'"{etag}"'
        not_modified = quoted in _etags(environ.get("HTTP_IF_NONE_MATCH", ""))
        method = environ["REQUEST_METHOD"]
        headers = [
            ("Content-Type", mimetype),
            ("Date", http_date()),  # as werkzeug's make_conditional adds on a miss
            ("ETag", quoted),
            ("Cache-Control", public_cache_control(self.app.config)),
            ("Vary", "Origin"),
            ("X-Cache", "hit"),
            ("X-Request-Id", request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))),
        ]
        if "HTTP_ORIGIN" in environ:  # no Origin, no CORS headers (as flask-cors)
            headers += cors_headers_for(json.loads(origins), EnvironHeaders(environ), method)
        if not_modified:
            start_response("304 NOT MODIFIED", headers)
            return []
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [] if method == "HEAD" else [body]


def _etags(value: str) -> list[str]:
    return [part.strip().removeprefix("W/") for part in value.split(",") if part.strip()]
