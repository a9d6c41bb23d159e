"""Notification e-mails, on SQLite and PostgreSQL, to a real SMTP server (aiosmtpd).

The shop hears of items waiting for moderation (at once, or in one daily digest, or
never), and a visitor who asked to hear of the shop's answer gets one message. What
arrives is parsed as a mail client would; unsubscribe links are followed. Time passes
by moving timestamps back in the database, never by sleeping.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from conftest import Api, RedisProcess, SiteInfo
from mailsink import Arrived, MailSink
from plaudit_server.extensions import db
from plaudit_server.models import Comment, Message, Review, Site
from plaudit_server.services import notifications, suppressions
from plaudit_server.services.notifications import Tally, deliver_due
from plaudit_server.timeutil import utcnow

SHOP = "Acme Shop"


# ---------------------------------------------------------------- helpers


@pytest.fixture
def mail_app(app_factory: Callable[..., Flask], smtp_sink: MailSink) -> Iterator[Flask]:
    """An app that mails the sink; a failed mail is tried again after 5 and 30 minutes."""
    app = app_factory(**smtp_sink.config, INVITATION_RETRY_MINUTES=[5, 30])
    yield app
    app.extensions["plaudit_mail"].close()


# The addresses the visitors of these tests give. Their manage links (a mail of its own,
# tested in test_trust_mail.py) are suppressed, so each test sees the messages it is about.
VISITORS = ("ada@example.com", "kim@example.com", *(f"buyer{n}@example.com" for n in range(12)))


@pytest.fixture
def shop(make_site: Callable[..., SiteInfo], mail_app: Flask) -> SiteInfo:
    """A pre-moderation site: every visitor's item waits in the queue."""
    site = make_site(slug="acme-shop", moderation="pre", owner_email="owner@acme.test")
    with mail_app.app_context():
        db.session.get(Site, site.id).name = SHOP  # type: ignore[union-attr]
        for email in VISITORS:
            suppressions.suppress(db.session, site.id, notifications.MANAGE_LIST, email)
        db.session.commit()
    return site


@pytest.fixture
def mapi(mail_app: Flask, shop: SiteInfo) -> Api:
    return Api(mail_app.test_client(), shop)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def run(app: Flask, **kwargs: Any) -> Tally:
    with app.app_context():
        return deliver_due(**kwargs)


def settings(api: Api, **values: Any) -> None:
    ok(api.admin("PATCH", "/site", json=values))


def new_items(api: Api, mode: str, **more: Any) -> None:
    settings(api, notifications={"new_items": mode, **more})


def review(api: Api, body: str = "Great grinder", **fields: Any) -> dict[str, Any]:
    answer = ok(api.post_review(body=body, **fields), 201)
    return {**answer["review"], "status": answer["status"]}


def comment(api: Api, body: str = "Does it fit?", **fields: Any) -> dict[str, Any]:
    data = {"body": body, "author_name": "Kim", **fields}
    response = api.client.post(api.public("/products/sku-1/comments"), json=data)
    answer = ok(response, 201)
    return {**answer["comment"], "status": answer["status"]}


def owner_comment(api: Api, body: str, **fields: Any) -> dict[str, Any]:
    data = {"product": "sku-1", "body": body, **fields}
    return ok(api.admin("POST", "/comments", json=data), 201)  # type: ignore[no-any-return]


def messages(app: Flask, kind: str | None = None) -> list[Message]:
    with app.app_context():
        stmt = sa.select(Message).order_by(Message.created_at, Message.id)
        if kind is not None:
            stmt = stmt.where(Message.kind == kind)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def shift_site(app: Flask, site_id: str, **delta: float) -> None:
    """Let time pass for a site: its creation, last notice and items move back by
    ``delta``."""
    shift = timedelta(**delta)
    with app.app_context():
        site = db.session.get(Site, site_id)
        assert site is not None
        site.created_at -= shift
        if site.owner_notified_at is not None:
            site.owner_notified_at -= shift
        for model in (Review, Comment):
            for item in db.session.scalars(sa.select(model).where(model.site_id == site_id)):
                item.created_at -= shift
        db.session.commit()


def text_of(arrived: Arrived) -> str:
    """The plain-text part with the line ends a reader sees (SMTP sends CRLF)."""
    return arrived.text.replace("\r\n", "\n")


