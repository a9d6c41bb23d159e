"""schema.org JSON-LD for a product's reviews and answered questions, for shops that
render it server-side.

The same Product / AggregateRating / Review document the widget adds to the page, and
an FAQPage of the product's answered questions (the questions bundle adds the same).
Like every public GET they answer any origin (CORS headers only for the site's own
origins), are cached as the lists they mirror are, and may be kept for the public
``max-age``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, g
from marshmallow import fields, validate

from ..cache import cached_public_read
from ..extensions import db
from ..fields import QueryInteger
from ..models import STORE
from ..openapi import Blueprint
from ..schemas import JsonLdQuery, QuerySchema
from ..services import community, reviews
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


class AnswerLd(_Typed):
    text = fields.String()
    dateCreated = fields.String(metadata={"format": "date"})
    upvoteCount = fields.Integer(metadata={"description": "Its helpful votes"})
    author = fields.Nested(
        PersonLd,
        metadata={"description": "`Organization` (the shop's name) for the shop's answer"},
    )


class QuestionLd(_Typed):
    name = fields.String(metadata={"description": "The question"})
    answerCount = fields.Integer(metadata={"description": "Its published answers"})
    dateCreated = fields.String(metadata={"format": "date"})
    author = fields.Nested(PersonLd)
    acceptedAnswer = fields.Nested(
        AnswerLd,
        metadata={
            "description": "Its first answer as the widget orders them: the shop's, then"
            " a verified buyer's, then the most helpful"
        },
    )


class AboutLd(_Typed):
    name = fields.String()
    productID = fields.String()


class FaqPageLd(_Typed):
    context = fields.String(data_key="@context")
    about = fields.Nested(AboutLd, metadata={"description": "The product asked about"})
    mainEntity = fields.List(
        fields.Nested(QuestionLd),
        metadata={"description": "Absent while the product has no answered question"},
    )


class QuestionsJsonLdQuery(QuerySchema):
    name = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={"description": "The product's name; default: its id"},
    )
    limit = QueryInteger(
        load_default=10,
        validate=validate.Range(1, 50),
        metadata={"description": "How many answered questions to include, 1-50"},
    )


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


def questions_jsonld(questions: list[Any], product: str, name: str | None) -> dict[str, Any]:
    """The FAQPage of ``questions`` (as the public list returns them, each with its
    ``top_answer``) that have a published answer: the widget's document (questions.js).

    FAQPage rather than QAPage: a product page holds many questions, QAPage describes a
    page about one. Each question's accepted answer is the one the widget shows first.
    """
    document: dict[str, Any] = {
        "context": "https://schema.org",
        "type_": "FAQPage",
        "about": {"type_": "Product", "name": name or product, "productID": product},
    }
    answered = [q for q in questions if q.top_answer is not None]
    if answered:
        document["mainEntity"] = [_question(q) for q in answered]
    return document


def _question(question: Any) -> dict[str, Any]:
    top = question.top_answer
    author: dict[str, Any] = {
        "type_": "Organization" if top.is_owner else "Person",
        "name": top.author_name,
    }
    if top.verified_buyer and not top.is_owner:
        author["description"] = "Verified buyer"  # as a verified review's author says
    return {
        "type_": "Question",
        "name": question.body,
        "answerCount": question.answer_count,
        "dateCreated": question.created_at.date().isoformat(),
        "author": {"type_": "Person", "name": question.author_name},
        "acceptedAnswer": {
            "type_": "Answer",
            "text": top.body,
            "dateCreated": top.created_at.date().isoformat(),
            "upvoteCount": top.helpful_count,
            "author": author,
        },
    }


@bp.route("/<site>/products/<product>/questions/jsonld", methods=["GET"])
@cached_public_read(QuestionsJsonLdQuery, mimetype=JSONLD_MIMETYPE)
@bp.arguments(QuestionsJsonLdQuery, location="query")
@bp.response(200, FaqPageLd, content_type=JSONLD_MIMETYPE)
def questions_ld(query: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """schema.org `FAQPage` of a product's answered questions, each with its first answer.

    The product's published questions with the most published answers (up to
    `limit`), each with the answer the widget shows first (the shop's, then a verified
    buyer's, then the most helpful) as `acceptedAnswer`; only published questions and
    answers. Without an answered question there is no `mainEntity`: leave the document
    out of the page then. Embed it as `<script type="application/ld+json">`, escaping
    `<` as `\\u003c` (as served).
    """
    g.site, found = public.load_product()
    questions, _ = community.public_questions(
        db.session, g.site, found, sort="answered", limit=query["limit"], cursor=None
    )
    return questions_jsonld(questions, product, query["name"])
