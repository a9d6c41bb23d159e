# Generated from plaudit/_async/client.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""The client, :class:`Plaudit`: configuration, requests with retries, resources."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import httpx

from .._base_client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    JSON_LINES,
    BaseClient,
    path_segment,
    transport_error,
)
from .._exceptions import APIConnectionError, PlauditError
from .._export import Destination, StreamExporter, split_lines
from .._models import Guidelines, Stats, Transparency
from .answers import Answers
from .audit import Audit
from .comments import Comments
from .ideas import Ideas
from .invitations import Invitations
from .products import Products
from .questions import Questions
from .reports import Reports
from .reviews import Reviews
from .site import SiteResource
from .store import Store
from .webhooks import Webhooks

__all__ = ["Plaudit"]


class Plaudit(BaseClient):
    """A client for a Plaudit server's admin and public APIs.

    ``api_key`` and ``base_url`` default to the ``PLAUDIT_API_KEY`` and
    ``PLAUDIT_BASE_URL`` environment variables:

    >>> with Plaudit(max_retries=5) as client:
    ...     site = client.site.get()
    ...     print(client.max_retries, client.base_url.path, site.id)
    5 /api/v1/ acme-shop

    Requests that fail on the way (connection errors, timeouts, 429, 502-504) are
    retried up to ``max_retries`` times with exponential backoff, honouring
    ``Retry-After``. Pass your own ``http_client`` (an ``httpx.Client``) to set
    proxies, certificates or transports; it is then yours to close.
    """

    reviews: Reviews
    comments: Comments
    invitations: Invitations
    products: Products
    store: Store
    site: SiteResource
    webhooks: Webhooks
    reports: Reports
    audit: Audit
    questions: Questions
    answers: Answers
    ideas: Ideas

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
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
        self._http = http_client if http_client is not None else httpx.Client()
        self.reviews = Reviews(self)
        self.comments = Comments(self)
        self.invitations = Invitations(self)
        self.products = Products(self)
        self.store = Store(self)
        self.site = SiteResource(self)
        self.webhooks = Webhooks(self)
        self.reports = Reports(self)
        self.audit = Audit(self)
        self.questions = Questions(self)
        self.answers = Answers(self)
        self.ideas = Ideas(self)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Plaudit:
        """A copy of this client with other timeout or retry settings, sharing its
        connections: ``client.with_options(max_retries=5).reviews.get(...)``."""
        copy = Plaudit(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
            http_client=self._http,
            default_headers=self._default_headers,
        )
        copy._site_id = self._site_id
        return copy

    def close(self) -> None:
        """Close the connections, unless the ``http_client`` was passed in."""
        if self._owns_http_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def request(
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
        response = self._send(request)
        return None if response is None else self._parse(response)

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response | None:
        """Send ``request`` with retries until it succeeds; its response, or None when
        the call is done after all (a DELETE whose lost answer had deleted it). With
        ``stream``, the body of a successful response is left to read (and close)."""
        attempt = 0
        lost_before = False
        while True:
            error: PlauditError
            try:
                response = self._http.send(request, stream=stream)
                if stream and not response.is_success:
                    try:
                        response.read()  # the problem details, for the error
                    finally:
                        response.close()
            except httpx.TransportError as exc:
                error, lost = transport_error(exc, request), True
            else:
                self._log_response(response)
                if response.is_success:
                    return response
                error, lost = self._error(response), False
            delay = self._retry_delay(request, error, attempt=attempt, lost_before=lost_before)
            if delay is None:
                return None
            time.sleep(delay)
            attempt += 1
            lost_before = lost_before or lost

    @contextmanager
    def _stream_lines(self, path: str) -> Iterator[httpx.Response]:
        """A GET whose JSON Lines body is read as it arrives; retried like any request
        until the answer starts, while a connection lost mid-body is an
        :class:`APIConnectionError` (what was read may already be written)."""
        request = self._build_request(
            self._http,
            "GET",
            path,
            params=None,
            json=None,
            headers={"Accept": JSON_LINES},
            idempotency_key=None,
        )
        response = self._send(request, stream=True)
        assert response is not None, "only a DELETE is done without a response"
        try:
            self._check_json_lines(response)
            yield response
        except httpx.TransportError as exc:
            raise APIConnectionError(
                f"The connection to {request.url} broke during the export ({exc}).",
                request=request,
            ) from exc
        finally:
            response.close()

    def export(self, file: Destination, *, progress: bool | None = None) -> int:
        """Write the whole site in the open format to ``file``; returns the number of lines.

        The same bytes as ``plaudit export`` on the server (``GET /api/v1/admin/export``):
        JSON Lines, one object per line with a ``type`` (the ``site`` and its settings,
        each ``product`` and the ``store`` with their summaries, every ``review`` in any
        status, ``comment``, ``invitation`` and ``suppression``), which ``plaudit import
        --format plaudit`` reads back. The body is streamed to ``file`` chunk by chunk,
        so a site of any size takes little memory. ``file`` is a path (written to a
        temporary file first, so a failed export leaves nothing half-written) or an open
        binary or text file. A progress bar (lines written) goes to stderr when it is a
        terminal; ``progress=`` forces it on or off.

        >>> client.export("acme-shop.jsonl")
        14
        >>> with open("acme-shop.jsonl", encoding="utf-8") as f:
        ...     print(f.readline()[:50])
        {"type":"site","format":"plaudit-export","version"
        """
        with self._stream_lines("admin/export") as response:
            # Opened once the answer has come: an error answer leaves ``file`` untouched.
            exporter = StreamExporter(file, progress=progress)
            with exporter:
                for chunk in response.iter_bytes():
                    exporter.write(chunk)
                if not exporter.complete:
                    raise APIConnectionError(
                        f"The export from {response.request.url} ended in the middle of a "
                        "line: the server stopped sending it.",
                        request=response.request,
                    )
        return exporter.count

    def export_lines(self) -> Iterator[dict[str, Any]]:
        """The lines of :meth:`export`, parsed, as they arrive: iterate to read the site
        without writing a file.

        >>> [line["type"] for line in client.export_lines()][:3]
        ['site', 'product', 'review']

        The response is closed when the iteration ends; to stop early and close it at
        once, wrap the iterator in :func:`contextlib.closing` (``aclosing`` for the
        async client).
        """
        with self._stream_lines("admin/export") as response:
            pending = bytearray()
            for chunk in response.iter_bytes():
                for line in split_lines(pending, chunk):
                    yield json.loads(line)
            if pending.strip():
                raise APIConnectionError(
                    f"The export from {response.request.url} ended in the middle of a "
                    "line: the server stopped sending it.",
                    request=response.request,
                )

    def stats(self, *, product: str | None = None) -> Stats:
        """Counts by status for reviews and comments, the average rating, reviews
        published per day over the last 90 days, how many invitations sent brought a
        review (``invitations.conversion``), and how the shop answers its reviews
        (``responses``: reply rate, median hours to the first reply, share of 1-2 star
        reviews answered). ``product`` gives one product's figures. The community's:
        questions, answers and ideas by status, the most-voted open ideas
        (``ideas_top``) and the recently shipped (``ideas_shipped``)."""
        params = {"product": product}
        return Stats.from_dict(self.request("GET", "admin/stats", params=params))

    def transparency(self, *, site: str | None = None) -> Transparency:
        """A site's public transparency report over the last 365 days: what was
        received, published and rejected (by reason), reports, time to moderate, and
        how the shop answers reviews. ``site`` is a site's slug; left out, the client's
        own (the same report is readable by anyone at ``/t/{site}``)."""
        slug = site if site is not None else self._own_site_id()
        path = f"sites/{path_segment(slug, 'site')}/transparency"
        return Transparency.from_dict(self.request("GET", path))

    def guidelines(self, *, site: str | None = None) -> Guidelines:
        """A site's public moderation guidelines: its own text, or the default one in
        the site's language; ``site`` as for :meth:`transparency`. Change them with
        ``client.site.update(guidelines=...)``."""
        slug = site if site is not None else self._own_site_id()
        path = f"sites/{path_segment(slug, 'site')}/guidelines"
        return Guidelines.from_dict(self.request("GET", path))

    def _own_site_id(self) -> str:
        if self._site_id is None:
            site = self.site.get()
            self._site_id = site.id
        return self._site_id
