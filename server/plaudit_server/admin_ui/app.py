"""The admin page's own Flask app: shop owners moderate, reply and read their statistics.

Server-rendered Jinja with one small script (select-all). It has its own audience and
so its own app (mounted at ``/admin``, built on first use: see the package docstring):
a signed-in owner (Flask-Login, a session cookie) instead of a secret key, forms accepted
only from the page itself (:func:`same_origin_forms_only`; the JSON API under ``/api/``
takes no cookies and needs no such check),
HTML error pages instead of problem details, and a strict Content-Security-Policy on
every page. It shares the main app's configuration, database engine, Redis store and
rate limiter, so both see the same data, connections and counts.

Every view goes through :func:`owned_site`, so an owner reaches only the sites they own;
items are then looked up through the same site-scoped services as the admin API, so
another site's ids answer 404 here exactly as they do there.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    render_template,
    request,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user
from itsdangerous import BadSignature
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

from ..config import env_bool
from ..errors import Problem
from ..extensions import db
from ..models import Site

bp = Blueprint("admin_ui", __name__, url_prefix="/admin")
login_manager = LoginManager()

# No inline script or style anywhere, so neither needs an exception; SVG charts are
# inline markup styled by the stylesheet, which CSP allows from 'self'.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # Pages show private data (emails, unpublished reviews) and one-time secrets.
    "Cache-Control": "no-store",
}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions: ``Secure`` unless asked otherwise, short-lived.

    ``Secure`` is decided by configuration alone, never by what a request says of
    itself: behind a TLS proxy that talks plain HTTP to the app with ``Host: 127.0.0.1``
    the request looks exactly like ``scripts/demo``'s, and the cookie must keep Secure
    there. The plain-HTTP exception is explicit: debug or testing mode, or
    ``ADMIN_SESSION_COOKIE_SECURE`` false (``PLAUDIT_SESSION_COOKIE_SECURE=false`` in the
    environment, which ``scripts/demo`` sets for http://127.0.0.1:5000, where some
    browsers drop Secure cookies). ``SESSION_COOKIE_SECURE`` true forces Secure as in
    Flask.

    Lifetime: a signed-in session's cookie carries an expiry and is re-signed on every
    response of this app, and both the cookie's expiry and the signature's
    accepted age are ``ADMIN_SESSION_IDLE_TIMEOUT`` (default 2 hours): a cookie unused
    that long is refused, whatever the browser kept. Flask's own
    ``PERMANENT_SESSION_LIFETIME`` (31 days) is not used. The absolute limit since
    sign-in (``ADMIN_SESSION_MAX_AGE``, default 12 hours) is checked with the owner's
    session version in :func:`.auth.load_user`.
    """

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
        # Not Flask's ``session.permanent``: the main app, which shares the cookie's
        # path, would then re-sign the cookie on every API response it answers.
        refresh = SIGNED_IN_AT in session and app.config["SESSION_REFRESH_EACH_REQUEST"]
        return bool(session.modified or refresh)

    def open_session(self, app: Flask, request: Any) -> Any:
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


SIGNED_IN_AT = "signed_in_at"  # in the session: when its owner signed in (epoch seconds)


def _seconds(value: Any) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def idle_timeout(app: Flask) -> timedelta:
    return _seconds(app.config["ADMIN_SESSION_IDLE_TIMEOUT"])


def max_session_age(app: Flask) -> timedelta:
    return _seconds(app.config["ADMIN_SESSION_MAX_AGE"])


def _cookie_secure_from_environment() -> bool | None:
    """``PLAUDIT_SESSION_COOKIE_SECURE`` as the operator set it, None when unset.

    Read from the environment because the configuration cannot tell: Flask's defaults
    put ``SESSION_COOKIE_SECURE = False`` in every app's config before anything else is
    loaded, so a false there means "unset" as often as "false".
    """
    value = os.environ.get("PLAUDIT_SESSION_COOKIE_SECURE")
    return None if value is None else env_bool(value)


