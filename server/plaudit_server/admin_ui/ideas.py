"""The Ideas section: the site's idea board as the shop runs it.

A list (moderation status tabs, a stage filter, the most voted first) with the bulk
moderation of proposed ideas; an idea's own page, where the shop moves it through the
stages with a public note, edits its title and text, merges it into another idea, and
reads the customer feedback it was made from; and "make this an idea", one click from
a review or comment card to a form filled in from it.

Everything is done by the admin API's services (``services.community``) with the API's
schemas, so the page refuses what the API refuses (a stage outside the list, a merge
into itself) with the same words, and changes nothing then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import login_required
from marshmallow import fields, validate

from ..errors import Problem
from ..extensions import db
from ..fields import QueryInteger
from ..models import STORE, Comment, Idea, Review, Site
from ..schemas import STATUSES, AdminIdeasQuery, IdeaPatch, MergeBody, OwnerIdeaCreate
from ..services import community, site_counts
from ..services.tenancy import owned
from .base import bp, field_errors, owned_site
from .questions import problem_messages

# The queue's own helpers: one way to read a queue's filters, to go back, to moderate.
from .queue import PAGE_SIZES, SPAM_REASONS, Links, moderate_selected
from .queue import _load_query as load_queue_query

STAGE_LABELS = {
    "open": "Open",
    "under_review": "Under review",
    "planned": "Planned",
    "in_progress": "In progress",
    "shipped": "Shipped",
    "declined": "Declined",
}


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    """The stages' words for every template (the idea pages, the insight page)."""
    state.app.jinja_env.globals.update(idea_stages=STAGE_LABELS)


TITLE_LENGTH = 120  # the API's limit for an idea's title
# The ideas offered as targets of a merge: the published board, most voted first.
MERGE_CHOICES = 500


class IdeaListQuery(AdminIdeasQuery):
    """The published board by default, most voted first; pending is one click away."""

    status = fields.String(load_default="published", validate=validate.OneOf(["all", *STATUSES]))
    sort = fields.String(load_default="top", validate=validate.OneOf(["top", "newest", "oldest"]))
    limit = QueryInteger(load_default=50, validate=validate.OneOf(PAGE_SIZES))


_ID = "__plaudit_id__"  # stands for an idea's id in a URL built once per page


@dataclass(frozen=True)
class IdeaLinks:
    """The Ideas section's URLs, built once per page (see :class:`.queue.Links`);
    ``base`` holds the ones every queue shares (history, reports, the page itself)."""

    base: Links
    moderate: str
    _idea: str
    _comment: str

    @classmethod
    def for_page(cls, site: Site) -> IdeaLinks:
        return cls(
            base=Links.for_page(site),
            moderate=url_for("admin_ui.moderate_ideas", slug=site.slug),
            _idea=url_for("admin_ui.idea", slug=site.slug, idea_id=_ID),
            _comment=url_for("admin_ui.comment_in_place", slug=site.slug, comment_id=_ID),
        )

    def idea(self, idea_id: str) -> str:
        return self._idea.replace(_ID, quote(idea_id, safe=""))

    def source(self, source: dict[str, Any]) -> str:
        """Where a piece of an idea's feedback is shown: a review's own page, a comment
        where it stands (see :func:`comment_in_place`)."""
        if source["type"] == "review":
            return self.base.review(source["id"])
        return self._comment.replace(_ID, quote(source["id"], safe=""))


def _filters(query: dict[str, Any]) -> dict[str, Any]:
    keep = ("status", "stage", "product", "q", "sort", "limit")
    return {k: query[k] for k in keep if query.get(k) not in (None, "")}


def _idea_page(slug: str, idea_id: str) -> str:
    return url_for("admin_ui.idea", slug=slug, idea_id=idea_id)


