"""The author's page: ``/m/<token>``, the link a submission's ``manage_url`` and mail give.

One page per review or comment, for the person who wrote it: what is stored, its status
in plain words (waiting for the shop's check; published; not published, with the
reason in words and the shop's note), and what they may do with it, each a plain form
that posts back here (no script needed):

- change it (``POST /m/<token>/edit``): the fields its submission took, through the
  API's own schema (``schemas.MinePatch``, as ``PATCH /api/v1/mine``), its messages
  translated as on the hosted review page; the change goes back through the shop's
  check. A form that fails validation changes nothing and comes back with its errors
  next to the fields.
- delete it for good: ``GET /m/<token>/delete`` only asks (mail scanners follow links),
  its button posts to the same URL; the link answers 410 from then on.
- download everything stored about it as JSON (``GET /m/<token>/export``, an attachment).
- appeal a rejection once, with a message (``POST /m/<token>/appeal``; only offered
  while ``manage.status_of(item)["can_appeal"]``; a second appeal is a 409 page).

The token is the capability (``services/manage.py``: unguessable, stored hashed, scoped
to one item): unknown tokens get a friendly 404 page, expired ones and those of deleted
items a 410. There is no CSRF token; a post from another origin is refused as on the
admin page (``admin_ui.base.same_origin_forms_only``: ``Sec-Fetch-Site``, else
``Origin``). The pages send their referrer only to this server (``same-origin``, as
``/r/`` does), not ``no-referrer``: under ``no-referrer`` a browser posts ``Origin:
null``, and Chromium sends no ``Sec-Fetch-Site`` to a plain-http origin, so the page's
own forms would be refused there; the token still never reaches another site. Posts
are rate limited like submissions: the site's ``manage_per_visitor`` (as
``/api/v1/mine``) and ``submissions_per_site``. Pages are in the site's language (an
unknown token's in the visitor's), on the shared layout of public pages under the same
strict CSP, ``no-store`` and ``noindex``. What the author wrote is shown as text, never
as HTML (Jinja's autoescape).
"""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge

from .admin_ui.base import same_origin_forms_only
from .errors import Problem, retry_after_from_limiter
from .extensions import db, limiter
from .mail import LOCALES
from .models import STORE, Comment, Review, Site
from .review_page import TEXT as FORM_TEXT
from .review_page import _limit, _site_limit_key, _stars, translate
from .schemas import AppealBody, MinePatch
from .services import audit, manage
from .unsubscribe import security_headers, visitor_locale

bp = Blueprint("manage_page", __name__)

