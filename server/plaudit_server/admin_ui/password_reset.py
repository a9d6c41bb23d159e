"""Owners who forgot their password: a link by e-mail, good once, for an hour.

``/admin/forgot`` takes an address and answers the same page, with the same status,
whether or not an owner has it, and sends the mail only after the answer has gone out
(:meth:`Response.call_on_close`), so neither the page nor its timing tells a stranger
which addresses have accounts. It is rate limited per client network and per address
(``ADMIN_RESET_LIMIT_PER_IP``, ``ADMIN_RESET_LIMIT_PER_EMAIL``): nobody can use it to
flood someone's inbox, or to try addresses by the thousand.

The link carries a signed, timestamped token (``ADMIN_RESET_MAX_AGE`` seconds, an hour
by default) of the owner's id and a keyed fingerprint of their password hash and
session version. Nothing is stored: once the password changes (or the owner signs out
everywhere) the fingerprint no longer matches, so a link works once, and every older
link dies with it. Setting the new password ends every session of the owner (as the
account page's change does) and sends them to sign in with it: signing in is where
the password is checked, rate limited, and where a session begins.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import sqlalchemy as sa
from flask import (
    Flask,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db, limiter
from ..mail import Mail, MailError, mailer, public_url, render
from ..models import Owner
from ..services import sites
from ..visitors import client_ip, keyed_hash, network_prefix
from .auth import MIN_PASSWORD_LENGTH, _end_every_session, password_hashing
from .base import bp

log = logging.getLogger(__name__)

_SALT = "plaudit.admin-password-reset"


# ---------------------------------------------------------------- tokens


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(owner: Owner) -> str:
    """Changes when the password does, and when every session is ended."""
    return keyed_hash("password-reset", owner.id, str(owner.session_version), owner.password_hash)


def reset_token(owner: Owner) -> str:
    """The token of ``owner``'s reset link, good until the password changes."""
    return str(_serializer().dumps([owner.id, _fingerprint(owner)]))


class InvalidLink(Exception):
    """A reset link that cannot be used; ``status`` and ``message`` say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def owner_for(token: str, *, lock: bool = False) -> Owner:
    """The owner a valid, unused, unexpired link is for; :class:`InvalidLink` else."""
    max_age = int(current_app.config["ADMIN_RESET_MAX_AGE"])
    try:
        value = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidLink(410, "This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise InvalidLink(
            400, "This link is not valid. Copy the whole link from the e-mail."
        ) from None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise InvalidLink(400, "This link is not valid. Copy the whole link from the e-mail.")
    owner_id, fingerprint = value
    query = sa.select(Owner).where(Owner.id == owner_id)
    owner = db.session.scalar(query.with_for_update() if lock else query)
    if owner is None or not hmac.compare_digest(fingerprint, _fingerprint(owner)):
        raise InvalidLink(410, "This link was already used. Ask for a new one if you need it.")
    return owner


# ---------------------------------------------------------------- throttling


def _network_key() -> str:
    return "admin-reset-net:" + keyed_hash("net", network_prefix(client_ip()))


def _email_key() -> str:
    # Per address wherever the requests come from: its inbox is what is protected.
    return "admin-reset-email:" + keyed_hash("reset-email", _email())


def _ip_limit() -> str:
    return str(current_app.config["ADMIN_RESET_LIMIT_PER_IP"])


def _email_limit() -> str:
    return str(current_app.config["ADMIN_RESET_LIMIT_PER_EMAIL"])


def _email() -> str:
    return request.form.get("email", "").strip().lower()


# ---------------------------------------------------------------- the mail


def _send_link(app: Flask, to: str, url: str) -> None:
    """Render and send the reset mail (after the response: see the module's doc)."""
    with app.app_context():
        minutes = int(app.config["ADMIN_RESET_MAX_AGE"]) // 60
        text, html = render("password_reset", "en", url=url, email=to, minutes=minutes)
        message = Mail(to=to, subject="Reset your Plaudit password", text=text, html=html)
        try:
            mailer().send(message)
        except MailError:
            log.warning("could not send a password reset mail", exc_info=True)


# ---------------------------------------------------------------- views


@bp.get("/forgot")
def forgot_password() -> Any:
    return render_template("admin/forgot_password.html", site=None, sent=False, email="")


@bp.post("/forgot")
@limiter.limit(_ip_limit, key_func=_network_key)
@limiter.limit(_email_limit, key_func=_email_key)
def forgot_password_post() -> Any:
    email = _email()
    owner = db.session.scalar(sa.select(Owner).where(Owner.email == email)) if email else None
    link = None
    if owner is not None:
        path = url_for("admin_ui.reset_password", token=reset_token(owner))
        link = (owner.email, public_url(path))
    db.session.rollback()
    response = make_response(
        render_template("admin/forgot_password.html", site=None, sent=True, email=email)
    )
    if link is not None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: _send_link(app, *link))
    return response


@bp.get("/reset/<token>")
def reset_password(token: str) -> Any:
    try:
        owner_for(token)
    except InvalidLink as invalid:
        return _invalid(invalid)
    finally:
        db.session.rollback()
    return render_template("admin/reset_password.html", site=None, token=token, errors={})


@bp.post("/reset/<token>")
def reset_password_post(token: str) -> Any:
    new = request.form.get("new_password", "")
    errors: dict[str, str] = {}
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new_password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif new != request.form.get("confirm_password", ""):
        errors["confirm_password"] = "The two passwords differ."
    try:
        owner_for(token)  # before Argon2: a dead link costs nothing
    except InvalidLink as invalid:
        return _invalid(invalid)
    finally:
        db.session.rollback()  # no transaction held through Argon2
    if errors:
        page = render_template("admin/reset_password.html", site=None, token=token, errors=errors)
        return page, 422
    with password_hashing():
        new_hash = sites.hash_password(new)
    try:
        owner = owner_for(token, lock=True)  # again, locked: two posts of one link, one wins
    except InvalidLink as invalid:
        db.session.rollback()
        return _invalid(invalid)
    owner.password_hash = new_hash
    _end_every_session(owner)
    db.session.commit()
    flash("Your password is changed. Sign in with the new one.", "success")
    return redirect(url_for("admin_ui.login"))


def _invalid(invalid: InvalidLink) -> Any:
    page = render_template(
        "admin/reset_password.html", site=None, token=None, errors={}, invalid=invalid.message
    )
    return page, invalid.status
