"""Request ids: every response carries an ``X-Request-Id`` (the caller's, if sane), so a
request can be followed across services and through the logs."""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, g, request

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id_for(incoming: str) -> str:
    """Keep a caller's sane ``X-Request-Id`` (to follow a request across services)."""
    return incoming if _REQUEST_ID.fullmatch(incoming) else "req_" + secrets.token_hex(8)


def init_request_ids(app: Flask) -> None:
    """Give every response of ``app`` an ``X-Request-Id`` (the caller's, if sane)."""
    app.before_request(_assign_request_id)
    app.after_request(_send_request_id)


def _assign_request_id() -> None:
    g.request_id = request_id_for(request.headers.get("X-Request-Id", ""))


def _send_request_id(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response
