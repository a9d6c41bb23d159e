"""The admin page at ``/admin/``: a blueprint of the main app with rules of its own.

:mod:`.base` holds the blueprint and what every page shares (security headers, the
same-origin check for forms, HTML error pages, the audit log's actor), :mod:`.sessions`
the owner's session cookie, and :mod:`.auth`, :mod:`.queue`, :mod:`.questions`, :mod:`.ideas`,
:mod:`.reports`, :mod:`.audit_log`, :mod:`.invitations`, :mod:`.insight`, :mod:`.transfer`,
:mod:`.webhooks` and :mod:`.settings` the pages (:mod:`.reasons` names the reason codes
they show). :func:`init_app` binds it all to the app, as any Flask extension is bound.

It was once a Flask app of its own, built on a worker's first ``/admin`` request, to keep
its 1.2 MB out of workers that never serve an owner. With the memory budget raised
that no longer pays for what it cost: a second app sharing the first one's engine, Redis
store and rate limiter's private state, links that ``url_for`` could not build across
the two, and routes that ``flask routes`` did not list.
"""

from __future__ import annotations

import threading

from flask import Flask

from . import (  # noqa: F401
    audit_log,
    auth,
    ideas,
    insight,
    invitations,
    password_reset,
    questions,
    queue,
    reasons,
    reports,
    settings,
    transfer,
    webhooks,
)
from .base import bp, login_manager
from .sessions import SessionInterface, cookie_secure_from_environment

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Serve the admin page at ``/admin`` on ``app``: its settings, session, sign-in."""
    config = app.config
    config["SESSION_COOKIE_HTTPONLY"] = True
    if config.get("SESSION_COOKIE_SAMESITE") is None:  # Flask's default: none
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Sign-in attempts, counted before the password is checked (see auth.py): per
    # client network (/24, /64) and per email on that network. The tiers of the second
    # are its back-off: after 5 wrong passwords a wait of up to a minute, after 10 up
    # to 10 minutes, after 20 up to an hour; a success clears them.
    config.setdefault("ADMIN_LOGIN_LIMIT_PER_IP", "20/minute;200/hour")
    config.setdefault("ADMIN_LOGIN_LIMIT_PER_EMAIL", "5/minute;10/10 minutes;20/hour")
    # The current-password check of the change-password form, per owner.
    config.setdefault("ADMIN_PASSWORD_CHECK_LIMIT", "5/minute;20/hour")
    # Argon2 verifications (64 MiB each) at once in this process, and the seconds a
    # request waits for one of them before it is answered 503 with Retry-After.
    config.setdefault("ADMIN_PASSWORD_HASHING_CONCURRENCY", 2)
    config.setdefault("ADMIN_PASSWORD_HASHING_WAIT", 2.0)
    # Session lifetime in seconds (see sessions.py): unused, and since sign-in.
    config.setdefault("ADMIN_SESSION_IDLE_TIMEOUT", 2 * 3600)
    config.setdefault("ADMIN_SESSION_MAX_AGE", 12 * 3600)
    # None: Secure outside debug and testing; false: never (plain HTTP); true: always.
    config.setdefault("ADMIN_SESSION_COOKIE_SECURE", cookie_secure_from_environment())
    app.extensions["plaudit_password_hashing"] = threading.BoundedSemaphore(
        int(config["ADMIN_PASSWORD_HASHING_CONCURRENCY"])
    )
    app.session_interface = SessionInterface()
    login_manager.init_app(app, add_context_processor=False)  # base.py: for the pages only
    login_manager.login_view = "admin_ui.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    app.register_blueprint(bp)
