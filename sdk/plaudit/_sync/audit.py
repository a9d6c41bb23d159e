# Generated from plaudit/_async/audit.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.audit``: the site's audit log, read-only.

Every moderation action, edit, delete, reply, report decision, settings change, key,
invitation and webhook change is one entry naming who did it (an API key, an owner, the
system, the author). Nothing changes or deletes an entry, through the API or otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from .._base_resource import Pages
from .._models import AuditEntry
from .collection import Collection

__all__ = ["Audit"]

#: Who did something: an API key, a signed-in owner, the system, an item's author.
ActorType = Literal["key", "owner", "system", "reviewer"]


class Audit(Collection[AuditEntry]):
    """The site's audit log (admin API)."""

    name = "audit"
    items_key = "entries"

    def _item(self, data: Mapping[str, Any]) -> AuditEntry:
        return AuditEntry.from_dict(data)

    def list(
        self,
        *,
        object_id: str | None = None,
        action: str | None = None,
        actor_type: ActorType | str | None = None,
        since: dt.datetime | str | None = None,
        until: dt.datetime | str | None = None,
        limit: int | None = None,
    ) -> Pages[AuditEntry]:
        """The entries matching the filters, newest first, page by page (see
        :mod:`plaudit.pagination`).

        ``object_id`` keeps one review's, comment's, report's... history; ``action`` is
        an exact action (``"review.status"``) or a prefix ending in a dot
        (``"review."``); ``actor_type`` is ``"key"``, ``"owner"``, ``"system"`` or
        ``"reviewer"``; ``since`` and ``until`` (aware datetimes) bound ``at``;
        ``limit`` is the page size (1-100).
        """
        params = {
            "object_id": object_id,
            "action": action,
            "actor_type": actor_type,
            "since": since,
            "until": until,
            "limit": limit,
        }
        return self._list(params)
