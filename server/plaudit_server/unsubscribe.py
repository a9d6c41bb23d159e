"""One-click unsubscribe (RFC 8058): ``/u/<token>`` from a message's link and header.

A mail client that offers "unsubscribe" POSTs ``List-Unsubscribe=One-Click`` to the
URL of the ``List-Unsubscribe`` header, from its own servers, without showing a page:
so the POST needs no session, no CSRF token and no script, and unsubscribes at once.
The same link in the message's footer opens the page (GET), which only asks: mail
scanners and link previews follow every link in a message, and must not unsubscribe
anyone. Its button posts the form to the same URL. The token is signed (see
``services/suppressions.py``); anything else is a friendly 404.

Pages are in the visitor's language (``Accept-Language``: en, de, fr, es), on the shared
layout of public pages (``templates/public/_layout.html``) under a strict CSP.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from .extensions import db
from .mail import LOCALES
from .models import Site
from .services import suppressions

bp = Blueprint("unsubscribe", __name__)


# Public pages: the stylesheet from this server and nothing else; forms post here only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    # The token in the URL is the key to the address's subscription: never sent on.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Unsubscribe",
        "question": "Stop getting {what} from {site} to {email}?",
        "explain": "You will not get {what} from {site} at this address again.",
        "button": "Unsubscribe",
        "done_title": "You are unsubscribed",
        "done": "{email} will not get {what} from {site} again.",
        "unknown_title": "Link not valid",
        "unknown": "This unsubscribe link is not valid. Copy the whole link from the"
        " message, or use the unsubscribe option of your mail program.",
    },
    "de": {
        "title": "Abmelden",
        "question": "Keine {what} von {site} mehr an {email}?",
        "explain": "Sie erhalten an diese Adresse keine {what} von {site} mehr.",
        "button": "Abmelden",
        "done_title": "Sie sind abgemeldet",
        "done": "{email} erhält keine {what} von {site} mehr.",
        "unknown_title": "Link ungültig",
        "unknown": "Dieser Abmeldelink ist ungültig. Kopieren Sie den ganzen Link aus der"
        " E-Mail oder nutzen Sie die Abmeldefunktion Ihres E-Mail-Programms.",
    },
    "fr": {
        "title": "Se désabonner",
        "question": "Ne plus recevoir de {what} de {site} à {email} ?",
        "explain": "Vous ne recevrez plus de {what} de {site} à cette adresse.",
        "button": "Se désabonner",
        "done_title": "Vous êtes désabonné",
        "done": "{email} ne recevra plus de {what} de {site}.",
        "unknown_title": "Lien non valide",
        "unknown": "Ce lien de désabonnement n'est pas valide. Copiez le lien complet depuis"
        " le message, ou utilisez l'option de désabonnement de votre messagerie.",
    },
    "es": {
        "title": "Darse de baja",
        "question": "¿Dejar de recibir {what} de {site} en {email}?",
        "explain": "No recibirás más {what} de {site} en esta dirección.",
        "button": "Darse de baja",
        "done_title": "Te has dado de baja",
        "done": "{email} no recibirá más {what} de {site}.",
        "unknown_title": "Enlace no válido",
        "unknown": "Este enlace para darse de baja no es válido. Copia el enlace completo"
        " del mensaje o usa la opción de baja de tu programa de correo.",
    },
}

# What each kind of message is called, in each language (after "no more ...").
WHAT: dict[str, dict[str, str]] = {
    "en": {
        "invitations": "review requests",
        "new_items": "moderation notices",
        "replies": "reply notifications",
        "reports": "decisions on your reports",
        "community": "invitations to answer questions",
        "ideas": "news of the ideas you asked for",
        "notifications": "notifications",
    },
    "de": {
        "invitations": "Bewertungsanfragen",
        "new_items": "Moderationshinweise",
        "replies": "Antwort-Benachrichtigungen",
        "reports": "Entscheidungen zu Ihren Meldungen",
        "community": "Bitten um Antworten auf Fragen",
        "ideas": "Neuigkeiten zu Ihren gewünschten Ideen",
        "notifications": "Benachrichtigungen",
    },
    "fr": {
        "invitations": "demandes d'avis",
        "new_items": "avis de modération",
        "replies": "notifications de réponse",
        "reports": "décisions sur vos signalements",
        "community": "demandes de réponse à des questions",
        "ideas": "nouvelles des idées que vous avez demandées",
        "notifications": "notifications",
    },
    "es": {
        "invitations": "solicitudes de opinión",
        "new_items": "avisos de moderación",
        "replies": "avisos de respuesta",
        "reports": "decisiones sobre tus denuncias",
        "community": "invitaciones a responder preguntas",
        "ideas": "novedades de las ideas que pediste",
        "notifications": "notificaciones",
    },
}


def visitor_locale() -> str:
    """The visitor's language among those the pages speak (``Accept-Language``)."""
    return request.accept_languages.best_match(LOCALES) or "en"


@bp.after_request
def security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def _found(token: str) -> tuple[Site, str, str] | None:
    """The site, address and kind a valid token names."""
    found = suppressions.read_token(token)
    if found is None:
        return None
    site_id, email, kind = found
    site = db.session.get(Site, site_id)
    return None if site is None else (site, email, kind)


def _not_found(locale: str) -> tuple[str, int]:
    text = TEXT[locale]
    page = render_template(
        "public/message.html",
        locale=locale,
        title=text["unknown_title"],
        message=text["unknown"],
    )
    return page, 404


@bp.get("/u/<token>")
def confirm(token: str) -> Any:
    """Ask (and nothing else: scanners follow links)."""
    locale = visitor_locale()
    found = _found(token)
    if found is None:
        return _not_found(locale)
    site, email, kind = found
    what = WHAT[locale][kind]
    text = {k: v.format(site=site.name, email=email, what=what) for k, v in TEXT[locale].items()}
    return render_template("public/unsubscribe.html", locale=locale, text=text)


@bp.post("/u/<token>")
def unsubscribe(token: str) -> Any:
    """Unsubscribe: RFC 8058's one-click POST (``List-Unsubscribe=One-Click``) from a
    mail client, or the page's button, which posts the same body."""
    locale = visitor_locale()
    found = _found(token)
    if found is None:
        return _not_found(locale)
    site, email, kind = found
    suppressions.suppress(db.session, site.id, kind, email)
    db.session.commit()
    text = TEXT[locale]
    page = render_template(
        "public/message.html",
        locale=locale,
        title=text["done_title"],
        message=text["done"].format(site=site.name, email=email, what=WHAT[locale][kind]),
    )
    return page, 200