# A review's text (5000 characters) and an appeal (2000), percent-encoded UTF-8 at up to
# 9 bytes a character, with room to spare.
MAX_FORM_BYTES = 256 * 1024
STARS = (1, 2, 3, 4, 5)
APPEAL_MAX = 2000

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title_review": "Your review of {product}",
        "title_store": "Your review of {shop}",
        "title_comment": "Your comment on {product}",
        "status": "Status",
        "pending": "Waiting for the shop's check",
        "pending_explain": "It is shown once the shop has checked it.",
        "published": "Published",
        "published_explain": "Everyone can read it on the shop's pages.",
        "rejected": "Not published: {reason}.",
        "note": "The shop's note:",
        "appealed": "You asked the shop to look again. Your message:",
        "stored": "What you wrote",
        "written": "Written on",
        "edit": "Change it",
        "edit_explain": "Your edit goes back through the shop's check, as when you first sent it.",
        "comment_body": "Your comment",
        "name_hint": "Shown with what you wrote.",
        "save": "Save changes",
        "appeal": "Ask the shop to look again",
        "appeal_explain": "If you think this decision is wrong, tell the shop why. You can do"
        " this once; the shop then decides again.",
        "appeal_label": "Your message to the shop",
        "appeal_hint": "Up to 2000 characters.",
        "appeal_send": "Send my appeal",
        "appeal_missing": "Write a few words to the shop.",
        "data": "Your data",
        "export_explain": "Everything stored about it, as a JSON file.",
        "export": "Download my data (JSON)",
        "delete": "Delete it",
        "delete_explain": "It disappears from the shop's pages at once and cannot be brought back.",
        "delete_link": "Delete for good…",
        "confirm_review": "Delete your review for good?",
        "confirm_comment": "Delete your comment for good?",
        "confirm_explain": "This cannot be undone. It disappears from {shop}'s pages at once,"
        " and this link stops working.",
        "confirm": "Delete for good",
        "cancel": "Keep it",
        "deleted_title": "Deleted",
        "deleted": "It is deleted for good. This link no longer works.",
        "saved_edit": "Saved. Your change waits for the shop's check.",
        "saved_published": "Saved and published.",
        "saved_nothing": "Nothing changed: what you sent is what was stored.",
        "saved_appeal": "Your appeal is sent. The shop will look at it again.",
        "unknown_title": "Link not valid",
        "unknown": "This link is not valid. Copy the whole link from the message.",
        "gone_title": "This link no longer works",
        "gone": "What it was for has been deleted, or the link has expired.",
        "twice_title": "Already appealed",
        "twice": "You have already appealed this decision: the shop has your message.",
        "no_appeal_title": "Nothing to appeal",
        "no_appeal": "Only something the shop did not publish can be appealed.",
        "too_large": "What you wrote is too long to send. Shorten it and try again.",
    },
    "de": {
        "title_review": "Ihre Bewertung von {product}",
        "title_store": "Ihre Bewertung von {shop}",
        "title_comment": "Ihr Kommentar zu {product}",
        "status": "Status",
        "pending": "Wartet auf die Prüfung durch den Shop",
        "pending_explain": "Der Beitrag erscheint, sobald der Shop ihn geprüft hat.",
        "published": "Veröffentlicht",
        "published_explain": "Alle können ihn auf den Seiten des Shops lesen.",
        "rejected": "Nicht veröffentlicht: {reason}.",
        "note": "Anmerkung des Shops:",
        "appealed": "Sie haben den Shop gebeten, noch einmal zu prüfen. Ihre Nachricht:",
        "stored": "Was Sie geschrieben haben",
        "written": "Geschrieben am",
        "edit": "Ändern",
        "edit_explain": "Ihre Änderung wird vom Shop erneut geprüft, wie beim ersten Senden.",
        "comment_body": "Ihr Kommentar",
        "name_hint": "Wird mit Ihrem Beitrag angezeigt.",
        "save": "Änderungen speichern",
        "appeal": "Den Shop bitten, noch einmal zu prüfen",
        "appeal_explain": "Wenn Sie die Entscheidung für falsch halten, schreiben Sie dem Shop,"
        " warum. Das geht einmal; der Shop entscheidet dann erneut.",
        "appeal_label": "Ihre Nachricht an den Shop",
        "appeal_hint": "Höchstens 2000 Zeichen.",
        "appeal_send": "Einspruch senden",
        "appeal_missing": "Schreiben Sie dem Shop ein paar Worte.",
        "data": "Ihre Daten",
        "export_explain": "Alles, was dazu gespeichert ist, als JSON-Datei.",
        "export": "Meine Daten herunterladen (JSON)",
        "delete": "Löschen",
        "delete_explain": "Der Beitrag verschwindet sofort von den Seiten des Shops und kann"
        " nicht wiederhergestellt werden.",
        "delete_link": "Endgültig löschen…",
        "confirm_review": "Ihre Bewertung endgültig löschen?",
        "confirm_comment": "Ihren Kommentar endgültig löschen?",
        "confirm_explain": "Das kann nicht rückgängig gemacht werden. Der Beitrag verschwindet"
        " sofort von den Seiten von {shop}, und dieser Link funktioniert nicht mehr.",
        "confirm": "Endgültig löschen",
        "cancel": "Behalten",
        "deleted_title": "Gelöscht",
        "deleted": "Der Beitrag ist endgültig gelöscht. Dieser Link funktioniert nicht mehr.",
        "saved_edit": "Gespeichert. Ihre Änderung wartet auf die Prüfung durch den Shop.",
        "saved_published": "Gespeichert und veröffentlicht.",
        "saved_nothing": "Nichts geändert: Sie haben gesendet, was schon gespeichert war.",
        "saved_appeal": "Ihr Einspruch ist gesendet. Der Shop prüft den Beitrag noch einmal.",
        "unknown_title": "Link ungültig",
        "unknown": "Dieser Link ist ungültig. Kopieren Sie den ganzen Link aus der E-Mail.",
        "gone_title": "Dieser Link funktioniert nicht mehr",
        "gone": "Der Beitrag wurde gelöscht, oder der Link ist abgelaufen.",
        "twice_title": "Bereits Einspruch erhoben",
        "twice": "Sie haben gegen diese Entscheidung bereits Einspruch erhoben: Der Shop hat"
        " Ihre Nachricht.",
        "no_appeal_title": "Kein Einspruch möglich",
        "no_appeal": "Einspruch ist nur gegen einen nicht veröffentlichten Beitrag möglich.",
        "too_large": "Ihr Text ist zu lang zum Senden. Kürzen Sie ihn und versuchen Sie es erneut.",
    },
    "fr": {
        "title_review": "Votre avis sur {product}",
        "title_store": "Votre avis sur {shop}",
        "title_comment": "Votre commentaire sur {product}",
        "status": "État",
        "pending": "En attente de la vérification de la boutique",
        "pending_explain": "Il sera affiché dès que la boutique l'aura vérifié.",
        "published": "Publié",
        "published_explain": "Tout le monde peut le lire sur les pages de la boutique.",
        "rejected": "Non publié : {reason}.",
        "note": "Note de la boutique :",
        "appealed": "Vous avez demandé à la boutique de réexaminer. Votre message :",
        "stored": "Ce que vous avez écrit",
        "written": "Écrit le",
        "edit": "Le modifier",
        "edit_explain": "Votre modification repasse par la vérification de la boutique, comme"
        " lors du premier envoi.",
        "comment_body": "Votre commentaire",
        "name_hint": "Affiché avec ce que vous avez écrit.",
        "save": "Enregistrer les modifications",
        "appeal": "Demander à la boutique de réexaminer",
        "appeal_explain": "Si vous pensez que cette décision est une erreur, dites pourquoi à"
        " la boutique. C'est possible une fois ; la boutique décide alors de nouveau.",
        "appeal_label": "Votre message à la boutique",
        "appeal_hint": "2000 caractères au maximum.",
        "appeal_send": "Envoyer ma contestation",
        "appeal_missing": "Écrivez quelques mots à la boutique.",
        "data": "Vos données",
        "export_explain": "Tout ce qui est conservé à son sujet, dans un fichier JSON.",
        "export": "Télécharger mes données (JSON)",
        "delete": "Le supprimer",
        "delete_explain": "Il disparaît aussitôt des pages de la boutique et ne pourra pas être"
        " rétabli.",
        "delete_link": "Supprimer définitivement…",
        "confirm_review": "Supprimer définitivement votre avis ?",
        "confirm_comment": "Supprimer définitivement votre commentaire ?",
        "confirm_explain": "C'est irréversible. Il disparaît aussitôt des pages de {shop}, et"
        " ce lien ne fonctionnera plus.",
        "confirm": "Supprimer définitivement",
        "cancel": "Le garder",
        "deleted_title": "Supprimé",
        "deleted": "Il est supprimé définitivement. Ce lien ne fonctionne plus.",
        "saved_edit": "Enregistré. Votre modification attend la vérification de la boutique.",
        "saved_published": "Enregistré et publié.",
        "saved_nothing": "Rien n'a changé : vous avez envoyé ce qui était déjà enregistré.",
        "saved_appeal": "Votre contestation est envoyée. La boutique va le réexaminer.",
        "unknown_title": "Lien non valide",
        "unknown": "Ce lien n'est pas valide. Copiez le lien complet depuis le message.",
        "gone_title": "Ce lien ne fonctionne plus",
        "gone": "Ce à quoi il servait a été supprimé, ou le lien a expiré.",
        "twice_title": "Déjà contesté",
        "twice": "Vous avez déjà contesté cette décision : la boutique a votre message.",
        "no_appeal_title": "Rien à contester",
        "no_appeal": "Seul un contenu que la boutique n'a pas publié peut être contesté.",
        "too_large": "Votre texte est trop long pour être envoyé. Raccourcissez-le et réessayez.",
    },
    "es": {
        "title_review": "Tu opinión sobre {product}",
        "title_store": "Tu opinión sobre {shop}",
        "title_comment": "Tu comentario sobre {product}",
        "status": "Estado",
        "pending": "Esperando la revisión de la tienda",
        "pending_explain": "Se mostrará cuando la tienda lo haya revisado.",
        "published": "Publicado",
        "published_explain": "Todos pueden leerlo en las páginas de la tienda.",
        "rejected": "No publicado: {reason}.",
        "note": "Nota de la tienda:",
        "appealed": "Pediste a la tienda que lo revise de nuevo. Tu mensaje:",
        "stored": "Lo que escribiste",
        "written": "Escrito el",
        "edit": "Cambiarlo",
        "edit_explain": "Tu cambio vuelve a pasar por la revisión de la tienda, como cuando lo"
        " enviaste.",
        "comment_body": "Tu comentario",
        "name_hint": "Se muestra con lo que escribiste.",
        "save": "Guardar los cambios",
        "appeal": "Pedir a la tienda que lo revise de nuevo",
        "appeal_explain": "Si crees que esta decisión es un error, explica a la tienda por qué."
        " Puedes hacerlo una vez; la tienda decide de nuevo.",
        "appeal_label": "Tu mensaje a la tienda",
        "appeal_hint": "Como máximo 2000 caracteres.",
        "appeal_send": "Enviar mi reclamación",
        "appeal_missing": "Escribe unas palabras a la tienda.",
        "data": "Tus datos",
        "export_explain": "Todo lo que se guarda sobre él, en un archivo JSON.",
        "export": "Descargar mis datos (JSON)",
        "delete": "Borrarlo",
        "delete_explain": "Desaparece enseguida de las páginas de la tienda y no se puede"
        " recuperar.",
        "delete_link": "Borrar para siempre…",
        "confirm_review": "¿Borrar tu opinión para siempre?",
        "confirm_comment": "¿Borrar tu comentario para siempre?",
        "confirm_explain": "No se puede deshacer. Desaparece enseguida de las páginas de"
        " {shop}, y este enlace deja de funcionar.",
        "confirm": "Borrar para siempre",
        "cancel": "Conservarlo",
        "deleted_title": "Borrado",
        "deleted": "Se ha borrado para siempre. Este enlace ya no funciona.",
        "saved_edit": "Guardado. Tu cambio espera la revisión de la tienda.",
        "saved_published": "Guardado y publicado.",
        "saved_nothing": "Nada ha cambiado: enviaste lo que ya estaba guardado.",
        "saved_appeal": "Tu reclamación se ha enviado. La tienda lo revisará de nuevo.",
        "unknown_title": "Enlace no válido",
        "unknown": "Este enlace no es válido. Copia el enlace completo del mensaje.",
        "gone_title": "Este enlace ya no funciona",
        "gone": "Lo que gestionaba se ha borrado, o el enlace ha caducado.",
        "twice_title": "Ya reclamado",
        "twice": "Ya has reclamado esta decisión: la tienda tiene tu mensaje.",
        "no_appeal_title": "Nada que reclamar",
        "no_appeal": "Solo se puede reclamar algo que la tienda no publicó.",
        "too_large": "Tu texto es demasiado largo para enviarlo. Acórtalo e inténtalo de nuevo.",
    },
}

