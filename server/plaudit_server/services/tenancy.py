"""The one place that decides whether an object belongs to a site.

Every admin lookup by id goes through :func:`owned`: another site's id answers 404,
exactly like an id that does not exist, so ids of other tenants reveal nothing.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..errors import Problem
from ..models import Comment, Invitation, Review, Site, Webhook

T = TypeVar("T", Review, Comment, Invitation, Webhook)

_NAMES = {Review: "review", Comment: "comment", Invitation: "invitation", Webhook: "webhook"}


def owned(session: Session, model: type[T], site: Site, object_id: str, *, lock: bool = False) -> T:
    stmt = sa.select(model).where(model.id == object_id, model.site_id == site.id)
    if lock:
        stmt = stmt.with_for_update(of=model)
    obj = session.scalar(stmt)
    if obj is None:
        raise Problem(404, f"There is no {_NAMES[model]} {object_id!r}.")
    return obj