@bp.get("/<slug>/ideas")
@login_required
def ideas(slug: str) -> Any:
    site = owned_site(slug)
    query, errors = load_queue_query(IdeaListQuery())
    items, next_cursor = community.admin_list(db.session, site, Idea, query)
    return render_template(
        "admin/ideas.html",
        site=site,
        links=IdeaLinks.for_page(site),
        items=items,
        query=query,
        filters=_filters(query),
        errors=errors,
        next_cursor=next_cursor,
        counts=site_counts.status_counts(db.session, Idea, site),
        page_sizes=PAGE_SIZES,
        spam_reasons=SPAM_REASONS,
    )


@bp.post("/<slug>/ideas/moderate")
@login_required
def moderate_ideas(slug: str) -> Any:
    site = owned_site(slug)
    return moderate_selected(
        site,
        Idea,
        "idea",
        url_for("admin_ui.ideas", slug=slug),
        set_status=community.set_status,
        delete=community.delete,
    )


@bp.get("/<slug>/ideas/<idea_id>")
@login_required
def idea(slug: str, idea_id: str) -> Any:
    site = owned_site(slug)
    return _render_idea(site, community.admin_get(db.session, site, Idea, idea_id))


def _render_idea(
    site: Site, found: Idea, errors: dict[str, dict[str, str]] | None = None, status: int = 200
) -> Any:
    """The idea's page; ``errors`` by form (stage, edit, merge) after a refused post."""
    choices, _ = community.admin_list(
        db.session,
        site,
        Idea,
        {"status": "published", "sort": "top", "limit": MERGE_CHOICES, "cursor": None},
    )
    body = render_template(
        "admin/idea.html",
        site=site,
        links=IdeaLinks.for_page(site),
        idea=found,
        merged_into=(
            community.admin_get(db.session, site, Idea, found.merged_into)
            if found.merged_into
            else None
        ),
        merge_choices=[c for c in choices if c.id != found.id],
        form=request.form if errors else {},
        errors=errors or {},
        spam_reasons=SPAM_REASONS,
    )
    return body, status


def _change(site: Site, idea_id: str, form: str, patch: dict[str, Any], done: str) -> Any:
    """Apply ``patch`` (checked as the API's PATCH checks it) or show the page again
    with the problem by the ``form`` it came from, nothing changed."""
    found = community.admin_get(db.session, site, Idea, idea_id)
    try:
        checked = IdeaPatch().load(patch)
    except ma.ValidationError as exc:
        return _render_idea(site, found, {form: field_errors(exc.messages)}, 422)
    try:
        community.update(db.session, site, Idea, found.id, checked)
    except Problem as problem:
        if problem.status == 404:
            raise
        db.session.rollback()
        found = community.admin_get(db.session, site, Idea, idea_id)
        return _render_idea(site, found, {form: problem_messages(problem)}, 422)
    db.session.commit()
    flash(done, "success")
    return redirect(_idea_page(site.slug, found.id))


@bp.post("/<slug>/ideas/<idea_id>/stage")
@login_required
def set_idea_stage(slug: str, idea_id: str) -> Any:
    """Move the idea to a stage with a public note (empty: none). Reaching planned or
    shipped tells the voters and the authors of its feedback (the service does)."""
    site = owned_site(slug)
    stage = request.form.get("stage", "")
    note = request.form.get("stage_note", "").strip() or None
    done = f"Stage set to {STAGE_LABELS.get(stage, stage)}."
    return _change(site, idea_id, "stage", {"stage": stage, "stage_note": note}, done)


@bp.post("/<slug>/ideas/<idea_id>/edit")
@login_required
def edit_idea(slug: str, idea_id: str) -> Any:
    site = owned_site(slug)
    patch = {"title": request.form.get("title", "").strip(), "body": request.form.get("body", "")}
    return _change(site, idea_id, "edit", patch, "The idea is saved.")


