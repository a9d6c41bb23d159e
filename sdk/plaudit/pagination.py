"""Cursor pages: iterate one to get every item across pages, or walk the pages.

The API pages with an opaque ``next_cursor``. A page fetched by ``list()`` knows how to
fetch the next one, so iterating it yields every item, and ``iter_pages()`` one page at
a time (here with 12 reviews on the site):

>>> page = client.reviews.list(limit=5)
>>> len(page.items), page.has_next_page()
(5, True)
>>> len(list(page))
12
>>> [len(p.items) for p in client.reviews.list(limit=5).iter_pages()]
[5, 5, 2]

On :class:`~plaudit.AsyncPlaudit` the same reads ``async for``, and awaiting the
``list()`` call gives the first page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

from ._async.pagination import AsyncCursorPage, AsyncProductReviewsPage
from ._sync.pagination import CursorPage, ProductReviewsPage

__all__ = [
    "AsyncCursorPage",
    "AsyncPaginator",
    "AsyncProductReviewsPage",
    "CursorPage",
    "ProductReviewsPage",
]

T = TypeVar("T")
PageT = TypeVar("PageT", bound=AsyncCursorPage[Any])


class AsyncPaginator(Generic[T, PageT]):
    """What an async ``list()`` returns before any request is made.

    ``await`` it for the first page, or ``async for`` over it for every item::

        page = await client.reviews.list(limit=50)
        async for review in client.reviews.list(status="pending"):
            ...

    The sync client has no such thing: its ``list()`` returns the first page itself.
    """

    def __init__(self, first_page: Callable[[], Awaitable[PageT]]) -> None:
        self._first_page = first_page

    def __await__(self) -> Generator[Any, None, PageT]:
        return self._first_page().__await__()

    async def iter_pages(self) -> AsyncIterator[PageT]:
        """Every page in turn, starting with the first."""
        first: PageT = await self._first_page()
        async for page in first.iter_pages():
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        first: PageT = await self._first_page()
        async for item in first:
            yield item
