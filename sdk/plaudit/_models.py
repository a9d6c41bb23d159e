"""Typed results: plain frozen dataclasses built from the API's JSON.

Timestamps become timezone-aware ``datetime`` objects in UTC and statuses become enums.
Fields the server adds later are ignored, so a newer server never breaks an older SDK.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Required, TypedDict

__all__ = [
    "AdminAnswer",
    "AdminComment",
    "AdminIdea",
    "AdminQuestion",
    "AdminReview",
    "Answer",
    "AuditActor",
    "AuditEntry",
    "BatchError",
    "BatchResult",
    "Comment",
    "CommentStatus",
    "CommunityCounts",
    "DayCount",
    "Delivery",
    "DeliveryStatus",
    "Guidelines",
    "Idea",
    "IdeaSource",
    "IdeaStage",
    "Invitation",
    "InvitationStats",
    "InvitationStatus",
    "Locale",
    "ManagedItem",
    "Moderation",
    "ModerationDecision",
    "NewInvitation",
    "Problem",
    "Question",
    "RejectReason",
    "Reply",
    "Report",
    "ReportCounts",
    "ReportDecision",
    "ReportReason",
    "ReportStatus",
    "ResponseStats",
    "Review",
    "ReviewStatus",
    "Site",
    "Stats",
    "StatusCounts",
    "Summary",
    "Transparency",
    "Webhook",
    "WebhookEvent",
    "WebhookEventType",
]


class ReviewStatus(StrEnum):
    """Where a review (or comment) stands in moderation; only ``PUBLISHED`` is public."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    SPAM = "spam"


#: Comments go through the same moderation states as reviews.
CommentStatus = ReviewStatus


class InvitationStatus(StrEnum):
    """Where a review request stands: waiting to go out, out, answered, or done without
    a review (cancelled by the shop, unsubscribed, refused by the mail server, expired)."""

    SCHEDULED = "scheduled"
    SENT = "sent"
    REVIEWED = "reviewed"
    CANCELLED = "cancelled"
    UNSUBSCRIBED = "unsubscribed"
    FAILED = "failed"
    EXPIRED = "expired"


#: The languages of the e-mail and the review page; other tags get the site's ``locale``.
Locale = Literal["en", "de", "fr", "es"]

#: Why an item was rejected (or marked spam), told to its author and counted in the
#: transparency report. Never the rating: no reason exists for that.
RejectReason = Literal[
    "spam",
    "offensive",
    "off_topic",
    "personal_data",
    "not_genuine",
    "conflict_of_interest",
    "other",
]

#: What a visitor reports an item for; ``illegal`` is a notice of illegal content.
ReportReason = Literal[
    "spam", "offensive", "off_topic", "personal_data", "fake", "illegal", "other"
]

#: What the shop decides on an item's reports: ``keep`` it (published again if the
#: reports had held it) or ``remove`` it (rejected, with a reason taken from the reports).
ReportDecision = Literal["keep", "remove"]


class ReportStatus(StrEnum):
    """A report is ``OPEN`` until the shop decides on its item: ``KEPT`` or ``REMOVED``."""

    OPEN = "open"
    KEPT = "kept"
    REMOVED = "removed"


class NewInvitation(TypedDict, total=False):
    """One item of ``client.invitations.create_many``: the arguments of ``create``."""

    order_id: Required[str]
    email: Required[str]
    products: Required[Sequence[str]]
    name: str | None
    locale: Locale | str | None
    send_at: dt.datetime | None
    store_review: bool
    incentive: bool


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


