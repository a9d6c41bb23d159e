"""The community's e-mails (issue 18), on SQLite and PostgreSQL, to a real SMTP server
(aiosmtpd), and the hosted answer page ``/q/<token>`` they link to.

"Ask the community": a published question asks up to three of the product's reviewers
(verified buyers first, then the most recent; never the asker, never twice a week, never
an address that left the ``community`` list); the link's answer is a verified buyer's
when the inviting review is. The asker hears once of the first published answer. An
idea that reaches ``planned`` or ``shipped`` tells its voters, the authors of its
feedback and its author, once per stage and address. What arrives is parsed as a mail
client would; links are followed. Time passes by moving timestamps back in the database.

The fixtures and helpers are the notification tests' own; the visitors' addresses are
theirs too (their manage links are suppressed, so each test sees the messages it is
about).
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from test_notifications import (  # the fixtures (mail_app, shop, mapi, open_shop) and helpers
    comment,
    follow_unsubscribe,
    mail_app,
    mapi,
    messages,
    ok,
    open_shop,
    review,
    run,
    settings,
    shop,
    text_of,
    unsubscribe_link,
)
from test_trust_mail import SOON, everything_stored

from conftest import Api, SiteInfo
from mailsink import Arrived, MailSink
from plaudit_server.extensions import db
from plaudit_server.models import Answer, Message, Question
from plaudit_server.services import community_mail, suppressions

__all__ = ["mail_app", "mapi", "open_shop", "shop"]  # fixtures, used by name

ADA = "ada@example.com"  # the asker
KIM = "kim@example.com"
BUYERS = [f"buyer{n}@example.com" for n in range(12)]
LINK = re.compile(r"http://127\.0\.0\.1:5000/q/([A-Za-z0-9_.-]+)")
QUESTION = "Does it grind <fine> enough for espresso?"
ORIGIN = {"Origin": "http://localhost"}  # the test client's own origin


# ---------------------------------------------------------------- helpers


def ask(api: Api, product: str = "sku-1", body: str = QUESTION, **fields: Any) -> dict[str, Any]:
    data = {"body": body, "author_name": "Ada", **fields}
    answer = ok(api.client.post(api.public(f"/products/{product}/questions"), json=data), 201)
    return {**answer["question"], "status": answer["status"]}


def reviewers(api: Api, emails: list[str], product: str = "sku-1") -> list[str]:
    """A published review of ``product`` by each address, in this order; their ids."""
    made = []
    for n, email in enumerate(emails):
        body = f"Review {n} of {product} by {email}"
        made.append(ok(api.post_review(product, body=body, author_email=email), 201)["review"])
    return [item["id"] for item in made]


def verified_reviewer(api: Api, email: str, locale: str = "en", product: str = "sku-1") -> str:
    """A verified buyer's review (sent with a review request's token); its id."""
    invitation = ok(
        api.admin(
            "POST",
            "/invitations",
            json={
                "order_id": f"order-{email}",
                "email": email,
                "products": [product],
                "locale": locale,
                "store_review": False,
                "send_at": SOON,  # the request itself is not mailed during the test
            },
        ),
        201,
    )["invitation"]
    token = urlsplit(invitation["url"]).path.rsplit("/", 1)[1]
    made = review(
        api,
        body=f"Verified review by {email}",
        author_email=email,
        author_name="Vera",
        invite=token,
    )
    assert made["verified_buyer"] is True
    return str(made["id"])


def invites(app: Flask) -> list[Message]:
    return messages(app, community_mail.QUESTION_INVITE)


def link_of(arrived: Arrived) -> str:
    """The answer link's token, the same in both parts."""
    [token] = set(LINK.findall(text_of(arrived)))
    assert set(LINK.findall(arrived.html)) == {token}, arrived.html
    return token


def by_recipient(arrived: list[Arrived]) -> dict[str, Arrived]:
    return {mail.rcpt_tos[0]: mail for mail in arrived}


def answers(app: Flask) -> list[Answer]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Answer).order_by(Answer.created_at)))
        db.session.expunge_all()
        return rows


def age_messages(app: Flask, **delta: float) -> None:
    """Let time pass for every message in the outbox."""
    with app.app_context():
        for row in db.session.scalars(sa.select(Message)):
            row.created_at -= timedelta(**delta)
        db.session.commit()


def moderate(api: Api, kind: str, item_id: str, status: str) -> None:
    ok(api.admin("PATCH", f"/{kind}/{item_id}", json={"status": status}))


