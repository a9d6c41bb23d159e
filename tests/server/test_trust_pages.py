"""The public trust pages (``trust_pages.py``), on SQLite and PostgreSQL: the readable
transparency report ``/t/<site>`` and the moderation guidelines
``/sites/<site>/guidelines``.

What is checked: the figures in words (exact, from constructed rows), the four
languages (``?lang=``, ``Accept-Language``, the site's), numbers, shares and durations
as each language writes them, the owner's guidelines as escaped plain-text paragraphs,
the default guidelines saying what the server does, the headers (strict CSP, cacheable
five minutes, ``Vary: Accept-Language``) and the friendly 404. Accessibility is checked
in Chromium (``tests/admin_ui/browser/test_insight_browser.py``).
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from conftest import SiteInfo
from plaudit_server import guidelines, trust_pages
from plaudit_server.extensions import db
from plaudit_server.models import REJECT_REASONS, ReportStatus, Status
from plaudit_server.services import sites
from trust_rows import NOW, Rows


def page(client: Any, path: str, language: str | None = None) -> tuple[int, str, Any]:
    headers = {"Accept-Language": language} if language else {}
    response = client.get(path, headers=headers)
    return response.status_code, response.get_data(as_text=True), response.headers


def text_of(markup: str) -> str:
    """The page's words as a reader gets them: tags gone, entities decoded, runs of
    ASCII white space made one space (no-break spaces are part of the words)."""
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def figure(markup: str, label: str) -> str:
    """The words of the ``<dd>`` after the ``<dt>label</dt>``."""
    found = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>(.*?)</dd>", markup, re.S)
    assert found, f"no figure {label!r}"
    return text_of(found.group(1))


def set_site(app: Flask, slug: str, **values: Any) -> None:
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        for key, value in values.items():
            setattr(site, key, value)
        db.session.commit()


@pytest.fixture
def history(app: Flask, site: SiteInfo) -> None:
    """Six reviews and a comment received, four reports, decisions at known times."""
    with app.app_context():
        found = sites.site_by_slug(db.session, site.slug)
        r = Rows(db.session, found, NOW)
        r.review(rating=1, replied_after=3.1)
        r.review(rating=5, replied_after=1.5)
        r.review(rating=2)
        r.review(status=Status.PENDING)
        r.review(status=Status.REJECTED, reason="offensive", decided_after=1.5)
        r.review(status=Status.REJECTED, reason="offensive", decided_after=50)
        r.comment(status=Status.SPAM, decided_after=3)
        r.report(ReportStatus.REMOVED)
        r.report(ReportStatus.KEPT)
        r.report(ReportStatus.KEPT)
        r.report(ReportStatus.OPEN)
        db.session.commit()


# ---------------------------------------------------------------- transparency page


def test_transparency_page_tells_the_figures_in_words(
    client: Any, site: SiteInfo, history: None
) -> None:
    status, markup, headers = page(client, f"/t/{site.slug}", "en-GB,en;q=0.8")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    words = text_of(markup)
    assert "<h1>Transparency report</h1>" in markup
    start = (NOW - timedelta(days=365)).date()
    period = f"{start.day} {trust_pages.MONTHS['en'][start.month - 1]} {start.year}"
    assert f"sent to acme-shop from {period} to" in words
    assert re.search(r'data-figure="received">\s*7\s*<', markup)
    assert figure(markup, "Published") == "3 (43%)"
    assert figure(markup, "Waiting for a check") == "1 (14%)"
    assert figure(markup, "Rejected") == "3 (43%)"
    assert figure(markup, "Offensive") == "2 (67%)"
    assert figure(markup, "Spam") == "1 (33%)"
    assert figure(markup, "Personal data") == "0 (0%)"
    assert re.search(r'data-figure="reports">\s*4\s*<', markup)
    assert figure(markup, "Led to a removal") == "1 (25%)"
    assert figure(markup, "Checked, and the contribution kept") == "2 (50%)"
    assert figure(markup, "Not decided yet") == "1 (25%)"
    # Decided after 1.5, 3 and 50 hours; answered after 1.5 and 3.1 hours.
    assert "Half of the decisions were made within 3\u00a0hours of the submission." in words
    assert "The shop answered 67% of the published reviews." in words
    assert "Half of its answers came within 2.3\u00a0hours." in words
    assert "It answered 50% of the reviews with 1 or 2 stars." in words
    assert "No review is removed or held back for its rating" in words
    # Every reason is listed, each bar drawn from its share.
    assert markup.count('<rect class="fill" width="66.7"') == 2  # Offensive, answered
    for reason in REJECT_REASONS:
        assert f"<dt>{guidelines.reason_label(reason)}</dt>" in markup
    assert f'href="/sites/{site.slug}/guidelines"' in markup
    assert f'href="/api/v1/sites/{site.slug}/transparency"' in markup


def test_transparency_page_of_a_new_site_says_there_is_nothing_yet(
    client: Any, site: SiteInfo
) -> None:
    status, markup, _ = page(client, f"/t/{site.slug}")
    assert status == 200
    words = text_of(markup)
    assert "None was rejected." in words
    assert "No reports were received." in words
    assert "No contribution needed a decision in this period." in words
    assert "No reviews were published in this period." in words
    assert re.search(r'data-figure="received">\s*0\s*<', markup)


@pytest.mark.parametrize(
    ("language", "title", "sentence"),
    [
        ("de-DE,de;q=0.9", "Transparenzbericht", "Der Shop hat auf 67\u00a0% der"),
        ("fr", "Rapport de transparence", "La boutique a répondu à 67\u202f% des avis publiés."),
        ("es", "Informe de transparencia", "La tienda respondió al 67\u00a0% de las opiniones"),
    ],
)
def test_transparency_page_speaks_the_visitors_language(
    client: Any, site: SiteInfo, history: None, language: str, title: str, sentence: str
) -> None:
    status, markup, _ = page(client, f"/t/{site.slug}", language)
    assert status == 200
    assert f'<html lang="{language[:2]}">' in markup
    assert f"<h1>{title}</h1>" in markup
    assert sentence in text_of(markup)
    assert "/sites/acme-shop/guidelines" in markup


def test_lang_parameter_then_visitor_then_site_language(
    app: Flask, client: Any, site: SiteInfo
) -> None:
    set_site(app, site.slug, locale="es")
    assert '<html lang="fr">' in page(client, f"/t/{site.slug}?lang=fr", "de")[1]
    assert '<html lang="de">' in page(client, f"/t/{site.slug}?lang=xx", "de")[1]
    assert '<html lang="es">' in page(client, f"/t/{site.slug}", "ja")[1]
    assert '<html lang="es">' in page(client, f"/t/{site.slug}")[1]
    # The language asked for by parameter carries over to the other page's link.
    markup = page(client, f"/t/{site.slug}?lang=fr")[1]
    assert f'href="/sites/{site.slug}/guidelines?lang=fr"' in markup


def test_pages_are_public_for_five_minutes_under_the_strict_csp(
    client: Any, site: SiteInfo
) -> None:
    for path in (f"/t/{site.slug}", f"/sites/{site.slug}/guidelines"):
        status, _, headers = page(client, path)
        assert status == 200
        assert headers["Cache-Control"] == "public, max-age=300"
        assert "Accept-Language" in headers["Vary"]
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "script-src" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/t/{}", "/sites/{}/guidelines"])
def test_an_unknown_site_is_the_friendly_404(client: Any, path: str) -> None:
    status, markup, headers = page(client, path.format("no-such-shop"), "fr")
    assert status == 404
    assert "<h1>Page introuvable</h1>" in markup
    assert "no-such-shop" not in markup
    assert headers["Cache-Control"] == "no-store"


def test_the_shops_name_is_escaped(app: Flask, client: Any, site: SiteInfo, history: None) -> None:
    set_site(app, site.slug, name='<script>alert(1)</script> & "Co" {shop}')
    for path in (f"/t/{site.slug}", f"/sites/{site.slug}/guidelines"):
        markup = page(client, path)[1]
        assert "<script>alert(1)" not in markup
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34; {shop}" in markup


# ---------------------------------------------------------------- guidelines page


def test_default_guidelines_in_the_visitors_language(client: Any, site: SiteInfo) -> None:
    status, markup, _ = page(client, f"/sites/{site.slug}/guidelines", "de")
    assert status == 200
    assert "<h1>So prüfen wir Bewertungen</h1>" in markup
    assert '<div class="guidelines-text" lang="de">' in markup
    paragraphs = re.findall(r"<p>(.*?)</p>", markup.split('class="guidelines-text"')[1], re.S)
    assert [html.unescape(p) for p in paragraphs] == guidelines.paragraphs(
        guidelines.default_text("de")
    )
    assert "16 CFR 465.7" in markup
    assert f'href="/t/{site.slug}"' in markup


def test_the_owners_text_is_plain_paragraphs_in_the_sites_language(
    app: Flask, client: Any, site: SiteInfo
) -> None:
    own = (
        "Our rules\r\nWe read every review.\r\n\r\n   \r\n"
        '<b>Bold?</b> <a href="javascript:alert(1)">no</a>\n\n\nThe end.  '
    )
    set_site(app, site.slug, guidelines=own, locale="fr")
    status, markup, _ = page(client, f"/sites/{site.slug}/guidelines", "en")
    assert status == 200
    assert "<h1>How we moderate reviews</h1>" in markup  # the page speaks English
    assert '<div class="guidelines-text" lang="fr">' in markup  # the owner's text French
    body = markup.split('class="guidelines-text"')[1]
    assert re.findall(r"<p>(.*?)</p>", body, re.S) == [
        "Our rules\nWe read every review.",
        "&lt;b&gt;Bold?&lt;/b&gt; &lt;a href=&#34;javascript:alert(1)&#34;&gt;no&lt;/a&gt;",
        "The end.",
    ]
    assert "<b>" not in markup and "16 CFR" not in markup


# ---------------------------------------------------------------- the words


def test_default_guidelines_say_what_the_server_does() -> None:
    for locale in guidelines.LOCALES:
        text = guidelines.default_text(locale)
        assert "16 CFR 465.7" in text
        for reason in REJECT_REASONS:
            assert f"- {guidelines.reason_label(reason, locale)}" in text
        assert "{" not in text and "<" not in text
    english = guidelines.default_text("en")
    for promise in ("star rating", "Received an incentive", '"Report"', "appeal", "delete"):
        assert promise in english
    assert guidelines.default_text("pt") == english


def test_text_for_a_site(app: Flask, site: SiteInfo) -> None:
    with app.app_context():
        found = sites.site_by_slug(db.session, site.slug)
        found.locale = "es"
        assert guidelines.text_for(found) == (guidelines.default_text("es"), False)
        assert guidelines.text_for(found, "fr") == (guidelines.default_text("fr"), False)
        found.guidelines = "  \n  "
        assert guidelines.text_for(found)[1] is False
        found.guidelines = "\nOur own rules.\n"
        assert guidelines.text_for(found, "fr") == ("Our own rules.", True)
        db.session.rollback()


@pytest.mark.parametrize(
    ("value", "locale", "decimals", "expected"),
    [
        (1234567, "en", 0, "1,234,567"),
        (1234.5, "de", 1, "1.234,5"),
        (1234.5, "fr", 1, "1\u202f234,5"),
        (1234, "es", 0, "1234"),
        (12345, "es", 0, "12.345"),
        (6.5, "en", 1, "6.5"),
    ],
)
def test_numbers_as_each_language_writes_them(
    value: float, locale: str, decimals: int, expected: str
) -> None:
    assert trust_pages.number(value, locale, decimals) == expected


@pytest.mark.parametrize(
    ("hours", "locale", "expected"),
    [
        (0.0, "en", "a few minutes"),
        (0.5, "en", "30\u00a0minutes"),
        (1.0, "en", "1\u00a0hour"),
        (6.5, "de", "6,5\u00a0Stunden"),
        (1.5, "fr", "1,5\u00a0heure"),
        (1.5, "es", "1,5\u00a0horas"),
        (47.9, "en", "47.9\u00a0hours"),
        (48.0, "fr", "2\u00a0jours"),
        (60.0, "en", "2.5\u00a0days"),
        (24 * 30, "es", "30\u00a0días"),
    ],
)
def test_durations_in_words(hours: float, locale: str, expected: str) -> None:
    assert trust_pages.duration(hours, locale) == expected


def test_percent_and_dates() -> None:
    assert trust_pages.percent(0.425, "en") == "42%"
    assert trust_pages.percent(0.5, "fr") == "50\u202f%"
    assert trust_pages.percent(1.0, "de") == "100\u00a0%"
    day = date(2026, 3, 1)
    assert [trust_pages.long_date(day, loc) for loc in ("en", "de", "fr", "es")] == [
        "1 March 2026",
        "1. März 2026",
        "1er mars 2026",
        "1 de marzo de 2026",
    ]


def test_every_language_has_every_word() -> None:
    keys = set(trust_pages.TEXT["en"])
    for locale in ("de", "fr", "es"):
        assert set(trust_pages.TEXT[locale]) == keys
        assert set(guidelines.REASON_LABELS[locale]) == set(REJECT_REASONS)
