"""The hosted review page: ``/r/<token>``, the link of every review request.

A page the shop does not have to build: one star picker and text box per product of
the order (``<section id="product-<n>">``, n from 1, in the invitation's order: the
mail links to these fragments) and one for the shop itself (``id="store"``) when the
invitation asks for a store review, in the invitation's language, on the shared layout
of public pages. It needs no script: a plain form posts back to the same URL, and the
answer is the page again with its errors, or a redirect (303) to ``/r/<token>/thanks``.

Every section goes through ``schemas.ReviewCreate`` (the API's rules, limits and
messages, the messages translated) and ``services.reviews.submit_review`` with the
token as ``invite``, so a review from this page is exactly a verified one from the API:
one per product per invitation, a second submission edits the first. All sections are
saved in one transaction, or none is.

There is no CSRF token: the secret token in the URL is the capability (whoever has it
may review, and a forged form would have to know it). The POST still refuses an
``Origin`` other than this server's own. The pages send their referrer only to this
server (``same-origin``): with ``no-referrer`` a browser would post ``Origin: null``
and this server could not tell its own form from a foreign one, while the token must
still never reach another site.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import Problem, retry_after_from_limiter
from .extensions import db, limiter
from .mail import public_url
from .models import STORE, Invitation, Product, Review, Site, Status
from .schemas import ReviewCreate
from .services import invitations, reviews, sites
from .unsubscribe import security_headers, visitor_locale
from .visitors import network_hash, visitor_hash

bp = Blueprint("review_page", __name__)

# Up to 20 products and the shop, each with up to 5000 characters of text that may be
# percent-encoded UTF-8 (9 bytes a character): more than the API's 64 KiB.
MAX_FORM_BYTES = 1024 * 1024
STORE_KEY = "store"
STARS = (1, 2, 3, 4, 5)

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Review your order from {shop}",
        "intro": "Thank you for your order! Rate as many of the items as you like: "
        "choose the stars and write a few words. Leave a section empty to skip it.",
        "verified": "Your reviews will show that you bought from {shop}.",
        "product": "Product",
        "store_heading": "The shop: {shop}",
        "store_intro": "How was shopping with {shop}?",
        "rating": "Your rating",
        "star_1": "1 star",
        "star_n": "{n} stars",
        "review_title": "Title (optional)",
        "body": "Your review",
        "name": "Your name",
        "name_hint": "Shown with your reviews.",
        "existing": "You have already reviewed this. You can change your review.",
        "submit": "Send my reviews",
        "errors_title": "Please check the following",
        "error_prefix": "Error: ",
        "no_section": "Rate at least one item: choose the stars and write a few words.",
        "rating_missing": "Choose a rating from 1 to 5 stars.",
        "body_missing": "Write a few words about it.",
        "name_missing": "Enter your name.",
        "too_long": "Must be at most {max} characters.",
        "control": "Must not contain control characters.",
        "format": "Must not contain invisible formatting characters (such as U+{code}).",
        "rating_invalid": "Choose a rating from 1 to 5 stars.",
        "unknown_title": "Link not valid",
        "unknown": "This review link is not valid. Copy the whole link from the message.",
        "expired_title": "This link has expired",
        "expired": "This review link is no longer open. Thank you all the same!",
        "thanks_title": "Thank you!",
        "thanks": "Thank you for your reviews of your order from {shop}.",
        "published": "Published.",
        "pending": "Your review will appear after a check.",
        "change": "Change your reviews",
        "foreign_title": "Not sent",
        "foreign": "This form can only be sent from its own page. Open the link from the"
        " message and send it again.",
        "limited_title": "Too many attempts",
        "limited": "Too many attempts from your network. Wait a minute and send the form again.",
        "notify": "Tell me by e-mail ({email}) when the shop answers.",
        "too_large_title": "Too long",
        "too_large": "Your reviews are too long to send. Shorten them and try again.",
    },
    "de": {
        "title": "Bewerten Sie Ihre Bestellung bei {shop}",
        "intro": "Vielen Dank für Ihre Bestellung! Bewerten Sie so viele Artikel, wie Sie"
        " möchten: Wählen Sie die Sterne und schreiben Sie ein paar Worte. Lassen Sie einen"
        " Abschnitt leer, um ihn zu überspringen.",
        "verified": "Ihre Bewertungen zeigen, dass Sie bei {shop} gekauft haben.",
        "product": "Artikel",
        "store_heading": "Der Shop: {shop}",
        "store_intro": "Wie war Ihr Einkauf bei {shop}?",
        "rating": "Ihre Bewertung",
        "star_1": "1 Stern",
        "star_n": "{n} Sterne",
        "review_title": "Titel (optional)",
        "body": "Ihre Rezension",
        "name": "Ihr Name",
        "name_hint": "Wird mit Ihren Bewertungen angezeigt.",
        "existing": "Sie haben dies bereits bewertet. Sie können Ihre Bewertung ändern.",
        "submit": "Bewertungen senden",
        "errors_title": "Bitte prüfen Sie Folgendes",
        "error_prefix": "Fehler: ",
        "no_section": "Bewerten Sie mindestens einen Artikel: Wählen Sie die Sterne und"
        " schreiben Sie ein paar Worte.",
        "rating_missing": "Wählen Sie eine Bewertung von 1 bis 5 Sternen.",
        "body_missing": "Schreiben Sie ein paar Worte dazu.",
        "name_missing": "Geben Sie Ihren Namen ein.",
        "too_long": "Höchstens {max} Zeichen.",
        "control": "Darf keine Steuerzeichen enthalten.",
        "format": "Darf keine unsichtbaren Formatierungszeichen enthalten (wie U+{code}).",
        "rating_invalid": "Wählen Sie eine Bewertung von 1 bis 5 Sternen.",
        "unknown_title": "Link ungültig",
        "unknown": "Dieser Bewertungslink ist ungültig. Kopieren Sie den ganzen Link aus"
        " der E-Mail.",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired": "Über diesen Link kann nicht mehr bewertet werden. Trotzdem vielen Dank!",
        "thanks_title": "Vielen Dank!",
        "thanks": "Vielen Dank für Ihre Bewertungen Ihrer Bestellung bei {shop}.",
        "published": "Veröffentlicht.",
        "pending": "Ihre Bewertung erscheint nach einer Prüfung.",
        "change": "Bewertungen ändern",
        "foreign_title": "Nicht gesendet",
        "foreign": "Dieses Formular kann nur von seiner eigenen Seite gesendet werden."
        " Öffnen Sie den Link aus der E-Mail und senden Sie es erneut.",
        "limited_title": "Zu viele Versuche",
        "limited": "Zu viele Versuche aus Ihrem Netzwerk. Warten Sie eine Minute und"
        " senden Sie das Formular erneut.",
        "notify": "Benachrichtigen Sie mich per E-Mail ({email}), wenn der Shop antwortet.",
        "too_large_title": "Zu lang",
        "too_large": "Ihre Bewertungen sind zu lang zum Senden. Kürzen Sie sie und"
        " versuchen Sie es erneut.",
    },
    "fr": {
        "title": "Donnez votre avis sur votre commande chez {shop}",
        "intro": "Merci pour votre commande ! Notez autant d'articles que vous le"
        " souhaitez : choisissez les étoiles et écrivez quelques mots. Laissez une section"
        " vide pour la passer.",
        "verified": "Vos avis indiqueront que vous avez acheté chez {shop}.",
        "product": "Article",
        "store_heading": "La boutique : {shop}",
        "store_intro": "Comment se sont passés vos achats chez {shop} ?",
        "rating": "Votre note",
        "star_1": "1 étoile",
        "star_n": "{n} étoiles",
        "review_title": "Titre (facultatif)",
        "body": "Votre avis",
        "name": "Votre nom",
        "name_hint": "Affiché avec vos avis.",
        "existing": "Vous avez déjà donné votre avis. Vous pouvez le modifier.",
        "submit": "Envoyer mes avis",
        "errors_title": "Veuillez vérifier les points suivants",
        "error_prefix": "Erreur : ",
        "no_section": "Notez au moins un article : choisissez les étoiles et écrivez"
        " quelques mots.",
        "rating_missing": "Choisissez une note de 1 à 5 étoiles.",
        "body_missing": "Écrivez quelques mots à ce sujet.",
        "name_missing": "Indiquez votre nom.",
        "too_long": "{max} caractères au maximum.",
        "control": "Ne doit pas contenir de caractères de contrôle.",
        "format": "Ne doit pas contenir de caractères de mise en forme invisibles (comme"
        " U+{code}).",
        "rating_invalid": "Choisissez une note de 1 à 5 étoiles.",
        "unknown_title": "Lien non valide",
        "unknown": "Ce lien d'avis n'est pas valide. Copiez le lien complet depuis le message.",
        "expired_title": "Ce lien a expiré",
        "expired": "Ce lien d'avis n'est plus ouvert. Merci quand même !",
        "thanks_title": "Merci !",
        "thanks": "Merci pour vos avis sur votre commande chez {shop}.",
        "published": "Publié.",
        "pending": "Votre avis apparaîtra après vérification.",
        "change": "Modifier vos avis",
        "foreign_title": "Non envoyé",
        "foreign": "Ce formulaire ne peut être envoyé que depuis sa propre page. Ouvrez"
        " le lien du message et envoyez-le à nouveau.",
        "limited_title": "Trop de tentatives",
        "limited": "Trop de tentatives depuis votre réseau. Attendez une minute et"
        " envoyez à nouveau le formulaire.",
        "notify": "Me prévenir par e-mail ({email}) quand la boutique répond.",
        "too_large_title": "Trop long",
        "too_large": "Vos avis sont trop longs pour être envoyés. Raccourcissez-les et réessayez.",
    },
    "es": {
        "title": "Valora tu pedido en {shop}",
        "intro": "¡Gracias por tu pedido! Valora tantos artículos como quieras: elige"
        " las estrellas y escribe unas palabras. Deja una sección vacía para saltarla.",
        "verified": "Tus opiniones mostrarán que compraste en {shop}.",
        "product": "Artículo",
        "store_heading": "La tienda: {shop}",
        "store_intro": "¿Qué tal tu compra en {shop}?",
        "rating": "Tu valoración",
        "star_1": "1 estrella",
        "star_n": "{n} estrellas",
        "review_title": "Título (opcional)",
        "body": "Tu opinión",
        "name": "Tu nombre",
        "name_hint": "Se muestra con tus opiniones.",
        "existing": "Ya has valorado esto. Puedes cambiar tu opinión.",
        "submit": "Enviar mis opiniones",
        "errors_title": "Revisa lo siguiente",
        "error_prefix": "Error: ",
        "no_section": "Valora al menos un artículo: elige las estrellas y escribe unas palabras.",
        "rating_missing": "Elige una valoración de 1 a 5 estrellas.",
        "body_missing": "Escribe unas palabras al respecto.",
        "name_missing": "Escribe tu nombre.",
        "too_long": "Como máximo {max} caracteres.",
        "control": "No debe contener caracteres de control.",
        "format": "No debe contener caracteres de formato invisibles (como U+{code}).",
        "rating_invalid": "Elige una valoración de 1 a 5 estrellas.",
        "unknown_title": "Enlace no válido",
        "unknown": "Este enlace para opinar no es válido. Copia el enlace completo del mensaje.",
        "expired_title": "Este enlace ha caducado",
        "expired": "Este enlace para opinar ya no está abierto. ¡Gracias de todos modos!",
        "thanks_title": "¡Gracias!",
        "thanks": "Gracias por tus opiniones sobre tu pedido en {shop}.",
        "published": "Publicada.",
        "pending": "Tu opinión aparecerá después de una revisión.",
        "change": "Cambiar tus opiniones",
        "foreign_title": "No enviado",
        "foreign": "Este formulario solo se puede enviar desde su propia página. Abre el"
        " enlace del mensaje y envíalo de nuevo.",
        "limited_title": "Demasiados intentos",
        "limited": "Demasiados intentos desde tu red. Espera un minuto y envía el"
        " formulario de nuevo.",
        "notify": "Avisarme por correo ({email}) cuando la tienda responda.",
        "too_large_title": "Demasiado largo",
        "too_large": "Tus opiniones son demasiado largas para enviarlas. Acórtalas e"
        " inténtalo de nuevo.",
    },
}

# The API's messages (schemas.ReviewCreate, fields.py) and the key of their translation.
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Must be at most (?P<max>\d+) characters\."), "too_long"),
    (re.compile(r"Must not contain control characters\."), "control"),
    (
        re.compile(
            r"Must not contain invisible formatting characters \(such as U\+(?P<code>\w+)\)\."
        ),
        "format",
    ),
    (re.compile(r"Must be between 1 and 5\.|Not a valid integer\."), "rating_invalid"),
]


def translate(message: str, locale: str, empty_key: str) -> str:
    """The API's ``message`` in ``locale``; "empty" and "missing" say what to do."""
    text = TEXT[locale]
    if message in {"Must not be empty.", "Missing data for required field."}:
        return text[empty_key]
    for pattern, key in _MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return text[key].format(**match.groupdict())
    return message  # a rule this page does not know yet: the API's own words


