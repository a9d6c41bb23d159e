"""What every importer yields: plain records, independent of the tool they came from.

A reader turns its source (a CSV, an XML export, a database) into a stream of
:class:`ReviewRecord`, :class:`CommentRecord` and :class:`Refused` in file order; the
loader (``loader.py``) writes them. ``source_id`` is the item's id in the source tool:
it is stored with the item, so importing the same file again adds nothing. ``line`` is
where the item starts in the file (1-based; for XML the element's line, for a database
the row id), for the report of refused rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..models import Status


@dataclass
class ReviewRecord:
    source_id: str
    product: str  # the shop's product id (checked by the loader against the id rule)
    rating: int  # 1-5 (readers map 1-10 and 1-100 scales and say so in ``notes``)
    body: str
    author_name: str
    created_at: datetime  # aware UTC
    line: int
    title: str | None = None
    author_email: str | None = None
    verified_buyer: bool = False
    status: Status = Status.PUBLISHED  # what the source says (curated, hidden, spam...)
    reply_body: str | None = None  # the shop's public reply
    reply_created_at: datetime | None = None
    helpful_count: int = 0
    unhelpful_count: int = 0
    # The plaudit format only: the ``id`` to keep (so an export of an import is the
    # same file; ``source_id`` is then that id too, and parent and review references
    # are ids), and the item's own (source, source_id), stored as they are.
    id: str | None = None
    origin: tuple[str | None, str | None] | None = None
    updated_at: datetime | None = None
    # True when the reader has already applied the API's text rules to the body, title,
    # name, address and reply (``csvfiles.text``, ``csvfiles.People``) and checked the
    # product id: the loader then does not check them a second time (a million rows).
    checked: bool = False


@dataclass
class CommentRecord:
    source_id: str
    product: str
    body: str
    author_name: str
    created_at: datetime
    line: int
    parent_source_id: str | None = None  # the comment it answers (same source)
    review_source_id: str | None = None  # the review it answers (same source)
    author_email: str | None = None
    is_owner: bool = False
    status: Status = Status.PUBLISHED
    id: str | None = None
    origin: tuple[str | None, str | None] | None = None
    updated_at: datetime | None = None
    checked: bool = False  # as ReviewRecord.checked


@dataclass
class Refused:
    """A row the reader could not make a record of, and why (in plain words)."""

    line: int
    reason: str
    source_id: str | None = None


@dataclass
class Note:
    """Something the reader did that the person importing should know, said once in
    the summary (e.g. "ratings out of 10 were mapped to 1-5", "read as Windows-1252")."""

    text: str


@dataclass
class Other:
    """A line of the plaudit format that is not a review or a comment (the site's
    settings, an invitation, a suppressed address, a question, an answer, an idea),
    written by the loader as it is."""

    type: str
    data: dict[str, Any]
    line: int


Record = ReviewRecord | CommentRecord | Refused | Note | Other


@dataclass
class Options:
    """What ``plaudit import`` passes to every reader (each uses what applies)."""

    # Judge.me: which column is the product id, "product_handle" or "product_id".
    product_field: str = "product_handle"
    # Disqus: a regular expression with one group, applied to a thread's link, whose
    # match is the product id (default: the link's last path segment).
    thread_pattern: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def export_time(value: Any) -> datetime | None:
    """A time as the open format writes it (ISO 8601 with a zone, ``Z`` for UTC), as an
    aware UTC datetime; None stays None. A time without a zone is a ValueError."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a time without a zone")
    return parsed.astimezone(UTC)


class ImportFileError(Exception):
    """The file cannot be read at all (not the format, unsafe XML, not a database):
    nothing is imported and the message says why."""
