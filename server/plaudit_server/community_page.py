"""The hosted answer page: ``/q/<token>``, the link of "ask the community".

A customer who reviewed a product is asked by e-mail to answer another customer's
question about it (``services/community_mail.py``); the link opens this page: the
question, and one form (the answer, the name it is shown with). It needs no script: the
form posts back to the same URL, and the answer is the page again with its errors (a
summary first, focused, linking to each field), or a redirect (303) to the same URL,
which from then on thanks them and says whether the answer is published or waits for
the shop's check. One answer per link.

The answer goes through the API's schema (``schemas.AnswerCreate``: its rules, limits
and messages, the messages translated as on the hosted review page) and
``services.community.answer``, with the invited address as the author's, as a verified
buyer's when the review that earned the invitation is one (so an answer from this page
is exactly the API's). The invitation's row is locked while the answer is saved, so two
posts at once give one answer.

The token is the capability (``community_mail.resolve_answer_link``: derived from the
message's id, stored hashed): a token this server did not send is a friendly 404; a link
older than ``community_mail.ANSWER_LINK_DAYS``, or whose question is no longer published,
a 410. Posts from another origin are refused as on the author's page
(``admin_ui.base.same_origin_forms_only``), and the pages send their referrer only to
this server (``same-origin``, as ``/r/`` and ``/m/`` do, for the same reason: our own
``Origin`` on the post, the token never on another site). Posts are rate limited like
submissions (the site's ``submissions_per_visitor`` and ``submissions_per_site``).
Pages are in the invitation's language, on the shared layout of public pages under the
strict CSP, ``no-store`` and ``noindex``. What customers wrote is text, never HTML
(Jinja's autoescape).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge

from .admin_ui.base import same_origin_forms_only
from .errors import Problem, retry_after_from_limiter
from .extensions import db, limiter
from .mail import LOCALES
from .models import STORE, Answer, Message, Question, Site, Status
from .review_page import TEXT as FORM_TEXT
from .review_page import _limit, _site_limit_key, translate
from .schemas import AnswerCreate
from .services import community, community_mail
from .unsubscribe import security_headers, visitor_locale
from .visitors import network_hash, visitor_hash

bp = Blueprint("community_page", __name__)

# An answer of 5000 characters and a name, percent-encoded UTF-8 at up to 9 bytes a
# character, with room to spare.
MAX_FORM_BYTES = 128 * 1024
FIELDS = ("body", "author_name")
# What a field says when it is left empty (the schema's words for it first).
_EMPTY_MESSAGES = {"Must not be empty.", "Missing data for required field."}
_EMPTY = {"body": "answer_missing", "author_name": "name_missing"}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Answer a question about {product}",
        "store": "the shop",
        "asked": "{asker} asked on {date}:",
        "intro": "You reviewed {product} at {shop}. Your experience can help another customer.",
        "verified": "Your answer will show that you bought it from {shop}.",
        "not_verified": "Your answer is shown with your name.",
        "answer": "Your answer",
        "answer_hint": "Share what you know from using it. Up to 5000 characters.",
        "answer_missing": "Write your answer.",
        "answer_name_hint": "Shown with your answer.",
        "send": "Send my answer",
        "thanks_title": "Thank you!",
        "thanks": "Thank you for helping another customer of {shop}.",
        "answer_published": "Your answer is published.",
        "answer_pending": "Your answer will appear after the shop's check.",
        "your_answer": "You answered:",
        "closed_title": "This question is closed",
        "closed": "This question is no longer shown at {shop}. Thank you all the same!",
        "expired_title": "This link has expired",
        "expired": "This link to answer a question is no longer open. Thank you all the same!",
        "unknown_title": "Link not valid",
        "unknown": "This link is not valid. Copy the whole link from the message.",
    },
    "de": {
        "title": "Beantworten Sie eine Frage zu {product}",
        "store": "den Shop",
        "asked": "{asker} fragte am {date}:",
        "intro": "Sie haben {product} bei {shop} bewertet. Ihre Erfahrung kann anderen"
        " Kundinnen und Kunden helfen.",
        "verified": "Ihre Antwort zeigt, dass Sie den Artikel bei {shop} gekauft haben.",
        "not_verified": "Ihre Antwort erscheint mit Ihrem Namen.",
        "answer": "Ihre Antwort",
        "answer_hint": "Erzählen Sie, was Sie aus eigener Erfahrung wissen. Höchstens 5000"
        " Zeichen.",
        "answer_missing": "Schreiben Sie Ihre Antwort.",
        "answer_name_hint": "Wird mit Ihrer Antwort angezeigt.",
        "send": "Antwort senden",
        "thanks_title": "Vielen Dank!",
        "thanks": "Vielen Dank, dass Sie einer anderen Kundin oder einem anderen Kunden von"
        " {shop} helfen.",
        "answer_published": "Ihre Antwort ist veröffentlicht.",
        "answer_pending": "Ihre Antwort erscheint nach der Prüfung durch den Shop.",
        "your_answer": "Ihre Antwort:",
        "closed_title": "Diese Frage ist geschlossen",
        "closed": "Diese Frage wird bei {shop} nicht mehr angezeigt. Trotzdem vielen Dank!",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired": "Über diesen Link kann die Frage nicht mehr beantwortet werden. Trotzdem"
        " vielen Dank!",
        "unknown_title": "Link ungültig",
        "unknown": "Dieser Link ist ungültig. Kopieren Sie den ganzen Link aus der E-Mail.",
    },
    "fr": {
        "title": "Répondez à une question sur {product}",
        "store": "la boutique",
        "asked": "{asker} a demandé le {date} :",
        "intro": "Vous avez donné votre avis sur {product} chez {shop}. Votre expérience peut"
        " aider un autre client.",
        "verified": "Votre réponse indiquera que vous l'avez acheté chez {shop}.",
        "not_verified": "Votre réponse est affichée avec votre nom.",
        "answer": "Votre réponse",
        "answer_hint": "Dites ce que vous savez par votre propre usage. 5000 caractères au"
        " maximum.",
        "answer_missing": "Écrivez votre réponse.",
        "answer_name_hint": "Affiché avec votre réponse.",
        "send": "Envoyer ma réponse",
        "thanks_title": "Merci !",
        "thanks": "Merci d'aider un autre client de {shop}.",
        "answer_published": "Votre réponse est publiée.",
        "answer_pending": "Votre réponse apparaîtra après la vérification de la boutique.",
        "your_answer": "Vous avez répondu :",
        "closed_title": "Cette question est fermée",
        "closed": "Cette question n'est plus affichée chez {shop}. Merci quand même !",
        "expired_title": "Ce lien a expiré",
        "expired": "Ce lien pour répondre à une question n'est plus ouvert. Merci quand même !",
        "unknown_title": "Lien non valide",
        "unknown": "Ce lien n'est pas valide. Copiez le lien complet depuis le message.",
    },
    "es": {
        "title": "Responde a una pregunta sobre {product}",
        "store": "la tienda",
        "asked": "{asker} preguntó el {date}:",
        "intro": "Valoraste {product} en {shop}. Tu experiencia puede ayudar a otro cliente.",
        "verified": "Tu respuesta mostrará que lo compraste en {shop}.",
        "not_verified": "Tu respuesta se muestra con tu nombre.",
        "answer": "Tu respuesta",
        "answer_hint": "Cuenta lo que sabes por tu propio uso. Como máximo 5000 caracteres.",
        "answer_missing": "Escribe tu respuesta.",
        "answer_name_hint": "Se muestra con tu respuesta.",
        "send": "Enviar mi respuesta",
        "thanks_title": "¡Gracias!",
        "thanks": "Gracias por ayudar a otro cliente de {shop}.",
        "answer_published": "Tu respuesta está publicada.",
        "answer_pending": "Tu respuesta aparecerá después de la revisión de la tienda.",
        "your_answer": "Respondiste:",
        "closed_title": "Esta pregunta está cerrada",
        "closed": "Esta pregunta ya no se muestra en {shop}. ¡Gracias de todos modos!",
        "expired_title": "Este enlace ha caducado",
        "expired": "Este enlace para responder a una pregunta ya no está abierto. ¡Gracias de"
        " todos modos!",
        "unknown_title": "Enlace no válido",
        "unknown": "Este enlace no es válido. Copia el enlace completo del mensaje.",
    },
}


def _words(
    locale: str, site: Site | None = None, question: Question | None = None
) -> dict[str, str]:
    """This page's words and the hosted review page's (errors, limits, foreign posts),
    with the shop's name and the product in them."""
    words = {**FORM_TEXT[locale], **TEXT[locale]}
    shop = site.name if site is not None else ""
    product = ""
    if question is not None:
        external_id = question.product.external_id
        product = words["store"] if external_id == STORE else external_id
    return {
        key: value.replace("{shop}", shop).replace("{product}", product)
        for key, value in words.items()
    }


