"""Admin endpoints for shops' back ends and the SDK: ``Authorization: Bearer sk_live_...``.

A key belongs to one site; every lookup goes through ``services.tenancy.owned`` so
another site's ids answer 404. No CORS here: a secret key has no business in a browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from flask import Response, current_app, g, request, stream_with_context

from ..bodies import body_limit
from ..errors import Problem, flatten_messages
from ..extensions import db, limiter
from ..idempotency import idempotent
from ..models import Comment, Invitation, Review, Status
from ..openapi import Blueprint
from ..schemas import (
    AdminCommentCreate,
    AdminCommentList,
    AdminCommentSchema,
    AdminCommentsQuery,
    AdminReviewList,
    AdminReviewSchema,
    AdminReviewsQuery,
    CommentPatch,
    InvitationBatch,
    InvitationBatchResult,
    InvitationCreate,
    InvitationEnvelope,
    InvitationList,
    InvitationsQuery,
    ModerateBody,
    ModerateResult,
    ReviewPatch,
    SitePatch,
    SiteSchema,
    StatsQuery,
    StatsSchema,
)
from ..services import (
    audit,
    comments,
    community,
    invitation_delivery,
    invitations,
    moderation,
    reviews,
    sites,
    stats,
)
from ..services.tenancy import owned
from ..transfer.export import export_lines

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Moderate, reply and read statistics with a site's secret key.",
)


@bp.before_request
def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    key = None
    if scheme.lower() == "bearer" and secret.strip():
        key = sites.key_for_secret(db.session, secret.strip())
    if key is None:
        raise Problem(
            401,
            "Missing or invalid secret key: send `Authorization: Bearer sk_live_...`.",
            headers={"WWW-Authenticate": 'Bearer realm="plaudit"'},
        )
    g.site = site = key.site
    g.idempotency_scope = f"admin:{site.id}"
    audit.act_as(sites.key_actor(key))


def _key_limit_key() -> str:
    secret = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return "key:" + sites.hash_key(secret)[:24]


# Every admin endpoint, per secret key (checked after authentication).
limiter.limit(lambda: current_app.config["RATELIMIT_ADMIN_PER_KEY"], key_func=_key_limit_key)(bp)


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _no_content() -> Response:
    return Response(status=204)


# ---------------------------------------------------------------- reviews


@bp.route("/reviews", methods=["GET"])
@bp.arguments(AdminReviewsQuery, location="query")
@bp.response(200, AdminReviewList)
@bp.doc(security=[{"secretKey": []}])
def list_reviews(query: dict[str, Any]) -> dict[str, Any]:
    """All of the site's reviews, any status; `sort=updated` with `updated_since` syncs."""
    items, next_cursor = reviews.admin_reviews(db.session, g.site, query)
    return {"reviews": items, "next_cursor": next_cursor}


@bp.route("/reviews/<review_id>", methods=["GET"])
@bp.response(200, AdminReviewSchema)
@bp.doc(security=[{"secretKey": []}])
def get_review(review_id: str) -> Review:
    """One review, admin form."""
    return owned(db.session, Review, g.site, review_id)


@bp.route("/reviews/<review_id>", methods=["PATCH"])
@idempotent
@bp.arguments(ReviewPatch)
@bp.response(200, AdminReviewSchema)
@bp.doc(security=[{"secretKey": []}])
def update_review(changes: dict[str, Any], review_id: str) -> Review:
    """Change the status (with a `reason` and a `note` to the author when rejecting),
    set or remove (`null`) the shop's public reply, mark `incentivized`."""
    review = reviews.update_review(db.session, g.site, review_id, changes)
    # Answer with what this request committed: reloading the review after the commit
    # would fail (500) if another request deleted it in between.
    db.session.expunge(review)
    db.session.commit()
    return review


@bp.route("/reviews/<review_id>", methods=["DELETE"])
@bp.response(204)
@bp.doc(security=[{"secretKey": []}])
def delete_review(review_id: str) -> Response:
    """Delete for good, with the review's votes and comments."""
    if not moderation.delete_review(db.session, g.site, review_id):
        raise Problem(404, f"There is no review {review_id!r}.")
    db.session.commit()
    return _no_content()


@bp.route("/reviews/moderate", methods=["POST"])
@idempotent
@bp.arguments(ModerateBody)
@bp.response(200, ModerateResult)
@bp.doc(security=[{"secretKey": []}])
def moderate_reviews(data: dict[str, Any]) -> dict[str, int]:
    """Set the status of up to 500 reviews at once.

    `updated` counts the given ids that belong to the site (now all in `status`); ids
    that do not exist or belong to another site are ignored.
    """
    count = moderation.set_review_status(
        db.session,
        g.site,
        set(data["ids"]),
        Status(data["status"]),
        reason=data.get("reason"),
        note=data.get("note"),
    )
    db.session.commit()
    return {"updated": count}


# ---------------------------------------------------------------- comments


