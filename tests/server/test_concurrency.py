"""Summaries that are never wrong: concurrent requests over real HTTP, then a fresh SQL count.

Requests go to a threaded server (``live_server``) from one thread each, all released at
once by a barrier, so they really overlap inside the database. PostgreSQL runs the full
storm of 50 requests; SQLite, which serialises writers anyway, a lighter one. Afterwards
the product's counters (as the public summary serves them) must equal a ``COUNT`` /
``AVG`` / histogram computed from scratch over the published reviews.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from flask import Flask

from conftest import serve
from plaudit_server.extensions import db
from plaudit_server.models import Comment, Product, Review, Site, Status, Vote

STATUSES = ["published", "pending", "rejected", "spam"]


@dataclass
class Call:
    """One HTTP request of a race; ``admin`` adds the site's secret key."""

    method: str
    path: str
    json: Any = None
    admin: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    tag: str = ""


def race(base_url: str, api_key: str, calls: Sequence[Call]) -> list[httpx.Response]:
    """Send every call from its own thread, all released at the same instant."""
    barrier = threading.Barrier(len(calls), timeout=60)

    def send(call: Call) -> httpx.Response:
        headers = {"User-Agent": f"race-{uuid.uuid4().hex}", **call.headers}
        if call.admin:
            headers["Authorization"] = f"Bearer {api_key}"
        barrier.wait()
        return httpx.request(
            call.method, base_url + call.path, json=call.json, headers=headers, timeout=90
        )

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, calls))


def assert_no_server_errors(calls: Sequence[Call], responses: Sequence[httpx.Response]) -> None:
    failures = [
        (c.method, c.path, r.status_code, r.text[:300])
        for c, r in zip(calls, responses, strict=True)
        if r.status_code >= 500
    ]
    assert not failures


def fresh_summary(app: Flask, site_slug: str, product: str) -> dict[str, Any]:
    """The summary computed from scratch with SQL over the published reviews."""
    with app.app_context():
        session = db.session
        product_id = session.scalar(
            sa.select(Product.id)
            .join(Site, Product.site_id == Site.id)
            .where(Site.slug == site_slug, Product.external_id == product)
        )
        published = sa.and_(Review.product_id == product_id, Review.status == Status.PUBLISHED)
        count, average = session.execute(
            sa.select(sa.func.count(), sa.func.avg(Review.rating)).where(published)
        ).one()
        by_rating = dict(
            session.execute(
                sa.select(Review.rating, sa.func.count()).where(published).group_by(Review.rating)
            ).all()
        )
        session.rollback()
    return {
        "count": count,
        "average": None if average is None else round(float(average), 2),
        "histogram": {str(n): by_rating.get(n, 0) for n in range(1, 6)},
    }


def counters_row(app: Flask, site_slug: str, product: str) -> tuple[int, int, list[int]]:
    with app.app_context():
        row = db.session.scalar(
            sa.select(Product)
            .join(Site, Product.site_id == Site.id)
            .where(Site.slug == site_slug, Product.external_id == product)
        )
        assert row is not None
        result = (
            row.published_count,
            row.rating_sum,
            [getattr(row, f"stars_{n}") for n in range(1, 6)],
        )
        db.session.rollback()
    return result


def assert_summary_exact(app: Flask, client: Any, site_slug: str, product: str) -> None:
    expected = fresh_summary(app, site_slug, product)
    served = client.get(f"/api/v1/sites/{site_slug}/products/{product}/reviews").get_json()
    assert served["summary"] == expected
    badges = client.get(f"/api/v1/sites/{site_slug}/summaries?products={product}").get_json()
    assert badges["summaries"][product] == expected
    # The raw counters too, rating_sum included (the average hides small drifts).
    with app.app_context():
        rating_sum = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Review.rating), 0))
            .join(Product, Review.product_id == Product.id)
            .join(Site, Product.site_id == Site.id)
            .where(
                Site.slug == site_slug,
                Product.external_id == product,
                Review.status == Status.PUBLISHED,
            )
        )
        db.session.rollback()
    count, stored_sum, stars = counters_row(app, site_slug, product)
    assert (count, stored_sum, stars) == (
        expected["count"],
        rating_sum,
        [expected["histogram"][str(n)] for n in range(1, 6)],
    )


