"""The admin lists of reviews, comments, questions, answers and ideas: one set of
filters, sorts and cursors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Answer, Comment, Idea, Product, Question, Review, Site, Status, search_document
from ..pagination import SortOrder, fingerprint, paginate

T = TypeVar("T", Review, Comment, Question, Answer, Idea)


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` taken literally (escape ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _orders(model: type[T]) -> dict[str, SortOrder]:
    return {
        "newest": SortOrder((model.created_at, model.id), descending=True),
        "oldest": SortOrder((model.created_at, model.id), descending=False),
        # Incremental sync: oldest change first, so a client resumes where it stopped.
        "updated": SortOrder((model.updated_at, model.id), descending=False),
    }


def admin_page(
    session: Session,
    site: Site,
    model: type[T],
    query: dict[str, Any],
    *,
    search: Sequence[Any],
    where: Sequence[Any] = (),
    orders: dict[str, SortOrder] | None = None,
) -> tuple[list[T], str | None]:
    """A page of the site's items of any status, filtered as the admin query says.

    ``search`` are the text columns ``q`` looks in (``models.REVIEW_SEARCH``, as the
    search index has them); ``where`` adds the model's own
    filters (a rating, a review); ``orders`` adds sorts of its own (ideas by votes).
    """
    stmt = sa.select(model).where(model.site_id == site.id, *where)
    if query["status"] != "all":
        stmt = stmt.where(model.status == Status(query["status"]))
    if query.get("product"):
        stmt = stmt.join(Product, model.product_id == Product.id).where(
            Product.external_id == query["product"]
        )
    if query.get("q"):
        pattern = like_pattern(query["q"])
        stmt = stmt.where(
            # The candidates, through the trigram index on PostgreSQL (see models.py) ...
            search_document(search).ilike(pattern, escape="\\"),
            # ... and of those, the items where one column holds the text.
            sa.or_(*(column.ilike(pattern, escape="\\") for column in search)),
        )
    if query.get("updated_since") is not None:
        stmt = stmt.where(model.updated_at > query["updated_since"])
    filters = {k: v for k, v in query.items() if k not in {"limit", "cursor"}}
    return paginate(
        session,
        stmt,
        {**_orders(model), **(orders or {})}[query["sort"]],
        limit=query["limit"],
        cursor=query["cursor"],
        query_fingerprint=fingerprint(kind=f"admin-{model.__tablename__}", site=site.id, **filters),
    )
