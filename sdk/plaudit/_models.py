"""Typed results: plain frozen dataclasses built from the API's JSON.

Timestamps become timezone-aware ``datetime`` objects in UTC and statuses become enums.
Fields the server adds later are ignored, so a newer server never breaks an older SDK.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "AdminComment",
    "AdminReview",
    "Comment",
    "CommentStatus",
    "DayCount",
    "Moderation",
    "Reply",
    "Review",
    "ReviewStatus",
    "Site",
    "Stats",
    "StatusCounts",
    "Summary",
]


class ReviewStatus(StrEnum):
    """Where a review (or comment) stands in moderation; only ``PUBLISHED`` is public."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    SPAM = "spam"


#: Comments go through the same moderation states as reviews.
CommentStatus = ReviewStatus


class Moderation(StrEnum):
    """A site's moderation mode: ``POST`` publishes at once unless a spam check flags the
    item, ``PRE`` holds everything for approval."""

    POST = "post"
    PRE = "pre"


def parse_datetime(value: str) -> dt.datetime:
    """An ISO 8601 timestamp from the API (``...Z``) as an aware UTC datetime."""
    parsed = dt.datetime.fromisoformat(value)  # accepts the trailing Z since Python 3.11
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class Reply:
    """The shop's public answer to a review."""

    body: str
    created_at: dt.datetime

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reply:
        return cls(body=data["body"], created_at=parse_datetime(data["created_at"]))


@dataclass(frozen=True, kw_only=True, slots=True)
class Review:
    """A review as the public sees it (published, no email address)."""

    id: str
    product: str
    rating: int
    title: str | None
    body: str
    author_name: str
    verified_buyer: bool
    helpful_count: int
    unhelpful_count: int
    comment_count: int
    created_at: dt.datetime
    reply: Reply | None

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        reply = data.get("reply")
        return {
            "id": data["id"],
            "product": data["product"],
            "rating": data["rating"],
            "title": data.get("title"),
            "body": data["body"],
            "author_name": data["author_name"],
            "verified_buyer": bool(data.get("verified_buyer", False)),
            "helpful_count": data.get("helpful_count", 0),
            "unhelpful_count": data.get("unhelpful_count", 0),
            "comment_count": data.get("comment_count", 0),
            "created_at": parse_datetime(data["created_at"]),
            "reply": Reply.from_dict(reply) if isinstance(reply, Mapping) else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Review:
        return cls(**cls._fields(data))


@dataclass(frozen=True, kw_only=True, slots=True)
class AdminReview(Review):
    """A review as its site's owner sees it: any status, with the author's email."""

    status: ReviewStatus
    author_email: str | None
    updated_at: dt.datetime
    spam_reasons: list[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdminReview:
        return cls(
            **Review._fields(data),
            status=ReviewStatus(data["status"]),
            author_email=data.get("author_email"),
            updated_at=parse_datetime(data["updated_at"]),
            spam_reasons=list(data.get("spam_reasons") or []),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Comment:
    """A fan comment in a product's discussion, as the public sees it.

    ``review_id`` is set when it answers a review, ``parent_id`` when it answers another
    comment; ``is_owner`` marks the shop's own replies.
    """

    id: str
    product: str
    review_id: str | None
    parent_id: str | None
    author_name: str
    body: str
    is_owner: bool
    created_at: dt.datetime

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": data["id"],
            "product": data["product"],
            "review_id": data.get("review_id"),
            "parent_id": data.get("parent_id"),
            "author_name": data["author_name"],
            "body": data["body"],
            "is_owner": bool(data.get("is_owner", False)),
            "created_at": parse_datetime(data["created_at"]),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comment:
        return cls(**cls._fields(data))


@dataclass(frozen=True, kw_only=True, slots=True)
class AdminComment(Comment):
    """A comment as its site's owner sees it: any status, with the author's email."""

    status: ReviewStatus
    author_email: str | None
    updated_at: dt.datetime
    spam_reasons: list[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdminComment:
        return cls(
            **Comment._fields(data),
            status=ReviewStatus(data["status"]),
            author_email=data.get("author_email"),
            updated_at=parse_datetime(data["updated_at"]),
            spam_reasons=list(data.get("spam_reasons") or []),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary:
    """The star rating of one product over its published reviews.

    ``histogram`` maps each rating 1-5 (as an int) to its number of reviews.
    """

    count: int
    average: float | None
    histogram: dict[int, int]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Summary:
        histogram = {star: 0 for star in range(1, 6)}
        for key, value in (data.get("histogram") or {}).items():
            histogram[int(key)] = int(value)
        average = data.get("average")
        return cls(
            count=int(data.get("count", 0)),
            average=float(average) if average is not None else None,
            histogram=histogram,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Site:
    """The API key's own site and its settings; ``id`` is its public slug."""

    id: str
    name: str
    allowed_origins: list[str]
    moderation: Moderation
    blocked_words: list[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Site:
        return cls(
            id=data["id"],
            name=data.get("name") or "",
            allowed_origins=list(data.get("allowed_origins") or []),
            moderation=Moderation(data["moderation"]),
            blocked_words=list(data.get("blocked_words") or []),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusCounts:
    """How many items are in each moderation state."""

    pending: int
    published: int
    rejected: int
    spam: int
    total: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StatusCounts:
        counts = {s.value: int(data.get(s.value, 0)) for s in ReviewStatus}
        return cls(**counts, total=int(data.get("total", sum(counts.values()))))

    def __getitem__(self, status: ReviewStatus | str) -> int:
        """``counts["pending"]`` or ``counts[ReviewStatus.PENDING]``."""
        value: int = getattr(self, ReviewStatus(status).value)
        return value


@dataclass(frozen=True, kw_only=True, slots=True)
class DayCount:
    """Reviews published on one day (UTC)."""

    date: dt.date
    count: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Stats:
    """Site statistics: counts by status, the site-wide average rating, and the number
    of reviews published on each of the last 90 days (oldest first)."""

    reviews: StatusCounts
    comments: StatusCounts
    average: float | None
    published_per_day: list[DayCount]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Stats:
        average = data.get("average")
        return cls(
            reviews=StatusCounts.from_dict(data.get("reviews") or {}),
            comments=StatusCounts.from_dict(data.get("comments") or {}),
            average=float(average) if average is not None else None,
            published_per_day=[
                DayCount(date=dt.date.fromisoformat(day["date"]), count=int(day["count"]))
                for day in data.get("published_per_day") or []
            ],
        )
