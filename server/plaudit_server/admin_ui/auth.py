"""Signing in and out, the owner behind a session, changing the password."""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any

import sqlalchemy as sa
from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..models import Owner
from ..services import sites
from ..visitors import client_ip
from .app import bp, login_manager

MIN_PASSWORD_LENGTH = 10


@functools.cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so a miss costs the same time as a wrong
    password and response times do not tell which emails have accounts. Made on the
    first sign-in, not at start-up (Argon2 takes its time and its memory)."""
    return sites.hash_password("not the password of anyone")


class AdminUser(UserMixin):
    """The signed-in owner, as Flask-Login wants it.

    The session stores the owner id plus a stamp derived from the password hash: a new
    password changes the stamp, which signs out every other session at once.
    """

    def __init__(self, owner: Owner) -> None:
        self.owner = owner

    def get_id(self) -> str:
        return f"{self.owner.id}.{_stamp(self.owner)}"


def _stamp(owner: Owner) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, owner.password_hash.encode(), hashlib.sha256).hexdigest()[:20]


@login_manager.user_loader
def load_user(user_id: str) -> AdminUser | None:
    owner_id, _, stamp = user_id.partition(".")
    owner = db.session.get(Owner, owner_id)
    if owner is None or not hmac.compare_digest(stamp, _stamp(owner)):
        return None
    return AdminUser(owner)


def safe_next(target: str | None) -> str | None:
    """Only paths of this admin page: no open redirect to another host."""
    if not target or not target.startswith("/admin/"):
        return None
    return None if any(c in target for c in "\\\r\n") else target


# ---------------------------------------------------------------- throttling

# Only failed attempts count (deduct_when), per client address and per email, so a
# guesser is slowed whichever of the two they vary. Both limits are short windows: the
# per-email one can be triggered by anyone, and it must not lock an owner out for long.


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _ip_key() -> str:
    return "admin-login-ip:" + client_ip()


def _email_key() -> str:
    email = request.form.get("email", "").strip().lower()
    return "admin-login-email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _ip_limit() -> str:
    return str(current_app.config["ADMIN_LOGIN_LIMIT_PER_IP"])


def _email_limit() -> str:
    return str(current_app.config["ADMIN_LOGIN_LIMIT_PER_EMAIL"])


# ---------------------------------------------------------------- views


@bp.get("/login")
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("admin_ui.index"))
    return render_template("admin/login.html", email="", next=safe_next(request.args.get("next")))


@bp.post("/login")
@limiter.limit(_ip_limit, key_func=_ip_key, deduct_when=_failed)
@limiter.limit(_email_limit, key_func=_email_key, deduct_when=_failed)
def login_post() -> Any:
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    owner = db.session.scalar(sa.select(Owner).where(Owner.email == email)) if email else None
    if owner is None:
        sites.verify_password(Owner(password_hash=_dummy_hash()), password)
    elif sites.verify_password(owner, password):
        session.clear()  # nothing from before sign-in survives it (fixation)
        login_user(AdminUser(owner))
        return redirect(target or url_for("admin_ui.index"))
    page = render_template(
        "admin/login.html", email=email, next=target, error="Wrong email or password."
    )
    return page, 401


@bp.post("/logout")
def logout() -> Any:
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
@login_required
def change_password() -> Any:
    owner: Owner = current_user.owner
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    errors: dict[str, str] = {}
    if not sites.verify_password(owner, current):
        errors["current_password"] = "This is not your current password."
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new_password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif new != request.form.get("confirm_password", ""):
        errors["confirm_password"] = "The two new passwords differ."
    if errors:
        return render_template("admin/account.html", site=None, errors=errors), 422
    owner.password_hash = sites.hash_password(new)
    db.session.commit()
    # The stamp changed: other sessions are now signed out; keep this one.
    login_user(AdminUser(owner))
    flash("Password changed. Other sessions are signed out.", "success")
    return redirect(url_for("admin_ui.account"))
