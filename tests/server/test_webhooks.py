"""Webhooks over the admin API, delivered to a real local receiver, on both databases.

Signatures are checked with the ``standardwebhooks`` package (written by others), so
"any Standard Webhooks library verifies them" is what is tested. Retries run on a
schedule of fractions of a second (``WEBHOOK_RETRY_SECONDS``); time passes by waiting
for it, a few tenths of a second at most.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import standardwebhooks
from flask import Flask

from conftest import SHARED_REDIS, Api, RedisProcess, SiteInfo, free_port
from hooksink import HookSink
from plaudit_server.extensions import db
from plaudit_server.models import Delivery, Event, Moderation, Site, Webhook
from plaudit_server.services import reviews, sites
from plaudit_server.timeutil import utcnow
from plaudit_server.webhooks import delivery

FAST_RETRIES = [0.2, 0.2]


@pytest.fixture
def hook_app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory(WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOK_RETRY_SECONDS=FAST_RETRIES)


@pytest.fixture
def shop(hook_app: Flask) -> SiteInfo:
    with hook_app.app_context():
        new = sites.create_site(
            db.session,
            "acme-shop",
            origins=["http://shop.test"],
            owner_email="owner@acme.test",
            password="correct horse battery",
            moderation=Moderation.POST,
        )
        db.session.commit()
        return SiteInfo("acme-shop", new.secret_key, new.owner.email, "x", new.site.id)


@pytest.fixture
def hapi(hook_app: Flask, shop: SiteInfo) -> Api:
    return Api(hook_app.test_client(), shop)


def _create(hapi: Api, url: str, events: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url, **extra}
    if events is not None:
        body["events"] = events
    response = hapi.admin("POST", "/webhooks", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["webhook"]  # type: ignore[no-any-return]


def _verify(secret: str, received: Any) -> dict[str, Any]:
    return standardwebhooks.Webhook(secret).verify(received.body, received.headers)  # type: ignore[no-any-return]


def _deliver(app: Flask) -> int:
    with app.app_context():
        return delivery.deliver_due()


def _deliveries(hapi: Api, webhook_id: str) -> list[dict[str, Any]]:
    response = hapi.admin("GET", f"/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200
    return response.get_json()["deliveries"]  # type: ignore[no-any-return]


def _settled(
    hapi: Api, webhook_id: str, count: int = 1, timeout: float = 5
) -> list[dict[str, Any]]:
    """The webhook's ``count`` deliveries once each has an outcome recorded (the
    deliverer records it just after the receiver answers)."""
    deadline = time.monotonic() + timeout
    while True:
        found = _deliveries(hapi, webhook_id)
        recorded = [d for d in found if d["status"] != "pending" or d["error"]]
        if len(found) == count and len(recorded) == count:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


# ---------------------------------------------------------------- the API


def test_create_get_list_update_delete(hapi: Api, hook_sink: HookSink) -> None:
    made = _create(hapi, hook_sink.url, ["review.created"], description="Help desk")
    assert made["secret"].startswith("whsec_")
    assert made["id"].startswith("wh_")
    assert made["events"] == ["review.created"] and made["enabled"] is True
    got = hapi.admin("GET", f"/webhooks/{made['id']}").get_json()["webhook"]
    assert "secret" not in got and got["url"] == hook_sink.url
    listed = hapi.admin("GET", "/webhooks").get_json()
    assert [w["id"] for w in listed["webhooks"]] == [made["id"]] and listed["next_cursor"] is None
    changed = hapi.admin(
        "PATCH", f"/webhooks/{made['id']}", json={"events": ["*"], "enabled": False}
    ).get_json()["webhook"]
    assert changed["events"] == ["*"] and changed["enabled"] is False
    assert hapi.admin("DELETE", f"/webhooks/{made['id']}").status_code == 204
    assert hapi.admin("GET", f"/webhooks/{made['id']}").status_code == 404


def test_another_sites_webhook_is_404(
    hapi: Api, hook_app: Flask, hook_sink: HookSink, make_site: Callable[..., SiteInfo]
) -> None:
    made = _create(hapi, hook_sink.url)
    with hook_app.app_context():
        other = sites.create_site(
            db.session, "other-shop", origins=[], owner_email="o@other.test", password="pw-pw-pw-pw"
        )
        db.session.commit()
        key = other.secret_key
    other_api = Api(hapi.client, SiteInfo("other-shop", key, "", "", ""))
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("POST", "/test"),
        ("GET", "/deliveries"),
    ]:
        kwargs = {"json": {"enabled": False}} if method == "PATCH" else {}
        response = other_api.admin(method, f"/webhooks/{made['id']}{path}", **kwargs)
        assert response.status_code == 404, (method, path)
    assert hapi.admin("GET", f"/webhooks/{made['id']}").get_json()["webhook"]["enabled"] is True


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("not a url", "url"),
        ("ftp://hooks.example.com/x", "https"),
        ("https://user:pw@hooks.example.com/x", "password"),
        ("https://127.0.0.1/x", "127.0.0.1"),
        ("https://10.1.2.3/x", "10.1.2.3"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("https://[::1]/x", "::1"),
        ("https://2130706433/x", "127.0.0.1"),
        ("https://localhost/x", "localhost"),
        ("http://hooks.example.com/x", "https"),
    ],
)
def test_refused_urls(api: Api, url: str, needle: str) -> None:
    """Without PLAUDIT_WEBHOOKS_ALLOW_PRIVATE: https to public addresses only (422)."""
    response = api.admin("POST", "/webhooks", json={"url": url, "events": ["*"]})
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert response.content_type == "application/problem+json"
    assert needle.lower() in " ".join(problem["errors"]["url"]).lower()
    assert api.admin("GET", "/webhooks").get_json()["webhooks"] == []


def test_bad_events_and_fields(hapi: Api, hook_sink: HookSink) -> None:
    response = hapi.admin(
        "POST", "/webhooks", json={"url": hook_sink.url, "events": ["review.eaten"]}
    )
    assert response.status_code == 422
    assert "review.eaten" in json.dumps(response.get_json()["errors"])
    for body in (
        {"url": hook_sink.url, "events": []},
        {"url": hook_sink.url, "secret": "whsec_mine"},
        {"events": ["*"]},
    ):
        assert hapi.admin("POST", "/webhooks", json=body).status_code == 422, body
    made = _create(hapi, hook_sink.url)
    assert (
        hapi.admin("PATCH", f"/webhooks/{made['id']}", json={"url": "ftp://x.example"}).status_code
        == 422
    )
    assert (
        hapi.admin("GET", f"/webhooks/{made['id']}").get_json()["webhook"]["url"] == hook_sink.url
    )


def test_at_most_twenty_webhooks(hapi: Api, hook_sink: HookSink) -> None:
    for _ in range(20):
        _create(hapi, hook_sink.url)
    response = hapi.admin("POST", "/webhooks", json={"url": hook_sink.url})
    assert response.status_code == 422
    assert "20" in response.get_json()["detail"]


# ---------------------------------------------------------------- delivery


def test_review_created_is_delivered_signed(
    hapi: Api, hook_app: Flask, hook_sink: HookSink
) -> None:
    made = _create(hapi, hook_sink.url, ["review.created"])
    review = hapi.post_review(body="Lovely mug", author_email="ada@example.com").get_json()[
        "review"
    ]
    (received,) = hook_sink.wait_for(1)  # no Redis: a thread of this process delivers
    payload = _verify(made["secret"], received)
    assert payload["type"] == "review.created"
    assert payload["data"]["id"] == review["id"]
    assert payload["data"]["author_email"] == "ada@example.com"  # the admin form
    assert payload["data"]["status"] == "published"
    assert received.headers["webhook-id"].startswith("msg_")
    assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 30
    (logged,) = _settled(hapi, made["id"])
    assert logged["status"] == "succeeded" and logged["response_status"] == 200
    assert logged["event_id"] == received.headers["webhook-id"]
    assert logged["type"] == "review.created" and logged["attempts"] == 1


def test_only_subscribed_types_are_sent(hapi: Api, hook_app: Flask, hook_sink: HookSink) -> None:
    _create(hapi, hook_sink.url, ["comment.created"])
    hapi.post_review()
    _deliver(hook_app)
    with hook_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    assert hook_sink.received == []


def test_a_rolled_back_change_sends_nothing(
    hapi: Api, hook_app: Flask, hook_sink: HookSink
) -> None:
    _create(hapi, hook_sink.url)
    with hook_app.app_context():
        site = db.session.scalars(sa.select(Site)).one()
        reviews.submit_review(
            db.session,
            site,
            "sku-1",
            {"rating": 1, "body": "x", "author_name": "A"},
            visitor_hash=None,
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
    assert _deliver(hook_app) == 0
    time.sleep(0.2)
    assert hook_sink.received == []


def test_every_change_of_reviews_and_comments_is_an_event(
    hapi: Api, hook_app: Flask, hook_sink: HookSink
) -> None:
    made = _create(hapi, hook_sink.url)
    review = hapi.post_review().get_json()["review"]
    hapi.admin("PATCH", f"/reviews/{review['id']}", json={"status": "rejected"})
    hapi.admin(
        "PATCH", f"/reviews/{review['id']}", json={"status": "published", "reply": "Thanks!"}
    )
    comment = hapi.client.post(
        hapi.public("/products/sku-1/comments"),
        json={"body": "Agreed", "author_name": "Bo", "review_id": review["id"]},
    ).get_json()["comment"]
    hapi.admin("POST", "/comments/moderate", json={"ids": [comment["id"]], "status": "spam"})
    hapi.admin("DELETE", f"/reviews/{review['id']}")  # and its comment with it
    received = hook_sink.wait_for(7)
    time.sleep(0.1)
    _deliver(hook_app)
    payloads = [_verify(made["secret"], r) for r in hook_sink.received]
    by_type = [(p["type"], p["data"]["id"]) for p in payloads]
    assert sorted(by_type) == sorted(
        [
            ("review.created", review["id"]),
            ("review.updated", review["id"]),
            ("review.updated", review["id"]),
            ("comment.created", comment["id"]),
            ("comment.updated", comment["id"]),
            ("review.deleted", review["id"]),
            ("comment.deleted", comment["id"]),
        ]
    )
    assert len(received) == 7
    updates = [p for p in payloads if p["type"] == "review.updated"]
    previous = sorted((p["previous"]["status"], p["data"]["status"]) for p in updates)
    assert previous == [("published", "rejected"), ("rejected", "published")]
    replied = next(p for p in updates if p["data"]["status"] == "published")
    assert replied["data"]["reply"]["body"] == "Thanks!"
    moderated = next(p for p in payloads if p["type"] == "comment.updated")
    assert (
        moderated["previous"] == {"status": "published"} and moderated["data"]["status"] == "spam"
    )


def test_failed_attempts_are_retried_with_the_same_id(
    hapi: Api, hook_app: Flask, hook_sink: HookSink
) -> None:
    made = _create(hapi, hook_sink.url)
    hook_sink.answers = [500, 503, 200]
    hapi.post_review()
    first = hook_sink.wait_for(1)[0]
    deadline = time.monotonic() + 10
    while len(hook_sink.received) < 3:
        assert time.monotonic() < deadline, "the retries did not come"
        time.sleep(0.1)
        _deliver(hook_app)
    ids = {r.headers["webhook-id"] for r in hook_sink.received}
    assert ids == {first.headers["webhook-id"]}
    for received in hook_sink.received:
        _verify(made["secret"], received)
    (logged,) = _settled(hapi, made["id"])
    assert logged["status"] == "succeeded" and logged["attempts"] == 3


def test_gives_up_after_the_schedule(hapi: Api, hook_app: Flask, hook_sink: HookSink) -> None:
    made = _create(hapi, hook_sink.url)
    hook_sink.answers = [500]
    hapi.post_review()
    hook_sink.wait_for(1)
    deadline = time.monotonic() + 10
    while [d["status"] for d in _deliveries(hapi, made["id"])] != ["failed"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
        _deliver(hook_app)
    (logged,) = _deliveries(hapi, made["id"])
    assert logged["attempts"] == len(FAST_RETRIES) + 1
    assert logged["response_status"] == 500 and "500" in logged["error"]
    assert logged["next_attempt_at"] is None
    assert len(hook_sink.received) == len(FAST_RETRIES) + 1


def test_410_disables_the_webhook(hapi: Api, hook_app: Flask, hook_sink: HookSink) -> None:
    made = _create(hapi, hook_sink.url)
    hook_sink.answers = [410]
    hapi.post_review()
    hook_sink.wait_for(1)
    deadline = time.monotonic() + 5
    while hapi.admin("GET", f"/webhooks/{made['id']}").get_json()["webhook"]["enabled"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    webhook = hapi.admin("GET", f"/webhooks/{made['id']}").get_json()["webhook"]
    assert "410" in webhook["disabled_reason"]
    hapi.post_review(body="Another one")
    _deliver(hook_app)
    time.sleep(0.2)
    assert len(hook_sink.received) == 1
    (logged,) = _settled(hapi, made["id"])
    assert logged["status"] == "failed" and logged["response_status"] == 410


def test_rotation_signs_with_both_secrets(hapi: Api, hook_sink: HookSink) -> None:
    made = _create(hapi, hook_sink.url)
    rotated = hapi.admin("POST", f"/webhooks/{made['id']}/rotate-secret").get_json()["webhook"]
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    delivered = hapi.admin("POST", f"/webhooks/{made['id']}/test").get_json()["delivery"]
    assert delivered["status"] == "succeeded" and delivered["type"] == "ping"
    (received,) = hook_sink.wait_for(1)
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert _verify(made["secret"], received)["type"] == "ping"
    assert _verify(rotated["secret"], received)["type"] == "ping"
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + "A" * 43 + "=").verify(received.body, received.headers)


def test_test_event_reports_a_failure_and_retry_sends_again(hapi: Api, hook_sink: HookSink) -> None:
    made = _create(hapi, hook_sink.url, ["review.created"])  # ping comes whatever it wants
    hook_sink.answers = [502, 200]
    failed = hapi.admin("POST", f"/webhooks/{made['id']}/test").get_json()["delivery"]
    assert failed["status"] == "pending" and failed["response_status"] == 502
    assert failed["next_attempt_at"] is not None and failed["attempts"] == 1
    again = hapi.admin(
        "POST", f"/webhooks/{made['id']}/deliveries/{failed['id']}/retry"
    ).get_json()["delivery"]
    assert again["status"] == "succeeded" and again["attempts"] == 2
    first, second = hook_sink.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert (
        hapi.admin("POST", f"/webhooks/{made['id']}/deliveries/dlv_nope/retry").status_code == 404
    )


def test_an_unreachable_receiver_is_a_recorded_failure(hapi: Api, hook_sink: HookSink) -> None:
    made = _create(hapi, f"http://127.0.0.1:{free_port()}/gone")
    delivered = hapi.admin("POST", f"/webhooks/{made['id']}/test").get_json()["delivery"]
    assert delivered["status"] == "pending" and delivered["response_status"] is None
    assert delivered["error"]


def test_disabled_webhooks_get_nothing(hapi: Api, hook_app: Flask, hook_sink: HookSink) -> None:
    made = _create(hapi, hook_sink.url)
    hapi.admin("PATCH", f"/webhooks/{made['id']}", json={"enabled": False})
    hapi.post_review()
    _deliver(hook_app)
    time.sleep(0.2)
    assert hook_sink.received == []
    with hook_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_committed_while_redis_and_the_worker_were_down_is_delivered_later(
    app_factory: Callable[..., Flask],
    own_redis: RedisProcess,
    hook_sink: HookSink,
    database_url: str,
    tmp_path: Path,
) -> None:
    """The outbox is the database: a change committed while our own Redis is killed
    and no worker runs is delivered once a worker (`plaudit worker`, as the Procfile
    runs it) comes up, and the worker keeps delivering what comes after."""
    app = app_factory(REDIS_URL=own_redis.url, WEBHOOKS_ALLOW_PRIVATE=True)
    with app.app_context():
        new = sites.create_site(
            db.session, "acme-shop", origins=[], owner_email="o@acme.test", password="pw-pw-pw-pw"
        )
        db.session.commit()
        shop = SiteInfo("acme-shop", new.secret_key, "", "", new.site.id)
    hapi = Api(app.test_client(), shop)
    made = _create(hapi, hook_sink.url)
    own_redis.kill()
    first = hapi.post_review(body="Written while Redis was down")
    assert first.status_code == 201
    time.sleep(0.5)
    assert hook_sink.received == []  # with REDIS_URL set, the worker delivers: none runs
    own_redis.start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": own_redis.url,
        "SECRET_KEY": "test-secret-key-" + "0" * 32,
        "PLAUDIT_WEBHOOKS_ALLOW_PRIVATE": "true",
        "PLAUDIT_WEBHOOK_POLL_SECONDS": "0.2",
    }
    plaudit = str(Path(sys.executable).with_name("plaudit"))
    worker = subprocess.Popen(
        [plaudit, "worker"], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        (received,) = hook_sink.wait_for(1, timeout=30)
        assert _verify(made["secret"], received)["data"]["id"] == first.get_json()["review"]["id"]
        second = hapi.post_review(body="Written while the worker runs").get_json()["review"]
        _, later = hook_sink.wait_for(2, timeout=30)
        assert _verify(made["secret"], later)["data"]["id"] == second["id"]
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr[-2000:]
    (one, two) = _settled(hapi, made["id"], 2)
    assert one["status"] == two["status"] == "succeeded"


def test_a_slow_receiver_holds_up_no_one(
    app_factory: Callable[..., Flask], hook_sink: HookSink
) -> None:
    """A receiver that answers after the timeout is a recorded failure (retried later);
    the other webhook's delivery of the same event goes through meanwhile."""
    app = app_factory(WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT=0.5)
    with app.app_context():
        new = sites.create_site(
            db.session, "acme-shop", origins=[], owner_email="o@acme.test", password="pw-pw-pw-pw"
        )
        db.session.commit()
        hapi = Api(app.test_client(), SiteInfo("acme-shop", new.secret_key, "", "", new.site.id))
    slow = HookSink().start()
    slow.delay = 3.0
    try:
        slow_hook = _create(hapi, slow.url)
        fast_hook = _create(hapi, hook_sink.url)
        started = time.monotonic()
        hapi.post_review()
        hook_sink.wait_for(1)
        slow.wait_for(1)
        (timed_out,) = _settled(hapi, slow_hook["id"])
        assert time.monotonic() - started < 3.0  # the timeout, not the receiver, ended it
        assert timed_out["status"] == "pending" and "timed out" in timed_out["error"]
        assert timed_out["next_attempt_at"] is not None
        (delivered,) = _settled(hapi, fast_hook["id"])
        assert delivered["status"] == "succeeded"
    finally:
        slow.stop()


