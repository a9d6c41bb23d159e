# Generated from plaudit/_async/ideas.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.ideas``: the idea board, from the shop's side: moderate ideas, move them
through their stages, turn feedback into ideas and merge duplicates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from .._base_client import NOT_GIVEN, NotGiven
from .._base_resource import Pages, patch_body
from .._models import AdminIdea, IdeaStage, RejectReason, ReviewStatus
from .collection import ModeratedCollection

__all__ = ["Ideas"]

#: ``"top"``: most votes first.
IdeaSort = Literal["newest", "oldest", "updated", "top"]


class Ideas(ModeratedCollection[AdminIdea]):
    """The site's ideas, in every status and stage (admin API)."""

    name = "ideas"
    item_key = "idea"

    def _item(self, data: Mapping[str, Any]) -> AdminIdea:
        return AdminIdea.from_dict(data)

    def list(
        self,
        *,
        status: ReviewStatus | str | None = None,
        stage: IdeaStage | str | None = None,
        product: str | None = None,
        q: str | None = None,
        updated_since: dt.datetime | str | None = None,
        sort: IdeaSort | None = None,
        limit: int | None = None,
    ) -> Pages[AdminIdea]:
        """The ideas matching the filters, page by page (see :mod:`plaudit.pagination`).

        ``status`` is the moderation status, as for reviews; ``stage`` one of
        :class:`~plaudit.IdeaStage`; ``q`` searches title, text and author; ``sort``
        ``"newest"`` (the default), ``"oldest"``, ``"updated"`` or ``"top"`` (most
        votes first).
        """
        params = {"status": status, "stage": stage, "product": product, "q": q}
        return self._list({**params, "updated_since": updated_since, "sort": sort, "limit": limit})

    def create(
        self,
        *,
        title: str,
        body: str | None = None,
        product: str | None = None,
        sources: Iterable[str] = (),
        idempotency_key: str | None = None,
    ) -> AdminIdea:
        """Put an idea on the board as the shop: published at once, in stage ``open``.

        ``sources`` are ids of reviews and comments the idea comes from ("make this an
        idea"): they are linked and shown on it, and their authors hear when it is
        planned or shipped; an id that is not one of the site's raises
        :class:`~plaudit.ValidationError` on ``from``. ``product`` left out is the
        sources' product when they share one, else None (an idea about the shop).
        """
        if isinstance(sources, str):
            raise TypeError("sources must be a list of review or comment ids, not one string.")
        data: dict[str, Any] = {"title": title, "from": [*sources]}
        if body is not None:
            data["body"] = body
        if product is not None:
            data["product"] = product
        answer = self._client.request(
            "POST", "admin/ideas", json=data, idempotency_key=idempotency_key
        )
        return self._one(answer)

    def update(
        self,
        idea_id: str,
        *,
        status: ReviewStatus | str | NotGiven = NOT_GIVEN,
        reason: RejectReason | str | NotGiven = NOT_GIVEN,
        note: str | NotGiven | None = NOT_GIVEN,
        stage: IdeaStage | str | NotGiven = NOT_GIVEN,
        stage_note: str | NotGiven | None = NOT_GIVEN,
        title: str | NotGiven = NOT_GIVEN,
        body: str | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> AdminIdea:
        """Change an idea: its moderation ``status`` (with ``reason`` and ``note``, as
        for ``client.reviews.update``), its ``stage`` on the roadmap with a public
        ``stage_note`` (None removes it), its ``title`` or ``body``.

        Reaching ``planned`` or ``shipped`` tells everyone who voted with an address and
        the authors of its linked feedback, once, with the note. A stage outside
        :class:`~plaudit.IdeaStage` raises :class:`~plaudit.ValidationError`.
        """
        fields = patch_body(
            status=status,
            reason=reason,
            note=note,
            stage=stage,
            stage_note=stage_note,
            title=title,
            body=body,
        )
        return self._patch(idea_id, fields, idempotency_key)

    def merge(self, idea_id: str, *, into: str, idempotency_key: str | None = None) -> AdminIdea:
        """Merge a duplicate into another idea; returns that other idea.

        Its votes (still one per visitor) and linked feedback move to ``into``, and the
        duplicate is rejected with ``merged_into`` set. Merging an idea into itself, or
        into one that is not this site's or was merged itself, raises
        :class:`~plaudit.ValidationError` on ``into``; merging an idea twice,
        :class:`~plaudit.ConflictError`.
        """
        data = self._client.request(
            "POST",
            self._path(idea_id, "merge"),
            json={"into": into},
            idempotency_key=idempotency_key,
        )
        return self._one(data)
