"""The secret-key admin API: authentication, tenancy, idempotency and error shapes.

Every test runs on SQLite and PostgreSQL over the Flask test client. Reviews and
comments are created the way production creates them (the widget's public POSTs), and
the database is read directly only to check what the API cannot show (rows gone,
counters against a fresh ``COUNT``) or to set what a test must control (a revoked key).
Lists, moderation and summaries are in ``test_admin_reviews.py``; comments, the site
and statistics in ``test_admin_comments_site.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from support import assert_problem

from plaudit_server.extensions import db
from plaudit_server.models import ApiKey, Comment, Site
from plaudit_server.services import sites as site_service
from plaudit_server.timeutil import utcnow

ADMIN = "/api/v1/admin"
UNKNOWN_REVIEW = "rev_" + "0" * 26
UNKNOWN_COMMENT = "cmt_" + "0" * 26


# ---------------------------------------------------------------- helpers


def call(client: Any, key: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    return client.open(ADMIN + path, method=method, headers=headers, **kwargs)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def post_review(
    client: Any, slug: str, product: str = "sku-1", rating: int = 5, **fields: Any
) -> dict[str, Any]:
    body = {"rating": rating, "body": f"Review {uuid.uuid4().hex}", "author_name": "Ada"}
    response = client.post(
        f"/api/v1/sites/{slug}/products/{product}/reviews", json={**body, **fields}
    )
    return ok(response, 201)["review"]


def post_comment(client: Any, slug: str, product: str = "sku-1", **fields: Any) -> dict[str, Any]:
    body = {"body": f"Comment {uuid.uuid4().hex}", "author_name": "Bo", **fields}
    response = client.post(f"/api/v1/sites/{slug}/products/{product}/comments", json=body)
    return ok(response, 201)["comment"]


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    """The app's session, committed (and the SQLite write lock freed) on exit."""
    with app.app_context():
        yield db.session
        db.session.commit()


def without_request_id(body: dict[str, Any], object_id: str) -> dict[str, Any]:
    """A problem body with the per-request parts and the asked-for id masked."""
    return {
        k: v.replace(object_id, "<id>") if isinstance(v, str) else v
        for k, v in body.items()
        if k != "request_id"
    }


# ---------------------------------------------------------------- authentication

AUTH_PROBES = [
    ("GET", "/reviews", None),
    ("GET", f"/reviews/{UNKNOWN_REVIEW}", None),
    ("PATCH", "/site", {"name": "Hijacked"}),
    ("POST", "/reviews/moderate", {"ids": [UNKNOWN_REVIEW], "status": "spam"}),
    ("GET", "/stats", None),
]


def assert_unauthorized(response: Any) -> None:
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert "sk_live_" not in body["detail"].replace("sk_live_...", "")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic {key}",
        "Token {key}",
        "{key}",
        "Bearer sk_live_" + "A" * 43,
        "Bearer sk_test_" + "A" * 43,
        "Bearer {key}x",
        "Bearer " + "sk_live_" + "x" * 5000,
    ],
    ids=[
        "missing",
        "empty",
        "scheme-only",
        "scheme-and-space",
        "basic",
        "token-scheme",
        "no-scheme",
        "unknown-key",
        "other-prefix",
        "key-plus-a-char",
        "huge",
    ],
)
def test_bad_credentials_are_401(api: Any, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header.format(key=api.site.api_key)}
    for method, path, json in AUTH_PROBES:
        response = api.client.open(ADMIN + path, method=method, headers=headers, json=json)
        assert_unauthorized(response)
    # Nothing was changed by the refused request.
    assert ok(api.admin("GET", "/site"))["name"] == "acme-shop"


def test_key_in_query_string_is_refused(api: Any) -> None:
    for param in ("api_key", "key", "access_token", "secret", "token", "authorization"):
        response = api.client.get(ADMIN + "/reviews", query_string={param: api.site.api_key})
        assert_unauthorized(response)
        response = api.client.get(
            ADMIN + "/reviews", query_string={param: f"Bearer {api.site.api_key}"}
        )
        assert_unauthorized(response)


