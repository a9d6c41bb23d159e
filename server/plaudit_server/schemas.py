"""marshmallow schemas: query arguments, request bodies and responses, kept apart.

Input schemas and query schemas alike raise on unknown fields and parameters (an
allow-list of what a client may send): a typo such as ``?sorted=highest`` answers 422
naming it instead of looking as if it worked, and a cache-buster (``&cb=123``) can
neither split the public read cache nor reach the database. The OpenAPI document is
generated from these same classes.
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from flask import current_app
from limits import parse_many
from marshmallow import fields, validate

from .events import EVENT_TYPES
from .fields import (
    OBJECT_ID_RE,
    EmailAddress,
    FullMatch,
    Name,
    OptionalText,
    Origin,
    QueryInteger,
    StrictBoolean,
    StrictInteger,
    Text,
    UTCDateTime,
    product_id_validator,
)
from .models import (
    IDEA_STAGES,
    REJECT_REASONS,
    REPORT_REASONS,
    STORE,
    Answer,
    Comment,
    DeliveryStatus,
    Idea,
    Invitation,
    InvitationStatus,
    Moderation,
    Question,
    Report,
    ReportStatus,
    Review,
    Status,
)
from .services.audit import ACTOR_TYPES
from .services.invitations import LOCALES, url_of
from .services.sites import notify_address, rate_limit
from .timeutil import isoformat

STATUSES = [s.value for s in Status]
INVITATION_STATUSES = [s.value for s in InvitationStatus]
PUBLIC_SORTS = ["newest", "oldest", "highest", "lowest", "helpful"]
ADMIN_SORTS = ["newest", "oldest", "updated"]

object_id = FullMatch(OBJECT_ID_RE, error="Not a valid id.")


class InputSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class QuerySchema(ma.Schema):
    """Query arguments: an unknown parameter is refused (422 naming it), like an unknown
    body field. The public read cache keys on what these schemas load (cache.py)."""

    class Meta:
        unknown = ma.RAISE

    def load(self, data: Any, *, unknown: str | None = None, **kwargs: Any) -> Any:
        # webargs passes unknown=EXCLUDE for the query location whatever Meta says.
        return super().load(data, unknown=ma.RAISE, **kwargs)


# ---------------------------------------------------------------- query arguments


def _limit(maximum: int) -> QueryInteger:
    return QueryInteger(
        load_default=10,
        validate=validate.Range(1, maximum),
        metadata={"description": f"Page size, 1-{maximum}"},
    )


_cursor = fields.String(
    load_default=None,
    validate=validate.Length(max=512),
    metadata={"description": "Opaque cursor from a previous page's `next_cursor`"},
)


class PublicReviewsQuery(QuerySchema):
    sort = fields.String(load_default="newest", validate=validate.OneOf(PUBLIC_SORTS))
    rating = QueryInteger(load_default=None, validate=validate.Range(1, 5))
    limit = _limit(50)
    cursor = _cursor


class PublicCommentsQuery(QuerySchema):
    review = fields.String(
        load_default=None,
        validate=object_id,
        metadata={"description": "A review id: that review's thread instead of the product's"},
    )
    limit = _limit(50)
    cursor = _cursor


class SummariesQuery(QuerySchema):
    products = fields.String(
        required=True,
        metadata={"description": "Comma-separated product ids, at most 100"},
    )

    @ma.validates("products")
    def _check_products(self, value: str, **kwargs: Any) -> None:
        # Distinct ids: a listing page that shows one product twice asks for it twice.
        ids = list(dict.fromkeys(p for p in value.split(",") if p))
        if not ids:
            raise ma.ValidationError("Give at least one product id.")
        if len(ids) > 100:
            raise ma.ValidationError("At most 100 products per request.")
        bad = [p for p in ids if not product_id_validator.pattern.fullmatch(p)]
        if bad:
            raise ma.ValidationError(f"Not a valid product id: {bad[0][:140]!r}.")

    @ma.post_load
    def _split(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        seen: dict[str, None] = {}
        for product in data["products"].split(","):
            if product:
                seen[product] = None
        data["products"] = list(seen)
        return data


class JsonLdQuery(QuerySchema):
    name = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={"description": "The product's name (schema.org requires one); default: its id"},
    )
    sort = fields.String(load_default="newest", validate=validate.OneOf(PUBLIC_SORTS))
    limit = QueryInteger(
        load_default=10,
        validate=validate.Range(1, 50),
        metadata={"description": "How many reviews to include, 1-50"},
    )


class _AdminListQuery(QuerySchema):
    status = fields.String(load_default="all", validate=validate.OneOf(["all", *STATUSES]))
    product = fields.String(load_default=None, validate=product_id_validator)
    q = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={"description": "Case-insensitive text search"},
    )
    updated_since = UTCDateTime(
        load_default=None,
        metadata={"description": "Only items changed strictly after this time"},
    )
    sort = fields.String(load_default="newest", validate=validate.OneOf(ADMIN_SORTS))
    limit = _limit(100)
    cursor = _cursor


class AdminReviewsQuery(_AdminListQuery):
    rating = QueryInteger(load_default=None, validate=validate.Range(1, 5))
    subject = fields.String(
        load_default=None,
        validate=validate.OneOf(["store", "product"]),
        metadata={"description": "`store`: reviews of the shop itself; `product`: of products"},
    )


class InvitationsQuery(QuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(INVITATION_STATUSES))
    order_id = fields.String(load_default=None, validate=validate.Length(1, 128))
    limit = _limit(100)
    cursor = _cursor


class WebhooksQuery(QuerySchema):
    limit = _limit(100)
    cursor = _cursor


class DeliveriesQuery(QuerySchema):
    status = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in DeliveryStatus])
    )
    limit = _limit(100)
    cursor = _cursor


class ReportsQuery(QuerySchema):
    status = fields.String(
        load_default="all", validate=validate.OneOf([*(s.value for s in ReportStatus), "all"])
    )
    object_id = fields.String(validate=object_id)
    limit = _limit(100)
    cursor = fields.String(load_default=None)


class AuditQuery(QuerySchema):
    object_id = fields.String(validate=validate.Length(1, 64))
    action = fields.String(
        validate=validate.Length(1, 48),
        metadata={"description": "An action (`review.status`), or a prefix ending in `.`"},
    )
    actor_type = fields.String(validate=validate.OneOf(ACTOR_TYPES))
    since = UTCDateTime(metadata={"description": "Entries at or after this time"})
    until = UTCDateTime(metadata={"description": "Entries before this time"})
    limit = _limit(100)
    cursor = fields.String(load_default=None)


class AdminCommentsQuery(_AdminListQuery):
    review = fields.String(load_default=None, validate=object_id)


# ---------------------------------------------------------------- request bodies


class ReviewCreate(InputSchema):
    rating = StrictInteger(
        required=True, validate=validate.Range(1, 5, error="Must be between 1 and 5.")
    )
    title = OptionalText(max_length=120)
    body = Text(required=True, max_length=5000)
    author_name = Name(required=True, max_length=80)
    author_email = EmailAddress()
    hp = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "Honeypot: leave empty. Anything here marks the item as spam."},
    )
    invite = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 64),
        metadata={
            "description": "An invitation's token (the end of its `url`, or the page's "
            "`?plaudit_invite=`): the review is a verified buyer's; a second one with the "
            "same token edits the first"
        },
    )
    notify = StrictBoolean(
        load_default=False,
        metadata={
            "description": "Tell me when the shop answers: one e-mail to `author_email` "
            "when the shop replies (ignored without an address)"
        },
    )


class CommentCreate(InputSchema):
    body = Text(required=True, max_length=5000)
    author_name = Name(required=True, max_length=80)
    author_email = EmailAddress()
    review_id = fields.String(load_default=None, allow_none=True, validate=object_id)
    parent_id = fields.String(load_default=None, allow_none=True, validate=object_id)
    hp = fields.String(load_default=None, allow_none=True)
    notify = StrictBoolean(
        load_default=False,
        metadata={
            "description": "Tell me when the shop answers: one e-mail to `author_email` "
            "when the shop replies (ignored without an address)"
        },
    )


_EVENT_NAMES = [*(t for t in EVENT_TYPES if t != "ping"), "*"]


def _webhook_url(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(1, 2000),
        metadata={
            "format": "uri",
            "description": "https, every address public (http and private addresses only "
            "with PLAUDIT_WEBHOOKS_ALLOW_PRIVATE=true)",
        },
        **kwargs,
    )


def _webhook_events(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(_EVENT_NAMES, error="Unknown event type {input!r}.")),
        validate=validate.Length(1, len(_EVENT_NAMES)),
        metadata={"description": 'Event types to receive, or `["*"]` for all'},
        **kwargs,
    )


class WebhookCreate(InputSchema):
    url = _webhook_url(required=True)
    events = _webhook_events(load_default=lambda: ["*"])
    description = OptionalText(max_length=200)


class WebhookPatch(InputSchema):
    url = _webhook_url()
    events = _webhook_events()
    enabled = StrictBoolean()
    description = OptionalText(max_length=200)


_LOCALE = FullMatch(
    re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*"),
    error="Not a language tag such as 'de' or 'de-AT'.",
)


class InvitationCreate(InputSchema):
    order_id = Name(required=True, max_length=128)
    email = EmailAddress(required=True, allow_none=False)
    name = OptionalText(max_length=80)
    products = fields.List(
        fields.String(validate=product_id_validator),
        required=True,
        validate=validate.Length(1, 20, error="Give 1-20 products."),
    )
    locale = fields.String(
        load_default=None,
        allow_none=True,
        validate=_LOCALE,
        metadata={"description": f"BCP 47; one of {', '.join(LOCALES)} is used, else the site's"},
    )
    send_at = UTCDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "Default: now plus the site's delay; a past time means now"},
    )
    store_review = StrictBoolean(load_default=True)
    incentive = StrictBoolean(
        load_default=False,
        metadata={"description": "The buyer is offered an incentive: reviews are labelled so"},
    )


class InvitationBatch(InputSchema):
    invitations = fields.List(
        fields.Raw(metadata={"type": "object"}),
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "1-500 InvitationCreate bodies, each taken or refused alone"},
    )


class VoteCreate(InputSchema):
    helpful = StrictBoolean(required=True)


class AdminCommentCreate(InputSchema):
    product = fields.String(required=True, validate=product_id_validator)
    body = Text(required=True, max_length=5000)
    review_id = fields.String(load_default=None, allow_none=True, validate=object_id)
    parent_id = fields.String(load_default=None, allow_none=True, validate=object_id)


_REJECTING = (Status.REJECTED.value, Status.SPAM.value)


def _reason(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(REJECT_REASONS),
        metadata={
            "description": "Why (with status `rejected` or `spam` only; default `other`, "
            "or `spam` for spam): told to the author and counted in the transparency report"
        },
        **kwargs,
    )


def _note(**kwargs: Any) -> OptionalText:
    return OptionalText(
        max_length=1000,
        metadata={"description": "A note to the author (and reporters), with the decision"},
        **kwargs,
    )


class _Decision(InputSchema):
    """A status with the reason for it: a reason goes with a rejection only."""

    @ma.validates_schema
    def _reason_with_rejection(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("reason") is not None and data.get("status") not in _REJECTING:
            raise ma.ValidationError(
                "A reason goes with status rejected or spam.", field_name="reason"
            )


class ReviewPatch(_Decision):
    status = fields.String(validate=validate.OneOf(STATUSES))
    reason = _reason()
    note = _note(load_default=ma.missing)
    reply = Text(
        allow_none=True,
        max_length=5000,
        metadata={"description": "The shop's public reply; null removes it"},
    )
    verified_buyer = StrictBoolean(metadata={"description": "Extension: mark a verified buyer"})
    incentivized = StrictBoolean(
        metadata={"description": "The author received an incentive: shown on the review"}
    )


class CommentPatch(_Decision):
    status = fields.String(validate=validate.OneOf(STATUSES))
    reason = _reason()
    note = _note(load_default=ma.missing)
    incentivized = StrictBoolean(
        metadata={"description": "The author received an incentive: shown on the comment"}
    )


class ModerateBody(_Decision):
    ids = fields.List(
        fields.String(validate=validate.Length(1, 64)),
        required=True,
        validate=validate.Length(1, 500),
    )
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = _reason(load_default=None)
    note = _note()


class ReportCreate(InputSchema):
    reason = fields.String(required=True, validate=validate.OneOf(REPORT_REASONS))
    details = OptionalText(max_length=2000)
    email = EmailAddress(metadata={"description": "To hear the decision; required with `illegal`"})

    @ma.validates_schema
    def _notice_of_illegal_content(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("reason") != "illegal":
            return
        errors = {
            name: [f"A notice of illegal content needs {what}."]
            for name, what in (
                ("details", "details: what is illegal, and why"),
                ("email", "your e-mail address"),
            )
            if not data.get(name)
        }
        if errors:
            raise ma.ValidationError(errors)


class DecideBody(InputSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["keep", "remove"]))
    note = _note()


class MinePatch(InputSchema):
    """What a submission took, for its author to change (a comment: body, author_name)."""

    rating = StrictInteger(validate=validate.Range(1, 5, error="Must be between 1 and 5."))
    title = OptionalText(max_length=120, load_default=ma.missing)
    body = Text(max_length=5000)
    author_name = Name(max_length=80)

    @ma.validates_schema
    def _something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ma.ValidationError("Give at least one field to change.", field_name="_schema")


class AppealBody(InputSchema):
    message = Text(required=True, max_length=2000)


RATE_LIMIT_NAMES = [
    "submissions_per_visitor",
    "submissions_per_site",
    "submissions_per_product",
    "votes_per_visitor",
    "reports_per_visitor",
    "manage_per_visitor",
]


def _valid_limit(value: str) -> None:
    try:
        parse_many(value)
    except ValueError as exc:
        raise ma.ValidationError("Not a rate limit such as '10/minute;60/hour'.") from exc


class RateLimits(InputSchema):
    """Extension: per-site overrides, in flask-limiter notation (`10/minute;60/hour`)."""

    submissions_per_visitor = fields.String(allow_none=True, validate=_valid_limit)
    submissions_per_site = fields.String(allow_none=True, validate=_valid_limit)
    submissions_per_product = fields.String(allow_none=True, validate=_valid_limit)
    votes_per_visitor = fields.String(allow_none=True, validate=_valid_limit)
    reports_per_visitor = fields.String(allow_none=True, validate=_valid_limit)
    manage_per_visitor = fields.String(allow_none=True, validate=_valid_limit)


NEW_ITEMS = ("off", "instant", "daily")


class NotificationSettings(InputSchema):
    owner_email = EmailAddress(
        allow_none=True,
        metadata={"description": "Where the shop hears of new items; null: the owner's address"},
    )
    new_items = fields.String(
        validate=validate.OneOf(NEW_ITEMS),
        metadata={"description": "Items waiting in the queue: at once, one daily digest, or never"},
    )


class SitePatch(InputSchema):
    name = Name(max_length=120)
    allowed_origins = fields.List(Origin(), validate=validate.Length(max=50))
    moderation = fields.String(validate=validate.OneOf([m.value for m in Moderation]))
    blocked_words = fields.List(Text(max_length=100), validate=validate.Length(max=500))
    rate_limits = fields.Nested(
        RateLimits, allow_none=True, metadata={"description": "null restores the defaults"}
    )
    locale = fields.String(
        validate=validate.OneOf(LOCALES),
        metadata={"description": "Language of messages when the recipient's is unknown"},
    )
    invite_delay_days = StrictInteger(validate=validate.Range(0, 365))
    invite_reminder_days = StrictInteger(
        validate=validate.Range(0, 365), metadata={"description": "0: no reminder"}
    )
    invite_ttl_days = StrictInteger(validate=validate.Range(1, 730))
    notifications = fields.Nested(NotificationSettings)
    report_threshold = StrictInteger(
        validate=validate.Range(0, 100),
        metadata={"description": "Open reports that hold a published item (0: never)"},
    )
    guidelines = OptionalText(
        max_length=20000,
        load_default=ma.missing,
        metadata={"description": "The moderation guidelines; null or empty: the default text"},
    )


# ---------------------------------------------------------------- responses


class SummarySchema(ma.Schema):
    count = fields.Integer()
    average = fields.Float(allow_none=True)
    histogram = fields.Dict(keys=fields.String(), values=fields.Integer())


class ReplySchema(ma.Schema):
    body = fields.String()
    created_at = UTCDateTime()


def _product_of(item: Any) -> str | None:
    external_id: str = item.product.external_id
    return None if external_id == STORE else external_id


class ReviewSchema(ma.Schema):
    id = fields.String()
    product = fields.Function(
        _product_of,
        allow_none=True,
        metadata={"type": "string", "description": "null for a review of the shop itself"},
    )
    rating = fields.Integer()
    title = fields.String(allow_none=True)
    body = fields.String()
    author_name = fields.String()
    verified_buyer = fields.Boolean()
    incentivized = fields.Boolean(
        metadata={"description": "The author received an incentive (shown as such)"}
    )
    helpful_count = fields.Integer()
    unhelpful_count = fields.Integer()
    comment_count = fields.Integer()
    created_at = UTCDateTime()
    # apispec adds "null" itself for allow_none (a second "null" is invalid OpenAPI 3.1).
    reply = fields.Method(
        "_reply",
        allow_none=True,
        metadata={
            "type": "object",
            "properties": {
                "body": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
            },
        },
    )

    def _reply(self, review: Any) -> dict[str, str] | None:
        if review.reply_body is None:
            return None
        return {
            "body": review.reply_body,
            "created_at": UTCDateTime()._serialize(review.reply_created_at, None, None),
        }


class ModerationSchema(ma.Schema):
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    at = UTCDateTime()
    by = fields.String()


def _moderation(item: Any) -> dict[str, Any] | None:
    if item.moderated_at is None:
        return None
    return {
        "reason": item.moderation_reason,
        "note": item.moderation_note,
        "at": isoformat(item.moderated_at),
        "by": item.moderated_by,
    }


class _Trust(ma.Schema):
    """What the admin forms tell of an item's moderation, reports and appeal."""

    moderation = fields.Function(
        _moderation,
        allow_none=True,
        metadata={
            "type": "object",
            "description": "The last decision (reason, note to the author, when, by whom)",
            "properties": {
                "reason": {"type": ["string", "null"]},
                "note": {"type": ["string", "null"]},
                "at": {"type": "string", "format": "date-time"},
                "by": {"type": "string"},
            },
        },
    )
    reports_open = fields.Integer()
    appealed = fields.Function(
        lambda item: item.appealed_at is not None, metadata={"type": "boolean"}
    )
    appeal_message = fields.String(allow_none=True, metadata={"description": "Extension"})
    incentivized = fields.Boolean()