@dataclass
class Section:
    """One part of the form: a product of the order (``key`` 1, 2 ...) or the shop."""

    key: str
    product: str  # the shop's product id, or models.STORE
    anchor: str  # the element id the mail links to
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    existing: bool = False

    def field_id(self, name: str) -> str:
        return f"{self.anchor}-{name}"


def _words(locale: str, site: Site) -> dict[str, str]:
    """The page's words in ``locale``, with the shop's name in them."""
    return {key: value.replace("{shop}", site.name) for key, value in TEXT[locale].items()}


def _stars(locale: str) -> dict[int, str]:
    """What each star of the picker is called ("1 star", "2 stars" ...)."""
    text = TEXT[locale]
    return {n: text["star_1"] if n == 1 else text["star_n"].format(n=n) for n in STARS}


def _locale(invitation: Invitation | None) -> str:
    if invitation is not None and invitation.locale in TEXT:
        return invitation.locale
    return visitor_locale()


def _message(locale: str, key: str, status: int, **values: str) -> tuple[str, int]:
    text = TEXT[locale]
    page = render_template(
        "public/message.html",
        locale=locale,
        title=text[f"{key}_title"],
        message=text[key].format(**values),
    )
    return page, status


@bp.before_request
def load_invitation() -> Any:
    """The invitation and site of the link (``g.site`` also picks the site's own rate
    limits), or the friendly 404/410 page."""
    token = (request.view_args or {}).get("token", "")
    invitation = invitations.by_token(db.session, token)
    if invitation is None:
        return _message(visitor_locale(), "unknown", 404)
    if not invitations.is_open(invitation):
        return _message(_locale(invitation), "expired", 410)
    g.invitation = invitation
    g.site = db.session.get(Site, invitation.site_id)
    request.max_content_length = MAX_FORM_BYTES
    return None


