"""Retries against real misbehaviour: a proxy in front of the live server that answers
429 or 503, loses answers or is slow, and a server that comes up late."""

from __future__ import annotations

import logging
import time

import pytest

import plaudit
from plaudit import ReviewStatus

from .helpers import Action, answer, free_port
from .test_errors import _hold_idempotency_key


def _comment_count(sdk) -> int:
    return len(list(sdk.comments.list()))


def test_503_then_success(proxied, proxy, sdk):
    proxy.script(answer(503, retry_after="0"), answer(503, retry_after="0"))
    comment = proxied.comments.create(product="sku-1", body="Welcome!")

    assert comment.is_owner
    assert len(proxy.seen) == 3
    keys = {seen.headers["Idempotency-Key"] for seen in proxy.seen}
    assert len(keys) == 1  # one key for the call, reused by its retries
    assert _comment_count(sdk) == 1


def test_retry_after_is_honoured(proxied, proxy):
    proxy.script(answer(429, retry_after="1"))
    started = time.monotonic()
    assert proxied.site.get().id
    assert time.monotonic() - started >= 1.0
    assert len(proxy.seen) == 2


def test_retry_after_as_an_http_date(proxied, proxy):
    from email.utils import formatdate

    # HTTP dates have whole seconds: two seconds from now is more than one from now.
    proxy.script(answer(503, retry_after=formatdate(time.time() + 2, usegmt=True)))
    started = time.monotonic()
    proxied.site.get()
    assert time.monotonic() - started >= 0.9
    assert len(proxy.seen) == 2


def test_backoff_without_retry_after_grows(proxied, proxy):
    proxy.script(Action("answer", status=502), Action("answer", status=504))
    started = time.monotonic()
    proxied.site.get()
    # about 0.5 s then 1 s, each less up to a quarter of jitter
    assert time.monotonic() - started >= 0.375 + 0.75
    assert len(proxy.seen) == 3


def test_gives_up_after_max_retries(proxy, site):
    proxy.script(*[answer(429, retry_after="0")] * 5)
    client = plaudit.Plaudit(api_key=site.api_key, base_url=proxy.url, max_retries=2)
    with client, pytest.raises(plaudit.RateLimitError) as caught:
        client.site.get()
    assert caught.value.retry_after == 0
    assert len(proxy.seen) == 3  # the first try and two retries


def test_max_retries_zero_never_retries(proxied, proxy):
    proxy.script(answer(503, retry_after="0"))
    with pytest.raises(plaudit.ServerError):
        proxied.with_options(max_retries=0).site.get()
    assert len(proxy.seen) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 422, 500])
def test_client_errors_and_500_are_not_retried(proxied, proxy, status):
    proxy.script(answer(status))
    with pytest.raises(plaudit.APIStatusError):
        proxied.site.get()
    assert len(proxy.seen) == 1


def test_lost_answer_to_a_post_creates_one_object(proxied, proxy, sdk):
    """The server creates the comment but the answer never arrives: the retry carries
    the same Idempotency-Key, so the server answers with the first result."""
    proxy.script(Action("forward_then_drop"))
    comment = proxied.comments.create(product="sku-1", body="Only once, please")

    assert proxy.forwarded == 2
    assert proxy.seen[0].headers["Idempotency-Key"] == proxy.seen[1].headers["Idempotency-Key"]
    comments = list(sdk.comments.list())
    assert [c.id for c in comments] == [comment.id]


def test_lost_answer_to_a_bulk_moderation(proxied, proxy, post, sdk):
    ids = [r["id"] for r in post.reviews(3)]
    proxy.script(Action("forward_then_drop"))
    assert proxied.reviews.moderate(ids, "rejected") == 3
    assert {r.status for r in sdk.reviews.list()} == {ReviewStatus.REJECTED}


def test_lost_answer_to_a_patch(proxied, proxy, post):
    review = post.review()
    proxy.script(Action("forward_then_drop"))
    assert proxied.reviews.reply(review["id"], "Thanks").reply is not None
    assert proxy.forwarded == 2


def test_lost_answer_to_a_delete(proxied, proxy, post, sdk):
    review = post.review()
    proxy.script(Action("forward_then_drop"))
    assert proxied.reviews.delete(review["id"]) is None  # the retry's 404 means done
    assert list(sdk.reviews.list()) == []
    with pytest.raises(plaudit.NotFoundError):  # without a lost answer, 404 is an error
        proxied.reviews.delete(review["id"])


def test_timed_out_post_is_retried_without_a_duplicate(proxy, site, sdk):
    """The first attempt is slow (the client gives up on it) and reaches the server
    after the retry did: the server sees the key again and creates nothing new."""
    proxy.script(Action("delay", seconds=2.0))
    with plaudit.Plaudit(
        api_key=site.api_key, base_url=proxy.url, timeout=1.0, max_retries=3
    ) as client:
        comment = client.comments.create(product="sku-1", body="Slow network")
    deadline = time.monotonic() + 10
    while proxy.forwarded < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy.forwarded == 2
    assert [c.id for c in sdk.comments.list()] == [comment.id]


def test_409_on_a_retry_waits_for_the_first_attempt(proxied, proxy, app, site, sdk):
    """A retry that finds its key still held (409) waits and tries again."""
    timer = _hold_idempotency_key(
        app,
        site,
        "retry-key",
        "/api/v1/admin/comments",
        {"product": "sku-1", "body": "Patience"},
        # Once the server has answered the retry (its 409): not after a fixed time,
        # which a loaded machine can outlast before the retry arrives.
        release_when=lambda: proxy.forwarded >= 1,
    )
    proxy.script(answer(503, retry_after="0"))
    comment = proxied.comments.create(product="sku-1", body="Patience", idempotency_key="retry-key")
    timer.join()
    assert comment.body == "Patience"
    assert len(proxy.seen) >= 3  # 503, 409 from the server, then through
    assert _comment_count(sdk) == 1


def test_server_briefly_unavailable(start_later, site):
    """Nothing listens on the port at first (connection refused); the server comes up
    while the client backs off, and the call succeeds."""
    port = free_port()
    start_later(port, 0.4)
    with plaudit.Plaudit(
        api_key=site.api_key, base_url=f"http://127.0.0.1:{port}", max_retries=5
    ) as client:
        assert client.site.get().id == site.slug


def test_retry_decisions_are_logged_at_debug(proxied, proxy, caplog):
    proxy.script(answer(503, retry_after="0"), answer(404))
    with caplog.at_level(logging.DEBUG, logger="plaudit"), pytest.raises(plaudit.NotFoundError):
        proxied.site.get()
    messages = [r.getMessage() for r in caplog.records if r.name == "plaudit"]
    assert any(
        "retrying in 0.00s (retry 1 of 3): status 503, Retry-After 0s" in m for m in messages
    )
    assert any("not retrying (status 404 is not retryable)" in m for m in messages)
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "plaudit")
