"""Events: what happened to a site's items, told to its webhooks and to listeners here.

Every capability reports its changes with one call, in the transaction of the change::

    events.emit(session, site, "review.created", review)

``emit`` first calls the in-process listeners of that type (notifications subscribe
here), then, if any of the site's enabled webhooks wants the type (the site row says
which types, ``Site.webhook_events``: no query), writes the event to the outbox table
(``models.Event``) in the same transaction: a change that rolls back leaves no event,
a change that commits cannot lose its event, whatever Redis or the worker are doing.
After the commit the deliverer is woken (``on_commit``: a thread of this process
without Redis; with Redis the worker polls), fans the event out to one delivery per
webhook that wants it, and delivers them; anything it misses is found by its next poll
or by ``plaudit run-due``. One INSERT is all an event costs the request.

The payload is ``{"type", "timestamp", "data"}``, ``data`` being the object's admin
form (registered at start-up by whoever owns the schemas: ``Hub.forms``), so an event
type costs one ``emit`` line where the change happens.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from .models import Delivery, Event, Site
from .timeutil import isoformat, utcnow

EVENT_TYPES = (
    "review.created",
    "review.updated",
    "review.deleted",
    "comment.created",
    "comment.updated",
    "comment.deleted",
    "invitation.reviewed",
    "report.created",
    "report.decided",
    "question.created",
    "answer.created",
    "idea.created",
    "idea.updated",
    "ping",
)

# A listener gets (session, site, object, extra) in the transaction of the change.
Listener = Callable[[Session, Site, Any, dict[str, Any]], None]

_PENDING = "plaudit.events"  # session.info: this transaction wrote events


@dataclass
class Hub:
    """An app's event wiring, set up by the modules that own each part at start-up."""

    # The admin form of each kind of object, by model class.
    forms: dict[type, Callable[[Any], dict[str, Any]]] = field(default_factory=dict)
    listeners: dict[str, list[Listener]] = field(default_factory=lambda: defaultdict(list))
    # Called after a commit that wrote events: the deliverer's wake-up call.
    on_commit: list[Callable[[], None]] = field(default_factory=list)


def init_app(app: Flask) -> Hub:
    """Give ``app`` its hub (once; later calls return the same one)."""
    hub: Hub = app.extensions.setdefault("plaudit_events", Hub())
    return hub


def hub() -> Hub:
    return current_app.extensions["plaudit_events"]  # type: ignore[no-any-return]


def listen(app: Flask, event_type: str, listener: Listener) -> None:
    """Have ``listener`` called in the transaction of every ``event_type`` emitted."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    listeners = init_app(app).listeners[event_type]
    if listener not in listeners:
        listeners.append(listener)


def emit(
    session: Session,
    site: Site,
    event_type: str,
    obj: Any = None,
    *,
    data: dict[str, Any] | None = None,
    previous: dict[str, Any] | None = None,
    only: str | None = None,
) -> Event | None:
    """Record that ``event_type`` happened to ``obj`` (or to ``data``, an object already
    in its admin form, e.g. one about to be deleted). ``previous`` names what changed
    from (``{"status": "pending"}``). Returns the outbox row, or None when none of the
    site's webhooks wants the type (``Site.webhook_events``: no query to know).

    The row is all the request writes: the deliverer fans it out to the webhooks that
    want it. ``only`` (a webhook id) is the exception: the event goes to that webhook
    alone, whatever it subscribes to, its delivery written here (the test ``ping``)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    wiring = hub()
    for listener in wiring.listeners.get(event_type, ()):
        listener(session, site, obj, {"previous": previous})
    if only is None and not _wants(site, event_type):
        return None
    if data is None:
        data = form_of(obj, wiring)
    now = utcnow()
    payload: dict[str, Any] = {"type": event_type, "timestamp": isoformat(now), "data": data}
    if previous is not None:
        payload["previous"] = previous
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    outbox = Event(site_id=site.id, type=event_type, body=body, created_at=now)
    if only is not None:
        outbox.dispatched_at = now
        session.add(
            Delivery(
                event=outbox, webhook_id=only, type=event_type, next_attempt_at=now, created_at=now
            )
        )
    session.add(outbox)
    session.info[_PENDING] = True
    return outbox


def _wants(site: Site, event_type: str) -> bool:
    wanted = site.webhook_events or ()
    return "*" in wanted or event_type in wanted


def wanted(site: Site, event_type: str) -> bool:
    """Whether emitting ``event_type`` would do anything (a listener, a webhook): a
    caller that must load objects to emit them asks first."""
    return bool(hub().listeners.get(event_type)) or _wants(site, event_type)


def form_of(obj: Any, wiring: Hub | None = None) -> dict[str, Any]:
    """``obj`` in its admin form, as the admin API shows it."""
    forms = (wiring or hub()).forms
    for cls in type(obj).__mro__:
        if cls in forms:
            return forms[cls](obj)
    raise TypeError(f"no admin form registered for {type(obj).__name__}")


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False) and has_app_context():
        wiring: Hub | None = current_app.extensions.get("plaudit_events")
        for wake in wiring.on_commit if wiring else ():
            wake()


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