# Why the shop did not publish it (models.REJECT_REASONS), after "Not published: ".
REASONS: dict[str, dict[str, str]] = {
    "en": {
        "spam": "it looks like spam or advertising",
        "offensive": "it contains offensive language",
        "off_topic": "it is not about the product or the shop",
        "personal_data": "it contains personal data",
        "not_genuine": "it does not appear to describe a genuine experience",
        "conflict_of_interest": "it appears to be written with a conflict of interest",
        "other": "another reason",
    },
    "de": {
        "spam": "er sieht nach Spam oder Werbung aus",
        "offensive": "er enthält beleidigende Sprache",
        "off_topic": "er handelt nicht vom Artikel oder vom Shop",
        "personal_data": "er enthält persönliche Daten",
        "not_genuine": "er scheint keine echte Erfahrung zu beschreiben",
        "conflict_of_interest": "er scheint mit einem Interessenkonflikt geschrieben",
        "other": "ein anderer Grund",
    },
    "fr": {
        "spam": "il ressemble à du spam ou à de la publicité",
        "offensive": "il contient des propos injurieux",
        "off_topic": "il ne porte pas sur le produit ni sur la boutique",
        "personal_data": "il contient des données personnelles",
        "not_genuine": "il ne semble pas décrire une expérience réelle",
        "conflict_of_interest": "il semble écrit en situation de conflit d'intérêts",
        "other": "une autre raison",
    },
    "es": {
        "spam": "parece spam o publicidad",
        "offensive": "contiene lenguaje ofensivo",
        "off_topic": "no trata del artículo ni de la tienda",
        "personal_data": "contiene datos personales",
        "not_genuine": "no parece describir una experiencia real",
        "conflict_of_interest": "parece escrito con un conflicto de intereses",
        "other": "otro motivo",
    },
}

