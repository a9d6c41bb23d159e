"""The errors the SDK raises, one class per kind of failure.

Every error carries ``status_code`` (None when no response arrived), ``body`` (the RFC
9457 problem details the server sent, as a dict, or None) and ``request_id`` (quote it
when reporting a problem: the server logs it too). An error response's problem members
beyond the standard ones are its ``extensions`` (a :class:`ConflictError` names the
object it conflicts with as ``existing_id``).
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from ._models import PROBLEM_MEMBERS

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConflictError",
    "GoneError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlauditError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "WebhookVerificationError",
]


class PlauditError(Exception):
    """The base of every error the SDK raises; catch it to catch them all."""

    status_code: int | None
    body: dict[str, Any] | None
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.request_id = request_id

    def __str__(self) -> str:
        if self.request_id:
            return f"{self.message} (request_id={self.request_id})"
        return self.message


class APIConnectionError(PlauditError):
    """The server could not be reached, or the connection broke before an answer."""

    def __init__(
        self,
        message: str = "Could not connect to the Plaudit server.",
        *,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The server did not answer within the configured timeout."""

    def __init__(
        self,
        message: str = "The request to the Plaudit server timed out.",
        *,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)


class APIStatusError(PlauditError):
    """The server answered with an error status; the subclasses name the common ones.

    ``title``, ``detail`` and ``type`` come from the problem details; ``extensions``
    holds its other members (RFC 9457 extension members, such as ``existing_id``);
    ``response`` is the raw ``httpx.Response``.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: dict[str, Any] | None,
        request_id: str | None,
    ) -> None:
        super().__init__(
            message, status_code=response.status_code, body=body, request_id=request_id
        )
        self.response = response
        # Seconds the server asked to wait (429, 503), or None.
        self.retry_after: float | None = parse_retry_after(response.headers.get("Retry-After"))
        problem = body or {}
        self.type: str | None = _str_or_none(problem.get("type"))
        self.title: str | None = _str_or_none(problem.get("title"))
        self.detail: str | None = _str_or_none(problem.get("detail"))
        self.extensions: dict[str, Any] = {
            k: v for k, v in problem.items() if k not in PROBLEM_MEMBERS and k != "errors"
        }

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers


class AuthenticationError(APIStatusError):
    """401: the API key is missing, malformed or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key or origin may not do this."""


class NotFoundError(APIStatusError):
    """404: no such object, or it belongs to another site (they look the same)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state (or a request with the same
    Idempotency-Key is still running).

    ``existing_id`` is the object it conflicts with when the server names one: the
    invitation an order already has.
    """

    @property
    def existing_id(self) -> str | None:
        return _str_or_none(self.extensions.get("existing_id"))


class GoneError(APIStatusError):
    """410: it existed but is no more: an author's manage link that expired, or whose
    review or comment was deleted."""


class ValidationError(APIStatusError):
    """422: some input was invalid; ``errors`` maps each field to its messages."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: dict[str, Any] | None,
        request_id: str | None,
    ) -> None:
        super().__init__(message, response=response, body=body, request_id=request_id)
        errors = (body or {}).get("errors")
        self.errors: dict[str, Any] = errors if isinstance(errors, dict) else {}

    def __str__(self) -> str:
        text = super().__str__()
        if not self.errors:
            return text
        fields = "; ".join(
            f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for name, msgs in self.errors.items()
        )
        return f"{text} [{fields}]"


class WebhookVerificationError(PlauditError):
    """A webhook request that :func:`plaudit.webhooks.verify` refused: a header missing
    or malformed, no signature made with the secret, a timestamp too far from now, or a
    body that is not a Plaudit event. Answer it with a 400 and do not act on it.

    It is raised while receiving, not calling the API: ``status_code``, ``body`` and
    ``request_id`` are None.
    """


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the wait in seconds the server asked for."""


class ServerError(APIStatusError):
    """5xx: the server failed or a dependency of it is down."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: ValidationError,
    429: RateLimitError,
}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def error_from_response(response: httpx.Response) -> APIStatusError:
    """Map an error response (problem+json or anything else) to its exception class."""
    body: dict[str, Any] | None = None
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        body = parsed
    request_id = response.headers.get("X-Request-Id") or _str_or_none(
        (body or {}).get("request_id")
    )
    status = response.status_code
    detail = _str_or_none((body or {}).get("detail")) or _str_or_none((body or {}).get("title"))
    if detail is None:
        snippet = response.text[:200].strip() if body is None else ""
        detail = response.reason_phrase or "Error"
        if snippet:
            detail = f"{detail}: {snippet}"
    message = f"{status} {detail}"
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIStatusError
    return cls(message, response=response, body=body, request_id=request_id)