def create_admin_app(parent: Flask) -> Flask:
    """The admin page as an app of its own, serving ``/admin`` beside ``parent``."""
    from .. import init_request_ids, init_template_cache
    from ..cache import share_store
    from ..errors import init_app as init_errors
    from ..extensions import limiter

    app = Flask(parent.import_name, instance_path=parent.instance_path)
    app.config = parent.config  # one configuration: what tests or the CLI set applies here
    init_template_cache(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # problem details, as the API
    db.init_companion(app, parent)
    share_store(app, parent)
    limiter.init_companion(app)
    init_request_ids(app)
    init_errors(app)

    app.config["SESSION_COOKIE_HTTPONLY"] = True
    # Sign-in attempts, counted before the password is checked (see auth.py): per
    # client network (/24, /64) and per email on that network. The tiers of the second
    # are its back-off: after 5 wrong passwords a wait of up to a minute, after 10 up
    # to 10 minutes, after 20 up to an hour; a success clears them.
    app.config.setdefault("ADMIN_LOGIN_LIMIT_PER_IP", "20/minute;200/hour")
    app.config.setdefault("ADMIN_LOGIN_LIMIT_PER_EMAIL", "5/minute;10/10 minutes;20/hour")
    # The current-password check of the change-password form, per owner.
    app.config.setdefault("ADMIN_PASSWORD_CHECK_LIMIT", "5/minute;20/hour")
    # Argon2 verifications (64 MiB each) at once in this process, and the seconds a
    # request waits for one of them before it is answered 503 with Retry-After.
    app.config.setdefault("ADMIN_PASSWORD_HASHING_CONCURRENCY", 2)
    app.config.setdefault("ADMIN_PASSWORD_HASHING_WAIT", 2.0)
    # Session lifetime in seconds (see SessionInterface): unused, and since sign-in.
    app.config.setdefault("ADMIN_SESSION_IDLE_TIMEOUT", 2 * 3600)
    app.config.setdefault("ADMIN_SESSION_MAX_AGE", 12 * 3600)
    # None: Secure outside debug and testing; false: never (plain HTTP); true: always.
    app.config.setdefault("ADMIN_SESSION_COOKIE_SECURE", _cookie_secure_from_environment())
    app.extensions["plaudit_password_hashing"] = threading.BoundedSemaphore(
        int(app.config["ADMIN_PASSWORD_HASHING_CONCURRENCY"])
    )
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:  # Flask's default: none
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SessionInterface()
    app.before_request(same_origin_forms_only)  # every post: this app is the admin page only
    login_manager.init_app(app)
    login_manager.login_view = "admin_ui.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    app.register_blueprint(bp)
    return app


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a browser says of a request's origin: its own page, or the owner themselves
# (a bookmark, the address bar). Never same-site: another port or subdomain of the host
# is another origin, and the session cookie (SameSite=Lax) goes along to it.
SAME_ORIGIN_FETCH_SITES = frozenset({"same-origin", "none"})


def same_origin_forms_only() -> None:
    """Refuse any post that another origin made the browser send (cross-site request
    forgery): the check browsers now make possible, and Go's standard library and
    ASP.NET adopted, without a token in every form.

    Current browsers send ``Sec-Fetch-Site`` (Chromium since 2020, Firefox since 2021,
    Safari since 2023), set by the browser alone: pages can neither forge nor remove
    it. Without it, the ``Origin`` of a post (sent by browsers for longer) must name
    this host. A request with neither did not come from a browser's form; scripts have
    the JSON API and its secret keys. With SameSite=Lax cookies as the first line, this
    closes what Lax leaves open (another port or subdomain of the same site). It
    replaced Flask-WTF's tokens, which brought all of WTForms (1.1 MB per worker) for
    one hidden field.
    """
    if request.method in SAFE_METHODS:
        return
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        if fetch_site in SAME_ORIGIN_FETCH_SITES:
            return
    else:
        origin = request.headers.get("Origin")
        own = _origin(f"{request.scheme}://{request.host}")
        if origin is not None and own is not None and _origin(origin) == own:
            return
    raise Forbidden("This form did not come from this page. Reload the page and try again.")


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """An origin's scheme, host and port (the default port filled in), or None for
    ``null`` and anything else that names no origin."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # a port out of range or not a number
        return None
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


@bp.after_request
def security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


@bp.app_template_filter("stars")
def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


@bp.app_template_filter("mailto")
def mailto(address: str) -> str:
    """A ``mailto:`` URL that writes to ``address`` alone: everything but ``@`` and
    unreserved characters percent-encoded (RFC 6068), so an address stored with ``?``,
    ``&`` or ``%`` (``a?cc=attacker@evil.test``) cannot add headers or recipients."""
    return "mailto:" + quote(address, safe="@")


def owned_site(slug: str) -> Site:
    """The signed-in owner's site ``slug``; 404 for any other, existing or not."""
    for site in current_user.owner.sites:
        if site.slug == slug:
            return site
    raise NotFound()


def render_error(status: int, message: str) -> tuple[str, int]:
    return render_template("admin/error.html", status=status, message=message), status


@bp.errorhandler(Problem)
def problem_page(error: Problem) -> Any:
    db.session.rollback()
    return render_error(error.status, error.detail or "That did not work.")


@bp.errorhandler(HTTPException)
def http_error_page(error: HTTPException) -> Any:
    status = error.code or 500
    messages = {
        404: "There is nothing here, or it belongs to a site you do not own.",
        429: "Too many attempts. Wait a minute and try again.",
        503: "The server is busy. Try again in a moment.",
    }
    response = render_template(
        "admin/error.html", status=status, message=messages.get(status, error.description)
    )
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)  # werkzeug's 429 and 503 take one
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    elif status == 429:
        from ..errors import _retry_after_from_limiter

        headers["Retry-After"] = str(_retry_after_from_limiter())
    return response, status, headers


from . import auth, insight, queue, settings  # noqa: E402, F401  (views register on bp)
