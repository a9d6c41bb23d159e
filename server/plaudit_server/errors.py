"""RFC 9457 problem details: the one error shape of everything under ``/api/``.

Views raise :class:`Problem` (or let werkzeug raise its HTTP exceptions); the handlers
registered here turn both, and any unexpected exception, into
``application/problem+json`` with the request id, so a client never sees a stack trace
or an HTML error page on an API path.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .extensions import limiter

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
# A URN, not a URL on a domain the project may not control; stable for clients to match.
TYPE_BASE = "urn:plaudit:problem:"

_TYPES = {
    400: "malformed-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}


class Problem(Exception):
    """An error a view reports to the client, with per-field ``errors`` when it has them."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        title: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title or str(status))
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.title = title
        # RFC 9457 extension members, e.g. the ``existing_id`` a 409 conflicts with.
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The problem as JSON (for a batch answer that reports one item's problem)."""
        return problem_body(
            self.status, self.detail, title=self.title, errors=self.errors, extra=self.extra
        )


def validation_error(field: str, message: str) -> Problem:
    """A 422 about one input field, in the same shape as schema validation errors."""
    return Problem(422, "The request has invalid fields.", errors={field: [message]})


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """Build the problem+json response."""
    body = problem_body(status, detail, title=title, errors=errors, extra=extra)
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_body(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem details document; the single place that knows its shape."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + _TYPES.get(status, "error"),
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or HTTP_STATUS_CODES.get(status, "Error"),
        "instance": request.path,
        "request_id": g.get("request_id"),
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return body


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's messages as the documented ``{field: [str]}``: nested fields and
    list items become dotted paths (``{"ids": {"0": [...]}}`` is ``{"ids.0": [...]}``),
    and messages about the whole body sit under ``_schema``."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, inner in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(inner, path))
        return flat
    items = messages if isinstance(messages, list) else [messages]
    texts = [str(item) for item in items if not isinstance(item, (dict, list))]
    flat = {prefix or "_schema": texts} if texts else {}
    for item in items:
        if isinstance(item, (dict, list)):
            flat.update(flatten_messages(item, prefix))
    return flat


def _flatten_webargs(messages: Any) -> dict[str, list[str]]:
    """webargs nests errors by location (``{"json": {"rating": [...]}}``); clients want
    them by field, so unwrap the location when it is the only one."""
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in {"json", "query", "querystring", "view_args", "headers"}:
            return flatten_messages(inner)
    return flatten_messages(messages)


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def handle_problem(error: Problem) -> Response:
    return problem_response(
        error.status,
        error.detail,
        title=error.title,
        errors=error.errors,
        headers=error.headers,
        extra=error.extra,
    )


def handle_http_exception(error: HTTPException) -> Response | HTTPException:
    """Every werkzeug/webargs/flask-limiter HTTP error under ``/api/`` as a problem."""
    if not _is_api_request():
        return error
    status = error.code or 500
    headers: dict[str, str] = {}
    errors = None
    detail = error.description
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        errors = _flatten_webargs(data["messages"])
        if status == 400:
            detail = "The request body is not valid JSON."
        else:
            detail = "The request has invalid fields."
    if "errors" in data:
        errors = data["errors"]
    if "message" in data:
        detail = data["message"]
    headers.update(data.get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)
    if valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    if status == 429:
        detail = "Too many requests; retry after the time given in Retry-After."
        retry_after = retry_after_from_limiter()
        headers["Retry-After"] = str(retry_after)
    if status >= 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("unhandled exception (request_id=%s)", g.get("request_id"), exc_info=original)
        detail = "An unexpected error occurred. Quote the request id when reporting it."
    return problem_response(status, detail, errors=errors, headers=headers)


def retry_after_from_limiter() -> int:
    """Seconds until the breached limit frees a slot, from flask-limiter's view."""
    limit = limiter.current_limit
    if limit is not None:
        try:
            return max(1, math.ceil(limit.reset_at - time.time()))
        except Exception:  # the storage may be the thing that failed
            pass
    return 60


def handle_database_down(error: DBAPIError) -> Response:
    """A lost or locked database is a 503 the client may retry, not a 500."""
    log.warning("database unavailable (request_id=%s): %s", g.get("request_id"), error)
    return problem_response(
        503, "The database is unavailable; retry shortly.", headers={"Retry-After": "5"}
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(Problem, handle_problem)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(DBAPIError, _handle_dbapi_error)


def _handle_dbapi_error(error: DBAPIError) -> Response:
    if error.connection_invalidated:
        return handle_database_down(error)
    log.error("database error (request_id=%s)", g.get("request_id"), exc_info=error)
    return problem_response(500, "An unexpected error occurred. Quote the request id.")
