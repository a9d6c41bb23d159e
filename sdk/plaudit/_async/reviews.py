"""``client.reviews``: list, read, moderate, answer, delete and export a site's reviews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from .._base_client import NOT_GIVEN, NotGiven
from .._base_resource import AsyncPages, patch_body
from .._export import Destination, Exporter
from .._models import AdminReview, RejectReason, ReviewStatus
from .collection import AsyncModeratedCollection

__all__ = ["AsyncReviews"]

ReviewSort = Literal["newest", "oldest", "updated"]
#: ``"store"``: reviews of the shop itself; ``"product"``: reviews of its products.
ReviewSubject = Literal["store", "product"]
ExportFormat = Literal["csv", "jsonl"]
EXPORT_PAGE_SIZE = 100


def _list_params(
    status: ReviewStatus | str | None,
    product: str | None,
    rating: int | None,
    q: str | None,
    updated_since: dt.datetime | str | None,
    sort: ReviewSort | None,
    limit: int | None,
    subject: ReviewSubject | None,
) -> dict[str, Any]:
    return {
        "status": status,
        "product": product,
        "subject": subject,
        "rating": rating,
        "q": q,
        "updated_since": updated_since,
        "sort": sort,
        "limit": limit,
    }


def _export_total(stats_counts: Any, status: ReviewStatus | str | None) -> int | None:
    if status is None or str(status) == "all":
        return int(stats_counts.total)
    try:
        return int(stats_counts[status])
    except ValueError:
        return None


class AsyncReviews(AsyncModeratedCollection[AdminReview]):
    """The site's reviews, in every status (admin API). ``delete()`` deletes a review
    with its votes and comments, for good."""

    name = "reviews"
    item_key = "review"

    def _item(self, data: Mapping[str, Any]) -> AdminReview:
        return AdminReview.from_dict(data)

    def list(
        self,
        *,
        status: ReviewStatus | str | None = None,
        product: str | None = None,
        rating: int | None = None,
        q: str | None = None,
        updated_since: dt.datetime | str | None = None,
        sort: ReviewSort | None = None,
        limit: int | None = None,
        subject: ReviewSubject | None = None,
    ) -> AsyncPages[AdminReview]:
        """The reviews matching the filters, page by page (see :mod:`plaudit.pagination`).

        ``status`` is ``"pending"``, ``"published"``, ``"rejected"``, ``"spam"`` (or a
        :class:`ReviewStatus`); left out, every status. ``q`` searches title, body and
        author. ``updated_since`` (an aware datetime) with ``sort="updated"`` gives what
        changed since a previous sync. ``limit`` is the page size (1-100). ``subject`` is
        ``"store"`` for the reviews of the shop itself (their ``product`` is None) or
        ``"product"`` for the others; left out, both.

        >>> page = await client.reviews.list(limit=1)
        >>> newest = page.items[0]
        >>> newest.status, newest.created_at.tzinfo
        (<ReviewStatus.PUBLISHED: 'published'>, datetime.timezone.utc)
        >>> (await client.reviews.list(subject="store")).items  # no review of the shop yet
        []
        """
        return self._list(
            _list_params(status, product, rating, q, updated_since, sort, limit, subject)
        )

    async def update(
        self,
        review_id: str,
        *,
        status: ReviewStatus | str | NotGiven = NOT_GIVEN,
        reply: str | NotGiven | None = NOT_GIVEN,
        verified_buyer: bool | NotGiven = NOT_GIVEN,
        reason: RejectReason | str | NotGiven = NOT_GIVEN,
        note: str | NotGiven | None = NOT_GIVEN,
        incentivized: bool | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> AdminReview:
        """Change a review's status, the shop's public reply (None removes it), whether
        its author is a ``verified_buyer`` or received an incentive (``incentivized``,
        shown on the review).

        ``reason`` (a :data:`~plaudit.RejectReason`) says why a review is rejected or
        marked spam, and goes only with those statuses; ``note`` is a word to its author,
        shown with the reason on their manage page. Both are kept in the review's
        ``moderation`` and the audit log. A reason outside the list raises
        :class:`~plaudit.ValidationError`.

        >>> review = (await client.reviews.list(limit=1)).items[0]
        >>> rejected = await client.reviews.update(
        ...     review.id, status="rejected", reason="off_topic", note="About the courier."
        ... )
        >>> rejected.status, rejected.moderation.reason, rejected.moderation.note
        (<ReviewStatus.REJECTED: 'rejected'>, 'off_topic', 'About the courier.')
        >>> (await client.reviews.approve(review.id)).status
        <ReviewStatus.PUBLISHED: 'published'>
        """
        body = patch_body(
            status=status,
            reply=reply,
            verified_buyer=verified_buyer,
            reason=reason,
            note=note,
            incentivized=incentivized,
        )
        return await self._patch(review_id, body, idempotency_key)

    async def reply(self, review_id: str, body: str | None) -> AdminReview:
        """Set the shop's public reply shown under the review; ``None`` removes it."""
        return await self.update(review_id, reply=body)

    async def export(
        self,
        file: Destination,
        *,
        format: ExportFormat = "csv",
        progress: bool | None = None,
        status: ReviewStatus | str | None = None,
        product: str | None = None,
        rating: int | None = None,
        q: str | None = None,
        updated_since: dt.datetime | str | None = None,
        sort: ReviewSort | None = None,
        subject: ReviewSubject | None = None,
    ) -> int:
        """Write every review matching the filters of :meth:`list` to ``file``.

        ``file`` is a path (written to a temporary file first, so a failed export leaves
        nothing half-written) or an open text file. ``format`` is ``"csv"`` (safe to open
        in a spreadsheet: cells that would start a formula are prefixed with ``'``) or
        ``"jsonl"`` (one review per line as the admin API returns it). A progress bar
        goes to stderr when it is a terminal (``progress=`` forces it on or off). Returns
        the number of reviews written. The file is written with blocking writes: they
        are small and sequential.

        ``"jsonl"`` is the admin API's review objects, filtered: for the whole site in
        the open format (settings, products, reviews, comments, invitations), the file
        ``plaudit export`` writes and ``plaudit import --format plaudit`` reads, use
        :meth:`AsyncPlaudit.export` (``client.export(path)``) instead.

        >>> await client.reviews.export("reviews.csv", status="published")
        12
        >>> await client.reviews.export("reviews.jsonl", format="jsonl", rating=1)
        0
        """
        params = _list_params(
            status, product, rating, q, updated_since, sort, EXPORT_PAGE_SIZE, subject
        )
        exporter = Exporter(file, format=format, progress=progress)
        with exporter:
            if (
                exporter.wants_total
                and product is None
                and rating is None
                and q is None
                and updated_since is None
                and subject is None
            ):
                stats = await self._client.stats()
                exporter.set_total(_export_total(stats.reviews, status))
            cursor: str | None = None
            while True:
                data = await self._page_data(params, cursor)
                exporter.write_many(data["reviews"])
                cursor = data.get("next_cursor")
                if cursor is None:
                    break
        return exporter.count
