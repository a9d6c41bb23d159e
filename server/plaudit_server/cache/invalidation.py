"""Invalidation: what a transaction changed retires the cached reads of it once it commits.

Cache correctness rests on generation numbers, not on deleting keys. Each product (and
each site) has a counter that every committed write increments; a cached body lives
under a key that contains the generations read *before* the database was queried, so a
write that lands meanwhile makes that entry unreachable. If an increment fails because
Redis is unreachable, the store remembers it and, on the first successful call after
recovery, bumps a global epoch that is part of every key: entries written before the
outage can never be served again (``faststore.py``).

Services call :func:`touch` wherever they change what a public read returns; after the
session commits, the touched generations are bumped. After a rollback nothing is
bumped: nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from .faststore import ANY_PRODUCT, gen_key

_KEY = "plaudit.touched"
# Listeners of ``on_sites_changed`` hear of a site at most once per this many seconds,
# whatever the write rate (the claim rides in the same round trip as the bump).
DEBOUNCE = 5


def touch(session: Session, site_slug: str, products: Iterable[str] = ()) -> None:
    """Record that this transaction changes these products' public data, or, with no
    product named, the site's own (its settings: every read of the site depends on
    them)."""
    touched: dict[str, set[str | None]] = session.info.setdefault(_KEY, {})
    named = set(products)
    touched.setdefault(site_slug, set()).update(named or {None})  # None: the site itself


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    touched: dict[str, set[str | None]] | None = session.info.pop(_KEY, None)
    if not touched or not has_app_context():
        return
    extension = current_app.extensions.get("plaudit_cache")
    if extension is None or extension.store is None:
        return
    fast = extension.store
    keys = sorted(
        key
        for slug, products in touched.items()
        # A change of products retires their reads and the site-wide ones; a change of
        # the site itself (its settings) retires every read of the site.
        for key in (*(gen_key(slug, p) for p in products), gen_key(slug, ANY_PRODUCT))
    )
    claims = [f"changed:{slug}" for slug in sorted(touched)]
    won = fast.bump(keys, claim=claims, ttl=DEBOUNCE)
    if won:
        slugs = [claim.split(":", 1)[1] for claim in won]
        for listener in extension.on_sites_changed:
            listener(slugs)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
