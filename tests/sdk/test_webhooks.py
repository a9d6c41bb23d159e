"""``client.webhooks`` against the live server, each test on the sync and the async
client, with a real receiver on loopback (the server runs with
``WEBHOOKS_ALLOW_PRIVATE`` so it may call it): every method, typed results, errors,
Idempotency-Keys, paging, and deliveries that :func:`plaudit.webhooks.verify` accepts
with the secret ``create`` (or ``rotate_secret``) returned."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

import plaudit
from plaudit import Delivery, DeliveryStatus, Webhook

# ---------------------------------------------------------------- a receiver


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Receiver:
    """A real HTTP server in a thread that records each request and answers it with the
    next status of ``answers`` (then ``default``)."""

    def __init__(self, default: int = 200) -> None:
        self.default = default
        self.answers: list[int] = []
        self.received: list[Received] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver._changed:
                    status = receiver.answers.pop(0) if receiver.answers else receiver.default
                    receiver.received.append(Received(self.path, list(self.headers.items()), body))
                    receiver._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The requests received once there are ``count`` (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.received)} requests received, expected {count}"
                self._changed.wait(left)
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    """The server may call a receiver on loopback (``PLAUDIT_WEBHOOKS_ALLOW_PRIVATE``)."""
    return app_factory(WEBHOOKS_ALLOW_PRIVATE=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def verified(request: Received, secret: str | list[str]) -> plaudit.WebhookEvent:
    return plaudit.webhooks.verify(request.body, dict(request.headers), secret)


def recent(moment: dt.datetime) -> bool:
    return abs(moment - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


# ---------------------------------------------------------------- create, read


def test_create_returns_the_webhook_with_its_secret(both, receiver):
    webhook = both(
        lambda c: c.webhooks.create(
            receiver.url,
            events=("review.created", "comment.created"),  # any iterable
            description="Help desk",
        )
    )
    assert isinstance(webhook, Webhook)
    assert webhook.id.startswith("wh_")
    assert webhook.url == receiver.url
    assert webhook.events == ["review.created", "comment.created"]
    assert webhook.enabled is True
    assert webhook.description == "Help desk"
    assert webhook.secret is not None and webhook.secret.startswith("whsec_")
    assert webhook.created_at.tzinfo is dt.UTC and recent(webhook.created_at)
    assert webhook.updated_at >= webhook.created_at


def test_create_defaults_to_every_event(both, receiver):
    webhook = both(lambda c: c.webhooks.create(receiver.url))
    assert webhook.events == ["*"]
    assert webhook.description is None


def test_the_secret_is_shown_only_on_creation(both, sdk, receiver):
    created = sdk.webhooks.create(receiver.url)
    got = both(lambda c: c.webhooks.get(created.id))
    assert got.id == created.id and got.url == receiver.url
    assert got.secret is None
    listed = both(lambda c: c.webhooks.list())
    assert [w.id for w in listed] == [created.id]
    assert listed[0].secret is None


def test_events_as_one_string_is_refused_before_any_request(both, receiver, sdk):
    with pytest.raises(TypeError, match="list of event types"):
        both(lambda c: c.webhooks.create(receiver.url, events="review.created"))
    assert sdk.webhooks.list().items == []


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://127.0.0.1/hooks", ["*"], "url"),
        ("not a url", ["*"], "url"),
        ("http://user:pass@127.0.0.1/hooks", ["*"], "url"),
        (None, ["review.exploded"], "events.0"),  # list items by dotted path
    ],
)
def test_invalid_input_raises_validation_error_on_its_field(both, receiver, url, events, field):
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda c: c.webhooks.create(url or receiver.url, events=events))
    assert field in caught.value.errors
    assert caught.value.status_code == 422


def test_list_pages_newest_first(both, sdk, receiver):
    made = [sdk.webhooks.create(receiver.url, description=f"hook {n}") for n in range(3)]
    everything = both(lambda c: c.webhooks.list(limit=2))
    assert [w.id for w in everything] == [w.id for w in reversed(made)]
    first = sdk.webhooks.list(limit=2)
    assert len(first.items) == 2 and first.next_cursor is not None
    assert first.items[0].description == "hook 2"


def test_another_sites_webhook_is_not_found(both, make_site, live_server, receiver):
    other = make_site()
    with plaudit.Plaudit(api_key=other.api_key, base_url=live_server.url) as theirs:
        hook = theirs.webhooks.create(receiver.url)
    for call in (
        lambda c: c.webhooks.get(hook.id),
        lambda c: c.webhooks.update(hook.id, enabled=False),
        lambda c: c.webhooks.delete(hook.id),
        lambda c: c.webhooks.test(hook.id),
        lambda c: c.webhooks.deliveries(hook.id),
    ):
        with pytest.raises(plaudit.NotFoundError):
            both(call)
    assert both(lambda c: c.webhooks.list()) == []
    assert receiver.received == []


# ---------------------------------------------------------------- change, delete


def test_update_changes_what_is_given(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url, events=["review.created"], description="old")
    changed = both(
        lambda c: c.webhooks.update(
            hook.id, url=receiver.url + "/v2", events=["comment.created"], description=None
        )
    )
    assert changed.url == receiver.url + "/v2"
    assert changed.events == ["comment.created"]
    assert changed.description is None
    assert changed.enabled is True
    assert changed.secret is None
    assert changed.updated_at >= hook.updated_at
    assert sdk.webhooks.get(hook.id).url == receiver.url + "/v2"


def test_update_with_nothing_to_change_is_refused_before_any_request(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    with pytest.raises(ValueError, match="Nothing to update"):
        both(lambda c: c.webhooks.update(hook.id))


def test_disable_and_enable(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    assert both(lambda c: c.webhooks.disable(hook.id)).enabled is False
    assert sdk.webhooks.get(hook.id).enabled is False
    assert both(lambda c: c.webhooks.enable(hook.id)).enabled is True


def test_delete(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    assert both(lambda c: c.webhooks.delete(hook.id)) is None
    with pytest.raises(plaudit.NotFoundError):
        sdk.webhooks.get(hook.id)


def test_create_with_an_idempotency_key_makes_one_webhook(both, sdk, receiver):
    first = both(lambda c: c.webhooks.create(receiver.url, idempotency_key="hook-1"))
    again = both(lambda c: c.webhooks.create(receiver.url, idempotency_key="hook-1"))
    assert again.id == first.id
    assert [w.id for w in sdk.webhooks.list()] == [first.id]


# ---------------------------------------------------------------- deliveries


def test_test_sends_a_ping_the_receiver_verifies(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    assert hook.secret is not None
    delivery = both(lambda c: c.webhooks.test(hook.id))
    assert isinstance(delivery, Delivery)
    assert delivery.id.startswith("dlv_")
    assert delivery.type == "ping"
    request = receiver.wait_for(1)[0]
    assert request.path == "/hooks"
    assert request.header("Content-Type") == "application/json"
    event = verified(request, hook.secret)
    assert event.type == "ping"
    assert event.id == delivery.event_id and event.id.startswith("msg_")
    assert recent(event.timestamp)
    # The same delivery, as the log shows it once the answer came.
    logged = wait_until_tried(sdk, hook.id, delivery.id, attempts=1)
    assert logged.status is DeliveryStatus.SUCCEEDED
    assert logged.response_status == 200
    assert logged.attempts == 1
    assert logged.error is None
    assert logged.last_attempt_at is not None and recent(logged.last_attempt_at)


def test_test_and_retry_answer_with_the_outcome_of_their_attempt(both, sdk, receiver):
    """The ping is sent during the request, and its answer is what the receiver said."""
    hook = sdk.webhooks.create(receiver.url)
    receiver.answers = [503]
    refused = both(lambda c: c.webhooks.test(hook.id))
    assert refused.status is DeliveryStatus.PENDING  # to be retried
    assert refused.response_status == 503
    assert refused.attempts == 1
    assert refused.error
    assert refused.next_attempt_at is not None and refused.next_attempt_at > refused.created_at
    assert len(receiver.received) == 1  # already there when test() returned

    retried = both(lambda c: c.webhooks.retry(hook.id, refused.id))
    assert retried.id == refused.id
    assert retried.status is DeliveryStatus.SUCCEEDED
    assert retried.response_status == 200
    assert retried.attempts == 2
    assert retried.error is None and retried.next_attempt_at is None

    passed = both(lambda c: c.webhooks.test(hook.id))
    assert (passed.status, passed.response_status, passed.attempts) == (
        DeliveryStatus.SUCCEEDED,
        200,
        1,
    )
    assert len(receiver.received) == 3


def test_a_delivery_signed_with_another_secret_is_refused(sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    other = sdk.webhooks.create(receiver.url)
    assert other.secret is not None
    sdk.webhooks.test(hook.id)
    request = receiver.wait_for(1)[0]
    with pytest.raises(plaudit.WebhookVerificationError, match="No signature matches"):
        verified(request, other.secret)
    tampered = Received(request.path, request.headers, request.body.replace(b"ping", b"pong"))
    assert hook.secret is not None
    with pytest.raises(plaudit.WebhookVerificationError, match="No signature matches"):
        verified(tampered, hook.secret)


def test_after_rotation_both_secrets_sign(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    rotated = both(lambda c: c.webhooks.rotate_secret(hook.id))
    assert rotated.id == hook.id
    assert rotated.secret is not None and rotated.secret.startswith("whsec_")
    assert rotated.secret != hook.secret
    assert sdk.webhooks.get(hook.id).secret is None
    sdk.webhooks.test(hook.id)
    request = receiver.wait_for(1)[0]
    signatures = (request.header("webhook-signature") or "").split()
    assert len(signatures) == 2
    assert hook.secret is not None
    assert verified(request, rotated.secret).type == "ping"
    assert verified(request, hook.secret).type == "ping"
    assert verified(request, [rotated.secret, hook.secret]).type == "ping"


def test_a_refused_delivery_is_logged_and_retried_under_the_same_id(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    receiver.answers = [500]
    failed = sdk.webhooks.test(hook.id)
    first = receiver.wait_for(1)[0]
    logged = wait_until_tried(sdk, hook.id, failed.id, attempts=1)
    assert logged.status is DeliveryStatus.PENDING  # retried later
    assert logged.response_status == 500
    assert logged.error
    assert logged.next_attempt_at is not None and logged.next_attempt_at > logged.created_at
    pending = both(lambda c: c.webhooks.deliveries(hook.id, status="pending"))
    assert [d.id for d in pending] == [failed.id]
    assert both(lambda c: c.webhooks.deliveries(hook.id, status=DeliveryStatus.SUCCEEDED)) == []

    retried = both(lambda c: c.webhooks.retry(hook.id, failed.id))
    assert isinstance(retried, Delivery) and retried.id == failed.id
    second = receiver.wait_for(2)[1]
    assert hook.secret is not None
    assert verified(second, hook.secret).id == verified(first, hook.secret).id
    done = wait_until_tried(sdk, hook.id, failed.id, attempts=2)
    assert done.status is DeliveryStatus.SUCCEEDED
    assert done.response_status == 200


def wait_until_tried(
    sdk: plaudit.Plaudit, webhook_id: str, delivery_id: str, *, attempts: int
) -> Delivery:
    """The delivery once it has had ``attempts`` attempts (the server may record the
    answer just after the receiver sent it)."""
    deadline = time.monotonic() + 10
    while True:
        found = {d.id: d for d in sdk.webhooks.deliveries(webhook_id, limit=100)}
        delivery = found[delivery_id]
        if delivery.attempts >= attempts and delivery.last_attempt_at is not None:
            return delivery
        assert time.monotonic() < deadline, f"still {delivery}"
        time.sleep(0.05)


def test_a_410_disables_the_webhook_and_says_why(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    assert hook.disabled_reason is None
    receiver.answers = [410]
    sdk.webhooks.test(hook.id)
    receiver.wait_for(1)
    deadline = time.monotonic() + 10
    while (found := both(lambda c: c.webhooks.get(hook.id))).enabled:
        assert time.monotonic() < deadline, "a 410 did not disable the webhook"
        time.sleep(0.05)
    assert found.disabled_reason and "410" in found.disabled_reason
    assert both(lambda c: c.webhooks.enable(hook.id)).disabled_reason is None


def test_deliveries_page_newest_first(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    sent = [sdk.webhooks.test(hook.id) for _ in range(3)]
    receiver.wait_for(3)
    pages = both(lambda c: c.webhooks.deliveries(hook.id, limit=2))
    assert [d.id for d in pages] == [d.id for d in reversed(sent)]
    first = sdk.webhooks.deliveries(hook.id, limit=2)
    assert len(first.items) == 2 and first.next_cursor is not None


def test_a_new_review_is_delivered_as_an_event(sdk, post, receiver):
    hook = sdk.webhooks.create(receiver.url, events=["review.created"])
    assert hook.secret is not None
    review = post.review(rating=2, title="Late")
    event = verified(receiver.wait_for(1)[0], hook.secret)
    assert event.type == "review.created"
    assert event.data["id"] == review["id"]
    assert event.data["rating"] == 2
    assert "status" in event.data  # the admin form


def test_a_moderated_review_is_delivered_with_its_previous_status(sdk, post, receiver):
    sdk.site.update(moderation="pre")
    review = post.review(rating=4)
    hook = sdk.webhooks.create(receiver.url, events=["review.updated"])
    assert hook.secret is not None
    sdk.reviews.approve(review["id"])
    event = verified(receiver.wait_for(1)[0], hook.secret)
    assert event.type == "review.updated"
    assert event.data["id"] == review["id"] and event.data["status"] == "published"
    assert event.previous == {"status": "pending"}


def test_an_unknown_delivery_is_not_found(both, sdk, receiver):
    hook = sdk.webhooks.create(receiver.url)
    with pytest.raises(plaudit.NotFoundError):
        both(lambda c: c.webhooks.retry(hook.id, "dlv_does_not_exist"))
