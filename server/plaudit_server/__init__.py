"""Plaudit server: ratings, reviews and fan comments for any shop."""

from __future__ import annotations

import logging
import pickle
import re
import secrets
from typing import Any

from flask import Flask, Response, g, request
from jinja2 import FileSystemBytecodeCache
from jinja2.bccache import Bucket
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cache, config, errors
from .bodies import ScriptSafeJSONProvider, check_request_body
from .headers import SecurityHeaders

__all__ = ["create_app"]

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: does no work at import time, nothing global is mutated."""
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    init_template_cache(app)
    app.json = ScriptSafeJSONProvider(app)  # keeps the contract's field order

    from . import admin_ui
    from .fastpath import CachedReads

    # Cache hits of public reads are answered before Flask (see fastpath.py).
    app.wsgi_app = CachedReads(app.wsgi_app, app)  # type: ignore[method-assign]
    admin_ui.init_app(app)  # /admin: the admin page's own app, built on its first request

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]  # outermost

    from .api import admin, public, seo
    from .extensions import db, limiter
    from .openapi import PlauditApi
    from .ops import bp as ops_bp

    db.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    api = PlauditApi(app)
    api.register_blueprint(public.bp)
    api.register_blueprint(admin.bp)
    api.register_blueprint(seo.bp)
    from .web import bp as web_bp

    app.register_blueprint(web_bp)  # /widget.js and the /demo shop
    api.register_blueprint(ops_bp)
    errors.init_app(app)
    init_request_ids(app)
    app.before_request(_require_json)

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)

    from .cli import register_commands

    register_commands(app)
    return app


def request_id_for(incoming: str) -> str:
    """Keep a caller's sane ``X-Request-Id`` (to follow a request across services)."""
    return incoming if _REQUEST_ID.fullmatch(incoming) else "req_" + secrets.token_hex(8)


def init_request_ids(app: Flask) -> None:
    """Give every response of ``app`` an ``X-Request-Id`` (the caller's, if sane)."""
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)


def init_template_cache(app: Flask) -> None:
    """Keep ``app``'s compiled templates on disk, for every worker on the host.

    Compiling a template costs a worker far more memory than the code it yields: the
    compiler's peak stays in the worker's heap (1 MB for the admin queue page's
    templates), while loading compiled code costs next to nothing. So the first worker
    on a host to render a template compiles it and writes the code (Jinja's bytecode
    cache, checked against the template's source and the Python version); the others,
    and every later worker, load it. Call before anything reads ``app.jinja_env``.
    """
    directory = app.config.get("TEMPLATE_CACHE_DIR")
    if directory is False:
        return
    try:
        # None: a directory of this user's in the system's temporary directory (0700,
        # checked by Jinja).
        bytecode_cache = _TemplateCache(directory or None)
    except (OSError, RuntimeError) as error:
        app.logger.warning("compiled templates are not kept: %s", error)
        return
    app.jinja_options = {**app.jinja_options, "bytecode_cache": bytecode_cache}


class _TemplateCache(FileSystemBytecodeCache):
    """Jinja's file cache, where a disk problem costs a compile, never the page."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()  # unreadable, or not what Jinja wrote: compile instead

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as error:  # a full or read-only disk
            logging.getLogger(__name__).warning("could not keep a compiled template: %s", error)


def _assign_request_id() -> None:
    g.request_id = request_id_for(request.headers.get("X-Request-Id", ""))


def _require_json() -> None:
    """Writes are UTF-8 JSON only: a clear 415 for anything else (and no form-based
    CSRF); the body is decoded and parsed here, once (see bodies.py)."""
    if request.path.startswith("/api/") and request.method in _BODY_METHODS:
        check_request_body()


def _send_request_id(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response