def test_scheme_is_case_insensitive(api: Any) -> None:
    response = api.client.get(
        ADMIN + "/site", headers={"Authorization": f"bearer {api.site.api_key}"}
    )
    assert ok(response)["id"] == "acme-shop"


def revoke(app: Flask, secret: str) -> None:
    with database(app) as session:
        key = session.scalar(
            sa.select(ApiKey).where(ApiKey.key_hash == site_service.hash_key(secret))
        )
        assert key is not None
        key.revoked_at = utcnow()


def test_revoked_key_is_401(app: Flask, api: Any) -> None:
    assert ok(api.admin("GET", "/site"))["id"] == "acme-shop"
    revoke(app, api.site.api_key)
    for method, path, json in AUTH_PROBES:
        assert_unauthorized(api.admin(method, path, json=json))


def test_key_rotation_two_keys_work_then_old_one_revoked(app: Flask, api: Any) -> None:
    with database(app) as session:
        site = session.scalar(sa.select(Site).where(Site.slug == api.site.slug))
        assert site is not None
        _, new_secret = site_service.create_api_key(session, site, name="rotated")
    assert new_secret.startswith("sk_live_") and new_secret != api.site.api_key
    old_secret = api.site.api_key
    for secret in (old_secret, new_secret):
        assert ok(call(api.client, secret, "GET", "/site"))["id"] == "acme-shop"
    # A change made with one key is seen with the other: same site.
    ok(call(api.client, new_secret, "PATCH", "/site", json={"name": "Acme"}))
    assert ok(call(api.client, old_secret, "GET", "/site"))["name"] == "Acme"
    revoke(app, old_secret)
    assert_unauthorized(call(api.client, old_secret, "GET", "/site"))
    assert ok(call(api.client, new_secret, "GET", "/site"))["name"] == "Acme"


