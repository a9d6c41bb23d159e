"""What the admin collections share: read in cursor pages and moderated in batches
(``client.reviews``, ``client.reports``...), and for the moderated ones (reviews,
comments, questions, answers, ideas) one item by id, changed, published, rejected or
deleted alike."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from .._base_client import path_segment
from .._base_resource import AsyncAPIResource, AsyncPages, batch_key, chunked, rejection
from .._models import RejectReason, ReviewStatus
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


class AsyncModeratedCollection(AsyncCollection[ItemT]):
    """``admin/<name>/<id>`` too: one item read, changed (PATCH), given a status or
    deleted, the same way for reviews, comments, questions, answers and ideas. Each
    resource adds its typed ``list()`` and ``update()``."""

    #: What one item is called: the member wrapping it in answers that wrap it
    #: (``{"answer": ...}``), and ``<item>_id`` in the error for a bad id.
    item_key: ClassVar[str]

    def _path(self, item_id: str, *rest: str) -> str:
        segment = path_segment(item_id, f"{self.item_key}_id")
        return "/".join([f"admin/{self.name}", segment, *rest])

    def _one(self, data: Mapping[str, Any]) -> ItemT:
        # Creation answers {"<item>": ...}; reads and changes the item itself.
        inner = data.get(self.item_key)
        return self._item(inner if isinstance(inner, Mapping) else data)

    async def _patch(
        self, item_id: str, body: dict[str, Any], idempotency_key: str | None
    ) -> ItemT:
        data = await self._client.request(
            "PATCH", self._path(item_id), json=body, idempotency_key=idempotency_key
        )
        return self._one(data)

    async def get(self, item_id: str) -> ItemT:
        """One item by id; :class:`~plaudit.NotFoundError` if it is not this site's."""
        return self._one(await self._client.request("GET", self._path(item_id)))

    async def approve(self, item_id: str) -> ItemT:
        """Publish an item."""
        return await self._patch(item_id, {"status": ReviewStatus.PUBLISHED}, None)

    async def reject(
        self,
        item_id: str,
        *,
        reason: RejectReason | str | None = None,
        note: str | None = None,
    ) -> ItemT:
        """Reject an item: never public, kept in the admin API. ``reason`` (a
        :data:`~plaudit.RejectReason`) and ``note`` tell its author why, as for reviews."""
        body = {"status": ReviewStatus.REJECTED, **rejection(reason, note)}
        return await self._patch(item_id, body, None)

    async def mark_spam(
        self,
        item_id: str,
        *,
        reason: RejectReason | str | None = None,
        note: str | None = None,
    ) -> ItemT:
        """Mark an item as spam: hidden like a rejected one (``reason`` and ``note`` as
        for :meth:`reject`)."""
        body = {"status": ReviewStatus.SPAM, **rejection(reason, note)}
        return await self._patch(item_id, body, None)

    async def delete(self, item_id: str) -> None:
        """Delete an item for good."""
        await self._client.request("DELETE", self._path(item_id))

    async def moderate(
        self,
        ids: Iterable[str],
        status: ReviewStatus | str,
        *,
        reason: RejectReason | str | None = None,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        """Give many items one status; returns how many were updated.

        Any number of ids: they are sent 500 at a time. ``reason`` and ``note`` (with
        ``"rejected"`` or ``"spam"``) are recorded on each, as with ``update()``.
        """
        return await self._moderate(ids, status, idempotency_key, reason=reason, note=note)
