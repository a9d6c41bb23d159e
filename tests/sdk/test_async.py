"""The async client does the same against the live server."""

from __future__ import annotations

import datetime as dt
import io
import json

import anyio
import pytest

import plaudit
from plaudit import AdminReview, CommentStatus, ReviewStatus

from .helpers import Action, answer, free_port

pytestmark = pytest.mark.anyio


async def test_async_for_follows_next_cursor(async_sdk, post):
    created = post.reviews(12)
    seen = [r.id async for r in async_sdk.reviews.list(limit=5)]
    assert seen == [r["id"] for r in reversed(created)]


async def test_await_gives_the_first_page(async_sdk, post):
    post.reviews(7)
    page = await async_sdk.reviews.list(limit=5)
    assert len(page.items) == 5
    assert all(isinstance(r, AdminReview) for r in page.items)
    second = await page.next_page()
    assert second is not None and len(second.items) == 2
    assert await second.next_page() is None
    assert len([r async for r in page]) == 7


async def test_iter_pages(async_sdk, post):
    post.reviews(7)
    sizes = [len(p.items) async for p in async_sdk.reviews.list(limit=3).iter_pages()]
    assert sizes == [3, 3, 1]
    first = await async_sdk.reviews.list(limit=3)
    assert [len(p.items) async for p in first.iter_pages()] == [3, 3, 1]


async def test_review_methods(async_sdk, post):
    a, b, c, d, e = (r["id"] for r in post.reviews(5))
    assert (await async_sdk.reviews.get(a)).id == a
    assert (await async_sdk.reviews.reject(a)).status is ReviewStatus.REJECTED
    assert (await async_sdk.reviews.mark_spam(b)).status is ReviewStatus.SPAM
    assert (await async_sdk.reviews.approve(a)).status is ReviewStatus.PUBLISHED
    replied = await async_sdk.reviews.reply(c, "Thanks!")
    assert replied.reply is not None and replied.reply.body == "Thanks!"
    assert (await async_sdk.reviews.reply(c, None)).reply is None
    assert (await async_sdk.reviews.update(d, status="pending")).status is ReviewStatus.PENDING
    assert await async_sdk.reviews.moderate([d, e], "rejected") == 2
    await async_sdk.reviews.delete(e)
    with pytest.raises(plaudit.NotFoundError):
        await async_sdk.reviews.get(e)


async def test_updated_since(async_sdk, post):
    first, _ = post.reviews(2)
    checkpoint = dt.datetime.now(dt.UTC)
    await anyio.sleep(0.05)
    await async_sdk.reviews.reject(first["id"])
    changed = [r.id async for r in async_sdk.reviews.list(updated_since=checkpoint)]
    assert changed == [first["id"]]


async def test_comment_methods(async_sdk, post):
    fan = post.comment()
    owner = await async_sdk.comments.create(product="sku-1", body="Hello from the shop")
    assert owner.is_owner
    reply = await async_sdk.comments.reply(fan["id"], "Thanks!")
    assert reply.parent_id == fan["id"]
    assert (await async_sdk.comments.get(reply.id)).body == "Thanks!"
    assert (await async_sdk.comments.reject(fan["id"])).status is CommentStatus.REJECTED
    assert (await async_sdk.comments.mark_spam(fan["id"])).status is CommentStatus.SPAM
    assert (await async_sdk.comments.approve(fan["id"])).status is CommentStatus.PUBLISHED
    assert (
        await async_sdk.comments.update(owner.id, status="pending")
    ).status is CommentStatus.PENDING
    assert await async_sdk.comments.moderate([owner.id], "published") == 1
    assert len([c async for c in async_sdk.comments.list(limit=1)]) == 3
    first = await async_sdk.comments.list(limit=2)
    assert len(first.items) == 2
    await async_sdk.comments.delete(owner.id)
    with pytest.raises(plaudit.NotFoundError):
        await async_sdk.comments.get(owner.id)


