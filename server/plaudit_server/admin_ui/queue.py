"""The moderation queues for reviews and comments, replies and answers from the shop.

Lists, status changes, deletions, replies and answers are the admin API's services
(``services.reviews``, ``services.comments``, ``services.moderation``); the views here
parse forms with the API's own schemas, call one service and redirect back to the
queue the owner came from (post/redirect/get, so a reload never repeats an action).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import fields, validate
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from ..extensions import db
from ..fields import QueryInteger
from ..models import STORE, Comment, Review, Site, Status
from ..schemas import (
    STATUSES,
    AdminCommentCreate,
    AdminCommentsQuery,
    AdminReviewsQuery,
    ModerateBody,
)
from ..schemas import ReviewPatch as ReviewPatchSchema
from ..services import comments as comment_service
from ..services import moderation, site_counts
from ..services import reviews as review_service
from ..services.tenancy import owned
from .auth import safe_next
from .base import bp, field_errors, owned_site

MAX_BULK = 500
PAGE_SIZES = [25, 50, 100, 500]
ACTIONS = {
    "approve": (Status.PUBLISHED, "approved"),
    "reject": (Status.REJECTED, "rejected"),
    "spam": (Status.SPAM, "marked as spam"),
    "pending": (Status.PENDING, "moved back to pending"),
}
# Moving an item to these is a decision the author is told the reason of.
DECISIONS_WITH_REASON = frozenset({Status.REJECTED, Status.SPAM})
SPAM_REASONS = {
    "honeypot": "hidden honeypot field filled in",
    "too_many_links": "too many links",
    "duplicate": "same text from the same network",
    "blocked_word": "contains a blocked word",
}


_ID = "__plaudit_id__"  # stands for an item's id in a URL built once per page


@dataclass(frozen=True)
class Links:
    """A queue page's URLs, from ``url_for`` once per page rather than once per item.

    A 500-item page has several links and forms per item; ``url_for`` for each was a
    large part of the render time. Each per-item URL is built once with a stand-in id
    and the item's (quoted) id put in its place.
    """

    site: Site
    next: str
    moderate_reviews: str
    moderate_comments: str
    _review: str
    _reply: str
    _answer: str
    _incentive: str
    _history: str
    _reports: str
    _new_idea: str
    _queues: dict[str, str]

    @classmethod
    def for_page(cls, site: Site) -> Links:
        slug = site.slug
        return cls(
            site=site,
            next=request.full_path,
            moderate_reviews=url_for("admin_ui.moderate_reviews", slug=slug),
            moderate_comments=url_for("admin_ui.moderate_comments", slug=slug),
            _review=url_for("admin_ui.review_detail", slug=slug, review_id=_ID),
            _reply=url_for("admin_ui.reply", slug=slug, review_id=_ID),
            _answer=url_for("admin_ui.answer", slug=slug, comment_id=_ID),
            _incentive=url_for("admin_ui.set_incentivized", slug=slug, review_id=_ID),
            _history=url_for("admin_ui.audit_log", slug=slug, object_id=_ID),
            _reports=url_for("admin_ui.reports", slug=slug, status="open", object_id=_ID),
            _new_idea=f"{url_for('admin_ui.new_idea', slug=slug)}?from={_ID}",
            _queues={
                kind: url_for(f"admin_ui.{kind}", slug=slug, status="all")
                for kind in ("reviews", "comments")
            },
        )

    def review(self, review_id: str) -> str:
        return self._review.replace(_ID, quote(review_id, safe=""))

    def reply(self, review_id: str) -> str:
        return self._reply.replace(_ID, quote(review_id, safe=""))

    def answer(self, comment_id: str) -> str:
        return self._answer.replace(_ID, quote(comment_id, safe=""))

    def incentive(self, review_id: str) -> str:
        return self._incentive.replace(_ID, quote(review_id, safe=""))

    def history(self, item_id: str) -> str:
        """The item's entries in the audit log."""
        return self._history.replace(_ID, quote(item_id, safe=""))

    def reports(self, item_id: str) -> str:
        """The item's open reports."""
        return self._reports.replace(_ID, quote(item_id, safe=""))

    def new_idea(self, item_id: str) -> str:
        """The idea form filled in from a review or comment ("make this an idea")."""
        return self._new_idea.replace(_ID, quote(item_id, safe=""))

    def product(self, kind: str, external_id: str) -> str:
        if external_id == STORE:  # the shop's own row: its reviews are a subject, not an id
            return self.shop_reviews
        return f"{self._queues[kind]}&{urlencode({'product': external_id})}"

    @property
    def shop_reviews(self) -> str:
        """The queue of reviews of the shop itself (``subject=store``)."""
        return f"{self._queues['reviews']}&subject=store"

    @staticmethod
    def is_shop(item: Review | Comment) -> bool:
        """Whether ``item`` is about the shop itself rather than one of its products."""
        return bool(item.product.external_id == STORE)


