"""Sending review requests: the mail at ``send_at``, one reminder, expiry, retries.

Every invitation with work ahead has a ``due_at``; :func:`deliver_due` does each due
invitation's one next step:

- ``scheduled``: the invitation mail; then ``sent``, due again for the reminder
  (``sent_at`` plus the site's ``invite_reminder_days``) or, without one, at expiry;
- ``sent``, not reminded: the reminder (skipped when the site has set reminders to 0
  since); then due at expiry;
- at or after ``expires_at`` and not reviewed: ``expired``, no mail;
- an address put on the suppression list meanwhile: ``unsubscribed``, no mail.

Nobody is mailed twice for the same step, whatever crashes or runs twice. A step is
claimed first: ``claimed_at`` (and ``attempts``) committed before the SMTP conversation,
by one worker only (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite has one writer at a
time, and the worker's transactions take the write lock first, see db.py). Only then is
the mail sent, with a Message-ID made from the invitation and the step
(``<inv_x.invite@host>``, ``.reminder``), so a copy can be matched to its invitation; the
outcome is recorded after. A claim older than ``INVITATION_CLAIM_TIMEOUT`` seconds
belongs to a worker that died between sending and recording: the mail may have gone
out, so the step is taken as done (with a warning in the log) and never sent again. An
SMTP answer lost after the whole message went out (``MailError.maybe_sent``) is taken as
sent for the same reason: one lost reminder is better than two mails.

A transient failure (no connection, a 4xx) is tried again after each of
``INVITATION_RETRY_MINUTES`` in turn, then the invitation is ``failed`` (``last_error``
says why); a permanent one (a 5xx) fails it at once. A reminder that cannot be sent is
given up, and the invitation stays ``sent``. A review that arrives while its mail is in
flight wins: recording the outcome never overwrites ``reviewed``.

When it runs: :func:`send_soon` after a request's commit (an RQ job with Redis, else
right after the response), ``plaudit worker`` every ``WORKER_POLL_SECONDS``, and
``plaudit run-due`` from cron. A batch of ``INVITATION_BATCH`` mails goes over the one
SMTP connection the mailer keeps per thread.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from flask import Flask, Response, after_this_request, current_app
from sqlalchemy.orm import Session

from .. import cache, jobs
from ..config import number_list
from ..extensions import db
from ..mail import LOCALES, Mail, Outcome, attempt, mailer, render
from ..models import Invitation, InvitationStatus, Site
from ..timeutil import utcnow
from . import suppressions
from .invitations import SUPPRESSION_KIND, url_of

log = logging.getLogger(__name__)

# A claim older than this (seconds) is a worker that died mid-step: taken as sent.
# Outcomes are written every RECORD_EVERY mails or RECORD_AFTER seconds.
RECORD_EVERY = 50
RECORD_AFTER = 1.0
# RQ job id: requests that find mail due at once share one queued run.
JOB_ID = "invitations-due"

Step = Literal["invite", "reminder"]


@dataclass
class Tally:
    """What one run did, by kind of step."""

    invited: int = 0  # invitation mails sent
    reminded: int = 0  # reminders sent
    expired: int = 0
    unsubscribed: int = 0
    retrying: int = 0  # transient failures, due again later
    failed: int = 0  # given up (permanent failure or out of retries)
    taken_as_sent: int = 0  # stale claims (a worker died mid-step)

    @property
    def mailed(self) -> int:
        return self.invited + self.reminded

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __str__(self) -> str:
        parts = [f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self)]
        return ", ".join(parts)


@dataclass(frozen=True)
class _Claimed:
    """One claimed step, as plain values: mailed after the claim's commit, with no
    transaction (and, on SQLite, no write lock) held through the SMTP conversation."""

    id: str
    step: Step
    claimed_at: datetime
    mail: Mail


# ---------------------------------------------------------------- running it


def deliver_due(now: datetime | None = None, limit: int | None = None) -> Tally:
    """Do the next step of every invitation due at ``now`` (default: the time the run
    starts), at most ``limit`` steps; returns what was done. Needs an app context.

    What falls due during the run (a retry, a reminder) waits for the next run, so a
    run always ends.
    """
    session = db.session
    at = now or utcnow()
    config = current_app.config
    batch = int(config["INVITATION_BATCH"])
    budget = float(config["INVITATION_CLAIM_TIMEOUT"]) / 2
    tally = Tally()
    try:
        while limit is None or tally.total < limit:
            size = batch if limit is None else min(batch, limit - tally.total)
            claimed, handled = _claim(session, at, now or utcnow(), size, tally)
            started = recorded = time.monotonic()
            done: list[tuple[_Claimed, Outcome, datetime]] = []
            for index, step in enumerate(claimed):
                if time.monotonic() - started > budget:
                    # Stop well before these claims could pass for stale ones.
                    _record(session, done, tally)
                    _release(session, claimed[index:])
                    return tally
                done.append((step, attempt(step.mail), now or utcnow()))
                if len(done) >= RECORD_EVERY or time.monotonic() - recorded > RECORD_AFTER:
                    _record(session, done, tally)
                    done, recorded = [], time.monotonic()
            _record(session, done, tally)
            if handled < size:
                break  # nothing more was due
    finally:
        session.rollback()
    return tally


def send_soon() -> None:
    """Have due mail sent right after this request's commit: an RQ job with Redis (the
    worker runs it), else after this response has gone out (:meth:`call_on_close`),
    as the contract's "Mail and links" says. Call it from a view, before returning."""
    if cache.store() is not None:
        jobs.enqueue(run_due_job, job_id=JOB_ID)
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def _after(response: Response) -> Response:
        response.call_on_close(lambda: _run_in(app))
        return response


