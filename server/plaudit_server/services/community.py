"""Community: questions and answers on product pages, and the idea board.

Questions, answers and ideas are moderated like reviews (the site's policy, the spam
chain, statuses with reasons and notes, the audit log, counts per status) and read
through the public cache like reviews: a question or answer touches its product's
generation, an idea the board's (:data:`BOARD`), so exactly the reads that show it are
retired after the commit.

Counters move in the transaction of the change that moves them, under row locks taken
in one order (the question before its answers, ideas by id): a question's
``answer_count`` and ``helpful_count`` (its published answers' helpful votes) and an
idea's ``vote_count`` are never recounted on read.

People hear of it by e-mail (``community_mail``): a question once published asks up to
three of the product's reviewers for an answer, the asker hears of the first published
answer, and an idea reaching ``planned`` or ``shipped`` tells its voters and the authors
of the feedback it was made from, once per stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import cache, events
from ..errors import Problem, validation_error
from ..models import (
    ANNOUNCED_STAGES,
    STORE,
    Answer,
    AnswerVote,
    Comment,
    Idea,
    IdeaSource,
    IdeaVote,
    Product,
    Question,
    Review,
    Site,
    Status,
)
from ..pagination import SortOrder, fingerprint, paginate
from ..timeutil import utcnow
from . import audit, community_mail, invitations, moderation, site_counts, spam, summaries
from .admin_lists import admin_page
from .reviews import initial_status, network_spent, record_vote

# The cache key the idea board's reads depend on: a pseudo product, as ``@`` never
# appears in a shop's product ids (see models.STORE).
BOARD = "@ideas"

# Questions, answers or ideas, typed loosely as moderation.ITEM_MODELS is: a select of
# any of them yields that model (mypy would see their base).
Item = Any
NAMES: dict[Any, str] = {Question: "question", Answer: "answer", Idea: "idea"}
NAMES_FEEDBACK: dict[Any, str] = {Review: "review", Comment: "comment"}
FEEDBACK: tuple[Any, ...] = (Review, Comment)  # what an idea can be made from

QUESTION_SEARCH = (Question.body, Question.author_name, Question.author_email)
ANSWER_SEARCH = (Answer.body, Answer.author_name, Answer.author_email)
IDEA_SEARCH = (Idea.title, Idea.body, Idea.author_name, Idea.author_email)

QUESTION_ORDERS = {
    "newest": SortOrder((Question.created_at, Question.id), descending=True),
    "answered": SortOrder(
        (Question.answer_count, Question.created_at, Question.id), descending=True
    ),
    "helpful": SortOrder(
        (Question.helpful_count, Question.created_at, Question.id), descending=True
    ),
}
# The shop's answers first, then verified buyers', then the most helpful (then newest).
ANSWER_ORDER = SortOrder(
    (Answer.rank, Answer.helpful_count, Answer.created_at, Answer.id), descending=True
)
IDEA_ORDERS = {
    "top": SortOrder((Idea.vote_count, Idea.created_at, Idea.id), descending=True),
    "newest": SortOrder((Idea.created_at, Idea.id), descending=True),
}
EXCERPT_CHARS = 280  # how much of a review or comment an idea shows of its feedback


def _not_found(model: Item, item_id: str) -> Problem:
    return Problem(404, f"There is no {NAMES[model]} {item_id!r}.")


def _screen(
    session: Session,
    site: Site,
    model: Item,
    text: str,
    data: dict[str, Any],
    network_hash: str | None,
    *,
    verified: bool = False,
) -> tuple[Status, list[str], str]:
    """A visitor's submission through the spam chain and the site's policy: its first
    status, the spam reasons, the text's hash (the duplicate check's key)."""
    submission = spam.Submission(
        site=site,
        model=model,
        text=text,
        honeypot=data.get("hp"),
        network_hash=network_hash,
        verified=verified,
    )
    reasons = spam.spam_reasons(submission, session)
    return initial_status(site, reasons), reasons, submission.body_hash


def _show(item: Any, **extra: Any) -> None:
    """Set what the objects' schemas show beside their columns (a question's top
    answer, an idea's linked feedback): attributes of this request's objects, no
    columns."""
    for name, value in extra.items():
        setattr(item, name, value)


def with_sources(idea: Idea, sources: list[dict[str, Any]]) -> Idea:
    """``idea`` showing ``sources`` as its linked feedback (none, for a new one)."""
    _show(idea, sources=sources)
    return idea


def _touch(session: Session, site: Site, products: Iterable[str]) -> None:
    cache.touch(session, site.slug, products)


# ---------------------------------------------------------------- questions


def ask(
    session: Session,
    site: Site,
    product_external_id: str,
    data: dict[str, Any],
    *,
    visitor_hash: str | None,
    network_hash: str | None = None,
) -> Question:
    """A visitor's question about a product."""
    status, reasons, body_hash = _screen(session, site, Question, data["body"], data, network_hash)
    product = summaries.get_or_create_product(session, site, product_external_id)
    now = utcnow()
    question = Question(
        site_id=site.id,
        product=product,
        body=data["body"],
        author_name=data["author_name"],
        author_email=data.get("author_email"),
        notify=bool(data.get("notify")) and bool(data.get("author_email")),
        status=status,
        spam_reasons=reasons,
        visitor_hash=visitor_hash,
        network_hash=network_hash,
        body_hash=body_hash,
        created_at=now,
        updated_at=now,
    )
    session.add(question)
    session.flush()
    _show(question, top_answer=None)
    site_counts.adjust(session, site.id, Question, [(None, status)])
    _touch(session, site, [product_external_id])
    events.emit(session, site, "question.created", question)
    if status == Status.PUBLISHED:
        community_mail.question_published(session, site, question)
    return question