def test_invitation_reviewed_is_an_event(hapi: Api, hook_app: Flask, hook_sink: HookSink) -> None:
    made = _create(hapi, hook_sink.url, ["invitation.reviewed", "review.created"])
    body = {"order_id": "1001", "email": "ada@example.com", "products": ["sku-1", "sku-2"]}
    invitation = hapi.admin("POST", "/invitations", json=body).get_json()["invitation"]
    token = invitation["url"].rsplit("/r/", 1)[1]
    assert hapi.post_review("sku-1", invite=token).status_code == 201
    assert hapi.post_review("sku-2", invite=token).status_code == 201  # reviewed already
    received = hook_sink.wait_for(3)
    time.sleep(0.2)
    _deliver(hook_app)
    payloads = [_verify(made["secret"], r) for r in received]
    reviewed = [p for p in payloads if p["type"] == "invitation.reviewed"]
    assert len(reviewed) == 1 and len(hook_sink.received) == 3
    assert reviewed[0]["data"]["id"] == invitation["id"]
    assert reviewed[0]["data"]["status"] == "reviewed"
    assert reviewed[0]["previous"]["status"] in {"scheduled", "sent"}
    created = [p for p in payloads if p["type"] == "review.created"]
    assert all(p["data"]["verified_buyer"] for p in created) and len(created) == 2


