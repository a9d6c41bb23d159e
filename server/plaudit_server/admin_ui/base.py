"""The admin page's blueprint: shop owners moderate, reply and read their statistics.

Server-rendered Jinja with one small script (select-all). Its audience differs from the
API's, and so do its rules: a signed-in owner (Flask-Login, a session cookie on
``/admin``, see :mod:`.sessions`) instead of a secret key, forms accepted only from the
page itself (:func:`same_origin_forms_only`; the JSON API under ``/api/`` takes no
cookies and needs no such check), HTML error pages instead of problem details, and a
strict Content-Security-Policy on every page. All of that is scoped to this blueprint;
the database, Redis and rate limiter are the app's own, as for every other blueprint.

Every view goes through :func:`owned_site`, so an owner reaches only the sites they own;
items are then looked up through the same site-scoped services as the admin API, so
another site's ids answer 404 here exactly as they do there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import marshmallow as ma
from flask import Blueprint, Response, render_template, request
from flask_login import LoginManager, current_user
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

from ..errors import Problem, retry_after_from_limiter
from ..extensions import db
from ..models import Site
from ..services import audit
from .sessions import PREFIX

T = TypeVar("T")

bp = Blueprint("admin_ui", __name__, url_prefix=PREFIX)
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


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a browser says of a request's origin: its own page, or the owner themselves
# (a bookmark, the address bar). Never same-site: another port or subdomain of the host
# is another origin, and the session cookie (SameSite=Lax) goes along to it.
SAME_ORIGIN_FETCH_SITES = frozenset({"same-origin", "none"})


@bp.before_request
def same_origin_forms_only() -> None:
    """Refuse any post that another origin made the browser send (cross-site request
    forgery): the check browsers now make possible, and Go's standard library and
    ASP.NET adopted, without a token in every form.

    Current browsers send ``Sec-Fetch-Site`` (Chromium since 2020, Firefox since 2021,
    Safari since 2023), set by the browser alone: pages can neither forge nor remove
    it. Without it, the ``Origin`` of a post (sent by browsers for longer) must name
    this host. A request with neither did not come from a browser's form; scripts have
    the JSON API and its secret keys. With SameSite=Lax cookies as the first line, this
    closes what Lax leaves open (another port or subdomain of the same site), without
    a hidden field in every form.
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


@bp.context_processor
def signed_in_owner() -> dict[str, Any]:
    """``current_user`` in the admin templates alone (lazy: loaded if a page uses it)."""
    return {"current_user": current_user}


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
    """The signed-in owner's site ``slug``; 404 for any other, existing or not.

    Every change to a site goes through here first, so this is also where the request
    gets its actor: the audit log names the owner (by sign-in address) for whatever the
    page does next."""
    owner = current_user.owner
    for site in owner.sites:
        if site.slug == slug:
            audit.act_as(audit.Actor("owner", owner.email))
            return site
    raise NotFound()


def field_errors(messages: Any) -> dict[str, str]:
    """marshmallow's nested messages as one line per form field."""
    if not isinstance(messages, dict):
        return {"_": "; ".join(map(str, messages))}
    result = {}
    for field, value in messages.items():
        if isinstance(value, dict):  # list fields: {index: [messages]}
            value = [f"line {int(i) + 1}: {'; '.join(m)}" for i, m in value.items()]
        result[str(field)] = "; ".join(map(str, value))
    return result


def whole_number(text: str) -> int | str:
    """A typed number as an int for ``SitePatch`` (which takes JSON integers only);
    anything else as typed, for its "Not a valid integer." message."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else text


def load_filters(schema: ma.Schema, given: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """A list's filters from the query string, checked by the API's query schema; the
    ones it refuses are left out and named, so the list is still shown."""
    try:
        return schema.load(given), []
    except ma.ValidationError as exc:
        bad = list(exc.messages) if isinstance(exc.messages, dict) else []
        return schema.load({k: v for k, v in given.items() if k not in bad}), bad


def page_of(
    fetch: Callable[[dict[str, Any]], tuple[list[T], str | None]],
    query: dict[str, Any],
    ignored: list[str],
) -> tuple[list[T], str | None, dict[str, Any], list[str]]:
    """A page of a list; a cursor of another list or a mangled one (the service's 422)
    gives the first page, with ``cursor`` named among the ``ignored`` filters."""
    try:
        items, next_cursor = fetch(query)
    except Problem as problem:
        if problem.status != 422:
            raise
        db.session.rollback()
        query = {**query, "cursor": None}
        ignored = [*ignored, "cursor"]
        items, next_cursor = fetch(query)
    return items, next_cursor, query, ignored


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
        headers["Retry-After"] = str(retry_after_from_limiter())
    return response, status, headers