def due_now(created: Sequence[Invitation]) -> bool:
    """Whether any of these just-created invitations is to be mailed now (the others
    wait for the worker's poll or cron)."""
    now = utcnow()
    return any(i.due_at is not None and i.due_at <= now for i in created)


def run_due_job() -> None:
    """The RQ job :func:`send_soon` queues (run inside the worker's app context)."""
    deliver_due()


def _run_in(app: Flask) -> None:
    """After a response: nothing may escape into the WSGI server's ``close()``."""
    try:
        with app.app_context():
            deliver_due()
    except Exception:
        log.exception(
            "sending due invitations after a request failed (the worker or "
            "`plaudit run-due` will try again)"
        )


# ---------------------------------------------------------------- claiming


def _claim(
    session: Session, due: datetime, now: datetime, size: int, tally: Tally
) -> tuple[list[_Claimed], int]:
    """Lock up to ``size`` invitations due at ``due``, settle those that need no mail,
    claim the others' steps at ``now`` (the clock, not the run's start: a long run's
    claims must not look stale), and commit. Returns the claimed steps and how many
    rows it handled."""
    config = current_app.config
    timeout = float(config["INVITATION_CLAIM_TIMEOUT"])
    stale_before = now - timedelta(seconds=timeout)
    rows = list(
        session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.due_at <= due,
                sa.or_(Invitation.claimed_at.is_(None), Invitation.claimed_at < stale_before),
            )
            .order_by(Invitation.due_at)
            .limit(size)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    if not rows:
        session.rollback()
        return [], 0
    site_ids = {row.site_id for row in rows}
    found = session.scalars(sa.select(Site).where(Site.id.in_(site_ids)))
    site_of = {site.id: site for site in found}
    emails: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        emails[row.site_id].append(row.email)
    suppressed = {
        site_id: suppressions.suppressed(session, site_id, SUPPRESSION_KIND, addresses)
        for site_id, addresses in emails.items()
    }
    claimed: list[tuple[Invitation, Step, Site]] = []
    for row in rows:
        site = site_of[row.site_id]
        step = _next_step(row, site)
        if row.status not in (InvitationStatus.SCHEDULED, InvitationStatus.SENT):
            row.due_at = None  # nothing left to do with it
        elif row.claimed_at is not None:
            log.warning(
                "invitation %s: its %s was claimed at %s and never recorded (a worker "
                "stopped mid-step); taking it as sent, never sending it again",
                row.id,
                step or "step",
                row.claimed_at.isoformat(),
            )
            _settled(row, step, site, row.claimed_at)
            tally.taken_as_sent += 1
        elif now >= row.expires_at:
            row.status, row.due_at = InvitationStatus.EXPIRED, None
            tally.expired += 1
        elif row.email.strip().lower() in suppressed[row.site_id]:
            row.status, row.due_at = InvitationStatus.UNSUBSCRIBED, None
            tally.unsubscribed += 1
        elif step is None:
            row.due_at = row.expires_at  # reminded (or reminders off): expiry is next
        else:
            row.claimed_at = now
            row.attempts += 1
            claimed.append((row, step, site))
        row.updated_at = now
    steps = [_Claimed(row.id, step, now, _mail(row, step, site)) for row, step, site in claimed]
    session.commit()
    return steps, len(rows)


