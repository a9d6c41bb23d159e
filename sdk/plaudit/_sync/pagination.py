# Generated from plaudit/_async/pagination.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""The pages of results that ``list()`` methods return (see :mod:`plaudit.pagination`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, Self, TypeVar

from .._models import Review, Summary

T = TypeVar("T")


class CursorPage(Generic[T]):
    """One page of results. Iterating it yields its items *and those of every later
    page*; ``items`` holds just this page's."""

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