class AdminReviewSchema(ReviewSchema, _Trust):
    status = fields.String(validate=validate.OneOf(STATUSES))
    author_email = fields.String(allow_none=True)
    updated_at = UTCDateTime()
    spam_reasons = fields.List(fields.String())


class CommentSchema(ma.Schema):
    id = fields.String()
    product = fields.Function(lambda c: c.product.external_id, metadata={"type": "string"})
    review_id = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    author_name = fields.String()
    body = fields.String()
    is_owner = fields.Boolean()
    created_at = UTCDateTime()


class AdminCommentSchema(CommentSchema, _Trust):
    status = fields.String(validate=validate.OneOf(STATUSES))
    author_email = fields.String(allow_none=True)
    updated_at = UTCDateTime()
    spam_reasons = fields.List(fields.String())


_next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class PublicReviewList(ma.Schema):
    summary = fields.Nested(SummarySchema)
    reviews = fields.List(fields.Nested(ReviewSchema))
    next_cursor = _next_cursor


_manage_url = fields.String(
    metadata={
        "description": "The author's link to see the status, edit, delete, download or "
        "appeal (`/m/{token}`); shown once: keep it"
    }
)


class ReviewCreated(ma.Schema):
    review = fields.Nested(ReviewSchema)
    status = fields.String(validate=validate.OneOf(["published", "pending"]))
    manage_url = _manage_url


