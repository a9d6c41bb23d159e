"""Signing in and out, the owner behind a session, changing the password.

Sign-in attempts are throttled before their password is checked: flask-limiter counts
each attempt on arrival (atomically, in Redis or in memory), so of any number sent at
once only as many as the limits allow reach Argon2, and the rest are answered 429 with
Retry-After. Two counts: per client network (``ADMIN_LOGIN_LIMIT_PER_IP``; /24 for IPv4,
/64 for IPv6, so rotating addresses within one's own network does not help), and per
email on that network (``ADMIN_LOGIN_LIMIT_PER_EMAIL``), whose tiers make a growing
wait (the back-off). A stranger guessing an owner's password from elsewhere therefore
never delays the owner's own sign-in. A successful sign-in clears the email's count on
its network; the network's count stays (or one account of one's own would reset it
between guesses at another's). Argon2 itself (64 MiB a verification) runs at most
``ADMIN_PASSWORD_HASHING_CONCURRENCY`` at a time in a process: beyond that, a request
waits ``ADMIN_PASSWORD_HASHING_WAIT`` seconds for a turn, then is answered 503.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from werkzeug.exceptions import ServiceUnavailable

from ..extensions import db, limiter
from ..models import Owner
from ..services import sites
from ..visitors import client_ip, keyed_hash, network_prefix
from .base import bp, login_manager
from .sessions import PREFIX, SIGNED_IN_AT, max_session_age

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10


@functools.cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so a miss costs the same time as a wrong
    password and response times do not tell which emails have accounts. Made on the
    first sign-in, not at start-up (Argon2 takes its time and its memory)."""
    return sites.hash_password("not the password of anyone")


@contextmanager
def password_hashing() -> Iterator[None]:
    """One of the process's few turns at Argon2, or 503 if none frees up in time."""
    turns = current_app.extensions["plaudit_password_hashing"]
    if not turns.acquire(timeout=float(current_app.config["ADMIN_PASSWORD_HASHING_WAIT"])):
        raise ServiceUnavailable("The server is busy. Try again in a moment.", retry_after=1)
    try:
        yield
    finally:
        turns.release()


class AdminUser(UserMixin):
    """The signed-in owner, as Flask-Login wants it.

    The session stores the owner id, the owner's session version, and a stamp derived
    from both and the password hash. Signing out and changing the password bump the
    version, which ends every session issued before (a copied cookie included); the
    session that changed the password is issued again with the new version.
    """

    def __init__(self, owner: Owner) -> None:
        self.owner = owner

    def get_id(self) -> str:
        return f"{self.owner.id}.{self.owner.session_version}.{_stamp(self.owner)}"


