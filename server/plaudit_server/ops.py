"""Operations endpoints: liveness and readiness."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .cache import store
from .extensions import db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """200 while the process serves requests; checks nothing else on purpose."""
    return {"status": "ok"}


def redis_state() -> str:
    fast = store()
    if fast is None:
        return "absent"
    return "ok" if fast.ping() else "down"


@bp.get("/readyz")
def readyz() -> Any:
    """Ready when the database answers; Redis is reported but optional."""
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