class VoteResult(ma.Schema):
    helpful_count = fields.Integer()
    unhelpful_count = fields.Integer()


class SummariesResult(ma.Schema):
    summaries = fields.Dict(keys=fields.String(), values=fields.Nested(SummarySchema))


class PublicCommentList(ma.Schema):
    comments = fields.List(fields.Nested(CommentSchema))
    next_cursor = _next_cursor


class CommentCreated(ma.Schema):
    comment = fields.Nested(CommentSchema)
    status = fields.String(validate=validate.OneOf(["published", "pending"]))
    manage_url = _manage_url


class AdminReviewList(ma.Schema):
    reviews = fields.List(fields.Nested(AdminReviewSchema))
    next_cursor = _next_cursor


class AdminCommentList(ma.Schema):
    comments = fields.List(fields.Nested(AdminCommentSchema))
    next_cursor = _next_cursor


class ModerateResult(ma.Schema):
    updated = fields.Integer()


class SiteSchema(ma.Schema):
    id = fields.String(attribute="slug")
    name = fields.String()
    allowed_origins = fields.List(fields.String())
    moderation = fields.String()
    blocked_words = fields.List(fields.String())
    locale = fields.String()
    invite_delay_days = fields.Integer()
    invite_reminder_days = fields.Integer()
    invite_ttl_days = fields.Integer()
    report_threshold = fields.Integer()
    guidelines = fields.String(
        allow_none=True, metadata={"description": "The owner's text; null: the default"}
    )
    notifications = fields.Method(
        "_notifications",
        metadata={
            "type": "object",
            "properties": {
                "owner_email": {"type": ["string", "null"]},
                "new_items": {"type": "string", "enum": list(NEW_ITEMS)},
            },
        },
    )
    rate_limits = fields.Method(
        "_rate_limits",
        metadata={
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Extension: the limits in force, defaults included",
        },
    )

    def _notifications(self, site: Any) -> dict[str, Any]:
        return {"owner_email": notify_address(site), "new_items": site.notify_new_items}

    def _rate_limits(self, site: Any) -> dict[str, str]:
        return {name: rate_limit(site, name, current_app.config) for name in RATE_LIMIT_NAMES}


