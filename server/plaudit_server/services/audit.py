"""The audit log: who did what to which object of a site, and why.

Every capability that changes something an owner answers for (moderation, edits,
deletes, replies, report decisions, settings, keys, invitations, webhooks) writes one
entry with :func:`record`, in the transaction of the change: a change that rolls back
leaves no entry. Who did it is the request's actor, set once where the request is
authenticated (:func:`act_as`: the API key, the signed-in owner, the author through
their manage link); anything outside a request (worker, CLI, thresholds) is the system.

Entries are never changed or removed: no code path does, no endpoint offers it, and
triggers in the database refuse it (migration 0012).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy.orm import Session

from ..models import AuditEntry, Site
from ..pagination import SortOrder, fingerprint, paginate
from ..timeutil import utcnow

ACTOR_TYPES = ("key", "owner", "system", "reviewer")


@dataclass(frozen=True)
class Actor:
    type: str  # one of ACTOR_TYPES
    label: str  # shown in the log: a key's name and prefix, an owner's address, ...


SYSTEM = Actor("system", "system")
REVIEWER = Actor("reviewer", "the author")

_ORDER = SortOrder((AuditEntry.at, AuditEntry.id), descending=True)

# Values longer than this are cut (a setting such as blocked words can be long).
_MAX_VALUE = 500


def act_as(actor: Actor) -> None:
    """Make ``actor`` the one every entry of this request names."""
    g.audit_actor = actor


@contextmanager
def acting_as(actor: Actor | None) -> Iterator[None]:
    """Name ``actor`` (when given) for what happens inside, then the request's again:
    a report threshold holding an item is the system's doing, not the visitor's."""
    if actor is None:
        yield
        return
    previous = g.get("audit_actor")
    g.audit_actor = actor
    try:
        yield
    finally:
        g.audit_actor = previous


def current_actor() -> Actor:
    """The request's actor, or the system outside requests (worker, CLI)."""
    if has_app_context():
        actor = g.get("audit_actor")
        if isinstance(actor, Actor):
            return actor
    return SYSTEM


def _short(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(getattr(value, "value", value))
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def record(
    session: Session,
    site: Site | str,
    action: str,
    object_id: str | None = None,
    *,
    from_value: Any = None,
    to_value: Any = None,
    reason: str | None = None,
    note: str | None = None,
    actor: Actor | None = None,
) -> AuditEntry:
    """Write one entry (``action`` such as ``review.status``, ``site.moderation``)."""
    who = actor or current_actor()
    entry = AuditEntry(
        site_id=site if isinstance(site, str) else site.id,
        at=utcnow(),
        actor_type=who.type,
        actor_label=who.label,
        action=action,
        object_id=object_id,
        from_value=_short(from_value),
        to_value=_short(to_value),
        reason=reason,
        note=note,
    )
    session.add(entry)
    return entry


def record_many(
    session: Session,
    site: Site,
    action: str,
    changes: list[tuple[str, Any, Any]],
    *,
    reason: str | None = None,
    note: str | None = None,
    actor: Actor | None = None,
) -> None:
    """One entry per ``(object_id, from, to)``, in one INSERT (bulk moderation)."""
    if not changes:
        return
    who = actor or current_actor()
    now = utcnow()
    session.add_all(
        AuditEntry(
            site_id=site.id,
            at=now,
            actor_type=who.type,
            actor_label=who.label,
            action=action,
            object_id=object_id,
            from_value=_short(old),
            to_value=_short(new),
            reason=reason,
            note=note,
        )
        for object_id, old, new in changes
    )


def entries(
    session: Session, site: Site, query: dict[str, Any]
) -> tuple[list[AuditEntry], str | None]:
    """A page of the site's log, newest first; ``object_id``, ``action`` (exact, or a
    prefix ending in ``.``: ``review.``), ``actor_type``, ``since``, ``until`` filter."""
    stmt = sa.select(AuditEntry).where(AuditEntry.site_id == site.id)
    if query.get("object_id"):
        stmt = stmt.where(AuditEntry.object_id == query["object_id"])
    action = query.get("action")
    if action:
        if action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == action)
    if query.get("actor_type"):
        stmt = stmt.where(AuditEntry.actor_type == query["actor_type"])
    if query.get("since") is not None:
        stmt = stmt.where(AuditEntry.at >= query["since"])
    if query.get("until") is not None:
        stmt = stmt.where(AuditEntry.at < query["until"])
    filters = {k: v for k, v in query.items() if k not in {"limit", "cursor"}}
    return paginate(
        session,
        stmt,
        _ORDER,
        limit=query["limit"],
        cursor=query["cursor"],
        query_fingerprint=fingerprint(kind="admin-audit", site=site.id, **filters),
    )