def _locale(row: Message | None) -> str:
    """The invitation's language (its mail spoke it), else the visitor's."""
    if row is not None and row.locale in LOCALES:
        return row.locale
    return visitor_locale()


def _message(locale: str, key: str, status: int) -> tuple[str, int]:
    """A page that only says something (``key``'s title and text), with ``status``."""
    text = _words(locale, g.get("site"))
    page = render_template(
        "public/message.html",
        locale=locale,
        title=text[f"{key}_title"],
        message=text[key],
    )
    return page, status


@bp.before_request
def load_link() -> Any:
    """The link's site, invitation and question (``g.site`` also picks the site's own
    rate limits), or the friendly 404 page."""
    token = (request.view_args or {}).get("token", "")
    found = community_mail.resolve_answer_link(db.session, token)
    if found is None:
        return _message(visitor_locale(), "unknown", 404)
    g.site, g.row, g.question = found
    request.max_content_length = MAX_FORM_BYTES
    return None


@bp.after_request
def headers(response: Response) -> Response:
    """The public pages' CSP and headers, the referrer only to this server (see the
    module's docstring)."""
    security_headers(response)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.errorhandler(429)
def rate_limited(error: Exception) -> Any:
    page, status = _message(_locale(g.get("row")), "limited", 429)
    return page, status, {"Retry-After": str(retry_after_from_limiter())}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: Exception) -> Any:
    return _message(_locale(g.get("row")), "too_large", 413)