def test_admin_answers_are_not_cached_and_carry_no_cors(api: Any) -> None:
    response = api.admin("GET", "/reviews", headers={"Origin": "http://shop.test"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = api.client.options(
        ADMIN + "/reviews",
        headers={"Origin": "http://shop.test", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


# ---------------------------------------------------------------- tenancy


@dataclass
class Tenants:
    """Site A (the ``api`` fixture's key) and site B with a review and a comment."""

    client: Any
    a_key: str
    b_key: str
    b_slug: str
    b_review: str
    b_pending_review: str
    b_comment: str

    def b_snapshot(self) -> dict[str, Any]:
        """Everything of B's that A's requests could conceivably change."""
        get = lambda path: ok(call(self.client, self.b_key, "GET", path))  # noqa: E731
        public = self.client.get(f"/api/v1/sites/{self.b_slug}/products/sku-1/reviews")
        return {
            "review": get(f"/reviews/{self.b_review}"),
            "pending": get(f"/reviews/{self.b_pending_review}"),
            "comment": get(f"/comments/{self.b_comment}"),
            "reviews": get("/reviews"),
            "comments": get("/comments"),
            "site": get("/site"),
            "public": ok(public),
        }


@pytest.fixture
def tenants(api: Any, make_site: Callable[..., Any]) -> Tenants:
    other = make_site(slug="other-shop")
    client = api.client
    # A has the same product id, so only the tenant check can stop a cross-site write.
    post_review(client, api.site.slug, rating=4)
    b_review = post_review(client, other.slug, rating=2)["id"]
    b_pending = post_review(client, other.slug, rating=1)["id"]
    ok(call(client, other.api_key, "PATCH", f"/reviews/{b_pending}", json={"status": "pending"}))
    b_comment = post_comment(client, other.slug, review_id=b_review)["id"]
    return Tenants(
        client, api.site.api_key, other.api_key, other.slug, b_review, b_pending, b_comment
    )


# (method, path, json) with {review} / {comment} standing for the object asked for.
BY_ID = [
    ("GET", "/reviews/{review}", None),
    ("PATCH", "/reviews/{review}", {"status": "rejected"}),
    ("PATCH", "/reviews/{review}", {"status": "published"}),
    ("PATCH", "/reviews/{review}", {"reply": "Thanks!"}),
    ("PATCH", "/reviews/{review}", {"reply": None}),
    ("DELETE", "/reviews/{review}", None),
    ("GET", "/comments/{comment}", None),
    ("PATCH", "/comments/{comment}", {"status": "spam"}),
    ("DELETE", "/comments/{comment}", None),
]


CROSS_SITE = [
    (method, template, json, target)
    for method, template, json in BY_ID
    for target in (["b_comment"] if "{comment}" in template else ["b_review", "b_pending_review"])
]


@pytest.mark.parametrize(("method", "template", "json", "target"), CROSS_SITE)
def test_other_sites_id_answers_like_an_unknown_id(
    tenants: Tenants, method: str, template: str, json: Any, target: str
) -> None:
    kind = "comment" if "{comment}" in template else "review"
    foreign = getattr(tenants, target)
    unknown = UNKNOWN_COMMENT if kind == "comment" else UNKNOWN_REVIEW
    before = tenants.b_snapshot()

    answers = {}
    for object_id in (foreign, unknown):
        path = template.format(**{kind: object_id})
        response = call(tenants.client, tenants.a_key, method, path, json=json)
        body = assert_problem(response, 404)
        assert object_id not in response.headers.get("Location", "")
        answers[object_id] = (without_request_id(body, object_id), response.headers["Content-Type"])
    assert answers[foreign] == answers[unknown]
    assert tenants.b_snapshot() == before


@pytest.mark.parametrize("kind", ["reviews", "comments"])
def test_bulk_moderation_ignores_other_sites_ids(tenants: Tenants, kind: str) -> None:
    before = tenants.b_snapshot()
    ids = [tenants.b_review, tenants.b_pending_review] if kind == "reviews" else [tenants.b_comment]
    unknown = UNKNOWN_REVIEW if kind == "reviews" else UNKNOWN_COMMENT
    for status in ("published", "rejected", "spam", "pending"):
        for given in (ids, [unknown]):
            body = {"ids": given, "status": status}
            response = call(tenants.client, tenants.a_key, "POST", f"/{kind}/moderate", json=body)
            assert ok(response) == {"updated": 0}
    assert tenants.b_snapshot() == before


@pytest.mark.parametrize(
    ("field", "attr", "unknown"),
    [
        ("review_id", "b_review", UNKNOWN_REVIEW),
        ("review_id", "b_pending_review", UNKNOWN_REVIEW),
        ("parent_id", "b_comment", UNKNOWN_COMMENT),
    ],
)
def test_owner_reply_to_another_sites_object_is_like_an_unknown_one(
    tenants: Tenants, field: str, attr: str, unknown: str
) -> None:
    before = tenants.b_snapshot()
    foreign = getattr(tenants, attr)
    answers = []
    for object_id in (foreign, unknown):
        response = call(
            tenants.client,
            tenants.a_key,
            "POST",
            "/comments",
            json={"product": "sku-1", "body": "From the shop", field: object_id},
        )
        answers.append(without_request_id(assert_problem(response, 422), object_id))
        assert list(answers[-1]["errors"]) == [field]
    assert answers[0] == answers[1]
    assert tenants.b_snapshot() == before
    comments = ok(call(tenants.client, tenants.a_key, "GET", "/comments"))["comments"]
    assert comments == []


def test_lists_and_stats_show_only_the_keys_site(tenants: Tenants) -> None:
    get = lambda path, **q: ok(call(tenants.client, tenants.a_key, "GET", path, query_string=q))  # noqa: E731
    b_ids = {tenants.b_review, tenants.b_pending_review, tenants.b_comment}
    reviews = get("/reviews", status="all", product="sku-1")["reviews"]
    assert len(reviews) == 1 and reviews[0]["rating"] == 4
    assert not b_ids & {r["id"] for r in get("/reviews", limit="100")["reviews"]}
    assert get("/comments", review=tenants.b_review)["comments"] == []
    assert get("/comments")["comments"] == []
    assert get("/site")["id"] == "acme-shop"
    stats = get("/stats")
    assert stats["reviews"]["total"] == 1 and stats["comments"]["total"] == 0
    assert stats["average"] == 4.0


# ---------------------------------------------------------------- idempotency


def comment_rows(app: Flask) -> int:
    with database(app) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Comment)) or 0


@pytest.fixture
def review_id(api: Any) -> str:
    return post_review(api.client, api.site.slug, rating=3)["id"]


IDEMPOTENT_WRITES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("PATCH", "/reviews/{review}", {"reply": "Thanks"}, {"reply": "Thanks a lot"}),
    ("PATCH", "/reviews/{review}", {"status": "rejected"}, {"status": "spam"}),
    (
        "POST",
        "/reviews/moderate",
        {"ids": ["{review}"], "status": "pending"},
        {"ids": ["{review}"], "status": "spam"},
    ),
    (
        "POST",
        "/comments",
        {"product": "sku-1", "body": "From the shop"},
        {"product": "sku-1", "body": "From the shop!"},
    ),
    ("PATCH", "/comments/{comment}", {"status": "rejected"}, {"status": "spam"}),
    (
        "POST",
        "/comments/moderate",
        {"ids": ["{comment}"], "status": "spam"},
        {"ids": ["{comment}"], "status": "pending"},
    ),
    ("PATCH", "/site", {"name": "Acme"}, {"name": "Acme Inc"}),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "template", "first", "second"), IDEMPOTENT_WRITES)