# The fields of each kind's form, in their order on the page.
FIELDS = {"review": ("rating", "title", "body", "author_name"), "comment": ("body", "author_name")}
# What a field says when it is left empty (review_page.TEXT's keys; a title may be).
_EMPTY = {"rating": "rating_missing", "body": "body_missing", "author_name": "name_missing"}
# After a redirect: which message the page shows (?done=...).
_DONE = {"edit": "saved_edit", "nothing": "saved_nothing", "appeal": "saved_appeal"}


def _kind(item: Review | Comment) -> str:
    return "review" if isinstance(item, Review) else "comment"


def _locale(site: Site | None) -> str:
    """The site's language (the mail that brought the link speaks it), else the visitor's."""
    if site is not None and site.locale in LOCALES:
        return site.locale
    return visitor_locale()


def _words(locale: str) -> dict[str, str]:
    """This page's words and the hosted review page's (labels, validation messages)."""
    return {**FORM_TEXT[locale], **TEXT[locale]}


def _message(locale: str, key: str, status: int, **values: str) -> tuple[str, int]:
    """A page that only says something (``key``'s title and text), with ``status``."""
    text = _words(locale)
    page = render_template(
        "public/message.html",
        locale=locale,
        title=text[f"{key}_title"],
        message=text[key].format(**values),
    )
    return page, status


