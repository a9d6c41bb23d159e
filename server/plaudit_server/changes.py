"""What a transaction changed, so caches can be invalidated once it commits.

Services call :func:`touch` wherever they change what a public read returns; after the
session commits, the generations of the touched products and sites are bumped (see
``cache.py``). After a rollback nothing is bumped: nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import cache

_KEY = "plaudit.touched"
STATS_DEBOUNCE = 5  # seconds


def touch(session: Session, site_slug: str, products: Iterable[str] = ()) -> None:
    """Record that this transaction changes the site's (and these products') public data."""
    touched = session.info.setdefault(_KEY, set())
    touched.add(cache.gen_key(site_slug))
    touched.update(cache.gen_key(site_slug, p) for p in products)


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    touched = session.info.pop(_KEY, None)
    if touched and has_app_context():
        store = current_app.extensions.get("plaudit_store")
        if store is not None:
            from .jobs import enqueue, refresh_stats

            slugs = sorted({key.split(":")[1] for key in touched})
            # One statistics refresh per site every few seconds at most, whatever the
            # write rate: the claim rides in the same round trip as the bump.
            claims = [f"stats-pending:{slug}" for slug in slugs]
            for claim in store.bump(sorted(touched), claim=claims, ttl=STATS_DEBOUNCE):
                enqueue(refresh_stats, claim.split(":", 1)[1], job_id=claim)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
