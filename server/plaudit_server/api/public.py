"""Public endpoints, called by the widget from shop pages with no secret.

GETs answer any origin (with CORS headers only for the site's own origins); a POST from
an origin the site does not list is refused. Submissions and votes are rate limited per
visitor and per site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request

from .. import guidelines
from ..cache import PUBLIC_VARY, cached_public_read, public_cache_control, snapshot
from ..db import read_without_transaction
from ..errors import Problem
from ..extensions import db, limiter
from ..fields import PRODUCT_RE, SITE_RE
from ..idempotency import idempotent
from ..mail import LOCALES, public_url
from ..models import STORE, Product, Site
from ..openapi import Blueprint
from ..origins import add_cors_headers, check_origin
from ..schemas import (
    CommentCreate,
    CommentCreated,
    GuidelinesSchema,
    PublicCommentList,
    PublicCommentsQuery,
    PublicReviewList,
    PublicReviewsQuery,
    ReportCreate,
    ReportReceipt,
    ReviewCreate,
    ReviewCreated,
    SummariesQuery,
    SummariesResult,
    TransparencySchema,
    VoteCreate,
    VoteResult,
)
from ..services import comments, manage, reports, responses, reviews, sites, summaries
from ..visitors import network_hash, visitor_hash

bp = Blueprint(
    "public",
    __name__,
    url_prefix="/api/v1/sites",
    description="Read and submit reviews, votes and fan comments (the widget's API).",
)

PRODUCT_PATH = "/<site>/products/<product>"


def _site_limit_key() -> str:
    return "site:" + (request.view_args or {}).get("site", "")


def _product_limit_key() -> str:
    args = request.view_args or {}
    return f"product:{args.get('site', '')}:{args.get('product', STORE)}"


def _limit(name: str) -> Callable[[], str]:
    """The limit ``name`` for the request's site: its own override or the default."""

    def resolve() -> str:
        return sites.rate_limit(g.get("site"), name, current_app.config)

    return resolve


def submission_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """The limits of every public submission (reviews, comments, questions, answers,
    ideas): per visitor, per site, per product."""
    view = limiter.limit(_limit("submissions_per_product"), key_func=_product_limit_key)(view)
    view = limiter.limit(_limit("submissions_per_site"), key_func=_site_limit_key)(view)
    return limiter.limit(_limit("submissions_per_visitor"))(view)


@bp.before_request
def load_site() -> None:
    args = request.view_args or {}
    slug = args.get("site", "")
    if not SITE_RE.fullmatch(slug):
        raise sites.no_such_site(slug[:64])
    product = args.get("product")
    if product is not None and not PRODUCT_RE.fullmatch(product):
        raise Problem(
            422,
            "The product id is not valid.",
            errors={"product": ["Must be 1-128 characters of A-Z a-z 0-9 . _ : -"]},
        )
    if request.method in {"GET", "HEAD"}:
        read_without_transaction(db.session)
        return  # loaded by the view, and only on a cache miss (see cache.py)
    site = current_site()
    g.idempotency_scope = f"public:{site.id}:{visitor_hash()}"
    if request.method == "POST":
        check_origin(site)


def current_site() -> Site:
    """The site named in the URL, loaded once per request (404 if there is none)."""
    if "site" not in g:
        g.site = sites.site_by_slug(db.session, (request.view_args or {})["site"])
    return g.site


def load_product() -> tuple[Site, Product | None]:
    """For product reads: the URL's site (also into ``g.site``) and product, in one
    query, or from an earlier miss under the same generations (``cache.snapshot``).
    Store routes have no product in their URL: theirs is the shop's own (``STORE``)."""
    args = request.view_args or {}
    slug, product = args["site"], args.get("product", STORE)
    g.site, found = snapshot(
        ("site-product", slug, product),
        lambda: summaries.site_and_product(db.session, slug, product),
    )
    return g.site, found


@bp.after_request
def headers(response: Response) -> Response:
    site = g.get("site")
    add_cors_headers(response, site.allowed_origins if site else None)
    if request.method in {"GET", "HEAD"} and response.status_code in {200, 304}:
        response.headers["Cache-Control"] = public_cache_control(current_app.config)
        response.headers["Vary"] = PUBLIC_VARY  # as a cache hit's
    return response


