"""Public endpoints, called by the widget from shop pages with no secret.

GETs answer any origin (with CORS headers only for the site's own origins); a POST from
an origin the site does not list is refused. Submissions and votes are rate limited per
visitor and per site.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request
from flask_smorest import Blueprint

from ..errors import Problem
from ..extensions import db, limiter
from ..fields import PRODUCT_RE, SITE_RE
from ..idempotency import idempotent
from ..origins import add_cors_headers, check_origin
from ..schemas import (
    CommentCreate,
    CommentCreated,
    PublicCommentList,
    PublicCommentsQuery,
    PublicReviewList,
    PublicReviewsQuery,
    ReviewCreate,
    ReviewCreated,
    SummariesQuery,
    SummariesResult,
    VoteCreate,
    VoteResult,
)
from ..services import comments, reviews, sites, summaries
from ..visitors import visitor_hash

bp = Blueprint(
    "public",
    __name__,
    url_prefix="/api/v1/sites",
    description="Read and submit reviews, votes and fan comments (the widget's API).",
)

PRODUCT_PATH = "/<site>/products/<product>"


def _site_limit_key() -> str:
    return "site:" + (request.view_args or {}).get("site", "")


def _submission_limit() -> str:
    return current_app.config["RATELIMIT_SUBMISSIONS_PER_VISITOR"]


def _site_submission_limit() -> str:
    return current_app.config["RATELIMIT_SUBMISSIONS_PER_SITE"]


def _vote_limit() -> str:
    return current_app.config["RATELIMIT_VOTES_PER_VISITOR"]


@bp.before_request
def load_site() -> None:
    args = request.view_args or {}
    slug = args.get("site", "")
    if not SITE_RE.fullmatch(slug):
        raise Problem(404, f"There is no site {slug[:64]!r}.")
    product = args.get("product")
    if product is not None and not PRODUCT_RE.fullmatch(product):
        raise Problem(
            422,
            "The product id is not valid.",
            errors={"product": ["Must be 1-128 characters of A-Z a-z 0-9 . _ : -"]},
        )
    g.site = sites.site_by_slug(db.session, slug)
    g.idempotency_scope = f"public:{g.site.id}:{visitor_hash()}"
    if request.method == "POST":
        check_origin(g.site)


@bp.after_request
def headers(response: Response) -> Response:
    add_cors_headers(response, g.get("site"))
    if request.method in {"GET", "HEAD"} and response.status_code == 200:
        max_age = current_app.config["PUBLIC_CACHE_MAX_AGE"]
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.route(PRODUCT_PATH + "/reviews", methods=["GET"])
@bp.arguments(PublicReviewsQuery, location="query")
@bp.response(200, PublicReviewList)
def list_reviews(query: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """A product's summary and a page of its published reviews.

    An unknown product is not an error: its summary counts 0 and the list is empty.
    `lowest` sorts by rating, then oldest first; every other order breaks ties newest
    first.
    """
    summary, items, next_cursor = reviews.public_reviews(
        db.session,
        g.site,
        product,
        sort=query["sort"],
        rating=query["rating"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return {"summary": summary, "reviews": items, "next_cursor": next_cursor}


@bp.route(PRODUCT_PATH + "/reviews", methods=["POST"])
@limiter.limit(_submission_limit)
@limiter.limit(_site_submission_limit, key_func=_site_limit_key)
@idempotent
@bp.arguments(ReviewCreate)
@bp.response(201, ReviewCreated)
def create_review(data: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """Submit a review.

    `status` is `published` when it is visible at once, else `pending` (held for
    approval, or flagged: a flagged submission answers exactly like a pending one).
    """
    review = reviews.submit_review(db.session, g.site, product, data, visitor_hash=visitor_hash())
    db.session.commit()
    return {"review": review, "status": reviews.public_status(review.status)}


@bp.route("/<site>/reviews/<review_id>/votes", methods=["POST"])
@limiter.limit(_vote_limit)
@idempotent
@bp.arguments(VoteCreate)
@bp.response(200, VoteResult)
def vote(data: dict[str, Any], site: str, review_id: str) -> Any:
    """Vote a published review helpful or not; a visitor's second vote replaces the first."""
    review = reviews.vote(db.session, g.site, review_id, visitor_hash(), data["helpful"])
    db.session.commit()
    return review


@bp.route("/<site>/summaries", methods=["GET"])
@bp.arguments(SummariesQuery, location="query")
@bp.response(200, SummariesResult)
def list_summaries(query: dict[str, Any], site: str) -> dict[str, Any]:
    """Summaries of up to 100 products in one request (star badges on listing pages)."""
    return {"summaries": summaries.summaries_for(db.session, g.site, query["products"])}


@bp.route(PRODUCT_PATH + "/comments", methods=["GET"])
@bp.arguments(PublicCommentsQuery, location="query")
@bp.response(200, PublicCommentList)
def list_comments(query: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """Published comments, oldest first (a reply always follows its parent).

    Without `review`: the product's discussion (comments that answer no review). With
    `review`: that review's thread.
    """
    items, next_cursor = comments.public_comments(
        db.session,
        g.site,
        product,
        review_id=query["review"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return {"comments": items, "next_cursor": next_cursor}


@bp.route(PRODUCT_PATH + "/comments", methods=["POST"])
@limiter.limit(_submission_limit)
@limiter.limit(_site_submission_limit, key_func=_site_limit_key)
@idempotent
@bp.arguments(CommentCreate)
@bp.response(201, CommentCreated)
def create_comment(data: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """Post a fan comment: on the product, on a review (`review_id`) or as a reply
    (`parent_id`); threads nest at most 3 levels deep."""
    comment = comments.submit_comment(
        db.session, g.site, product, data, visitor_hash=visitor_hash()
    )
    db.session.commit()
    return {"comment": comment, "status": reviews.public_status(comment.status)}
