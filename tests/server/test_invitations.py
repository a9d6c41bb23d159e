"""Invitations through the admin API, and the reviews their tokens verify.

Creating one and up to 500 at once, lists and cursors, cancelling, the suppression
list, and what a token does to a review: verified, one per product per invitation,
the second edits the first, and a token for another site or product is refused.
Sending is tested in test_invitation_delivery.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from support import assert_problem

from conftest import SHARED_REDIS
from plaudit_server.extensions import db
from plaudit_server.models import Invitation, Review, Suppression

INVITATION_KEYS = {
    *("id", "order_id", "email", "name", "products", "locale", "status", "send_at", "sent_at"),
    *("reminded_at", "reviewed_at", "expires_at", "url", "created_at", "store_review"),
    "incentive",
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def invite(api: Any, status: int = 201, **fields: Any) -> Any:
    body = {"order_id": "1001", "email": "ada@example.com", "products": ["sku-1", "sku-2"]}
    return ok(api.admin("POST", "/invitations", json={**body, **fields}), status)


def token_of(invitation: dict[str, Any]) -> str:
    return urlsplit(invitation["url"]).path.removeprefix("/r/")


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


# ---------------------------------------------------------------- creating


def test_create_answers_the_contracts_invitation(api: Any) -> None:
    body = invite(api, name="Ada Lovelace", locale="de-AT")
    invitation = body["invitation"]
    assert set(invitation) == INVITATION_KEYS
    assert invitation["id"].startswith("inv_")
    assert invitation["status"] == "scheduled"
    assert invitation["locale"] == "de"
    assert invitation["products"] == ["sku-1", "sku-2"]
    assert invitation["store_review"] is True
    assert invitation["sent_at"] is None and invitation["reviewed_at"] is None
    send_at = datetime.fromisoformat(invitation["send_at"].replace("Z", "+00:00"))
    expires_at = datetime.fromisoformat(invitation["expires_at"].replace("Z", "+00:00"))
    assert expires_at - send_at == timedelta(days=60)  # the default lifetime
    assert abs(send_at - datetime.now(UTC)) < timedelta(minutes=1)  # the default delay: 0
    assert invitation["url"].startswith("http://127.0.0.1:5000/r/")
    assert len(token_of(invitation)) >= 22  # at least 128 bits in URL-safe base64
    again = ok(api.admin("GET", f"/invitations/{invitation['id']}"))["invitation"]
    assert again == invitation  # the link can be shown again: derived, not stored


def test_the_token_is_stored_only_as_a_hash(app: Flask, api: Any) -> None:
    token = token_of(invite(api)["invitation"])
    with app.app_context():
        row = db.session.scalars(sa.select(Invitation)).one()
        stored = " ".join(str(getattr(row, c.key)) for c in Invitation.__table__.columns)
    assert token not in stored


def test_site_settings_shape_send_at_and_expiry(api: Any) -> None:
    settings = {"invite_delay_days": 3, "invite_reminder_days": 0, "invite_ttl_days": 10}
    site = ok(api.admin("PATCH", "/site", json=settings))
    assert {k: site[k] for k in settings} == settings
    invitation = invite(api)["invitation"]
    send_at = datetime.fromisoformat(invitation["send_at"].replace("Z", "+00:00"))
    expires_at = datetime.fromisoformat(invitation["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=3) - timedelta(minutes=1) < send_at - datetime.now(UTC)
    assert expires_at - send_at == timedelta(days=10)


def test_send_at_in_the_past_means_now_and_a_year_ahead_is_refused(api: Any) -> None:
    past = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    invitation = invite(api, send_at=past)["invitation"]
    send_at = datetime.fromisoformat(invitation["send_at"].replace("Z", "+00:00"))
    assert abs(send_at - datetime.now(UTC)) < timedelta(minutes=1)
    far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    problem = assert_problem(
        api.admin(
            "POST",
            "/invitations",
            json={"order_id": "2", "email": "b@example.com", "products": ["a"], "send_at": far},
        ),
        422,
    )
    assert "send_at" in problem["errors"]


def test_a_second_invitation_for_an_order_is_a_conflict_naming_the_first(
    app: Flask, api: Any
) -> None:
    first = invite(api)["invitation"]
    problem = assert_problem(
        api.admin(
            "POST",
            "/invitations",
            json={"order_id": "1001", "email": "x@example.com", "products": ["sku-9"]},
        ),
        409,
    )
    assert problem["existing_id"] == first["id"]
    assert count(app, Invitation) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"products": []}, "products"),
        ({"products": [f"p{i}" for i in range(21)]}, "products"),
        ({"products": ["bad id!"]}, "products.0"),
        ({"order_id": ""}, "order_id"),
        ({"order_id": "x" * 129}, "order_id"),
        ({"locale": "not a language"}, "locale"),
        ({"store_review": "yes"}, "store_review"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_a_422_and_creates_nothing(
    app: Flask, api: Any, fields: dict[str, Any], field: str
) -> None:
    body = {"order_id": "1", "email": "a@example.com", "products": ["sku-1"], **fields}
    problem = assert_problem(api.admin("POST", "/invitations", json=body), 422)
    assert field in problem["errors"]
    assert count(app, Invitation) == 0


def test_a_suppressed_address_is_recorded_unsubscribed_and_never_due(app: Flask, api: Any) -> None:
    with app.app_context():
        db.session.add(
            Suppression(site_id=api.site.id, kind="invitations", email="ada@example.com")
        )
        db.session.commit()
    invitation = invite(api, email="Ada@Example.com")["invitation"]
    assert invitation["status"] == "unsubscribed"
    with app.app_context():
        assert db.session.get(Invitation, invitation["id"]).due_at is None


def test_idempotency_key_repeats_the_first_answer(app: Flask, api: Any) -> None:
    headers = {"Idempotency-Key": "order-1001"}
    body = {"order_id": "1001", "email": "a@example.com", "products": ["sku-1"]}
    first = ok(api.admin("POST", "/invitations", json=body, headers=headers), 201)
    second = ok(api.admin("POST", "/invitations", json=body, headers=headers), 201)
    assert first == second and count(app, Invitation) == 1


# ---------------------------------------------------------------- batch


def test_batch_takes_or_refuses_each_item_on_its_own(app: Flask, api: Any) -> None:
    invite(api, order_id="taken")
    items = [
        {"order_id": "b1", "email": "one@example.com", "products": ["sku-1"]},
        {"order_id": "b2", "email": "bad address", "products": ["sku-1"]},
        {"order_id": "taken", "email": "two@example.com", "products": ["sku-1"]},
        {"order_id": "b3", "email": "three@example.com", "products": ["sku-1"], "extra": True},
        {"order_id": "b1", "email": "again@example.com", "products": ["sku-1"]},
        "not an object",
        {"order_id": "b4", "email": "four@example.com", "products": ["sku-1", "sku-2"]},
    ]
    body = ok(api.admin("POST", "/invitations/batch", json={"invitations": items}))
    assert [i["order_id"] for i in body["created"]] == ["b1", "b4"]
    errors = {e["index"]: e["problem"] for e in body["errors"]}
    assert sorted(errors) == [1, 2, 3, 4, 5]
    assert errors[1]["status"] == 422 and "email" in errors[1]["errors"]
    assert errors[2]["status"] == 409 and errors[2]["existing_id"].startswith("inv_")
    assert errors[3]["status"] == 422 and "extra" in errors[3]["errors"]
    assert errors[4]["status"] == 409 and errors[4]["existing_id"] == body["created"][0]["id"]
    assert errors[5]["status"] == 422
    assert count(app, Invitation) == 3


def test_batch_of_500_and_not_501(app: Flask, api: Any) -> None:
    items = [
        {"order_id": f"o{i}", "email": f"b{i}@example.com", "products": ["sku-1"]}
        for i in range(500)
    ]
    body = ok(api.admin("POST", "/invitations/batch", json={"invitations": items}))
    assert len(body["created"]) == 500 and body["errors"] == []
    more = [*items, {"order_id": "o500", "email": "c@example.com", "products": ["sku-1"]}]
    assert_problem(api.admin("POST", "/invitations/batch", json={"invitations": more}), 422)
    assert count(app, Invitation) == 500


def test_a_batch_may_be_larger_than_other_bodies(app: Flask, api: Any) -> None:
    """500 orders with names and several products each pass 64 KiB; up to 1 MiB is taken
    here, while any other endpoint still answers 413 past 64 KiB."""
    items = [
        {
            "order_id": f"order-{i:06d}",
            "email": f"buyer.number.{i}@example.com",
            "name": f"Buyer Number {i}",
            "products": [f"product-sku-{i}-{n}" for n in range(4)],
        }
        for i in range(500)
    ]
    body = {"invitations": items}
    assert len(json.dumps(body)) > 64 * 1024
    created = ok(api.admin("POST", "/invitations/batch", json=body))
    assert len(created["created"]) == 500
    too_big = {**items[0], "name": "x" * (70 * 1024)}
    assert_problem(api.admin("POST", "/invitations", json=too_big), 413)
    huge = {"invitations": [{**items[0], "name": "x" * 1024}] * 1100}
    assert_problem(api.admin("POST", "/invitations/batch", json=huge), 413)
    assert count(app, Invitation) == 500


# ---------------------------------------------------------------- list, get, cancel


def test_list_filters_and_cursors(api: Any) -> None:
    ids = [invite(api, order_id=f"o{i}")["invitation"]["id"] for i in range(5)]
    ok(api.admin("DELETE", f"/invitations/{ids[0]}"))
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(api.admin("GET", "/invitations", query_string=query))
        seen += [i["id"] for i in page["invitations"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    cancelled = ok(api.admin("GET", "/invitations", query_string={"status": "cancelled"}))
    assert [i["id"] for i in cancelled["invitations"]] == [ids[0]]
    by_order = ok(api.admin("GET", "/invitations", query_string={"order_id": "o3"}))
    assert [i["id"] for i in by_order["invitations"]] == [ids[3]]
    assert_problem(api.admin("GET", "/invitations", query_string={"status": "lost"}), 422)


def test_cancel_only_before_sending(app: Flask, api: Any) -> None:
    invitation = invite(api)["invitation"]
    cancelled = ok(api.admin("DELETE", f"/invitations/{invitation['id']}"))["invitation"]
    assert cancelled["status"] == "cancelled"
    assert ok(api.admin("DELETE", f"/invitations/{invitation['id']}"))["invitation"] == cancelled
    other = invite(api, order_id="2")["invitation"]
    with app.app_context():
        row = db.session.get(Invitation, other["id"])
        row.status, row.sent_at = "sent", datetime.now(UTC)
        db.session.commit()
    assert_problem(api.admin("DELETE", f"/invitations/{other['id']}"), 409)


def test_another_sites_invitation_is_not_found(api: Any, make_site: Any, client: Any) -> None:
    invitation = invite(api)["invitation"]
    other = make_site()
    headers = {"Authorization": f"Bearer {other.api_key}"}
    for method in ("GET", "DELETE"):
        response = client.open(
            f"/api/v1/admin/invitations/{invitation['id']}", method=method, headers=headers
        )
        assert_problem(response, 404)


# ---------------------------------------------------------------- verified reviews


def test_a_review_with_the_token_is_a_verified_buyers(app: Flask, api: Any) -> None:
    invitation = invite(api)["invitation"]
    token = token_of(invitation)
    review = ok(api.post_review(product="sku-1", invite=token, rating=4), 201)["review"]
    assert review["verified_buyer"] is True
    after = ok(api.admin("GET", f"/invitations/{invitation['id']}"))["invitation"]
    assert after["status"] == "reviewed" and after["reviewed_at"] is not None
    listed = ok(api.client.get(api.public("/products/sku-1/reviews")))
    assert listed["reviews"][0]["verified_buyer"] is True
    plain = ok(api.post_review(product="sku-1", body="Not invited"), 201)["review"]
    assert plain["verified_buyer"] is False


def test_a_second_review_with_the_token_edits_the_first(app: Flask, api: Any) -> None:
    token = token_of(invite(api)["invitation"])
    first = ok(api.post_review(product="sku-1", invite=token, rating=2, body="Meh"), 201)
    second = ok(api.post_review(product="sku-1", invite=token, rating=5, body="Grew on me"), 201)
    assert second["review"]["id"] == first["review"]["id"]
    summary = ok(api.client.get(api.public("/products/sku-1/reviews")))["summary"]
    assert summary["count"] == 1 and summary["histogram"]["5"] == 1
    assert summary["histogram"]["2"] == 0
    # Another product of the same order is a review of its own, and may say the same.
    ok(api.post_review(product="sku-2", invite=token, rating=5, body="Grew on me"), 201)
    assert count(app, Review) == 2
    with app.app_context():
        statuses = set(db.session.scalars(sa.select(Review.status)))
    assert statuses == {"published"}  # the same words for two products are no spam


def test_the_edit_goes_back_through_moderation(api: Any) -> None:
    ok(api.admin("PATCH", "/site", json={"moderation": "pre"}))
    token = token_of(invite(api)["invitation"])
    review = ok(api.post_review(product="sku-1", invite=token), 201)["review"]
    ok(api.admin("PATCH", f"/reviews/{review['id']}", json={"status": "published"}))
    again = ok(api.post_review(product="sku-1", invite=token, body="Changed my mind"), 201)
    assert again["status"] == "pending"
    assert ok(api.client.get(api.public("/products/sku-1/reviews")))["summary"]["count"] == 0


@pytest.mark.parametrize("case", ["unknown", "other-product", "other-site", "cancelled", "expired"])
def test_a_token_that_does_not_fit_is_a_422_on_invite(
    app: Flask, api: Any, make_site: Any, client: Any, case: str
) -> None:
    invitation = invite(api)["invitation"]
    token, product = token_of(invitation), "sku-1"
    if case == "unknown":
        token = "A" * 32
    elif case == "other-product":
        product = "sku-3"
    elif case == "cancelled":
        ok(api.admin("DELETE", f"/invitations/{invitation['id']}"))
    elif case == "expired":
        with app.app_context():
            row = db.session.get(Invitation, invitation["id"])
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            db.session.commit()
    if case == "other-site":
        other = make_site()
        body = {"rating": 5, "body": "Great", "author_name": "Ada", "invite": token}
        response = client.post(f"/api/v1/sites/{other.slug}/products/sku-1/reviews", json=body)
    else:
        response = api.post_review(product=product, invite=token)
    problem = assert_problem(response, 422)
    assert "invite" in problem["errors"]
    assert count(app, Review) == 0


# ---------------------------------------------------------------- store reviews


def test_store_reviews_have_their_own_list_and_summary(app: Flask, api: Any) -> None:
    body = {"rating": 4, "body": "Fast delivery", "author_name": "Ada"}
    created = ok(api.client.post(api.public("/store/reviews"), json=body), 201)
    assert created["review"]["product"] is None
    ok(api.post_review(product="sku-1", rating=1), 201)
    store = ok(api.client.get(api.public("/store/reviews")))
    assert store["summary"]["count"] == 1 and store["summary"]["average"] == 4.0
    assert [r["product"] for r in store["reviews"]] == [None]
    product = ok(api.client.get(api.public("/products/sku-1/reviews")))
    assert product["summary"]["count"] == 1
    only_store = ok(api.admin("GET", "/reviews", query_string={"subject": "store"}))
    assert [r["body"] for r in only_store["reviews"]] == ["Fast delivery"]
    only_products = ok(api.admin("GET", "/reviews", query_string={"subject": "product"}))
    assert [r["product"] for r in only_products["reviews"]] == ["sku-1"]
    assert_problem(api.admin("GET", "/reviews", query_string={"subject": "shop"}), 422)


def test_a_store_review_with_the_token_is_verified_and_edited_once(app: Flask, api: Any) -> None:
    token = token_of(invite(api)["invitation"])
    url = api.public("/store/reviews")
    body = {"rating": 3, "body": "Okay shop", "author_name": "Ada", "invite": token}
    first = ok(api.client.post(url, json=body), 201)["review"]
    second = ok(api.client.post(url, json={**body, "rating": 5}), 201)["review"]
    assert first["verified_buyer"] and second["id"] == first["id"]
    store = ok(api.client.get(url))
    assert store["summary"]["count"] == 1 and store["summary"]["average"] == 5.0
    no_store = token_of(invite(api, order_id="2", store_review=False)["invitation"])
    problem = assert_problem(api.client.post(url, json={**body, "invite": no_store}), 422)
    assert "invite" in problem["errors"]


def test_store_jsonld_is_an_organization_with_verified_reviews(api: Any) -> None:
    empty = api.client.get(api.public("/store/jsonld")).get_json(force=True)
    assert empty == {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "acme-shop",
        "url": "http://shop.test",
    }
    token = token_of(invite(api)["invitation"])
    body = {"rating": 4, "body": "Quick", "author_name": "Ada", "invite": token}
    ok(api.client.post(api.public("/store/reviews"), json=body), 201)
    ok(
        api.client.post(
            api.public("/store/reviews"), json={**body, "invite": None, "body": "Fine"}
        ),
        201,
    )
    response = api.client.get(api.public("/store/jsonld?name=Acme"))
    assert response.mimetype == "application/ld+json"
    ld = response.get_json(force=True)
    assert ld["@type"] == "Organization" and ld["name"] == "Acme"
    assert ld["aggregateRating"]["reviewCount"] == 2
    authors = [review["author"] for review in ld["review"]]
    assert {"@type": "Person", "name": "Ada"} in authors
    assert {"@type": "Person", "name": "Ada", "description": "Verified buyer"} in authors


def test_cached_store_reads_are_retired_by_a_store_review(
    app_factory: Any, make_site: Any, prefix: str
) -> None:
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    client = app.test_client()
    site = make_site()
    url = f"/api/v1/sites/{site.slug}/store/reviews"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    body = {"rating": 5, "body": "Lovely shop", "author_name": "Ada"}
    assert client.post(url, json=body).status_code == 201
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.get_json()["summary"]["count"] == 1


# ---------------------------------------------------------------- statistics


def test_stats_show_the_conversion(app: Flask, api: Any) -> None:
    stats = ok(api.admin("GET", "/stats"))
    assert stats["invitations"] == {"sent": 0, "reviewed": 0, "conversion": None}
    first = invite(api, order_id="1")["invitation"]
    invite(api, order_id="2")
    with app.app_context():
        for row in db.session.scalars(sa.select(Invitation)):
            row.status, row.sent_at = "sent", datetime.now(UTC)
        db.session.commit()
    ok(api.post_review(product="sku-1", invite=token_of(first)), 201)
    stats = ok(api.admin("GET", "/stats"))
    assert stats["invitations"] == {"sent": 2, "reviewed": 1, "conversion": 0.5}