class _QueueQuery:
    """Pending first by default ("all" is one click away), and pages of up to 500, so
    select-all covers a bulk action of 500 items in one request."""

    status = fields.String(load_default="pending", validate=validate.OneOf(["all", *STATUSES]))
    limit = QueryInteger(load_default=50, validate=validate.OneOf(PAGE_SIZES))


class ReviewQueueQuery(_QueueQuery, AdminReviewsQuery):
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "oldest"]))


class CommentQueueQuery(_QueueQuery, AdminCommentsQuery):
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "oldest"]))


def _load_query(schema: ma.Schema) -> tuple[dict[str, Any], dict[str, Any]]:
    """The queue's filters from the query string; empty form fields mean "no filter"."""
    given = MultiDict([(k, v) for k, v in request.args.items(multi=True) if v.strip()])
    try:
        return schema.load(given), {}
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        # Show the queue without the bad filters rather than an error page.
        clean = MultiDict([(k, v) for k, v in given.items(multi=True) if k not in messages])
        return schema.load(clean), messages


def _filters(query: dict[str, Any]) -> dict[str, Any]:
    """The query as URL parameters (without the cursor), for links and redirects."""
    keep = ("status", "subject", "product", "rating", "q", "sort", "limit")
    return {k: query[k] for k in keep if query.get(k) not in (None, "")}


def _back(default: str) -> Any:
    return redirect(safe_next(request.form.get("next")) or default)


def _selected_ids() -> list[str]:
    ids = list(dict.fromkeys(i for i in request.form.getlist("ids") if 0 < len(i) <= 64))
    if len(ids) > MAX_BULK:
        abort(413, f"At most {MAX_BULK} items at once.")
    return ids


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- reviews


@bp.get("/<slug>/reviews")
@login_required
def reviews(slug: str) -> Any:
    site = owned_site(slug)
    query, errors = _load_query(ReviewQueueQuery())
    items, next_cursor = review_service.admin_reviews(db.session, site, query)
    return render_template(
        "admin/reviews.html",
        site=site,
        links=Links.for_page(site),
        items=items,
        query=query,
        filters=_filters(query),
        errors=errors,
        next_cursor=next_cursor,
        counts=site_counts.status_counts(db.session, Review, site),
        page_sizes=PAGE_SIZES,
        spam_reasons=SPAM_REASONS,
    )


@bp.get("/<slug>/reviews/<review_id>")
@login_required
def review_detail(slug: str, review_id: str) -> Any:
    site = owned_site(slug)
    review = owned(db.session, Review, site, review_id)
    thread, _ = comment_service.admin_comments(
        db.session,
        site,
        {"status": "all", "review": review.id, "sort": "oldest", "limit": 500, "cursor": None},
    )
    return render_template(
        "admin/review.html",
        site=site,
        links=Links.for_page(site),
        review=review,
        thread=thread,
        spam_reasons=SPAM_REASONS,
    )


@bp.post("/<slug>/reviews/moderate")
@login_required
def moderate_reviews(slug: str) -> Any:
    site = owned_site(slug)
    return _moderate(site, Review, "review", url_for("admin_ui.reviews", slug=slug))


@bp.post("/<slug>/reviews/<review_id>/reply")
@login_required
def reply(slug: str, review_id: str) -> Any:
    site = owned_site(slug)
    text = request.form.get("reply", "")
    try:
        patch = ReviewPatchSchema().load({"reply": text if text.strip() else None})
    except ma.ValidationError as exc:
        flash(f"Reply not saved: {_first_error(exc)}", "error")
        return _back(url_for("admin_ui.review_detail", slug=slug, review_id=review_id))
    review_service.update_review(db.session, site, review_id, patch)
    db.session.commit()
    flash("Reply published." if patch["reply"] else "Reply removed.", "success")
    return _back(url_for("admin_ui.review_detail", slug=slug, review_id=review_id))


