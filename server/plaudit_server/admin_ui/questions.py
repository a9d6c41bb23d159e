"""The Questions section: the moderation queues of questions and answers, and the
shop's own answer, written in place.

Two queues under one navigation entry, each like the reviews queue (status tabs,
filters, a bulk toolbar whose rejections ask why, paging): questions, and answers
(optionally those of one question). Lists, status changes, deletions and the shop's
answer are the admin API's services (``services.community``: ``admin_list``,
``set_status``, ``delete``, ``owner_answer``); the bulk actions go through the queue's
own :func:`.queue.moderate_selected`, so a question is rejected, marked as spam or
deleted exactly as a review is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import marshmallow as ma
from flask import flash, render_template, request, url_for
from flask_login import login_required
from marshmallow import fields, validate

from ..errors import Problem
from ..extensions import db
from ..fields import QueryInteger
from ..models import Answer, Question, Site
from ..schemas import STATUSES, AdminAnswersQuery, AdminQuestionsQuery, OwnerAnswerCreate
from ..services import community, site_counts
from .base import bp, field_errors, owned_site

# The queue's own helpers: one way to read a queue's filters, to go back, to moderate.
from .queue import PAGE_SIZES, SPAM_REASONS, Links, moderate_selected
from .queue import _back as back_to
from .queue import _first_error as first_error
from .queue import _load_query as load_queue_query

_ID = "__plaudit_id__"  # stands for an item's id in a URL built once per page


@dataclass(frozen=True)
class QuestionLinks:
    """The Questions section's URLs, built once per page (see :class:`.queue.Links`);
    ``base`` holds the ones every queue shares (history, reports, the page itself)."""

    base: Links
    moderate_questions: str
    moderate_answers: str
    _answer: str
    _answers_of: str
    _questions: str

    @classmethod
    def for_page(cls, site: Site) -> QuestionLinks:
        slug = site.slug
        return cls(
            base=Links.for_page(site),
            moderate_questions=url_for("admin_ui.moderate_questions", slug=slug),
            moderate_answers=url_for("admin_ui.moderate_answers", slug=slug),
            _answer=url_for("admin_ui.answer_question", slug=slug, question_id=_ID),
            _answers_of=url_for("admin_ui.answers", slug=slug, status="all", question_id=_ID),
            _questions=url_for("admin_ui.questions", slug=slug, status="all"),
        )

    def answer(self, question_id: str) -> str:
        """Where the shop's answer to the question is posted."""
        return self._answer.replace(_ID, quote(question_id, safe=""))

    def answers_of(self, question_id: str) -> str:
        """The answers queue of one question, every status."""
        return self._answers_of.replace(_ID, quote(question_id, safe=""))

    def product(self, external_id: str) -> str:
        """The questions of one product, every status."""
        return f"{self._questions}&{urlencode({'product': external_id})}"


class _CommunityQueueQuery:
    """As the reviews queue: pending first, pages of up to 500 (one bulk action)."""

    status = fields.String(load_default="pending", validate=validate.OneOf(["all", *STATUSES]))
    limit = QueryInteger(load_default=50, validate=validate.OneOf(PAGE_SIZES))
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "oldest"]))


class QuestionQueueQuery(_CommunityQueueQuery, AdminQuestionsQuery):
    pass


class AnswerQueueQuery(_CommunityQueueQuery, AdminAnswersQuery):
    pass


def problem_messages(problem: Problem) -> dict[str, str]:
    """A service's refusal by form field (``_`` for the whole form), for the page."""
    if problem.errors:
        return field_errors(problem.errors)
    return {"_": problem.detail or problem.title or "That did not work."}


def _filters(query: dict[str, Any]) -> dict[str, Any]:
    """The query as URL parameters (without the cursor), for links and redirects."""
    keep = ("status", "product", "question_id", "q", "sort", "limit")
    return {k: query[k] for k in keep if query.get(k) not in (None, "")}


@bp.get("/<slug>/questions")
@login_required
def questions(slug: str) -> Any:
    site = owned_site(slug)
    query, errors = load_queue_query(QuestionQueueQuery())
    items, next_cursor = community.admin_list(db.session, site, Question, query)
    return render_template(
        "admin/questions.html",
        site=site,
        kind="questions",
        links=QuestionLinks.for_page(site),
        items=items,
        query=query,
        filters=_filters(query),
        errors=errors,
        next_cursor=next_cursor,
        counts=site_counts.status_counts(db.session, Question, site),
        page_sizes=PAGE_SIZES,
        spam_reasons=SPAM_REASONS,
    )


@bp.get("/<slug>/answers")
@login_required
def answers(slug: str) -> Any:
    site = owned_site(slug)
    query, errors = load_queue_query(AnswerQueueQuery())
    items, next_cursor = community.admin_list(db.session, site, Answer, query)
    question = None
    if query.get("question_id"):
        question = community.admin_get(db.session, site, Question, query["question_id"])
    return render_template(
        "admin/questions.html",
        site=site,
        kind="answers",
        links=QuestionLinks.for_page(site),
        items=items,
        question=question,
        query=query,
        filters=_filters(query),
        errors=errors,
        next_cursor=next_cursor,
        counts=site_counts.status_counts(db.session, Answer, site),
        page_sizes=PAGE_SIZES,
        spam_reasons=SPAM_REASONS,
    )


@bp.post("/<slug>/questions/moderate")
@login_required
def moderate_questions(slug: str) -> Any:
    site = owned_site(slug)
    return moderate_selected(
        site,
        Question,
        "question",
        url_for("admin_ui.questions", slug=slug),
        set_status=community.set_status,
        delete=community.delete,
    )


@bp.post("/<slug>/answers/moderate")
@login_required
def moderate_answers(slug: str) -> Any:
    site = owned_site(slug)
    return moderate_selected(
        site,
        Answer,
        "answer",
        url_for("admin_ui.answers", slug=slug),
        set_status=community.set_status,
        delete=community.delete,
    )


@bp.post("/<slug>/questions/<question_id>/answer")
@login_required
def answer_question(slug: str, question_id: str) -> Any:
    """The shop answers a question in place: published at once, marked ``is_owner``,
    checked as ``POST /api/v1/admin/answers`` checks it."""
    site = owned_site(slug)
    queue = url_for("admin_ui.questions", slug=slug)
    community.admin_get(db.session, site, Question, question_id)  # another site's: 404
    try:
        data = OwnerAnswerCreate().load(
            {"question_id": question_id, "body": request.form.get("body", "")}
        )
    except ma.ValidationError as exc:
        flash(f"Answer not sent: {first_error(exc)}", "error")
        return back_to(queue)
    try:
        community.owner_answer(db.session, site, data["question_id"], data["body"])
    except Problem as problem:  # a question rejected meanwhile
        db.session.rollback()
        flash(f"Answer not sent: {' '.join(problem_messages(problem).values())}", "error")
        return back_to(queue)
    db.session.commit()
    flash("Answer published as the shop.", "success")
    return back_to(queue)