@bp.after_request
def headers(response: Response) -> Response:
    """The public pages' CSP and headers (unsubscribe.py), but the referrer only to this
    server (see the module's docstring: our own Origin on the form's POST)."""
    security_headers(response)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.errorhandler(429)
def rate_limited(error: Exception) -> Any:
    page, status = _message(_locale(g.get("invitation")), "limited", 429)
    return page, status, {"Retry-After": str(retry_after_from_limiter())}


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: Exception) -> Any:
    return _message(_locale(g.get("invitation")), "too_large", 413)


def _sections(invitation: Invitation) -> list[Section]:
    found = [
        Section(str(n), product, f"product-{n}")
        for n, product in enumerate(invitation.products, start=1)
    ]
    if invitation.store_review:
        found.append(Section(STORE_KEY, STORE, "store"))
    return found


def _existing(invitation: Invitation) -> dict[str, Review]:
    """The reviews already sent with this invitation, by product id (STORE: the shop)."""
    rows = db.session.execute(
        sa.select(Product.external_id, Review)
        .join(Review, Review.product_id == Product.id)
        .where(Review.invitation_id == invitation.id)
    )
    return {external_id: review for external_id, review in rows}


def _render(
    invitation: Invitation,
    site: Site,
    sections: list[Section],
    name: str,
    errors: list[tuple[str, str]],
    name_error: str | None = None,
    status: int = 200,
    notify: bool = False,
) -> tuple[str, int]:
    locale = _locale(invitation)
    text = _words(locale, site)
    text["notify"] = text["notify"].replace("{email}", invitation.email)
    page = render_template(
        "public/review.html",
        locale=locale,
        text=text,
        notify=notify,
        stars=_stars(locale),
        shop=site.name,
        sections=sections,
        name=name,
        name_error=name_error,
        errors=errors,
        store=STORE,
    )
    return page, status