# ---------------------------------------------------------------- comments


@bp.get("/<slug>/comments")
@login_required
def comments(slug: str) -> Any:
    site = owned_site(slug)
    query, errors = _load_query(CommentQueueQuery())
    items, next_cursor = comment_service.admin_comments(db.session, site, query)
    return render_template(
        "admin/comments.html",
        site=site,
        links=Links.for_page(site),
        items=items,
        query=query,
        filters=_filters(query),
        errors=errors,
        next_cursor=next_cursor,
        counts=site_counts.status_counts(db.session, Comment, site),
        page_sizes=PAGE_SIZES,
        spam_reasons=SPAM_REASONS,
    )


@bp.post("/<slug>/comments/moderate")
@login_required
def moderate_comments(slug: str) -> Any:
    site = owned_site(slug)
    return _moderate(site, Comment, "comment", url_for("admin_ui.comments", slug=slug))


@bp.post("/<slug>/comments/<comment_id>/answer")
@login_required
def answer(slug: str, comment_id: str) -> Any:
    """The shop answers a fan's comment: published at once, marked ``is_owner``."""
    site = owned_site(slug)
    parent = owned(db.session, Comment, site, comment_id)
    # Threads are at most three levels deep: an answer to a deepest comment goes beside it.
    parent_id = parent.id if parent.depth < comment_service.MAX_DEPTH else parent.parent_id
    try:
        data = AdminCommentCreate().load(
            {
                "product": parent.product.external_id,
                "body": request.form.get("body", ""),
                "review_id": parent.review_id,
                "parent_id": parent_id,
            }
        )
    except ma.ValidationError as exc:
        flash(f"Answer not sent: {_first_error(exc)}", "error")
        return _back(url_for("admin_ui.comments", slug=slug))
    comment_service.submit_comment(
        db.session, site, data["product"], data, visitor_hash=None, is_owner=True
    )
    db.session.commit()
    flash("Answer published as the shop.", "success")
    return _back(url_for("admin_ui.comments", slug=slug))


# ---------------------------------------------------------------- shared


def _moderate(site: Site, model: type[Review] | type[Comment], noun: str, queue_url: str) -> Any:
    return moderate_selected(
        site, model, noun, queue_url, set_status=moderation.set_item_status, delete=_delete
    )


def _delete(
    session: Session, site: Site, model: type[Review] | type[Comment], item_id: str
) -> bool:
    delete = moderation.delete_review if model is Review else moderation.delete_comment
    return delete(session, site, item_id)


def moderate_selected(
    site: Site,
    model: Any,
    noun: str,
    queue_url: str,
    *,
    set_status: Callable[..., int],
    delete: Callable[[Session, Site, Any, str], bool],
) -> Any:
    """One request for one item or a whole selection (up to 500): status or delete.

    Every moderated kind's queue posts here (reviews, comments, questions, answers,
    ideas) with its model (any moderated one: typed loosely, as ``moderation.ITEM_MODELS``),
    its service's ``set_status(session, site, model, ids, status, reason=, note=)`` and
    ``delete(session, site, model, id)``, so each asks why and confirms a deletion alike."""
    ids = _selected_ids()
    action = request.form.get("action", "")
    if not ids:
        flash(f"Select at least one {noun} first.", "error")
        return _back(queue_url)
    if action == "delete":
        if request.form.get("confirmed") != "yes":
            return render_template(
                "admin/confirm_delete.html",
                site=site,
                ids=ids,
                noun=noun,
                action_url=request.path,
                next=safe_next(request.form.get("next")) or queue_url,
            )
        count = sum(delete(db.session, site, model, item_id) for item_id in ids)
        done = "deleted"
    elif action in ACTIONS:
        status, done = ACTIONS[action]
        decision: dict[str, Any] = {}
        if status in DECISIONS_WITH_REASON:
            asked = _reason_and_note(site, model, ids, noun, action, status, queue_url)
            if not isinstance(asked, dict):
                return asked  # the page that asks for a reason (again)
            decision = asked
        count = set_status(db.session, site, model, ids, status, **decision)
    else:
        abort(400, "Unknown action.")
    if count == 0:
        # None of the ids is this site's: the same answer as for ids that do not exist.
        db.session.rollback()
        raise NotFound()
    db.session.commit()
    flash(f"{_plural(count, noun)} {done}.", "success")
    target = safe_next(request.form.get("next"))
    if action == "delete" and target and any(item_id in target for item_id in ids):
        target = None  # the page of a deleted item is gone: back to the queue
    return redirect(target or queue_url)