def _optional_datetime(value: Any) -> dt.datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


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
    """A review as the public sees it (published, no email address).

    ``product`` is None for a store review (a review of the shop itself).
    ``incentivized`` says its author received something for it (a discount, a gift):
    shown as "received an incentive" wherever the review is.
    """

    id: str
    product: str | None
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
    incentivized: bool = False

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        reply = data.get("reply")
        return {
            "id": data["id"],
            "product": data.get("product"),
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
            "incentivized": bool(data.get("incentivized", False)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Review:
        return cls(**cls._fields(data))


@dataclass(frozen=True, kw_only=True, slots=True)
class ModerationDecision:
    """The last moderation of an item by a person: why it was rejected (``reason``, one
    of :data:`RejectReason`; None when it was published), the ``note`` its author is
    shown, when (``at``) and by whom (``by``: an API key's name, an owner's address).
    """

    reason: str | None
    note: str | None
    at: dt.datetime | None
    by: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModerationDecision:
        return cls(
            reason=data.get("reason"),
            note=data.get("note"),
            at=_optional_datetime(data.get("at")),
            by=data.get("by"),
        )

    @classmethod
    def optional(cls, data: Any) -> ModerationDecision | None:
        return cls.from_dict(data) if isinstance(data, Mapping) else None


def _trust_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the admin forms of reviews and comments say of reports and appeals."""
    return {
        "moderation": ModerationDecision.optional(data.get("moderation")),
        "reports_open": int(data.get("reports_open") or 0),
        "appealed": bool(data.get("appealed", False)),
        "appeal_message": data.get("appeal_message"),
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class AdminReview(Review):
    """A review as its site's owner sees it: any status, with the author's email.

    ``moderation`` is the last decision a person took on it (None if nobody did);
    ``reports_open`` counts visitors' reports awaiting a decision; ``appealed`` is true
    once its author appealed a rejection, with their ``appeal_message``.
    """

    status: ReviewStatus
    author_email: str | None
    updated_at: dt.datetime
    spam_reasons: list[str]
    moderation: ModerationDecision | None = None
    reports_open: int = 0
    appealed: bool = False
    appeal_message: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdminReview:
        return cls(
            **Review._fields(data),
            status=ReviewStatus(data["status"]),
            author_email=data.get("author_email"),
            updated_at=parse_datetime(data["updated_at"]),
            spam_reasons=list(data.get("spam_reasons") or []),
            **_trust_fields(data),
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
    """A comment as its site's owner sees it: any status, with the author's email, and
    the same moderation, report and appeal fields as :class:`AdminReview`."""

    status: ReviewStatus
    author_email: str | None
    updated_at: dt.datetime
    spam_reasons: list[str]
    moderation: ModerationDecision | None = None
    reports_open: int = 0
    appealed: bool = False
    appeal_message: str | None = None
    incentivized: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdminComment:
        return cls(
            **Comment._fields(data),
            status=ReviewStatus(data["status"]),
            author_email=data.get("author_email"),
            updated_at=parse_datetime(data["updated_at"]),
            spam_reasons=list(data.get("spam_reasons") or []),
            incentivized=bool(data.get("incentivized", False)),
            **_trust_fields(data),
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
    #: The language of messages to people whose own is not known: en, de, fr or es.
    locale: str = "en"
    #: Days from an invitation's creation to its e-mail (when it gives no ``send_at``).
    invite_delay_days: int = 0
    #: Days from the e-mail to its one reminder when no review came; 0 for none.
    invite_reminder_days: int = 7
    #: Days an invitation's link stays good after its e-mail.
    invite_ttl_days: int = 60
    #: Open reports that send a published item back to pending; 0: never.
    report_threshold: int = 3
    #: The site's own moderation guidelines; None: the default text.
    guidelines: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Site:
        return cls(
            id=data["id"],
            name=data.get("name") or "",
            allowed_origins=list(data.get("allowed_origins") or []),
            moderation=Moderation(data["moderation"]),
            blocked_words=list(data.get("blocked_words") or []),
            locale=data.get("locale") or "en",
            invite_delay_days=int(data.get("invite_delay_days", 0)),
            invite_reminder_days=int(data.get("invite_reminder_days", 7)),
            invite_ttl_days=int(data.get("invite_ttl_days", 60)),
            report_threshold=int(data.get("report_threshold", 3)),
            guidelines=data.get("guidelines"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusCounts:
    """How many items are in each moderation state."""

    pending: int = 0
    published: int = 0
    rejected: int = 0
    spam: int = 0
    total: int = 0

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
class InvitationStats:
    """Of the invitations sent, how many brought a review; ``conversion`` is
    reviewed / sent, None before the first is sent."""

    sent: int
    reviewed: int
    conversion: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InvitationStats:
        conversion = data.get("conversion")
        return cls(
            sent=int(data.get("sent", 0)),
            reviewed=int(data.get("reviewed", 0)),
            conversion=float(conversion) if conversion is not None else None,
        )


def _optional_float(value: Any) -> float | None:
    return float(value) if value is not None else None


@dataclass(frozen=True, kw_only=True, slots=True)
class ResponseStats:
    """How the shop answers its reviews: the share answered (``reply_rate``, 0-1), the
    median hours from a review to the shop's first answer, and the share of 1-2 star
    reviews answered. Each is None while there is nothing to measure."""

    reply_rate: float | None = None
    median_hours_to_reply: float | None = None
    low_rating_reply_rate: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponseStats:
        return cls(
            reply_rate=_optional_float(data.get("reply_rate")),
            median_hours_to_reply=_optional_float(data.get("median_hours_to_reply")),
            low_rating_reply_rate=_optional_float(data.get("low_rating_reply_rate")),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Stats:
    """Site statistics: counts by status, the site-wide average rating, the number of
    reviews published on each of the last 90 days (oldest first), how invitations
    convert, and how the shop answers reviews (``responses``).

    The community's counts by status are ``questions``, ``answers`` and ``ideas``;
    ``ideas_top`` is the most wanted (the most-voted open or under review ideas, up to
    5) and ``ideas_shipped`` the recently shipped (up to 5, newest first).
    """

    reviews: StatusCounts
    comments: StatusCounts
    average: float | None
    published_per_day: list[DayCount]
    invitations: InvitationStats
    responses: ResponseStats = ResponseStats()
    questions: StatusCounts = StatusCounts()
    answers: StatusCounts = StatusCounts()
    ideas: StatusCounts = StatusCounts()
    ideas_top: list[Idea] = field(default_factory=list)
    ideas_shipped: list[Idea] = field(default_factory=list)

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
            invitations=InvitationStats.from_dict(data.get("invitations") or {}),
            responses=ResponseStats.from_dict(data.get("responses") or {}),
            questions=StatusCounts.from_dict(data.get("questions") or {}),
            answers=StatusCounts.from_dict(data.get("answers") or {}),
            ideas=StatusCounts.from_dict(data.get("ideas") or {}),
            ideas_top=[Idea.from_dict(item) for item in data.get("ideas_top") or []],
            ideas_shipped=[Idea.from_dict(item) for item in data.get("ideas_shipped") or []],
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Invitation:
    """A review request to the buyer of one order.

    ``url`` is the hosted review page the e-mail links to; ``token`` (its last part) is
    what a review submitted from the shop's own page passes as ``invite`` to count as a
    verified buyer's. ``send_at`` is when the e-mail goes out (or went out), and nothing
    is sent after ``expires_at``. ``incentive``: the buyer is offered something for
    reviewing, and the reviews it brings are ``incentivized``.
    """

    id: str
    order_id: str
    email: str
    name: str | None
    products: list[str]
    locale: str
    status: InvitationStatus
    store_review: bool
    send_at: dt.datetime
    sent_at: dt.datetime | None
    reminded_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    expires_at: dt.datetime
    url: str
    created_at: dt.datetime
    incentive: bool = False

    @property
    def token(self) -> str:
        """The invitation's token: the last part of ``url``."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Invitation:
        return cls(
            id=data["id"],
            order_id=data["order_id"],
            email=data["email"],
            name=data.get("name"),
            products=list(data.get("products") or []),
            locale=data.get("locale") or "en",
            status=InvitationStatus(data["status"]),
            store_review=bool(data.get("store_review", True)),
            send_at=parse_datetime(data["send_at"]),
            sent_at=_optional_datetime(data.get("sent_at")),
            reminded_at=_optional_datetime(data.get("reminded_at")),
            reviewed_at=_optional_datetime(data.get("reviewed_at")),
            expires_at=parse_datetime(data["expires_at"]),
            url=data["url"],
            created_at=parse_datetime(data["created_at"]),
            incentive=bool(data.get("incentive", False)),
        )


#: The members every problem details document has; the others are its extensions.
PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "request_id"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """RFC 9457 problem details that came inside an answer rather than as its status:
    why one item of a batch was refused.

    ``errors`` maps each invalid field to its messages (a 422); ``extensions`` holds the
    members beyond the standard ones, such as the ``existing_id`` a 409 conflicts with.
    """

    status: int
    type: str | None
    title: str | None
    detail: str | None
    errors: dict[str, list[str]]
    extensions: dict[str, Any]

    @property
    def existing_id(self) -> str | None:
        """The id of the object a 409 conflicts with, when the server named one."""
        value = self.extensions.get("existing_id")
        return value if isinstance(value, str) else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        errors = data.get("errors")
        return cls(
            status=int(data.get("status", 0)),
            type=data.get("type"),
            title=data.get("title"),
            detail=data.get("detail"),
            errors=dict(errors) if isinstance(errors, Mapping) else {},
            extensions={
                k: v for k, v in data.items() if k not in PROBLEM_MEMBERS and k != "errors"
            },
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class BatchError:
    """One refused item of a batch: its ``index`` in the items given, and why."""

    index: int
    problem: Problem


@dataclass(frozen=True, kw_only=True, slots=True)
class BatchResult:
    """What a batch did: each item was taken (``created``, in the order given) or
    refused (``errors``, by index) on its own."""

    created: list[Invitation]
    errors: list[BatchError]


#: The events a webhook can subscribe to (``"*"``: all of them, those added later too).
#: ``ping`` is what ``client.webhooks.test`` sends.
WebhookEventType = Literal[
    "*",
    "review.created",
    "review.updated",
    "review.deleted",
    "comment.created",
    "comment.updated",
    "comment.deleted",
    "invitation.reviewed",
    "report.created",
    "report.decided",
    "question.created",
    "answer.created",
    "idea.created",
    "idea.updated",
    "ping",
]


class DeliveryStatus(StrEnum):
    """Where one event's delivery to one webhook stands: still being tried (``PENDING``,
    with ``next_attempt_at``), answered with a 2xx, or given up after the last retry."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Webhook:
    """A URL of the shop's that hears of the site's events, signed as Standard Webhooks.

    ``secret`` (``whsec_`` and base64) is set only on what ``create`` and
    ``rotate_secret`` return: keep it then, it is never shown again. ``events`` are the
    event types it hears of (``["*"]`` for all). ``disabled_reason`` says why the server
    switched it off (its receiver answered 410), None when it is enabled or was disabled
    by hand.
    """

    id: str
    url: str
    events: list[str]
    enabled: bool
    description: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    disabled_reason: str | None = None
    secret: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Webhook:
        created_at = parse_datetime(data["created_at"])
        return cls(
            id=data["id"],
            url=data["url"],
            events=list(data.get("events") or []),
            enabled=bool(data.get("enabled", True)),
            description=data.get("description"),
            created_at=created_at,
            updated_at=_optional_datetime(data.get("updated_at")) or created_at,
            disabled_reason=data.get("disabled_reason"),
            secret=data.get("secret"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """One event sent (or being sent) to one webhook: its attempts so far and how the
    last one went.

    ``event_id`` is the ``webhook-id`` header the receiver saw, the same on every
    attempt (deduplicate by it). ``response_status`` is the HTTP status of the last
    answer (None when none came); ``error`` says what went wrong with the last attempt.
    """

    id: str
    event_id: str
    type: str
    attempts: int
    status: DeliveryStatus
    response_status: int | None
    error: str | None
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Delivery:
        response_status = data.get("response_status")
        return cls(
            id=data["id"],
            event_id=data["event_id"],
            type=data["type"],
            attempts=int(data.get("attempts", 0)),
            status=DeliveryStatus(data["status"]),
            response_status=int(response_status) if response_status is not None else None,
            error=data.get("error"),
            created_at=parse_datetime(data["created_at"]),
            next_attempt_at=_optional_datetime(data.get("next_attempt_at")),
            last_attempt_at=_optional_datetime(data.get("last_attempt_at")),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class WebhookEvent:
    """An event a webhook delivered, as :func:`plaudit.webhooks.verify` returns it.

    ``id`` is the ``webhook-id`` header (``msg_...``): the same on every retry of the
    event, so a receiver that saw it already can skip it. ``type`` is one of
    :data:`WebhookEventType` (or a newer one), ``timestamp`` when it happened, and
    ``data`` the object it is about in its admin form (a review, a comment...).
    ``previous`` is what an update changed from (``{"status": "pending"}``, the old
    ``reply``), None for other events.
    """

    id: str
    type: str
    timestamp: dt.datetime
    data: dict[str, Any]
    previous: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    """A visitor's report of a published review or comment (``object_type`` and
    ``object_id``), open until the shop decides on the item.

    ``reason`` is one of :data:`ReportReason`; ``details`` and ``email`` are what the
    reporter wrote (both given for an ``illegal`` notice). Once decided, ``status`` is
    ``kept`` or ``removed``, ``note`` the why the reporter was told, ``decided_at`` when
    and ``decided_by`` who.
    """

    id: str
    object_type: str
    object_id: str
    reason: str
    details: str | None
    email: str | None
    status: ReportStatus
    created_at: dt.datetime
    decided_at: dt.datetime | None
    note: str | None = None
    decided_by: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        return cls(
            id=data["id"],
            object_type=data["object_type"],
            object_id=data["object_id"],
            reason=data["reason"],
            details=data.get("details"),
            email=data.get("email"),
            status=ReportStatus(data["status"]),
            created_at=parse_datetime(data["created_at"]),
            decided_at=_optional_datetime(data.get("decided_at")),
            note=data.get("note"),
            decided_by=data.get("decided_by"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditActor:
    """Who did something: ``type`` is ``key`` (an API key), ``owner`` (signed in to the
    admin page), ``system`` (a worker, the CLI, a report threshold) or ``reviewer`` (the
    author, through their manage link); ``label`` names which one (a key's name and
    prefix, an owner's address)."""

    type: str
    label: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEntry:
    """One line of the site's audit log, which nothing can change or delete.

    ``action`` is what was done (``review.status``, ``site.moderation``,
    ``report.decided``...), to ``object_id`` (None for the site itself). ``from_value``
    and ``to_value`` are the value before and after (the API's ``from`` and ``to``: a
    status, a setting; never an item's text), ``reason`` and ``note`` the why given.
    """

    id: str
    at: dt.datetime
    actor: AuditActor
    action: str
    object_id: str | None
    from_value: str | None
    to_value: str | None
    reason: str | None
    note: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        actor = data.get("actor") or {}
        return cls(
            id=data["id"],
            at=parse_datetime(data["at"]),
            actor=AuditActor(type=actor.get("type") or "", label=actor.get("label") or ""),
            action=data["action"],
            object_id=data.get("object_id"),
            from_value=data.get("from"),
            to_value=data.get("to"),
            reason=data.get("reason"),
            note=data.get("note"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportCounts:
    """Visitors' reports over the period: how many came, and how many led to removal."""

    received: int
    removed: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Transparency:
    """A site's public transparency report over the last 365 days: reviews and comments
    ``received`` and ``published``, those rejected by reason (``rejected_by_reason``:
    :data:`RejectReason` to count), visitors' ``reports``, the median hours from
    submission to a moderation decision, and how the shop answers reviews
    (``reply_rate`` 0-1 and ``median_hours_to_reply``; None with nothing to measure).
    """

    received: int
    published: int
    rejected_by_reason: dict[str, int]
    reports: ReportCounts
    median_hours_to_moderate: float | None
    reply_rate: float | None
    median_hours_to_reply: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transparency:
        reports = data.get("reports") or {}
        return cls(
            received=int(data.get("received", 0)),
            published=int(data.get("published", 0)),
            rejected_by_reason={
                str(k): int(v) for k, v in (data.get("rejected_by_reason") or {}).items()
            },
            reports=ReportCounts(
                received=int(reports.get("received", 0)), removed=int(reports.get("removed", 0))
            ),
            median_hours_to_moderate=_optional_float(data.get("median_hours_to_moderate")),
            reply_rate=_optional_float(data.get("reply_rate")),
            median_hours_to_reply=_optional_float(data.get("median_hours_to_reply")),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class ManagedItem:
    """An author's own review or comment, as ``AuthorClient`` reads it.

    ``state`` is where it stands in the author's words: ``pending``, ``published`` or
    ``rejected`` (with the ``reason``, one of :data:`RejectReason`, the shop's ``note``
    and ``decided_at``). ``appealed`` once its author appealed; ``can_appeal`` while a
    rejection may still be appealed. ``item`` is the review or comment itself
    (``type`` says which).
    """

    type: str
    item: AdminReview | AdminComment
    state: str
    reason: str | None
    note: str | None
    decided_at: dt.datetime | None
    appealed: bool
    can_appeal: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManagedItem:
        kind = data.get("type") or (
            "review" if isinstance(data.get("review"), Mapping) else "comment"
        )
        item: AdminReview | AdminComment = (
            AdminReview.from_dict(data["review"])
            if kind == "review"
            else AdminComment.from_dict(data["comment"])
        )
        status = data.get("status") or {}
        return cls(
            type=kind,
            item=item,
            state=status.get("state") or "pending",
            reason=status.get("reason"),
            note=status.get("note"),
            decided_at=_optional_datetime(status.get("decided_at")),
            appealed=bool(status.get("appealed", False)),
            can_appeal=bool(status.get("can_appeal", False)),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Guidelines:
    """A site's public moderation guidelines: what is removed and why, as plain text
    (paragraphs separated by blank lines). ``customized`` is false for the default
    text, in ``locale``; ``url`` is the readable page the widget links to."""

    site: str
    text: str
    customized: bool
    locale: str
    url: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Guidelines:
        return cls(
            site=data["site"],
            text=data["text"],
            customized=bool(data.get("customized", False)),
            locale=data.get("locale") or "en",
            url=data.get("url") or "",
        )


class IdeaStage(StrEnum):
    """Where an idea stands on the shop's roadmap, in this order; reaching ``PLANNED``
    or ``SHIPPED`` tells its voters and the authors of its linked feedback."""

    OPEN = "open"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"
    DECLINED = "declined"


def _admin_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the admin forms of questions, answers and ideas add to the public one, as
    for reviews: the status, the author's address and the last moderation."""
    return {
        "status": ReviewStatus(data["status"]),
        "author_email": data.get("author_email"),
        "spam_reasons": list(data.get("spam_reasons") or []),
        "moderation": ModerationDecision.optional(data.get("moderation")),
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """An answer to a product question, as the public sees it.

    ``is_owner`` marks the shop's own answers and ``verified_buyer`` those sent with an
    invitation's token; the widget shows the shop's first, then verified buyers', then
    the most helpful.
    """

    id: str
    question_id: str
    body: str
    author_name: str
    is_owner: bool
    verified_buyer: bool
    helpful_count: int
    unhelpful_count: int
    created_at: dt.datetime

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": data["id"],
            "question_id": data["question_id"],
            "body": data["body"],
            "author_name": data["author_name"],
            "is_owner": bool(data.get("is_owner", False)),
            "verified_buyer": bool(data.get("verified_buyer", False)),
            "helpful_count": int(data.get("helpful_count") or 0),
            "unhelpful_count": int(data.get("unhelpful_count") or 0),
            "created_at": parse_datetime(data["created_at"]),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Answer:
        return cls(**cls._fields(data))

    @classmethod
    def optional(cls, data: Any) -> Answer | None:
        return cls.from_dict(data) if isinstance(data, Mapping) else None


@dataclass(frozen=True, kw_only=True, slots=True)
class AdminAnswer(Answer):
    """An answer as its site's owner sees it: any status, the author's address, the
    last moderation (as :class:`AdminReview`), and what it answers: the question's
    ``product`` and an excerpt of its body (``question_body``)."""

    status: ReviewStatus
    author_email: str | None
    updated_at: dt.datetime
    spam_reasons: list[str]
    moderation: ModerationDecision | None = None
    product: str | None = None
    question_body: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdminAnswer:
        return cls(
            **Answer._fields(data),
            **_admin_fields(data),
            updated_at=parse_datetime(data["updated_at"]),
            product=data.get("product"),
            question_body=data.get("question_body"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Question:
    """A visitor's question about a product, as the public sees it, with its number of
    published answers and the first of them in the widget's order (``top_answer``)."""

    id: str
    product: str
    body: str
    author_name: str
    answer_count: int
    created_at: dt.datetime
    top_answer: Answer | None

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": data["id"],
            "product": data["product"],
            "body": data["body"],
            "author_name": data["author_name"],
            "answer_count": int(data.get("answer_count") or 0),
            "created_at": parse_datetime(data["created_at"]),
            "top_answer": Answer.optional(data.get("top_answer")),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        return cls(**cls._fields(data))


@dataclass(frozen=True, kw_only=True, slots=True)
class AdminQuestion(Question):
    """A question as its site's owner sees it: any status, the asker's address, the
    last moderation (as :class:`AdminReview`), and whether the asker wants to hear of
    the first published answer (``notify``)."""

    status: ReviewStatus
    author_email: str | None
    updated_at: dt.datetime
    spam_reasons: list[str]
    moderation: ModerationDecision | None = None
    notify: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdminQuestion:
        return cls(
            **Question._fields(data),
            **_admin_fields(data),
            updated_at=parse_datetime(data["updated_at"]),
            notify=bool(data.get("notify", False)),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class CommunityCounts:
    """A product's published ``questions`` and how many of them are ``answered`` (for
    a badge such as "12 questions, 9 answered")."""

    questions: int = 0
    answered: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CommunityCounts:
        return cls(
            questions=int(data.get("questions") or 0), answered=int(data.get("answered") or 0)
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class IdeaSource:
    """Customer feedback linked to an idea: a ``review`` or ``comment`` (``type``), its
    ``id`` and an excerpt of its text. The admin form adds the feedback's moderation
    ``status`` and its ``author_name`` (None in the public form)."""

    type: str
    id: str
    excerpt: str
    status: ReviewStatus | None = None
    author_name: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IdeaSource:
        status = data.get("status")
        return cls(
            type=data["type"],
            id=data["id"],
            excerpt=data.get("excerpt") or "",
            status=ReviewStatus(status) if status is not None else None,
            author_name=data.get("author_name"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Idea:
    """An idea on the site's board, as the public sees it.

    ``product`` is None for an idea about the shop as a whole. ``stage`` is where the
    shop has it (:class:`IdeaStage`) and ``stage_note`` what the shop says of it.
    ``sources`` is the feedback it came from (the public lists may leave it empty; one
    idea read by id has it all).
    """

    id: str
    title: str
    body: str
    author_name: str
    product: str | None
    stage: IdeaStage
    stage_note: str | None
    vote_count: int
    created_at: dt.datetime
    updated_at: dt.datetime
    sources: list[IdeaSource]

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        created_at = parse_datetime(data["created_at"])
        return {
            "id": data["id"],
            "title": data["title"],
            "body": data.get("body") or "",
            "author_name": data.get("author_name") or "",
            "product": data.get("product"),
            "stage": IdeaStage(data["stage"]),
            "stage_note": data.get("stage_note"),
            "vote_count": int(data.get("vote_count") or 0),
            "created_at": created_at,
            "updated_at": _optional_datetime(data.get("updated_at")) or created_at,
            "sources": [IdeaSource.from_dict(s) for s in data.get("sources") or []],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Idea:
        return cls(**cls._fields(data))


@dataclass(frozen=True, kw_only=True, slots=True)
class AdminIdea(Idea):
    """An idea as its site's owner sees it: any status, the author's address, the last
    moderation (as :class:`AdminReview`), its ``sources`` with their status and author,
    and the idea it was merged into (``merged_into``; a merged idea is rejected and its
    votes moved)."""

    status: ReviewStatus
    author_email: str | None
    spam_reasons: list[str]
    moderation: ModerationDecision | None = None
    merged_into: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdminIdea:
        return cls(
            **Idea._fields(data),
            **_admin_fields(data),
            merged_into=data.get("merged_into"),
        )
