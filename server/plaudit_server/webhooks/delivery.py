"""Delivering the outbox: fan events out, claim due deliveries, post them signed,
record what happened.

A run first gives each new event (``Event.dispatched_at`` null) one delivery per
enabled webhook of its site that wants its type, due at once. Then it claims up to
``WEBHOOK_BATCH`` due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers share the work; SQLite has one writer at a time) by moving their
``next_attempt_at`` past the attempt's deadline and committing, then posts them from a
small thread pool (``WEBHOOK_CONCURRENCY``: one slow receiver does not hold
up the others), then records every outcome in one transaction:

- 2xx: ``succeeded``.
- 410 Gone: ``failed``, and the webhook is disabled at once (the receiver said so).
- anything else (another status, a timeout, a refused address, a redirect): due again
  after the next step of ``WEBHOOK_RETRY_SECONDS`` (the contract's 5 s, 5 min, 30 min,
  2 h, 5 h, 10 h, 10 h), then ``failed``.

A worker that dies between claim and record leaves its deliveries due again once the
claim runs out: delivery is at least once, and receivers deduplicate by ``webhook-id``,
which is the event's id on every attempt.

When it runs: ``plaudit worker`` polls every ``WEBHOOK_POLL_SECONDS``; without Redis a
thread of the web process is woken after each commit that wrote events (work due
now), and ``plaudit run-due`` (cron) does whatever else is due, retries included.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from .. import cache, events
from ..config import number_list
from ..extensions import db
from ..ids import new_id
from ..models import Delivery, DeliveryStatus, Event, Webhook
from ..services import webhooks
from ..timeutil import utcnow
from . import signing
from .sender import Attempt, Sender

log = logging.getLogger(__name__)

_EXTENSION = "plaudit_webhooks"
PRUNE_EVERY = 3600.0  # seconds between two prunes of the outbox in one process
PRUNE_BATCH = 2000


@dataclass(frozen=True)
class _Job:
    delivery_id: str
    webhook_id: str
    url: str
    secrets: tuple[str, ...]
    event_id: str
    body: bytes
    attempts: int  # including this one


class _Runtime:
    """One app's sender (its connections), thread pool and wake-up thread."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        self.sender = Sender(
            allow_private=bool(config["WEBHOOKS_ALLOW_PRIVATE"]),
            timeout=float(config["WEBHOOK_TIMEOUT"]),
            max_read=int(config["WEBHOOK_MAX_READ"]),
            ca_certs=config["WEBHOOKS_CA_BUNDLE"],
        )
        self.pool = ThreadPoolExecutor(
            max_workers=int(config["WEBHOOK_CONCURRENCY"]), thread_name_prefix="plaudit-webhook"
        )
        self.app = app
        self.pruned_at = 0.0  # time.monotonic() of the last prune
        self.kick = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def wake(self) -> None:
        """Have the work due now done by a thread of this process (no Redis)."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="plaudit-webhooks-due", daemon=True
                )
                self.thread.start()
        self.kick.set()

    def _run(self) -> None:
        while True:
            self.kick.wait()
            self.kick.clear()
            try:
                with self.app.app_context():
                    deliver_due()
            except Exception:
                log.exception(
                    "delivering webhooks after a commit failed (the worker or "
                    "`plaudit run-due` will try again)"
                )


def init_app(app: Flask) -> None:
    """Wake the deliverer after each commit that wrote events."""
    hub = events.init_app(app)
    hub.on_commit.append(_wake)


def _runtime() -> _Runtime:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    runtime = app.extensions.get(_EXTENSION)
    if runtime is None:
        runtime = app.extensions.setdefault(_EXTENSION, _Runtime(app))
    return runtime  # type: ignore[no-any-return]


def _wake() -> None:
    if cache.store() is not None:
        return  # the worker polls every WEBHOOK_POLL_SECONDS
    _runtime().wake()


def retry_schedule() -> list[float]:
    """Seconds to wait after each failed attempt (``WEBHOOK_RETRY_SECONDS``)."""
    return number_list(current_app.config["WEBHOOK_RETRY_SECONDS"])


def deliver_due(limit: int | None = None) -> int:
    """Deliver what is due now, batch after batch; returns how many attempts were made."""
    session = db.session
    size = int(current_app.config["WEBHOOK_BATCH"])
    done = 0
    try:
        while _dispatch(session, size):
            pass
        while limit is None or done < limit:
            jobs = _claim(session, size if limit is None else min(size, limit - done))
            if not jobs:
                break
            _attempt_and_record(session, jobs)
            done += len(jobs)
        runtime = _runtime()
        if time.monotonic() - runtime.pruned_at >= PRUNE_EVERY or not runtime.pruned_at:
            runtime.pruned_at = time.monotonic()
            prune(session)
    finally:
        session.rollback()
    return done


def _dispatch(session: Session, size: int) -> int:
    """Fan up to ``size`` new events out to the webhooks that want them now and existed
    when they happened: one delivery each, due at once. Returns how many events it took
    (0: none left)."""
    rows = session.execute(
        sa.select(Event.id, Event.site_id, Event.type, Event.created_at)
        .where(Event.dispatched_at.is_(None))
        .order_by(Event.created_at)
        .limit(size)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        session.rollback()
        return 0
    hooks: dict[str, list[tuple[str, list[str], datetime]]] = {}
    for hook_id, site_id, wanted, created_at in session.execute(
        sa.select(Webhook.id, Webhook.site_id, Webhook.events, Webhook.created_at).where(
            Webhook.site_id.in_({row.site_id for row in rows}), Webhook.enabled.is_(True)
        )
    ):
        hooks.setdefault(site_id, []).append((hook_id, wanted, created_at))
    now = utcnow()
    deliveries = [
        {
            "id": new_id("dlv"),
            "webhook_id": hook_id,
            "event_id": row.id,
            "type": row.type,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": row.created_at,
        }
        for row in rows
        for hook_id, wanted, since in hooks.get(row.site_id, ())
        # A webhook hears of what happens from its creation on, not of a backlog.
        if since <= row.created_at and ("*" in wanted or row.type in wanted)
    ]
    if deliveries:
        session.execute(sa.insert(Delivery), deliveries)
    session.execute(
        sa.update(Event).where(Event.id.in_([row.id for row in rows])).values(dispatched_at=now)
    )
    session.commit()
    return len(rows)


def prune(session: Session) -> int:
    """Forget events older than ``WEBHOOK_RETENTION_DAYS`` with nothing left to deliver,
    and their deliveries: the log shows a month, the outbox does not grow for ever.
    Returns how many events went."""
    cutoff = utcnow() - timedelta(days=float(current_app.config["WEBHOOK_RETENTION_DAYS"]))
    busy = sa.select(Delivery.id).where(
        Delivery.event_id == Event.id, Delivery.status == DeliveryStatus.PENDING
    )
    done = Event.dispatched_at.is_not(None)
    gone = 0
    while True:
        old = list(
            session.scalars(
                sa.select(Event.id)
                .where(Event.created_at < cutoff, done, ~busy.exists())
                .limit(PRUNE_BATCH)
            )
        )
        if not old:
            break
        session.execute(sa.delete(Delivery).where(Delivery.event_id.in_(old)))
        session.execute(sa.delete(Event).where(Event.id.in_(old)))
        session.commit()
        gone += len(old)
    session.rollback()
    return gone


def deliver_claimed(delivery_id: str) -> Delivery:
    """Attempt a delivery that this request claimed in its own transaction (the test
    and "send again" buttons: ``services.webhooks.ping`` and ``schedule_retry``), so no
    worker can take it first, and return it as it then stands: the answer tells the
    outcome."""
    session = db.session
    rows = session.execute(
        _rows().where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING)
    ).all()
    session.rollback()
    if rows:
        _attempt_and_record(session, [_job(row, row.attempts) for row in rows])
    found = session.get(Delivery, delivery_id, populate_existing=True)
    assert found is not None
    return found


def _rows() -> sa.Select[str, int, str, Webhook, str]:
    return (
        sa.select(Delivery.id, Delivery.attempts, Delivery.event_id, Webhook, Event.body)
        .join(Webhook, Delivery.webhook_id == Webhook.id)
        .join(Event, Delivery.event_id == Event.id)
        .where(Webhook.enabled.is_(True))
    )


def _job(row: Any, attempts: int) -> _Job:
    return _Job(
        delivery_id=row.id,
        webhook_id=row.Webhook.id,
        url=row.Webhook.url,
        secrets=tuple(webhooks.signing_secrets(row.Webhook)),
        event_id=row.event_id,
        body=row.body.encode(),
        attempts=attempts,
    )


def _claim(session: Session, size: int) -> list[_Job]:
    now = utcnow()
    stmt = (
        _rows()
        .where(Delivery.next_attempt_at <= now, Delivery.status == DeliveryStatus.PENDING)
        .order_by(Delivery.next_attempt_at)
        .limit(size)
        .with_for_update(of=Delivery, skip_locked=True)
    )
    rows = session.execute(stmt).all()
    if not rows:
        session.rollback()
        return []
    webhooks.claim(session, [row.id for row in rows], now)
    jobs = [_job(row, row.attempts + 1) for row in rows]
    session.commit()
    return jobs


def _post(sender: Sender, job: _Job) -> Attempt:
    headers = signing.headers(job.event_id, int(time.time()), job.body, job.secrets)
    try:
        return sender.post(job.url, job.body, headers)
    except Exception as exc:  # the sender records receivers' faults; this is ours
        log.exception("webhook delivery %s failed in the sender", job.delivery_id)
        return Attempt(status=None, error=f"internal error: {type(exc).__name__}", duration_ms=0)


def _attempt_and_record(session: Session, jobs: list[_Job]) -> None:
    runtime = _runtime()
    if len(jobs) == 1:
        outcomes = [_post(runtime.sender, jobs[0])]
    else:
        outcomes = list(runtime.pool.map(lambda job: _post(runtime.sender, job), jobs))
    _record(session, jobs, outcomes)


GONE = "The receiver answered 410 Gone: the webhook was disabled."


def _record(session: Session, jobs: list[_Job], outcomes: list[Attempt]) -> None:
    schedule = retry_schedule()
    now = utcnow()
    # Webhooks whose receiver said 410 are disabled first: their site, then the webhook,
    # then its deliveries, the order in which every change of webhooks locks them
    # (services/webhooks.py), so this never deadlocks against an owner's change.
    said_gone = {j.webhook_id for j, o in zip(jobs, outcomes, strict=True) if o.status == 410}
    for webhook_id in sorted(said_gone):
        webhook = session.get(Webhook, webhook_id)
        if webhook is not None and webhook.enabled:
            webhooks.disable(session, webhook, GONE)
    for job, outcome in zip(jobs, outcomes, strict=True):
        values: dict[str, object] = {"response_status": outcome.status}
        if outcome.ok:
            values |= {"status": DeliveryStatus.SUCCEEDED, "next_attempt_at": None, "error": None}
        elif outcome.status == 410:
            values |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None, "error": GONE}
        else:
            error = outcome.error or f"The receiver answered {outcome.status}."
            if job.attempts <= len(schedule):
                retry_at = now + timedelta(seconds=schedule[job.attempts - 1])
                values |= {"next_attempt_at": retry_at}
            else:
                values |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
            values["error"] = error[:300]
        session.execute(sa.update(Delivery).where(Delivery.id == job.delivery_id).values(**values))
    session.commit()