def test_idempotency_key_replays_and_refuses_another_body(
    app: Flask, api: Any, method: str, template: str, first: Any, second: Any
) -> None:
    review = post_review(api.client, api.site.slug)["id"]
    comment = post_comment(api.client, api.site.slug)["id"]
    ids = {"review": review, "comment": comment}
    path, first, second = _fill(template, ids), _fill(first, ids), _fill(second, ids)
    key = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}

    original = api.admin(method, path, json=first, headers=key)
    assert original.status_code in {200, 201}, original.get_data(as_text=True)
    assert "Idempotent-Replayed" not in original.headers
    comments_after_first = comment_rows(app)

    replay = api.admin(method, path, json=first, headers=key)
    assert replay.status_code == original.status_code
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == original.get_json()
    assert comment_rows(app) == comments_after_first  # nothing new was created

    other = api.admin(method, path, json=second, headers=key)
    body = assert_problem(other, 422)
    assert "Idempotency-Key" in body["errors"]
    assert comment_rows(app) == comments_after_first

    # Without the key (or with a new one) the second body is applied normally.
    fresh = api.admin(method, path, json=second, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert fresh.status_code == original.status_code
    assert "Idempotent-Replayed" not in fresh.headers


def test_idempotency_replay_survives_a_later_change(api: Any, review_id: str) -> None:
    """The replay is the first response, not the object's current state."""
    key = {"Idempotency-Key": "reply-once"}
    first = ok(api.admin("PATCH", f"/reviews/{review_id}", json={"reply": "A"}, headers=key))
    ok(api.admin("PATCH", f"/reviews/{review_id}", json={"reply": "B"}))
    replay = api.admin("PATCH", f"/reviews/{review_id}", json={"reply": "A"}, headers=key)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == first
    assert ok(api.admin("GET", f"/reviews/{review_id}"))["reply"]["body"] == "B"


def test_idempotency_keys_are_per_site(
    api: Any, make_site: Callable[..., Any], review_id: str
) -> None:
    other = make_site(slug="other-shop")
    key = {"Idempotency-Key": "shared-key"}
    ok(api.admin("PATCH", "/site", json={"name": "Acme"}, headers=key))
    response = call(api.client, other.api_key, "PATCH", "/site", json={"name": "Acme"}, headers=key)
    assert ok(response)["id"] == "other-shop"
    assert "Idempotent-Replayed" not in response.headers


def test_idempotency_key_does_not_replay_a_validation_error_as_success(
    api: Any, review_id: str
) -> None:
    key = {"Idempotency-Key": "bad-then-good"}
    bad = api.admin("PATCH", f"/reviews/{review_id}", json={"status": "gone"}, headers=key)
    assert_problem(bad, 422)
    again = api.admin("PATCH", f"/reviews/{review_id}", json={"status": "gone"}, headers=key)
    assert_problem(again, 422)
    assert ok(api.admin("GET", f"/reviews/{review_id}"))["status"] == "published"


def test_invalid_idempotency_key_is_422(api: Any, review_id: str) -> None:
    response = api.admin(
        "PATCH",
        f"/reviews/{review_id}",
        json={"reply": "x"},
        headers={"Idempotency-Key": "x" * 256},
    )
    assert "Idempotency-Key" in assert_problem(response, 422)["errors"]
    assert ok(api.admin("GET", f"/reviews/{review_id}"))["reply"] is None


# ---------------------------------------------------------------- error shapes


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/reviews/{review}", {"GET", "PATCH", "DELETE"}),
        ("POST", "/reviews/{review}", {"GET", "PATCH", "DELETE"}),
        ("DELETE", "/reviews", {"GET"}),
        ("PUT", "/comments", {"GET", "POST"}),
        ("POST", "/comments/{comment}", {"GET", "PATCH", "DELETE"}),
        ("POST", "/site", {"GET", "PATCH"}),
        ("DELETE", "/site", {"GET", "PATCH"}),
        ("POST", "/stats", {"GET"}),
    ],
)
def test_wrong_method_is_405_problem_with_allow(
    api: Any, review_id: str, method: str, path: str, allowed: set[str]
) -> None:
    path = path.format(review=review_id, comment=UNKNOWN_COMMENT)
    for headers in ({"Authorization": f"Bearer {api.site.api_key}"}, {}):
        response = api.client.open(ADMIN + path, method=method, headers=headers, json={})
        assert_problem(response, 405)
        allow = {m.strip() for m in response.headers["Allow"].split(",")}
        assert allowed <= allow
        assert method not in allow
    # The refused method changed nothing.
    assert ok(api.admin("GET", f"/reviews/{review_id}"))["status"] == "published"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/admin/nothing", "/api/v1/admin/reviews/a/b", "/api/v2/admin/reviews", "/api/x"],
)
def test_unknown_api_path_is_404_problem(api: Any, path: str) -> None:
    response = api.client.get(path, headers={"Authorization": f"Bearer {api.site.api_key}"})
    assert_problem(response, 404)


