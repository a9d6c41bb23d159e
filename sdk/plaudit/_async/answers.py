"""``client.answers``: moderate the answers to product questions, and answer as the shop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from .._base_client import NOT_GIVEN, NotGiven
from .._base_resource import AsyncPages, patch_body
from .._models import AdminAnswer, RejectReason, ReviewStatus
from .collection import AsyncModeratedCollection

__all__ = ["AsyncAnswers"]

AnswerSort = Literal["newest", "oldest", "updated"]


class AsyncAnswers(AsyncModeratedCollection[AdminAnswer]):
    """The answers to the site's product questions, in every status (admin API)."""

    name = "answers"
    item_key = "answer"

    def _item(self, data: Mapping[str, Any]) -> AdminAnswer:
        return AdminAnswer.from_dict(data)

    def list(
        self,
        *,
        status: ReviewStatus | str | None = None,
        question_id: str | None = None,
        product: str | None = None,
        q: str | None = None,
        updated_since: dt.datetime | str | None = None,
        sort: AnswerSort | None = None,
        limit: int | None = None,
    ) -> AsyncPages[AdminAnswer]:
        """The answers matching the filters, page by page (see :mod:`plaudit.pagination`).

        ``question_id`` keeps one question's answers; the other filters are those of
        ``client.questions.list``.
        """
        params = {
            "status": status,
            "question_id": question_id,
            "product": product,
            "q": q,
            "updated_since": updated_since,
            "sort": sort,
            "limit": limit,
        }
        return self._list(params)

    async def create(
        self, *, question_id: str, body: str, idempotency_key: str | None = None
    ) -> AdminAnswer:
        """Answer a question as the shop itself: published at once, ``is_owner`` true,
        and shown before every other answer. A pending question may be answered from the
        queue; one rejected, marked spam or not this site's raises
        :class:`~plaudit.ValidationError` on ``question_id``."""
        data = await self._client.request(
            "POST",
            "admin/answers",
            json={"question_id": question_id, "body": body},
            idempotency_key=idempotency_key,
        )
        return self._one(data)

    async def update(
        self,
        answer_id: str,
        *,
        status: ReviewStatus | str | NotGiven = NOT_GIVEN,
        reason: RejectReason | str | NotGiven = NOT_GIVEN,
        note: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> AdminAnswer:
        """Change an answer's status; ``reason`` and ``note`` as for
        ``client.reviews.update``. The first answer published tells the asker, when
        they asked to hear."""
        fields = patch_body(status=status, reason=reason, note=note)
        return await self._patch(answer_id, fields, idempotency_key)