def _token_problem(problem: Problem) -> tuple[str, int]:
    """The friendly page of a token the manage service refused (404 unknown, 410 gone)."""
    locale = _locale(g.get("site"))
    if problem.status == 410:
        return _message(locale, "gone", 410)
    if problem.status == 404:
        return _message(locale, "unknown", 404)
    raise problem


@bp.before_request
def load_item() -> Any:
    """The link's site and item (``g.site`` also picks the site's own rate limits), or
    the friendly 404/410 page; whatever follows is the author's doing."""
    token = (request.view_args or {}).get("token", "")
    try:
        site, item = manage.resolve(db.session, token)
    except Problem as problem:
        db.session.rollback()
        return _token_problem(problem)
    g.site, g.item = site, item
    audit.act_as(audit.REVIEWER)
    request.max_content_length = MAX_FORM_BYTES
    return None


@bp.after_request
def headers(response: Response) -> Response:
    """The public pages' CSP and headers (``unsubscribe.security_headers``: ``no-store``,
    ``noindex``), the referrer only to this server (see the module's docstring); a
    download is not sniffed as anything else."""
    security_headers(response)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.errorhandler(429)
def rate_limited(error: Exception) -> Any:
    page, status = _message(_locale(g.get("site")), "limited", 429)
    return page, status, {"Retry-After": str(retry_after_from_limiter())}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: Exception) -> Any:
    return _message(_locale(g.get("site")), "too_large", 413)


def _status(item: Review | Comment, locale: str) -> dict[str, Any]:
    """The item's status in words: ``state``, ``headline``, ``explain``, ``note``,
    ``appeal_message`` and ``can_appeal`` (``manage.status_of`` decides; spam the
    machine flagged counts as waiting there)."""
    found = manage.status_of(item)
    text = TEXT[locale]
    state = found["state"]
    explain = None
    if state == "rejected":
        reason = REASONS[locale].get(found.get("reason") or "other", REASONS[locale]["other"])
        headline = text["rejected"].format(reason=reason)
    else:
        headline, explain = text[state], text[f"{state}_explain"]
    return {
        "state": state,
        "headline": headline,
        "explain": explain,
        "note": found.get("note") if state == "rejected" else None,
        "appeal_message": item.appeal_message if found.get("appealed") else None,
        "can_appeal": bool(found.get("can_appeal")),
        "appealed": bool(found.get("appealed")),
    }