def _next_step(row: Invitation, site: Site) -> Step | None:
    if row.status == InvitationStatus.SCHEDULED:
        return "invite"
    if (
        row.status == InvitationStatus.SENT
        and row.reminded_at is None
        and site.invite_reminder_days > 0
    ):
        return "reminder"
    return None


def _release(session: Session, steps: Sequence[_Claimed]) -> None:
    """Give back claims not acted on (this run ran out of time): due again at once."""
    for step in steps:
        row = _locked_if_ours(session, step)
        if row is not None:
            row.claimed_at = None
            row.attempts = max(row.attempts - 1, 0)
    session.commit()


def _locked_if_ours(session: Session, step: _Claimed) -> Invitation | None:
    """The invitation, locked, if it still carries this run's claim (a worker that
    took over a stale claim has settled it otherwise)."""
    row = session.scalar(
        sa.select(Invitation)
        .where(Invitation.id == step.id)
        .with_for_update()
        .execution_options(populate_existing=True)  # what the database says now
    )
    if row is None or row.claimed_at != step.claimed_at:
        return None
    return row


# ---------------------------------------------------------------- sending, recording


def _record(
    session: Session, done: Sequence[tuple[_Claimed, Outcome, datetime]], tally: Tally
) -> None:
    """Write what became of claimed steps, a few dozen mails in one short transaction
    (one round trip per mail would cost more than the mail). A crash before this is a
    claim left behind: taken as sent later, never sent again."""
    if not done:
        return
    rows = {
        row.id: row
        for row in session.scalars(
            sa.select(Invitation)
            .where(Invitation.id.in_([step.id for step, _, _ in done]))
            .order_by(Invitation.id)
            .with_for_update()
            .execution_options(populate_existing=True)  # what the database says now
        )
    }
    for step, outcome, at in done:
        row = rows.get(step.id)
        if row is None or row.claimed_at != step.claimed_at:
            continue  # settled by a worker that took over a stale claim
        site = session.get(Site, row.site_id)
        assert site is not None
        _apply(row, site, step.step, outcome, at, tally)
    session.commit()


def _apply(
    row: Invitation, site: Site, step: Step, outcome: Outcome, at: datetime, tally: Tally
) -> None:
    row.claimed_at = None
    row.updated_at = at
    if outcome.sent:
        _settled(row, step, site, at)
        row.attempts = 0
        row.last_error = outcome.error
        if step == "invite":
            tally.invited += 1
        else:
            tally.reminded += 1
        return
    row.last_error = (outcome.error or "unknown error")[:300]
    retries = _retry_minutes()
    waiting = InvitationStatus.SCHEDULED if step == "invite" else InvitationStatus.SENT
    still_waiting = row.status == waiting  # not reviewed meanwhile
    if not outcome.permanent and row.attempts <= len(retries):
        if still_waiting:
            row.due_at = at + timedelta(minutes=retries[row.attempts - 1])
        tally.retrying += 1
    else:
        if still_waiting:
            _give_up(row, step)
        tally.failed += 1


