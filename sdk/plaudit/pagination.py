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

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, Self, TypeVar

from ._models import Review, Summary

__all__ = [
    "AsyncCursorPage",
    "AsyncPaginator",
    "AsyncProductReviewsPage",
    "CursorPage",
    "ProductReviewsPage",
]

T = TypeVar("T")


class CursorPage(Generic[T]):
    """One page of results. Iterating it yields its items *and those of every later page*;
    ``items`` holds just this page's."""

    items: list[T]
    next_cursor: str | None

    def __init__(
        self,
        items: list[T],
        next_cursor: str | None,
        fetch: Callable[[str], Self],
    ) -> None:
        self.items = items
        self.next_cursor = next_cursor
        self._fetch = fetch

    def __repr__(self) -> str:
        return f"<{type(self).__name__} items={len(self.items)} next_cursor={self.next_cursor!r}>"

    def has_next_page(self) -> bool:
        return self.next_cursor is not None

    def next_page(self) -> Self | None:
        """Fetch the page after this one; None on the last page."""
        if self.next_cursor is None:
            return None
        return self._fetch(self.next_cursor)

    def iter_pages(self) -> Iterator[Self]:
        """This page, then each following page, fetched as the loop reaches it."""
        page: Self | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items


class ProductReviewsPage(CursorPage[Review]):
    """A page of a product's published reviews, with the product's rating ``summary``."""

    summary: Summary

    def __init__(
        self,
        items: list[Review],
        next_cursor: str | None,
        fetch: Callable[[str], Self],
        *,
        summary: Summary,
    ) -> None:
        super().__init__(items, next_cursor, fetch)
        self.summary = summary


class AsyncCursorPage(Generic[T]):
    """One page of results on the async client; ``async for`` yields every item across
    this and later pages."""

    items: list[T]
    next_cursor: str | None

    def __init__(
        self,
        items: list[T],
        next_cursor: str | None,
        fetch: Callable[[str], Awaitable[Self]],
    ) -> None:
        self.items = items
        self.next_cursor = next_cursor
        self._fetch = fetch

    def __repr__(self) -> str:
        return f"<{type(self).__name__} items={len(self.items)} next_cursor={self.next_cursor!r}>"

    def has_next_page(self) -> bool:
        return self.next_cursor is not None

    async def next_page(self) -> Self | None:
        """Fetch the page after this one; None on the last page."""
        if self.next_cursor is None:
            return None
        return await self._fetch(self.next_cursor)

    async def iter_pages(self) -> AsyncIterator[Self]:
        """This page, then each following page, fetched as the loop reaches it."""
        page: Self | None = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item


class AsyncProductReviewsPage(AsyncCursorPage[Review]):
    """A page of a product's published reviews, with the product's rating ``summary``."""

    summary: Summary

    def __init__(
        self,
        items: list[Review],
        next_cursor: str | None,
        fetch: Callable[[str], Awaitable[Self]],
        *,
        summary: Summary,
    ) -> None:
        super().__init__(items, next_cursor, fetch)
        self.summary = summary


PageT = TypeVar("PageT", bound=AsyncCursorPage[Any])


class AsyncPaginator(Generic[T, PageT]):
    """What an async ``list()`` returns before any request is made.

    ``await`` it for the first page, or ``async for`` over it for every item::

        page = await client.reviews.list(limit=50)
        async for review in client.reviews.list(status="pending"):
            ...
    """

    def __init__(self, first_page: Callable[[], Awaitable[PageT]]) -> None:
        self._first_page = first_page

    def __await__(self) -> Generator[Any, None, PageT]:
        return self._first_page().__await__()

    async def iter_pages(self) -> AsyncIterator[PageT]:
        """Every page in turn, starting with the first."""
        page: PageT | None = await self._first_page()
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item
