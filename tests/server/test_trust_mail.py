"""The trust mails (issue 16), on SQLite and PostgreSQL, to a real SMTP server (aiosmtpd).

An author who gave an address gets the link to manage what they wrote (its token never
stored in plain text: the database is searched for it); a reporter who gave one hears
the shop's decision and why; the shop hears of new reports with its new items, at once
or in the daily digest. What arrives is parsed as a mail client would; links are
followed. The fixtures and helpers are the notification tests' own.

The addresses here are not those of ``test_notifications.py``, whose visitors' manage
links that module may suppress to see only the messages it is about.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from test_notifications import (  # the fixtures (mail_app, shop, mapi) and helpers
    comment,
    follow_unsubscribe,
    mail_app,
    mapi,
    messages,
    new_items,
    ok,
    open_shop,
    review,
    run,
    settings,
    shift_site,
    shop,
    text_of,
    unsubscribe_link,
)

from conftest import Api, SiteInfo
from mailsink import Arrived, MailSink
from plaudit_server.extensions import db
from plaudit_server.models import Base, ManageToken, Message, Review, Site
from plaudit_server.services import notifications, reviews, suppressions

__all__ = ["mail_app", "mapi", "open_shop", "shop"]  # fixtures, used by name

SOON = (datetime.now(UTC) + timedelta(days=3)).isoformat()
LEA = "lea@example.com"
RITA = "rita@example.com"
LINK = re.compile(r"http://127\.0\.0\.1:5000/m/([A-Za-z0-9_-]+)")


def links_in(arrived: Arrived) -> list[str]:
    """The manage links of a message (each once, in order), the same in both parts."""
    found = list(dict.fromkeys(LINK.findall(text_of(arrived))))
    assert found == list(dict.fromkeys(LINK.findall(arrived.html))), arrived.html
    return found


def everything_stored(app: Flask) -> str:
    """Every row of every table, as text: what a copy of the database would give away."""
    with app.app_context():
        rows = []
        for table in Base.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in db.session.execute(sa.select(table))]
        db.session.rollback()
        return "\n".join(rows)


def token_hashes(app: Flask) -> set[str]:
    with app.app_context():
        found = set(db.session.scalars(sa.select(ManageToken.token_hash)))
        db.session.rollback()
        return found


def report(api: Api, item_id: str, visitor: int, kind: str = "review", **body: Any) -> str:
    """A visitor's report (each ``visitor`` number is another browser); its id."""
    headers = {"User-Agent": f"reporter-{visitor}", **body.pop("headers", {})}
    answer = api.client.post(
        api.public(f"/{kind}s/{item_id}/reports"),
        json={"reason": "offensive", **body},
        headers=headers,
    )
    return str(ok(answer, 202)["report"]["id"])


def decide(api: Api, report_id: str, decision: str, note: str | None = None) -> None:
    body = {"decision": decision, **({"note": note} if note is not None else {})}
    ok(api.admin("POST", f"/reports/{report_id}/decide", json=body))


# ---------------------------------------------------------------- the manage link