class StatusCounts(ma.Schema):
    pending = fields.Integer()
    published = fields.Integer()
    rejected = fields.Integer()
    spam = fields.Integer()
    total = fields.Integer()


class DayCount(ma.Schema):
    date = fields.String(metadata={"format": "date"})
    count = fields.Integer()


class InvitationStats(ma.Schema):
    sent = fields.Integer()
    reviewed = fields.Integer(metadata={"description": "Of those sent, how many brought a review"})
    conversion = fields.Float(allow_none=True, metadata={"description": "reviewed / sent"})


class StatsQuery(QuerySchema):
    product = fields.String(
        validate=product_id_validator,
        metadata={"description": "Response figures (`responses`) of this product alone"},
    )


class StatsSchema(ma.Schema):
    responses = fields.Nested(
        "ResponsesSchema",
        metadata={
            "description": "How often and how fast the shop answers reviews (365 days; with "
            "`product`, that product's)"
        },
    )
    reviews = fields.Nested(StatusCounts)
    comments = fields.Nested(StatusCounts)
    invitations = fields.Nested(InvitationStats)
    questions = fields.Nested(StatusCounts)
    answers = fields.Nested(StatusCounts)
    ideas = fields.Nested(StatusCounts)
    ideas_top = fields.List(
        fields.Nested("IdeaSchema"),
        metadata={"description": "The most wanted: open or under review, most votes (5)"},
    )
    ideas_shipped = fields.List(
        fields.Nested("IdeaSchema"), metadata={"description": "Recently shipped (5)"}
    )
    average = fields.Float(allow_none=True)
    published_per_day = fields.List(fields.Nested(DayCount))


