"""Sites, their secret keys and their owners.

Secret keys are ``sk_live_`` plus 32 random bytes: recognisable by secret scanners, and
with that much entropy a plain SHA-256 is the right storage (a slow KDF would only slow
every API call). Owner passwords, which people choose, get Argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from .. import cache
from ..errors import Problem
from ..models import ApiKey, Moderation, Owner, Site
from ..timeutil import utcnow
from . import audit

KEY_PREFIX = "sk_live_"


_HASHER = PasswordHasher()


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)  # type: ignore[no-any-return]


def verify_password(owner: Owner, password: str) -> bool:
    try:
        return _HASHER.verify(owner.password_hash, password)  # type: ignore[no-any-return]
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class NewSite:
    site: Site
    secret_key: str
    owner: Owner
    password: str | None  # only when it was generated here


def create_api_key(session: Session, site: Site, name: str = "default") -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and never stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(site=site, name=name, prefix=secret[:12], key_hash=hash_key(secret))
    session.add(key)
    session.flush()
    audit.record(session, site, "key.created", key.id, to_value=key_actor(key).label)
    return key, secret


def api_keys(session: Session, site: Site) -> list[ApiKey]:
    """The site's keys, working ones first, newest first."""
    return list(
        session.scalars(
            sa.select(ApiKey)
            .where(ApiKey.site_id == site.id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id)
        )
    )


def revoke_api_key(session: Session, site: Site, key_id: str) -> ApiKey:
    """Stop the site's key ``key_id`` from working (again: nothing changes)."""
    key = session.scalar(sa.select(ApiKey).where(ApiKey.id == key_id, ApiKey.site_id == site.id))
    if key is None:
        raise Problem(404, f"There is no key {key_id!r}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, site, "key.revoked", key.id, from_value=key_actor(key).label)
    return key


def create_site(
    session: Session,
    slug: str,
    *,
    name: str | None = None,
    origins: list[str] | tuple[str, ...] = (),
    owner_email: str,
    password: str | None = None,
    moderation: Moderation = Moderation.POST,
) -> NewSite:
    """Create a site with one secret key and attach (or create) its owner account."""
    if session.scalar(sa.select(Site.id).where(Site.slug == slug)):
        raise Problem(409, f"A site with the id {slug!r} already exists.")
    site = Site(
        slug=slug,
        name=name or slug,
        allowed_origins=list(origins),
        moderation=moderation,
        blocked_words=[],
    )
    session.add(site)
    email = owner_email.strip().lower()
    owner = session.scalar(sa.select(Owner).where(Owner.email == email))
    generated = None
    if owner is None:
        if password is None:
            password = generated = secrets.token_urlsafe(12)
        owner = Owner(email=email, password_hash=hash_password(password))
        session.add(owner)
    elif password is not None:
        owner.password_hash = hash_password(password)
    site.owners.append(owner)
    _, secret = create_api_key(session, site)
    session.flush()
    return NewSite(site=site, secret_key=secret, owner=owner, password=generated)


def site_for_key(session: Session, secret: str) -> Site | None:
    """The site a secret key belongs to, or None for an unknown or revoked key."""
    key = key_for_secret(session, secret)
    return None if key is None else key.site


def key_for_secret(session: Session, secret: str) -> ApiKey | None:
    """The working key ``secret`` is, or None for an unknown or revoked key."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    digest = hash_key(secret)
    key = session.scalar(
        sa.select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    )
    # The lookup is by hash, so timing reveals nothing of the key; compare anyway so a
    # future lookup by prefix stays safe.
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    return key


def key_actor(key: ApiKey) -> audit.Actor:
    """How the audit log names what a key did: its name and its first characters."""
    return audit.Actor("key", f"{key.name} ({key.prefix}…)")


def rate_limit(site: Site | None, name: str, defaults: dict[str, Any]) -> str:
    """The limit ``name`` (e.g. ``submissions_per_visitor``) in force for ``site``."""
    overrides = (site.rate_limits or {}) if site is not None else {}
    return overrides.get(name) or defaults[f"RATELIMIT_{name.upper()}"]


def site_by_slug(session: Session, slug: str) -> Site:
    site = session.scalar(sa.select(Site).where(Site.slug == slug))
    if site is None:
        raise no_such_site(slug)
    return site


def no_such_site(slug: str) -> Problem:
    return Problem(404, f"There is no site {slug!r}.")


def update_site(session: Session, site: Site, updates: dict[str, object]) -> Site:
    """Apply a settings change; each setting that changed is written to the audit log."""
    before = _settings(site)
    if "rate_limits" in updates:
        overrides = updates["rate_limits"] or {}
        merged = {**(site.rate_limits or {}), **overrides}  # type: ignore[dict-item]
        site.rate_limits = {k: v for k, v in merged.items() if v is not None} or None
        if updates["rate_limits"] is None:
            site.rate_limits = None
    for field in (
        *("name", "allowed_origins", "moderation", "blocked_words", "locale"),
        *("invite_delay_days", "invite_reminder_days", "invite_ttl_days"),
        *("report_threshold", "guidelines"),
    ):
        if field in updates:
            value = updates[field]
            if field == "allowed_origins":
                value = list(dict.fromkeys(value))  # type: ignore[call-overload]
            if field == "blocked_words":
                # Kept as typed; duplicates that differ only in case collapse, since the
                # check compares case-insensitively.
                seen: dict[str, str] = {}
                for word in value:  # type: ignore[attr-defined]
                    seen.setdefault(word.casefold(), word)
                value = list(seen.values())
            if field == "moderation":
                value = Moderation(str(value))
            if field == "guidelines" and not value:
                value = None  # empty: the default text again
            setattr(site, field, value)
    notifications = updates.get("notifications") or {}
    assert isinstance(notifications, dict)
    if "owner_email" in notifications:
        site.notify_email = notifications["owner_email"]
    if "new_items" in notifications:
        site.notify_new_items = notifications["new_items"]
    site.updated_at = utcnow()
    cache.touch(session, site.slug)  # cached reads carry the site's allowed origins
    after = _settings(site)
    for name, value in before.items():
        if after[name] != value:
            audit.record(
                session, site, f"site.{name}", site.slug, from_value=value, to_value=after[name]
            )
    return site


def _settings(site: Site) -> dict[str, str | None]:
    """The settings as the audit log tells them: short strings, lists joined."""
    values: dict[str, Any] = {
        name: getattr(site, name)
        for name in (
            *("name", "allowed_origins", "moderation", "blocked_words", "rate_limits", "locale"),
            *("invite_delay_days", "invite_reminder_days", "invite_ttl_days"),
            *("report_threshold", "guidelines", "notify_email", "notify_new_items"),
        )
    }
    out: dict[str, str | None] = {}
    for name, value in values.items():
        if isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
        out[name] = None if value is None else str(getattr(value, "value", value))
    return out


def notify_address(site: Site) -> str | None:
    """Where the shop hears of new items: its chosen address, else its first owner's."""
    if site.notify_email:
        return site.notify_email
    owners = sorted(site.owners, key=lambda owner: owner.created_at)
    return owners[0].email if owners else None
