"""schema.org JSON-LD for a product's reviews, for shops that render it server-side.

The same Product / AggregateRating / Review document the widget adds to the page. Like
every public GET it answers any origin (CORS headers only for the site's own origins)
and may be cached for the public ``max-age``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, g
from marshmallow import fields

from ..cache import cached_public_read
from ..extensions import db
from ..models import STORE
from ..openapi import Blueprint
from ..schemas import JsonLdQuery
from ..services import reviews
from . import public

JSONLD_MIMETYPE = "application/ld+json"

bp = Blueprint(
    "seo",
    __name__,
    url_prefix="/api/v1/sites",
    description="schema.org JSON-LD of a product's rating and reviews (for search engines).",
)


class _Typed(ma.Schema):
    type_ = fields.String(data_key="@type")


class RatingLd(_Typed):
    ratingValue = fields.Float()
    bestRating = fields.Integer()
    worstRating = fields.Integer()


class AggregateRatingLd(RatingLd):
    reviewCount = fields.Integer()


class PersonLd(_Typed):
    name = fields.String()
    description = fields.String(metadata={"description": "`Verified buyer` for a verified review"})


class ReviewLd(_Typed):
    author = fields.Nested(PersonLd)
    datePublished = fields.String(metadata={"format": "date"})
    name = fields.String(metadata={"description": "The review's title, when it has one"})
    reviewBody = fields.String()
    reviewRating = fields.Nested(RatingLd)
    description = fields.String(
        metadata={"description": "`Received an incentive` for an incentivized review"}
    )


class ProductLd(_Typed):
    context = fields.String(data_key="@context")
    name = fields.String()
    productID = fields.String(metadata={"description": "Absent for the shop (`Organization`)"})
    url = fields.String(metadata={"description": "The shop's: its first allowed origin"})
    aggregateRating = fields.Nested(
        AggregateRatingLd, metadata={"description": "Absent while the product has no review"}
    )
    review = fields.List(fields.Nested(ReviewLd))


# The same checks, autocommit reads and headers as the reviews list this mirrors.
bp.before_request(public.load_site)


@bp.after_request
def headers(response: Response) -> Response:
    if response.status_code == 200:
        response.mimetype = JSONLD_MIMETYPE
    return public.headers(response)


def _rating(value: float, type_: str = "Rating") -> dict[str, Any]:
    return {"type_": type_, "ratingValue": value, "bestRating": 5, "worstRating": 1}


def product_jsonld(
    summary: dict[str, Any], items: list[Any], product: str, name: str | None
) -> dict[str, Any]:
    """The document, from a summary and reviews as the public list returns them."""
    document: dict[str, Any] = {
        "context": "https://schema.org",
        "type_": "Product",
        "name": name or product,
        "productID": product,
    }
    return _with_reviews(document, summary, items)


def _with_reviews(
    document: dict[str, Any], summary: dict[str, Any], items: list[Any]
) -> dict[str, Any]:
    """``document`` with the aggregate rating and reviews, when there are any."""
    if summary["count"]:
        document["aggregateRating"] = {
            **_rating(summary["average"], "AggregateRating"),
            "reviewCount": summary["count"],
        }
        document["review"] = []
        for review in items:
            entry: dict[str, Any] = {
                "type_": "Review",
                "author": {"type_": "Person", "name": review.author_name},
                "datePublished": review.created_at.date().isoformat(),
                "reviewBody": review.body,
                "reviewRating": _rating(review.rating),
            }
            if review.title:
                entry["name"] = review.title
            if review.verified_buyer:
                # schema.org has no property for it; the author's description says it.
                entry["author"]["description"] = "Verified buyer"
            if review.incentivized:
                # Disclosed as the widget shows it (widget/README.md, "Incentives").
                entry["description"] = "Received an incentive"
            document["review"].append(entry)
    return document


@bp.route("/<site>/products/<product>/jsonld", methods=["GET"])
@cached_public_read(JsonLdQuery, mimetype=JSONLD_MIMETYPE)
@bp.arguments(JsonLdQuery, location="query")
@bp.response(200, ProductLd, content_type=JSONLD_MIMETYPE)
def product_ld(query: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """schema.org `Product` with its `AggregateRating` and a page of `Review`s.

    The same published reviews and summary as the reviews list (`sort`, `limit`). A
    product without reviews has no `aggregateRating` (search engines reject a count of
    0). Embed it in a page as `<script type="application/ld+json">`, escaping `<` as
    `\\u003c`.
    """
    g.site, found = public.load_product()
    summary, items, _ = reviews.public_reviews(
        db.session,
        g.site,
        product,
        found,
        sort=query["sort"],
        rating=None,
        limit=query["limit"],
        cursor=None,
    )
    return product_jsonld(summary, items, product, query["name"])


@bp.route("/<site>/store/jsonld", methods=["GET"])
@cached_public_read(JsonLdQuery, mimetype=JSONLD_MIMETYPE)
@bp.arguments(JsonLdQuery, location="query")
@bp.response(200, ProductLd, content_type=JSONLD_MIMETYPE)
def store_ld(query: dict[str, Any], site: str) -> dict[str, Any]:
    """schema.org `Organization` (the shop) with its `AggregateRating` and `Review`s.

    From the store reviews, as the product document is from a product's. `name`
    defaults to the site's name, `url` is the site's first allowed origin.
    """
    g.site, found = public.load_product()
    summary, items, _ = reviews.public_reviews(
        db.session,
        g.site,
        STORE,
        found,
        sort=query["sort"],
        rating=None,
        limit=query["limit"],
        cursor=None,
    )
    document: dict[str, Any] = {
        "context": "https://schema.org",
        "type_": "Organization",
        "name": query["name"] or g.site.name,
    }
    if g.site.allowed_origins:
        document["url"] = g.site.allowed_origins[0]
    return _with_reviews(document, summary, items)
