"""Plaudit server: ratings, reviews and fan comments for any shop."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    admin_ui,
    cache,
    community_page,
    config,
    errors,
    events,
    extensions,
    jobs,
    mail,
    manage_page,
    ops,
    review_page,
    schemas,
    trust_pages,
    unsubscribe,
    web,
)
from .api import admin, community, mine, public, seo, trust
from .api import webhooks as webhooks_api
from .bodies import ScriptSafeJSONProvider, check_request_body
from .cli import register_commands
from .headers import SecurityHeaders
from .openapi import PlauditApi
from .requestids import init_request_ids, request_id_for
from .services import notifications
from .webhooks import delivery as webhook_delivery

__all__ = ["create_app", "init_request_ids", "request_id_for"]

_BODY_METHODS = {"POST", "PUT", "PATCH"}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: does no work at import time, nothing global is mutated."""
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    mail.init_app(app)
    app.json = ScriptSafeJSONProvider(app)  # keeps the contract's field order

    # Module attributes, not names of this package: ``plaudit_server.db`` is the module.
    extensions.db.init_app(app)
    extensions.limiter.init_app(app)
    cache.init_app(app)  # before the middleware below: hits get their headers too
    jobs.init_app(app)
    # Events carry their objects' admin forms; commits that wrote some wake the deliverer.
    events.init_app(app).forms.update(schemas.event_forms())
    webhook_delivery.init_app(app)
    notifications.init_app(app)  # e-mail to the shop and to visitors, from the events
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]  # outermost

    api = PlauditApi(app)
    api.register_blueprint(public.bp)
    api.register_blueprint(admin.bp)
    api.register_blueprint(webhooks_api.bp)
    api.register_blueprint(trust.bp)
    api.register_blueprint(mine.bp)
    api.register_blueprint(seo.bp)
    api.register_blueprint(community.bp)
    api.register_blueprint(community.admin_bp)
    app.register_blueprint(web.bp)  # /widget.js and the /demo shop
    app.register_blueprint(unsubscribe.bp)  # /u/<token>: one-click unsubscribe
    app.register_blueprint(review_page.bp)  # /r/<token>: the hosted review page
    app.register_blueprint(manage_page.bp)  # /m/<token>: the author's own item
    app.register_blueprint(community_page.bp)  # /q/<token>: answer a question
    app.register_blueprint(trust_pages.bp)  # /t/<site>, /sites/<site>/guidelines
    api.register_blueprint(ops.bp)
    errors.init_app(app)
    admin_ui.init_app(app)  # /admin: the admin page, with its own session and errors
    init_request_ids(app)
    app.before_request(_require_json)

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)

    register_commands(app)
    return app


def _require_json() -> None:
    """Writes are UTF-8 JSON only: a clear 415 for anything else (and no form-based
    CSRF); the body is decoded and parsed here, once (see bodies.py)."""
    if request.path.startswith("/api/") and request.method in _BODY_METHODS:
        check_request_body()
