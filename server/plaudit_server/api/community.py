"""Community endpoints: questions and answers, the idea board.

The public half (``/api/v1/sites/...``) follows the reviews' rules exactly: the same
site checks, origins, CORS, rate limits, honeypot, idempotency keys and cached reads
(``public.py``); the admin half (``/api/v1/admin/...``) the admin API's key, limits and
tenancy (``admin.py``). Single admin objects come wrapped in their singular name.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from ..cache import cached_public_read
from ..errors import Problem
from ..extensions import db, limiter
from ..idempotency import idempotent
from ..mail import LOCALES
from ..models import Answer, Idea, Question, Status
from ..openapi import Blueprint
from ..schemas import (
    AdminAnswerEnvelope,
    AdminAnswerList,
    AdminAnswersQuery,
    AdminIdeaEnvelope,
    AdminIdeaList,
    AdminIdeasQuery,
    AdminQuestionEnvelope,
    AdminQuestionList,
    AdminQuestionsQuery,
    AnswerCreate,
    AnswerCreated,
    AnswerList,
    AnswerPatch,
    CommunityCountsResult,
    IdeaCreate,
    IdeaCreated,
    IdeaEnvelope,
    IdeaList,
    IdeaPatch,
    IdeaVoteCreate,
    IdeaVoteResult,
    MergeBody,
    ModerateBody,
    ModerateResult,
    NoQuery,
    OwnerAnswerCreate,
    OwnerIdeaCreate,
    PublicAnswersQuery,
    PublicIdeasQuery,
    PublicQuestionsQuery,
    QuestionCreate,
    QuestionCreated,
    QuestionList,
    QuestionPatch,
    SummariesQuery,
    VoteCreate,
    VoteResult,
)
from ..services import community, reviews
from ..visitors import network_hash, visitor_hash
from . import public
from .admin import _key_limit_key, authenticate, no_store

bp = Blueprint(
    "community",
    __name__,
    url_prefix="/api/v1/sites",
    description="Questions and answers on product pages, and the idea board (the widget's API).",
)
bp.before_request(public.load_site)
bp.after_request(public.headers)

_limit = public._limit
PRODUCT_PATH = public.PRODUCT_PATH


# ---------------------------------------------------------------- questions and answers


@bp.route(PRODUCT_PATH + "/questions", methods=["GET"])
@cached_public_read(PublicQuestionsQuery)
@bp.arguments(PublicQuestionsQuery, location="query")
@bp.response(200, QuestionList)
def list_questions(query: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """A product's published questions, each with its top answer (`sort`: `newest`,
    `answered`: most answers first, `helpful`: most helpful answers first). An unknown
    product is no error: no questions."""
    found_site, found = public.load_product()
    items, next_cursor = community.public_questions(
        db.session,
        found_site,
        found,
        sort=query["sort"],
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return {"questions": items, "next_cursor": next_cursor}


@bp.route(PRODUCT_PATH + "/questions", methods=["POST"])
@public.submission_limits
@idempotent
@bp.arguments(QuestionCreate)
@bp.response(201, QuestionCreated)
def ask(data: dict[str, Any], site: str, product: str) -> dict[str, Any]:
    """Ask about a product (10-1000 characters). Moderated like reviews; with `notify`
    and an address, the asker hears once when an answer is published."""
    question = community.ask(
        db.session, g.site, product, data, visitor_hash=visitor_hash(), network_hash=network_hash()
    )
    db.session.commit()
    return {"question": question, "status": reviews.public_status(question.status)}


@bp.route("/<site>/questions/<question_id>/answers", methods=["GET"])
@cached_public_read(PublicAnswersQuery)
@bp.arguments(PublicAnswersQuery, location="query")
@bp.response(200, AnswerList)
def list_answers(query: dict[str, Any], site: str, question_id: str) -> dict[str, Any]:
    """A published question's answers: the shop's first, then verified buyers', then
    by helpful votes. 404 for an unknown or unpublished question."""
    items, next_cursor = community.public_answers(
        db.session,
        public.current_site(),
        question_id,
        limit=query["limit"],
        cursor=query["cursor"],
    )
    return {"answers": items, "next_cursor": next_cursor}


@bp.route("/<site>/questions/<question_id>/answers", methods=["POST"])
@public.submission_limits
@idempotent
@bp.arguments(AnswerCreate)
@bp.response(201, AnswerCreated)
def answer(data: dict[str, Any], site: str, question_id: str) -> dict[str, Any]:
    """Answer a published question; with an invitation's token (`invite`) for its
    product, as a verified buyer."""
    created = community.answer(
        db.session,
        g.site,
        question_id,
        data,
        visitor_hash=visitor_hash(),
        network_hash=network_hash(),
    )
    db.session.commit()
    return {"answer": created, "status": reviews.public_status(created.status)}


@bp.route("/<site>/answers/<answer_id>/votes", methods=["POST"])
@limiter.limit(_limit("votes_per_visitor"))
@idempotent
@bp.arguments(VoteCreate)
@bp.response(200, VoteResult)
def vote_answer(data: dict[str, Any], site: str, answer_id: str) -> Any:
    """Vote a published answer helpful or not, as for reviews (one vote per visitor)."""
    voted = community.vote_answer(
        db.session, g.site, answer_id, visitor_hash(), data["helpful"], network_hash()
    )
    db.session.expunge(voted)
    db.session.commit()
    return voted


@bp.route("/<site>/community", methods=["GET"])
@cached_public_read(SummariesQuery)
@bp.arguments(SummariesQuery, location="query")
@bp.response(200, CommunityCountsResult)
def community_counts(query: dict[str, Any], site: str) -> dict[str, Any]:
    """Question counts of up to 100 products in one request (badges on listing pages):
    published questions and how many of them have an answer."""
    return {"counts": community.counts_for(db.session, public.current_site(), query["products"])}


# ---------------------------------------------------------------- ideas


@bp.route("/<site>/ideas", methods=["GET"])
@cached_public_read(PublicIdeasQuery)
@bp.arguments(PublicIdeasQuery, location="query")
@bp.response(200, IdeaList)
def list_ideas(query: dict[str, Any], site: str) -> dict[str, Any]:
    """The board's published ideas (`sort`: `top` by votes, `newest`; `stage`, `product`
    narrow it), each with the published feedback it was made from."""
    items, next_cursor = community.public_ideas(db.session, public.current_site(), query)
    return {"ideas": items, "next_cursor": next_cursor}


@bp.route("/<site>/ideas", methods=["POST"])
@public.submission_limits
@idempotent
@bp.arguments(IdeaCreate)
@bp.response(201, IdeaCreated)
def propose(data: dict[str, Any], site: str) -> dict[str, Any]:
    """Propose an idea (title 5-120 characters), moderated like reviews."""
    idea = community.propose(
        db.session, g.site, data, visitor_hash=visitor_hash(), network_hash=network_hash()
    )
    db.session.commit()
    return {"idea": community.with_sources(idea, []), "status": reviews.public_status(idea.status)}


@bp.route("/<site>/ideas/<idea_id>", methods=["GET"])
@cached_public_read(NoQuery)
@bp.arguments(NoQuery, location="query")
@bp.response(200, IdeaEnvelope)
def get_idea(query: dict[str, Any], site: str, idea_id: str) -> dict[str, Any]:
    """One published idea with the customer feedback it was made from."""
    return {"idea": community.public_idea(db.session, public.current_site(), idea_id)}


@bp.route("/<site>/ideas/<idea_id>/votes", methods=["POST"])
@limiter.limit(_limit("votes_per_visitor"))
@idempotent
@bp.arguments(IdeaVoteCreate)
@bp.response(200, IdeaVoteResult)
def vote_idea(data: dict[str, Any], site: str, idea_id: str) -> dict[str, Any]:
    """Vote for an idea (one vote per visitor; `vote: false` withdraws it). With `email`,
    hear when it is planned and when it ships."""
    count, voted = community.vote_idea(
        db.session,
        g.site,
        idea_id,
        visitor_hash(),
        data["vote"],
        email=data.get("email"),
        network_hash=network_hash(),
        locale=request.accept_languages.best_match(LOCALES),
    )
    db.session.commit()
    return {"vote_count": count, "voted": voted}


# ---------------------------------------------------------------- the shop's side

admin_bp = Blueprint(
    "community_admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Moderate questions, answers and ideas; answer as the shop; run the roadmap.",
)
admin_bp.before_request(authenticate)
admin_bp.after_request(no_store)
limiter.limit(lambda: current_app.config["RATELIMIT_ADMIN_PER_KEY"], key_func=_key_limit_key)(
    admin_bp
)
SECURITY: list[dict[str, list[str]]] = [{"secretKey": []}]

# (model, plural path, list query, list schema, envelope, patch schema) per kind.
_KINDS: list[tuple[Any, str, Any, Any, Any, Any]] = [
    (
        Question,
        "questions",
        AdminQuestionsQuery,
        AdminQuestionList,
        AdminQuestionEnvelope,
        QuestionPatch,
    ),
    (Answer, "answers", AdminAnswersQuery, AdminAnswerList, AdminAnswerEnvelope, AnswerPatch),
    (Idea, "ideas", AdminIdeasQuery, AdminIdeaList, AdminIdeaEnvelope, IdeaPatch),
]


def _admin_routes(
    model: Any, plural: str, query_schema: Any, list_schema: Any, envelope: Any, patch: Any
) -> None:
    """List, get, PATCH, DELETE and bulk moderation of one kind, as for reviews."""
    singular = community.NAMES[model]

    @admin_bp.route(f"/{plural}", methods=["GET"], endpoint=f"list_{plural}")
    @admin_bp.arguments(query_schema, location="query")
    @admin_bp.response(200, list_schema)
    @admin_bp.doc(security=SECURITY, summary=f"List {plural}")
    def list_items(query: dict[str, Any]) -> dict[str, Any]:
        items, next_cursor = community.admin_list(db.session, g.site, model, query)
        return {plural: items, "next_cursor": next_cursor}

    @admin_bp.route(f"/{plural}/<item_id>", methods=["GET"], endpoint=f"get_{singular}")
    @admin_bp.response(200, envelope)
    @admin_bp.doc(security=SECURITY, summary=f"One {singular}, admin form")
    def get_item(item_id: str) -> dict[str, Any]:
        return {singular: community.admin_get(db.session, g.site, model, item_id)}

    @admin_bp.route(f"/{plural}/<item_id>", methods=["PATCH"], endpoint=f"update_{singular}")
    @idempotent
    @admin_bp.arguments(patch)
    @admin_bp.response(200, envelope)
    @admin_bp.doc(security=SECURITY, summary=f"Change a {singular}")
    def update_item(changes: dict[str, Any], item_id: str) -> dict[str, Any]:
        item = community.update(db.session, g.site, model, item_id, changes)
        db.session.expunge(item)
        db.session.commit()
        return {singular: item}

    @admin_bp.route(f"/{plural}/<item_id>", methods=["DELETE"], endpoint=f"delete_{singular}")
    @admin_bp.response(204)
    @admin_bp.doc(security=SECURITY, summary=f"Delete a {singular} for good")
    def delete_item(item_id: str) -> Response:
        if not community.delete(db.session, g.site, model, item_id):
            raise Problem(404, f"There is no {singular} {item_id!r}.")
        db.session.commit()
        return Response(status=204)

    @admin_bp.route(f"/{plural}/moderate", methods=["POST"], endpoint=f"moderate_{plural}")
    @idempotent
    @admin_bp.arguments(ModerateBody)
    @admin_bp.response(200, ModerateResult)
    @admin_bp.doc(security=SECURITY, summary=f"Set the status of up to 500 {plural}")
    def moderate(data: dict[str, Any]) -> dict[str, int]:
        count = community.set_status(
            db.session,
            g.site,
            model,
            set(data["ids"]),
            Status(data["status"]),
            reason=data.get("reason"),
            note=data.get("note"),
        )
        db.session.commit()
        return {"updated": count}


for _kind in _KINDS:
    _admin_routes(*_kind)


@admin_bp.route("/answers", methods=["POST"])
@idempotent
@admin_bp.arguments(OwnerAnswerCreate)
@admin_bp.response(201, AdminAnswerEnvelope)
@admin_bp.doc(security=SECURITY)
def create_answer(data: dict[str, Any]) -> dict[str, Any]:
    """The shop's own answer: published at once, `is_owner` true, shown first. The
    question may be published or still pending, not rejected."""
    created = community.owner_answer(db.session, g.site, data["question_id"], data["body"])
    community.attach(db.session, Answer, [created])
    db.session.commit()
    return {"answer": created}


@admin_bp.route("/ideas", methods=["POST"])
@idempotent
@admin_bp.arguments(OwnerIdeaCreate)
@admin_bp.response(201, AdminIdeaEnvelope)
@admin_bp.doc(security=SECURITY)
def create_idea(data: dict[str, Any]) -> dict[str, Any]:
    """The shop's idea, or customer feedback turned into one (`from`: review and comment
    ids, linked and shown on the idea). Published at once; the product defaults to the
    feedback's when all of it is about one."""
    idea = community.create_from_feedback(db.session, g.site, data)
    db.session.commit()
    return {"idea": idea}


@admin_bp.route("/ideas/<idea_id>/merge", methods=["POST"])
@idempotent
@admin_bp.arguments(MergeBody)
@admin_bp.response(200, AdminIdeaEnvelope)
@admin_bp.doc(security=SECURITY)
def merge_idea(data: dict[str, Any], idea_id: str) -> dict[str, Any]:
    """Merge a duplicate into another idea: votes (one per visitor) and linked feedback
    move, the duplicate is rejected with `merged_into` set. Answers the other idea."""
    target = community.merge(db.session, g.site, idea_id, data["into"])
    db.session.commit()
    return {"idea": target}