def _settled(row: Invitation, step: Step | None, site: Site, at: datetime) -> None:
    """Record ``step`` as done at ``at``; a review meanwhile keeps ``reviewed`` (and its
    empty ``due_at``)."""
    row.claimed_at = None
    if step == "invite":
        row.sent_at = at
        if row.status == InvitationStatus.SCHEDULED:
            row.status = InvitationStatus.SENT
            reminder = at + timedelta(days=site.invite_reminder_days)
            remind = site.invite_reminder_days > 0 and reminder < row.expires_at
            row.due_at = reminder if remind else row.expires_at
    elif step == "reminder":
        row.reminded_at = at
        if row.status == InvitationStatus.SENT:
            row.due_at = row.expires_at


def _give_up(row: Invitation, step: Step) -> None:
    """No more tries: the invitation failed; a reminder is dropped, the invitation stays
    ``sent`` (its first mail arrived) until it expires."""
    row.attempts = 0
    if step == "invite":
        row.status, row.due_at = InvitationStatus.FAILED, None
    else:
        row.due_at = row.expires_at


def _retry_minutes() -> list[float]:
    return number_list(current_app.config["INVITATION_RETRY_MINUTES"])


# ---------------------------------------------------------------- the message

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
}

# What the invitation and its reminder say, by language. ``{shop}``, ``{name}``,
# ``{product}`` and ``{date}`` are filled in; the templates lay it out.
COPY: dict[str, dict[str, str]] = {
    "en": {
        "subject": "How do you like your order from {shop}?",
        "reminder_subject": "A reminder: how do you like your order from {shop}?",
        "hello_name": "Hello {name},",
        "hello": "Hello,",
        "intro": "thank you for your order at {shop}. Would you tell other customers what "
        "you think of it? It takes a minute, and every review helps.",
        "reminder_intro": "a few days ago we asked what you think of your order from {shop}. "
        "If you have a minute now, your review helps other customers choose.",
        "products": "Rate what you bought:",
        "product": "Review {product}",
        "store": "Rate {shop} itself: delivery, service, the whole experience",
        "button": "Write your review",
        "expires": "The links work until {date}.",
        "reason": "You get this message because you ordered from {shop}.",
    },
    "de": {
        "subject": "Wie gefällt Ihnen Ihre Bestellung bei {shop}?",
        "reminder_subject": "Eine Erinnerung: Wie gefällt Ihnen Ihre Bestellung bei {shop}?",
        "hello_name": "Hallo {name},",
        "hello": "Hallo,",
        "intro": "vielen Dank für Ihre Bestellung bei {shop}. Möchten Sie anderen Kundinnen "
        "und Kunden sagen, wie sie Ihnen gefällt? Es dauert nur eine Minute, und jede "
        "Bewertung hilft.",
        "reminder_intro": "vor ein paar Tagen haben wir Sie gefragt, wie Ihnen Ihre "
        "Bestellung bei {shop} gefällt. Wenn Sie jetzt eine Minute Zeit haben, hilft Ihre "
        "Bewertung anderen bei der Wahl.",
        "products": "Bewerten Sie, was Sie gekauft haben:",
        "product": "{product} bewerten",
        "store": "{shop} selbst bewerten: Lieferung, Service, der ganze Einkauf",
        "button": "Bewertung schreiben",
        "expires": "Die Links gelten bis zum {date}.",
        "reason": "Sie erhalten diese Nachricht, weil Sie bei {shop} bestellt haben.",
    },
    "fr": {
        "subject": "Que pensez-vous de votre commande chez {shop} ?",
        "reminder_subject": "Petit rappel : que pensez-vous de votre commande chez {shop} ?",
        "hello_name": "Bonjour {name},",
        "hello": "Bonjour,",
        "intro": "merci pour votre commande chez {shop}. Voulez-vous dire aux autres clients "
        "ce que vous en pensez ? Cela prend une minute, et chaque avis compte.",
        "reminder_intro": "il y a quelques jours, nous vous demandions ce que vous pensez de "
        "votre commande chez {shop}. Si vous avez une minute, votre avis aide les autres "
        "clients à choisir.",
        "products": "Évaluez vos achats :",
        "colon": " :",
        "product": "Donner mon avis sur {product}",
        "store": "Évaluer {shop} : livraison, service, l'expérience d'achat",
        "button": "Donner mon avis",
        "expires": "Les liens sont valables jusqu'au {date}.",
        "reason": "Vous recevez ce message parce que vous avez commandé chez {shop}.",
    },
    "es": {
        "subject": "¿Qué te parece tu pedido de {shop}?",
        "reminder_subject": "Un recordatorio: ¿qué te parece tu pedido de {shop}?",
        "hello_name": "Hola, {name}:",
        "hello": "Hola:",
        "intro": "gracias por tu pedido en {shop}. ¿Nos cuentas qué te parece para ayudar a "
        "otros clientes? Solo lleva un minuto, y cada opinión cuenta.",
        "reminder_intro": "hace unos días te preguntamos qué te parece tu pedido de {shop}. "
        "Si ahora tienes un minuto, tu opinión ayuda a otros clientes a elegir.",
        "products": "Valora lo que compraste:",
        "product": "Valorar {product}",
        "store": "Valorar {shop}: envío, atención, la experiencia de compra",
        "button": "Escribir mi opinión",
        "expires": "Los enlaces funcionan hasta el {date}.",
        "reason": "Recibes este mensaje porque hiciste un pedido en {shop}.",
    },
}


