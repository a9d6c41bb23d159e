"""Operations endpoints: liveness and readiness (documented in the OpenAPI document).

Also the app-wide rule that an API operation declaring no query arguments refuses any
(422 naming them), as the others refuse unknown ones (``schemas.QuerySchema``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from .cache import store
from .errors import Problem
from .extensions import db
from .openapi import Blueprint
from .requestids import request_id_for
from .schemas import HealthSchema, ReadySchema

bp = Blueprint("ops", __name__, description="Liveness and readiness for load balancers.")


@bp.before_app_request
def refuse_undeclared_query() -> None:
    """A query parameter sent to an operation that declares none is refused, like an
    unknown body field: ``GET /api/v1/admin/stats?site=other`` must not look as if it
    did something. (Operations with query arguments refuse unknown ones in their schema.)
    """
    if not request.args or request.method == "OPTIONS":
        return
    view = current_app.view_functions.get(request.endpoint or "")
    documented = getattr(view, "_apidoc", None)  # an operation of the OpenAPI document
    if documented is None:
        return
    parameters = documented.get("arguments", {}).get("parameters", [])
    if any(parameter.get("in") == "query" for parameter in parameters):
        return
    if "request_id" not in g:  # this hook may run before the app assigns one
        g.request_id = request_id_for(request.headers.get("X-Request-Id", ""))
    raise Problem(
        422,
        "The request has invalid fields.",
        errors={name: ["Unknown field."] for name in request.args},
    )


@bp.route("/healthz", methods=["GET"])
@bp.response(200, HealthSchema)
def healthz() -> Any:
    """200 while the process serves requests; checks nothing else on purpose."""
    return {"status": "ok"}


def redis_state() -> str:
    """A real PING within the Redis timeout: the truth now, not the circuit breaker's
    state (which skips Redis for its cooldown after an outage, over or not)."""
    fast = store()
    if fast is None:
        return "absent"
    return "ok" if fast.ping() else "down"


@bp.route("/readyz", methods=["GET"])
@bp.response(200, ReadySchema)
@bp.alt_response(503, schema=ReadySchema, description="The database is down")
def readyz() -> Any:
    """Ready when the database answers; Redis is reported but optional (`absent` when
    not configured, `down` when configured and unreachable)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        database = "down"
    body = {"database": database, "redis": redis_state()}
    response = jsonify(body)
    if database != "ok":
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    return response
