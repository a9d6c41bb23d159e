"""The sync and async clients behave the same on every retry path, through a real proxy
that misbehaves in front of the live server: each test runs once per client with the
same script and the same expectations."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import plaudit

from .helpers import Action, FlakyProxy, Run, answer, free_port, run_on


@pytest.fixture
def run(flavour: str, proxy: FlakyProxy, site: Any) -> Run:
    """Run a call on the ``flavour`` client, through the proxy, with 3 retries."""

    def run(call: Callable[[Any], Any], **options: Any) -> Any:
        options = {"api_key": site.api_key, "base_url": proxy.url, "max_retries": 3, **options}
        return run_on(flavour, call, **options)

    return run


def _keys(proxy: FlakyProxy) -> list[str | None]:
    return [seen.headers.get("Idempotency-Key") for seen in proxy.seen]


def test_429_waits_for_retry_after(run, proxy, site):
    proxy.script(answer(429, retry_after="1"))
    started = time.monotonic()
    assert run(lambda client: client.site.get()).id == site.slug
    assert time.monotonic() - started >= 1.0
    assert len(proxy.seen) == 2


def test_429_gives_up_after_max_retries(run, proxy):
    proxy.script(*[answer(429, retry_after="0")] * 5)
    with pytest.raises(plaudit.RateLimitError) as caught:
        run(lambda client: client.site.get(), max_retries=2)
    assert caught.value.retry_after == 0
    assert caught.value.request_id == "req_proxy429"
    assert len(proxy.seen) == 3


def test_429_with_a_long_retry_after_is_raised_at_once(run, proxy):
    proxy.script(answer(429, retry_after="3600"))
    with pytest.raises(plaudit.RateLimitError) as caught:
        run(lambda client: client.site.get())
    assert caught.value.retry_after == 3600
    assert len(proxy.seen) == 1


def test_5xx_back_off_then_succeed(run, proxy, site):
    proxy.script(Action("answer", status=502), Action("answer", status=503))
    started = time.monotonic()
    assert run(lambda client: client.site.get()).id == site.slug
    # about 0.5 s then 1 s, each less up to a quarter of jitter
    assert time.monotonic() - started >= 0.375 + 0.75
    assert len(proxy.seen) == 3


@pytest.mark.parametrize("status", [400, 404, 409, 422, 500])
def test_other_errors_are_not_retried(run, proxy, status):
    proxy.script(answer(status))
    with pytest.raises(plaudit.APIStatusError) as caught:
        run(lambda client: client.site.get())
    assert caught.value.status_code == status
    assert len(proxy.seen) == 1


def test_retried_post_reuses_its_idempotency_key(run, proxy, sdk):
    proxy.script(answer(503, retry_after="0"), answer(502, retry_after="0"))
    comment = run(lambda client: client.comments.create(product="sku-1", body="Once"))
    keys = _keys(proxy)
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0]
    assert [c.id for c in sdk.comments.list()] == [comment.id]


def test_a_given_idempotency_key_is_sent_on_every_attempt(run, proxy, post):
    review = post.review()
    proxy.script(answer(503, retry_after="0"))
    run(lambda client: client.reviews.update(review["id"], reply="Hi", idempotency_key="mine"))
    assert _keys(proxy) == ["mine", "mine"]


def test_gets_and_deletes_carry_no_idempotency_key(run, proxy, post):
    review = post.review()
    proxy.script(answer(503, retry_after="0"))
    run(lambda client: client.reviews.delete(review["id"]))
    assert _keys(proxy) == [None, None]


def test_lost_answer_to_a_post_creates_one_object(run, proxy, sdk):
    proxy.script(Action("forward_then_drop"))
    comment = run(lambda client: client.comments.create(product="sku-1", body="Only once"))
    assert proxy.forwarded == 2
    assert len(set(_keys(proxy))) == 1
    assert [c.id for c in sdk.comments.list()] == [comment.id]


def test_lost_answer_to_a_delete_is_done(run, proxy, post, sdk):
    review = post.review()
    proxy.script(Action("forward_then_drop"))
    assert run(lambda client: client.reviews.delete(review["id"])) is None
    assert list(sdk.reviews.list()) == []


def test_retried_community_writes_reuse_their_idempotency_keys(run, proxy, sdk, post):
    review = post.review()["id"]
    proxy.script(answer(503, retry_after="0"))
    idea = run(lambda client: client.ideas.create(title="A bigger lid", sources=[review]))
    proxy.script(answer(502, retry_after="0"))
    run(lambda client: client.ideas.update(idea.id, stage="planned", idempotency_key="plan"))
    keys = _keys(proxy)
    assert len(keys) == 4 and keys[0] == keys[1] and keys[0] != "plan"
    assert keys[2:] == ["plan", "plan"]
    assert [i.id for i in sdk.ideas.list()] == [idea.id]
    assert sdk.ideas.get(idea.id).stage == "planned"


def test_lost_answers_to_community_posts_create_one_object(run, proxy, sdk, post):
    proxy.script(Action("forward_then_drop"))
    idea = run(lambda client: client.ideas.create(title="Gift wrapping"))
    assert [i.id for i in sdk.ideas.list()] == [idea.id]

    question = post.http.post(
        f"{post.base_url}/api/v1/sites/{post.slug}/products/sku-1/questions",
        json={"body": "Does it come gift wrapped?", "author_name": "Ada"},
    )
    assert question.status_code == 201, question.text
    question_id = question.json()["question"]["id"]
    proxy.script(Action("forward_then_drop"))
    ours = run(lambda client: client.answers.create(question_id=question_id, body="It does."))
    assert [a.id for a in sdk.answers.list(question_id=question_id)] == [ours.id]
    assert proxy.forwarded == 4
    assert len(set(_keys(proxy)[:2])) == 1 and len(set(_keys(proxy)[2:])) == 1


def test_community_moderation_in_batches_has_a_key_per_batch(run, proxy, sdk, post):
    ideas = [sdk.ideas.create(title=f"Idea number {n}").id for n in range(2)]
    ids = [*ideas, *[f"idea_missing_{n}" for n in range(600)]]
    updated = run(
        lambda client: client.ideas.moderate(ids, "rejected", reason="spam", idempotency_key="b")
    )
    assert updated == 2
    assert _keys(proxy) == ["b", "b:1"]
    assert {i.status for i in sdk.ideas.list()} == {plaudit.ReviewStatus.REJECTED}


def test_timeout_is_an_api_timeout_error(run, proxy):
    proxy.script(Action("delay", seconds=1.0))
    with pytest.raises(plaudit.APITimeoutError):
        run(lambda client: client.site.get(), timeout=0.2, max_retries=0)


def test_connection_refused_is_retried_then_raised(flavour, site):
    base_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(plaudit.APIConnectionError) as caught:
        run_on(
            flavour,
            lambda client: client.site.get(),
            api_key=site.api_key,
            base_url=base_url,
            max_retries=1,
        )
    assert time.monotonic() - started >= 0.375  # one backoff before the retry
    assert base_url in str(caught.value)


def test_server_briefly_unavailable(flavour, start_later, site):
    port = free_port()
    start_later(port, 0.4)
    result = run_on(
        flavour,
        lambda client: client.site.get(),
        api_key=site.api_key,
        base_url=f"http://127.0.0.1:{port}",
        max_retries=5,
    )
    assert result.id == site.slug


@pytest.fixture
def plaudit_log(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    def take() -> list[str]:
        messages = [r.getMessage() for r in caplog.records if r.name == "plaudit"]
        caplog.clear()
        return messages

    with caplog.at_level(logging.DEBUG, logger="plaudit"):
        yield take


def test_both_clients_take_the_same_steps(proxy, site, plaudit_log):
    """The same misbehaviour, met by each client in turn: the same requests and the
    same retry decisions, logged word for word (the backoff's jitter seeded alike)."""
    traces = {}
    for flavour in ("sync", "async"):
        proxy.seen.clear()
        random.seed("twins")
        proxy.script(
            answer(503, retry_after="0"),
            answer(429, retry_after="0"),
            Action("forward_then_drop"),
            answer(404),
        )
        with pytest.raises(plaudit.NotFoundError):
            run_on(
                flavour,
                lambda client: client.comments.create(product="sku-1", body="Twins"),
                api_key=site.api_key,
                base_url=proxy.url,
                max_retries=5,
            )
        keys = _keys(proxy)
        assert len(set(keys)) == 1
        traces[flavour] = (
            [(seen.method, seen.path, seen.body) for seen in proxy.seen],
            plaudit_log(),
        )
    assert traces["sync"] == traces["async"]
    requests, messages = traces["sync"]
    assert len(requests) == 4
    assert sum("retrying in" in m for m in messages) == 3
    assert any("not retrying (status 404 is not retryable)" in m for m in messages)
