"""The client, :class:`AsyncPlaudit`: configuration, requests with retries, resources."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import anyio
import httpx

from .._base_client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, BaseClient, transport_error
from .._exceptions import PlauditError
from .._models import Stats
from .comments import AsyncComments
from .invitations import AsyncInvitations
from .products import AsyncProducts
from .reviews import AsyncReviews
from .site import AsyncSiteResource
from .store import AsyncStore

__all__ = ["AsyncPlaudit"]


class AsyncPlaudit(BaseClient):
    """A client for a Plaudit server's admin and public APIs.

    ``api_key`` and ``base_url`` default to the ``PLAUDIT_API_KEY`` and
    ``PLAUDIT_BASE_URL`` environment variables:

    >>> async with AsyncPlaudit(max_retries=5) as client:
    ...     site = await client.site.get()
    ...     print(client.max_retries, client.base_url.path, site.id)
    5 /api/v1/ acme-shop

    Requests that fail on the way (connection errors, timeouts, 429, 502-504) are
    retried up to ``max_retries`` times with exponential backoff, honouring
    ``Retry-After``. Pass your own ``http_client`` (an ``httpx.AsyncClient``) to set
    proxies, certificates or transports; it is then yours to close.
    """

    reviews: AsyncReviews
    comments: AsyncComments
    invitations: AsyncInvitations
    products: AsyncProducts
    store: AsyncStore
    site: AsyncSiteResource

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        self._owns_http_client = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient()
        self.reviews = AsyncReviews(self)
        self.comments = AsyncComments(self)
        self.invitations = AsyncInvitations(self)
        self.products = AsyncProducts(self)
        self.store = AsyncStore(self)
        self.site = AsyncSiteResource(self)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> AsyncPlaudit:
        """A copy of this client with other timeout or retry settings, sharing its
        connections: ``client.with_options(max_retries=5).reviews.get(...)``."""
        copy = AsyncPlaudit(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
            http_client=self._http,
            default_headers=self._default_headers,
        )
        copy._site_id = self._site_id
        return copy

    async def close(self) -> None:
        """Close the connections, unless the ``http_client`` was passed in."""
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one API request with retries and error mapping; return the decoded JSON.

        ``path`` is relative to ``/api/v1`` (``"admin/reviews"``). Use it for endpoints
        this SDK does not wrap yet; the resources are built on it.
        """
        request = self._build_request(
            self._http,
            method,
            path,
            params=params,
            json=json,
            headers=headers,
            idempotency_key=idempotency_key,
        )
        attempt = 0
        lost_before = False
        while True:
            error: PlauditError
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                error, lost = transport_error(exc, request), True
            else:
                self._log_response(response)
                if response.is_success:
                    return self._parse(response)
                error, lost = self._error(response), False
            delay = self._retry_delay(request, error, attempt=attempt, lost_before=lost_before)
            if delay is None:
                return None
            await anyio.sleep(delay)
            attempt += 1
            lost_before = lost_before or lost

    async def stats(self) -> Stats:
        """Counts by status for reviews and comments, the average rating, reviews
        published per day over the last 90 days, and how many invitations sent brought
        a review (``invitations.conversion``)."""
        return Stats.from_dict(await self.request("GET", "admin/stats"))

    async def _own_site_id(self) -> str:
        if self._site_id is None:
            site = await self.site.get()
            self._site_id = site.id
        return self._site_id