BODY_WRITES = [
    ("PATCH", "/reviews/{review}"),
    ("POST", "/reviews/moderate"),
    ("POST", "/comments"),
    ("PATCH", "/comments/{comment}"),
    ("POST", "/comments/moderate"),
    ("PATCH", "/site"),
]


@pytest.mark.parametrize("raw", ["{", '{"status": "spam",}', "nul", '{"ids": [1, 2}', "\xff"])
def test_malformed_json_is_400(api: Any, review_id: str, raw: str) -> None:
    for method, path in BODY_WRITES:
        response = api.admin(
            method,
            path.format(review=review_id, comment=UNKNOWN_COMMENT),
            data=raw.encode("latin-1"),
            content_type="application/json",
        )
        assert_problem(response, 400)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None],
)
def test_wrong_content_type_is_415(api: Any, review_id: str, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    for method, path in BODY_WRITES:
        response = api.admin(
            method,
            path.format(review=review_id, comment=UNKNOWN_COMMENT),
            data='{"status": "spam", "ids": ["x"]}',
            headers=headers,
        )
        assert_problem(response, 415)
    assert ok(api.admin("GET", f"/reviews/{review_id}"))["status"] == "published"


@pytest.mark.parametrize("raw", ["[]", '"spam"', "42", "null"])
def test_json_that_is_not_an_object_is_422(api: Any, review_id: str, raw: str) -> None:
    response = api.admin(
        "PATCH", f"/reviews/{review_id}", data=raw, content_type="application/json"
    )
    assert_problem(response, 422)


def test_unknown_review_and_comment_are_404(api: Any) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        json = {"status": "spam"} if method == "PATCH" else None
        for path in (f"/reviews/{UNKNOWN_REVIEW}", f"/comments/{UNKNOWN_COMMENT}", "/reviews/x"):
            assert_problem(api.admin(method, path, json=json), 404)
