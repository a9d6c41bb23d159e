"""What the sync and async clients share: configuration, requests, errors, retries."""

from __future__ import annotations

import datetime as dt
import enum
import os
import uuid
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

import httpx

from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    NotFoundError,
    PlauditError,
    error_from_response,
)
from ._retry import decide, log
from ._version import __version__

API_PREFIX: Final = "/api/v1"
DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES: Final = 2
USER_AGENT: Final = f"plaudit-python/{__version__}"
IDEMPOTENT_METHODS: Final = frozenset({"POST", "PATCH"})
JSON_LINES: Final = "application/x-ndjson"


class NotGiven:
    """The default of options where None means something (``reply=None`` removes it)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


def resolve_api_key(api_key: str | None) -> str:
    key = api_key if api_key is not None else os.environ.get("PLAUDIT_API_KEY")
    if not key:
        raise PlauditError(
            "No API key given: pass api_key=... to the client or set the PLAUDIT_API_KEY "
            "environment variable. A site's secret key (sk_live_...) is printed once by "
            "`plaudit sites create`."
        )
    return key


def resolve_base_url(base_url: str | httpx.URL | None) -> httpx.URL:
    """The API root (``.../api/v1/``) from the server's address, with or without the prefix."""
    raw = str(base_url) if base_url is not None else os.environ.get("PLAUDIT_BASE_URL")
    if not raw:
        raise PlauditError(
            "No server address given: pass base_url=... to the client or set the "
            "PLAUDIT_BASE_URL environment variable to your Plaudit server, for example "
            "https://reviews.example.com."
        )
    url = httpx.URL(raw)
    if url.scheme not in ("http", "https") or not url.host:
        raise PlauditError(
            f"base_url must be an http(s) URL such as https://reviews.example.com, not {raw!r}."
        )
    path = url.path.rstrip("/")
    if not path.endswith(API_PREFIX):
        path += API_PREFIX
    return url.copy_with(path=path + "/", query=None, fragment=None)


def encode_param(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(
                f"{value!r} has no timezone; pass an aware datetime (e.g. tzinfo=datetime.UTC)."
            )
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Query parameters without the ones left out (None), encoded for the URL."""
    return {k: encode_param(v) for k, v in (params or {}).items() if v is not None}


def clean_json(value: Any) -> Any:
    """A request body with enums and datetimes made JSON-ready."""
    if isinstance(value, Mapping):
        return {k: clean_json(v) for k, v in value.items() if v is not NOT_GIVEN}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, enum.Enum | dt.datetime | dt.date):
        return encode_param(value)
    return value


def path_segment(value: str, name: str) -> str:
    """An id or slug made safe to put in a URL path (no ``/`` or ``..`` tricks)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, not {value!r}.")
    segment = quote(value, safe="")
    if segment in (".", ".."):
        # Valid product ids, but a client or proxy would resolve them as "this" and
        # "parent" directory; escaped, they reach the server as the id they are.
        segment = segment.replace(".", "%2E")
    return segment


def transport_error(exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    """The SDK's error for a request that got no answer (refused, reset, timed out)."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"The request to {request.url} timed out ({exc}).", request=request)
    return APIConnectionError(
        f"Could not reach the Plaudit server at {request.url.scheme}://{request.url.netloc.decode()}"
        f": {exc or type(exc).__name__}.",
        request=request,
    )


class BaseClient:
    """Configuration shared by :class:`Plaudit` and :class:`AsyncPlaudit`."""

    api_key: str
    base_url: httpx.URL
    timeout: float | httpx.Timeout
    max_retries: int

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more.")
        self.api_key = resolve_api_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.timeout = timeout
        self.max_retries = max_retries
        self._default_headers = dict(default_headers or {})
        self._site_id: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.base_url)!r})"

    def _url(self, path: str) -> httpx.URL:
        return self.base_url.join(path.lstrip("/"))

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        idempotency_key: str | None,
    ) -> httpx.Request:
        """The request of one call, sent as is by each of its attempts."""
        method = method.upper()
        request_headers = httpx.Headers(self._headers(method, idempotency_key))
        request_headers.update(headers or {})  # case-insensitively replaces ours
        return http.build_request(
            method,
            self._url(path),
            params=clean_params(params),
            json=clean_json(json) if json is not None else None,
            headers=request_headers,
            timeout=self.timeout,
        )

    def _headers(self, method: str, idempotency_key: str | None) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **self._default_headers,
            "Authorization": f"Bearer {self.api_key}",
        }
        if method in IDEMPOTENT_METHODS:
            headers["Idempotency-Key"] = idempotency_key or f"plaudit-python-{uuid.uuid4()}"
        return headers

    @staticmethod
    def _parse(response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise PlauditError(
                f"Expected JSON from {response.request.url}, got "
                f"{response.headers.get('Content-Type', 'no content type')}: is base_url "
                "the address of a Plaudit server?",
                status_code=response.status_code,
                request_id=response.headers.get("X-Request-Id"),
            ) from None

    @staticmethod
    def _check_json_lines(response: httpx.Response) -> None:
        """Raise unless ``response`` is JSON Lines: a 200 from something that is not a
        Plaudit server (a login page, a proxy's error page) must not become the file."""
        content_type = response.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != JSON_LINES:
            raise PlauditError(
                f"Expected JSON Lines from {response.request.url}, got "
                f"{content_type or 'no content type'}: is base_url the address of a "
                "Plaudit server?",
                status_code=response.status_code,
                request_id=response.headers.get("X-Request-Id"),
            )

    @staticmethod
    def _log_response(response: httpx.Response) -> None:
        log.debug(
            "%s %s -> %s (request_id=%s)",
            response.request.method,
            response.request.url,
            response.status_code,
            response.headers.get("X-Request-Id"),
        )

    @staticmethod
    def _error(response: httpx.Response) -> PlauditError:
        return error_from_response(response)

    def _retry_delay(
        self, request: httpx.Request, error: PlauditError, *, attempt: int, lost_before: bool
    ) -> float | None:
        """After a failed attempt: the seconds to wait before the next one, or None when
        the call is done after all; raises ``error`` when it is not to be retried."""
        method = request.method
        if method == "DELETE" and lost_before and isinstance(error, NotFoundError):
            # The answer to an earlier attempt was lost, and that attempt deleted it.
            log.debug(
                "%s %s: 404 after a lost answer: deleted by the earlier attempt",
                method,
                request.url,
            )
            return None
        decision = decide(
            error,
            attempt=attempt,
            max_retries=self.max_retries,
            has_idempotency_key="Idempotency-Key" in request.headers,
        )
        if decision.delay is None:
            log.debug("%s %s: not retrying (%s)", method, request.url, decision.reason)
            raise error
        log.debug(
            "%s %s: retrying in %.2fs (retry %d of %d): %s",
            method,
            request.url,
            decision.delay,
            attempt + 1,
            self.max_retries,
            decision.reason,
        )
        return decision.delay