@bp.get("/r/<token>")
def review_form(token: str) -> Any:
    """The form, with what the buyer already sent through this link filled in."""
    invitation: Invitation = g.invitation
    sections = _sections(invitation)
    existing = _existing(invitation)
    name = invitation.name or ""
    for section in sections:
        review = existing.get(section.product)
        if review is not None:
            section.existing = True
            section.values = {
                "rating": str(review.rating),
                "title": review.title or "",
                "body": review.body,
            }
            name = review.author_name
    notify = any(review.notify for review in existing.values())
    return _render(invitation, g.site, sections, name, [], notify=notify)


def _from_elsewhere() -> bool:
    """Whether a page of another origin posted the form (there is no CSRF token: see
    the module's docstring). This server's origin is the request's own or, behind a
    proxy that rewrites the host, ``PUBLIC_URL``'s."""
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser, or one that sends no Origin
        return False
    own = {request.host_url.rstrip("/").lower(), _origin_of(public_url("/"))}
    return origin.lower() not in own


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


_SECTION_FIELDS = ("rating", "title", "body")
# What a section's field says when it is left empty (a title may be).
_EMPTY = {"rating": "rating_missing", "body": "body_missing"}


def _load(section: Section, name: str, locale: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The section's review through the API's schema, or its errors by field."""
    raw_rating = section.values["rating"]
    data: dict[str, Any] = {
        "title": section.values["title"],
        "body": section.values["body"],
        "author_name": name,
    }
    if raw_rating:
        data["rating"] = int(raw_rating) if raw_rating in {"1", "2", "3", "4", "5"} else raw_rating
    try:
        return ReviewCreate().load(data), {}
    except ma.ValidationError as error:
        messages: dict[str, Any] = error.normalized_messages()  # type: ignore[assignment]
    found = {}
    for key, texts in messages.items():
        if key in _SECTION_FIELDS:  # author_name: checked once for the page (_name_error)
            first = texts[0] if isinstance(texts, list) else texts
            found[key] = translate(str(first), locale, _EMPTY.get(key, "body_missing"))
    return None, found


def _name_error(name: str, locale: str) -> str | None:
    try:
        ReviewCreate().fields["author_name"].deserialize(name)
    except ma.ValidationError as error:
        messages = error.messages
        first = messages[0] if isinstance(messages, list) else str(messages)
        return translate(str(first), locale, "name_missing")
    return None


def _limit(name: str) -> Callable[[], str]:
    """The limit ``name`` of the link's site (its override or the default), as the
    public API's submissions have."""

    def resolve() -> str:
        return sites.rate_limit(g.get("site"), name, current_app.config)

    return resolve


def _site_limit_key() -> str:
    site = g.get("site")
    return "site:" + (site.slug if site is not None else "")


@bp.post("/r/<token>")
@limiter.limit(_limit("submissions_per_visitor"))
@limiter.limit(_limit("submissions_per_site"), key_func=_site_limit_key)
def send_reviews(token: str) -> Any:
    """Check every filled section, then save them all in one transaction, or nothing."""
    invitation: Invitation = g.invitation
    site: Site = g.site
    locale = _locale(invitation)
    if _from_elsewhere():
        return _message(locale, "foreign", 403)
    form = request.form
    name = form.get("author_name", "")
    notify = form.get("notify") == "1"  # "tell me when the shop answers"
    sections = _sections(invitation)
    existing = _existing(invitation)
    filled = 0
    loaded: list[tuple[Section, dict[str, Any]]] = []
    for section in sections:
        section.existing = section.product in existing
        section.values = {k: form.get(f"{k}-{section.key}", "") for k in _SECTION_FIELDS}
        if any(v.strip() for v in section.values.values()):  # else: skipped
            filled += 1
            data, section.errors = _load(section, name, locale)
            if data is not None:
                loaded.append((section, data))
    name_error = _name_error(name, locale) if filled else None
    if not filled:
        sections[0].errors["rating"] = TEXT[locale]["no_section"]
    errors: list[tuple[str, str]] = []  # the summary: (the field's id, its message)
    for section in sections:
        for key in _SECTION_FIELDS:
            if key in section.errors:
                target = section.field_id("rating-1" if key == "rating" else key)
                errors.append((target, section.errors[key]))
    if name_error:
        errors.append(("author_name", name_error))
    if errors:
        return _render(invitation, site, sections, name, errors, name_error, 422, notify)
    try:
        for section, data in loaded:
            reviews.submit_review(
                db.session,
                site,
                section.product,
                # The address is the invitation's: the page does not ask for it again.
                {**data, "author_email": invitation.email, "invite": token, "notify": notify},
                visitor_hash=visitor_hash(),
                network_hash=network_hash(),
            )
    except Problem as problem:
        # The token was good a moment ago: it expired in between (or was cancelled).
        db.session.rollback()
        if "invite" not in (problem.errors or {}):
            raise
        return _message(locale, "expired", 410)
    db.session.commit()
    return redirect(url_for(".thanks", token=token), 303)


@bp.get("/r/<token>/thanks")
def thanks(token: str) -> Any:
    """What became of each review: published, or to appear after a check."""
    invitation: Invitation = g.invitation
    site: Site = g.site
    existing = _existing(invitation)
    if not existing:
        return redirect(url_for(".review_form", token=token), 303)
    locale = _locale(invitation)
    text = _words(locale, site)
    items = []
    for section in _sections(invitation):
        review = existing.get(section.product)
        if review is None:
            continue
        heading = (
            text["store_heading"]
            if section.product == STORE
            else f"{text['product']} {section.product}"
        )
        published = review.status == Status.PUBLISHED
        items.append({"heading": heading, "published": published, "rating": review.rating})
    page = render_template(
        "public/review_thanks.html",
        locale=locale,
        text=text,
        items=items,
        form_url=url_for(".review_form", token=token),
        stars=_stars(locale),
    )
    return page
