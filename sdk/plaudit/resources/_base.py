"""Base classes of resources: each holds the client it sends requests through."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .._client import AsyncPlaudit, Plaudit

T = TypeVar("T")


class SyncAPIResource:
    def __init__(self, client: Plaudit) -> None:
        self._client = client


class AsyncAPIResource:
    def __init__(self, client: AsyncPlaudit) -> None:
        self._client = client


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