def _done(done: str, state: str, text: dict[str, str]) -> str | None:
    """The notice after a redirect (``?done=``): what became of the author's action."""
    key = _DONE.get(done)
    if key == "saved_edit" and state == "published":
        key = "saved_published"  # a post-moderated site published the change at once
    return text[key] if key else None


def _stored(item: Review | Comment) -> dict[str, str]:
    """The form's values as stored (what the author sees before changing anything)."""
    values = {"body": item.body, "author_name": item.author_name}
    if isinstance(item, Review):
        values |= {"rating": str(item.rating), "title": item.title or ""}
    return values


def _heading(item: Review | Comment, site: Site, text: dict[str, str]) -> str:
    product = item.product.external_id
    if isinstance(item, Comment):
        return text["title_comment"].format(product=product)
    if product == STORE:
        return text["title_store"].format(shop=site.name)
    return text["title_review"].format(product=product)


def _render(
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    appeal: str = "",
    status: int = 200,
) -> tuple[str, int]:
    """The page: the item, its status, and the forms (with ``values`` and ``errors``
    when a post came back; ``errors`` keyed by field, ``message`` for the appeal)."""
    site: Site = g.site
    item: Review | Comment = g.item
    locale = _locale(site)
    text = _words(locale)
    kind = _kind(item)
    errors = errors or {}
    shown = _status(item, locale)
    # The summary links to each field (the first star for the rating).
    targets = {"message": "appeal-message", "rating": "edit-rating-1"}
    summary = [(targets.get(key, f"edit-{key}"), message) for key, message in errors.items()]
    page = render_template(
        "public/manage.html",
        locale=locale,
        text=text,
        kind=kind,
        item=item,
        shop=site.name,
        heading=_heading(item, site, text),
        status=shown,
        stars=_stars(locale),
        fields=FIELDS[kind],
        values=values or _stored(item),
        errors=errors,
        summary=summary,
        appeal=appeal,
        done=_done(request.args.get("done", ""), shown["state"], text),
        token=token,
    )
    return page, status


@bp.get("/m/<token>")
def show(token: str) -> Any:
    """The item, its status in words, and what the author may do with it."""
    return _render(token)


def _refuse_foreign() -> tuple[str, int] | None:
    """The 403 page for a post another origin made the browser send (see the module's
    docstring), else None."""
    try:
        same_origin_forms_only()
    except Forbidden:
        return _message(_locale(g.site), "foreign", 403)
    return None


def _locked(token: str) -> tuple[Site, Review | Comment]:
    """The link's site and item again, locked for the change (it may have gone since
    the page was loaded: the manage service raises 404/410 then)."""
    site, item = manage.resolve(db.session, token, lock=True)
    g.site, g.item = site, item
    return site, item