def test_the_manage_link_arrives_and_its_token_is_stored_only_hashed(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    item = review(mapi, body="Grinds <b>fine</b>", author_email=LEA, author_name="Léa")
    [queued] = messages(mail_app)
    assert queued.kind == "manage_link" and queued.email == LEA
    assert queued.data == {"items": [{"item": "review", "id": item["id"]}]}
    tally = run(mail_app)
    assert (tally.manage_links, tally.sent) == (1, 1)
    [arrived] = smtp_sink.wait_for(1)
    message = arrived.message
    assert arrived.rcpt_tos == [LEA]
    assert message["Subject"] == "Your review at Acme Shop: your private link"
    assert message["Message-ID"] == f"<{queued.id}.manage_link@localhost>"
    assert message["Content-Language"] == "en"
    assert message["List-Unsubscribe"] is None  # the author's own request
    text = text_of(arrived)
    assert text.startswith("Hello Léa,\n\nthank you for your review of sku-1 at Acme Shop.")
    assert "whoever has the link can change or delete what you wrote" in text
    [token] = links_in(arrived)

    # The link works: the page of that review.
    page = mail_app.test_client().get(f"/m/{token}")
    assert page.status_code == 200
    assert "Grinds &lt;b&gt;fine&lt;/b&gt;" in page.get_data(as_text=True)
    # Only its hash is stored; the token itself is nowhere in the database.
    assert hashlib.sha256(token.encode()).hexdigest() in token_hashes(mail_app)
    assert token not in everything_stored(mail_app)
    [sent] = messages(mail_app)
    assert sent.sent_at is not None and sent.due_at is None


def test_a_comment_in_the_sites_language(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    settings(mapi, locale="de")
    made = comment(mapi, body="Passt das?", author_email=LEA, author_name="Lea")
    assert run(mail_app).manage_links == 1
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.message["Subject"] == "Ihr Kommentar bei Acme Shop: Ihr persönlicher Link"
    assert arrived.message["Content-Language"] == "de"
    assert "vielen Dank für Ihren Kommentar zu sku-1 bei Acme Shop." in text_of(arrived)
    [token] = links_in(arrived)
    page = mail_app.test_client().get(f"/m/{token}").get_data(as_text=True)
    assert "Ihr Kommentar zu sku-1" in page and "Passt das?" in page
    assert made["id"] in str(messages(mail_app)[0].data)


def test_no_link_without_an_address_for_the_shop_or_for_spam(
    mail_app: Flask, mapi: Api, open_shop: Api, smtp_sink: MailSink
) -> None:
    review(mapi, body="No address given")
    owner = ok(
        mapi.admin(
            "POST", "/comments", json={"product": "sku-1", "body": "The shop's own comment"}
        ),
        201,
    )
    assert owner["is_owner"] is True
    # A bot's submission (the honeypot filled) must not make this server mail anyone.
    review(mapi, body="Buy cheap watches", author_email=LEA, hp="http://spam.test")
    assert messages(mail_app) == []
    assert run(mail_app).total == 0
    assert smtp_sink.messages == []


def test_one_message_for_what_one_request_submits(
    mail_app: Flask, mapi: Api, open_shop: Api, smtp_sink: MailSink
) -> None:
    """A buyer reviewing two products of an order on the hosted page: one mail, two links,
    each opening its own review."""
    invitation = ok(
        mapi.admin(
            "POST",
            "/invitations",
            json={
                "order_id": "77",
                "email": LEA,
                "name": "Léa",
                "products": ["sku-1", "sku-2"],
                "store_review": False,
                "send_at": SOON,  # the request itself is not mailed during the test
            },
        ),
        201,
    )["invitation"]
    path = urlsplit(invitation["url"]).path
    form = {
        "author_name": "Léa",
        "rating-1": "5",
        "body-1": "Lovely mill.",
        "rating-2": "4",
        "body-2": "Nice kettle.",
    }
    assert mail_app.test_client().post(path, data=form).status_code == 303
    [queued] = messages(mail_app)
    assert queued.kind == "manage_link" and len(queued.data["items"]) == 2
    assert run(mail_app).manage_links == 1
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.message["Subject"] == "Your reviews at Acme Shop: your private links"
    text = text_of(arrived)
    first, second = links_in(arrived)
    assert f"- Your review of sku-1: http://127.0.0.1:5000/m/{first}" in text
    assert f"- Your review of sku-2: http://127.0.0.1:5000/m/{second}" in text
    client = mail_app.test_client()
    assert "Lovely mill." in client.get(f"/m/{first}").get_data(as_text=True)
    assert "Nice kettle." in client.get(f"/m/{second}").get_data(as_text=True)
    stored = everything_stored(mail_app)
    assert first not in stored and second not in stored


def test_a_suppressed_address_gets_no_link(
    mail_app: Flask, mapi: Api, shop: SiteInfo, smtp_sink: MailSink
) -> None:
    with mail_app.app_context():
        suppressions.suppress(db.session, shop.id, notifications.MANAGE_LIST, "LEA@example.com")
        db.session.commit()
    review(mapi, author_email=LEA)
    assert messages(mail_app) == []

    # Suppressed between queueing and sending: dropped, not mailed.
    review(mapi, body="Another one", author_email=RITA)
    with mail_app.app_context():
        suppressions.suppress(db.session, shop.id, notifications.MANAGE_LIST, RITA)
        db.session.commit()
    tally = run(mail_app)
    assert (tally.sent, tally.dropped) == (0, 1)
    assert smtp_sink.messages == []


def test_a_rolled_back_submission_mails_nothing(
    mail_app: Flask, shop: SiteInfo, smtp_sink: MailSink
) -> None:
    with mail_app.app_context():
        site = db.session.get(Site, shop.id)
        assert site is not None
        data = {"rating": 5, "body": "Never saved", "author_name": "Léa", "author_email": LEA}
        reviews.submit_review(db.session, site, "sku-1", data, visitor_hash="v", network_hash="n")
        db.session.flush()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0
    assert messages(mail_app) == [] and token_hashes(mail_app) == set()
    assert run(mail_app).total == 0
    assert smtp_sink.messages == []


def test_an_item_deleted_before_sending_is_not_mailed(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    item = review(mapi, author_email=LEA)
    assert mapi.admin("DELETE", f"/reviews/{item['id']}").status_code == 204
    tally = run(mail_app)
    assert (tally.sent, tally.dropped) == (0, 1)
    assert smtp_sink.messages == []


# ---------------------------------------------------------------- the reporter


def test_the_reporter_hears_the_decision_and_why(
    mail_app: Flask, mapi: Api, open_shop: Api, shop: SiteInfo, smtp_sink: MailSink
) -> None:
    item = review(mapi, body="You are all <idiots>")
    first = report(mapi, item["id"], 1, email=RITA, headers={"Accept-Language": "fr-FR,fr"})
    report(mapi, item["id"], 2)  # no address: told nothing
    assert messages(mail_app) == []  # nothing until the shop decides
    decide(mapi, first, "remove", note="Propos <injurieux>.\nMerci.")
    [queued] = messages(mail_app)
    assert (queued.kind, queued.email, queued.locale) == ("report_outcome", RITA, "fr")
    assert run(mail_app).report_outcomes == 1
    [arrived] = smtp_sink.wait_for(1)
    message = arrived.message
    assert arrived.rcpt_tos == [RITA]
    assert message["Subject"] == "Votre signalement à Acme Shop : la décision"
    assert message["Message-ID"] == f"<{queued.id}.report_outcome@localhost>"
    assert message["Content-Language"] == "fr"
    text = text_of(arrived)
    assert "vous avez signalé un avis sur sku-1 chez Acme Shop (injurieux)." in text
    assert "La boutique l'a examiné et l'a retiré." in text
    assert "Note de la boutique :\nPropos <injurieux>.\nMerci." in text
    assert "Propos &lt;injurieux&gt;." in arrived.html and "<injurieux>" not in arrived.html
    link = unsubscribe_link(arrived)
    with mail_app.app_context():
        named = suppressions.read_token(link.rsplit("/", 1)[1])
    assert named == (shop.id, RITA, notifications.REPORTS_LIST)

    # Unsubscribed: the next decision is not mailed.
    follow_unsubscribe(mail_app, arrived)
    other = review(mapi, body="Another review")
    decide(mapi, report(mapi, other["id"], 1, email=RITA), "keep")
    assert [m.kind for m in messages(mail_app)] == ["report_outcome"]  # the first only


def test_kept_in_english_with_no_note(
    mail_app: Flask, mapi: Api, open_shop: Api, smtp_sink: MailSink
) -> None:
    made = comment(mapi, body="A fair question")
    decide(mapi, report(mapi, made["id"], 1, kind="comment", reason="spam", email=RITA), "keep")
    assert run(mail_app).report_outcomes == 1
    [arrived] = smtp_sink.wait_for(1)
    text = text_of(arrived)
    assert arrived.message["Subject"] == "Your report to Acme Shop: the decision"
    assert "you reported a comment on sku-1 at Acme Shop (spam)." in text
    assert "The shop looked at it and decided to keep it." in text
    assert "The shop's note:" not in text


# ---------------------------------------------------------------- the shop


def test_the_shop_hears_of_a_report_at_once(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    settings(mapi, moderation="post")
    new_items(mapi, "instant")
    item = review(mapi)  # published at once: nothing waits
    assert messages(mail_app) == []
    report(mapi, item["id"], 1)
    report(mapi, item["id"], 2)  # the same message counts both
    [queued] = messages(mail_app)
    assert queued.kind == "new_items"
    assert run(mail_app).new_items == 1
    [arrived] = smtp_sink.wait_for(1)
    text = text_of(arrived)
    assert "- 2 new reports: http://127.0.0.1:5000/admin/acme-shop/reports" in text
    assert 'href="http://127.0.0.1:5000/admin/acme-shop/reports"' in arrived.html
    assert "review" not in text.split("--")[0]  # no review waits


def test_the_daily_digest_counts_reports(
    mail_app: Flask, mapi: Api, shop: SiteInfo, smtp_sink: MailSink
) -> None:
    settings(mapi, moderation="post")
    new_items(mapi, "daily")
    item = review(mapi)
    report(mapi, item["id"], 1)
    assert run(mail_app).total == 0  # not a day yet
    shift_site(mail_app, shop.id, days=1, minutes=1)
    assert run(mail_app).new_items == 1
    [arrived] = smtp_sink.wait_for(1)
    assert "- 1 new report: http://127.0.0.1:5000/admin/acme-shop/reports" in text_of(arrived)
    assert run(mail_app).total == 0  # told once