def _reason_and_note(
    site: Site,
    model: Any,
    ids: list[str],
    noun: str,
    action: str,
    status: Status,
    queue_url: str,
) -> dict[str, Any] | Any:
    """Why an owner rejects (or marks as spam): a reason from the list and an optional
    note to the author, checked as ``POST /admin/{reviews,comments}/moderate`` checks
    them (``ModerateBody``). A form that names no reason (the bulk toolbar) gets the
    page that asks for one, for the site's own ids among those selected; a reason
    outside the list or a note too long gets that page again with the problem, and
    nothing changes. "Spam" needs no choosing: it is the reason of marking as spam
    unless another is given."""
    if "reason" not in request.form:
        # Only the site's own ids are asked about; none of them: the 404 of any other.
        ids = list(
            db.session.scalars(
                sa.select(model.id)
                .where(model.site_id == site.id, model.id.in_(ids))
                .order_by(model.created_at.desc(), model.id.desc())
            )
        )
        if not ids:
            raise NotFound()
        return _reason_page(site, ids, noun, action, status, queue_url)
    reason = request.form.get("reason", "").strip()
    note = request.form.get("note", "").strip() or None
    if not reason and status == Status.SPAM:
        reason = "spam"
    form = {"reason": reason, "note": note or ""}
    if not reason:
        errors = {"reason": "Choose the reason from the list: the author is told it."}
        return _reason_page(site, ids, noun, action, status, queue_url, form, errors)
    try:
        checked = ModerateBody().load(
            {"ids": ids, "status": status.value, "reason": reason, "note": note}
        )
    except ma.ValidationError as exc:
        messages = field_errors(exc.messages)
        errors = {k: v for k, v in messages.items() if k in ("reason", "note")}
        if "reason" in errors:
            errors["reason"] = "Choose one of the reasons in the list."
        if len(errors) < len(messages):
            errors["_"] = " ".join(v for k, v in messages.items() if k not in errors)
        return _reason_page(site, ids, noun, action, status, queue_url, form, errors)
    return {"reason": checked["reason"], "note": checked.get("note")}


def _reason_page(
    site: Site,
    ids: list[str],
    noun: str,
    action: str,
    status: Status,
    queue_url: str,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Any:
    body = render_template(
        "admin/moderate_reason.html",
        site=site,
        ids=ids,
        noun=noun,
        action=action,
        spam=status == Status.SPAM,
        form=form or {"reason": "spam" if status == Status.SPAM else "", "note": ""},
        errors=errors or {},
        action_url=request.path,
        next=safe_next(request.form.get("next")) or queue_url,
    )
    return body, 422 if errors else 200


@bp.post("/<slug>/reviews/<review_id>/incentivized")
@login_required
def set_incentivized(slug: str, review_id: str) -> Any:
    """Mark a review as written for an incentive (or not): the widget and the JSON-LD
    disclose it (16 CFR 465.4). The API's PATCH does the same, with its audit entry."""
    site = owned_site(slug)
    value = request.form.get("incentivized")
    if value not in ("true", "false"):
        abort(400, "Say whether the review received an incentive.")
    patch = ReviewPatchSchema().load({"incentivized": value == "true"})
    review_service.update_review(db.session, site, review_id, patch)
    db.session.commit()
    flash(
        "Marked as having received an incentive: shown on the review."
        if patch["incentivized"]
        else "The incentive label is removed.",
        "success",
    )
    return _back(url_for("admin_ui.review_detail", slug=slug, review_id=review_id))


def _first_error(exc: ma.ValidationError) -> str:
    messages = exc.messages
    while isinstance(messages, dict):
        messages = next(iter(messages.values()))
    if isinstance(messages, list) and messages:
        return str(messages[0])
    return str(messages)
