"""The hosted review page ``/r/<token>`` (issue 14), on SQLite and PostgreSQL.

Invitations are made through the admin API and the page is opened from the token at
the end of their ``url``, as a buyer does from the mail. What is checked: the sections
(one per product in the order's order, ``product-<n>``, then ``store``), the friendly
404 and 410 pages, a POST that saves verified reviews in one go (or, with any error,
nothing at all and the page again with its errors), a second POST that edits, the four
languages, escaping, the Origin check and the rate limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from conftest import Api
from plaudit_server import review_page, unsubscribe
from plaudit_server.extensions import db
from plaudit_server.models import Invitation, Review

FUTURE = (datetime.now(UTC) + timedelta(days=3)).isoformat()


def with_page(app: Flask) -> Flask:
    # Until create_app registers it itself.
    if "review_page" not in app.blueprints:
        app.register_blueprint(review_page.bp)
    return app


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return with_page(app_factory())


def invite(api: Any, **fields: Any) -> tuple[dict[str, Any], str]:
    """A new invitation (the API's JSON) and the path of its page."""
    body = {
        "order_id": "1001",
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "products": ["sku-b", "sku-a", "sku-c"],
        **fields,
    }
    response = api.admin("POST", "/invitations", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    invitation = response.get_json()["invitation"]
    return invitation, urlsplit(invitation["url"]).path


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section class="card review-section" id="([^"]+)"', html)


@dataclass
class Saved:
    product: str
    rating: int
    title: str | None
    body: str
    author_name: str
    author_email: str | None
    verified_buyer: bool
    invitation_id: str | None
    status: str


def reviews_of(app: Flask) -> list[Saved]:
    """Every review in the database, as plain values."""
    with app.app_context():
        found = [
            Saved(
                r.product.external_id,
                r.rating,
                r.title,
                r.body,
                r.author_name,
                r.author_email,
                r.verified_buyer,
                r.invitation_id,
                r.status.value,
            )
            for r in db.session.scalars(sa.select(Review).order_by(Review.created_at))
        ]
        db.session.rollback()
        return found


def invitation_json(api: Any, invitation_id: str) -> dict[str, Any]:
    response = api.admin("GET", f"/invitations/{invitation_id}")
    assert response.status_code == 200
    result: dict[str, Any] = response.get_json()["invitation"]
    return result


def form(**fields: str) -> dict[str, str]:
    return {"author_name": "Ada Lovelace", **fields}