def unsubscribe_link(arrived: Arrived) -> str:
    match = re.fullmatch(r"<(https?://[^>]+)>", arrived.message["List-Unsubscribe"])
    assert match, arrived.message["List-Unsubscribe"]
    assert arrived.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return match.group(1)


def follow_unsubscribe(app: Flask, arrived: Arrived) -> None:
    """What a mail client's one-click unsubscribe does: POST to the header's URL."""
    link = unsubscribe_link(arrived)
    assert link in text_of(arrived)  # the footer's link too
    path = urlsplit(link).path
    client = app.test_client()
    assert client.get(path).status_code == 200  # the page only asks
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200, done.get_data(as_text=True)


# ---------------------------------------------------------------- the shop: new items


def test_instant_notice_for_a_pending_review(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    new_items(mapi, "instant")
    assert review(mapi)["status"] == "pending"
    [queued] = messages(mail_app)
    assert queued.kind == "new_items" and queued.email == "owner@acme.test"
    tally = run(mail_app)
    assert (tally.new_items, tally.sent) == (1, 1)
    [arrived] = smtp_sink.wait_for(1)
    message = arrived.message
    assert arrived.rcpt_tos == ["owner@acme.test"]
    assert message["Subject"] == f"New items waiting for moderation at {SHOP}"
    assert message["Message-ID"] == f"<{queued.id}.new_items@localhost>"
    assert message["Content-Language"] == "en"
    queue = "http://127.0.0.1:5000/admin/acme-shop/reviews?status=pending"
    assert f"- 1 review: {queue}" in text_of(arrived)
    assert "comment" not in text_of(arrived).split("--")[0]  # no comments wait
    assert f'href="{queue}"' in arrived.html
    unsubscribe_link(arrived)
    [sent] = messages(mail_app)
    assert sent.sent_at is not None and sent.due_at is None and sent.attempts == 1
    with mail_app.app_context():
        site = db.session.get(Site, shop.id)
        assert site is not None and site.owner_notified_at is not None
    assert run(mail_app).total == 0  # nothing more


def test_a_burst_is_one_message_counting_everything(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    new_items(mapi, "instant")
    for n in range(3):
        review(mapi, body=f"Review number {n}")
    comment(mapi, body="First question")
    comment(mapi, body="Second question")
    assert len(messages(mail_app)) == 1  # coalesced
    assert run(mail_app).new_items == 1
    [arrived] = smtp_sink.wait_for(1)
    assert "- 3 reviews: http://127.0.0.1:5000/admin/acme-shop/reviews?status=pending" in (
        text_of(arrived)
    )
    assert "- 2 comments: http://127.0.0.1:5000/admin/acme-shop/comments?status=pending" in (
        text_of(arrived)
    )
    # After the notice, the next item is a new message that counts only itself.
    review(mapi, body="A later review")
    assert len(messages(mail_app)) == 2
    assert run(mail_app).new_items == 1
    later = smtp_sink.wait_for(2)[1]
    assert "- 1 review: " in text_of(later) and "comment" not in text_of(later).split("--")[0]


def test_one_long_session_queues_again_after_each_notice(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    """A job or a CLI command writes many transactions in one session: what one of them
    queued (or rolled back) does not stop the next from queueing."""
    from plaudit_server.services import reviews

    new_items(mapi, "instant")
    body = {"rating": 4, "author_name": "Job"}
    with mail_app.app_context():
        site = db.session.get(Site, shop.id)
        assert site is not None
        reviews.submit_review(
            db.session, site, "sku-1", {**body, "body": "Rolled back"}, visitor_hash="a"
        )
        db.session.rollback()
        site = db.session.get(Site, shop.id)
        assert site is not None
        reviews.submit_review(
            db.session, site, "sku-1", {**body, "body": "First"}, visitor_hash="b"
        )
        db.session.commit()
        assert deliver_due().new_items == 1
        site = db.session.get(Site, shop.id)
        assert site is not None
        reviews.submit_review(
            db.session, site, "sku-1", {**body, "body": "Second"}, visitor_hash="c"
        )
        db.session.commit()
        assert deliver_due().new_items == 1
    assert len(smtp_sink.wait_for(2)) == 2


def test_published_and_spam_items_tell_nobody(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    new_items(mapi, "instant")
    review(mapi, body="Caught by the honeypot", hp="http://spam.example")
    settings(mapi, moderation="post")
    assert review(mapi, body="Published at once")["status"] == "published"
    comment(mapi, body="Published comment")
    assert messages(mail_app) == []
    assert run(mail_app).total == 0
    assert smtp_sink.messages == []


def test_items_moderated_before_the_notice_leave_nothing_to_say(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    new_items(mapi, "instant")
    item = review(mapi)
    ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"status": "published"}))
    tally = run(mail_app)
    assert (tally.sent, tally.dropped) == (0, 1)
    [dropped] = messages(mail_app)
    assert dropped.due_at is None and dropped.sent_at is None
    assert smtp_sink.messages == []


def test_the_daily_digest(mail_app: Flask, mapi: Api, smtp_sink: MailSink, shop: SiteInfo) -> None:
    assert ok(mapi.admin("GET", "/site"))["notifications"]["new_items"] == "daily"
    review(mapi, body="Waiting one")
    comment(mapi, body="Waiting two")
    assert messages(mail_app) == []  # daily: nothing queued by the request
    assert run(mail_app).total == 0  # the site is not a day old: no digest yet
    shift_site(mail_app, shop.id, hours=25)
    assert run(mail_app).new_items == 1
    [arrived] = smtp_sink.wait_for(1)
    assert "- 1 review: " in text_of(arrived) and "- 1 comment: " in text_of(arrived)
    assert run(mail_app).total == 0  # one a day

    review(mapi, body="Arrived after the digest")
    assert run(mail_app).total == 0  # the last digest is not a day old
    shift_site(mail_app, shop.id, hours=23)
    assert run(mail_app).total == 0  # still not
    shift_site(mail_app, shop.id, hours=2)
    assert run(mail_app).new_items == 1
    second = smtp_sink.wait_for(2)[1]
    assert "- 1 review: " in text_of(second) and "comment" not in text_of(second).split("--")[0]
    # A day later with nothing new: no digest.
    shift_site(mail_app, shop.id, days=2)
    assert run(mail_app).total == 0
    assert len(smtp_sink.messages) == 2


def test_off_sends_nothing(mail_app: Flask, mapi: Api, smtp_sink: MailSink, shop: SiteInfo) -> None:
    new_items(mapi, "off")
    review(mapi)
    comment(mapi)
    shift_site(mail_app, shop.id, days=3)
    assert run(mail_app).total == 0
    assert messages(mail_app) == [] and smtp_sink.messages == []


def test_turned_off_before_sending_drops_the_message(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    new_items(mapi, "instant")
    review(mapi)
    new_items(mapi, "off")
    assert run(mail_app).dropped == 1
    assert smtp_sink.messages == []


def test_the_chosen_address_gets_it_in_the_sites_language(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    new_items(mapi, "instant", owner_email="moderators@acme.test")
    settings(mapi, locale="de")
    review(mapi)
    comment(mapi)
    run(mail_app)
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.rcpt_tos == ["moderators@acme.test"]
    assert arrived.message["Subject"] == f"Neue Beiträge warten auf Freigabe bei {SHOP}"
    assert arrived.message["Content-Language"] == "de"
    assert "- 1 Bewertung: " in text_of(arrived) and "- 1 Kommentar: " in text_of(arrived)
    assert 'lang="de"' in arrived.html


def test_unsubscribing_stops_the_notices(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    new_items(mapi, "instant")
    review(mapi)
    run(mail_app)
    [arrived] = smtp_sink.wait_for(1)
    follow_unsubscribe(mail_app, arrived)
    with mail_app.app_context():
        listed = suppressions.suppressed(
            db.session, shop.id, notifications.OWNER_LIST, ["owner@acme.test"]
        )
    assert listed == {"owner@acme.test"}
    review(mapi, body="Another one")
    assert len(messages(mail_app)) == 1  # nothing new queued
    # Daily digests obey it too.
    new_items(mapi, "daily")
    shift_site(mail_app, shop.id, days=2)
    assert run(mail_app).total == 0
    assert len(smtp_sink.messages) == 1


def test_a_transient_failure_is_tried_again_then_given_up(
    mail_app: Flask, mapi: Api, smtp_sink: MailSink
) -> None:
    new_items(mapi, "instant", owner_email="busy@acme.test")  # the sink answers 450
    review(mapi)
    assert run(mail_app).retrying == 1
    [row] = messages(mail_app)
    assert row.due_at is not None and row.sent_at is None and "450" in (row.last_error or "")
    assert row.due_at - utcnow() > timedelta(minutes=4)  # after 5 minutes
    for _ in range(2):
        with mail_app.app_context():
            db.session.execute(sa.update(Message).values(due_at=utcnow()))
            db.session.commit()
        tally = run(mail_app)
    assert tally.failed == 1  # 3 attempts: the first and two retries
    [row] = messages(mail_app)
    assert row.due_at is None and row.sent_at is None and row.attempts == 3


# ---------------------------------------------------------------- visitors: the answer


@pytest.fixture
def open_shop(mapi: Api) -> Api:
    """The same shop with post-moderation: visitors' items are published at once, and
    the shop hears of nothing (only replies are mailed)."""
    settings(mapi, moderation="post")
    new_items(mapi, "off")
    return mapi


def test_a_reply_to_a_review_is_told_once(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    item = review(
        mapi, body="Great grinder,\nbut loud.", author_email="ada@example.com", notify=True
    )
    reply = "Thank you, Ada!\nTry the <script>alert(1)</script> setting & enjoy."
    ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": reply}))
    [queued] = messages(mail_app)
    assert (queued.kind, queued.email) == ("reply", "ada@example.com")
    assert run(mail_app).replies == 1
    [arrived] = smtp_sink.wait_for(1)
    message = arrived.message
    assert arrived.rcpt_tos == ["ada@example.com"]
    assert message["Subject"] == f"{SHOP} answered your review"
    assert message["Message-ID"] == f"<{queued.id}.reply@localhost>"
    text = text_of(arrived)
    assert text.startswith("Hello Ada,")
    assert f"{SHOP} answered your review of sku-1." in text
    assert "> Great grinder,\n> but loud." in text
    assert reply in text  # plain text stays plain
    html = arrived.html
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; setting &amp; enjoy." in html
    unsubscribe_link(arrived)
    with mail_app.app_context():
        found = db.session.get(Review, item["id"])
        assert found is not None and found.reply_notified_at is not None

    # Changing the reply, removing it and replying again: never a second message.
    ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": "Edited."}))
    ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": None}))
    ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": "Again."}))
    owner_comment(mapi, "And a comment on it.", review_id=item["id"])
    assert len(messages(mail_app)) == 1
    assert run(mail_app).total == 0
    assert len(smtp_sink.messages) == 1


def test_an_owner_comment_answering_a_comment(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    question = comment(
        mapi, body="Does it fit under a cupboard?", author_email="kim@example.com", notify=True
    )
    owner_comment(mapi, "Yes: it is 38 cm tall.", parent_id=question["id"])
    owner_comment(mapi, "And it comes in black.", parent_id=question["id"])
    [queued] = messages(mail_app)
    assert run(mail_app).replies == 1
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.rcpt_tos == ["kim@example.com"]
    assert arrived.message["Subject"] == f"{SHOP} answered your comment"
    assert arrived.message["Message-ID"] == f"<{queued.id}.reply@localhost>"
    assert "> Does it fit under a cupboard?" in text_of(arrived)
    assert "Yes: it is 38 cm tall." in text_of(arrived)  # the first answer
    assert "black" not in text_of(arrived)
    with mail_app.app_context():
        found = db.session.get(Comment, question["id"])
        assert found is not None and found.reply_notified_at is not None
    assert run(mail_app).total == 0
    assert len(smtp_sink.messages) == 1


def test_an_owner_comment_answering_a_review(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    settings(mapi, locale="fr")
    item = review(mapi, author_email="ada@example.com", notify=True, author_name="Ada")
    owner_comment(mapi, "Merci !", review_id=item["id"])
    assert run(mail_app).replies == 1
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.message["Subject"] == f"{SHOP} a répondu à votre avis"
    assert text_of(arrived).startswith("Bonjour Ada,")
    assert "Merci !" in text_of(arrived) and 'lang="fr"' in arrived.html


def test_a_visitors_comment_answering_is_not_the_shop(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    question = comment(mapi, author_email="kim@example.com", notify=True)
    comment(mapi, body="I think it does.", parent_id=question["id"])
    assert messages(mail_app) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"author_email": "ada@example.com"},  # no notify
        {"notify": True},  # no address
        {"author_email": "ada@example.com", "notify": False},
    ],
)
def test_nothing_without_notify_or_without_an_address(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink, fields: dict[str, Any]
) -> None:
    mapi = open_shop
    item = review(mapi, **fields)
    question = comment(mapi, **fields)
    ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": "Thanks!"}))
    owner_comment(mapi, "Yes.", parent_id=question["id"])
    assert messages(mail_app) == []
    assert run(mail_app).total == 0 and smtp_sink.messages == []


def test_a_suppressed_address_gets_nothing(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    mapi = open_shop
    first = review(mapi, body="First review", author_email="ada@example.com", notify=True)
    ok(mapi.admin("PATCH", f"/reviews/{first['id']}", json={"reply": "Thanks!"}))
    run(mail_app)
    [arrived] = smtp_sink.wait_for(1)
    follow_unsubscribe(mail_app, arrived)  # from the first answer's message
    second = review(mapi, body="Second review", author_email="ADA@example.com", notify=True)
    ok(mapi.admin("PATCH", f"/reviews/{second['id']}", json={"reply": "Thanks again!"}))
    assert len(messages(mail_app)) == 1  # nothing queued for the second
    assert run(mail_app).total == 0
    assert len(smtp_sink.messages) == 1


def test_unsubscribed_after_queueing_is_not_mailed(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    mapi = open_shop
    item = review(mapi, author_email="ada@example.com", notify=True)
    ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": "Thanks!"}))
    with mail_app.app_context():
        suppressions.suppress(db.session, shop.id, notifications.VISITOR_LIST, "ada@example.com")
        db.session.commit()
    assert run(mail_app).dropped == 1
    assert smtp_sink.messages == []


def test_a_deleted_answer_is_not_mailed(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    question = comment(mapi, author_email="kim@example.com", notify=True)
    answer = owner_comment(mapi, "Oops, wrong thread.", parent_id=question["id"])
    ok(mapi.admin("DELETE", f"/comments/{answer['id']}"), 204)
    assert run(mail_app).dropped == 1
    assert smtp_sink.messages == []


def test_a_rolled_back_reply_queues_nothing(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink, shop: SiteInfo
) -> None:
    from plaudit_server.services import reviews

    mapi = open_shop
    item = review(mapi, author_email="ada@example.com", notify=True)
    with mail_app.app_context():
        site = db.session.get(Site, shop.id)
        assert site is not None
        reviews.update_review(db.session, site, item["id"], {"reply": "Never committed"})
        db.session.rollback()
    assert messages(mail_app) == []
    with mail_app.app_context():
        found = db.session.get(Review, item["id"])
        assert found is not None and found.reply_notified_at is None


def test_the_hosted_review_page_asks_and_the_answer_is_told(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    made = {"email": "ada@example.com", "name": "Ada", "store_review": False}
    first = ok(
        mapi.admin("POST", "/invitations", json={**made, "order_id": "1", "products": ["sku-1"]}),
        201,
    )["invitation"]
    second = ok(
        mapi.admin("POST", "/invitations", json={**made, "order_id": "2", "products": ["sku-2"]}),
        201,
    )["invitation"]
    client = mail_app.test_client()
    path = urlsplit(first["url"]).path
    page = client.get(path).get_data(as_text=True)
    assert 'type="checkbox" id="notify" name="notify" value="1">' in page  # not ticked
    assert "Tell me by e-mail (ada@example.com) when the shop answers." in page
    sent = {"author_name": "Ada", "rating-1": "5", "body-1": "Lovely mill."}
    assert client.post(path, data={**sent, "notify": "1"}).status_code == 303
    assert 'name="notify" value="1" checked>' in client.get(path).get_data(as_text=True)
    other = urlsplit(second["url"]).path
    assert client.post(other, data={**sent, "body-1": "Nice kettle."}).status_code == 303

    listed = ok(mapi.admin("GET", "/reviews"))["reviews"]
    for item in listed:
        ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": "Thank you, Ada!"}))
    assert [m.kind for m in messages(mail_app)] == ["reply"]  # the ticked one only
    assert run(mail_app).replies == 1
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.rcpt_tos == ["ada@example.com"]
    assert "> Lovely mill." in text_of(arrived) and "Nice kettle" not in text_of(arrived)


# ---------------------------------------------------------------- when it runs


def test_without_redis_it_goes_out_right_after_the_response(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    item = review(mapi, author_email="ada@example.com", notify=True)
    response = mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": "Thanks!"})
    ok(response)
    assert smtp_sink.messages == []  # the answer went out before the mail
    response.close()  # the server is done with the response: now the mail goes
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.rcpt_tos == ["ada@example.com"]
    [sent] = messages(mail_app)
    assert sent.sent_at is not None


def test_with_redis_the_worker_sends_it(
    app_factory: Callable[..., Flask],
    smtp_sink: MailSink,
    own_redis: RedisProcess,
    shop: SiteInfo,
) -> None:
    app = app_factory(**smtp_sink.config, REDIS_URL=own_redis.url)
    api = Api(app.test_client(), shop)
    new_items(api, "instant")
    response = api.post_review(body="Queued for the worker")
    ok(response, 201)
    response.close()
    assert smtp_sink.messages == []  # with Redis, the request itself sends nothing
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    [arrived] = smtp_sink.wait_for(1)
    assert arrived.rcpt_tos == ["owner@acme.test"]
    [sent] = messages(app)
    assert sent.sent_at is not None
    app.extensions["plaudit_mail"].close()


def test_a_crash_after_claiming_never_mails_twice(
    mail_app: Flask, open_shop: Api, smtp_sink: MailSink
) -> None:
    mapi = open_shop
    item = review(mapi, author_email="ada@example.com", notify=True)
    ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": "Thanks!"}))
    claimed_at = utcnow() - timedelta(minutes=5)
    with mail_app.app_context():  # a worker claimed it, then died (sent or not: unknown)
        db.session.execute(sa.update(Message).values(claimed_at=claimed_at, attempts=1))
        db.session.commit()
    assert run(mail_app).total == 0  # a claim in flight is left alone
    with mail_app.app_context():  # older than INVITATION_CLAIM_TIMEOUT (15 minutes)
        db.session.execute(sa.update(Message).values(claimed_at=claimed_at - timedelta(hours=1)))
        db.session.commit()
    assert run(mail_app).taken_as_sent == 1
    [row] = messages(mail_app)
    assert row.sent_at is not None and row.due_at is None
    assert smtp_sink.messages == []


@pytest.mark.parametrize("workers", [3])
def test_workers_at_once_send_each_message_once(
    app_factory: Callable[..., Flask],
    smtp_sink: MailSink,
    open_shop: Api,
    workers: int,
) -> None:
    mapi = open_shop
    for n in range(12):
        item = review(mapi, body=f"Review {n}", author_email=f"buyer{n}@example.com", notify=True)
        ok(mapi.admin("PATCH", f"/reviews/{item['id']}", json={"reply": f"Thanks {n}"}))
    apps = [app_factory(**smtp_sink.config, NOTIFICATION_BATCH=2) for _ in range(workers)]
    start = threading.Barrier(workers)
    tallies: list[Tally] = []
    failures: list[BaseException] = []

    def work(app: Flask) -> None:
        try:
            start.wait(10)
            tallies.append(run(app))
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)
        finally:
            app.extensions["plaudit_mail"].close()

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sum(t.replies for t in tallies) == 12
    arrived = smtp_sink.wait_for(12)
    assert sorted(a.rcpt_tos[0] for a in arrived) == sorted(
        f"buyer{n}@example.com" for n in range(12)
    )
    assert len(smtp_sink.messages) == 12


def test_run_due_command(mail_app: Flask, mapi: Api, smtp_sink: MailSink) -> None:
    new_items(mapi, "instant")
    review(mapi)
    result = mail_app.test_cli_runner().invoke(args=["run-due"])
    assert result.exit_code == 0, result.output
    assert "1 notifications sent (1 new items, 0 replies," in result.output
    assert len(smtp_sink.wait_for(1)) == 1
    again = mail_app.test_cli_runner().invoke(args=["run-due"])
    assert "0 notifications sent" in again.output


def test_the_worker_polls_notifications() -> None:
    from plaudit_server.cli import DUE_WORK

    assert (notifications.deliver_due, "WORKER_POLL_SECONDS") in DUE_WORK
