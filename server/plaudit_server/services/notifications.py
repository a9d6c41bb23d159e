"""Notification e-mails: the shop hears of new items and reports waiting, a visitor of the
shop's answer, an author of their manage link, a reporter of the shop's decision, and the
community's messages (``services/community_mail.py`` queues those).

Seven kinds of message, all written to the ``messages`` outbox (``models.Message``) in
the transaction of the change that calls for them, so a change that rolls back mails
nobody and one that commits is never forgotten, whatever Redis or the worker do:

- ``new_items``, to the shop (:func:`services.sites.notify_address`): items are waiting
  in the moderation queue. With the site's ``notify_new_items`` at ``instant``, a
  visitor's review or comment that starts ``pending`` (pre-moderation; not spam) queues
  one message due now, unless one is already waiting to go out (a burst of submissions
  is one message). At ``daily``, each run of :func:`deliver_due` queues one digest for a
  site whose last notice (``owner_notified_at``, else the site's creation) is a day old
  and that has pending items since. ``off``: nothing. The message is written when it is
  sent: how many reviews and comments arrived since the last notice and still wait, with
  links to the admin queue. ``owner_notified_at`` moves when a notice is claimed, in the
  transaction committed right before the SMTP conversation: two workers (or an instant
  message and a digest) never tell the same items twice, and a retried message still
  counts from where its first attempt started.
- ``reply``, to a visitor who gave an e-mail address and ticked "tell me when the shop
  answers" (``notify``): the shop replied to their review (``review.updated`` whose
  reply was set) or posted a comment answering their review or comment. One message per
  item, ever (``reply_notified_at``, set with a conditional UPDATE so two answers at once
  still queue one), in the site's language, quoting their item briefly and the answer.
- ``manage_link``, to a visitor who gave an e-mail address with their review or comment
  (``review.created`` / ``comment.created``; not the shop's own comments, not imported
  items, not items the spam checks flagged: a bot must not make this server mail
  whatever address it typed): the private link to ``/m/<token>`` (``manage_page.py``).
  Everything one request submits with one address is one message (a buyer reviewing
  three products of an order gets one mail with three links). The link's token is never
  stored: the message gets its id up front, each item's token is derived from it
  (:func:`services.manage.mail_token`), only its hash is stored
  (:func:`services.manage.issue`), and the mail is written at send time from the id
  again. It answers the author's own request, so it carries no ``List-Unsubscribe``
  (like a password reset); an address on the site's ``manage_link`` suppression list
  (which an operator may fill: no link leads there) is neither queued nor mailed.
- ``report_outcome``, to a visitor who reported an item and gave an address
  (``report.decided``): kept or removed, with the shop's note, in the report's language.
  Its unsubscribe list is ``reports``.

The shop hears of new reports (``report.created``) with its new items: a report queues
the instant notice as an item does, a day's open reports bring the digest due, and
both messages count "N new reports" with a link to ``/admin/<slug>/reports``.

The community's kinds (who gets them and when: ``services/community_mail.py``; the
words and the mail, written at send time as things are then, here):

- ``question_invite``: "can you help answer this question?", to a customer who reviewed
  the product, with the link to the hosted answer page ``/q/<token>``
  (``community_page.py``; the token derived from the row's id by :func:`answer_token`).
  Unsubscribe list ``community``. Dropped when the question is no longer published.
- ``answer_published``: to an asker who ticked "tell me", the question and its first
  published answer, each quoted briefly. Like ``reply`` (what the visitor asked for, of
  the same nature) it carries ``List-Unsubscribe`` to the same list, ``replies``.
- ``idea_progress``: "you asked, we built it", to a voter or an author of the idea's
  feedback, when the idea reached ``planned`` or ``shipped``, with the stage's note.
  Unsubscribe list ``ideas``. Dropped when the idea went back, was declined or is gone.

Unsubscribing (the signed ``/u/<token>`` link in the footer and the RFC 8058
``List-Unsubscribe`` headers) puts the address on the site's suppression list for the
kind's list (:data:`OWNER_LIST`, :data:`VISITOR_LIST`); a suppressed address is
neither queued nor, if it unsubscribed meanwhile, mailed.

Sending (:func:`deliver_due`) works like the invitations' sender
(``invitation_delivery``): due rows are claimed (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), the claim committed, then mailed through the app's mailer with a
Message-ID made from the row (``<mail_x.reply@host>``), then the outcome recorded. A
transient failure is tried again after each of ``NOTIFICATION_RETRY_MINUTES`` (default:
``INVITATION_RETRY_MINUTES``), a permanent one gives up at once; a claim older than
``INVITATION_CLAIM_TIMEOUT`` (its worker died mid-send) is taken as sent, never mailed
twice. A message with nothing left to say (every counted item moderated meanwhile, the
answered item or the answer deleted, notices turned off) is dropped, unsent.

When it runs: without Redis right after the response of the request that queued a
message due now; with Redis, ``plaudit worker``'s poll (``WORKER_POLL_SECONDS``); and
``plaudit run-due`` from cron.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, after_this_request, current_app, g, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .. import cache, events
from ..config import number_list
from ..extensions import db
from ..ids import new_id
from ..mail import LOCALES, Mail, Outcome, attempt, mailer, public_url, render
from ..models import (
    ANNOUNCED_STAGES,
    IDEA_STAGES,
    STORE,
    Answer,
    Comment,
    Idea,
    Message,
    Question,
    Report,
    ReportStatus,
    Review,
    Site,
    Status,
)
from ..timeutil import utcnow
from . import manage, suppressions
from .sites import notify_address

log = logging.getLogger(__name__)

NEW_ITEMS = "new_items"  # Message.kind: to the shop, items wait in the queue
REPLY = "reply"  # Message.kind: to a visitor, the shop answered
MANAGE_LINK = "manage_link"  # Message.kind: to an author, the link to manage their item
REPORT_OUTCOME = "report_outcome"  # Message.kind: to a reporter, the shop's decision
QUESTION_INVITE = "question_invite"  # Message.kind: to a reviewer, help answer a question
ANSWER_PUBLISHED = "answer_published"  # Message.kind: to an asker, the first answer
IDEA_PROGRESS = "idea_progress"  # Message.kind: to voters and authors, planned or shipped
KINDS = (
    NEW_ITEMS,
    REPLY,
    MANAGE_LINK,
    REPORT_OUTCOME,
    QUESTION_INVITE,
    ANSWER_PUBLISHED,
    IDEA_PROGRESS,
)
# The suppression list each kind obeys: leaving one keeps the others.
OWNER_LIST = "new_items"
VISITOR_LIST = "replies"
MANAGE_LIST = "manage_link"  # no unsubscribe link leads here: see the module's docstring
REPORTS_LIST = "reports"
COMMUNITY_LIST = "community"  # invitations to answer other customers' questions
IDEAS_LIST = "ideas"  # news of the ideas one voted for or gave the feedback of
SUPPRESSION_LIST = {
    NEW_ITEMS: OWNER_LIST,
    REPLY: VISITOR_LIST,
    MANAGE_LINK: MANAGE_LIST,
    REPORT_OUTCOME: REPORTS_LIST,
    QUESTION_INVITE: COMMUNITY_LIST,
    ANSWER_PUBLISHED: VISITOR_LIST,  # like a reply: the visitor asked to hear of it
    IDEA_PROGRESS: IDEAS_LIST,
}

MODES = ("off", "instant", "daily")
DIGEST_EVERY = timedelta(days=1)
QUOTE_CHARS = 300  # how much of the visitor's own text the reply message quotes

_QUEUED = "plaudit.notifications.queued"  # session.info: sites with a new_items row queued
_MANAGE = "plaudit.notifications.manage"  # session.info: (site, address) -> its manage_link
_WAKE = "plaudit_notifications_wake"  # flask.g: this request sends after its response


@dataclass
class Tally:
    """What one run of :func:`deliver_due` did."""

    new_items: int = 0  # notices sent to shops (instant or digest)
    replies: int = 0  # answers told to visitors
    manage_links: int = 0  # manage links sent to authors
    report_outcomes: int = 0  # decisions told to reporters
    question_invites: int = 0  # customers asked to answer a question
    answers: int = 0  # askers told of the first answer
    idea_progress: int = 0  # voters and authors told an idea is planned or shipped
    dropped: int = 0  # nothing left to say, turned off or unsubscribed: not sent
    retrying: int = 0  # transient failures, due again later
    failed: int = 0  # given up
    taken_as_sent: int = 0  # stale claims (a worker died mid-send)

    @property
    def sent(self) -> int:
        return (
            self.new_items
            + self.replies
            + self.manage_links
            + self.report_outcomes
            + self.question_invites
            + self.answers
            + self.idea_progress
        )

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __str__(self) -> str:
        parts = [f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self)]
        return ", ".join(parts)


# ---------------------------------------------------------------- listening


def init_app(app: Flask) -> None:
    """Listen to the events that call for a notification (see the module's docstring)."""
    events.listen(app, "review.created", _review_created)
    events.listen(app, "review.updated", _review_updated)
    events.listen(app, "comment.created", _comment_created)
    events.listen(app, "report.created", _report_created)
    events.listen(app, "report.decided", _report_decided)


def _review_created(session: Session, site: Site, review: Review, extra: dict[str, Any]) -> None:
    if review.status == Status.PENDING:
        queue_new_items(session, site)
    queue_manage_link(session, site, review)


def _review_updated(session: Session, site: Site, review: Review, extra: dict[str, Any]) -> None:
    previous = extra.get("previous") or {}
    if "reply" in previous and review.reply_body:
        queue_reply(session, site, review)


def _comment_created(session: Session, site: Site, comment: Comment, extra: dict[str, Any]) -> None:
    if comment.is_owner:
        answered: Review | Comment | None = None
        if comment.parent_id is not None:
            answered = session.get(Comment, comment.parent_id)
        elif comment.review_id is not None:
            answered = session.get(Review, comment.review_id)
        if answered is not None:
            queue_reply(session, site, answered, answer=comment)
    else:
        if comment.status == Status.PENDING:
            queue_new_items(session, site)
        queue_manage_link(session, site, comment)


def _report_created(session: Session, site: Site, report: Report, extra: dict[str, Any]) -> None:
    queue_new_items(session, site)


def _report_decided(session: Session, site: Site, report: Report, extra: dict[str, Any]) -> None:
    queue_report_outcome(session, site, report)


def queue_new_items(session: Session, site: Site) -> Message | None:
    """An item of ``site`` now waits in the queue: with instant notices, make sure one
    message to the shop is due now (a burst of items shares one). Returns the row
    queued, or None (not instant, no address, unsubscribed, or one already waiting)."""
    if site.notify_new_items != "instant":
        return None
    queued: set[str] = session.info.setdefault(_QUEUED, set())
    if site.id in queued:
        return None
    address = notify_address(site)
    if not address or _suppressed(session, site.id, NEW_ITEMS, address):
        return None
    waiting = session.scalar(
        sa.select(Message.id)
        .where(
            Message.site_id == site.id,
            Message.kind == NEW_ITEMS,
            Message.due_at.is_not(None),
            Message.claimed_at.is_(None),  # one in flight has counted already
        )
        .limit(1)
    )
    queued.add(site.id)
    if waiting is not None:
        return None
    now = utcnow()
    message = Message(
        site_id=site.id,
        kind=NEW_ITEMS,
        email=address,
        locale=_locale(site.locale),
        data={},
        due_at=now,
        created_at=now,
    )
    session.add(message)
    send_soon()
    return message


def queue_reply(
    session: Session, site: Site, item: Review | Comment, *, answer: Comment | None = None
) -> Message | None:
    """The shop answered ``item`` (its reply to a review, or ``answer``, its comment):
    tell the author once if they asked to be told and gave an address that is not
    suppressed. Returns the row queued, or None."""
    if not item.notify or not item.author_email or item.reply_notified_at is not None:
        return None
    if isinstance(item, Comment) and item.is_owner:
        return None
    if _suppressed(session, site.id, REPLY, item.author_email):
        return None
    now = utcnow()
    model = type(item)
    # Conditional, so two answers committed at once still make one message.
    marked = session.execute(
        sa.update(model)
        .where(model.id == item.id, model.reply_notified_at.is_(None))
        .values(reply_notified_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(marked, "rowcount", 0) != 1:
        return None
    set_committed_value(item, "reply_notified_at", now)  # what the database says now
    data: dict[str, Any] = {"item": "review" if model is Review else "comment", "id": item.id}
    if answer is not None:
        data["answer_id"] = answer.id
    message = Message(
        site_id=site.id,
        kind=REPLY,
        email=item.author_email,
        locale=_locale(site.locale),
        data=data,
        due_at=now,
        created_at=now,
    )
    session.add(message)
    send_soon()
    return message


def queue_manage_link(session: Session, site: Site, item: Review | Comment) -> Message | None:
    """``item`` was just submitted: mail its author the link to manage it, if they gave
    an address (see the module's docstring for who is not mailed, and why). Items one
    transaction submits with one address share a message. Returns the row queued (or
    the one it joined), or None."""
    address = item.author_email
    if not address or item.source is not None or item.status == Status.SPAM:
        return None
    if isinstance(item, Comment) and item.is_owner:
        return None
    if _suppressed(session, site.id, MANAGE_LINK, address):
        return None
    entry = {"item": "review" if isinstance(item, Review) else "comment", "id": item.id}
    queued: dict[tuple[str, str], Message] = session.info.setdefault(_MANAGE, {})
    key = (site.id, address.strip().lower())
    message = queued.get(key)
    if message is None:
        now = utcnow()
        # The id first: the token of each link is derived from it (never stored).
        message = Message(
            id=new_id("mail"),
            site_id=site.id,
            kind=MANAGE_LINK,
            email=address,
            locale=_locale(site.locale),
            data={"items": []},
            due_at=now,
            created_at=now,
        )
        session.add(message)
        queued[key] = message
        send_soon()
    items = [*message.data["items"], entry]
    message.data = {**message.data, "items": items}  # a new dict: the JSON column sees it
    manage.issue(session, site, item, token=_manage_token(message.id, len(items) - 1))
    return message


def _manage_token(message_id: str, index: int) -> str:
    """The token of the ``index``-th link of a manage_link message: derived from the
    message's id (the first link's from the id alone), so it is rebuilt at send time."""
    return manage.mail_token(message_id if index == 0 else f"{message_id}.{index}")


def queue_report_outcome(session: Session, site: Site, report: Report) -> Message | None:
    """The shop decided ``report``: tell the reporter, if they gave an address that is
    not suppressed. Returns the row queued, or None."""
    if not report.email or _suppressed(session, site.id, REPORT_OUTCOME, report.email):
        return None
    now = utcnow()
    message = Message(
        site_id=site.id,
        kind=REPORT_OUTCOME,
        email=report.email,
        locale=_locale(report.locale),
        data={"report": report.id},
        due_at=now,
        created_at=now,
    )
    session.add(message)
    send_soon()
    return message


@sa_event.listens_for(Session, "after_commit")
def _forget_queued(session: Session) -> None:
    """A new transaction checks again (the message it saw may be sent by now). A
    savepoint's commit (``begin_nested``, which finding a product does) is not the end
    of the transaction: what it queued is still this transaction's."""
    if not session.in_nested_transaction():
        _forget(session)


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    """What was queued may be gone with the rollback (a savepoint's too)."""
    _forget(session)


def _forget(session: Session) -> None:
    session.info.pop(_QUEUED, None)
    session.info.pop(_MANAGE, None)


def _suppressed(session: Session, site_id: str, kind: str, email: str) -> bool:
    return bool(suppressions.suppressed(session, site_id, SUPPRESSION_LIST[kind], [email]))


def _locale(locale: str | None) -> str:
    return locale if locale in LOCALES else "en"


def send_soon() -> None:
    """Without Redis, in a request: send what is due right after the response (like
    ``invitation_delivery.send_soon``). With Redis the worker's poll sends it; outside
    a request (a job, the CLI) the next poll or ``plaudit run-due`` does."""
    if not has_request_context() or cache.store() is not None or g.get(_WAKE):
        return
    g.setdefault(_WAKE, True)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def _after(response: Response) -> Response:
        response.call_on_close(lambda: _run_in(app))
        return response


def _run_in(app: Flask) -> None:
    """After a response: nothing may escape into the WSGI server's ``close()``."""
    try:
        with app.app_context():
            deliver_due()
    except Exception:
        log.exception(
            "sending notifications after a request failed (the worker or "
            "`plaudit run-due` will try again)"
        )


# ---------------------------------------------------------------- running it


def deliver_due(limit: int | None = None) -> Tally:
    """Queue the daily digests that are due, then send every notification due when the
    run starts (at most ``limit``); returns what was done. Needs an app context.

    What falls due during the run (a retry) waits for the next run, so a run ends."""
    session = db.session
    at = utcnow()
    tally = Tally()
    budget = float(current_app.config["INVITATION_CLAIM_TIMEOUT"]) / 2
    batch = int(current_app.config["NOTIFICATION_BATCH"])
    try:
        queue_digests(session, at)
        while limit is None or tally.total < limit:
            size = batch if limit is None else min(batch, limit - tally.total)
            claimed, handled = _claim(session, at, size, tally)
            started = time.monotonic()
            for index, step in enumerate(claimed):
                if time.monotonic() - started > budget:
                    _release(session, claimed[index:])
                    return tally
                outcome = attempt(step.mail)
                _record(session, step, outcome, tally)
            if handled < size:
                break
    finally:
        session.rollback()
    return tally


def queue_digests(session: Session, now: datetime | None = None) -> int:
    """Queue one ``new_items`` digest for every ``daily`` site whose last notice is a
    day old or more and that has items waiting since; commits. Returns how many."""
    at = now or utcnow()
    since = sa.func.coalesce(Site.owner_notified_at, sa.literal(datetime(1970, 1, 1)))

    def waiting(model: type[Review] | type[Comment]) -> sa.Exists:
        return sa.exists().where(
            model.site_id == Site.id,
            model.status == Status.PENDING,
            model.created_at > since,
        )

    reported = sa.exists().where(
        Report.site_id == Site.id,
        Report.status == ReportStatus.OPEN,
        Report.created_at > since,
    )
    unsent = sa.exists().where(
        Message.site_id == Site.id, Message.kind == NEW_ITEMS, Message.due_at.is_not(None)
    )
    sites = list(
        session.scalars(
            sa.select(Site)
            .where(
                Site.notify_new_items == "daily",
                sa.func.coalesce(Site.owner_notified_at, Site.created_at) <= at - DIGEST_EVERY,
                sa.or_(waiting(Review), waiting(Comment), reported),
                ~unsent,
            )
            .with_for_update(skip_locked=True, of=Site)
        )
    )
    queued = 0
    for site in sites:
        address = notify_address(site)
        if not address or _suppressed(session, site.id, NEW_ITEMS, address):
            continue
        session.add(
            Message(
                site_id=site.id,
                kind=NEW_ITEMS,
                email=address,
                locale=_locale(site.locale),
                data={"digest": True},
                due_at=at,
                created_at=at,
            )
        )
        queued += 1
    session.commit()
    return queued


@dataclass(frozen=True)
class _Claimed:
    """One claimed message as plain values: mailed after the claim's commit."""

    id: str
    kind: str
    claimed_at: datetime
    mail: Mail


def _claim(session: Session, due: datetime, size: int, tally: Tally) -> tuple[list[_Claimed], int]:
    """Lock up to ``size`` messages due at ``due``, settle stale claims and messages
    with nothing to say, write the others' mail, claim them and commit."""
    now = utcnow()
    timeout = float(current_app.config["INVITATION_CLAIM_TIMEOUT"])
    rows = list(
        session.scalars(
            sa.select(Message)
            .where(
                Message.due_at <= due,
                sa.or_(
                    Message.claimed_at.is_(None),
                    Message.claimed_at < now - timedelta(seconds=timeout),
                ),
            )
            .order_by(Message.due_at, Message.id)
            .limit(size)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    if not rows:
        session.rollback()
        return [], 0
    claimed: list[_Claimed] = []
    for row in rows:
        if row.claimed_at is not None:
            log.warning(
                "notification %s was claimed at %s and never recorded (a worker stopped "
                "mid-send); taking it as sent, never sending it again",
                row.id,
                row.claimed_at.isoformat(),
            )
            row.sent_at, row.due_at, row.claimed_at = row.claimed_at, None, None
            tally.taken_as_sent += 1
            continue
        site = session.get(Site, row.site_id)
        mail = None if site is None else _write(session, row, site, now)
        if mail is None:
            row.due_at = None
            tally.dropped += 1
            continue
        row.claimed_at = now
        row.attempts += 1
        claimed.append(_Claimed(row.id, row.kind, now, mail))
    session.commit()
    return claimed, len(rows)


def _release(session: Session, steps: list[_Claimed]) -> None:
    """Give back claims not acted on (the run ran out of time): due again at once."""
    for step in steps:
        row = _locked_if_ours(session, step)
        if row is not None:
            row.claimed_at = None
            row.attempts = max(row.attempts - 1, 0)
    session.commit()


def _locked_if_ours(session: Session, step: _Claimed) -> Message | None:
    row = session.scalar(
        sa.select(Message)
        .where(Message.id == step.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or row.claimed_at != step.claimed_at:
        return None
    return row


def _record(session: Session, step: _Claimed, outcome: Outcome, tally: Tally) -> None:
    """What became of one claimed message. A crash before this leaves a claim behind:
    taken as sent later, never mailed twice."""
    row = _locked_if_ours(session, step)
    if row is None:
        session.commit()
        return
    now = utcnow()
    row.claimed_at = None
    if outcome.sent:
        row.sent_at, row.due_at, row.last_error = now, None, outcome.error
        counter = {
            NEW_ITEMS: "new_items",
            REPLY: "replies",
            MANAGE_LINK: "manage_links",
            REPORT_OUTCOME: "report_outcomes",
            QUESTION_INVITE: "question_invites",
            ANSWER_PUBLISHED: "answers",
            IDEA_PROGRESS: "idea_progress",
        }[step.kind]
        setattr(tally, counter, getattr(tally, counter) + 1)
    else:
        row.last_error = (outcome.error or "unknown error")[:300]
        retries = retry_minutes()
        if not outcome.permanent and row.attempts <= len(retries):
            row.due_at = now + timedelta(minutes=retries[row.attempts - 1])
            tally.retrying += 1
        else:
            row.due_at = None
            tally.failed += 1
    session.commit()


def retry_minutes() -> list[float]:
    """The waits before each new try: ``NOTIFICATION_RETRY_MINUTES`` if configured, else
    the invitations' ``INVITATION_RETRY_MINUTES``."""
    config = current_app.config
    return number_list(config["NOTIFICATION_RETRY_MINUTES"] or config["INVITATION_RETRY_MINUTES"])


# ---------------------------------------------------------------- the messages

PLURALS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "review": ("review", "reviews"),
        "comment": ("comment", "comments"),
        "report": ("new report", "new reports"),
    },
    "de": {
        "review": ("Bewertung", "Bewertungen"),
        "comment": ("Kommentar", "Kommentare"),
        "report": ("neue Meldung", "neue Meldungen"),
    },
    "fr": {
        "review": ("avis", "avis"),
        "comment": ("commentaire", "commentaires"),
        "report": ("nouveau signalement", "nouveaux signalements"),
    },
    "es": {
        "review": ("opinión", "opiniones"),
        "comment": ("comentario", "comentarios"),
        "report": ("denuncia nueva", "denuncias nuevas"),
    },
}

# Why a visitor reported an item (models.REPORT_REASONS), in the reporter's language.
REPORT_REASON_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "spam": "spam",
        "offensive": "offensive",
        "off_topic": "off topic",
        "personal_data": "personal data",
        "fake": "fake",
        "illegal": "illegal content",
        "other": "another reason",
    },
    "de": {
        "spam": "Spam",
        "offensive": "beleidigend",
        "off_topic": "am Thema vorbei",
        "personal_data": "persönliche Daten",
        "fake": "gefälscht",
        "illegal": "rechtswidrige Inhalte",
        "other": "ein anderer Grund",
    },
    "fr": {
        "spam": "spam",
        "offensive": "injurieux",
        "off_topic": "hors sujet",
        "personal_data": "données personnelles",
        "fake": "faux",
        "illegal": "contenu illicite",
        "other": "une autre raison",
    },
    "es": {
        "spam": "spam",
        "offensive": "ofensivo",
        "off_topic": "fuera de tema",
        "personal_data": "datos personales",
        "fake": "falso",
        "illegal": "contenido ilegal",
        "other": "otro motivo",
    },
}

# What the messages say, by language; the templates lay it out.
COPY: dict[str, dict[str, str]] = {
    "en": {
        "new_subject": "New items waiting for moderation at {shop}",
        "new_hello": "Hello,",
        "new_intro": "new items are waiting for your decision in the moderation queue of {shop}:",
        "new_button": "Open the moderation queue",
        "new_reason": "You get this message because this address hears of new items at "
        "{shop}. How often (at once, daily, never) is a setting of the site.",
        "reply_subject_review": "{shop} answered your review",
        "reply_subject_comment": "{shop} answered your comment",
        "hello_name": "Hello {name},",
        "reply_intro_review": "{shop} answered your review of {product}.",
        "reply_intro_comment": "{shop} answered your comment on {product}.",
        "you_wrote": "You wrote:",
        "they_answered": "{shop} answered:",
        "reply_reason": "You get this message because you asked to be told when {shop} "
        "answers. It is the only one about this item.",
        "store": "the shop",
        "manage_subject_review": "Your review at {shop}: your private link",
        "manage_subject_comment": "Your comment at {shop}: your private link",
        "manage_subject_many": "Your reviews at {shop}: your private links",
        "manage_intro_review": "thank you for your review of {product} at {shop}.",
        "manage_intro_comment": "thank you for your comment on {product} at {shop}.",
        "manage_intro_many": "thank you for your reviews at {shop}.",
        "manage_explain": "With this private link you can see whether it is published, "
        "change it, delete it, or download everything stored about it:",
        "manage_explain_many": "With these private links you can see whether each is "
        "published, change it, delete it, or download everything stored about it:",
        "manage_button": "Manage it",
        "manage_review": "Your review of {product}",
        "manage_comment": "Your comment on {product}",
        "manage_keep": "Keep this message to yourself: whoever has the link can change or "
        "delete what you wrote.",
        "manage_reason": "You get this message because this address was given with a "
        "submission at {shop}. It is the only one about it.",
        "outcome_subject": "Your report to {shop}: the decision",
        "outcome_intro_review": "you reported a review of {product} at {shop} ({reason}).",
        "outcome_intro_comment": "you reported a comment on {product} at {shop} ({reason}).",
        "outcome_intro_gone": "you reported an item at {shop} ({reason}).",
        "outcome_kept": "The shop looked at it and decided to keep it.",
        "outcome_removed": "The shop looked at it and removed it.",
        "outcome_note": "The shop's note:",
        "outcome_thanks": "Thank you for helping keep the reviews trustworthy.",
        "outcome_reason": "You get this message because you gave this address with your "
        "report to {shop}.",
        "invite_subject": "Can you help answer a question about {product}?",
        "invite_intro": "{asker} asked a question about {product} at {shop}. You reviewed "
        "it, so your experience can help:",
        "invite_button": "Answer the question",
        "invite_verified": "Your answer will show that you bought it from {shop}.",
        "invite_note": "Your answer is shown with your name. No account needed.",
        "invite_reason": "You get this message because you reviewed {product} at {shop}. "
        "You are asked at most once a week.",
        "answered_subject": "Your question about {product} has an answer",
        "answered_intro": "your question about {product} at {shop} has its first answer.",
        "you_asked": "You asked:",
        "answered_by": "{name} answered:",
        "answered_by_verified": "{name} (verified buyer) answered:",
        "answered_reason": "You get this message because you asked to be told when your "
        "question is answered. It is the only one about this question.",
        "idea_subject_planned": "You asked, we are building it: {title}",
        "idea_subject_shipped": "You asked, we built it: {title}",
        "idea_intro_planned": "an idea you asked for at {shop} is now planned:",
        "idea_intro_shipped": "an idea you asked for at {shop} has shipped:",
        "idea_note": "{shop}'s note:",
        "idea_thanks": "Thank you for telling {shop} what you need.",
        "idea_reason": "You get this message because you voted for this idea at {shop} or "
        "wrote the feedback it came from. It is the only one for this stage.",
    },
    "de": {
        "new_subject": "Neue Beiträge warten auf Freigabe bei {shop}",
        "new_hello": "Hallo,",
        "new_intro": "in der Moderationsliste von {shop} warten neue Beiträge auf Ihre "
        "Entscheidung:",
        "new_button": "Moderationsliste öffnen",
        "new_reason": "Sie erhalten diese Nachricht, weil diese Adresse über neue Beiträge "
        "bei {shop} informiert wird. Wie oft (sofort, täglich, nie), legen Sie in den "
        "Einstellungen der Website fest.",
        "reply_subject_review": "{shop} hat auf Ihre Bewertung geantwortet",
        "reply_subject_comment": "{shop} hat auf Ihren Kommentar geantwortet",
        "hello_name": "Hallo {name},",
        "reply_intro_review": "{shop} hat auf Ihre Bewertung von {product} geantwortet.",
        "reply_intro_comment": "{shop} hat auf Ihren Kommentar zu {product} geantwortet.",
        "you_wrote": "Sie schrieben:",
        "they_answered": "Antwort von {shop}:",
        "reply_reason": "Sie erhalten diese Nachricht, weil Sie benachrichtigt werden "
        "wollten, wenn {shop} antwortet. Es ist die einzige zu diesem Beitrag.",
        "store": "den Shop",
        "manage_subject_review": "Ihre Bewertung bei {shop}: Ihr persönlicher Link",
        "manage_subject_comment": "Ihr Kommentar bei {shop}: Ihr persönlicher Link",
        "manage_subject_many": "Ihre Bewertungen bei {shop}: Ihre persönlichen Links",
        "manage_intro_review": "vielen Dank für Ihre Bewertung von {product} bei {shop}.",
        "manage_intro_comment": "vielen Dank für Ihren Kommentar zu {product} bei {shop}.",
        "manage_intro_many": "vielen Dank für Ihre Bewertungen bei {shop}.",
        "manage_explain": "Mit diesem persönlichen Link sehen Sie, ob der Beitrag "
        "veröffentlicht ist, und können ihn ändern, löschen oder alles herunterladen, was "
        "dazu gespeichert ist:",
        "manage_explain_many": "Mit diesen persönlichen Links sehen Sie, ob die Beiträge "
        "veröffentlicht sind, und können sie ändern, löschen oder alles herunterladen, was "
        "dazu gespeichert ist:",
        "manage_button": "Beitrag verwalten",
        "manage_review": "Ihre Bewertung von {product}",
        "manage_comment": "Ihr Kommentar zu {product}",
        "manage_keep": "Geben Sie diese Nachricht nicht weiter: Wer den Link hat, kann Ihren "
        "Beitrag ändern oder löschen.",
        "manage_reason": "Sie erhalten diese Nachricht, weil diese Adresse bei einem Beitrag "
        "bei {shop} angegeben wurde. Es ist die einzige dazu.",
        "outcome_subject": "Ihre Meldung an {shop}: die Entscheidung",
        "outcome_intro_review": "Sie haben eine Bewertung von {product} bei {shop} gemeldet "
        "({reason}).",
        "outcome_intro_comment": "Sie haben einen Kommentar zu {product} bei {shop} gemeldet "
        "({reason}).",
        "outcome_intro_gone": "Sie haben einen Beitrag bei {shop} gemeldet ({reason}).",
        "outcome_kept": "Der Shop hat den Beitrag geprüft und beschlossen, ihn zu behalten.",
        "outcome_removed": "Der Shop hat den Beitrag geprüft und entfernt.",
        "outcome_note": "Anmerkung des Shops:",
        "outcome_thanks": "Vielen Dank, dass Sie helfen, die Bewertungen vertrauenswürdig zu "
        "halten.",
        "outcome_reason": "Sie erhalten diese Nachricht, weil Sie diese Adresse bei Ihrer "
        "Meldung an {shop} angegeben haben.",
        "invite_subject": "Können Sie eine Frage zu {product} beantworten?",
        "invite_intro": "{asker} hat bei {shop} eine Frage zu {product} gestellt. Sie haben "
        "den Artikel bewertet, Ihre Erfahrung kann also helfen:",
        "invite_button": "Frage beantworten",
        "invite_verified": "Ihre Antwort zeigt, dass Sie den Artikel bei {shop} gekauft haben.",
        "invite_note": "Ihre Antwort erscheint mit Ihrem Namen. Ein Konto ist nicht nötig.",
        "invite_reason": "Sie erhalten diese Nachricht, weil Sie {product} bei {shop} bewertet "
        "haben. Sie werden höchstens einmal pro Woche gefragt.",
        "answered_subject": "Ihre Frage zu {product} wurde beantwortet",
        "answered_intro": "Ihre Frage zu {product} bei {shop} hat die erste Antwort erhalten.",
        "you_asked": "Sie fragten:",
        "answered_by": "{name} antwortete:",
        "answered_by_verified": "{name} (verifizierter Kauf) antwortete:",
        "answered_reason": "Sie erhalten diese Nachricht, weil Sie benachrichtigt werden "
        "wollten, wenn Ihre Frage beantwortet wird. Es ist die einzige zu dieser Frage.",
        "idea_subject_planned": "Sie haben es sich gewünscht, wir setzen es um: {title}",
        "idea_subject_shipped": "Sie haben es sich gewünscht, wir haben es umgesetzt: {title}",
        "idea_intro_planned": "eine Idee, die Sie sich bei {shop} gewünscht haben, ist jetzt "
        "geplant:",
        "idea_intro_shipped": "eine Idee, die Sie sich bei {shop} gewünscht haben, ist jetzt "
        "umgesetzt:",
        "idea_note": "Anmerkung von {shop}:",
        "idea_thanks": "Danke, dass Sie {shop} sagen, was Sie brauchen.",
        "idea_reason": "Sie erhalten diese Nachricht, weil Sie bei {shop} für diese Idee "
        "gestimmt oder das Feedback geschrieben haben, aus dem sie entstand. Es ist die "
        "einzige zu diesem Schritt.",
    },
    "fr": {
        "new_subject": "Nouveaux contenus à modérer chez {shop}",
        "new_hello": "Bonjour,",
        "new_intro": "de nouveaux contenus attendent votre décision dans la file de "
        "modération de {shop} :",
        "new_button": "Ouvrir la file de modération",
        "new_reason": "Vous recevez ce message parce que cette adresse est prévenue des "
        "nouveaux contenus de {shop}. La fréquence (immédiate, quotidienne, jamais) se "
        "règle dans les paramètres du site.",
        "reply_subject_review": "{shop} a répondu à votre avis",
        "reply_subject_comment": "{shop} a répondu à votre commentaire",
        "hello_name": "Bonjour {name},",
        "reply_intro_review": "{shop} a répondu à votre avis sur {product}.",
        "reply_intro_comment": "{shop} a répondu à votre commentaire sur {product}.",
        "you_wrote": "Vous avez écrit :",
        "they_answered": "Réponse de {shop} :",
        "reply_reason": "Vous recevez ce message parce que vous avez demandé à être prévenu "
        "quand {shop} répond. C'est le seul à propos de ce contenu.",
        "store": "la boutique",
        "manage_subject_review": "Votre avis chez {shop} : votre lien personnel",
        "manage_subject_comment": "Votre commentaire chez {shop} : votre lien personnel",
        "manage_subject_many": "Vos avis chez {shop} : vos liens personnels",
        "manage_intro_review": "merci pour votre avis sur {product} chez {shop}.",
        "manage_intro_comment": "merci pour votre commentaire sur {product} chez {shop}.",
        "manage_intro_many": "merci pour vos avis chez {shop}.",
        "manage_explain": "Avec ce lien personnel, vous pouvez voir s'il est publié, le "
        "modifier, le supprimer ou télécharger tout ce qui est conservé à son sujet :",
        "manage_explain_many": "Avec ces liens personnels, vous pouvez voir si chacun est "
        "publié, le modifier, le supprimer ou télécharger tout ce qui est conservé à son "
        "sujet :",
        "manage_button": "Gérer",
        "manage_review": "Votre avis sur {product}",
        "manage_comment": "Votre commentaire sur {product}",
        "manage_keep": "Gardez ce message pour vous : quiconque a le lien peut modifier ou "
        "supprimer ce que vous avez écrit.",
        "manage_reason": "Vous recevez ce message parce que cette adresse a été indiquée avec "
        "une contribution chez {shop}. C'est le seul à ce sujet.",
        "outcome_subject": "Votre signalement à {shop} : la décision",
        "outcome_intro_review": "vous avez signalé un avis sur {product} chez {shop} ({reason}).",
        "outcome_intro_comment": "vous avez signalé un commentaire sur {product} chez {shop} "
        "({reason}).",
        "outcome_intro_gone": "vous avez signalé un contenu chez {shop} ({reason}).",
        "outcome_kept": "La boutique l'a examiné et a décidé de le conserver.",
        "outcome_removed": "La boutique l'a examiné et l'a retiré.",
        "outcome_note": "Note de la boutique :",
        "outcome_thanks": "Merci de nous aider à garder des avis dignes de confiance.",
        "outcome_reason": "Vous recevez ce message parce que vous avez indiqué cette adresse "
        "avec votre signalement à {shop}.",
        "invite_subject": "Pouvez-vous répondre à une question sur {product} ?",
        "invite_intro": "{asker} a posé une question sur {product} chez {shop}. Vous avez "
        "donné votre avis sur cet article, votre expérience peut donc aider :",
        "invite_button": "Répondre à la question",
        "invite_verified": "Votre réponse indiquera que vous l'avez acheté chez {shop}.",
        "invite_note": "Votre réponse est affichée avec votre nom. Aucun compte n'est nécessaire.",
        "invite_reason": "Vous recevez ce message parce que vous avez donné votre avis sur "
        "{product} chez {shop}. Cette demande vous est faite au plus une fois par semaine.",
        "answered_subject": "Votre question sur {product} a une réponse",
        "answered_intro": "votre question sur {product} chez {shop} a reçu sa première réponse.",
        "you_asked": "Vous avez demandé :",
        "answered_by": "{name} a répondu :",
        "answered_by_verified": "{name} (achat vérifié) a répondu :",
        "answered_reason": "Vous recevez ce message parce que vous avez demandé à être "
        "prévenu de la réponse à votre question. C'est le seul à son sujet.",
        "idea_subject_planned": "Vous l'avez demandé, nous le préparons : {title}",
        "idea_subject_shipped": "Vous l'avez demandé, nous l'avons fait : {title}",
        "idea_intro_planned": "une idée que vous avez demandée chez {shop} est maintenant prévue :",
        "idea_intro_shipped": "une idée que vous avez demandée chez {shop} est maintenant "
        "disponible :",
        "idea_note": "Note de {shop} :",
        "idea_thanks": "Merci de dire à {shop} ce dont vous avez besoin.",
        "idea_reason": "Vous recevez ce message parce que vous avez voté pour cette idée chez "
        "{shop} ou écrit l'avis dont elle est née. C'est le seul pour cette étape.",
    },
    "es": {
        "new_subject": "Nuevos contenidos pendientes de moderación en {shop}",
        "new_hello": "Hola:",
        "new_intro": "hay nuevos contenidos esperando tu decisión en la cola de moderación "
        "de {shop}:",
        "new_button": "Abrir la cola de moderación",
        "new_reason": "Recibes este mensaje porque esta dirección recibe avisos de nuevos "
        "contenidos de {shop}. La frecuencia (al momento, diaria, nunca) se ajusta en la "
        "configuración del sitio.",
        "reply_subject_review": "{shop} ha respondido a tu opinión",
        "reply_subject_comment": "{shop} ha respondido a tu comentario",
        "hello_name": "Hola, {name}:",
        "reply_intro_review": "{shop} ha respondido a tu opinión sobre {product}.",
        "reply_intro_comment": "{shop} ha respondido a tu comentario sobre {product}.",
        "you_wrote": "Escribiste:",
        "they_answered": "Respuesta de {shop}:",
        "reply_reason": "Recibes este mensaje porque pediste que te avisáramos cuando {shop} "
        "respondiera. Es el único sobre este contenido.",
        "store": "la tienda",
        "manage_subject_review": "Tu opinión en {shop}: tu enlace personal",
        "manage_subject_comment": "Tu comentario en {shop}: tu enlace personal",
        "manage_subject_many": "Tus opiniones en {shop}: tus enlaces personales",
        "manage_intro_review": "gracias por tu opinión sobre {product} en {shop}.",
        "manage_intro_comment": "gracias por tu comentario sobre {product} en {shop}.",
        "manage_intro_many": "gracias por tus opiniones en {shop}.",
        "manage_explain": "Con este enlace personal puedes ver si está publicado, cambiarlo, "
        "borrarlo o descargar todo lo que se guarda sobre él:",
        "manage_explain_many": "Con estos enlaces personales puedes ver si cada uno está "
        "publicado, cambiarlo, borrarlo o descargar todo lo que se guarda sobre él:",
        "manage_button": "Gestionar",
        "manage_review": "Tu opinión sobre {product}",
        "manage_comment": "Tu comentario sobre {product}",
        "manage_keep": "No compartas este mensaje: quien tenga el enlace puede cambiar o "
        "borrar lo que escribiste.",
        "manage_reason": "Recibes este mensaje porque esta dirección se indicó con una "
        "contribución en {shop}. Es el único sobre ella.",
        "outcome_subject": "Tu denuncia a {shop}: la decisión",
        "outcome_intro_review": "denunciaste una opinión sobre {product} en {shop} ({reason}).",
        "outcome_intro_comment": "denunciaste un comentario sobre {product} en {shop} ({reason}).",
        "outcome_intro_gone": "denunciaste un contenido en {shop} ({reason}).",
        "outcome_kept": "La tienda lo revisó y decidió mantenerlo.",
        "outcome_removed": "La tienda lo revisó y lo retiró.",
        "outcome_note": "Nota de la tienda:",
        "outcome_thanks": "Gracias por ayudar a que las opiniones sean fiables.",
        "outcome_reason": "Recibes este mensaje porque indicaste esta dirección en tu "
        "denuncia a {shop}.",
        "invite_subject": "¿Puedes ayudar a responder una pregunta sobre {product}?",
        "invite_intro": "{asker} ha hecho una pregunta sobre {product} en {shop}. Tú lo "
        "valoraste, así que tu experiencia puede ayudar:",
        "invite_button": "Responder a la pregunta",
        "invite_verified": "Tu respuesta mostrará que lo compraste en {shop}.",
        "invite_note": "Tu respuesta se muestra con tu nombre. No hace falta una cuenta.",
        "invite_reason": "Recibes este mensaje porque valoraste {product} en {shop}. Te lo "
        "pedimos como mucho una vez por semana.",
        "answered_subject": "Tu pregunta sobre {product} tiene respuesta",
        "answered_intro": "tu pregunta sobre {product} en {shop} ha recibido su primera respuesta.",
        "you_asked": "Preguntaste:",
        "answered_by": "{name} respondió:",
        "answered_by_verified": "{name} (compra verificada) respondió:",
        "answered_reason": "Recibes este mensaje porque pediste que te avisáramos cuando "
        "respondieran a tu pregunta. Es el único sobre ella.",
        "idea_subject_planned": "Lo pediste y lo vamos a hacer: {title}",
        "idea_subject_shipped": "Lo pediste y lo hemos hecho: {title}",
        "idea_intro_planned": "una idea que pediste en {shop} ya está planificada:",
        "idea_intro_shipped": "una idea que pediste en {shop} ya está disponible:",
        "idea_note": "Nota de {shop}:",
        "idea_thanks": "Gracias por contarle a {shop} lo que necesitas.",
        "idea_reason": "Recibes este mensaje porque votaste por esta idea en {shop} o "
        "escribiste la opinión de la que surgió. Es el único para esta etapa.",
    },
}


def message_id(row: Message) -> str:
    """The message's Message-ID: the same on every attempt."""
    return f"<{row.id}.{row.kind}@{mailer().domain}>"


def _write(session: Session, row: Message, site: Site, now: datetime) -> Mail | None:
    """The mail for ``row`` as things are now, or None when there is nothing to send."""
    if row.kind == NEW_ITEMS:
        return _new_items_mail(session, row, site, now)
    if row.kind == REPLY:
        return _reply_mail(session, row, site)
    if row.kind == MANAGE_LINK:
        return _manage_link_mail(session, row, site)
    if row.kind == REPORT_OUTCOME:
        return _report_outcome_mail(session, row, site)
    if row.kind == QUESTION_INVITE:
        return _question_invite_mail(session, row, site)
    if row.kind == ANSWER_PUBLISHED:
        return _answer_published_mail(session, row, site)
    if row.kind == IDEA_PROGRESS:
        return _idea_progress_mail(session, row, site)
    log.warning("notification %s has an unknown kind %r; dropped", row.id, row.kind)
    return None


def _count(n: int, word: str, locale: str) -> str:
    one, many = PLURALS[locale][word]
    return f"{n} {one if n == 1 else many}"


def _new_items_mail(session: Session, row: Message, site: Site, now: datetime) -> Mail | None:
    """Count what arrived since the last notice and still waits; move the notice mark.

    The site row is locked, so two workers claiming notices of one site take turns, and
    the second finds nothing new to tell."""
    if site.notify_new_items == "off":
        return None
    address = notify_address(site)
    if not address or _suppressed(session, site.id, NEW_ITEMS, address):
        return None
    session.scalar(
        sa.select(Site)
        .where(Site.id == site.id)
        .with_for_update()
        .execution_options(populate_existing=True)  # the mark as the database has it now
    )
    data = dict(row.data or {})
    if "since" not in data:  # the first attempt: from the last notice on
        mark = site.owner_notified_at
        data["since"] = None if mark is None else mark.isoformat()
    since = datetime.fromisoformat(data["since"]) if data["since"] else None
    counts = {}
    for word, model in (("review", Review), ("comment", Comment)):
        where = [model.site_id == site.id, model.status == Status.PENDING]
        if since is not None:
            where.append(model.created_at > since)
        counts[word] = session.scalar(sa.select(sa.func.count()).where(*where)) or 0
    reported = [Report.site_id == site.id, Report.status == ReportStatus.OPEN]
    if since is not None:
        reported.append(Report.created_at > since)
    counts["report"] = session.scalar(sa.select(sa.func.count()).where(*reported)) or 0
    if site.owner_notified_at is None or site.owner_notified_at < now:
        site.owner_notified_at = now
    row.data, row.email = data, address
    if not any(counts.values()):
        return None
    locale = _locale(row.locale)
    copy = COPY[locale]
    shop = site.name
    base = f"/admin/{site.slug}"
    queues = {
        "review": f"{base}/reviews?status=pending",
        "comment": f"{base}/comments?status=pending",
        "report": f"{base}/reports",
    }
    links = [
        {"label": _count(n, word, locale), "url": public_url(queues[word])}
        for word, n in counts.items()
        if n
    ]
    unsubscribe_url = suppressions.unsubscribe_url(site.id, address, OWNER_LIST)
    text, html = render(
        "notify_new_items",
        locale,
        greeting=copy["new_hello"],
        intro=copy["new_intro"].format(shop=shop),
        links=links,
        url=links[0]["url"],
        button=copy["new_button"],
        footer_note=copy["new_reason"].format(shop=shop),
        unsubscribe_url=unsubscribe_url,
    )
    return Mail(
        to=address,
        subject=copy["new_subject"].format(shop=shop),
        text=text,
        html=html,
        message_id=message_id(row),
        unsubscribe_url=unsubscribe_url,
        locale=locale,
    )


def _item(session: Session, site: Site, kind: str | None, item_id: Any) -> Review | Comment | None:
    """The site's review or comment ``item_id`` (``kind``: "review" or "comment")."""
    item: Review | Comment | None = (
        session.get(Review, item_id) if kind == "review" else session.get(Comment, item_id)
    )
    return item if item is not None and item.site_id == site.id else None


def _product_words(item: Review | Comment | Question, copy: dict[str, str]) -> str:
    product = item.product.external_id
    return copy["store"] if product == STORE else product


def _manage_link_mail(session: Session, row: Message, site: Site) -> Mail | None:
    """The links of the items still there, their tokens derived from the row's id again
    (never stored); nothing when every item is deleted or the address suppressed."""
    if _suppressed(session, site.id, MANAGE_LINK, row.email):
        return None
    locale = _locale(row.locale)
    copy = COPY[locale]
    shop = site.name
    found: list[tuple[str, Review | Comment, str]] = []
    for index, entry in enumerate((row.data or {}).get("items", [])):
        item = _item(session, site, entry.get("item"), entry.get("id"))
        if item is not None:
            url = manage.url_of(_manage_token(row.id, index))
            found.append((entry["item"], item, url))
    if not found:
        return None
    first_kind, first, url = found[0]
    if len(found) == 1:
        subject = copy[f"manage_subject_{first_kind}"].format(shop=shop)
        intro = copy[f"manage_intro_{first_kind}"]
        intro = intro.format(shop=shop, product=_product_words(first, copy))
        explain = copy["manage_explain"]
    else:
        subject = copy["manage_subject_many"].format(shop=shop)
        intro = copy["manage_intro_many"].format(shop=shop)
        explain = copy["manage_explain_many"]
    links = [
        {
            "label": copy[f"manage_{kind}"].format(product=_product_words(item, copy)),
            "url": link,
        }
        for kind, item, link in found
    ]
    text, html = render(
        "manage_link",
        locale,
        greeting=copy["hello_name"].format(name=first.author_name),
        intro=intro,
        explain=explain,
        links=links,
        url=url,
        button=copy["manage_button"],
        keep=copy["manage_keep"],
        footer_note=copy["manage_reason"].format(shop=shop),
    )
    # No List-Unsubscribe: the author's own request, like a password reset.
    return Mail(
        to=row.email,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id(row),
        locale=locale,
    )


def _report_outcome_mail(session: Session, row: Message, site: Site) -> Mail | None:
    """The decision as the report records it; the item named when it is still there."""
    report = session.get(Report, (row.data or {}).get("report"))
    if report is None or report.site_id != site.id or report.status == ReportStatus.OPEN:
        return None
    if _suppressed(session, site.id, REPORT_OUTCOME, row.email):
        return None
    locale = _locale(row.locale)
    copy = COPY[locale]
    shop = site.name
    reason = REPORT_REASON_WORDS[locale].get(report.reason, report.reason)
    item = _item(session, site, report.object_type, report.object_id)
    if item is None:
        intro = copy["outcome_intro_gone"].format(shop=shop, reason=reason)
    else:
        intro = copy[f"outcome_intro_{report.object_type}"].format(
            shop=shop, product=_product_words(item, copy), reason=reason
        )
    kept = report.status == ReportStatus.KEPT
    unsubscribe_url = suppressions.unsubscribe_url(site.id, row.email, REPORTS_LIST)
    text, html = render(
        "report_outcome",
        locale,
        greeting=copy["new_hello"],
        intro=intro,
        decision=copy["outcome_kept" if kept else "outcome_removed"],
        note_label=copy["outcome_note"],
        note=report.note,
        thanks=copy["outcome_thanks"],
        footer_note=copy["outcome_reason"].format(shop=shop),
        unsubscribe_url=unsubscribe_url,
    )
    return Mail(
        to=row.email,
        subject=copy["outcome_subject"].format(shop=shop),
        text=text,
        html=html,
        message_id=message_id(row),
        unsubscribe_url=unsubscribe_url,
        locale=locale,
    )


def _reply_mail(session: Session, row: Message, site: Site) -> Mail | None:
    """The answer as it stands: gone (the item, its reply, the answering comment) or
    the address unsubscribed meanwhile, nothing is sent."""
    data = row.data or {}
    item = _item(session, site, data.get("item"), data.get("id"))
    if item is None:
        return None
    if _suppressed(session, site.id, REPLY, row.email):
        return None
    answer_id = data.get("answer_id")
    if answer_id is None:
        answer = item.reply_body if isinstance(item, Review) else None
    else:
        comment = session.get(Comment, answer_id)
        answer = (
            comment.body if comment is not None and comment.status == Status.PUBLISHED else None
        )
    if not answer:
        return None
    locale = _locale(row.locale)
    copy = COPY[locale]
    shop = site.name
    product = _product_words(item, copy)
    kind = "review" if isinstance(item, Review) else "comment"
    quote = _quote(item.body)
    unsubscribe_url = suppressions.unsubscribe_url(site.id, row.email, VISITOR_LIST)
    text, html = render(
        "notify_reply",
        locale,
        greeting=copy["hello_name"].format(name=item.author_name),
        intro=copy[f"reply_intro_{kind}"].format(shop=shop, product=product),
        you_wrote=copy["you_wrote"],
        quote=quote,
        quoted=_quoted(quote),
        they_answered=copy["they_answered"].format(shop=shop),
        answer=answer,
        footer_note=copy["reply_reason"].format(shop=shop),
        unsubscribe_url=unsubscribe_url,
    )
    return Mail(
        to=row.email,
        subject=copy[f"reply_subject_{kind}"].format(shop=shop),
        text=text,
        html=html,
        message_id=message_id(row),
        unsubscribe_url=unsubscribe_url,
        locale=locale,
    )


def _quote(text: str) -> str:
    """The first ``QUOTE_CHARS`` of a person's text, to remind them of it."""
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rstrip() + "…"


def _quoted(text: str) -> str:
    """``text`` quoted for the plain-text part, each line after "> "."""
    return "\n".join(f"> {line}" for line in text.splitlines())


def answer_token(message_id: str) -> str:
    """The token of the answer link (``/q/<token>``) in ``question_invite`` message
    ``message_id``: the row's id, to find it, and an HMAC of it (the manage links' key,
    :func:`services.manage.mail_token`, on a name of its own), the capability. Derived,
    never stored: the row keeps only its hash (``services/community_mail.py``), and the
    mail is written from the id again at send time."""
    return f"{message_id}.{manage.mail_token(message_id + '.answer')}"


def answer_url(message_id: str) -> str:
    return public_url(f"/q/{answer_token(message_id)}")


def _question_invite_mail(session: Session, row: Message, site: Site) -> Mail | None:
    """The question as it stands, and the link to answer it; nothing once the question
    is no longer published or the address left the ``community`` list."""
    data = row.data or {}
    question = session.get(Question, data.get("question"))
    if question is None or question.site_id != site.id or question.status != Status.PUBLISHED:
        return None
    if _suppressed(session, site.id, QUESTION_INVITE, row.email):
        return None
    locale = _locale(row.locale)
    copy = COPY[locale]
    shop = site.name
    product = _product_words(question, copy)
    review = session.get(Review, data.get("review")) if data.get("review") else None
    verified = review is not None and review.verified_buyer
    name = review.author_name if review is not None else None
    url = answer_url(row.id)
    quote = _quote(question.body)
    unsubscribe_url = suppressions.unsubscribe_url(site.id, row.email, COMMUNITY_LIST)
    text, html = render(
        "question_invite",
        locale,
        greeting=copy["hello_name"].format(name=name) if name else copy["new_hello"],
        intro=copy["invite_intro"].format(asker=question.author_name, product=product, shop=shop),
        question=quote,
        quoted=_quoted(quote),
        url=url,
        button=copy["invite_button"],
        note=copy["invite_verified" if verified else "invite_note"].format(shop=shop),
        footer_note=copy["invite_reason"].format(product=product, shop=shop),
        unsubscribe_url=unsubscribe_url,
    )
    return Mail(
        to=row.email,
        subject=copy["invite_subject"].format(product=product),
        text=text,
        html=html,
        message_id=message_id(row),
        unsubscribe_url=unsubscribe_url,
        locale=locale,
    )


def _answer_published_mail(session: Session, row: Message, site: Site) -> Mail | None:
    """The question and its answer as they stand: either gone or unpublished meanwhile,
    or the address unsubscribed, nothing is sent."""
    data = row.data or {}
    question = session.get(Question, data.get("question"))
    answer = session.get(Answer, data.get("answer"))
    if question is None or question.site_id != site.id or question.status != Status.PUBLISHED:
        return None
    if answer is None or answer.question_id != question.id or answer.status != Status.PUBLISHED:
        return None
    if _suppressed(session, site.id, ANSWER_PUBLISHED, row.email):
        return None
    locale = _locale(row.locale)
    copy = COPY[locale]
    shop = site.name
    product = _product_words(question, copy)
    if answer.is_owner:
        answered_by = copy["they_answered"].format(shop=shop)
    elif answer.verified_buyer:
        answered_by = copy["answered_by_verified"].format(name=answer.author_name)
    else:
        answered_by = copy["answered_by"].format(name=answer.author_name)
    question_quote, answer_quote = _quote(question.body), _quote(answer.body)
    unsubscribe_url = suppressions.unsubscribe_url(site.id, row.email, VISITOR_LIST)
    text, html = render(
        "answer_published",
        locale,
        greeting=copy["hello_name"].format(name=question.author_name),
        intro=copy["answered_intro"].format(product=product, shop=shop),
        you_asked=copy["you_asked"],
        question=question_quote,
        quoted=_quoted(question_quote),
        answered_by=answered_by,
        answer=answer_quote,
        footer_note=copy["answered_reason"],
        unsubscribe_url=unsubscribe_url,
    )
    return Mail(
        to=row.email,
        subject=copy["answered_subject"].format(product=product),
        text=text,
        html=html,
        message_id=message_id(row),
        unsubscribe_url=unsubscribe_url,
        locale=locale,
    )


def _idea_progress_mail(session: Session, row: Message, site: Site) -> Mail | None:
    """The idea and the note of the stage it reached. Nothing when the idea is gone,
    unpublished (merged into another too), declined or moved back before the stage
    the message announces, or the address left the ``ideas`` list."""
    data = row.data or {}
    idea = session.get(Idea, data.get("idea"))
    stage = data.get("stage")
    if idea is None or idea.site_id != site.id or idea.status != Status.PUBLISHED:
        return None
    if stage not in ANNOUNCED_STAGES or idea.stage not in IDEA_STAGES or idea.stage == "declined":
        return None
    if IDEA_STAGES.index(idea.stage) < IDEA_STAGES.index(stage):
        return None
    if _suppressed(session, site.id, IDEA_PROGRESS, row.email):
        return None
    locale = _locale(row.locale)
    copy = COPY[locale]
    shop = site.name
    # The note as the shop has it now while the idea is at that stage; once it moved on,
    # the note that came with the stage.
    note = idea.stage_note if idea.stage == stage else data.get("note")
    name = data.get("name")
    unsubscribe_url = suppressions.unsubscribe_url(site.id, row.email, IDEAS_LIST)
    text, html = render(
        "idea_progress",
        locale,
        greeting=copy["hello_name"].format(name=name) if name else copy["new_hello"],
        intro=copy[f"idea_intro_{stage}"].format(shop=shop),
        title=idea.title,
        note_label=copy["idea_note"].format(shop=shop),
        note=note,
        thanks=copy["idea_thanks"].format(shop=shop),
        footer_note=copy["idea_reason"].format(shop=shop),
        unsubscribe_url=unsubscribe_url,
    )
    return Mail(
        to=row.email,
        subject=copy[f"idea_subject_{stage}"].format(title=idea.title),
        text=text,
        html=html,
        message_id=message_id(row),
        unsubscribe_url=unsubscribe_url,
        locale=locale,
    )


__all__ = [
    "ANSWER_PUBLISHED",
    "COMMUNITY_LIST",
    "COPY",
    "IDEAS_LIST",
    "IDEA_PROGRESS",
    "KINDS",
    "MANAGE_LINK",
    "MANAGE_LIST",
    "NEW_ITEMS",
    "OWNER_LIST",
    "QUESTION_INVITE",
    "REPLY",
    "REPORTS_LIST",
    "REPORT_OUTCOME",
    "REPORT_REASON_WORDS",
    "VISITOR_LIST",
    "Tally",
    "answer_token",
    "answer_url",
    "deliver_due",
    "init_app",
    "message_id",
    "queue_digests",
    "queue_manage_link",
    "queue_new_items",
    "queue_reply",
    "queue_report_outcome",
    "retry_minutes",
    "send_soon",
]