def _verified(row: Message) -> bool:
    """Whether the review that earned the invitation is a verified buyer's (now)."""
    review = community_mail.invited_review(db.session, row)
    return review is not None and review.verified_buyer


def _closed(state: str, locale: str) -> tuple[str, int] | None:
    """The 410 page of a link that can take no answer, else None."""
    if state in ("closed", "expired"):
        return _message(locale, state, 410)
    return None


def _render(
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The question and the form (with ``values`` and ``errors`` when a post came back)."""
    site: Site = g.site
    row: Message = g.row
    question: Question = g.question
    locale = _locale(row)
    text = _words(locale, site, question)
    errors = errors or {}
    review = community_mail.invited_review(db.session, row)
    if values is None:
        values = {"body": "", "author_name": review.author_name if review is not None else ""}
    page = render_template(
        "public/question.html",
        locale=locale,
        text=text,
        shop=site.name,
        question=question,
        asked=text["asked"].format(
            asker=question.author_name, date=question.created_at.strftime("%Y-%m-%d")
        ),
        verified=review is not None and review.verified_buyer,
        values=values,
        errors=errors,
        summary=[(f"answer-{key}", message) for key, message in errors.items()],
        token=token,
    )
    return page, status


def _thanks() -> tuple[str, int]:
    """The page of a link that gave its answer: thanks, and what became of it."""
    row: Message = g.row
    locale = _locale(row)
    text = _words(locale, g.site, g.question)
    answer_id = (row.data or {}).get("answer")
    answer = db.session.get(Answer, answer_id) if answer_id else None
    state = None
    if answer is not None:
        state = "answer_published" if answer.status == Status.PUBLISHED else "answer_pending"
    page = render_template(
        "public/question_thanks.html",
        locale=locale,
        text=text,
        answer=answer,
        state=state,
    )
    return page, 200


@bp.get("/q/<token>")
def show(token: str) -> Any:
    """The question and the form; the thanks once the link gave its answer."""
    row: Message = g.row
    locale = _locale(row)
    state = community_mail.link_state(row, g.question)
    if state == "answered":
        return _thanks()
    return _closed(state, locale) or _render(token)


def _load(values: dict[str, str], locale: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The form through the API's schema: the answer's fields, or the errors by field (in
    the form's order, translated as on the hosted review page)."""
    try:
        return AnswerCreate().load(dict(values)), {}
    except ma.ValidationError as error:
        messages: dict[str, Any] = error.normalized_messages()  # type: ignore[assignment]
    words = _words(locale)
    found = {}
    for key in FIELDS:
        if key in messages:
            texts = messages[key]
            first = str(texts[0] if isinstance(texts, list) else texts)
            if first in _EMPTY_MESSAGES:
                found[key] = words[_EMPTY[key]]
            else:
                found[key] = translate(first, locale, "body_missing")
    return None, found


def _locked_row(row: Message) -> Message:
    """The invitation's row again, locked while the answer is saved (two posts at once:
    the second waits, then finds the link answered)."""
    locked = db.session.scalar(
        sa.select(Message)
        .where(Message.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


@bp.post("/q/<token>")
@limiter.limit(_limit("submissions_per_visitor"))
@limiter.limit(_limit("submissions_per_site"), key_func=_site_limit_key)
def send_answer(token: str) -> Any:
    """Save the answer (a verified buyer's when the invitation came through one), or the
    page with its errors; a link that already answered shows its thanks."""
    row: Message = g.row
    locale = _locale(row)
    try:
        same_origin_forms_only()
    except Forbidden:
        return _message(locale, "foreign", 403)
    # A browser sends a text area's line breaks as CRLF; the API's text has LF.
    values = {key: request.form.get(key, "").replace("\r\n", "\n") for key in FIELDS}
    data, errors = _load(values, locale)
    if data is None:
        return _render(token, values=values, errors=errors, status=422)
    row = g.row = _locked_row(row)
    state = community_mail.link_state(row, g.question)
    if state == "answered":
        db.session.rollback()
        return redirect(url_for(".show", token=token), 303)
    closed = _closed(state, locale)
    if closed is not None:
        db.session.rollback()
        return closed
    try:
        created = community.answer(
            db.session,
            g.site,
            g.question.id,
            {**data, "author_email": row.email},
            visitor_hash=visitor_hash(),
            network_hash=network_hash(),
            verified=_verified(row),
        )
    except Problem as problem:
        db.session.rollback()
        if problem.status == 404:  # the question was unpublished in between
            return _message(locale, "closed", 410)
        raise
    community_mail.record_answer(row, created)
    db.session.commit()
    return redirect(url_for(".show", token=token), 303)