class InvitationSchema(ma.Schema):
    id = fields.String()
    order_id = fields.String()
    email = fields.String()
    name = fields.String(allow_none=True)
    products = fields.List(fields.String())
    locale = fields.String()
    incentive = fields.Boolean()
    status = fields.String(validate=validate.OneOf(INVITATION_STATUSES))
    send_at = UTCDateTime()
    sent_at = UTCDateTime(allow_none=True)
    reminded_at = UTCDateTime(allow_none=True)
    reviewed_at = UTCDateTime(allow_none=True)
    expires_at = UTCDateTime()
    url = fields.Function(url_of, metadata={"type": "string", "description": "The review page"})
    store_review = fields.Boolean()
    created_at = UTCDateTime()


class InvitationEnvelope(ma.Schema):
    invitation = fields.Nested(InvitationSchema)


class InvitationList(ma.Schema):
    invitations = fields.List(fields.Nested(InvitationSchema))
    next_cursor = _next_cursor


class BatchError(ma.Schema):
    index = fields.Integer()
    problem = fields.Dict(metadata={"description": "The item's problem details"})


class InvitationBatchResult(ma.Schema):
    created = fields.List(fields.Nested(InvitationSchema))
    errors = fields.List(fields.Nested(BatchError))


class HealthSchema(ma.Schema):
    status = fields.String(metadata={"example": "ok"})