@bp.route(PRODUCT_PATH + "/reviews", methods=["GET"])
@cached_public_read(PublicReviewsQuery)
@bp.arguments(PublicReviewsQuery, location="query")
@bp.response(200, PublicReviewList)
def list_reviews(query: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """A product's summary and a page of its published reviews.

    An unknown product is not an error: its summary counts 0 and the list is empty.
    `lowest` sorts by rating, then oldest first; every other order breaks ties newest
    first.
    """
    return _review_page(query, product)


@bp.route("/<site>/store/reviews", methods=["GET"])
@cached_public_read(PublicReviewsQuery)
@bp.arguments(PublicReviewsQuery, location="query")
@bp.response(200, PublicReviewList)
def list_store_reviews(query: dict[str, Any], site: str) -> dict[str, Any]:
    """The shop's own summary and reviews (store reviews carry `"product": null`)."""
    return _review_page(query, STORE)


def _review_page(query: dict[str, Any], product: str) -> dict[str, Any]:
    found_site, found = load_product()
    summary, items, next_cursor = reviews.public_reviews(
        db.session,
        found_site,
        product,
        found,
        sort=query["sort"],
        rating=query["rating"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return {"summary": summary, "reviews": items, "next_cursor": next_cursor}


@bp.route(PRODUCT_PATH + "/reviews", methods=["POST"])
@submission_limits
@idempotent
@bp.arguments(ReviewCreate)
@bp.response(201, ReviewCreated)
def create_review(data: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """Submit a review.

    `status` is `published` when it is visible at once, else `pending` (held for
    approval, or flagged: a flagged submission answers exactly like a pending one).
    With `invite` (an invitation's token) the review is a verified buyer's; a second one
    with the same token for the same product edits the first.
    """
    return _submit_review(data, product)


@bp.route("/<site>/store/reviews", methods=["POST"])
@submission_limits
@idempotent
@bp.arguments(ReviewCreate)
@bp.response(201, ReviewCreated)
def create_store_review(data: dict[str, Any], site: str) -> dict[str, Any]:
    """Review the shop itself; the same body and answer as a product review."""
    return _submit_review(data, STORE)


def _submit_review(data: dict[str, Any], product: str) -> dict[str, Any]:
    review = reviews.submit_review(
        db.session, g.site, product, data, visitor_hash=visitor_hash(), network_hash=network_hash()
    )
    token = manage.issue(db.session, g.site, review)
    db.session.commit()
    return {
        "review": review,
        "status": reviews.public_status(review.status),
        "manage_url": manage.url_of(token),
    }


@bp.route("/<site>/reviews/<review_id>/votes", methods=["POST"])
@limiter.limit(_limit("votes_per_visitor"))
@idempotent
@bp.arguments(VoteCreate)
@bp.response(200, VoteResult)
def vote(data: dict[str, Any], site: str, review_id: str) -> Any:
    """Vote a published review helpful or not; a visitor's second vote replaces the first.

    A review counts at most 3 new votes per visitor network (/24 IPv4, /56 IPv6) a day;
    a vote past that answers the counts unchanged.
    """
    review = reviews.vote(
        db.session, g.site, review_id, visitor_hash(), data["helpful"], network_hash()
    )
    db.session.expunge(review)  # the counts as committed, even if deleted right after
    db.session.commit()
    return review


@bp.route("/<site>/summaries", methods=["GET"])
@cached_public_read(SummariesQuery)
@bp.arguments(SummariesQuery, location="query")
@bp.response(200, SummariesResult)
def list_summaries(query: dict[str, Any], site: str) -> dict[str, Any]:
    """Summaries of up to 100 products in one request (star badges on listing pages)."""
    return {"summaries": summaries.summaries_for(db.session, current_site(), query["products"])}


@bp.route(PRODUCT_PATH + "/comments", methods=["GET"])
@cached_public_read(PublicCommentsQuery)
@bp.arguments(PublicCommentsQuery, location="query")
@bp.response(200, PublicCommentList)
def list_comments(query: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """Published comments, oldest first (a reply always follows its parent).

    Without `review`: the product's discussion (comments that answer no review). With
    `review`: that review's thread.
    """
    found_site, found = load_product()
    items, next_cursor = comments.public_comments(
        db.session,
        found_site,
        product,
        found,
        review_id=query["review"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return {"comments": items, "next_cursor": next_cursor}


@bp.route(PRODUCT_PATH + "/comments", methods=["POST"])
@submission_limits
@idempotent
@bp.arguments(CommentCreate)
@bp.response(201, CommentCreated)
def create_comment(data: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """Post a fan comment: on the product, on a review (`review_id`) or as a reply
    (`parent_id`); threads nest at most 3 levels deep."""
    comment = comments.submit_comment(
        db.session, g.site, product, data, visitor_hash=visitor_hash(), network_hash=network_hash()
    )
    token = manage.issue(db.session, g.site, comment)
    db.session.commit()
    return {
        "comment": comment,
        "status": reviews.public_status(comment.status),
        "manage_url": manage.url_of(token),
    }


@bp.route("/<site>/reviews/<item_id>/reports", methods=["POST"])
@limiter.limit(_limit("reports_per_visitor"))
@idempotent
@bp.arguments(ReportCreate)
@bp.response(202, ReportReceipt)
def report_review(data: dict[str, Any], site: str, item_id: str) -> Any:
    """Report a published review to the shop (`illegal`: a notice of illegal content,
    with details and an address).

    One report per visitor and item: a repeat answers the first. Once the site's
    `report_threshold` open reports gather, the item is held until the shop decides.
    """
    return _report("review", item_id, data)


@bp.route("/<site>/comments/<item_id>/reports", methods=["POST"])
@limiter.limit(_limit("reports_per_visitor"))
@idempotent
@bp.arguments(ReportCreate)
@bp.response(202, ReportReceipt)
def report_comment(data: dict[str, Any], site: str, item_id: str) -> Any:
    """Report a published comment, as for reviews."""
    return _report("comment", item_id, data)


def _report(object_type: str, item_id: str, data: dict[str, Any]) -> Any:
    report, _ = reports.submit(
        db.session,
        g.site,
        object_type,
        item_id,
        data,
        visitor_hash=visitor_hash(),
        locale=request.accept_languages.best_match(LOCALES) or g.site.locale,
    )
    db.session.expunge(report)
    db.session.commit()
    return report


@bp.route("/<site>/guidelines", methods=["GET"])
@bp.response(200, GuidelinesSchema)
def get_guidelines(site: str) -> dict[str, Any]:
    """The site's moderation guidelines: what is removed and why (never the rating)."""
    found = current_site()
    text, customized = guidelines.text_for(found)
    return {
        "site": found.slug,
        "text": text,
        "customized": customized,
        "locale": found.locale,
        "url": public_url(f"/sites/{found.slug}/guidelines"),
    }


@bp.route("/<site>/transparency", methods=["GET"])
@bp.response(200, TransparencySchema)
def get_transparency(site: str) -> dict[str, Any]:
    """The site's transparency report over the last 365 days (readable at `/t/{site}`):
    items received and published, rejections by reason, reports, the median time to a
    decision and how often and how fast the shop answers. At most an hour old."""
    return responses.cached_transparency(db.session, current_site())