# ---------------------------------------------------------------- ask the community


def test_a_question_asks_three_reviewers_verified_first(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    older = reviewers(mapi, BUYERS[:3])  # buyer0 .. buyer2, buyer2 the most recent
    review(mapi, body="No address given for this one")
    reviewers(mapi, [BUYERS[5]], product="sku-2")  # another product
    reviewers(mapi, [ADA])  # the asker reviewed it too
    gone = reviewers(mapi, [BUYERS[6]])[0]
    moderate(mapi, "reviews", gone, "rejected")  # unpublished reviews do not count
    verified = verified_reviewer(mapi, BUYERS[3])  # older than buyer4's, but verified
    reviewers(mapi, [BUYERS[4], BUYERS[4].upper()])  # the most recent, twice: asked once
    question = ask(mapi, author_email=ADA, notify=True)
    assert question["status"] == "published"

    queued = invites(mail_app)
    assert [m.email.lower() for m in queued] == [BUYERS[3], BUYERS[4], BUYERS[2]]
    assert {m.data["question"] for m in queued} == {question["id"]}
    assert queued[0].data["review"] == verified
    assert older[2] == queued[2].data["review"]

    tally = run(mail_app)
    assert (tally.question_invites, tally.sent) == (3, 3)
    mails = by_recipient(smtp_sink.wait_for(3))
    first = mails[BUYERS[3]]
    message = first.message
    assert message["Subject"] == "Can you help answer a question about sku-1?"
    assert message["Message-ID"] == f"<{queued[0].id}.question_invite@localhost>"
    assert message["Content-Language"] == "en"
    link = unsubscribe_link(first)
    text = text_of(first)
    assert text.startswith("Hello Vera,\n\nAda asked a question about sku-1 at Acme Shop.")
    assert "> Does it grind <fine> enough for espresso?" in text  # plain text: as written
    assert "Does it grind &lt;fine&gt; enough" in first.html  # HTML: escaped
    assert "<fine>" not in first.html
    assert "Your answer will show that you bought it from Acme Shop." in text
    assert "You are asked at most once a week." in text
    assert "Your answer is shown with your name." in text_of(mails[BUYERS[4].upper()])
    with mail_app.app_context():
        assert suppressions.read_token(urlsplit(link).path.rsplit("/", 1)[1])[2] == "community"

    # Each link opens the page of that question; its token is stored only hashed.
    token = link_of(first)
    page = mail_app.test_client().get(f"/q/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Does it grind &lt;fine&gt; enough for espresso?" in html
    assert "Your answer will show that you bought it from Acme Shop." in html
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    stored = everything_stored(mail_app)
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert len({link_of(mail) for mail in mails.values()}) == 3

    # A question asks once, even when it is published again.
    moderate(mapi, "questions", question["id"], "rejected")
    moderate(mapi, "questions", question["id"], "published")
    assert len(invites(mail_app)) == 3


def test_a_customer_is_asked_at_most_once_a_week(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    reviewers(mapi, BUYERS[:4])
    reviewers(mapi, [BUYERS[0]], product="sku-2")
    ask(mapi)
    assert [m.email for m in invites(mail_app)] == [BUYERS[3], BUYERS[2], BUYERS[1]]
    # A second question the same day, even about another product: the others only.
    ask(mapi, body="Is it loud when it grinds?")
    ask(mapi, product="sku-2", body="Which burrs does it have?")
    asked = [m.email for m in invites(mail_app)]
    assert asked == [BUYERS[3], BUYERS[2], BUYERS[1], BUYERS[0]]
    # Eight days later everyone may be asked again.
    age_messages(mail_app, days=8)
    ask(mapi, body="How long do the burrs last?")
    assert [m.email for m in invites(mail_app)][4:] == [BUYERS[3], BUYERS[2], BUYERS[1]]
    assert run(mail_app).question_invites == 7


def test_an_address_that_left_the_community_list_is_not_asked(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    mapi = open_shop
    reviewers(mapi, [BUYERS[0], BUYERS[1]])
    question = ask(mapi, author_email=ADA, notify=True)
    run(mail_app)
    mails = by_recipient(smtp_sink.wait_for(2))
    follow_unsubscribe(mail_app, mails[BUYERS[1]])  # one click in the mail client
    with mail_app.app_context():
        assert suppressions.suppressed(db.session, shop.id, "community", [BUYERS[1]])
        db.session.rollback()
    # Another reviewer would leave the question's invitations alone; a week later the
    # next question asks only the one who stayed.
    age_messages(mail_app, days=8)
    ask(mapi, body="Is the hopper big enough?")
    assert [m.email for m in invites(mail_app)][2:] == [BUYERS[0]]
    # Leaving the community list leaves the other lists alone: the asker still hears.
    ok(mapi.admin("POST", "/answers", json={"question_id": question["id"], "body": "Yes."}), 201)
    assert [m.email for m in messages(mail_app, "answer_published")] == [ADA]


def test_a_message_unsubscribed_or_unpublished_meanwhile_is_dropped(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    mapi = open_shop
    reviewers(mapi, [BUYERS[0], BUYERS[1]])
    question = ask(mapi)
    with mail_app.app_context():
        suppressions.suppress(db.session, shop.id, "community", BUYERS[1])
        db.session.commit()
    tally = run(mail_app)
    assert (tally.question_invites, tally.dropped) == (1, 1)
    assert [m.rcpt_tos for m in smtp_sink.wait_for(1)] == [[BUYERS[0]]]
    ask(mapi, product="sku-2", body="Is the kettle's lid removable?")  # nobody to ask
    reviewers(mapi, [BUYERS[2]], product="sku-3")
    later = ask(mapi, product="sku-3", body="Is the scale accurate to 0.1 g?")
    moderate(mapi, "questions", later["id"], "rejected")
    assert run(mail_app).dropped == 1
    assert len(smtp_sink.messages) == 1
    assert question["id"] != later["id"]


def test_the_invitation_speaks_the_reviewers_language(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    verified_reviewer(mapi, BUYERS[0], locale="de")
    settings(mapi, locale="fr")
    reviewers(mapi, [BUYERS[1]])
    ask(mapi, body="Est-ce que le moulin est bruyant ?")
    run(mail_app)
    mails = by_recipient(smtp_sink.wait_for(2))
    german, french = mails[BUYERS[0]], mails[BUYERS[1]]
    assert german.message["Subject"] == "Können Sie eine Frage zu sku-1 beantworten?"
    assert german.message["Content-Language"] == "de"
    assert "Ihre Antwort zeigt, dass Sie den Artikel bei Acme Shop gekauft haben." in (
        text_of(german)
    )
    assert french.message["Subject"] == "Pouvez-vous répondre à une question sur sku-1 ?"
    assert "Keine solchen E-Mails mehr erhalten" in german.html
    page = mail_app.test_client().get(f"/q/{link_of(german)}").get_data(as_text=True)
    assert '<html lang="de">' in page and "Beantworten Sie eine Frage zu sku-1" in page
    page = mail_app.test_client().get(f"/q/{link_of(french)}").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Envoyer ma réponse" in page


# ---------------------------------------------------------------- the answer page


def answer_links(app: Flask, sink: MailSink, count: int) -> dict[str, str]:
    run(app)
    return {address: link_of(mail) for address, mail in by_recipient(sink.wait_for(count)).items()}


def test_an_answer_through_the_page_is_a_verified_buyers_once(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    reviewers(mapi, [BUYERS[0]])
    verified_reviewer(mapi, BUYERS[1])
    question = ask(mapi)
    links = answer_links(mail_app, smtp_sink, 2)
    client = mail_app.test_client()

    # Mistakes first: nothing is stored, the page says what to do.
    empty = client.post(
        f"/q/{links[BUYERS[1]]}", data={"body": " ", "author_name": ""}, headers=ORIGIN
    )
    assert empty.status_code == 422
    html = empty.get_data(as_text=True)
    assert 'href="#answer-body">Write your answer.</a>' in html
    assert 'href="#answer-author_name">Enter your name.</a>' in html
    assert "<title>Error: " in html
    foreign = client.post(
        f"/q/{links[BUYERS[1]]}",
        data={"body": "Yes", "author_name": "Bo"},
        headers={"Origin": "http://evil.test"},
    )
    assert foreign.status_code == 403
    assert answers(mail_app) == []

    sent = client.post(
        f"/q/{links[BUYERS[1]]}",
        data={"body": "Yes: set it to <3> for espresso.", "author_name": "Bo"},
        headers=ORIGIN,
    )
    assert sent.status_code == 303
    assert urlsplit(sent.headers["Location"]).path == f"/q/{links[BUYERS[1]]}"
    thanks = client.get(f"/q/{links[BUYERS[1]]}")
    assert thanks.status_code == 200
    html = thanks.get_data(as_text=True)
    assert "Thank you for helping another customer of Acme Shop." in html
    assert "Your answer is published." in html
    assert "Yes: set it to &lt;3&gt; for espresso." in html
    again = client.post(
        f"/q/{links[BUYERS[1]]}", data={"body": "Another one", "author_name": "Bo"}, headers=ORIGIN
    )
    assert again.status_code == 303  # to the thanks: one answer per link

    plain = client.post(
        f"/q/{links[BUYERS[0]]}", data={"body": "Not really.", "author_name": "Cy"}, headers=ORIGIN
    )
    assert plain.status_code == 303
    first, second = answers(mail_app)
    assert (first.author_name, first.author_email, first.verified_buyer) == ("Bo", BUYERS[1], True)
    assert (second.author_name, second.author_email, second.verified_buyer) == (
        "Cy",
        BUYERS[0],
        False,
    )
    assert {first.question_id, second.question_id} == {question["id"]}
    listed = ok(client.get(mapi.public(f"/questions/{question['id']}/answers")))["answers"]
    assert [(a["author_name"], a["verified_buyer"]) for a in listed] == [
        ("Bo", True),
        ("Cy", False),
    ]


def test_links_that_do_not_work_say_so(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    """Pre-moderation: the question waits, then is published and asks; the answer waits."""
    reviewers(mapi, [BUYERS[0], BUYERS[1], BUYERS[2]])
    question = ask(mapi)
    assert question["status"] == "pending" and invites(mail_app) == []
    for item in ok(mapi.admin("GET", "/reviews?status=pending"))["reviews"]:
        moderate(mapi, "reviews", item["id"], "published")
    moderate(mapi, "questions", question["id"], "published")
    links = answer_links(mail_app, smtp_sink, 3)
    client = mail_app.test_client()

    sent = client.post(
        f"/q/{links[BUYERS[0]]}", data={"body": "It is quiet.", "author_name": "Di"}, headers=ORIGIN
    )
    assert sent.status_code == 303
    html = client.get(f"/q/{links[BUYERS[0]]}").get_data(as_text=True)
    assert "Your answer will appear after the shop&#39;s check." in html

    unknown = client.get("/q/mail_nothing.abc")
    assert unknown.status_code == 404 and "Link not valid" in unknown.get_data(as_text=True)
    token = links[BUYERS[1]]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/q/{tampered}").status_code == 404
    assert client.post(f"/q/{tampered}", data={}, headers=ORIGIN).status_code == 404

    age_messages(mail_app, days=31)  # the links last 30 days
    expired = client.get(f"/q/{token}")
    assert expired.status_code == 410
    assert "This link has expired" in expired.get_data(as_text=True)
    age_messages(mail_app, days=-31)
    moderate(mapi, "questions", question["id"], "rejected")
    closed = client.post(
        f"/q/{links[BUYERS[2]]}", data={"body": "Too late", "author_name": "Ed"}, headers=ORIGIN
    )
    assert closed.status_code == 410
    assert "This question is closed" in closed.get_data(as_text=True)
    assert len(answers(mail_app)) == 1


# ---------------------------------------------------------------- the asker hears


def test_the_asker_hears_once_of_the_first_answer(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    question = ask(
        mapi, body="Does it fit under\na kitchen cabinet?", author_email=ADA, notify=True
    )
    silent = ask(mapi, body="Is there a warranty on it?", author_email=KIM)  # no notify
    path = f"/questions/{question['id']}/answers"
    # The asker's own answer is no news to them.
    own = {"body": "Update: I measured, 40 cm.", "author_name": "Ada", "author_email": ADA}
    ok(mapi.client.post(mapi.public(path), json=own), 201)
    assert messages(mail_app, "answer_published") == []
    first = {"body": "Yes, it is 38 cm tall.\nMine fits.", "author_name": "Bo"}
    ok(mapi.client.post(mapi.public(path), json=first), 201)
    second = {"body": "Yes, it does.", "author_name": "Cy"}
    ok(mapi.client.post(mapi.public(path), json=second), 201)
    body = {"question_id": silent["id"], "body": "Two years."}
    ok(mapi.admin("POST", "/answers", json=body), 201)
    [queued] = messages(mail_app, "answer_published")
    assert queued.email == ADA

    tally = run(mail_app)
    assert tally.answers == 1
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.message["Subject"] == "Your question about sku-1 has an answer"
    assert arrived.message["Message-ID"] == f"<{queued.id}.answer_published@localhost>"
    text = text_of(arrived)
    assert text.startswith(
        "Hello Ada,\n\nyour question about sku-1 at Acme Shop has its first answer.\n\n"
        "You asked:\n> Does it fit under\n> a kitchen cabinet?\n\nBo answered:\n\n"
        "Yes, it is 38 cm tall.\nMine fits."
    )
    with mail_app.app_context():
        token = urlsplit(unsubscribe_link(arrived)).path.rsplit("/", 1)[1]
        assert suppressions.read_token(token)[2] == "replies"  # like the shop's reply


def test_the_shops_answer_after_moderation_in_the_sites_language(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    """Pre-moderation: a visitor's answer tells the asker once it is published."""
    settings(mapi, locale="es")
    question = ask(mapi, body="¿Se puede lavar en el lavavajillas?", author_email=ADA, notify=True)
    moderate(mapi, "questions", question["id"], "published")
    path = f"/questions/{question['id']}/answers"
    data = {"body": "No, a mano.", "author_name": "Bo"}
    made = ok(mapi.client.post(mapi.public(path), json=data), 201)
    assert made["status"] == "pending"
    assert messages(mail_app, "answer_published") == []
    moderate(mapi, "answers", made["answer"]["id"], "published")
    assert run(mail_app).answers == 1
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.message["Subject"] == "Tu pregunta sobre sku-1 tiene respuesta"
    assert "Bo respondió:" in text_of(arrived)


def test_the_shops_answer_from_the_queue_is_told_when_the_question_is_published(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    question = ask(mapi, author_email=ADA, notify=True)
    assert question["status"] == "pending"
    body = {"question_id": question["id"], "body": "Yes, down to 200 microns."}
    ok(mapi.admin("POST", "/answers", json=body), 201)
    assert messages(mail_app, "answer_published") == []  # the question is not public yet
    moderate(mapi, "questions", question["id"], "published")
    [queued] = messages(mail_app, "answer_published")
    assert queued.email == ADA
    assert run(mail_app).answers == 1
    [arrived] = smtp_sink.wait_for(1)
    assert "Acme Shop answered:\n\nYes, down to 200 microns." in text_of(arrived)
    moderate(mapi, "questions", question["id"], "rejected")
    moderate(mapi, "questions", question["id"], "published")
    assert len(messages(mail_app, "answer_published")) == 1  # once


def test_an_answer_gone_before_sending_is_not_mailed(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    question = ask(mapi, author_email=ADA, notify=True)
    made = ok(
        mapi.admin("POST", "/answers", json={"question_id": question["id"], "body": "Yes."}), 201
    )
    assert mapi.admin("DELETE", f"/answers/{made['answer']['id']}").status_code == 204
    tally = run(mail_app)
    assert (tally.answers, tally.dropped) == (0, 1)
    assert smtp_sink.messages == []
    with mail_app.app_context():
        asked = db.session.get(Question, question["id"])
        assert asked is not None and asked.answer_notified_at is not None  # told once: done
        db.session.rollback()


# ---------------------------------------------------------------- ideas


def vote(api: Api, idea_id: str, n: int, email: str | None = None, language: str = "en") -> None:
    """Visitor ``n`` (a network of its own) votes, with an address or without."""
    body = {"vote": True, **({"email": email} if email else {})}
    response = api.client.post(
        api.public(f"/ideas/{idea_id}/votes"),
        json=body,
        headers={"Accept-Language": language, "User-Agent": f"voter-{n}"},
        environ_base={"REMOTE_ADDR": f"10.0.{n}.1"},
    )
    assert ok(response)["voted"] is True


def stage(api: Api, idea_id: str, name: str, note: str | None = None) -> None:
    ok(api.admin("PATCH", f"/ideas/{idea_id}", json={"stage": name, "stage_note": note}))


def test_planned_and_shipped_tell_voters_and_authors_once(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    mapi = open_shop
    wish = review(mapi, body="Wish it had a timer.", author_email=BUYERS[0], author_name="Bo")
    said = comment(mapi, body="A timer, please!", author_email=KIM)
    idea = ok(
        mapi.admin(
            "POST",
            "/ideas",
            json={"title": "A <grind> timer", "from": [wish["id"], said["id"]]},
        ),
        201,
    )["idea"]
    vote(mapi, idea["id"], 1, BUYERS[1], language="de")
    vote(mapi, idea["id"], 2, BUYERS[0].upper())  # an author who voted too: one message
    vote(mapi, idea["id"], 3)  # no address
    vote(mapi, idea["id"], 4, BUYERS[2])
    with mail_app.app_context():
        suppressions.suppress(db.session, shop.id, "ideas", BUYERS[2])
        db.session.commit()

    stage(mapi, idea["id"], "under_review")
    assert messages(mail_app, "idea_progress") == []
    stage(mapi, idea["id"], "planned", note="Coming in\nthe spring <model>.")
    queued = messages(mail_app, "idea_progress")
    assert sorted(m.email.lower() for m in queued) == [BUYERS[0], BUYERS[1], KIM]
    assert {m.locale for m in queued if m.email == BUYERS[1]} == {"de"}
    tally = run(mail_app)
    assert tally.idea_progress == 3
    mails = by_recipient(smtp_sink.wait_for(3))
    bo = mails[BUYERS[0]]
    assert bo.message["Subject"] == "You asked, we are building it: A <grind> timer"
    text = text_of(bo)
    assert text.startswith(
        "Hello Bo,\n\nan idea you asked for at Acme Shop is now planned:\n\nA <grind> timer\n\n"
        "Acme Shop's note:\nComing in\nthe spring <model>."
    )
    assert "A &lt;grind&gt; timer" in bo.html and "<model>" not in bo.html
    german = mails[BUYERS[1]]
    assert german.message["Subject"] == (
        "Sie haben es sich gewünscht, wir setzen es um: A <grind> timer"
    )
    assert text_of(german).startswith("Hallo,\n\n")
    with mail_app.app_context():
        token = urlsplit(unsubscribe_link(bo)).path.rsplit("/", 1)[1]
        assert suppressions.read_token(token)[2] == "ideas"

    # In progress says nothing; shipped tells everyone again; planned again, nothing.
    follow_unsubscribe(mail_app, mails[KIM])
    stage(mapi, idea["id"], "in_progress")
    assert len(messages(mail_app, "idea_progress")) == 3
    stage(mapi, idea["id"], "shipped", note="Out now.")
    stage(mapi, idea["id"], "planned")
    stage(mapi, idea["id"], "shipped", note="Out now, really.")
    shipped = messages(mail_app, "idea_progress")[3:]
    assert sorted(m.email.lower() for m in shipped) == [BUYERS[0], BUYERS[1]]
    assert run(mail_app).idea_progress == 2
    later = by_recipient(smtp_sink.wait_for(5)[3:])
    assert later[BUYERS[0]].message["Subject"] == "You asked, we built it: A <grind> timer"
    assert "Out now, really." in text_of(later[BUYERS[0]])  # the note as it is now


def test_an_idea_moved_back_before_sending_announces_nothing(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    made = {"title": "Dark mode for the app", "author_name": "Ada", "author_email": ADA}
    idea = ok(mapi.client.post(mapi.public("/ideas"), json=made), 201)["idea"]
    vote(mapi, idea["id"], 1, BUYERS[0])
    stage(mapi, idea["id"], "planned")
    assert sorted(m.email for m in messages(mail_app, "idea_progress")) == [ADA, BUYERS[0]]
    stage(mapi, idea["id"], "open")  # a slip of the hand, undone at once
    tally = run(mail_app)
    assert (tally.idea_progress, tally.dropped) == (0, 2)
    assert smtp_sink.messages == []


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_every_message_in_every_language(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink, locale: str
) -> None:
    """The three kinds render in each language, with no placeholder left over."""
    mapi = open_shop
    settings(mapi, locale=locale)
    reviewers(mapi, [BUYERS[0]])
    question = ask(mapi, author_email=ADA, notify=True)
    ok(mapi.admin("POST", "/answers", json={"question_id": question["id"], "body": "Yes."}), 201)
    idea = ok(mapi.admin("POST", "/ideas", json={"title": "Grinder timer", "from": []}), 201)
    vote(mapi, idea["idea"]["id"], 1, BUYERS[1], language=locale)
    stage(mapi, idea["idea"]["id"], "shipped", note="Done.")
    tally = run(mail_app)
    assert (tally.question_invites, tally.answers, tally.idea_progress) == (1, 1, 1)
    for arrived in smtp_sink.wait_for(3):
        assert arrived.message["Content-Language"] == locale
        for part in (text_of(arrived), arrived.html, arrived.message["Subject"]):
            assert not re.search(r"\{[a-z_]+\}", part), part
        # The unsubscribe page names each list in the reader's language.
        path = urlsplit(unsubscribe_link(arrived)).path
        asked_page = mail_app.test_client().get(path, headers={"Accept-Language": locale})
        assert asked_page.status_code == 200
        assert f'<html lang="{locale}">' in asked_page.get_data(as_text=True)