class ReadySchema(ma.Schema):
    database = fields.String(validate=validate.OneOf(["ok", "down"]))
    redis = fields.String(validate=validate.OneOf(["ok", "absent", "down"]))


class WebhookSchema(ma.Schema):
    id = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    enabled = fields.Boolean()
    description = fields.String(allow_none=True)
    disabled_reason = fields.String(
        allow_none=True,
        metadata={"description": "Extension: why the server disabled it (a 410 from the receiver)"},
    )
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class NewWebhookSchema(WebhookSchema):
    secret = fields.String(
        metadata={"description": "`whsec_` + base64: shown only on creation and rotation"}
    )


class WebhookEnvelope(ma.Schema):
    webhook = fields.Nested(WebhookSchema)


class NewWebhookEnvelope(ma.Schema):
    webhook = fields.Nested(NewWebhookSchema)


class WebhookList(ma.Schema):
    webhooks = fields.List(fields.Nested(WebhookSchema))
    next_cursor = _next_cursor


class DeliverySchema(ma.Schema):
    id = fields.String()
    event_id = fields.String(
        metadata={"description": "The `webhook-id` header: the same on every retry"}
    )
    type = fields.String()
    attempts = fields.Integer()
    status = fields.String(validate=validate.OneOf([s.value for s in DeliveryStatus]))
    response_status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = UTCDateTime()
    next_attempt_at = UTCDateTime(allow_none=True)
    last_attempt_at = UTCDateTime(allow_none=True, metadata={"description": "Extension"})


class DeliveryEnvelope(ma.Schema):
    delivery = fields.Nested(DeliverySchema)


class DeliveryList(ma.Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema))
    next_cursor = _next_cursor


def event_forms() -> dict[type, Any]:
    """The admin forms that webhook events carry as ``data`` (``events.Hub.forms``)."""
    return {
        Review: AdminReviewSchema().dump,
        Comment: AdminCommentSchema().dump,
        Invitation: InvitationSchema().dump,
        Report: ReportSchema().dump,
        Question: AdminQuestionSchema().dump,
        Answer: AdminAnswerSchema().dump,
        Idea: AdminIdeaSchema().dump,
    }


# ---------------------------------------------------------------- trust and transparency


class ReportSchema(ma.Schema):
    id = fields.String()
    object_id = fields.String()
    object_type = fields.String(validate=validate.OneOf(["review", "comment"]))
    reason = fields.String(validate=validate.OneOf(REPORT_REASONS))
    details = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf([s.value for s in ReportStatus]))
    note = fields.String(allow_none=True, metadata={"description": "Extension: the decision's why"})
    created_at = UTCDateTime()
    decided_at = UTCDateTime(allow_none=True)


class ReportEnvelope(ma.Schema):
    report = fields.Nested(ReportSchema)


class ReportList(ma.Schema):
    reports = fields.List(fields.Nested(ReportSchema))
    next_cursor = _next_cursor


class ReportReceipt(ma.Schema):
    report = fields.Function(
        lambda report: {"id": report.id, "status": "received"},
        metadata={
            "type": "object",
            "properties": {"id": {"type": "string"}, "status": {"const": "received"}},
        },
    )


class DecideResult(ma.Schema):
    reports = fields.List(
        fields.Nested(ReportSchema), metadata={"description": "Every report decided"}
    )


class AuditEntrySchema(ma.Schema):
    id = fields.String()
    at = UTCDateTime()
    actor = fields.Function(
        lambda e: {"type": e.actor_type, "label": e.actor_label},
        metadata={
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": list(ACTOR_TYPES)},
                "label": {"type": "string"},
            },
        },
    )
    action = fields.String()
    object_id = fields.String(allow_none=True)
    from_ = fields.String(attribute="from_value", data_key="from", allow_none=True)
    to = fields.String(attribute="to_value", allow_none=True)
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class AuditList(ma.Schema):
    entries = fields.List(fields.Nested(AuditEntrySchema))
    next_cursor = _next_cursor


class ManageStatusSchema(ma.Schema):
    state = fields.String(validate=validate.OneOf(["pending", "published", "rejected"]))
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    appealed = fields.Boolean()
    can_appeal = fields.Boolean()


def _author_status(item: Any) -> str:
    """The status an author sees: spam the checks flagged reads as pending, as the
    submission's answer said (a spammer learns nothing); spam a person marked shows."""
    if item.status == Status.SPAM and item.moderated_at is None:
        return Status.PENDING.value
    return str(item.status.value)


def _author_fields() -> dict[str, fields.Field]:
    """The admin form's status and spam reasons, as the author sees them."""
    return {
        "status": fields.Function(_author_status, metadata={"type": "string", "enum": STATUSES}),
        "spam_reasons": fields.Function(
            lambda item: [], metadata={"type": "array", "items": {"type": "string"}}
        ),
    }


