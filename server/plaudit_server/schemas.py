"""marshmallow schemas: query arguments, request bodies and responses, kept apart.

Input schemas and query schemas alike raise on unknown fields and parameters (an
allow-list of what a client may send): a typo such as ``?sorted=highest`` answers 422
naming it instead of looking as if it worked, and a cache-buster (``&cb=123``) can
neither split the public read cache nor reach the database. The OpenAPI document is
generated from these same classes.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from limits import parse_many
from marshmallow import fields, validate

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
from .models import Moderation, Status
from .services.sites import rate_limit

STATUSES = [s.value for s in Status]
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


class CommentCreate(InputSchema):
    body = Text(required=True, max_length=5000)
    author_name = Name(required=True, max_length=80)
    author_email = EmailAddress()
    review_id = fields.String(load_default=None, allow_none=True, validate=object_id)
    parent_id = fields.String(load_default=None, allow_none=True, validate=object_id)
    hp = fields.String(load_default=None, allow_none=True)


class VoteCreate(InputSchema):
    helpful = StrictBoolean(required=True)


class AdminCommentCreate(InputSchema):
    product = fields.String(required=True, validate=product_id_validator)
    body = Text(required=True, max_length=5000)
    review_id = fields.String(load_default=None, allow_none=True, validate=object_id)
    parent_id = fields.String(load_default=None, allow_none=True, validate=object_id)


class ReviewPatch(InputSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    reply = Text(
        allow_none=True,
        max_length=5000,
        metadata={"description": "The shop's public reply; null removes it"},
    )
    verified_buyer = StrictBoolean(metadata={"description": "Extension: mark a verified buyer"})


class CommentPatch(InputSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class ModerateBody(InputSchema):
    ids = fields.List(
        fields.String(validate=validate.Length(1, 64)),
        required=True,
        validate=validate.Length(1, 500),
    )
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


RATE_LIMIT_NAMES = [
    "submissions_per_visitor",
    "submissions_per_site",
    "submissions_per_product",
    "votes_per_visitor",
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


class SitePatch(InputSchema):
    name = Name(max_length=120)
    allowed_origins = fields.List(Origin(), validate=validate.Length(max=50))
    moderation = fields.String(validate=validate.OneOf([m.value for m in Moderation]))
    blocked_words = fields.List(Text(max_length=100), validate=validate.Length(max=500))
    rate_limits = fields.Nested(
        RateLimits, allow_none=True, metadata={"description": "null restores the defaults"}
    )


# ---------------------------------------------------------------- responses


class SummarySchema(ma.Schema):
    count = fields.Integer()
    average = fields.Float(allow_none=True)
    histogram = fields.Dict(keys=fields.String(), values=fields.Integer())


class ReplySchema(ma.Schema):
    body = fields.String()
    created_at = UTCDateTime()


class ReviewSchema(ma.Schema):
    id = fields.String()
    product = fields.Function(lambda r: r.product.external_id, metadata={"type": "string"})
    rating = fields.Integer()
    title = fields.String(allow_none=True)
    body = fields.String()
    author_name = fields.String()
    verified_buyer = fields.Boolean()
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


class AdminReviewSchema(ReviewSchema):
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


class AdminCommentSchema(CommentSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    author_email = fields.String(allow_none=True)
    updated_at = UTCDateTime()
    spam_reasons = fields.List(fields.String())


_next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class PublicReviewList(ma.Schema):
    summary = fields.Nested(SummarySchema)
    reviews = fields.List(fields.Nested(ReviewSchema))
    next_cursor = _next_cursor


class ReviewCreated(ma.Schema):
    review = fields.Nested(ReviewSchema)
    status = fields.String(validate=validate.OneOf(["published", "pending"]))


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
    rate_limits = fields.Method(
        "_rate_limits",
        metadata={
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Extension: the limits in force, defaults included",
        },
    )

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


class StatsSchema(ma.Schema):
    reviews = fields.Nested(StatusCounts)
    comments = fields.Nested(StatusCounts)
    average = fields.Float(allow_none=True)
    published_per_day = fields.List(fields.Nested(DayCount))


class HealthSchema(ma.Schema):
    status = fields.String(metadata={"example": "ok"})


class ReadySchema(ma.Schema):
    database = fields.String(validate=validate.OneOf(["ok", "down"]))
    redis = fields.String(validate=validate.OneOf(["ok", "absent", "down"]))
