"""Per-product summaries kept as counters, exact under concurrency.

Every change that moves a review into or out of ``published`` calls :func:`adjust` in
the same transaction. The counters are moved with ``col = col + :delta`` (the database
applies increments atomically, whatever other transactions do), and the callers
establish the old status of each review under a row lock, so a concurrent double
moderation can never count twice. Reads are then one primary-key lookup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Product, Site, Status
from .sites import no_such_site

STAR_COLUMNS = {n: getattr(Product, f"stars_{n}") for n in range(1, 6)}


def empty_summary() -> dict[str, Any]:
    return {"count": 0, "average": None, "histogram": {str(n): 0 for n in range(1, 6)}}


def summary_of(product: Product | None) -> dict[str, Any]:
    if product is None or product.published_count == 0:
        return empty_summary()
    return {
        "count": product.published_count,
        "average": round(product.rating_sum / product.published_count, 2),
        "histogram": {str(n): getattr(product, f"stars_{n}") for n in range(1, 6)},
    }


def find_product(session: Session, site: Site, external_id: str) -> Product | None:
    return session.scalar(
        sa.select(Product).where(Product.site_id == site.id, Product.external_id == external_id)
    )


def site_and_product(session: Session, slug: str, external_id: str) -> tuple[Site, Product | None]:
    """A site (404 if there is none) and one of its products (None if never reviewed),
    in one round trip: what every public product read needs before anything else."""
    row = session.execute(
        sa.select(Site, Product)
        .outerjoin(Product, (Product.site_id == Site.id) & (Product.external_id == external_id))
        .where(Site.slug == slug)
    ).first()
    if row is None:
        raise no_such_site(slug)
    return row[0], row[1]


def get_or_create_product(session: Session, site: Site, external_id: str) -> Product:
    """Products are created on first use; two first uses at once create one row."""
    product = find_product(session, site, external_id)
    if product is not None:
        return product
    try:
        with session.begin_nested():
            product = Product(site_id=site.id, external_id=external_id)
            session.add(product)
    except IntegrityError:
        # Another request created it between our SELECT and INSERT; it has committed
        # (PostgreSQL made our INSERT wait for it), so it is visible now.
        product = find_product(session, site, external_id)
        assert product is not None
    return product


def summaries_for(session: Session, site: Site, external_ids: list[str]) -> dict[str, Any]:
    rows = session.scalars(
        sa.select(Product).where(Product.site_id == site.id, Product.external_id.in_(external_ids))
    )
    found = {p.external_id: p for p in rows}
    return {pid: summary_of(found.get(pid)) for pid in external_ids}


class Deltas:
    """Counter changes per product, collected over one transaction's moves."""

    def __init__(self) -> None:
        self._by_product: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def move(self, product_id: str, rating: int, old: Status | None, new: Status | None) -> None:
        """Record that a review of ``rating`` went from ``old`` to ``new`` (None: absent)."""
        sign = int(new == Status.PUBLISHED) - int(old == Status.PUBLISHED)
        if sign:
            counts = self._by_product[product_id]
            counts["published_count"] += sign
            counts["rating_sum"] += sign * rating
            counts[f"stars_{rating}"] += sign

    def apply(self, session: Session) -> None:
        # Products in a fixed order, so two transactions never wait on each other in
        # opposite orders (no deadlock on PostgreSQL).
        for product_id in sorted(self._by_product):
            counts = {k: v for k, v in self._by_product[product_id].items() if v}
            if not counts:
                continue
            values = {name: getattr(Product, name) + delta for name, delta in counts.items()}
            session.execute(sa.update(Product).where(Product.id == product_id).values(values))
        self._by_product.clear()


def adjust(
    session: Session, moves: Iterable[tuple[str, int, Status | None, Status | None]]
) -> None:
    deltas = Deltas()
    for product_id, rating, old, new in moves:
        deltas.move(product_id, rating, old, new)
    deltas.apply(session)
