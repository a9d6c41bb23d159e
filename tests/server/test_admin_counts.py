"""Counts per status per site (``services/site_counts.py``): always what a fresh
``GROUP BY`` of the rows says, after every kind of change and under concurrency."""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa
from flask import Flask
from test_concurrency import Call, assert_no_server_errors, moderation_storm, race, seed_reviews

from plaudit_server.extensions import db
from plaudit_server.models import Comment, Review, Status
from plaudit_server.services import site_counts, sites


def kept(app: Flask, slug: str) -> dict[str, dict[str, int]]:
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        return {
            model.__tablename__: site_counts.status_counts(db.session, model, site)
            for model in (Review, Comment)
        }


def counted(app: Flask, slug: str) -> dict[str, dict[str, int]]:
    """The same counts from scratch, over the rows."""
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        result = {}
        for model in (Review, Comment):
            counts = {s.value: 0 for s in Status}
            rows = db.session.execute(
                sa.select(model.status, sa.func.count())
                .where(model.site_id == site.id)
                .group_by(model.status)
            )
            for status, n in rows:
                counts[Status(status).value] = n
            counts["total"] = sum(counts.values())
            result[model.__tablename__] = counts
        return result


def comment(api: Any, product: str, **fields: Any) -> str:
    body = {"body": "A fan's word", "author_name": "Fan", **fields}
    response = api.client.post(api.public(f"/products/{product}/comments"), json=body)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["comment"]["id"])


def test_counts_follow_every_change(app: Flask, api: Any, make_site: Any) -> None:
    other = make_site(moderation="pre")  # another site's items count there alone
    assert kept(app, "acme-shop") == counted(app, "acme-shop")
    ids = [
        api.post_review("sku-1", body=f"Review {i}").get_json()["review"]["id"] for i in range(6)
    ]
    api.post_review("sku-2", hp="I am a bot")  # spam
    api.client.post(
        f"/api/v1/sites/{other.slug}/products/sku-1/reviews",
        json={"rating": 3, "body": "Held", "author_name": "Bo"},
    )
    first = comment(api, "sku-1", review_id=ids[0])
    reply = comment(api, "sku-1", review_id=ids[0], parent_id=first)
    comment(api, "sku-1", review_id=ids[1])
    loose = comment(api, "sku-2")
    assert kept(app, "acme-shop") == counted(app, "acme-shop")
    assert kept(app, "acme-shop")["reviews"]["spam"] == 1
    assert kept(app, other.slug)["reviews"] == {**counted(app, other.slug)["reviews"], "pending": 1}

    moderate = api.admin("POST", "/reviews/moderate", json={"ids": ids[:4], "status": "rejected"})
    assert moderate.status_code == 200
    # The same move again changes nothing; a PATCH moves one back.
    api.admin("POST", "/reviews/moderate", json={"ids": ids[:4], "status": "rejected"})
    api.admin("PATCH", f"/reviews/{ids[3]}", json={"status": "pending"})
    api.admin("POST", "/comments/moderate", json={"ids": [reply, loose], "status": "spam"})
    assert kept(app, "acme-shop") == counted(app, "acme-shop")
    assert kept(app, "acme-shop")["reviews"]["rejected"] == 3

    # A deleted review takes its comments (and their counts) with it.
    assert api.admin("DELETE", f"/reviews/{ids[0]}").status_code == 204
    assert api.admin("DELETE", f"/comments/{loose}").status_code == 204
    after = kept(app, "acme-shop")
    assert after == counted(app, "acme-shop")
    assert after["comments"]["total"] == 1 and after["reviews"]["total"] == 6
    # The admin API's statistics read the same counts.
    stats = api.admin("GET", "/stats").get_json()
    assert stats["reviews"] == after["reviews"] and stats["comments"] == after["comments"]


def test_counts_stay_exact_under_concurrent_changes(
    app: Flask, api: Any, client: Any, live_server: Any, backend: str
) -> None:
    """Bulk and single moderation of overlapping reviews, deletions (twice at once, and
    of reviews with comments), comment moderation and new items, all at the same time."""
    rng = random.Random(3)
    size = 50 if backend == "postgresql" else 24
    product = "sku-race"
    ids = seed_reviews(api, product, 16, rng)
    threads = [  # the shop's own answers: any review may have them, whatever its status
        api.admin(
            "POST", "/comments", json={"product": product, "body": "Thanks", "review_id": rid}
        ).get_json()["id"]
        for rid in ids[:8]
    ]
    calls, _ = moderation_storm(product, ids, size - 6, rng)
    for status in ("spam", "published", "pending"):
        calls.append(
            Call(
                "POST", "/api/v1/admin/comments/moderate", {"ids": threads, "status": status}, True
            )
        )
    calls += [
        Call("DELETE", f"/api/v1/admin/comments/{threads[1]}", admin=True),
        Call(
            "POST",
            f"/api/v1/sites/acme-shop/products/{product}/comments",
            {"body": "Racing comment", "author_name": "Fan", "review_id": ids[2]},
        ),
        Call(
            "POST",
            f"/api/v1/sites/acme-shop/products/{product}/comments",
            {"body": "Another racing comment", "author_name": "Fan"},
        ),
    ]
    rng.shuffle(calls)
    responses = race(live_server.url, api.site.api_key, calls)
    assert_no_server_errors(calls, responses)
    assert kept(app, "acme-shop") == counted(app, "acme-shop")