async def test_products(async_sdk, post):
    post.reviews(3, rating=4)
    post.comment()
    summary = await async_sdk.products.summary("sku-1")
    assert summary.count == 3 and summary.average == 4.0
    summaries = await async_sdk.products.summaries(["sku-1", "other"])
    assert summaries["other"].count == 0
    page = await async_sdk.products.reviews("sku-1", limit=2)
    assert page.summary.count == 3
    assert len([r async for r in page]) == 3
    comments = await async_sdk.products.comments("sku-1")
    assert len(comments.items) == 1


async def test_site_and_stats(async_sdk, site, post):
    post.review(rating=3)
    assert (await async_sdk.site.get()).id == site.slug
    assert (await async_sdk.site.update(name="Async shop")).name == "Async shop"
    stats = await async_sdk.stats()
    assert stats.reviews.published == 1
    assert stats.average == 3.0


async def test_concurrent_calls(async_sdk, post):
    ids = [r["id"] for r in post.reviews(5)]
    results: list[AdminReview] = []

    async def fetch(review_id: str) -> None:
        results.append(await async_sdk.reviews.get(review_id))

    async with anyio.create_task_group() as tg:
        for review_id in ids:
            tg.start_soon(fetch, review_id)
    assert sorted(r.id for r in results) == sorted(ids)


async def test_errors(live_server, async_sdk):
    async with plaudit.AsyncPlaudit(api_key="sk_live_bad", base_url=live_server.url) as bad:
        with pytest.raises(plaudit.AuthenticationError) as caught:
            await bad.site.get()
    assert caught.value.request_id
    with pytest.raises(plaudit.ValidationError) as invalid:
        await async_sdk.reviews.list(rating=9)
    assert "rating" in invalid.value.errors
    with pytest.raises(plaudit.NotFoundError):
        await async_sdk.reviews.get("rev_nope")


async def test_retries_with_one_idempotency_key(proxy, site, async_sdk):
    proxy.script(
        answer(503, retry_after="0"), answer(429, retry_after="0"), Action("forward_then_drop")
    )
    async with plaudit.AsyncPlaudit(
        api_key=site.api_key, base_url=proxy.url, max_retries=3
    ) as client:
        comment = await client.comments.create(product="sku-1", body="Just once")
    assert len(proxy.seen) == 4
    assert len({s.headers["Idempotency-Key"] for s in proxy.seen}) == 1
    assert proxy.forwarded == 2
    assert [c.id async for c in async_sdk.comments.list()] == [comment.id]


async def test_rate_limit_error_after_retries(proxy, site):
    proxy.script(*[answer(429, retry_after="0")] * 3)
    client = plaudit.AsyncPlaudit(api_key=site.api_key, base_url=proxy.url, max_retries=1)
    async with client:
        with pytest.raises(plaudit.RateLimitError) as caught:
            await client.site.get()
    assert caught.value.retry_after == 0
    assert len(proxy.seen) == 2


async def test_server_briefly_unavailable(start_later, site):
    port = free_port()
    start_later(port, 0.4)
    async with plaudit.AsyncPlaudit(
        api_key=site.api_key, base_url=f"http://127.0.0.1:{port}", max_retries=5
    ) as client:
        assert (await client.site.get()).id == site.slug


async def test_timeout(proxy, site):
    proxy.script(Action("delay", seconds=1.0))
    async with plaudit.AsyncPlaudit(
        api_key=site.api_key, base_url=proxy.url, timeout=0.2, max_retries=0
    ) as client:
        with pytest.raises(plaudit.APITimeoutError):
            await client.site.get()


async def test_export(async_sdk, post, tmp_path):
    post.reviews(3)
    post.review(title="=cmd|' /C calc'!A0")
    target = tmp_path / "reviews.csv"
    assert await async_sdk.reviews.export(target) == 4
    assert "'=cmd" in target.read_text(encoding="utf-8")
    out = io.StringIO()
    assert await async_sdk.reviews.export(out, format="jsonl", status="published") == 4
    assert len([json.loads(line) for line in out.getvalue().splitlines()]) == 4


async def test_injected_http_client(live_server, site):
    import httpx

    async with httpx.AsyncClient() as http:
        client = plaudit.AsyncPlaudit(
            api_key=site.api_key, base_url=live_server.url, http_client=http
        )
        assert (await client.site.get()).id == site.slug
        await client.close()
        assert not http.is_closed
