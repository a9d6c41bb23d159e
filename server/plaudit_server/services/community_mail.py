"""Community e-mails: ask the community, an answer for the asker, an idea's progress.

``services/community.py`` calls the three functions below in the transaction of the
change (a question published, an answer published, an idea's stage set), so a change
that rolls back mails nobody. Each writes rows to the messages outbox
(``models.Message``); ``services/notifications.py`` sends them with the other
notifications (claims, retries, Message-IDs), holds their words in the four languages
and writes each mail at send time, as things stand then (a question unpublished
meanwhile, an idea moved back: nothing is sent).

Who gets what, and how often:

- "Ask the community" (:func:`question_published`, kind ``question_invite``): up to
  :data:`ASKED_PER_QUESTION` customers who reviewed the question's product and gave an
  address: published reviews only, verified buyers' first, then the most recent; one
  per address; never the asker; not an address on the site's ``community`` list. A
  question asks once, ever (``Question.community_asked_at``, set with a conditional
  UPDATE, so a question published twice or by two requests at once still asks once):
  so an address is asked at most once per question. And a customer is asked at most
  once a week per site (:data:`ASK_EVERY`): the outbox is the record, any
  ``question_invite`` row for that address on that site queued in the last seven days
  (sent or not: the week is counted from when we decided to ask, so a slow or retried
  send does not make room for a second one), addresses compared lowercased. A reviewer
  passed over for that reason is not asked later for the same question: the next
  question asks again. The message links to the hosted answer page ``/q/<token>``
  (``community_page.py``); the token is derived from the row's id
  (:func:`notifications.answer_token`) and only its hash is stored, in the row
  (``data["token"]``), with the review that earned the invitation: an answer sent
  through the page is a verified buyer's when that review is. The link works for
  :data:`ANSWER_LINK_DAYS` and gives one answer. The reviewer's language is the one
  of the review request their review answered, else the site's.
- The asker's news (:func:`answer_published`, kind ``answer_published``): when the
  first answer is published, to an asker who ticked ``notify`` and gave an address,
  once (``Question.answer_notified_at``, conditional as above); their own answer is
  no news and does not count. An answer the shop gave while the question waited in
  the queue is told when the question is published. Like the shop's reply (kind
  ``reply``) it answers what they asked for and still carries ``List-Unsubscribe``, to
  the same ``replies`` list.
- "You asked, we built it" (:func:`idea_stage_reached`, kind ``idea_progress``): when
  an idea reaches ``planned`` or ``shipped``, one message per address to everyone who
  voted with an address (in the language they voted in), the authors of its linked
  feedback (reviews and comments with an address; not spam, not the shop's) and the
  idea's own author: they asked for it too. Once per stage (``Idea.announced``, kept by
  ``services/community.py``), so an idea moved back and forth announces each stage
  once; never to an address on the ``ideas`` list.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..ids import new_id
from ..mail import LOCALES
from ..models import (
    ANNOUNCED_STAGES,
    Answer,
    Comment,
    Idea,
    IdeaSource,
    IdeaVote,
    Invitation,
    Message,
    Question,
    Review,
    Site,
    Status,
)
from ..timeutil import utcnow
from . import suppressions
from .invitations import token_hash
from .notifications import (
    ANSWER_PUBLISHED,
    COMMUNITY_LIST,
    IDEA_PROGRESS,
    IDEAS_LIST,
    QUESTION_INVITE,
    VISITOR_LIST,
    answer_token,
    send_soon,
)

ASKED_PER_QUESTION = 3  # reviewers asked to answer one question
ASK_EVERY = timedelta(days=7)  # a customer is asked at most once in this time, per site
ANSWER_LINK_DAYS = 30  # how long the answer link of an invitation works
_CANDIDATES_PAGE = 50  # reviews read at a time while looking for people to ask
_CANDIDATES_MAX = 500  # and at most this many: the most recent verified buyers first


def question_published(session: Session, site: Site, question: Question) -> list[Message]:
    """Ask up to three of the product's reviewers to answer a newly published question
    (who, and how often: the module's docstring). Returns the rows queued.

    An answer published while the question was not (the shop answers from the queue)
    is the asker's news now: :func:`answer_published` is told of the first one."""
    if question.status != Status.PUBLISHED:
        return []
    if question.notify and question.answer_notified_at is None:
        first = session.scalar(
            sa.select(Answer)
            .where(Answer.question_id == question.id, Answer.status == Status.PUBLISHED)
            .order_by(Answer.created_at, Answer.id)
            .limit(1)
        )
        if first is not None:
            answer_published(session, site, first, question)
    if question.community_asked_at is not None:
        return []
    now = utcnow()
    # Conditional, so two publications committed at once still ask once.
    marked = session.execute(
        sa.update(Question)
        .where(Question.id == question.id, Question.community_asked_at.is_(None))
        .values(community_asked_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(marked, "rowcount", 0) != 1:
        return []
    set_committed_value(question, "community_asked_at", now)
    asker = (question.author_email or "").strip().lower()
    chosen: list[tuple[str, str, str]] = []  # (address, review id, locale)
    seen = {asker} if asker else set()
    for offset in range(0, _CANDIDATES_MAX, _CANDIDATES_PAGE):
        rows = session.execute(
            sa.select(Review.author_email, Review.id, Invitation.locale)
            .outerjoin(Invitation, Invitation.id == Review.invitation_id)
            .where(
                Review.site_id == site.id,
                Review.product_id == question.product_id,
                Review.status == Status.PUBLISHED,
                Review.author_email.is_not(None),
            )
            .order_by(Review.verified_buyer.desc(), Review.created_at.desc(), Review.id.desc())
            .offset(offset)
            .limit(_CANDIDATES_PAGE)
        ).all()
        fresh: dict[str, tuple[str, str, str]] = {}
        for email, review_id, locale in rows:
            key = str(email).strip().lower()
            if key and key not in seen and key not in fresh:
                fresh[key] = (str(email), review_id, _locale(locale, site))
        seen |= set(fresh)
        for key in _askable(session, site, fresh, now):
            chosen.append(fresh[key])
            if len(chosen) == ASKED_PER_QUESTION:
                break
        if len(chosen) == ASKED_PER_QUESTION or len(rows) < _CANDIDATES_PAGE:
            break
    queued = []
    for email, review_id, locale in chosen:
        message_id = new_id("mail")  # first: the link's token is derived from it
        data = {
            "question": question.id,
            "review": review_id,
            "token": token_hash(answer_token(message_id)),
        }
        queued.append(_queue(session, site, message_id, QUESTION_INVITE, email, locale, data))
    return queued


def _askable(session: Session, site: Site, candidates: dict[str, Any], now: datetime) -> list[str]:
    """Those of ``candidates`` (lowercased addresses, in order) that may be asked now:
    not on the ``community`` list, not asked in the last week on this site."""
    if not candidates:
        return []
    refused = suppressions.suppressed(session, site.id, COMMUNITY_LIST, candidates)
    recent = set(
        session.scalars(
            sa.select(sa.func.lower(Message.email)).where(
                Message.site_id == site.id,
                Message.kind == QUESTION_INVITE,
                Message.created_at > now - ASK_EVERY,
                sa.func.lower(Message.email).in_(list(candidates)),
            )
        )
    )
    return [key for key in candidates if key not in refused and key not in recent]


def answer_published(
    session: Session, site: Site, answer: Answer, question: Question
) -> Message | None:
    """Tell the asker (once) that their question has a published answer. Returns the row
    queued, or None (not asked for, told already, their own answer, unsubscribed)."""
    if answer.status != Status.PUBLISHED or question.status != Status.PUBLISHED:
        return None
    address = question.author_email
    if not question.notify or not address or question.answer_notified_at is not None:
        return None
    if not answer.is_owner and (answer.author_email or "").strip().lower() == _key(address):
        return None  # their own answer is no news to them
    if suppressions.suppressed(session, site.id, VISITOR_LIST, [address]):
        return None
    now = utcnow()
    marked = session.execute(
        sa.update(Question)
        .where(Question.id == question.id, Question.answer_notified_at.is_(None))
        .values(answer_notified_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(marked, "rowcount", 0) != 1:
        return None
    set_committed_value(question, "answer_notified_at", now)
    data = {"question": question.id, "answer": answer.id}
    locale = _locale(None, site)
    return _queue(session, site, new_id("mail"), ANSWER_PUBLISHED, address, locale, data)


def idea_stage_reached(session: Session, site: Site, idea: Idea, stage: str) -> list[Message]:
    """Tell voters, the authors of linked feedback and the idea's author that the idea is
    planned or shipped: one message per address. Returns the rows.

    Once per stage is the caller's rule (``community._announce`` records the stage in
    ``Idea.announced`` before calling, under the idea's lock)."""
    if stage not in ANNOUNCED_STAGES or idea.status != Status.PUBLISHED:
        return []
    people: dict[str, dict[str, Any]] = {}  # lowercased address -> email, locale, name

    def add(email: str | None, *, locale: str | None = None, name: str | None = None) -> None:
        if not email or not email.strip():
            return
        found = people.setdefault(_key(email), {"email": email, "locale": None, "name": None})
        found["locale"] = found["locale"] or (locale if locale in LOCALES else None)
        found["name"] = found["name"] or name

    add(idea.author_email, name=idea.author_name)
    sources = session.execute(
        sa.select(IdeaSource.object_type, IdeaSource.object_id).where(IdeaSource.idea_id == idea.id)
    ).all()
    for model, kind in ((Review, "review"), (Comment, "comment")):
        ids = [object_id for object_type, object_id in sources if object_type == kind]
        if not ids:
            continue
        authors = session.execute(
            sa.select(model.author_email, model.author_name).where(
                model.id.in_(ids),
                model.site_id == site.id,
                model.author_email.is_not(None),
                model.status != Status.SPAM,
                model.is_owner.is_(False) if model is Comment else sa.true(),
            )
        )
        for email, name in authors:
            add(email, name=name)
    votes = session.execute(
        sa.select(IdeaVote.email, IdeaVote.locale)
        .where(IdeaVote.idea_id == idea.id, IdeaVote.email.is_not(None))
        .order_by(IdeaVote.created_at)
    )
    for email, locale in votes:
        add(email, locale=locale)
    refused = suppressions.suppressed(session, site.id, IDEAS_LIST, people)
    queued = []
    for key, person in people.items():
        if key in refused:
            continue
        data = {"idea": idea.id, "stage": stage, "note": idea.stage_note, "name": person["name"]}
        locale = _locale(person["locale"], site)
        message = _queue(
            session, site, new_id("mail"), IDEA_PROGRESS, person["email"], locale, data
        )
        queued.append(message)
    return queued


# ---------------------------------------------------------------- the answer link


def resolve_answer_link(session: Session, token: str) -> tuple[Site, Message, Question] | None:
    """The site, the invitation's row and the question an answer link (``/q/<token>``)
    opens, or None for a link this server did not send (see :func:`link_state` for one
    that expired or whose question is gone). The token names its row; its hash must be
    the one stored there (constant-time)."""
    message_id, _, mac = token.partition(".")
    if not mac or len(token) > 200:
        return None
    row = session.get(Message, message_id)
    if row is None or row.kind != QUESTION_INVITE:
        return None
    stored = str((row.data or {}).get("token", ""))
    if not hmac.compare_digest(stored.encode(), token_hash(token).encode()):
        return None
    site = session.get(Site, row.site_id)
    question = session.get(Question, (row.data or {}).get("question"))
    if site is None or question is None or question.site_id != site.id:
        return None
    return site, row, question


def link_state(row: Message, question: Question, now: datetime | None = None) -> str:
    """What an answer link can do now: ``"open"``, ``"answered"`` (it gave its answer),
    ``"expired"`` (older than :data:`ANSWER_LINK_DAYS`) or ``"closed"`` (the question
    is no longer published)."""
    if (row.data or {}).get("answer"):
        return "answered"
    if question.status != Status.PUBLISHED:
        return "closed"
    if row.created_at + timedelta(days=ANSWER_LINK_DAYS) <= (now or utcnow()):
        return "expired"
    return "open"


def invited_review(session: Session, row: Message) -> Review | None:
    """The review that earned the invitation (gone if its author deleted it)."""
    review_id = (row.data or {}).get("review")
    return session.get(Review, review_id) if review_id else None


def record_answer(row: Message, answer: Answer) -> None:
    """The link gave its answer: it opens the thanks page from now on."""
    row.data = {**(row.data or {}), "answer": answer.id}  # a new dict: the JSON column sees it


# ---------------------------------------------------------------- helpers


def _key(email: str) -> str:
    return email.strip().lower()


def _locale(locale: str | None, site: Site) -> str:
    """``locale`` if the mails speak it, else the site's language, else English."""
    if locale in LOCALES:
        return str(locale)
    return site.locale if site.locale in LOCALES else "en"


def _queue(
    session: Session,
    site: Site,
    message_id: str,
    kind: str,
    email: str,
    locale: str,
    data: dict[str, Any],
) -> Message:
    now = utcnow()
    message = Message(
        id=message_id,
        site_id=site.id,
        kind=kind,
        email=email,
        locale=locale,
        data=data,
        due_at=now,
        created_at=now,
    )
    session.add(message)
    send_soon()
    return message


__all__ = [
    "ANSWER_LINK_DAYS",
    "ASKED_PER_QUESTION",
    "ASK_EVERY",
    "answer_published",
    "idea_stage_reached",
    "invited_review",
    "link_state",
    "question_published",
    "record_answer",
    "resolve_answer_link",
]