def format_date(value: datetime, locale: str) -> str:
    """A date as people write it in ``locale`` (no Babel for four languages)."""
    month = MONTHS.get(locale, MONTHS["en"]).split()[value.month - 1]
    if locale == "de":
        return f"{value.day}. {month} {value.year}"
    if locale == "fr":
        return f"{'1er' if value.day == 1 else value.day} {month} {value.year}"
    if locale == "es":
        return f"{value.day} de {month} de {value.year}"
    return f"{month} {value.day}, {value.year}"


def message_id(invitation_id: str, step: Step) -> str:
    """The step's Message-ID: the same on every attempt, so copies can be matched."""
    return f"<{invitation_id}.{step}@{mailer().domain}>"


def _mail(row: Invitation, step: Step, site: Site) -> Mail:
    locale = row.locale if row.locale in LOCALES else "en"
    copy = COPY[locale]
    shop = site.name
    url = url_of(row)
    links = [
        {"label": copy["product"].format(product=product), "url": f"{url}#product-{n}"}
        for n, product in enumerate(row.products, start=1)
    ]
    if row.store_review:
        links.append({"label": copy["store"].format(shop=shop), "url": f"{url}#store"})
    unsubscribe_url = suppressions.unsubscribe_url(site.id, row.email, SUPPRESSION_KIND)
    context: dict[str, Any] = {
        "step": step,
        "shop": shop,
        "greeting": copy["hello_name"].format(name=row.name) if row.name else copy["hello"],
        "intro": copy["reminder_intro" if step == "reminder" else "intro"].format(shop=shop),
        "products_heading": copy["products"],
        "colon": copy.get("colon", ":"),
        "links": links,
        "url": url,
        "button": copy["button"],
        "expires": copy["expires"].format(date=format_date(row.expires_at, locale)),
        "footer_note": copy["reason"].format(shop=shop),
        "unsubscribe_url": unsubscribe_url,
    }
    text, html = render("invitation", locale, **context)
    subject = copy["reminder_subject" if step == "reminder" else "subject"].format(shop=shop)
    return Mail(
        to=row.email,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id(row.id, step),
        unsubscribe_url=unsubscribe_url,
        locale=locale,
    )


__all__ = [
    "COPY",
    "Tally",
    "deliver_due",
    "due_now",
    "format_date",
    "message_id",
    "run_due_job",
    "send_soon",
]