MineReviewSchema = AdminReviewSchema.from_dict(_author_fields(), name="MineReviewSchema")
MineCommentSchema = AdminCommentSchema.from_dict(_author_fields(), name="MineCommentSchema")


class MineSchema(ma.Schema):
    type = fields.String(validate=validate.OneOf(["review", "comment"]))
    review = fields.Nested(
        MineReviewSchema,
        metadata={"description": "For a review: its admin form, without the spam checks"},
    )
    comment = fields.Nested(
        MineCommentSchema,
        metadata={"description": "For a comment: its admin form, without the spam checks"},
    )
    status = fields.Nested(ManageStatusSchema, metadata={"description": "In plain words"})


class GuidelinesSchema(ma.Schema):
    site = fields.String()
    text = fields.String()
    customized = fields.Boolean(metadata={"description": "false: the default text"})
    locale = fields.String()
    url = fields.String(metadata={"description": "The readable page"})


class ResponsesSchema(ma.Schema):
    reply_rate = fields.Float(allow_none=True)
    median_hours_to_reply = fields.Float(allow_none=True)
    low_rating_reply_rate = fields.Float(allow_none=True)


class ReportCounts(ma.Schema):
    received = fields.Integer()
    removed = fields.Integer()


class TransparencySchema(ma.Schema):
    received = fields.Integer()
    published = fields.Integer()
    rejected_by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    reports = fields.Nested(ReportCounts)
    median_hours_to_moderate = fields.Float(allow_none=True)
    reply_rate = fields.Float(allow_none=True)
    median_hours_to_reply = fields.Float(allow_none=True)


# ---------------------------------------------------------------- community

QUESTION_SORTS = ["newest", "answered", "helpful"]
IDEA_SORTS = ["top", "newest"]
_stage = fields.String(validate=validate.OneOf(IDEA_STAGES))
_optional_product = fields.String(load_default=None, validate=product_id_validator)


class NoQuery(QuerySchema):
    """A cached read that takes no parameters (and refuses any)."""


class PublicQuestionsQuery(QuerySchema):
    sort = fields.String(load_default="newest", validate=validate.OneOf(QUESTION_SORTS))
    limit = _limit(50)
    cursor = _cursor


class PublicAnswersQuery(QuerySchema):
    limit = _limit(50)
    cursor = _cursor


class PublicIdeasQuery(QuerySchema):
    sort = fields.String(load_default="top", validate=validate.OneOf(IDEA_SORTS))
    stage = fields.String(load_default=None, validate=validate.OneOf(IDEA_STAGES))
    product = _optional_product
    limit = _limit(50)
    cursor = _cursor


class AdminQuestionsQuery(_AdminListQuery):
    pass


class AdminAnswersQuery(_AdminListQuery):
    question_id = fields.String(load_default=None, validate=object_id)


class AdminIdeasQuery(_AdminListQuery):
    sort = fields.String(load_default="newest", validate=validate.OneOf([*ADMIN_SORTS, "top"]))
    stage = fields.String(load_default=None, validate=validate.OneOf(IDEA_STAGES))


_hp = fields.String(
    load_default=None,
    allow_none=True,
    metadata={"description": "Honeypot: leave empty. Anything here marks the item as spam."},
)


class QuestionCreate(InputSchema):
    body = Text(required=True, min_length=10, max_length=1000)
    author_name = Name(required=True, max_length=80)
    author_email = EmailAddress()
    notify = StrictBoolean(
        load_default=False,
        metadata={
            "description": "Tell me when an answer is published: one e-mail to "
            "`author_email` (ignored without an address)"
        },
    )
    hp = _hp


class AnswerCreate(InputSchema):
    body = Text(required=True, max_length=5000)
    author_name = Name(required=True, max_length=80)
    author_email = EmailAddress()
    invite = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 64),
        metadata={
            "description": "An invitation's token (`?plaudit_invite=`) for the question's "
            "product: the answer is a verified buyer's"
        },
    )
    hp = _hp


class IdeaCreate(InputSchema):
    title = Text(required=True, min_length=5, max_length=120)
    body = OptionalText(max_length=5000)
    author_name = Name(required=True, max_length=80)
    author_email = EmailAddress(
        metadata={"description": "To hear when the idea is planned or shipped"}
    )
    product = _optional_product
    hp = _hp


class IdeaVoteCreate(InputSchema):
    vote = StrictBoolean(required=True, metadata={"description": "false withdraws the vote"})
    email = EmailAddress(metadata={"description": "To hear when the idea is planned or shipped"})


class QuestionPatch(_Decision):
    status = fields.String(validate=validate.OneOf(STATUSES))
    reason = _reason()
    note = _note(load_default=ma.missing)


class AnswerPatch(QuestionPatch):
    pass


class IdeaPatch(QuestionPatch):
    title = Text(min_length=5, max_length=120)
    body = OptionalText(max_length=5000, load_default=ma.missing)
    stage = _stage
    stage_note = OptionalText(
        max_length=2000,
        load_default=ma.missing,
        metadata={"description": "Public: shown on the idea and in the messages of its stage"},
    )


