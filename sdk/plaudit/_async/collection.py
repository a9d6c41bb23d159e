"""What ``client.reviews`` and ``client.comments`` share: an admin collection, read in
cursor pages and moderated in batches."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from .._base_resource import AsyncAPIResource, AsyncPages, batch_key, chunked
from .pagination import AsyncCursorPage

ItemT = TypeVar("ItemT")

MODERATE_BATCH = 500


class AsyncCollection(AsyncAPIResource, Generic[ItemT]):
    """``admin/<name>``, whose pages list items under ``<name>`` (or ``items_key``)."""

    name: ClassVar[str]
    #: The member of a page holding its items, when it is not ``name`` (the audit log's
    #: ``entries``).
    items_key: ClassVar[str | None] = None

    def _item(self, data: Mapping[str, Any]) -> ItemT:
        """One item of a page, as the model the resource returns."""
        raise NotImplementedError

    def _list(self, params: dict[str, Any]) -> AsyncPages[ItemT]:
        return self._pages(lambda: self._page(params, None))

    async def _page_data(self, params: dict[str, Any], cursor: str | None) -> Any:
        return await self._client.request(
            "GET", f"admin/{self.name}", params={**params, "cursor": cursor}
        )

    async def _page(self, params: dict[str, Any], cursor: str | None) -> AsyncCursorPage[ItemT]:
        data = await self._page_data(params, cursor)
        return AsyncCursorPage(
            [self._item(item) for item in data[self.items_key or self.name]],
            data.get("next_cursor"),
            lambda next_cursor: self._page(params, next_cursor),
        )

    async def _moderate(
        self,
        ids: Iterable[str],
        status: enum.Enum | str,
        idempotency_key: str | None,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> int:
        if isinstance(ids, str):
            raise TypeError("ids must be a list of ids, not one string.")
        extra = {k: v for k, v in {"reason": reason, "note": note}.items() if v is not None}
        updated = 0
        for index, batch in enumerate(chunked(ids, MODERATE_BATCH)):
            data = await self._client.request(
                "POST",
                f"admin/{self.name}/moderate",
                json={"ids": batch, "status": status, **extra},
                idempotency_key=batch_key(idempotency_key, index),
            )
            updated += int(data["updated"])
        return updated
