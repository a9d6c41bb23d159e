"""Background jobs: RQ (Redis Queue) with Redis, inline without it.

The ``worker`` line of the Procfile runs ``plaudit worker``: it runs the queued jobs
and, beside them, calls poll functions on their own clocks (the CLI passes
``invitation_delivery.deliver_due`` every ``WORKER_POLL_SECONDS`` and the webhooks'
``deliver_due`` every ``WEBHOOK_POLL_SECONDS``), so work that falls due later
(scheduled review requests, reminders, expiry, webhook retries) is done without cron.
One job refreshes a site's admin statistics after a write, so the next
``GET /api/v1/admin/stats`` finds them ready. Statistics are cached under the site's
generation number, so a cached copy is used only while nothing has changed: they are
never stale, the job only saves the next reader the work.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, current_app
from rq import Queue, SimpleWorker

from . import cache
from .extensions import db
from .services import sites, stats

log = logging.getLogger(__name__)


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None) -> None:
    """Run ``func(*args)`` on a worker if there is Redis, else right now."""
    fast = cache.store()
    if fast is None:
        func(*args)
        return

    def put(client: Any) -> Any:
        return Queue(queue_name(fast), connection=client).enqueue(
            func,
            *args,
            # RQ allows only [A-Za-z0-9_-] in ids; the prefix keeps deployments apart.
            job_id=None if job_id is None else re.sub(r"[^A-Za-z0-9_-]", "_", fast.prefix + job_id),
            result_ttl=0,
            failure_ttl=3600,
        )

    if fast.call(put) is None:
        log.debug("could not enqueue %s: Redis unavailable", func.__name__)


def queue_name(fast: cache.FastStore) -> str:
    return fast.prefix + "jobs"


def refresh_stats(site_slug: str) -> None:
    """Job: compute and cache a site's statistics (run by ``plaudit worker``)."""
    stats.cached_site_stats(db.session, sites.site_by_slug(db.session, site_slug))
    db.session.rollback()


def init_app(app: Flask) -> None:
    """Refresh a site's statistics in the background after writes (debounced by the
    cache), so the next reader of ``GET /api/v1/admin/stats`` finds them ready."""
    app.extensions["plaudit_cache"].on_sites_changed.append(_refresh_soon)


def _refresh_soon(site_slugs: list[str]) -> None:
    for slug in site_slugs:
        enqueue(refresh_stats, slug, job_id=f"stats-pending:{slug}")


class _Worker(SimpleWorker):
    """RQ's SimpleWorker, whose command listener (a pub/sub thread) wakes every second
    rather than every 60: RQ stops that thread after unsubscribing, and with redis-py 8
    the thread then waits out its whole sleep for a subscription that never comes, so
    every ``--burst`` run and every SIGTERM took up to a minute to end."""

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )


def run_worker(burst: bool = False, polls: Sequence[tuple[Callable[[], Any], str]] = ()) -> None:
    """Process jobs until stopped (or, with ``burst``, until the queue is empty), and
    meanwhile call each poll function every so many seconds (the config key named with
    it, e.g. ``WORKER_POLL_SECONDS``); with ``burst``, each once before the queue and
    once after it. Each poll runs in a thread of its own, each call in an app context of
    its own; a failing call is logged and the next one comes on time."""
    fast = cache.store()
    if fast is None:
        raise RuntimeError("plaudit worker needs REDIS_URL: without Redis jobs run inline")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    # SimpleWorker runs jobs in this process, inside the app context the CLI set up.
    queue = Queue(queue_name(fast), connection=fast.client)
    worker = _Worker([queue], connection=fast.client)
    if burst:
        for poll, _ in polls:
            _poll_once(app, poll)
        worker.work(burst=True, with_scheduler=False)
        for poll, _ in polls:
            _poll_once(app, poll)
        current_app.logger.info("worker stopped")
        return
    stop = threading.Event()
    pollers = [
        threading.Thread(
            target=_poll_until,
            args=(app, poll, float(app.config[every]), stop),
            name=f"plaudit-poll-{poll.__module__}",
            daemon=True,
        )
        for poll, every in polls
    ]
    for poller in pollers:
        poller.start()
    try:
        worker.work(burst=False, with_scheduler=False)
    finally:
        stop.set()
        # Let a poll in progress finish its mail: cut short, its claims would wait
        # out their timeout and be taken as sent.
        for poller in pollers:
            poller.join(60)
    current_app.logger.info("worker stopped")


def _poll_once(app: Flask, poll: Callable[[], Any]) -> None:
    try:
        with app.app_context():
            poll()
    except Exception:
        log.exception("the worker's poll for due work failed; it runs again soon")


def _poll_until(app: Flask, poll: Callable[[], Any], seconds: float, stop: threading.Event) -> None:
    while not stop.is_set():
        _poll_once(app, poll)
        stop.wait(seconds)