def public_questions(
    session: Session,
    site: Site,
    product: Product | None,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
) -> tuple[list[Question], str | None]:
    """A page of a product's published questions, each with its top answer."""
    if product is None:
        return [], None
    stmt = sa.select(Question).where(
        Question.product_id == product.id, Question.status == Status.PUBLISHED
    )
    items, next_cursor = paginate(
        session,
        stmt,
        QUESTION_ORDERS[sort],
        limit=limit,
        cursor=cursor,
        query_fingerprint=fingerprint(kind="questions", product=product.id, sort=sort),
    )
    _attach_top_answers(session, items)
    return items, next_cursor


def _attach_top_answers(session: Session, questions: Sequence[Question]) -> None:
    """Give each question its first answer in the widget's order (or None), in one
    query for the whole page."""
    for question in questions:
        _show(question, top_answer=None)
    answered = [q.id for q in questions if q.answer_count]
    if not answered:
        return
    place = (
        sa.func.row_number()
        .over(partition_by=Answer.question_id, order_by=ANSWER_ORDER.order_by())
        .label("place")
    )
    ranked = (
        sa.select(Answer.id, place)
        .where(Answer.question_id.in_(answered), Answer.status == Status.PUBLISHED)
        .subquery()
    )
    top = session.scalars(
        sa.select(Answer).join(ranked, ranked.c.id == Answer.id).where(ranked.c.place == 1)
    ).all()
    by_question = {a.question_id: a for a in top}
    for question in questions:
        _show(question, top_answer=by_question.get(question.id))


def published_question(
    session: Session, site: Site, question_id: str, *, lock: bool = False
) -> Question:
    """A published question of the site, or 404 (unknown, another site's, unpublished)."""
    stmt = sa.select(Question).where(
        Question.id == question_id,
        Question.site_id == site.id,
        Question.status == Status.PUBLISHED,
    )
    if lock:
        stmt = stmt.with_for_update(of=Question)
    question = session.scalar(stmt)
    if question is None:
        raise _not_found(Question, question_id)
    return question


def public_answers(
    session: Session, site: Site, question_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Answer], str | None]:
    """A page of a published question's published answers, in the widget's order."""
    question = published_question(session, site, question_id)
    stmt = sa.select(Answer).where(
        Answer.question_id == question.id, Answer.status == Status.PUBLISHED
    )
    return paginate(
        session,
        stmt,
        ANSWER_ORDER,
        limit=limit,
        cursor=cursor,
        query_fingerprint=fingerprint(kind="answers", question=question.id),
    )


