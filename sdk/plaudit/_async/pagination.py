"""The pages of results that ``list()`` methods return (see :mod:`plaudit.pagination`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, Self, TypeVar

from .._models import Review, Summary

T = TypeVar("T")


class AsyncCursorPage(Generic[T]):
    """One page of results. Iterating it yields its items *and those of every later
    page*; ``items`` holds just this page's."""

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
