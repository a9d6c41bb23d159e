"""``client.questions``: moderate the questions visitors ask on product pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from .._base_client import NOT_GIVEN, NotGiven
from .._base_resource import AsyncPages, patch_body
from .._models import AdminQuestion, RejectReason, ReviewStatus
from .collection import AsyncModeratedCollection

__all__ = ["AsyncQuestions"]

QuestionSort = Literal["newest", "oldest", "updated"]


class AsyncQuestions(AsyncModeratedCollection[AdminQuestion]):
    """The site's product questions, in every status (admin API). Their answers are
    ``client.answers``."""

    name = "questions"
    item_key = "question"

    def _item(self, data: Mapping[str, Any]) -> AdminQuestion:
        return AdminQuestion.from_dict(data)

    def list(
        self,
        *,
        status: ReviewStatus | str | None = None,
        product: str | None = None,
        q: str | None = None,
        updated_since: dt.datetime | str | None = None,
        sort: QuestionSort | None = None,
        limit: int | None = None,
    ) -> AsyncPages[AdminQuestion]:
        """The questions matching the filters, page by page (see :mod:`plaudit.pagination`).

        ``status`` is ``"pending"``, ``"published"``, ``"rejected"`` or ``"spam"``; left
        out, every status. ``q`` searches the question and its author; ``sort`` is
        ``"newest"`` (the default), ``"oldest"`` or ``"updated"`` (with
        ``updated_since``, what changed since a previous sync, as for reviews);
        ``limit`` the page size (1-100).
        """
        params = {"status": status, "product": product, "q": q, "updated_since": updated_since}
        return self._list({**params, "sort": sort, "limit": limit})

    async def update(
        self,
        question_id: str,
        *,
        status: ReviewStatus | str | NotGiven = NOT_GIVEN,
        reason: RejectReason | str | NotGiven = NOT_GIVEN,
        note: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> AdminQuestion:
        """Change a question's status; ``reason`` and ``note`` say why it is rejected or
        marked spam, as for ``client.reviews.update``. Publishing a question invites up
        to three customers who reviewed its product to answer it."""
        fields = patch_body(status=status, reason=reason, note=note)
        return await self._patch(question_id, fields, idempotency_key)
