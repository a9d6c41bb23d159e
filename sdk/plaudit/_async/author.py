"""``AsyncAuthorClient``: an author's own review or comment, through its manage link.

Every public submission answers with a ``manage_url`` (``https://reviews.example.com/m/
<token>``), also e-mailed when the author gave an address. The token is the author's
key to that one item, and to nothing else: with it they read its status in moderation
(and why it was rejected), edit it (it goes back through moderation), delete it for
good, and appeal a rejection once. A shop that collects reviews in its own app offers
this to its customers with this client; it needs no API key.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from .._base_client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, NOT_GIVEN, NotGiven
from .._base_resource import patch_body
from .._exceptions import PlauditError
from .._models import ManagedItem
from .client import AsyncPlaudit

__all__ = ["AsyncAuthorClient"]

MANAGE_PATH = "/m/"


def split_manage_url(manage_url: str) -> tuple[str, str]:
    """The server's address and the token of a ``manage_url``."""
    parts = urlsplit(manage_url)
    prefix, found, token = parts.path.rpartition(MANAGE_PATH)
    if parts.scheme not in ("http", "https") or not parts.netloc or not found or not token:
        raise PlauditError(
            f"{manage_url!r} is not a manage link: expected one such as "
            "https://reviews.example.com/m/<token>, as a submission's manage_url."
        )
    return f"{parts.scheme}://{parts.netloc}{prefix}", token.strip("/")


class AsyncAuthorClient:
    """One review or comment, as its author manages it (``/api/v1/mine``).

    Give the manage link's ``token`` and the server's ``base_url`` (default the
    ``PLAUDIT_BASE_URL`` environment variable), or the whole link to :meth:`from_url`.
    Requests are retried as :class:`AsyncPlaudit`'s are. A token that was never issued
    raises :class:`~plaudit.NotFoundError`; one that expired, or whose item was deleted,
    :class:`~plaudit.GoneError`.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if not isinstance(token, str) or not token.strip():
            raise PlauditError("No manage token given: the last part of the manage_url.")
        # The manage token takes the API key's place as the bearer credential.
        self._client = AsyncPlaudit(
            api_key=token.strip(),
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
        )

    @classmethod
    def from_url(cls, manage_url: str, **options: Any) -> Self:
        """A client for the item of a ``manage_url``; ``options`` as for the constructor.

        >>> author = AsyncAuthorClient.from_url("https://reviews.example.com/m/mt_abc")
        >>> str(author.base_url)
        'https://reviews.example.com/api/v1/'
        """
        base_url, token = split_manage_url(manage_url)
        return cls(token, base_url=base_url, **options)

    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self.base_url)!r})"

    async def close(self) -> None:
        """Close the connections, unless the ``http_client`` was passed in."""
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def get(self) -> ManagedItem:
        """The item and where it stands: ``state`` (pending, published, rejected) and,
        for a rejected one, the ``reason`` and the shop's ``note``."""
        return ManagedItem.from_dict(await self._client.request("GET", "mine"))

    async def update(
        self,
        *,
        rating: int | NotGiven = NOT_GIVEN,
        title: str | NotGiven | None = NOT_GIVEN,
        body: str | NotGiven = NOT_GIVEN,
        author_name: str | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> ManagedItem:
        """Edit the item (a comment takes ``body`` and ``author_name``; a review also
        ``rating`` and ``title``, None removing it); what is not given stays. The edit
        goes back through moderation as a new submission would. Invalid fields raise
        :class:`~plaudit.ValidationError`, and nothing is changed."""
        changes = patch_body(rating=rating, title=title, body=body, author_name=author_name)
        data = await self._client.request(
            "PATCH", "mine", json=changes, idempotency_key=idempotency_key
        )
        return ManagedItem.from_dict(data)

    async def delete(self) -> None:
        """Delete the item for good; the manage link then answers
        :class:`~plaudit.GoneError`."""
        await self._client.request("DELETE", "mine")

    async def appeal(self, message: str, *, idempotency_key: str | None = None) -> ManagedItem:
        """Ask the shop to look again at a rejection, once, with a ``message`` (1-2000
        characters): the item goes back to the queue marked ``appealed``. Appealing an
        item that is not rejected, or a second time, raises
        :class:`~plaudit.ConflictError`."""
        data = await self._client.request(
            "POST", "mine/appeal", json={"message": message}, idempotency_key=idempotency_key
        )
        return ManagedItem.from_dict(data)