def seed_reviews(api: Any, product: str, n: int, rng: random.Random) -> list[str]:
    """``n`` reviews of mixed ratings, then a mix of statuses through the admin API."""
    ids = []
    for i in range(n):
        response = api.post_review(
            product,
            headers={"User-Agent": f"seed-{i}"},
            rating=1 + i % 5,
            body=f"Seed review number {i}",
        )
        assert response.status_code == 201
        ids.append(response.get_json()["review"]["id"])
    for review_id in ids:
        status = rng.choice(STATUSES)
        if status != "published":
            patched = api.admin("PATCH", f"/reviews/{review_id}", json={"status": status})
            assert patched.status_code == 200
    return ids


def moderation_storm(
    product: str, ids: list[str], size: int, rng: random.Random
) -> tuple[list[Call], dict[str, list[str]]]:
    """``size`` calls: the same reviews moderated by several threads, bulk moderation,
    deletes (one review deleted twice, one deleted while patched) and new submissions.

    Returns the calls and, per contested review, the statuses that raced on it.
    """
    small = size < 40
    hot, bulk_pool = ids[: 2 if small else 3], ids[:12]
    doomed, double_doomed, patched_doomed = ids[12], ids[13], ids[14]
    calls: list[Call] = []
    contested: dict[str, list[str]] = {}
    for review_id in hot:
        statuses = ["published", "rejected", "spam", "published"][: 3 if small else 4]
        contested[review_id] = statuses
        calls += [
            Call("PATCH", f"/api/v1/admin/reviews/{review_id}", {"status": s}, admin=True)
            for s in statuses
        ]
    for _ in range(size // 8):
        status = rng.choice(STATUSES)
        chosen = [*rng.sample(bulk_pool, 6), hot[0]]
        for review_id in hot:
            if review_id in chosen:
                contested[review_id].append(status)
        calls.append(
            Call("POST", "/api/v1/admin/reviews/moderate", {"ids": chosen, "status": status}, True)
        )
    calls += [
        Call("DELETE", f"/api/v1/admin/reviews/{doomed}", admin=True, tag="delete-once"),
        Call("DELETE", f"/api/v1/admin/reviews/{double_doomed}", admin=True, tag="delete-twice"),
        Call("DELETE", f"/api/v1/admin/reviews/{double_doomed}", admin=True, tag="delete-twice"),
        Call("DELETE", f"/api/v1/admin/reviews/{patched_doomed}", admin=True, tag="delete-once"),
        Call(
            "PATCH",
            f"/api/v1/admin/reviews/{patched_doomed}",
            {"status": "published"},
            admin=True,
            tag="patch-deleted",
        ),
        Call("GET", f"/api/v1/sites/acme-shop/products/{product}/reviews"),
    ]
    n = 0
    while len(calls) < size:
        calls.append(
            Call(
                "POST",
                f"/api/v1/sites/acme-shop/products/{product}/reviews",
                {
                    "rating": rng.randint(1, 5),
                    "body": f"Racing review {n} {uuid.uuid4().hex[:6]}",
                    "author_name": f"Racer {n}",
                },
                tag="submit",
            )
        )
        n += 1
    rng.shuffle(calls)
    return calls, contested


@pytest.mark.parametrize("seed", [1, 2])
def test_counters_stay_exact_under_concurrent_submission_and_moderation(
    app: Flask, api: Any, client: Any, live_server: Any, backend: str, seed: int
) -> None:
    rng = random.Random(seed)
    size = 50 if backend == "postgresql" else 24
    product = "sku-race"
    ids = seed_reviews(api, product, 16, rng)
    assert_summary_exact(app, client, "acme-shop", product)

    calls, contested = moderation_storm(product, ids, size, rng)
    assert len(calls) == size
    responses = race(live_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)

    by_tag: dict[str, list[int]] = {}
    for call, response in zip(calls, responses, strict=True):
        by_tag.setdefault(call.tag, []).append(response.status_code)
        if call.path.endswith("/moderate"):
            assert response.status_code == 200
        elif call.method == "PATCH" and call.tag != "patch-deleted":
            assert response.status_code == 200, response.text
    assert sorted(by_tag["delete-twice"]) == [204, 404]
    assert by_tag["delete-once"] == [204, 204]
    assert by_tag["patch-deleted"][0] in {200, 404}
    assert set(by_tag["submit"]) == {201}

    # Each contested review ended in one of the statuses that raced on it.
    for review_id, statuses in contested.items():
        final = api.admin("GET", f"/reviews/{review_id}").get_json()["status"]
        assert final in statuses

    assert_summary_exact(app, client, "acme-shop", product)


def test_comment_count_stays_exact_under_concurrent_comment_moderation(
    app: Flask, api: Any, client: Any, live_server: Any, backend: str
) -> None:
    rng = random.Random(7)
    size = 40 if backend == "postgresql" else 16
    review = api.post_review("sku-talk").get_json()["review"]
    path = api.public("/products/sku-talk/comments")

    def comment(i: int, parent: str | None = None) -> str:
        body = {"body": f"Comment {i}", "author_name": f"Fan {i}", "review_id": review["id"]}
        if parent:
            body["parent_id"] = parent
        response = client.post(path, json=body, headers={"User-Agent": f"fan-{i}"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["comment"]["id"]

    ids = [comment(i) for i in range(12)]
    replies = [comment(100 + i, parent=ids[i % 3]) for i in range(4)]
    nested = comment(200, parent=replies[0])
    everything = ids + replies + [nested]

    calls: list[Call] = []
    for comment_id in (ids[3], replies[1]):
        calls += [
            Call("PATCH", f"/api/v1/admin/comments/{comment_id}", {"status": s}, admin=True)
            for s in ("rejected", "published", "spam")
        ]
    calls += [
        Call("DELETE", f"/api/v1/admin/comments/{ids[0]}", admin=True),  # with a subtree
        Call("DELETE", f"/api/v1/admin/comments/{ids[0]}", admin=True),
        Call("PATCH", f"/api/v1/admin/comments/{nested}", {"status": "pending"}, admin=True),
        Call("DELETE", f"/api/v1/admin/comments/{ids[4]}", admin=True),
    ]
    for _ in range(size // 6):
        chosen = rng.sample(everything, 5)
        calls.append(
            Call(
                "POST",
                "/api/v1/admin/comments/moderate",
                {"ids": chosen, "status": rng.choice(STATUSES)},
                admin=True,
            )
        )
    n = 0
    while len(calls) < size:
        body = {"body": f"Late comment {n}", "author_name": "Late", "review_id": review["id"]}
        calls.append(Call("POST", "/api/v1/sites/acme-shop/products/sku-talk/comments", body))
        n += 1
    rng.shuffle(calls)
    responses = race(live_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)

    with app.app_context():
        published = db.session.scalar(
            sa.select(sa.func.count()).where(
                Comment.review_id == review["id"], Comment.status == Status.PUBLISHED
            )
        )
        db.session.rollback()
    assert published > 0
    admin_view = api.admin("GET", f"/reviews/{review['id']}").get_json()
    assert admin_view["comment_count"] == published
    public = client.get(api.public("/products/sku-talk/reviews")).get_json()
    assert public["reviews"][0]["comment_count"] == published


@pytest.mark.parametrize("helpful_mix", [(True,), (True, False)])
def test_one_visitors_concurrent_votes_count_once(
    app: Flask, api: Any, live_server: Any, backend: str, helpful_mix: tuple[bool, ...]
) -> None:
    size = 30 if backend == "postgresql" else 12
    review_id = api.post_review().get_json()["review"]["id"]
    same_visitor = {"User-Agent": "the-same-browser/1.0"}
    calls = [
        Call(
            "POST",
            f"/api/v1/sites/acme-shop/reviews/{review_id}/votes",
            {"helpful": helpful_mix[i % len(helpful_mix)]},
            headers=same_visitor,
        )
        for i in range(size)
    ]
    responses = race(live_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)
    assert {r.status_code for r in responses} == {200}

    with app.app_context():
        votes = db.session.scalars(sa.select(Vote).where(Vote.review_id == review_id)).all()
        assert len(votes) == 1
        helpful = votes[0].helpful
        db.session.rollback()
    counts = api.admin("GET", f"/reviews/{review_id}").get_json()
    assert (counts["helpful_count"], counts["unhelpful_count"]) == (int(helpful), int(not helpful))


@pytest.fixture
def proxied_server(app_factory: Any) -> Any:
    """The app behind one trusted proxy, over real HTTP: every request comes from
    127.0.0.1, and ``X-Forwarded-For`` names the visitor (and so their network)."""
    live, stop = serve(app_factory(TRUSTED_PROXIES=1))
    yield live
    stop()


def test_many_visitors_concurrent_votes_are_all_counted(
    app: Flask, api: Any, proxied_server: Any, backend: str
) -> None:
    size = 40 if backend == "postgresql" else 12
    review_id = api.post_review().get_json()["review"]["id"]
    calls = [
        Call(
            "POST",
            f"/api/v1/sites/acme-shop/reviews/{review_id}/votes",
            {"helpful": i % 3 != 0},
            # Each visitor (on a network of their own) votes twice at once.
            headers={"User-Agent": f"visitor-{i // 2}", "X-Forwarded-For": f"198.51.{i // 2}.7"},
        )
        for i in range(size)
    ]
    responses = race(proxied_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)

    with app.app_context():
        votes = Counter(
            db.session.scalars(sa.select(Vote.helpful).where(Vote.review_id == review_id)).all()
        )
        db.session.rollback()
    assert sum(votes.values()) == size // 2
    counts = api.admin("GET", f"/reviews/{review_id}").get_json()
    assert (counts["helpful_count"], counts["unhelpful_count"]) == (votes[True], votes[False])


def test_concurrent_votes_from_one_network_count_three(
    app: Flask, api: Any, proxied_server: Any, backend: str
) -> None:
    """The per-network cap holds under a race: the review row lock queues the votes."""
    size = 30 if backend == "postgresql" else 12
    review_id = api.post_review().get_json()["review"]["id"]
    calls = [
        Call(
            "POST",
            f"/api/v1/sites/acme-shop/reviews/{review_id}/votes",
            {"helpful": True},
            headers={"User-Agent": f"agent-{i}", "X-Forwarded-For": f"203.0.113.{i + 1}"},
        )
        for i in range(size)
    ]
    responses = race(proxied_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)
    counts = api.admin("GET", f"/reviews/{review_id}").get_json()
    assert (counts["helpful_count"], counts["unhelpful_count"]) == (3, 0)
    with app.app_context():
        stored = db.session.scalar(
            sa.select(sa.func.count()).select_from(Vote).where(Vote.review_id == review_id)
        )
        db.session.rollback()
    assert stored == 3


def test_concurrent_first_reviews_of_a_new_product_create_one_product(
    app: Flask, api: Any, client: Any, live_server: Any, backend: str
) -> None:
    size = 30 if backend == "postgresql" else 12
    calls = [
        Call(
            "POST",
            "/api/v1/sites/acme-shop/products/brand-new/reviews",
            {"rating": 1 + i % 5, "body": f"First! number {i}", "author_name": "Early"},
        )
        for i in range(size)
    ]
    responses = race(live_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)
    assert {r.status_code for r in responses} == {201}

    with app.app_context():
        products = db.session.scalar(
            sa.select(sa.func.count()).where(Product.external_id == "brand-new")
        )
        db.session.rollback()
    assert products == 1
    assert fresh_summary(app, "acme-shop", "brand-new")["count"] == size
    assert_summary_exact(app, client, "acme-shop", "brand-new")


@pytest.mark.parametrize("audience", ["public", "admin"])
def test_same_idempotency_key_concurrently_creates_one_item(
    app: Flask, api: Any, live_server: Any, backend: str, audience: str
) -> None:
    size = 20 if backend == "postgresql" else 10
    key = f"idem-{uuid.uuid4().hex}"
    if audience == "public":
        call = Call(
            "POST",
            "/api/v1/sites/acme-shop/products/sku-idem/reviews",
            {"rating": 4, "body": "Submitted with a retrying client", "author_name": "Ida"},
            headers={"Idempotency-Key": key, "User-Agent": "one-browser"},
        )
        model: Any = Review
    else:
        call = Call(
            "POST",
            "/api/v1/admin/comments",
            {"product": "sku-idem", "body": "The shop answers once"},
            admin=True,
            headers={"Idempotency-Key": key},
        )
        model = Comment
    calls = [call] * size

    # The public call names its User-Agent: the key's scope includes the visitor.
    responses = race(live_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1

    created_ids = set()
    originals = 0
    for response in responses:
        if response.status_code == 409:
            assert response.headers["Content-Type"].startswith("application/problem+json")
            assert response.json()["status"] == 409
            continue
        body = response.json()
        created_ids.add(body["review"]["id"] if audience == "public" else body["id"])
        originals += response.headers.get("Idempotent-Replayed") != "true"
    assert len(created_ids) == 1
    assert originals == 1

    with app.app_context():
        stored = db.session.scalars(sa.select(model.id)).all()
        db.session.rollback()
    assert stored == list(created_ids)

    # Once the first has finished, a repeat is always the replay.
    again = httpx.request(
        call.method,
        live_server.url + call.path,
        json=call.json,
        headers={
            **call.headers,
            **({"Authorization": f"Bearer {api.site.api_key}"} if call.admin else {}),
        },
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"


def test_votes_and_patches_racing_a_delete_never_fail(
    app: Flask, api: Any, live_server: Any, backend: str
) -> None:
    """Each answers as if it ran before the delete (200, 201) or after it (404, 422).

    Never a 500, and never a 503 from a deadlock: everything that touches comments
    locks their review first.
    """
    size = 30 if backend == "postgresql" else 12
    review_id = api.post_review().get_json()["review"]["id"]
    comment = api.admin(
        "POST", "/comments", json={"product": "sku-1", "body": "Owner", "review_id": review_id}
    ).get_json()
    calls = [Call("DELETE", f"/api/v1/admin/reviews/{review_id}", admin=True, tag="delete")]
    for i in range(size - 1):
        kind = i % 5
        if kind == 0:
            calls.append(
                Call(
                    "POST", f"/api/v1/sites/acme-shop/reviews/{review_id}/votes", {"helpful": True}
                )
            )
        elif kind == 1:
            status = ["published", "pending"][i % 2]
            calls.append(
                Call("PATCH", f"/api/v1/admin/reviews/{review_id}", {"status": status}, True)
            )
        elif kind == 2:
            status = ["published", "rejected"][i % 2]
            calls.append(
                Call("PATCH", f"/api/v1/admin/comments/{comment['id']}", {"status": status}, True)
            )
        else:  # a fan's comment on the review, or a reply in its thread
            link = {"review_id": review_id} if kind == 3 else {"parent_id": comment["id"]}
            body = {"body": f"Fan {i}", "author_name": "Fan", **link}
            calls.append(
                Call("POST", "/api/v1/sites/acme-shop/products/sku-1/comments", body, tag="post")
            )
    random.Random(3).shuffle(calls)
    responses = race(live_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)
    for call, response in zip(calls, responses, strict=True):
        expected = {"delete": {204}, "post": {201, 422}}.get(call.tag, {200, 404})
        assert response.status_code in expected, (call.method, call.path, response.text)
    with app.app_context():
        assert db.session.get(Review, review_id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
        db.session.rollback()