@bp.route("/comments", methods=["GET"])
@bp.arguments(AdminCommentsQuery, location="query")
@bp.response(200, AdminCommentList)
@bp.doc(security=[{"secretKey": []}])
def list_comments(query: dict[str, Any]) -> dict[str, Any]:
    """All of the site's comments, any status."""
    items, next_cursor = comments.admin_comments(db.session, g.site, query)
    return {"comments": items, "next_cursor": next_cursor}


@bp.route("/comments", methods=["POST"])
@idempotent
@bp.arguments(AdminCommentCreate)
@bp.response(201, AdminCommentSchema)
@bp.doc(security=[{"secretKey": []}])
def create_comment(data: dict[str, Any]) -> Comment:
    """A reply from the shop itself: published at once, `is_owner` true."""
    comment = comments.submit_comment(
        db.session, g.site, data["product"], data, visitor_hash=None, is_owner=True
    )
    db.session.commit()
    return comment


@bp.route("/comments/<comment_id>", methods=["GET"])
@bp.response(200, AdminCommentSchema)
@bp.doc(security=[{"secretKey": []}])
def get_comment(comment_id: str) -> Comment:
    """One comment, admin form."""
    return owned(db.session, Comment, g.site, comment_id)


@bp.route("/comments/<comment_id>", methods=["PATCH"])
@idempotent
@bp.arguments(CommentPatch)
@bp.response(200, AdminCommentSchema)
@bp.doc(security=[{"secretKey": []}])
def update_comment(changes: dict[str, Any], comment_id: str) -> Comment:
    """Change a comment's status (with a reason and a note when rejecting)."""
    comment = owned(db.session, Comment, g.site, comment_id)
    if "status" in changes:
        # Locks the comment's review, then the comment (the order that avoids deadlocks).
        moderation.set_comment_status(
            db.session,
            g.site,
            [comment.id],
            Status(changes["status"]),
            reason=changes.get("reason"),
            note=changes.get("note"),
        )
    if "incentivized" in changes:
        comments.set_incentivized(db.session, g.site, comment_id, changes["incentivized"])
    db.session.flush()  # expire() below would drop an unflushed change
    # Reloaded: a delete that won the race meanwhile makes this a 404, not a 500.
    db.session.expire(comment)
    comment = owned(db.session, Comment, g.site, comment_id)
    db.session.expunge(comment)  # as in update_review: a delete right after is no 500
    db.session.commit()
    return comment


@bp.route("/comments/<comment_id>", methods=["DELETE"])
@bp.response(204)
@bp.doc(security=[{"secretKey": []}])
def delete_comment(comment_id: str) -> Response:
    """Delete a comment for good, with the replies under it."""
    if not moderation.delete_comment(db.session, g.site, comment_id):
        raise Problem(404, f"There is no comment {comment_id!r}.")
    db.session.commit()
    return _no_content()


@bp.route("/comments/moderate", methods=["POST"])
@idempotent
@bp.arguments(ModerateBody)
@bp.response(200, ModerateResult)
@bp.doc(security=[{"secretKey": []}])
def moderate_comments(data: dict[str, Any]) -> dict[str, int]:
    """Set the status of up to 500 comments at once (counted as for reviews)."""
    count = moderation.set_comment_status(
        db.session,
        g.site,
        set(data["ids"]),
        Status(data["status"]),
        reason=data.get("reason"),
        note=data.get("note"),
    )
    db.session.commit()
    return {"updated": count}


# ---------------------------------------------------------------- site and stats


@bp.route("/site", methods=["GET"])
@bp.response(200, SiteSchema)
@bp.doc(security=[{"secretKey": []}])
def get_site() -> Any:
    """The key's own site and its settings."""
    return g.site


@bp.route("/site", methods=["PATCH"])
@idempotent
@bp.arguments(SitePatch)
@bp.response(200, SiteSchema)
@bp.doc(security=[{"secretKey": []}])
def update_site(changes: dict[str, Any]) -> Any:
    """Change the name, allowed origins, moderation policy, blocked words, rate limits,
    message language or the invitations' delay, reminder and lifetime.

    The delay and the lifetime apply to invitations created afterwards; the reminder
    setting to every reminder not yet sent.
    """
    site = sites.update_site(db.session, g.site, changes)
    db.session.commit()
    return site


@bp.route("/stats", methods=["GET"])
@bp.arguments(StatsQuery, location="query")
@bp.response(200, StatsSchema)
@bp.doc(security=[{"secretKey": []}])
def get_stats(query: dict[str, Any]) -> dict[str, Any]:
    """Counts by status, the site-wide average, published reviews per day (90 days) and
    the response figures: reply rate, median hours to the first reply, share of 1-2 star
    reviews answered (over 365 days; `product` narrows those to one product); questions,
    answers and ideas by status, the most wanted ideas and the recently shipped."""
    numbers = {
        **stats.cached_site_stats(db.session, g.site),
        **community.community_stats(db.session, g.site),
    }
    if query.get("product"):
        numbers = {
            **numbers,
            "responses": stats.response_figures(db.session, g.site, product=query["product"]),
        }
    return numbers