def test_old_events_are_forgotten_once_delivered(
    hapi: Api, hook_app: Flask, hook_sink: HookSink
) -> None:
    made = _create(hapi, hook_sink.url)
    hook_sink.answers = [200, 500]
    hapi.post_review(body="Delivered long ago")
    hook_sink.wait_for(1)
    hapi.post_review(body="Still being retried")
    hook_sink.wait_for(2)
    with hook_app.app_context():
        old = utcnow() - timedelta(days=31)
        db.session.execute(sa.update(Event).values(created_at=old))
        db.session.commit()
        assert delivery.prune(db.session) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1
    (kept,) = _settled(hapi, made["id"])
    assert kept["status"] == "pending"


def test_the_site_row_knows_which_events_its_webhooks_want(
    hapi: Api, hook_app: Flask, hook_sink: HookSink
) -> None:
    """``Site.webhook_events`` is what emitting reads instead of the webhooks: it
    follows every change of them, disabled ones left out."""

    def wanted() -> list[str]:
        with hook_app.app_context():
            site = db.session.scalars(sa.select(Site)).one()
            return list(site.webhook_events)

    assert wanted() == []
    first = _create(hapi, hook_sink.url, ["review.created"])
    second = _create(hapi, hook_sink.url, ["comment.deleted", "review.created"])
    assert wanted() == ["comment.deleted", "review.created"]
    hapi.admin("PATCH", f"/webhooks/{second['id']}", json={"enabled": False})
    assert wanted() == ["review.created"]
    hapi.admin("PATCH", f"/webhooks/{first['id']}", json={"events": ["*"]})
    assert wanted() == ["*"]
    hapi.admin("DELETE", f"/webhooks/{first['id']}")
    assert wanted() == []
    hapi.post_review()
    with hook_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_a_webhook_gone_before_its_event_was_fanned_out_gets_nothing(
    app_factory: Callable[..., Flask], prefix: str, hook_sink: HookSink
) -> None:
    """Events are fanned out by the deliverer, to the webhooks that want them then.
    (With Redis nothing in the web process delivers: the worker would, here the test.)"""
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix, WEBHOOKS_ALLOW_PRIVATE=True)
    with app.app_context():
        new = sites.create_site(
            db.session, "acme-shop", origins=[], owner_email="o@acme.test", password="pw-pw-pw-pw"
        )
        db.session.commit()
        hapi = Api(app.test_client(), SiteInfo("acme-shop", new.secret_key, "", "", new.site.id))
    gone = _create(hapi, hook_sink.url)
    kept = _create(hapi, hook_sink.url + "/kept", ["review.created"])
    hapi.post_review()
    hapi.admin("DELETE", f"/webhooks/{gone['id']}")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
        assert delivery.deliver_due() == 1
        assert db.session.scalars(sa.select(Event.dispatched_at)).one() is not None
    (received,) = hook_sink.wait_for(1)
    assert _verify(kept["secret"], received)["type"] == "review.created"
    (logged,) = _settled(hapi, kept["id"])
    assert logged["status"] == "succeeded"


def test_a_new_webhook_hears_nothing_from_before_it(
    app_factory: Callable[..., Flask], prefix: str, hook_sink: HookSink
) -> None:
    """Events waiting to be fanned out (no worker ran) go to the webhooks that existed
    when they happened, never to one created since."""
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix, WEBHOOKS_ALLOW_PRIVATE=True)
    with app.app_context():
        new = sites.create_site(
            db.session, "acme-shop", origins=[], owner_email="o@acme.test", password="pw-pw-pw-pw"
        )
        db.session.commit()
        hapi = Api(app.test_client(), SiteInfo("acme-shop", new.secret_key, "", "", new.site.id))
    old = _create(hapi, hook_sink.url + "/old")
    hapi.post_review(body="Before the second webhook")
    time.sleep(0.01)
    later = _create(hapi, hook_sink.url + "/new")
    hapi.post_review(body="After it")
    with app.app_context():
        assert delivery.deliver_due() == 3
    assert len(_settled(hapi, old["id"], 2)) == 2
    (only,) = _settled(hapi, later["id"])
    assert only["status"] == "succeeded"
    assert len(hook_sink.wait_for(3)) == 3
