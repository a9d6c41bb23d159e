"""``client.comments``: moderate a site's fan comments and post the shop's own replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from .._base_client import NOT_GIVEN, NotGiven
from .._base_resource import AsyncPages, patch_body
from .._models import AdminComment, CommentStatus, RejectReason
from .collection import AsyncModeratedCollection

__all__ = ["AsyncComments"]

CommentSort = Literal["newest", "oldest", "updated"]


def _list_params(
    status: CommentStatus | str | None,
    product: str | None,
    review: str | None,
    q: str | None,
    updated_since: dt.datetime | str | None,
    sort: CommentSort | None,
    limit: int | None,
) -> dict[str, Any]:
    return {
        "status": status,
        "product": product,
        "review": review,
        "q": q,
        "updated_since": updated_since,
        "sort": sort,
        "limit": limit,
    }


def _create_body(
    product: str, body: str, review_id: str | None, parent_id: str | None
) -> dict[str, Any]:
    data: dict[str, Any] = {"product": product, "body": body}
    if review_id is not None:
        data["review_id"] = review_id
    if parent_id is not None:
        data["parent_id"] = parent_id
    return data


class AsyncComments(AsyncModeratedCollection[AdminComment]):
    """The site's fan comments, in every status (admin API)."""

    name = "comments"
    item_key = "comment"

    def _item(self, data: Mapping[str, Any]) -> AdminComment:
        return AdminComment.from_dict(data)

    def list(
        self,
        *,
        status: CommentStatus | str | None = None,
        product: str | None = None,
        review: str | None = None,
        q: str | None = None,
        updated_since: dt.datetime | str | None = None,
        sort: CommentSort | None = None,
        limit: int | None = None,
    ) -> AsyncPages[AdminComment]:
        """The comments matching the filters, page by page (see :mod:`plaudit.pagination`).

        ``review`` is a review id: only the comments of that review's thread.
        """
        return self._list(_list_params(status, product, review, q, updated_since, sort, limit))

    async def create(
        self,
        *,
        product: str,
        body: str,
        review_id: str | None = None,
        parent_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> AdminComment:
        """Post a comment as the shop itself: published at once, ``is_owner`` true.

        ``review_id`` answers a review, ``parent_id`` answers another comment.
        """
        data = await self._client.request(
            "POST",
            "admin/comments",
            json=_create_body(product, body, review_id, parent_id),
            idempotency_key=idempotency_key,
        )
        return self._one(data)

    async def reply(self, comment_id: str, body: str) -> AdminComment:
        """Answer a comment as the shop: a new owner comment under it."""
        parent = await self.get(comment_id)
        return await self.create(
            product=parent.product, body=body, review_id=parent.review_id, parent_id=parent.id
        )

    async def update(
        self,
        comment_id: str,
        *,
        status: CommentStatus | str | NotGiven = NOT_GIVEN,
        reason: RejectReason | str | NotGiven = NOT_GIVEN,
        note: str | NotGiven | None = NOT_GIVEN,
        incentivized: bool | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> AdminComment:
        """Change a comment's status, or whether its author received an incentive.

        ``reason`` and ``note`` say why it is rejected or marked spam, as for
        ``client.reviews.update``.
        """
        body = patch_body(status=status, reason=reason, note=note, incentivized=incentivized)
        return await self._patch(comment_id, body, idempotency_key)