def answer(
    session: Session,
    site: Site,
    question_id: str,
    data: dict[str, Any],
    *,
    visitor_hash: str | None,
    network_hash: str | None = None,
    verified: bool = False,
) -> Answer:
    """A visitor's answer to a published question. With an invitation's token (``invite``)
    for the question's product, or ``verified`` (asked through a verified buyer's review,
    ``community_mail``), it is a verified buyer's."""
    question = published_question(session, site, question_id, lock=True)
    external_id = question.product.external_id
    if data.get("invite"):
        invitation = invitations.by_token(session, data["invite"])
        if invitation is None or invitation.site_id != site.id:
            raise validation_error("invite", "This invitation is not valid for this shop.")
        if external_id not in invitation.products:
            raise validation_error("invite", "This invitation is for other products.")
        verified = True
    status, reasons, body_hash = _screen(
        session, site, Answer, data["body"], data, network_hash, verified=verified
    )
    return _add_answer(
        session,
        site,
        question,
        body=data["body"],
        author_name=data["author_name"],
        author_email=data.get("author_email"),
        status=status,
        spam_reasons=reasons,
        verified=verified,
        visitor_hash=visitor_hash,
        network_hash=network_hash,
        body_hash=body_hash,
    )


def owner_answer(session: Session, site: Site, question_id: str, body: str) -> Answer:
    """The shop's own answer: published at once, shown first. The question may still be
    waiting in the queue (the shop answers from it), not rejected."""
    question = session.scalar(
        sa.select(Question)
        .where(Question.id == question_id, Question.site_id == site.id)
        .with_for_update(of=Question)
    )
    if question is None:
        raise validation_error("question_id", "No such question.")
    if question.status not in (Status.PUBLISHED, Status.PENDING):
        raise validation_error("question_id", f"The question is {question.status.value}.")
    created = _add_answer(
        session,
        site,
        question,
        body=body,
        author_name=site.name,
        author_email=None,
        status=Status.PUBLISHED,
        spam_reasons=[],
        is_owner=True,
    )
    audit.record(session, site, "answer.created", created.id, note=_excerpt(body))
    return created


