"""The admin page's session: a signed cookie on ``/admin`` only, Secure, short-lived."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature

from ..config import env_bool

PREFIX = "/admin"
SIGNED_IN_AT = "signed_in_at"  # in the session: when its owner signed in (epoch seconds)


def is_admin_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions for the admin page alone: ``Secure`` unless asked
    otherwise, short-lived, and never read nor set on any other path.

    Scope: the cookie's path is ``/admin`` (unless ``SESSION_COOKIE_PATH`` says
    otherwise), so browsers do not send it to the widget's API; and any request outside
    ``/admin`` gets an empty session without the cookie being read and saves nothing, so
    an API response never varies on it nor re-signs it (a CDN would split its cache on
    ``Vary: Cookie``).

    ``Secure`` is decided by configuration alone, never by what a request says of
    itself: behind a TLS proxy that talks plain HTTP to the app with ``Host: 127.0.0.1``
    the request looks exactly like ``scripts/demo``'s, and the cookie must keep Secure
    there. The plain-HTTP exception is explicit: debug or testing mode, or
    ``ADMIN_SESSION_COOKIE_SECURE`` false (``PLAUDIT_SESSION_COOKIE_SECURE=false`` in the
    environment, which ``scripts/demo`` sets for http://127.0.0.1:5000, where some
    browsers drop Secure cookies). ``SESSION_COOKIE_SECURE`` true forces Secure as in
    Flask.

    Lifetime: a signed-in session's cookie carries an expiry and is re-signed on every
    admin response, and both the cookie's expiry and the signature's accepted age are
    ``ADMIN_SESSION_IDLE_TIMEOUT`` (default 2 hours): a cookie unused that long is
    refused, whatever the browser kept. Flask's own ``PERMANENT_SESSION_LIFETIME``
    (31 days) is not used. The absolute limit since sign-in (``ADMIN_SESSION_MAX_AGE``,
    default 12 hours) is checked with the owner's session version in
    :func:`.auth.load_user`.
    """

    def get_cookie_path(self, app: Flask) -> str:
        return app.config["SESSION_COOKIE_PATH"] or PREFIX

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config.get("ADMIN_SESSION_COOKIE_SECURE")
        if setting is not None:
            return bool(setting)
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        return not (app.debug or app.testing)

    def get_expiration_time(self, app: Flask, session: Any) -> datetime | None:
        if SIGNED_IN_AT in session:
            return datetime.now(UTC) + idle_timeout(app)
        return None  # a signed-out visitor's flashed message: the browser's session

    def should_set_cookie(self, app: Flask, session: Any) -> bool:
        # Not Flask's ``session.permanent``, whose refresh is not limited to signed-in
        # sessions.
        refresh = SIGNED_IN_AT in session and app.config["SESSION_REFRESH_EACH_REQUEST"]
        return bool(session.modified or refresh)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if is_admin_path(request.path):
            super().save_session(app, session, response)
        # Elsewhere the cookie was never read, so nothing varies on it (whatever looked
        # at the empty session: Flask-Login after every request, templates' context).

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not is_admin_path(request.path):
            return self.session_class()  # empty, and saved by nobody (see the docstring)
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(idle_timeout(app).total_seconds())
        try:
            return self.session_class(serializer.loads(value, max_age=max_age))
        except BadSignature:
            return self.session_class()


def _seconds(value: Any) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def idle_timeout(app: Flask) -> timedelta:
    return _seconds(app.config["ADMIN_SESSION_IDLE_TIMEOUT"])


def max_session_age(app: Flask) -> timedelta:
    return _seconds(app.config["ADMIN_SESSION_MAX_AGE"])


def cookie_secure_from_environment() -> bool | None:
    """``PLAUDIT_SESSION_COOKIE_SECURE`` as the operator set it, None when unset.

    Read from the environment because the configuration cannot tell: Flask's defaults
    put ``SESSION_COOKIE_SECURE = False`` in every app's config before anything else is
    loaded, so a false there means "unset" as often as "false".
    """
    value = os.environ.get("PLAUDIT_SESSION_COOKIE_SECURE")
    return None if value is None else env_bool(value)