def _load_edit(
    kind: str, values: dict[str, str], locale: str
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The form through the API's schema: the changes, or the errors by field (in the
    form's order, translated as on the hosted review page)."""
    data: dict[str, Any] = dict(values)
    missing: dict[str, Any] = {}
    if kind == "review":
        raw = values["rating"]
        if raw in {"1", "2", "3", "4", "5"}:
            data["rating"] = int(raw)
        elif not raw:  # PATCH-like, the schema would take no rating as no change
            del data["rating"]
            missing["rating"] = "Must not be empty."
    messages: dict[str, Any] = {}
    try:
        loaded = MinePatch().load(data)
    except ma.ValidationError as error:
        messages = error.normalized_messages()  # type: ignore[assignment]
    if not messages and not missing:
        return loaded, {}
    return None, _field_errors(kind, {**messages, **missing}, locale)


def _field_errors(kind: str, messages: dict[str, Any], locale: str) -> dict[str, str]:
    """The first message of each of the form's fields, in the form's order, in words."""
    found = {}
    for key in FIELDS[kind]:
        if key in messages:
            texts = messages[key]
            first = str(texts[0] if isinstance(texts, list) else texts)
            found[key] = translate(first, locale, _EMPTY.get(key, "body_missing"))
    return found


@bp.post("/m/<token>/edit")
@limiter.limit(_limit("manage_per_visitor"))
@limiter.limit(_limit("submissions_per_site"), key_func=_site_limit_key)
def edit(token: str) -> Any:
    """Change the item (back through the shop's check), or the page with its errors."""
    refused = _refuse_foreign()
    if refused is not None:
        return refused
    kind = _kind(g.item)
    locale = _locale(g.site)
    values = {key: request.form.get(key, "") for key in FIELDS[kind]}
    changes, errors = _load_edit(kind, values, locale)
    if changes is None:
        return _render(token, values=values, errors=errors, status=422)
    try:
        site, item = _locked(token)
        changed = {key: value for key, value in changes.items() if getattr(item, key) != value}
        if changed:
            manage.edit(db.session, site, item, changed)
    except Problem as problem:
        db.session.rollback()
        if problem.status == 422 and problem.errors:
            errors = _field_errors(kind, problem.errors, locale)
            return _render(token, values=values, errors=errors, status=422)
        return _token_problem(problem)
    db.session.commit()
    return redirect(url_for(".show", token=token, done="edit" if changed else "nothing"), 303)


@bp.get("/m/<token>/delete")
def confirm_delete(token: str) -> Any:
    """Only ask (mail scanners and link previews follow links): the button posts."""
    locale = _locale(g.site)
    text = _words(locale)
    page = render_template(
        "public/manage_delete.html",
        locale=locale,
        text=text,
        title=text[f"confirm_{_kind(g.item)}"],
        explain=text["confirm_explain"].format(shop=g.site.name),
        token=token,
    )
    return page


@bp.post("/m/<token>/delete")
@limiter.limit(_limit("manage_per_visitor"))
@limiter.limit(_limit("submissions_per_site"), key_func=_site_limit_key)
def delete(token: str) -> Any:
    """Delete the item for good; the link answers 410 from now on."""
    refused = _refuse_foreign()
    if refused is not None:
        return refused
    try:
        site, item = _locked(token)
        manage.delete(db.session, site, item)
    except Problem as problem:
        db.session.rollback()
        return _token_problem(problem)
    db.session.commit()
    return _message(_locale(site), "deleted", 200)


@bp.post("/m/<token>/appeal")
@limiter.limit(_limit("manage_per_visitor"))
@limiter.limit(_limit("submissions_per_site"), key_func=_site_limit_key)
def appeal(token: str) -> Any:
    """Appeal a rejection once, with a message; a second appeal, or one of an item that
    was not rejected, is a 409 page and changes nothing."""
    refused = _refuse_foreign()
    if refused is not None:
        return refused
    locale = _locale(g.site)
    message = request.form.get("message", "")
    found = manage.status_of(g.item)
    if not found.get("can_appeal"):
        return _message(locale, "twice" if found.get("appealed") else "no_appeal", 409)
    try:
        data = AppealBody().load({"message": message})
    except ma.ValidationError as error:
        texts: Any = error.normalized_messages().get("message", ["Must not be empty."])
        first = str(texts[0] if isinstance(texts, list) else texts)
        words = _words(locale)
        if first in {"Must not be empty.", "Missing data for required field."}:
            reason = words["appeal_missing"]
        else:
            reason = translate(first, locale, "appeal_missing")
        return _render(token, errors={"message": reason}, appeal=message, status=422)
    try:
        site, item = _locked(token)
        manage.appeal(db.session, site, item, data["message"])
    except Problem as problem:
        db.session.rollback()
        if problem.status == 409:
            again = manage.status_of(g.item).get("appealed")
            return _message(locale, "twice" if again else "no_appeal", 409)
        return _token_problem(problem)
    db.session.commit()
    return redirect(url_for(".show", token=token, done="appeal"), 303)


@bp.get("/m/<token>/export")
def export(token: str) -> Any:
    """Everything stored about the item (``manage.export``), as a JSON download."""
    item: Review | Comment = g.item
    document = manage.export(db.session, g.site, item)
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return Response(
        body + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="plaudit-{item.id}.json"'},
    )
