"""A site's public trust pages: its transparency report and its moderation guidelines.

- ``/t/<site>``: the figures of ``services/responses.transparency`` (the last 365 days)
  in words and bars: what was received, published, held and rejected (by reason), the
  reports of visitors and what came of them, how fast decisions were made, and how
  often and how fast the shop answers its reviews. The same figures as JSON are
  ``GET /api/v1/sites/{site}/transparency``.
- ``/sites/<site>/guidelines``: the site's moderation guidelines (``guidelines.py``),
  the widget's "How we moderate reviews" link. The owner's own text is plain text:
  split into paragraphs on blank lines, its line breaks kept, never read as HTML.

Both are in the visitor's language (``?lang=`` as the widget knows it, else
``Accept-Language``, else the site's), on the shared layout of public pages with their
strict CSP (``unsubscribe.security_headers``). Nothing on them is personal, so unlike
the other public pages they may be kept by browsers and proxies for five minutes
(``Vary: Accept-Language``). An unknown site is the friendly 404 page.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request, url_for

from . import guidelines
from .extensions import db, limiter
from .mail import LOCALES
from .models import REJECT_REASONS, Site
from .services import responses
from .unsubscribe import security_headers

bp = Blueprint("trust_pages", __name__)

MAX_AGE = 300

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "t_title": "Transparency report",
        "t_intro": "What happened to the reviews and comments sent to {shop} from {start}"
        " to {end}, and how the shop answers its customers.",
        "received_h": "Reviews and comments received",
        "published": "Published",
        "pending": "Waiting for a check",
        "rejected": "Rejected",
        "by_reason_h": "Rejected, by reason",
        "none_rejected": "None was rejected.",
        "reports_h": "Reports from visitors",
        "reports_removed": "Led to a removal",
        "reports_kept": "Checked, and the contribution kept",
        "reports_open": "Not decided yet",
        "no_reports": "No reports were received.",
        "speed_h": "Time to decide",
        "moderate": "Half of the decisions were made within {duration} of the submission.",
        "moderate_none": "No contribution needed a decision in this period.",
        "answers_h": "Answers from the shop",
        "reply_rate": "The shop answered {rate} of the published reviews.",
        "reply_time": "Half of its answers came within {duration}.",
        "low_rate": "It answered {rate} of the reviews with 1 or 2 stars.",
        "replies_none": "No reviews were published in this period.",
        "no_rating": "No review is removed or held back for its rating or for being critical.",
        "guidelines_link": "How we moderate reviews",
        "json_link": "These figures as JSON",
        "g_title": "How we moderate reviews",
        "g_intro": "The moderation guidelines of {shop}.",
        "transparency_link": "Transparency report of {shop}",
        "unknown_title": "Page not found",
        "unknown": "There is no shop at this address. Check the link.",
        "minute": "minute",
        "minutes": "minutes",
        "few_minutes": "a few minutes",
        "hour": "hour",
        "hours": "hours",
        "day": "day",
        "days": "days",
    },
    "de": {
        "t_title": "Transparenzbericht",
        "t_intro": "Was mit den Bewertungen und Kommentaren geschah, die {shop} vom"
        " {start} bis zum {end} erhalten hat, und wie der Shop seinen Kunden antwortet.",
        "received_h": "Erhaltene Bewertungen und Kommentare",
        "published": "Veröffentlicht",
        "pending": "Warten auf Prüfung",
        "rejected": "Abgelehnt",
        "by_reason_h": "Abgelehnt, nach Grund",
        "none_rejected": "Keiner wurde abgelehnt.",
        "reports_h": "Meldungen von Besuchern",
        "reports_removed": "Führten zur Entfernung",
        "reports_kept": "Geprüft, Beitrag bleibt",
        "reports_open": "Noch nicht entschieden",
        "no_reports": "Es gingen keine Meldungen ein.",
        "speed_h": "Zeit bis zur Entscheidung",
        "moderate": "Die Hälfte der Entscheidungen fiel innerhalb von {duration} nach dem"
        " Einsenden.",
        "moderate_none": "In diesem Zeitraum musste über keinen Beitrag entschieden werden.",
        "answers_h": "Antworten des Shops",
        "reply_rate": "Der Shop hat auf {rate} der veröffentlichten Bewertungen geantwortet.",
        "reply_time": "Die Hälfte seiner Antworten kam innerhalb von {duration}.",
        "low_rate": "Auf {rate} der Bewertungen mit 1 oder 2 Sternen hat er geantwortet.",
        "replies_none": "In diesem Zeitraum wurden keine Bewertungen veröffentlicht.",
        "no_rating": "Keine Bewertung wird wegen ihrer Sterne oder weil sie kritisch ist"
        " entfernt oder zurückgehalten.",
        "guidelines_link": "So prüfen wir Bewertungen",
        "json_link": "Diese Zahlen als JSON",
        "g_title": "So prüfen wir Bewertungen",
        "g_intro": "Die Moderationsrichtlinien von {shop}.",
        "transparency_link": "Transparenzbericht von {shop}",
        "unknown_title": "Seite nicht gefunden",
        "unknown": "Unter dieser Adresse gibt es keinen Shop. Prüfen Sie den Link.",
        "minute": "Minute",
        "minutes": "Minuten",
        "few_minutes": "wenigen Minuten",
        "hour": "Stunde",
        "hours": "Stunden",
        "day": "Tag",
        "days": "Tagen",
    },
    "fr": {
        "t_title": "Rapport de transparence",
        "t_intro": "Ce que sont devenus les avis et commentaires envoyés à {shop} du"
        " {start} au {end}, et comment la boutique répond à ses clients.",
        "received_h": "Avis et commentaires reçus",
        "published": "Publiés",
        "pending": "En attente de vérification",
        "rejected": "Refusés",
        "by_reason_h": "Refusés, par raison",
        "none_rejected": "Aucun n'a été refusé.",
        "reports_h": "Signalements des visiteurs",
        "reports_removed": "Ont mené à un retrait",
        "reports_kept": "Examinés, contribution maintenue",
        "reports_open": "Pas encore tranchés",
        "no_reports": "Aucun signalement n'a été reçu.",
        "speed_h": "Délai de décision",
        "moderate": "La moitié des décisions ont été prises en {duration} au plus après l'envoi.",
        "moderate_none": "Aucune contribution n'a demandé de décision sur cette période.",
        "answers_h": "Réponses de la boutique",
        "reply_rate": "La boutique a répondu à {rate} des avis publiés.",
        "reply_time": "La moitié de ses réponses sont arrivées en {duration} au plus.",
        "low_rate": "Elle a répondu à {rate} des avis à 1 ou 2 étoiles.",
        "replies_none": "Aucun avis n'a été publié sur cette période.",
        "no_rating": "Aucun avis n'est retiré ou retenu en raison de sa note ou parce"
        " qu'il est critique.",
        "guidelines_link": "Comment nous modérons les avis",
        "json_link": "Ces chiffres en JSON",
        "g_title": "Comment nous modérons les avis",
        "g_intro": "Les règles de modération de la boutique {shop}.",
        "transparency_link": "Rapport de transparence de {shop}",
        "unknown_title": "Page introuvable",
        "unknown": "Il n'y a pas de boutique à cette adresse. Vérifiez le lien.",
        "minute": "minute",
        "minutes": "minutes",
        "few_minutes": "quelques minutes",
        "hour": "heure",
        "hours": "heures",
        "day": "jour",
        "days": "jours",
    },
    "es": {
        "t_title": "Informe de transparencia",
        "t_intro": "Qué pasó con las opiniones y comentarios enviados a {shop} del {start}"
        " al {end}, y cómo responde la tienda a sus clientes.",
        "received_h": "Opiniones y comentarios recibidos",
        "published": "Publicados",
        "pending": "Pendientes de revisión",
        "rejected": "Rechazados",
        "by_reason_h": "Rechazados, por motivo",
        "none_rejected": "No se rechazó ninguno.",
        "reports_h": "Denuncias de visitantes",
        "reports_removed": "Acabaron en una retirada",
        "reports_kept": "Revisadas, la contribución se mantiene",
        "reports_open": "Aún sin decidir",
        "no_reports": "No se recibió ninguna denuncia.",
        "speed_h": "Tiempo hasta la decisión",
        "moderate": "La mitad de las decisiones se tomaron en {duration} o menos desde el envío.",
        "moderate_none": "Ninguna contribución necesitó una decisión en este periodo.",
        "answers_h": "Respuestas de la tienda",
        "reply_rate": "La tienda respondió al {rate} de las opiniones publicadas.",
        "reply_time": "La mitad de sus respuestas llegaron en {duration} o menos.",
        "low_rate": "Respondió al {rate} de las opiniones de 1 o 2 estrellas.",
        "replies_none": "No se publicó ninguna opinión en este periodo.",
        "no_rating": "Ninguna opinión se retira ni se retiene por su valoración ni por ser"
        " crítica.",
        "guidelines_link": "Cómo moderamos las opiniones",
        "json_link": "Estas cifras en JSON",
        "g_title": "Cómo moderamos las opiniones",
        "g_intro": "Las normas de moderación de {shop}.",
        "transparency_link": "Informe de transparencia de {shop}",
        "unknown_title": "Página no encontrada",
        "unknown": "No hay ninguna tienda en esta dirección. Comprueba el enlace.",
        "minute": "minuto",
        "minutes": "minutos",
        "few_minutes": "unos minutos",
        "hour": "hora",
        "hours": "horas",
        "day": "día",
        "days": "días",
    },
}

MONTHS: dict[str, list[str]] = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}

NBSP, NNBSP = "\u00a0", "\u202f"


# ---------------------------------------------------------------- words for numbers


def number(value: float, locale: str, decimals: int = 0) -> str:
    """``value`` as people of ``locale`` write it: 1,234.5 / 1.234,5 / 1 234,5 /
    1234,5 (Spanish groups only from 10 000)."""
    text = f"{value:,.{decimals}f}"  # 1,234.5
    whole, _, fraction = text.partition(".")
    group = {"en": ",", "de": ".", "fr": NNBSP, "es": "."}[locale]
    if locale == "es" and abs(value) < 10000:
        group = ""
    whole = whole.replace(",", group)
    return f"{whole}{'.' if locale == 'en' else ','}{fraction}" if fraction else whole


def percent(rate: float, locale: str) -> str:
    """A share from 0 to 1 as a whole percentage: 42% / 42 % / 42 %."""
    value = number(round(rate * 100), locale)
    return f"{value}%" if locale == "en" else f"{value}{NNBSP if locale == 'fr' else NBSP}%"


def duration(hours: float, locale: str) -> str:
    """A span given in hours, in words: minutes under an hour, hours under two days,
    days beyond ("45 minutes", "6.5 hours", "3 days")."""
    text = TEXT[locale]
    if hours < 1:
        minutes = round(hours * 60)
        if minutes == 0:
            return text["few_minutes"]
        value, one, many = float(minutes), "minute", "minutes"
    elif hours < 48:
        value, one, many = round(hours, 1), "hour", "hours"
    else:
        value, one, many = round(hours / 24, 1), "day", "days"
    decimals = 0 if value == int(value) else 1
    # French takes the singular below 2 ("1,5 heure"); the others only for exactly 1.
    singular = value < 2 if locale == "fr" else value == 1
    return f"{number(value, locale, decimals)}{NBSP}{text[one if singular else many]}"


def long_date(day: date, locale: str) -> str:
    """7 December 2026 / 7. Dezember 2026 / 7 décembre 2026 / 7 de diciembre de 2026."""
    month = MONTHS[locale][day.month - 1]
    return {
        "en": f"{day.day} {month} {day.year}",
        "de": f"{day.day}. {month} {day.year}",
        "fr": f"{'1er' if day.day == 1 else day.day} {month} {day.year}",
        "es": f"{day.day} de {month} de {day.year}",
    }[locale]


# ---------------------------------------------------------------- the pages


def page_locale(site: Site | None) -> str:
    """``?lang=`` (the widget's language), else the visitor's (``Accept-Language``), else
    the site's, else English."""
    asked = request.args.get("lang", "")
    if asked in LOCALES:
        return asked
    found = request.accept_languages.best_match(LOCALES)
    if found:
        return found
    return site.locale if site is not None and site.locale in LOCALES else "en"


def _words(locale: str, **values: str) -> dict[str, str]:
    """The pages' words in ``locale`` with ``values`` put in (the shop's name, dates):
    replaced, not formatted, so braces in a shop's name stay as they are and the
    placeholders filled later (``{rate}``, ``{duration}``) are left for then."""
    words = {}
    for key, value in TEXT[locale].items():
        for name, filled in values.items():
            value = value.replace("{" + name + "}", filled)
        words[key] = value
    return words


def _site(slug: str) -> Site | None:
    return db.session.scalar(sa.select(Site).where(Site.slug == slug))


def _not_found() -> tuple[str, int]:
    locale = page_locale(None)
    text = TEXT[locale]
    page = render_template(
        "public/message.html",
        locale=locale,
        title=text["unknown_title"],
        message=text["unknown"],
    )
    return page, 404


@bp.after_request
def headers(response: Response) -> Response:
    """The public pages' CSP and headers; a page (not an error) may be kept 5 minutes."""
    security_headers(response)
    if response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.vary.add("Accept-Language")
    return response


def _public_reads() -> str:
    return str(current_app.config["RATELIMIT_PUBLIC_READS_PER_VISITOR"])


def _bar(label: str, count: int, whole: int, locale: str) -> dict[str, Any]:
    """One row of figures: its label, the count in words, its share of ``whole``."""
    share = count / whole if whole else 0.0
    return {
        "label": label,
        "count": number(count, locale),
        "share": percent(share, locale) if whole else None,
        "width": round(share * 100, 1),
    }


def report_rows(figures: dict[str, Any], locale: str) -> dict[str, Any]:
    """What the transparency page shows, in words, from ``responses.transparency``."""
    text = TEXT[locale]
    received = figures["received"]
    rejected_total = sum(figures["rejected_by_reason"].values())
    reasons = [*REJECT_REASONS] + [
        r for r in figures["rejected_by_reason"] if r not in REJECT_REASONS
    ]
    reports = figures["reports"]
    replies: list[str] = []
    if figures["reply_rate"] is not None:
        replies.append(text["reply_rate"].format(rate=percent(figures["reply_rate"], locale)))
        if figures["median_hours_to_reply"] is not None:
            hours = duration(figures["median_hours_to_reply"], locale)
            replies.append(text["reply_time"].format(duration=hours))
        if figures.get("low_rating_reply_rate") is not None:
            low = percent(figures["low_rating_reply_rate"], locale)
            replies.append(text["low_rate"].format(rate=low))
    moderate = figures["median_hours_to_moderate"]
    return {
        "received": number(received, locale),
        "outcomes": [
            _bar(text["published"], figures["published"], received, locale),
            _bar(text["pending"], figures.get("pending", 0), received, locale),
            _bar(text["rejected"], rejected_total, received, locale),
        ],
        "rejected_total": rejected_total,
        "reasons": [
            _bar(
                guidelines.reason_label(reason, locale),
                figures["rejected_by_reason"].get(reason, 0),
                rejected_total,
                locale,
            )
            for reason in reasons
        ],
        "reports_received": number(reports["received"], locale),
        "reports": [
            _bar(text["reports_removed"], reports["removed"], reports["received"], locale),
            _bar(text["reports_kept"], reports.get("kept", 0), reports["received"], locale),
            _bar(text["reports_open"], reports.get("open", 0), reports["received"], locale),
        ],
        "moderate": (
            text["moderate"].format(duration=duration(moderate, locale))
            if moderate is not None
            else text["moderate_none"]
        ),
        "replies": replies or [text["replies_none"]],
        "reply_width": round((figures["reply_rate"] or 0) * 100, 1),
        "period": {
            key: long_date(date.fromisoformat(value), locale)
            for key, value in figures["period"].items()
        },
    }


@bp.get("/t/<slug>")
@limiter.limit(_public_reads)
def transparency(slug: str) -> Any:
    """The readable transparency report of the last 365 days."""
    site = _site(slug)
    if site is None:
        return _not_found()
    locale = page_locale(site)
    figures = responses.cached_transparency(db.session, site)
    rows = report_rows(figures, locale)
    text = _words(locale, shop=site.name, start=rows["period"]["from"], end=rows["period"]["to"])
    return render_template(
        "public/transparency.html",
        locale=locale,
        text=text,
        shop=site.name,
        rows=rows,
        guidelines_url=_with_lang("trust_pages.guidelines_page", slug, locale),
        json_url=f"/api/v1/sites/{quote(slug, safe='')}/transparency",
    )


@bp.get("/sites/<slug>/guidelines")
@limiter.limit(_public_reads)
def guidelines_page(slug: str) -> Any:
    """The site's moderation guidelines: its own text, or the default in the page's
    language."""
    site = _site(slug)
    if site is None:
        return _not_found()
    locale = page_locale(site)
    body, customized = guidelines.text_for(site, locale)
    text = _words(locale, shop=site.name)
    return render_template(
        "public/guidelines.html",
        locale=locale,
        text=text,
        shop=site.name,
        paragraphs=guidelines.paragraphs(body),
        # The owner's text is in the site's language, whatever the page's.
        text_lang=site.locale if customized else locale,
        transparency_url=_with_lang("trust_pages.transparency", slug, locale),
    )


def _with_lang(endpoint: str, slug: str, locale: str) -> str:
    """The other page of the site, in the same language if it was asked for."""
    if request.args.get("lang") in LOCALES:
        return url_for(endpoint, slug=slug, lang=locale)
    return url_for(endpoint, slug=slug)