def _add_answer(
    session: Session,
    site: Site,
    question: Question,
    *,
    status: Status,
    is_owner: bool = False,
    verified: bool = False,
    **values: Any,
) -> Answer:
    now = utcnow()
    created = Answer(
        site_id=site.id,
        question_id=question.id,
        product_id=question.product_id,
        is_owner=is_owner,
        verified_buyer=verified,
        rank=2 if is_owner else int(verified),
        status=status,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(created)
    session.flush()
    _show(created, question_body=_excerpt(question.body))  # its admin form, for events
    if status == Status.PUBLISHED:
        _move_question_counts(session, question.id, answers=1, helpful=0)
    site_counts.adjust(session, site.id, Answer, [(None, status)])
    _touch(session, site, [question.product.external_id])
    events.emit(session, site, "answer.created", created)
    if status == Status.PUBLISHED and question.status == Status.PUBLISHED:
        community_mail.answer_published(session, site, created, question)
    return created


def _move_question_counts(
    session: Session, question_id: str, *, answers: int, helpful: int
) -> None:
    if answers or helpful:
        session.execute(
            sa.update(Question)
            .where(Question.id == question_id)
            .values(
                answer_count=Question.answer_count + answers,
                helpful_count=Question.helpful_count + helpful,
            )
        )


def vote_answer(
    session: Session,
    site: Site,
    answer_id: str,
    visitor_hash: str,
    helpful: bool,
    network_hash: str | None = None,
) -> Answer:
    """One visitor's helpful/unhelpful vote on a published answer (of a published
    question), as for reviews: a second vote changes the first."""
    question_id = session.scalar(
        sa.select(Answer.question_id).where(Answer.id == answer_id, Answer.site_id == site.id)
    )
    # The question first, then the answer: the order every writer of both takes.
    if (
        question_id is None
        or session.scalar(
            sa.select(Question.id)
            .where(Question.id == question_id, Question.status == Status.PUBLISHED)
            .with_for_update()
        )
        is None
    ):
        raise _not_found(Answer, answer_id)
    found = session.scalar(
        sa.select(Answer)
        .where(Answer.id == answer_id, Answer.status == Status.PUBLISHED)
        .with_for_update(of=Answer)
    )
    if found is None:
        raise _not_found(Answer, answer_id)
    helpful_delta, unhelpful_delta = record_vote(
        session, AnswerVote, AnswerVote.answer_id, found.id, visitor_hash, helpful, network_hash
    )
    if helpful_delta or unhelpful_delta:
        session.execute(
            sa.update(Answer)
            .where(Answer.id == found.id)
            .values(
                helpful_count=Answer.helpful_count + helpful_delta,
                unhelpful_count=Answer.unhelpful_count + unhelpful_delta,
            )
        )
        _move_question_counts(session, question_id, answers=0, helpful=helpful_delta)
        _touch(session, site, [found.product.external_id])
    session.flush()
    session.refresh(found)
    return found


def counts_for(session: Session, site: Site, products: Sequence[str]) -> dict[str, dict[str, int]]:
    """Published questions (and how many have an answer) of up to 100 products, for
    badges on listing pages: one query, like summaries."""
    counts = {p: {"questions": 0, "answered": 0} for p in products}
    rows = session.execute(
        sa.select(
            Product.external_id,
            sa.func.count(),
            sa.func.count().filter(Question.answer_count > 0),
        )
        .join(Question, Question.product_id == Product.id)
        .where(
            Product.site_id == site.id,
            Product.external_id.in_(list(products)),
            Question.status == Status.PUBLISHED,
        )
        .group_by(Product.external_id)
    )
    for external_id, asked, answered in rows:
        counts[external_id] = {"questions": int(asked), "answered": int(answered)}
    return counts


# ---------------------------------------------------------------- ideas


def propose(
    session: Session,
    site: Site,
    data: dict[str, Any],
    *,
    visitor_hash: str | None,
    network_hash: str | None = None,
) -> Idea:
    """A visitor's idea for the board (of the shop, or of one product)."""
    text = " ".join(filter(None, [data["title"], data.get("body")]))
    status, reasons, body_hash = _screen(session, site, Idea, text, data, network_hash)
    return _add_idea(
        session,
        site,
        data,
        author_name=data["author_name"],
        author_email=data.get("author_email"),
        status=status,
        spam_reasons=reasons,
        visitor_hash=visitor_hash,
        network_hash=network_hash,
        body_hash=body_hash,
    )


def _add_idea(
    session: Session, site: Site, data: dict[str, Any], *, status: Status, **values: Any
) -> Idea:
    product = None
    if data.get("product"):
        product = summaries.get_or_create_product(session, site, data["product"])
    now = utcnow()
    idea = Idea(
        site_id=site.id,
        product=product,
        title=data["title"],
        body=data.get("body") or "",
        status=status,
        stage="open",
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(idea)
    session.flush()
    _show(idea, sources=[])
    site_counts.adjust(session, site.id, Idea, [(None, status)])
    _touch(session, site, [BOARD])
    events.emit(session, site, "idea.created", idea)
    return idea


def public_ideas(
    session: Session, site: Site, query: dict[str, Any]
) -> tuple[list[Idea], str | None]:
    """A page of the board's published ideas (``sort``, ``stage``, ``product``), each
    with the published feedback it was made from."""
    stmt = sa.select(Idea).where(Idea.site_id == site.id, Idea.status == Status.PUBLISHED)
    if query.get("stage"):
        stmt = stmt.where(Idea.stage == query["stage"])
    if query.get("product"):
        stmt = stmt.where(
            Idea.product_id.in_(
                sa.select(Product.id).where(
                    Product.site_id == site.id, Product.external_id == query["product"]
                )
            )
        )
    items, next_cursor = paginate(
        session,
        stmt,
        IDEA_ORDERS[query["sort"]],
        limit=query["limit"],
        cursor=query["cursor"],
        query_fingerprint=fingerprint(
            kind="ideas",
            site=site.id,
            sort=query["sort"],
            stage=query.get("stage"),
            product=query.get("product"),
        ),
    )
    attach_sources(session, items, public=True)
    return items, next_cursor


def published_idea(session: Session, site: Site, idea_id: str, *, lock: bool = False) -> Idea:
    stmt = sa.select(Idea).where(
        Idea.id == idea_id, Idea.site_id == site.id, Idea.status == Status.PUBLISHED
    )
    if lock:
        stmt = stmt.with_for_update(of=Idea)
    idea = session.scalar(stmt)
    if idea is None:
        raise _not_found(Idea, idea_id)
    return idea


def public_idea(session: Session, site: Site, idea_id: str) -> Idea:
    """One published idea with the published feedback it was made from."""
    idea = published_idea(session, site, idea_id)
    attach_sources(session, [idea], public=True)
    return idea


def attach_sources(session: Session, ideas: Sequence[Idea], *, public: bool) -> None:
    """Give each idea its ``sources``: ``{"type", "id", "excerpt"}`` of the reviews and
    comments it was made from. The public form shows published feedback only; the
    admin form shows every linked item that still exists (with its status). Only the
    ideas' own site's items: a link (an imported one, say) to another site's shows
    nothing."""
    if not ideas:
        return
    links = session.execute(
        sa.select(IdeaSource)
        .where(IdeaSource.idea_id.in_([i.id for i in ideas]))
        .order_by(IdeaSource.created_at, IdeaSource.object_id)
    ).scalars()
    by_idea: dict[str, list[IdeaSource]] = {}
    for link in links:
        by_idea.setdefault(link.idea_id, []).append(link)
    items = _feedback(
        session, ideas[0].site_id, [link for group in by_idea.values() for link in group]
    )
    for idea in ideas:
        sources = []
        for link in by_idea.get(idea.id, []):
            item = items.get(link.object_id)
            if item is None or (public and item.status != Status.PUBLISHED):
                continue
            source = {
                "type": link.object_type,
                "id": link.object_id,
                "excerpt": _excerpt(item.body),
            }
            if not public:
                source["status"] = item.status.value
                source["author_name"] = item.author_name
            sources.append(source)
        _show(idea, sources=sources)


def _feedback(
    session: Session, site_id: str, links: Sequence[IdeaSource]
) -> dict[str, Review | Comment]:
    found: dict[str, Review | Comment] = {}
    for model in FEEDBACK:
        ids = [link.object_id for link in links if link.object_type == NAMES_FEEDBACK[model]]
        if ids:
            found.update(
                (item.id, item)
                for item in session.scalars(
                    sa.select(model).where(model.site_id == site_id, model.id.in_(ids))
                )
            )
    return found


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def vote_idea(
    session: Session,
    site: Site,
    idea_id: str,
    visitor_hash: str,
    vote: bool,
    *,
    email: str | None = None,
    network_hash: str | None = None,
    locale: str | None = None,
) -> tuple[int, bool]:
    """Vote for a published idea (once per visitor; ``vote`` false withdraws it). With
    ``email`` the voter hears when it is planned or shipped. A new vote from a network
    past its daily share is not counted. Answers the vote count and whether this
    visitor's vote stands."""
    idea = published_idea(session, site, idea_id, lock=True)
    existing = session.scalar(
        sa.select(IdeaVote)
        .where(IdeaVote.idea_id == idea.id, IdeaVote.visitor_hash == visitor_hash)
        .with_for_update()
    )
    delta = 0
    if vote and existing is None:
        if not network_spent(session, IdeaVote, IdeaVote.idea_id, idea.id, network_hash):
            try:
                with session.begin_nested():
                    session.add(
                        IdeaVote(
                            idea_id=idea.id,
                            visitor_hash=visitor_hash,
                            network_hash=network_hash,
                            email=email,
                            locale=locale,
                        )
                    )
                delta = 1
            except IntegrityError:
                pass  # the same visitor's concurrent vote won: it stands
    elif vote and existing is not None and email and existing.email != email:
        existing.email, existing.locale = email, locale
    elif not vote and existing is not None:
        session.delete(existing)
        delta = -1
    if delta:
        session.execute(
            sa.update(Idea).where(Idea.id == idea.id).values(vote_count=Idea.vote_count + delta)
        )
        _touch(session, site, [BOARD])
    session.flush()
    session.refresh(idea)
    voted = session.scalar(
        sa.select(sa.literal(True)).where(
            IdeaVote.idea_id == idea.id, IdeaVote.visitor_hash == visitor_hash
        )
    )
    return idea.vote_count, bool(voted)


# ---------------------------------------------------------------- the shop's side


def admin_list(
    session: Session, site: Site, model: Item, query: dict[str, Any]
) -> tuple[list[Any], str | None]:
    """A page of the site's questions, answers or ideas of any status (admin filters)."""
    where: list[Any] = []
    orders = None
    if model is Answer and query.get("question_id"):
        where.append(Answer.question_id == query["question_id"])
    if model is Idea:
        if query.get("stage"):
            where.append(Idea.stage == query["stage"])
        orders = {"top": IDEA_ORDERS["top"]}
    items, next_cursor = admin_page(
        session, site, model, query, search=SEARCH[model], where=where, orders=orders
    )
    attach(session, model, items)
    return items, next_cursor


SEARCH: dict[Any, tuple[Any, ...]] = {
    Question: QUESTION_SEARCH,
    Answer: ANSWER_SEARCH,
    Idea: IDEA_SEARCH,
}


def attach(session: Session, model: Item, items: Sequence[Any]) -> None:
    """What the admin forms show beside the row: a question's top answer, an answer's
    question, an idea's linked feedback."""
    if not items:
        return
    if model is Question:
        _attach_top_answers(session, items)
    elif model is Answer:
        bodies = dict(
            session.execute(
                sa.select(Question.id, Question.body).where(
                    Question.id.in_({a.question_id for a in items})
                )
            ).all()
        )
        for item in items:
            item.question_body = _excerpt(bodies.get(item.question_id, ""))
    else:
        attach_sources(session, items, public=False)


def admin_get(session: Session, site: Site, model: Item, item_id: str) -> Any:
    """One question, answer or idea of the site, admin form (404 for another site's)."""
    item = _owned(session, site, model, item_id)
    attach(session, model, [item])
    return item


def _owned(session: Session, site: Site, model: Item, item_id: str, *, lock: bool = False) -> Any:
    stmt = sa.select(model).where(model.id == item_id, model.site_id == site.id)
    if lock:
        stmt = stmt.with_for_update(of=model)
    item = session.scalar(stmt)
    if item is None:
        raise _not_found(model, item_id)
    return item


def update(session: Session, site: Site, model: Item, item_id: str, changes: dict[str, Any]) -> Any:
    """The admin PATCH: a status (with a reason and note), and for ideas the title, the
    body, the stage and its public note."""
    # An idea is locked from the start (its edits follow); an answer is locked by
    # set_status, after its question (the order every writer takes).
    item = _owned(session, site, model, item_id, lock=model is Idea)
    if "status" in changes:
        set_status(
            session,
            site,
            model,
            [item.id],
            Status(changes["status"]),
            reason=changes.get("reason"),
            note=changes.get("note"),
        )
    if model is Idea:
        edited = {k: changes[k] for k in ("title", "body") if k in changes}
        if edited:
            for name, value in edited.items():
                setattr(item, name, value or "")
            item.updated_at = utcnow()
            audit.record(session, site, "idea.edited", item.id, note=", ".join(sorted(edited)))
            _touch(session, site, [BOARD])
            events.emit(session, site, "idea.updated", item)
        if "stage" in changes or "stage_note" in changes:
            set_stage(
                session,
                site,
                item,
                changes.get("stage", item.stage),
                changes.get("stage_note", item.stage_note),
            )
    session.flush()
    session.expire(item)
    return admin_get(session, site, model, item_id)


def set_status(
    session: Session,
    site: Site,
    model: Item,
    ids: Iterable[str],
    status: Status,
    *,
    reason: str | None = None,
    note: str | None = None,
) -> int:
    """Move questions, answers or ideas to ``status`` (bulk moderation too), moving the
    counters and telling people what the move calls for; returns how many of ``ids``
    belong to the site."""
    ids = list(ids)
    name = NAMES[model]
    if model is Answer:
        _lock_questions(
            session,
            session.scalars(
                sa.select(Answer.question_id).where(Answer.site_id == site.id, Answer.id.in_(ids))
            ),
        )
    rows = (
        session.execute(
            sa.select(model)
            .where(model.site_id == site.id, model.id.in_(ids))
            .order_by(model.id)
            .with_for_update(of=model)
        )
        .scalars()
        .all()
    )
    changing = [(item, item.status) for item in rows if item.status != status]
    if changing:
        values = moderation.decision_values(status, reason, note)
        for item, _ in changing:
            item.status = status
            for column, value in values.items():
                setattr(item, column, value)
        site_counts.adjust(session, site.id, model, ((old, status) for _, old in changing))
        for item, old in changing:
            if model is Answer:
                move = int(status == Status.PUBLISHED) - int(old == Status.PUBLISHED)
                _move_question_counts(
                    session, item.question_id, answers=move, helpful=move * item.helpful_count
                )
        _touch(session, site, _cache_keys(model, [item for item, _ in changing]))
        audit.record_many(
            session,
            site,
            f"{name}.status",
            [(item.id, old, status) for item, old in changing],
            reason=values.get("moderation_reason"),
            note=note,
        )
        session.flush()
        for item, old in changing:
            if model is Idea:
                events.emit(session, site, "idea.updated", item, previous={"status": old.value})
            if status == Status.PUBLISHED:
                _published(session, site, model, item)
    moderation.confirm(session, site, model, rows, status, reason, note)
    return len(rows)


def _lock_questions(session: Session, question_ids: Iterable[str]) -> None:
    """Lock questions before any of their answers: the order every writer takes."""
    wanted = sorted(set(question_ids))
    if wanted:
        session.execute(
            sa.select(Question.id)
            .where(Question.id.in_(wanted))
            .order_by(Question.id)
            .with_for_update()
        )


def _cache_keys(model: Item, items: Sequence[Any]) -> set[str]:
    if model is Idea:
        return {BOARD}
    return {item.product.external_id for item in items}


def _published(session: Session, site: Site, model: Item, item: Any) -> None:
    """An item went public: who should hear of it now."""
    if model is Question:
        community_mail.question_published(session, site, item)
    elif model is Answer:
        question = session.get(Question, item.question_id)
        if question is not None and question.status == Status.PUBLISHED:
            community_mail.answer_published(session, site, item, question)
    elif item.stage in ANNOUNCED_STAGES:
        _announce(session, site, item, item.stage)


def delete(session: Session, site: Site, model: Item, item_id: str) -> bool:
    """Delete for good (a question with its answers, an idea with its votes and links)."""
    if model is Answer:
        _lock_questions(
            session,
            session.scalars(
                sa.select(Answer.question_id).where(Answer.site_id == site.id, Answer.id == item_id)
            ),
        )
    item = session.scalar(
        sa.select(model)
        .where(model.id == item_id, model.site_id == site.id)
        .with_for_update(of=model)
    )
    if item is None:
        return False
    keys = _cache_keys(model, [item])
    if model is Question:
        answers = session.scalars(sa.select(Answer.status).where(Answer.question_id == item.id))
        site_counts.adjust(session, site.id, Answer, ((Status(s), None) for s in answers))
    if model is Answer and item.status == Status.PUBLISHED:
        _move_question_counts(session, item.question_id, answers=-1, helpful=-item.helpful_count)
    session.execute(sa.delete(model).where(model.id == item.id))
    site_counts.adjust(session, site.id, model, [(item.status, None)])
    _touch(session, site, keys)
    audit.record(session, site, f"{NAMES[model]}.deleted", item.id, from_value=item.status)
    session.expunge(item)
    return True


def set_stage(session: Session, site: Site, idea: Idea, stage: str, note: str | None) -> None:
    """Move an idea on the roadmap, with a public note. Reaching ``planned`` or
    ``shipped`` tells its voters and the authors of its feedback, once per stage."""
    if stage == idea.stage and note == idea.stage_note:
        return
    old = idea.stage
    now = utcnow()
    idea.stage, idea.stage_note, idea.updated_at = stage, note, now
    if stage != old:
        idea.stage_changed_at = now
    audit.record(session, site, "idea.stage", idea.id, from_value=old, to_value=stage, note=note)
    _touch(session, site, [BOARD])
    session.flush()
    events.emit(session, site, "idea.updated", idea, previous={"stage": old})
    if stage in ANNOUNCED_STAGES and idea.status == Status.PUBLISHED:
        _announce(session, site, idea, stage)


def _announce(session: Session, site: Site, idea: Idea, stage: str) -> None:
    if stage in (idea.announced or []):
        return
    idea.announced = [*(idea.announced or []), stage]
    community_mail.idea_stage_reached(session, site, idea, stage)


def create_from_feedback(session: Session, site: Site, data: dict[str, Any]) -> Idea:
    """The shop turns customer feedback (reviews, comments) into an idea: published at
    once, the feedback linked and shown on it."""
    wanted = list(dict.fromkeys(data.get("sources") or []))
    found: dict[str, Review | Comment] = {}
    for model, prefix in zip(FEEDBACK, ("rev_", "cmt_"), strict=True):
        ids = [i for i in wanted if i.startswith(prefix)]
        if ids:
            found.update(
                (item.id, item)
                for item in session.scalars(
                    sa.select(model).where(model.site_id == site.id, model.id.in_(ids))
                )
            )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise validation_error("from", f"No such review or comment: {', '.join(missing[:5])}.")
    values = dict(data)
    if not values.get("product"):
        products = {item.product.external_id for item in found.values()} - {STORE}
        values["product"] = products.pop() if len(products) == 1 else None
    idea = _add_idea(
        session,
        site,
        values,
        author_name=site.name,
        author_email=None,
        status=Status.PUBLISHED,
        spam_reasons=[],
    )
    now = utcnow()
    session.add_all(
        IdeaSource(
            idea_id=idea.id,
            object_type=NAMES_FEEDBACK[type(found[i])],
            object_id=i,
            created_at=now + timedelta(microseconds=n),  # shown in the order given
        )
        for n, i in enumerate(wanted)
    )
    audit.record(
        session, site, "idea.created", idea.id, note=f"from {', '.join(wanted)}" if wanted else None
    )
    session.flush()
    attach_sources(session, [idea], public=False)
    return idea


def merge(session: Session, site: Site, idea_id: str, into_id: str) -> Idea:
    """Merge a duplicate into another idea of the site: its votes (one per visitor: a
    visitor who voted for both keeps one, with any address they left) and its linked
    feedback move; the duplicate is rejected, pointing at the other."""
    if into_id == idea_id:
        raise validation_error("into", "An idea cannot be merged into itself.")
    locked = {
        i.id: i
        for i in session.scalars(
            sa.select(Idea)
            .where(Idea.site_id == site.id, Idea.id.in_([idea_id, into_id]))
            .order_by(Idea.id)
            .with_for_update(of=Idea)
        )
    }
    source, target = locked.get(idea_id), locked.get(into_id)
    if source is None:
        raise _not_found(Idea, idea_id)
    if target is None:
        raise validation_error("into", "No such idea.")
    if target.merged_into is not None:
        raise validation_error("into", "That idea was itself merged into another.")
    if source.merged_into is not None:
        raise Problem(409, f"The idea {idea_id!r} was already merged into {source.merged_into!r}.")
    target_votes = {
        v.visitor_hash: v
        for v in session.scalars(
            sa.select(IdeaVote).where(IdeaVote.idea_id == target.id).with_for_update()
        )
    }
    for vote in session.scalars(
        sa.select(IdeaVote).where(IdeaVote.idea_id == source.id).with_for_update()
    ).all():
        kept = target_votes.get(vote.visitor_hash)
        if kept is None:
            session.add(
                IdeaVote(
                    idea_id=target.id,
                    visitor_hash=vote.visitor_hash,
                    network_hash=vote.network_hash,
                    email=vote.email,
                    locale=vote.locale,
                    created_at=vote.created_at,
                )
            )
        elif kept.email is None and vote.email:
            kept.email, kept.locale = vote.email, vote.locale
        session.delete(vote)
    linked = {
        (row.object_type, row.object_id)
        for row in session.execute(
            sa.select(IdeaSource.object_type, IdeaSource.object_id).where(
                IdeaSource.idea_id == target.id
            )
        )
    }
    for link in session.scalars(sa.select(IdeaSource).where(IdeaSource.idea_id == source.id)).all():
        if (link.object_type, link.object_id) not in linked:
            session.add(
                IdeaSource(
                    idea_id=target.id,
                    object_type=link.object_type,
                    object_id=link.object_id,
                    created_at=link.created_at,
                )
            )
        session.delete(link)
    session.flush()
    before = target.vote_count
    target.vote_count = session.execute(
        sa.select(sa.func.count()).select_from(IdeaVote).where(IdeaVote.idea_id == target.id)
    ).scalar_one()
    target.updated_at = utcnow()
    source.vote_count = 0
    source.merged_into = target.id
    audit.record(session, site, "idea.merged", source.id, from_value=source.id, to_value=target.id)
    set_status(
        session,
        site,
        Idea,
        [source.id],
        Status.REJECTED,
        reason="other",
        note=f"Merged into “{target.title}”.",
    )
    _touch(session, site, [BOARD])
    session.flush()
    events.emit(session, site, "idea.updated", target, previous={"vote_count": before})
    attach_sources(session, [target], public=False)
    return target


def community_stats(session: Session, site: Site) -> dict[str, Any]:
    """The admin statistics' community part: counts by status, the most wanted ideas
    (open or under review, by votes) and the recently shipped."""
    wanted = session.scalars(
        sa.select(Idea)
        .where(
            Idea.site_id == site.id,
            Idea.status == Status.PUBLISHED,
            Idea.stage.in_(["open", "under_review"]),
        )
        .order_by(*IDEA_ORDERS["top"].order_by())
        .limit(5)
    ).all()
    shipped = session.scalars(
        sa.select(Idea)
        .where(Idea.site_id == site.id, Idea.status == Status.PUBLISHED, Idea.stage == "shipped")
        .order_by(Idea.stage_changed_at.desc(), Idea.id.desc())
        .limit(5)
    ).all()
    for idea in (*wanted, *shipped):
        _show(idea, sources=[])
    return {
        "questions": site_counts.status_counts(session, Question, site),
        "answers": site_counts.status_counts(session, Answer, site),
        "ideas": site_counts.status_counts(session, Idea, site),
        "ideas_top": list(wanted),
        "ideas_shipped": list(shipped),
    }