# ---------------------------------------------------------------- invitations

# 500 invitations with names and several products each pass 64 KiB.
BATCH_BODY_LIMIT = 1024 * 1024


@bp.route("/invitations", methods=["POST"])
@idempotent
@bp.arguments(InvitationCreate)
@bp.response(201, InvitationEnvelope)
@bp.doc(security=[{"secretKey": []}])
def create_invitation(data: dict[str, Any]) -> dict[str, Any]:
    """Ask the buyer of one order for reviews.

    The mail goes out at `send_at` (default: now plus the site's `invite_delay_days`), one
    reminder `invite_reminder_days` later if no review came, nothing after `expires_at`.
    A second invitation for the same `order_id`: 409 with `existing_id`. An address on the
    site's suppression list: 201 with status `unsubscribed`, and nothing is ever sent.
    """
    (result,) = invitations.create_invitations(db.session, g.site, [data])
    if isinstance(result, Problem):
        raise result
    db.session.commit()
    if invitation_delivery.due_now([result]):
        invitation_delivery.send_soon()
    return {"invitation": result}


@bp.route("/invitations/batch", methods=["POST"])
@body_limit(BATCH_BODY_LIMIT)
@idempotent
@bp.arguments(InvitationBatch)
@bp.response(200, InvitationBatchResult)
@bp.doc(security=[{"secretKey": []}])
def create_invitations(data: dict[str, Any]) -> dict[str, Any]:
    """Create up to 500 invitations; each is taken or refused on its own.

    The one endpoint whose body may be up to 1 MiB (every other: 64 KiB).

    `errors` lists the refused ones by their `index` in the request, each with its
    problem details (422 invalid, 409 the order already has an invitation).
    """
    schema = InvitationCreate()
    valid: list[dict[str, Any]] = []
    positions: list[int] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(data["invitations"]):
        try:
            valid.append(schema.load(item))
            positions.append(index)
        except ma.ValidationError as error:
            problem = Problem(
                422, "The invitation has invalid fields.", errors=flatten_messages(error.messages)
            )
            errors.append({"index": index, "problem": problem.body()})
    created: list[Invitation] = []
    results = invitations.create_invitations(db.session, g.site, valid)
    for index, result in zip(positions, results, strict=True):
        if isinstance(result, Problem):
            errors.append({"index": index, "problem": result.body()})
        else:
            created.append(result)
    db.session.commit()
    if invitation_delivery.due_now(created):
        invitation_delivery.send_soon()
    errors.sort(key=lambda e: e["index"])
    return {"created": created, "errors": errors}


@bp.route("/invitations", methods=["GET"])
@bp.arguments(InvitationsQuery, location="query")
@bp.response(200, InvitationList)
@bp.doc(security=[{"secretKey": []}])
def list_invitations(query: dict[str, Any]) -> dict[str, Any]:
    """The site's invitations, newest first; filter by `status` or `order_id`."""
    items, next_cursor = invitations.list_invitations(db.session, g.site, query)
    return {"invitations": items, "next_cursor": next_cursor}


@bp.route("/invitations/<invitation_id>", methods=["GET"])
@bp.response(200, InvitationEnvelope)
@bp.doc(security=[{"secretKey": []}])
def get_invitation(invitation_id: str) -> dict[str, Any]:
    """One invitation, with its review page's `url`."""
    return {"invitation": owned(db.session, Invitation, g.site, invitation_id)}


@bp.route("/invitations/<invitation_id>", methods=["DELETE"])
@idempotent
@bp.response(200, InvitationEnvelope)
@bp.doc(security=[{"secretKey": []}])
def cancel_invitation(invitation_id: str) -> dict[str, Any]:
    """Cancel an invitation not yet sent (status `cancelled`); 409 once it was sent."""
    invitation = invitations.cancel(db.session, g.site, invitation_id)
    db.session.commit()
    return {"invitation": invitation}


# ---------------------------------------------------------------- export


@bp.route("/export", methods=["GET"])
@bp.response(
    200,
    content_type="application/x-ndjson",
    description="JSON Lines, one object per line with a `type` (the JSON Schema ships "
    "with the server as `plaudit_server/transfer/schema.json`)",
)
@bp.doc(security=[{"secretKey": []}])
def export_site() -> Response:
    """The whole site in the open format, streamed: settings, products, reviews, comments,
    invitations, suppressed addresses (what `plaudit export` writes, byte for byte)."""
    site = g.site

    def lines() -> Iterator[str]:
        try:
            yield from export_lines(db.session, site)
        finally:  # its reads' transaction ends with the body, whoever closes it when
            db.session.rollback()

    response = Response(stream_with_context(lines()), mimetype="application/x-ndjson")
    response.headers["Content-Disposition"] = f'attachment; filename="{site.slug}.jsonl"'
    return response
