"""One-click unsubscribe (RFC 8058) and the suppression list, on SQLite and PostgreSQL.

The link is taken from a message that really arrived at an SMTP server (its
``List-Unsubscribe`` header) and followed over real HTTP the way a mail client does:
a POST of ``List-Unsubscribe=One-Click``, no cookie, no page. A GET (what mail scanners
and link previews do) only shows the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from flask import Flask

from mailsink import MailSink
from plaudit_server import mail, unsubscribe
from plaudit_server.extensions import db
from plaudit_server.mail import Mail
from plaudit_server.services import sites, suppressions

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def app(app_factory: Callable[..., Flask], smtp_sink: MailSink) -> Iterator[Flask]:
    app = app_factory(**smtp_sink.config)
    # Until create_app binds them itself.
    if "plaudit_mail" not in app.extensions:
        mail.init_app(app)
    if "unsubscribe" not in app.blueprints:
        app.register_blueprint(unsubscribe.bp)
    yield app
    app.extensions["plaudit_mail"].close()


def on_list(app: Flask, site_id: str, emails: list[str], kind: str = "invitations") -> set[str]:
    with app.app_context():
        found = suppressions.suppressed(db.session, site_id, kind, emails)
        db.session.rollback()
        return found


def mail_a_link(app: Flask, sink: MailSink, site_id: str, to: str) -> str:
    """Send a message carrying ``to``'s unsubscribe link; the link as it arrived."""
    with app.app_context():
        url = suppressions.unsubscribe_url(site_id, to, "invitations")
        text, html = mail.render("_layout", "en", unsubscribe_url=url)
        mail.mailer().send(
            Mail(to=to, subject="Rate your order", text=text, html=html, unsubscribe_url=url)
        )
    [arrived] = sink.wait_for(1)
    header = arrived.message["List-Unsubscribe"]
    assert arrived.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    match = re.fullmatch(r"<(https?://[^>]+)>", header)
    assert match, header
    link = match.group(1)
    assert link in arrived.text  # the footer of both parts shows it too
    assert f'href="{link}"' in arrived.html
    return link


def test_the_header_link_unsubscribes_with_a_one_click_post(
    app: Flask, site: Any, smtp_sink: MailSink, live_server: Any
) -> None:
    app.config["PUBLIC_URL"] = live_server.url  # links in messages lead to this server
    link = mail_a_link(app, smtp_sink, site.id, "Ada.Lovelace@Example.test")
    assert link.startswith(live_server.url + "/u/")

    with httpx.Client() as client:  # no cookies, no page: a mail provider's server
        looked = client.get(link)  # a scanner following every link
        assert looked.status_code == 200
        assert on_list(app, site.id, ["ada.lovelace@example.test"]) == set()

        answer = client.post(link, data=ONE_CLICK)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "ada.lovelace@example.test" in answer.text
    assert on_list(app, site.id, ["ADA.LOVELACE@example.test", "other@example.test"]) == {
        "ada.lovelace@example.test"
    }
    # Only that kind of message, only that site.
    assert on_list(app, site.id, ["ada.lovelace@example.test"], kind="notifications") == set()


def test_the_page_asks_and_its_button_posts_the_same_body(
    client: Any, site: Any, app: Flask
) -> None:
    with app.app_context():
        path = "/u/" + suppressions.unsubscribe_token(site.id, "bob@example.test", "invitations")
    page = client.get(path, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Keine Bewertungsanfragen von" in html and "bob@example.test" in html
    assert re.search(r'<form method="post" action="">', html)
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in html
    assert "<script" not in html
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert on_list(app, site.id, ["bob@example.test"]) == set()

    # The button: the page's own form, as a browser posts it.
    done = client.post(path, data=ONE_CLICK, headers={"Accept-Language": "fr"})
    assert done.status_code == 200
    assert "Vous êtes désabonné" in done.get_data(as_text=True)
    assert on_list(app, site.id, ["bob@example.test"]) == {"bob@example.test"}
    # Again (a double click, a second mail client): still fine, still one row.
    again = client.post(path, data=ONE_CLICK)
    assert again.status_code == 200
    assert on_list(app, site.id, ["bob@example.test"]) == {"bob@example.test"}


def test_the_stylesheet_of_public_pages_is_served(client: Any) -> None:
    response = client.get("/static/public/public.css")
    assert response.status_code == 200
    assert "--accent" in response.get_data(as_text=True)
    response.close()


def test_a_multipart_one_click_post_works_too(client: Any, site: Any, app: Flask) -> None:
    """RFC 8058 allows the body as multipart/form-data as well."""
    with app.app_context():
        path = "/u/" + suppressions.unsubscribe_token(site.id, "carol@example.test", "invitations")
    response = client.post(path, data=ONE_CLICK, content_type="multipart/form-data")
    assert response.status_code == 200
    assert on_list(app, site.id, ["carol@example.test"]) == {"carol@example.test"}


@pytest.mark.parametrize(
    "token",
    ["nonsense", "W10.abc", "eyJhIjoxfQ.tampered-signature-here"],
)
def test_a_bad_token_gets_a_friendly_404(client: Any, token: str) -> None:
    for method in ("GET", "POST"):
        response = client.open(f"/u/{token}", method=method, data=ONE_CLICK)
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert "This unsubscribe link is not valid" in html
        assert "Traceback" not in html


def test_a_token_signed_with_another_key_or_for_a_deleted_site_is_refused(
    app: Flask, app_factory: Callable[..., Flask], client: Any, make_site: Any
) -> None:
    other = app_factory(SECRET_KEY="another secret key")
    gone = make_site(slug="gone-shop")
    with other.app_context():
        forged = suppressions.unsubscribe_token(gone.id, "dan@example.test", "invitations")
    with app.app_context():
        valid = suppressions.unsubscribe_token(gone.id, "dan@example.test", "invitations")
    assert client.post(f"/u/{forged}", data=ONE_CLICK).status_code == 404
    with app.app_context():
        db.session.delete(sites.site_by_slug(db.session, "gone-shop"))
        db.session.commit()
    assert client.post(f"/u/{valid}", data=ONE_CLICK).status_code == 404
    assert client.get(f"/u/{valid}").status_code == 404


def test_suppress_is_idempotent_and_race_safe(app: Flask, site: Any) -> None:
    def suppress(email: str) -> None:
        with app.app_context():
            suppressions.suppress(db.session, site.id, "invitations", email)
            db.session.commit()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(suppress, ["Eve@Example.test", "eve@example.test"] * 8))
    with app.app_context():
        assert suppressions.suppressed(
            db.session, site.id, "invitations", [" EVE@example.test ", "x@y.test"]
        ) == {"eve@example.test"}
        assert suppressions.suppressed(db.session, site.id, "invitations", []) == set()


def test_tokens_name_a_known_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        suppressions.unsubscribe_token("site_1", "a@b.test", "newsletters")


def test_the_layout_footer_is_translated(app: Flask) -> None:
    with app.app_context():
        text, html = mail.render("_layout", "es", unsubscribe_url="https://x.test/u/t")
        plain_text, plain_html = mail.render("_layout", "en")
    assert "No recibir más estos correos: https://x.test/u/t" in text
    assert '<html lang="es">' in html and 'href="https://x.test/u/t"' in html
    assert "/u/" not in plain_text and "/u/" not in plain_html