def _stamp(owner: Owner) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{owner.id}\x1f{owner.session_version}\x1f{owner.password_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


@login_manager.user_loader
def load_user(user_id: str) -> AdminUser | None:
    owner_id, version, stamp = [*user_id.split("."), "", ""][:3]
    owner = db.session.get(Owner, owner_id)
    if owner is None or version != str(owner.session_version):
        return None  # signed out, or the password changed, since this session began
    if not hmac.compare_digest(stamp, _stamp(owner)):
        return None
    signed_in_at = session.get(SIGNED_IN_AT)
    max_age = max_session_age(current_app).total_seconds()
    if not isinstance(signed_in_at, int) or time.time() - signed_in_at > max_age:
        return None
    return AdminUser(owner)


def _end_every_session(owner: Owner) -> None:
    """Bump ``owner``'s session version (in SQL, so two at once both count)."""
    owner.session_version = Owner.session_version + 1  # type: ignore[assignment]
    db.session.flush()  # the attribute is expired and reloads with the new value


def safe_next(target: str | None) -> str | None:
    """Only paths of this admin page: no open redirect to another host."""
    if not target or not target.startswith(PREFIX + "/"):
        return None
    return None if any(c in target for c in "\\\r\n") else target


# ---------------------------------------------------------------- throttling

EMAIL_KEY = "admin-login-email:"


def _network_key() -> str:
    return "admin-login-net:" + keyed_hash("net", network_prefix(client_ip()))


def _email_key() -> str:
    email = request.form.get("email", "").strip().lower()
    return EMAIL_KEY + keyed_hash("email", email, network_prefix(client_ip()))


def _owner_key() -> str:
    return "admin-password-check:" + str(current_user.owner.id)


def _ip_limit() -> str:
    return str(current_app.config["ADMIN_LOGIN_LIMIT_PER_IP"])


def _email_limit() -> str:
    return str(current_app.config["ADMIN_LOGIN_LIMIT_PER_EMAIL"])


def _password_check_limit() -> str:
    return str(current_app.config["ADMIN_PASSWORD_CHECK_LIMIT"])


def _forget_failures() -> None:
    """Clear this request's email-on-network counts (the owner got in)."""
    for limit in limiter.current_limits:
        if any(str(arg).startswith(EMAIL_KEY) for arg in limit.request_args):
            try:
                limiter.limiter.clear(limit.limit, *limit.request_args)
            except Exception:  # the storage may be down; the counts then expire alone
                log.warning("could not clear sign-in counts", exc_info=True)


# ---------------------------------------------------------------- views


@bp.get("/login")
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("admin_ui.index"))
    return render_template("admin/login.html", email="", next=safe_next(request.args.get("next")))


@bp.post("/login")
@limiter.limit(_ip_limit, key_func=_network_key)  # every attempt counts, before checking
@limiter.limit(_email_limit, key_func=_email_key)
def login_post() -> Any:
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    owner = db.session.scalar(sa.select(Owner).where(Owner.email == email)) if email else None
    db.session.commit()  # no transaction held through Argon2 (on SQLite: the write lock)
    with password_hashing():
        if owner is None:
            sites.verify_password(Owner(password_hash=_dummy_hash()), password)
            correct = False
        else:
            correct = sites.verify_password(owner, password)
    if correct:
        assert owner is not None
        _forget_failures()
        session.clear()  # nothing from before sign-in survives it (fixation)
        login_user(AdminUser(owner))
        session[SIGNED_IN_AT] = int(time.time())  # and the cookie expires when idle
        return redirect(target or url_for("admin_ui.index"))
    page = render_template(
        "admin/login.html", email=email, next=target, error="Wrong email or password."
    )
    return page, 401


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        _end_every_session(current_user.owner)  # a copy of this cookie ends here too
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("admin_ui.login"))


@bp.get("/")
@login_required
def index() -> Any:
    owned = sorted(current_user.owner.sites, key=lambda s: s.name.lower())
    if len(owned) == 1:
        return redirect(url_for("admin_ui.reviews", slug=owned[0].slug))
    return render_template("admin/sites.html", sites=owned, site=None)


@bp.get("/account")
@login_required
def account() -> Any:
    return render_template("admin/account.html", site=None, errors={})


@bp.post("/account/password")
@login_required  # first: the limit below counts per signed-in owner
@limiter.limit(_password_check_limit, key_func=_owner_key)
def change_password() -> Any:
    owner: Owner = current_user.owner
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    errors: dict[str, str] = {}
    db.session.commit()  # no transaction held through Argon2 (on SQLite: the write lock)
    with password_hashing():
        correct = sites.verify_password(owner, current)
    if not correct:
        errors["current_password"] = "This is not your current password."
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new_password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif new != request.form.get("confirm_password", ""):
        errors["confirm_password"] = "The two new passwords differ."
    if errors:
        return render_template("admin/account.html", site=None, errors=errors), 422
    with password_hashing():
        new_hash = sites.hash_password(new)
    owner.password_hash = new_hash
    _end_every_session(owner)
    db.session.commit()
    # Every session so far is signed out; this one goes on with the new version.
    login_user(AdminUser(owner))
    flash("Password changed. Other sessions are signed out.", "success")
    return redirect(url_for("admin_ui.account"))