@bp.post("/<slug>/ideas/<idea_id>/merge")
@login_required
def merge_idea(slug: str, idea_id: str) -> Any:
    """Merge a duplicate into another idea: votes (one per visitor) and links move."""
    site = owned_site(slug)
    found = community.admin_get(db.session, site, Idea, idea_id)
    try:
        into = MergeBody().load({"into": request.form.get("into", "")})["into"]
    except ma.ValidationError:
        errors = {"into": "Choose the idea to merge this one into."}
        return _render_idea(site, found, {"merge": errors}, 422)
    try:
        target = community.merge(db.session, site, found.id, into)
    except Problem as problem:
        db.session.rollback()
        found = community.admin_get(db.session, site, Idea, idea_id)
        return _render_idea(site, found, {"merge": problem_messages(problem)}, 422)
    db.session.commit()
    flash(f"Merged into “{target.title}”: its votes and feedback moved there.", "success")
    return redirect(_idea_page(site.slug, target.id))


@bp.get("/<slug>/comments/<comment_id>")
@login_required
def comment_in_place(slug: str, comment_id: str) -> Any:
    """A comment where it stands (there is no page of one comment): on its review's page,
    or among its product's comments."""
    site = owned_site(slug)
    comment = owned(db.session, Comment, site, comment_id)
    if comment.review_id is not None:
        target = url_for("admin_ui.review_detail", slug=slug, review_id=comment.review_id)
    else:
        product = comment.product.external_id
        target = url_for("admin_ui.comments", slug=slug, status="all", product=product)
    return redirect(f"{target}#item-{comment.id}")


# ---------------------------------------------------------------- make this an idea


def title_from(item: Review | Comment) -> str:
    """A title for an idea made from ``item``: the review's title, else the start of
    the text, cut at a word within the API's 120 characters."""
    title = getattr(item, "title", None) or " ".join(item.body.split())
    if len(title) <= TITLE_LENGTH:
        return title
    cut = title[: TITLE_LENGTH - 1]
    if " " in cut[TITLE_LENGTH // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def _feedback(site: Site, ids: list[str]) -> list[Review | Comment]:
    """The reviews and comments named by ``ids`` (404 for any not the site's)."""
    return [
        owned(db.session, Review, site, item_id)
        if item_id.startswith("rev_")
        else owned(db.session, Comment, site, item_id)
        for item_id in ids
    ]


@bp.get("/<slug>/ideas/new")
@login_required
def new_idea(slug: str) -> Any:
    """The form "make this an idea" opens: filled in from the first piece of feedback."""
    site = owned_site(slug)
    ids = list(dict.fromkeys(request.args.getlist("from")))[:20]
    feedback = _feedback(site, ids)
    form: dict[str, Any] = {"title": "", "body": "", "product": ""}
    if feedback:
        first = feedback[0]
        form["title"] = title_from(first)
        if first.product.external_id != STORE:
            form["product"] = first.product.external_id
    return _render_new(site, feedback, form)


def _render_new(
    site: Site,
    feedback: list[Review | Comment],
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Any:
    body = render_template(
        "admin/idea_new.html",
        site=site,
        links=IdeaLinks.for_page(site),
        feedback=feedback,
        form=form,
        errors=errors or {},
    )
    return body, 422 if errors else 200


@bp.post("/<slug>/ideas/new")
@login_required
def create_idea(slug: str) -> Any:
    """Create the idea, published at once, with the feedback linked to it."""
    site = owned_site(slug)
    ids = list(dict.fromkeys(request.form.getlist("from")))[:20]
    feedback = _feedback(site, ids)
    form = {
        "title": request.form.get("title", "").strip(),
        "body": request.form.get("body", ""),
        "product": request.form.get("product", "").strip() or None,
        "from": ids,
    }
    try:
        data = OwnerIdeaCreate().load(form)
    except ma.ValidationError as exc:
        return _render_new(site, feedback, form, field_errors(exc.messages))
    created = community.create_from_feedback(db.session, site, data)
    db.session.commit()
    flash("The idea is on the board." if ids else "The idea is created.", "success")
    return redirect(_idea_page(site.slug, created.id))