def assert_public_page(response: Any, status: int) -> str:
    """A friendly HTML page of ``status`` with the public pages' security headers."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert response.mimetype == "text/html"
    assert "Traceback" not in html
    assert response.headers["Content-Security-Policy"] == unsubscribe.CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script" not in html  # no script, inline or not
    return html


# ---------------------------------------------------------------- the form


def test_sections_in_the_orders_order_then_the_shop(client: Any, api: Any) -> None:
    _, path = invite(api)
    html = assert_public_page(client.get(path), 200)
    assert section_ids(html) == ["product-1", "product-2", "product-3", "store"]
    products = re.findall(r'<span class="product-id">([^<]+)</span>', html)
    assert products == ["sku-b", "sku-a", "sku-c"]  # shown by id: there are no names
    assert '<html lang="en">' in html
    assert "<h1>Review your order from acme-shop</h1>" in html
    # Five stars per section, as radio buttons named by section, labelled "n stars".
    assert len(re.findall(r'type="radio"[^>]*name="rating-1"', html)) == 5
    assert len(re.findall(r'type="radio"[^>]*name="rating-store"', html)) == 5
    for label in ("1 star", "2 stars", "5 stars"):
        assert f'<span class="visually-hidden">{label}</span>' in html
    assert html.count("<fieldset") == 4 and html.count("<legend>Your rating</legend>") == 4
    assert 'value="Ada Lovelace"' in html  # the name from the invitation
    assert html.count('name="author_name"') == 1  # one name for the page
    assert 'type="email"' not in html  # the invitation has the address
    assert "review.css" in html


def test_no_store_section_when_the_invitation_asks_for_none(client: Any, api: Any) -> None:
    _, path = invite(api, products=["sku-1"], store_review=False)
    html = assert_public_page(client.get(path), 200)
    assert section_ids(html) == ["product-1"]


def test_unknown_token_is_a_friendly_404(client: Any) -> None:
    html = assert_public_page(client.get("/r/not-a-token"), 404)
    assert "Link not valid" in html
    assert "This review link is not valid" in html
    html = assert_public_page(
        client.get("/r/not-a-token", headers={"Accept-Language": "de-DE,de;q=0.9"}), 404
    )
    assert "Link ungültig" in html
    assert_public_page(client.post("/r/not-a-token", data=form()), 404)
    assert_public_page(client.get("/r/not-a-token/thanks"), 404)


def test_cancelled_and_expired_links_are_a_friendly_410(app: Flask, client: Any, api: Any) -> None:
    cancelled, cancelled_path = invite(api, send_at=FUTURE, locale="fr")
    assert api.admin("DELETE", f"/invitations/{cancelled['id']}").status_code == 200
    html = assert_public_page(client.get(cancelled_path), 410)
    assert "Ce lien a expiré" in html and '<html lang="fr">' in html

    expired, expired_path = invite(api, order_id="1002")
    assert_public_page(client.get(expired_path), 200)
    with app.app_context():
        row = db.session.get(Invitation, expired["id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    html = assert_public_page(client.get(expired_path), 410)
    assert "This link has expired" in html
    posted = client.post(expired_path, data=form(**{"rating-1": "5", "body-1": "Late"}))
    assert_public_page(posted, 410)
    assert reviews_of(app) == []


# ---------------------------------------------------------------- sending reviews


def test_post_saves_verified_reviews_and_the_store_review(
    app: Flask, client: Any, api: Any
) -> None:
    invitation, path = invite(api)
    response = client.post(
        path,
        data=form(
            **{"rating-2": "4", "title-2": "Solid", "body-2": "Does what it says."},
            **{"rating-store": "5", "body-store": "Fast delivery."},
        ),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{path}/thanks"
    saved = {(r.product, r.rating, r.title, r.body) for r in reviews_of(app)}
    assert saved == {
        ("sku-a", 4, "Solid", "Does what it says."),
        ("@store", 5, None, "Fast delivery."),
    }
    for review in reviews_of(app):
        assert review.verified_buyer is True
        assert review.invitation_id == invitation["id"]
        assert review.author_name == "Ada Lovelace"
        assert review.author_email == "ada@example.com"
    assert invitation_json(api, invitation["id"])["status"] == "reviewed"

    store = api.admin("GET", "/reviews?subject=store").get_json()["reviews"]
    assert [(r["product"], r["verified_buyer"], r["body"]) for r in store] == [
        (None, True, "Fast delivery.")
    ]
    products = api.admin("GET", "/reviews?subject=product").get_json()["reviews"]
    assert [r["product"] for r in products] == ["sku-a"]

    thanks = assert_public_page(client.get(f"{path}/thanks"), 200)
    assert "Thank you!" in thanks
    assert thanks.count("Published.") == 2
    assert "after a check" not in thanks


def test_thanks_says_pending_when_the_shop_checks_first(app: Flask, client: Any, api: Any) -> None:
    assert api.admin("PATCH", "/site", json={"moderation": "pre"}).status_code == 200
    _, path = invite(api, locale="es")
    posted = client.post(path, data=form(**{"rating-1": "3", "body-1": "Bien."}))
    assert posted.status_code == 303
    thanks = assert_public_page(client.get(posted.headers["Location"]), 200)
    assert "Tu opinión aparecerá después de una revisión." in thanks
    assert "Publicada." not in thanks
    assert [r.status for r in reviews_of(app)] == ["pending"]


def test_thanks_without_a_review_goes_back_to_the_form(client: Any, api: Any) -> None:
    _, path = invite(api)
    response = client.get(f"{path}/thanks")
    assert response.status_code == 303
    assert response.headers["Location"] == path


def test_a_second_post_edits_and_the_form_shows_what_was_sent(
    app: Flask, client: Any, api: Any
) -> None:
    _, path = invite(api)
    first = client.post(path, data=form(**{"rating-1": "2", "body-1": "Meh."}))
    assert first.status_code == 303
    html = assert_public_page(client.get(path), 200)
    assert html.count("You can change your review.") == 1
    section = html.split('id="product-1"')[1].split("</section>")[0]
    assert re.search(r'value="2"\s+id="product-1-rating-2" checked', section)
    assert "Meh.</textarea>" in section

    second = client.post(
        path, data=form(author_name="Ada L.", **{"rating-1": "5", "body-1": "Grew on me."})
    )
    assert second.status_code == 303
    [review] = reviews_of(app)
    assert (review.rating, review.body, review.author_name) == (5, "Grew on me.", "Ada L.")
    assert 'value="Ada L."' in client.get(path).get_data(as_text=True)


def test_an_invalid_section_saves_nothing_and_shows_each_error(
    app: Flask, client: Any, api: Any
) -> None:
    _, path = invite(api)
    response = client.post(
        path,
        data=form(
            **{"rating-1": "5", "body-1": "Fine, this one is complete."},
            **{"rating-2": "4"},  # a rating without text
            **{"body-3": "Text without a rating", "title-3": "x" * 121},
        ),
    )
    html = assert_public_page(response, 422)
    assert reviews_of(app) == []
    assert "<title>Error: " in html
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [
        ("product-2-body", "Write a few words about it."),
        ("product-3-rating-1", "Choose a rating from 1 to 5 stars."),
        ("product-3-title", "Must be at most 120 characters."),
    ]
    assert re.search(r'id="error-summary" tabindex="-1" autofocus', html)  # focused first
    # Each message next to its field, tied to it for screen readers.
    assert re.search(
        r'id="product-2-body" name="body-2"[^>]*aria-invalid="true" '
        r'aria-describedby="product-2-body-error"',
        html,
    )
    assert 'id="product-2-body-error">Write a few words about it.</p>' in html
    assert 'aria-describedby="product-3-rating-error"' in html
    assert len(re.findall(r'name="rating-3"[^>]*aria-invalid="true"', html)) == 5
    assert 'aria-invalid="true"' not in html.split('id="product-1"')[1].split("</section>")[0]
    # What was typed comes back.
    assert "Fine, this one is complete.</textarea>" in html
    assert "Text without a rating</textarea>" in html
    assert re.search(r'value="4"\s+id="product-2-rating-4" checked', html)


def test_an_empty_form_or_name_is_an_error(app: Flask, client: Any, api: Any) -> None:
    _, path = invite(api)
    html = assert_public_page(client.post(path, data=form()), 422)
    assert "Rate at least one item" in html
    assert '<a href="#product-1-rating-1">' in html
    html = assert_public_page(
        client.post(path, data=form(author_name="  ", **{"rating-1": "5", "body-1": "Ok"})), 422
    )
    assert '<a href="#author_name">Enter your name.</a>' in html
    assert re.search(
        r'id="author_name"[^>]*aria-describedby="author_name-hint author_name-error"', html
    )
    html = assert_public_page(
        client.post(path, data=form(**{"rating-1": "9", "body-1": "Ok"})), 422
    )
    assert "Choose a rating from 1 to 5 stars." in html
    assert reviews_of(app) == []


def test_the_apis_limits_apply(app: Flask, client: Any, api: Any) -> None:
    _, path = invite(api, locale="de")
    html = assert_public_page(
        client.post(path, data=form(**{"rating-1": "5", "body-1": "x" * 5001})), 422
    )
    assert "Höchstens 5000 Zeichen." in html
    assert reviews_of(app) == []
    # Every section at its longest, in letters sent as 6 bytes each (%C3%A9): far over
    # the API's 64 KiB, still a form this page takes.
    full = {
        f"{k}-{n}": v
        for n in ("1", "2", "3", "store")
        for k, v in (("rating", "5"), ("title", "é" * 120), ("body", "é" * 5000))
    }
    assert client.post(path, data=form(**full)).status_code == 303
    assert sorted(len(r.body) for r in reviews_of(app)) == [5000] * 4


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", ["Send my reviews", "Your rating", "3 stars", "Title (optional)"]),
        ("de", ["Bewertungen senden", "Ihre Bewertung", "3 Sterne", "Titel (optional)"]),
        ("fr", ["Envoyer mes avis", "Votre note", "3 étoiles", "Titre (facultatif)"]),
        ("es", ["Enviar mis opiniones", "Tu valoración", "3 estrellas", "Título (opcional)"]),
    ],
)
def test_every_language(client: Any, api: Any, locale: str, words: list[str]) -> None:
    _, path = invite(api, locale=locale)
    html = assert_public_page(client.get(path), 200)
    assert f'<html lang="{locale}">' in html
    for word in words:
        assert word in html
    error = assert_public_page(client.post(path, data=form()), 422)
    assert review_page.TEXT[locale]["no_section"] in error


def test_every_language_has_every_string() -> None:
    keys = set(review_page.TEXT["en"])
    for locale, words in review_page.TEXT.items():
        assert set(words) == keys, locale
        if locale != "en":
            untranslated = {k for k in keys if words[k] == review_page.TEXT["en"][k]}
            assert untranslated <= {"error_prefix"}, (locale, untranslated)


def test_submitted_text_and_the_shops_name_come_back_escaped(
    app: Flask, client: Any, api: Any
) -> None:
    assert api.admin("PATCH", "/site", json={"name": "<b>Shop</b>"}).status_code == 200
    _, path = invite(api, name='"><img src=x>')
    html = client.get(path).get_data(as_text=True)
    assert "<b>Shop</b>" not in html and "&lt;b&gt;Shop&lt;/b&gt;" in html
    assert "<img src=x>" not in html and 'value="&#34;&gt;&lt;img src=x&gt;"' in html
    attack = "<script>alert(1)</script>"
    html = client.post(
        path, data=form(**{"rating-2": "x", "body-2": attack, "title-2": attack})
    ).get_data(as_text=True)
    assert attack not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html
    assert client.post(path, data=form(**{"rating-2": "1", "body-2": attack})).status_code == 303
    html = client.get(path).get_data(as_text=True)
    assert attack not in html and "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html
    assert [r.body for r in reviews_of(app)] == [attack]  # stored as sent


def test_origin_must_be_this_servers_own(app: Flask, client: Any, api: Any) -> None:
    _, path = invite(api)
    data = form(**{"rating-1": "5", "body-1": "Good."})
    for origin in ("http://evil.test", "null", "http://localhost.evil.test"):
        html = assert_public_page(client.post(path, data=data, headers={"Origin": origin}), 403)
        assert "This form can only be sent from its own page." in html
    assert reviews_of(app) == []
    own = client.post(path, data=data, headers={"Origin": "http://localhost"})
    assert own.status_code == 303
    public = client.post(path, data=data, headers={"Origin": "http://127.0.0.1:5000"})
    assert public.status_code == 303  # PUBLIC_URL's origin (behind a proxy)


def test_posts_are_rate_limited_per_visitor(
    app_factory: Callable[..., Flask], make_site: Any
) -> None:
    app = with_page(
        app_factory(RATELIMIT_ENABLED=True, RATELIMIT_SUBMISSIONS_PER_VISITOR="2/minute")
    )
    client = app.test_client()
    api = Api(client, make_site(slug="limited-shop"))
    _, path = invite(api, locale="fr")
    data = form(**{"rating-1": "5", "body-1": "Good."})
    assert client.post(path, data=data).status_code == 303
    assert client.post(path, data=data).status_code == 303
    html = assert_public_page(client.post(path, data=data), 429)
    assert "Trop de tentatives" in html
    assert int(client.post(path, data=data).headers["Retry-After"]) > 0
    assert client.get(path).status_code == 200  # reading is not limited


def test_a_form_over_a_mebibyte_is_a_friendly_413(app: Flask, client: Any, api: Any) -> None:
    _, path = invite(api, locale="es")
    huge = form(**{"rating-1": "5", "body-1": "x" * (review_page.MAX_FORM_BYTES + 1)})
    html = assert_public_page(client.post(path, data=huge), 413)
    assert "Tus opiniones son demasiado largas para enviarlas." in html
    assert reviews_of(app) == []
