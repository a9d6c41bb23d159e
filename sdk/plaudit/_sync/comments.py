# Generated from plaudit/_async/comments.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.comments``: moderate a site's fan comments and post the shop's own replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from .._base_client import NOT_GIVEN, NotGiven, path_segment
from .._base_resource import Pages, patch_body, rejection
from .._models import AdminComment, CommentStatus, RejectReason
from .collection import Collection

__all__ = ["Comments"]

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


def _comment(data: Mapping[str, Any]) -> AdminComment:
    # Creation may answer with the comment itself or wrapped as {"comment": ...}.
    inner = data.get("comment")
    return AdminComment.from_dict(inner if isinstance(inner, Mapping) else data)


def _path(comment_id: str) -> str:
    return f"admin/comments/{path_segment(comment_id, 'comment_id')}"


class Comments(Collection[AdminComment]):
    """The site's fan comments, in every status (admin API)."""

    name = "comments"

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
    ) -> Pages[AdminComment]:
        """The comments matching the filters, page by page (see :mod:`plaudit.pagination`).

        ``review`` is a review id: only the comments of that review's thread.
        """
        return self._list(_list_params(status, product, review, q, updated_since, sort, limit))

    def get(self, comment_id: str) -> AdminComment:
        """One comment by id; :class:`NotFoundError` if it is not one of this site's."""
        return AdminComment.from_dict(self._client.request("GET", _path(comment_id)))

    def create(
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
        data = self._client.request(
            "POST",
            "admin/comments",
            json=_create_body(product, body, review_id, parent_id),
            idempotency_key=idempotency_key,
        )
        return _comment(data)

    def reply(self, comment_id: str, body: str) -> AdminComment:
        """Answer a comment as the shop: a new owner comment under it."""
        parent = self.get(comment_id)
        return self.create(
            product=parent.product, body=body, review_id=parent.review_id, parent_id=parent.id
        )

    def update(
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
        data = self._client.request(
            "PATCH", _path(comment_id), json=body, idempotency_key=idempotency_key
        )
        return AdminComment.from_dict(data)

    def approve(self, comment_id: str) -> AdminComment:
        """Publish a comment."""
        return self.update(comment_id, status=CommentStatus.PUBLISHED)

    def reject(
        self,
        comment_id: str,
        *,
        reason: RejectReason | str | None = None,
        note: str | None = None,
    ) -> AdminComment:
        """Reject a comment, telling its author why with ``reason`` and ``note``."""
        return self.update(comment_id, status=CommentStatus.REJECTED, **rejection(reason, note))

    def mark_spam(
        self,
        comment_id: str,
        *,
        reason: RejectReason | str | None = None,
        note: str | None = None,
    ) -> AdminComment:
        """Mark a comment as spam (``reason`` and ``note`` as for :meth:`reject`)."""
        return self.update(comment_id, status=CommentStatus.SPAM, **rejection(reason, note))

    def delete(self, comment_id: str) -> None:
        """Delete a comment for good."""
        self._client.request("DELETE", _path(comment_id))

    def moderate(
        self,
        ids: Iterable[str],
        status: CommentStatus | str,
        *,
        reason: RejectReason | str | None = None,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        """Give many comments one status (500 per request); returns how many were
        updated. ``reason`` and ``note`` go with ``"rejected"`` or ``"spam"``."""
        return self._moderate(ids, status, idempotency_key, reason=reason, note=note)