class OwnerAnswerCreate(InputSchema):
    question_id = fields.String(required=True, validate=object_id)
    body = Text(required=True, max_length=5000)


class OwnerIdeaCreate(InputSchema):
    title = Text(required=True, min_length=5, max_length=120)
    body = OptionalText(max_length=5000)
    product = _optional_product
    sources = fields.List(
        fields.String(validate=object_id),
        data_key="from",
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "Ids of the reviews and comments the idea comes from"},
    )


class MergeBody(InputSchema):
    into = fields.String(required=True, validate=object_id)


class AnswerSchema(ma.Schema):
    id = fields.String()
    question_id = fields.String()
    body = fields.String()
    author_name = fields.String()
    is_owner = fields.Boolean()
    verified_buyer = fields.Boolean()
    helpful_count = fields.Integer()
    unhelpful_count = fields.Integer()
    created_at = UTCDateTime()


class QuestionSchema(ma.Schema):
    id = fields.String()
    product = fields.Function(lambda q: q.product.external_id, metadata={"type": "string"})
    body = fields.String()
    author_name = fields.String()
    answer_count = fields.Integer()
    created_at = UTCDateTime()
    top_answer = fields.Nested(AnswerSchema, allow_none=True)


class IdeaSourceSchema(ma.Schema):
    type = fields.String(validate=validate.OneOf(["review", "comment"]))
    id = fields.String()
    excerpt = fields.String()


class IdeaSchema(ma.Schema):
    id = fields.String()
    title = fields.String()
    body = fields.String()
    author_name = fields.String()
    product = fields.Function(
        lambda i: None if i.product is None else i.product.external_id,
        allow_none=True,
        metadata={"type": "string"},
    )
    stage = fields.String(validate=validate.OneOf(IDEA_STAGES))
    stage_note = fields.String(allow_none=True)
    vote_count = fields.Integer()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
    sources = fields.List(fields.Nested(IdeaSourceSchema))


class _AdminForm(ma.Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    author_email = fields.String(allow_none=True)
    updated_at = UTCDateTime()
    spam_reasons = fields.List(fields.String())
    moderation = _Trust._declared_fields["moderation"]


class AdminAnswerSchema(AnswerSchema, _AdminForm):
    product = fields.Function(lambda a: a.product.external_id, metadata={"type": "string"})
    question_body = fields.String(metadata={"description": "The question, shortened"})


class AdminQuestionSchema(QuestionSchema, _AdminForm):
    notify = fields.Boolean(metadata={"description": "The asker wants to hear of an answer"})


class AdminIdeaSourceSchema(IdeaSourceSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    author_name = fields.String()


class AdminIdeaSchema(IdeaSchema, _AdminForm):
    sources = fields.List(fields.Nested(AdminIdeaSourceSchema))
    merged_into = fields.String(
        allow_none=True, metadata={"description": "The idea this duplicate was merged into"}
    )


class QuestionList(ma.Schema):
    questions = fields.List(fields.Nested(QuestionSchema))
    next_cursor = _next_cursor


class AnswerList(ma.Schema):
    answers = fields.List(fields.Nested(AnswerSchema))
    next_cursor = _next_cursor


class IdeaList(ma.Schema):
    ideas = fields.List(fields.Nested(IdeaSchema))
    next_cursor = _next_cursor


_public_status = fields.String(validate=validate.OneOf(["published", "pending"]))


class QuestionCreated(ma.Schema):
    question = fields.Nested(QuestionSchema)
    status = _public_status


class AnswerCreated(ma.Schema):
    answer = fields.Nested(AnswerSchema)
    status = _public_status


class IdeaCreated(ma.Schema):
    idea = fields.Nested(IdeaSchema)
    status = _public_status


class IdeaEnvelope(ma.Schema):
    idea = fields.Nested(IdeaSchema)


class IdeaVoteResult(ma.Schema):
    vote_count = fields.Integer()
    voted = fields.Boolean(metadata={"description": "Extension: whether your vote stands"})


class CommunityCount(ma.Schema):
    questions = fields.Integer(metadata={"description": "Published questions"})
    answered = fields.Integer(metadata={"description": "Of those, how many have an answer"})


class CommunityCountsResult(ma.Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Nested(CommunityCount))


class AdminQuestionList(ma.Schema):
    questions = fields.List(fields.Nested(AdminQuestionSchema))
    next_cursor = _next_cursor


class AdminAnswerList(ma.Schema):
    answers = fields.List(fields.Nested(AdminAnswerSchema))
    next_cursor = _next_cursor


class AdminIdeaList(ma.Schema):
    ideas = fields.List(fields.Nested(AdminIdeaSchema))
    next_cursor = _next_cursor


class AdminQuestionEnvelope(ma.Schema):
    question = fields.Nested(AdminQuestionSchema)


class AdminAnswerEnvelope(ma.Schema):
    answer = fields.Nested(AdminAnswerSchema)


class AdminIdeaEnvelope(ma.Schema):
    idea = fields.Nested(AdminIdeaSchema)
