"""What a resource holds, and how its ``list()`` hands back pages, in each flavour.

The resources are written once, async, in :mod:`plaudit._async` (the sync ones are
generated from them). The one thing the flavours do differently on purpose is here: a
sync ``list()`` returns its first page, fetched at once, while an async ``list()``
returns an :class:`~plaudit.pagination.AsyncPaginator` to ``await`` or ``async for``.
Both resource bases spell it ``self._pages(...)`` with a ``Pages``/``AsyncPages``
return type, so the generated sync code says the right thing by renaming alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from ._base_client import NotGiven
from .pagination import AsyncCursorPage, AsyncPaginator, CursorPage

if TYPE_CHECKING:
    from ._async.client import AsyncPlaudit
    from ._sync.client import Plaudit

T = TypeVar("T")

Pages: TypeAlias = CursorPage[T]
AsyncPages: TypeAlias = AsyncPaginator[T, AsyncCursorPage[T]]


class APIResource:
    """A resource of :class:`~plaudit.Plaudit`."""

    def __init__(self, client: Plaudit) -> None:
        self._client = client

    @staticmethod
    def _pages(first_page: Callable[[], CursorPage[T]]) -> Pages[T]:
        return first_page()


class AsyncAPIResource:
    """A resource of :class:`~plaudit.AsyncPlaudit`."""

    def __init__(self, client: AsyncPlaudit) -> None:
        self._client = client

    @staticmethod
    def _pages(first_page: Callable[[], Awaitable[AsyncCursorPage[T]]]) -> AsyncPages[T]:
        return AsyncPaginator(first_page)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def batch_key(idempotency_key: str | None, index: int) -> str | None:
    """The Idempotency-Key of the ``index``-th request of a call sent in batches: each
    batch is its own request, so each needs its own key."""
    if idempotency_key is None:
        return None
    return idempotency_key if index == 0 else f"{idempotency_key}:{index}"


def patch_body(**fields: Any) -> dict[str, Any]:
    """A PATCH body of the fields given: those left ``NOT_GIVEN`` are left out, while
    None is sent (it clears a field, such as a reply). Nothing given is a mistake."""
    body = {name: value for name, value in fields.items() if not isinstance(value, NotGiven)}
    if not body:
        raise ValueError(f"Nothing to update: give {', '.join(fields)}.")
    return body


def rejection(reason: str | None, note: str | None) -> dict[str, Any]:
    """The ``reason`` and ``note`` of a rejection as ``update()`` takes them: only those
    given (``reject(id)`` alone sends neither)."""
    return {k: v for k, v in {"reason": reason, "note": note}.items() if v is not None}
