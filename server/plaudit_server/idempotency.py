"""``Idempotency-Key`` for every POST and PATCH.

The first request with a key records "running" in its own committed transaction, so a
concurrent repeat (on any worker or host, since the record is in the database) sees it
and gets 409. When the first request finishes, its response is stored; a repeat with the
same body gets that response again, a repeat with another body gets 422. Responses of
5xx and errors raised before a response exist are not stored: the key is released so
the client can retry. Records live 24 hours.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from webargs.core import missing

from .bodies import json_body
from .errors import Problem
from .extensions import db
from .models import IdempotencyRecord
from .timeutil import utcnow

TTL = timedelta(hours=24)
# A "running" record this old belongs to a request that died without finishing.
ABANDONED = timedelta(minutes=2)
REPLAYED_HEADERS = ("Location",)


def _request_hash() -> str:
    body = json_body()  # parsed (or refused) before any view runs
    canonical = json.dumps(None if body is missing else body, sort_keys=True, separators=(",", ":"))
    text = f"{request.method} {request.path}\n{canonical}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _scope() -> str:
    return g.idempotency_scope


def _claim(session: Session, scope: str, key: str, digest: str) -> IdempotencyRecord | None:
    """Insert the running marker; return the existing record if the key is taken."""
    now = utcnow()
    for _ in range(2):
        try:
            session.add(
                IdempotencyRecord(scope=scope, key=key, request_hash=digest, created_at=now)
            )
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        existing = session.get(IdempotencyRecord, (scope, key))
        if existing is None:
            continue  # expired and purged meanwhile: try again
        stale = existing.created_at < now - TTL or (
            existing.response_status is None and existing.created_at < now - ABANDONED
        )
        if not stale:
            return existing
        session.delete(existing)
        session.commit()
    raise Problem(409, "This Idempotency-Key is being used by another request.")


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a mutating view; needs ``g.idempotency_scope`` set by the blueprint."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise Problem(
                422,
                "Invalid Idempotency-Key.",
                errors={"Idempotency-Key": ["Must be 1-255 printable characters."]},
            )
        digest = _request_hash()
        scope = _scope()
        # End the request session's transaction first: on SQLite it may hold the write
        # lock (see db.py), which the record's own transaction would wait for forever.
        db.session.rollback()
        with Session(db.engine, expire_on_commit=False) as session:
            existing = _claim(session, scope, key, digest)
            if existing is not None:
                if existing.request_hash != digest:
                    raise Problem(
                        422,
                        "This Idempotency-Key was used with a different request body.",
                        errors={"Idempotency-Key": ["Already used with another body."]},
                    )
                if existing.response_status is None:
                    raise Problem(
                        409, "A request with this Idempotency-Key is still being processed."
                    )
                return _replay(existing)
            if random.random() < 0.01:
                _purge_expired(session)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            db.session.rollback()
            _release(scope, key)
            raise
        db.session.rollback()  # the view has committed; free the SQLite write lock
        if response.status_code >= 500:
            _release(scope, key)
            return response
        with Session(db.engine) as session:
            record = session.get(IdempotencyRecord, (scope, key))
            if record is not None:
                record.response_status = response.status_code
                record.response_body = response.get_data(as_text=True)
                record.response_headers = {
                    "Content-Type": response.content_type or "application/json",
                    **{h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers},
                }
                session.commit()
        return response

    return wrapper


def _replay(record: IdempotencyRecord) -> Response:
    headers = dict(record.response_headers or {})
    content_type = headers.pop("Content-Type", "application/json")
    response = current_app.response_class(
        record.response_body, status=record.response_status, content_type=content_type
    )
    for name, value in headers.items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _release(scope: str, key: str) -> None:
    with Session(db.engine) as session:
        session.execute(
            sa.delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
            )
        )
        session.commit()


def _purge_expired(session: Session) -> None:
    session.execute(
        sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - TTL)
    )
    session.commit()
