"""The author's own item, with its manage token as the key: ``/api/v1/mine``.

The JSON twin of the manage page (``/m/{token}``): what the author may see and do with
their review or comment, and nothing else. Another item's id is never reachable: the
token names exactly one.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from ..errors import Problem
from ..extensions import db, limiter
from ..idempotency import idempotent
from ..openapi import Blueprint
from ..schemas import AppealBody, MinePatch, MineSchema
from ..services import audit, manage, sites
from .admin import no_store

bp = Blueprint(
    "mine",
    __name__,
    url_prefix="/api/v1/mine",
    description="An author's own review or comment, with the token of its manage link.",
)
bp.after_request(no_store)
SECURITY: list[dict[str, list[str]]] = [{"manageToken": []}]


def _token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@bp.before_request
def authenticate() -> None:
    token = _token()
    if not token:
        raise Problem(
            401,
            "Missing manage token: send `Authorization: Bearer <token>` (the end of the "
            "`manage_url` a submission answered with).",
            headers={"WWW-Authenticate": 'Bearer realm="plaudit-mine"'},
        )
    lock = request.method != "GET"
    g.site, g.item = manage.resolve(db.session, token, lock=lock)
    g.idempotency_scope = f"mine:{g.item.id}"
    audit.act_as(audit.REVIEWER)


def _manage_limit() -> str:
    return sites.rate_limit(g.get("site"), "manage_per_visitor", current_app.config)


def _mine(item: Any) -> dict[str, Any]:
    kind = manage.kind_of(item)
    return {"type": kind, kind: item, "status": manage.status_of(item)}


@bp.route("", methods=["GET"])
@bp.response(200, MineSchema)
@bp.doc(security=SECURITY)
def get_mine() -> dict[str, Any]:
    """The item in its admin form, with its status in plain words (and, when rejected,
    why)."""
    return _mine(g.item)


@bp.route("", methods=["PATCH"])
@limiter.limit(_manage_limit)
@idempotent
@bp.arguments(MinePatch)
@bp.response(200, MineSchema)
@bp.doc(security=SECURITY)
def edit_mine(changes: dict[str, Any]) -> dict[str, Any]:
    """Change what the submission took (a review: `rating`, `title`, `body`,
    `author_name`; a comment: `body`, `author_name`). The edit goes back through
    moderation; a rejected item waits for the shop again."""
    item = manage.edit(db.session, g.site, g.item, changes)
    answer = _mine(item)
    db.session.commit()
    return answer


@bp.route("", methods=["DELETE"])
@limiter.limit(_manage_limit)
@bp.response(204)
@bp.doc(security=SECURITY)
def delete_mine() -> Response:
    """Delete the item for good (with its votes and the comments under it); the
    counters and summaries change at once and the link stops working (410)."""
    manage.delete(db.session, g.site, g.item)
    db.session.commit()
    return Response(status=204)


@bp.route("/appeal", methods=["POST"])
@limiter.limit(_manage_limit)
@idempotent
@bp.arguments(AppealBody)
@bp.response(200, MineSchema)
@bp.doc(security=SECURITY)
def appeal_mine(data: dict[str, Any]) -> dict[str, Any]:
    """Appeal a rejection, once, with a message the shop sees in its queue; the item
    waits for the shop again. 409 when it is not rejected or was appealed before."""
    item = manage.appeal(db.session, g.site, g.item, data["message"])
    answer = _mine(item)
    db.session.commit()
    return answer
