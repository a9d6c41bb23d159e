"""Hostile request bodies and text: each answers a clear problem, never a 500, and
nothing is stored (issue 13, "Input and output")."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from support import assert_problem

from plaudit_server.extensions import db
from plaudit_server.models import Review

REVIEW = {"rating": 5, "body": "Great product", "author_name": "Ada"}


def _reviews_stored(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Review))


def _post_raw(client: Any, path: str, data: bytes, content_type: str, **headers: str) -> Any:
    return client.post(path, data=data, content_type=content_type, headers=headers)


# ---------------------------------------------------------------- bodies


@pytest.mark.parametrize("digits", [5000, 60_000])
def test_a_number_of_thousands_of_digits_is_a_400(app: Any, api: Any, digits: int) -> None:
    body = json.dumps(REVIEW)[:-1] + ', "rating": ' + "9" * digits + "}"
    response = _post_raw(
        api.client, api.public("/products/sku-1/reviews"), body.encode(), "application/json"
    )
    assert "digits" in assert_problem(response, 400)["detail"]
    assert _reviews_stored(app) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_json_does_not_have_are_a_400(app: Any, api: Any, literal: str) -> None:
    body = '{"rating": ' + literal + ', "body": "Great", "author_name": "Ada"}'
    response = _post_raw(
        api.client, api.public("/products/sku-1/reviews"), body.encode(), "application/json"
    )
    assert_problem(response, 400)
    assert _reviews_stored(app) == 0


def test_a_utf16_body_is_refused_even_with_an_idempotency_key(app: Any, api: Any) -> None:
    # U+2200 is the bytes 00 22 in UTF-16-LE: a byte-level nesting count saw a quote
    # there and took the brackets after it for a string, then json.loads (which
    # guesses UTF-16 from bytes) recursed into them: a RecursionError, a 500.
    text = '{"body": "\u2200' + "[" * 10_000 + '"}'
    for content_type in ("application/json", "application/json; charset=utf-8"):
        response = _post_raw(
            api.client,
            api.public("/products/sku-1/reviews"),
            text.encode("utf-16-le"),
            content_type,
            **{"Idempotency-Key": "k-utf16"},
        )
        assert "UTF-8" in assert_problem(response, 400)["detail"]
    assert _reviews_stored(app) == 0


def test_a_declared_charset_other_than_utf8_is_a_415(app: Any, api: Any) -> None:
    response = _post_raw(
        api.client,
        api.public("/products/sku-1/reviews"),
        json.dumps(REVIEW).encode("utf-16"),
        "application/json; charset=utf-16",
    )
    assert_problem(response, 415)
    assert _reviews_stored(app) == 0


def test_deep_nesting_in_utf8_is_a_400_also_with_an_idempotency_key(api: Any) -> None:
    response = _post_raw(
        api.client,
        api.public("/products/sku-1/reviews"),
        b"[" * 50_000,
        "application/json",
        **{"Idempotency-Key": "k-deep"},
    )
    assert "nested" in assert_problem(response, 400)["detail"]


def test_a_utf8_bom_is_ignored_and_the_body_taken(app: Any, api: Any) -> None:
    response = _post_raw(
        api.client,
        api.public("/products/sku-1/reviews"),
        b"\xef\xbb\xbf" + json.dumps(REVIEW).encode(),
        "application/json",
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def test_an_idempotent_repeat_still_replays(api: Any) -> None:
    headers = {"Idempotency-Key": "k-replay"}
    first = api.post_review(headers=headers)
    again = api.post_review(headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["review"]["id"] == first.get_json()["review"]["id"]


# ---------------------------------------------------------------- invisible text

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d",  # zero-width space and joiners
    "\ufeff",  # BOM / zero-width no-break space
    "\u00ad\u00ad",  # soft hyphens
    "\u2060 \u2800 \u3164",  # word joiner, blank Braille, Hangul filler
]


@pytest.mark.parametrize("text", INVISIBLE)
@pytest.mark.parametrize("field", ["body", "author_name"])
def test_text_that_shows_nothing_counts_as_empty(app: Any, api: Any, field: str, text: str) -> None:
    problem = assert_problem(api.post_review(**{field: text}), 422)
    assert problem["errors"] == {field: ["Must not be empty."]}
    comment = api.client.post(
        api.public("/products/sku-1/comments"),
        json={"body": "Nice", "author_name": "Ada", field: text},
    )
    assert assert_problem(comment, 422)["errors"] == {field: ["Must not be empty."]}
    assert _reviews_stored(app) == 0


def test_an_invisible_title_is_no_title(api: Any) -> None:
    response = api.post_review(title="\u200b\u00ad")
    assert response.status_code == 201
    assert response.get_json()["review"]["title"] is None


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u2066", "\u200f", "\u061c", "\u200b"])
def test_names_refuse_format_characters(app: Any, api: Any, char: str) -> None:
    problem = assert_problem(api.post_review(author_name=f"Ada{char}gnirts"), 422)
    assert list(problem["errors"]) == ["author_name"]
    assert f"U+{ord(char):04X}" in problem["errors"]["author_name"][0]
    site = api.admin("PATCH", "/site", json={"name": f"Shop{char}"})
    assert list(assert_problem(site, 422)["errors"]) == ["name"]
    assert _reviews_stored(app) == 0


def test_names_keep_joiners_and_bodies_keep_direction_marks(api: Any) -> None:
    name = "\U0001f469\u200d\U0001f4bb Nima\u200cz"  # emoji ZWJ sequence, Persian ZWNJ
    body = "\u05e9\u05dc\u05d5\u05dd\u200f ok"  # Hebrew with a right-to-left mark
    response = api.post_review(author_name=name, body=body)
    assert response.status_code == 201
    review = response.get_json()["review"]
    assert (review["author_name"], review["body"]) == (name, body)


# ---------------------------------------------------------------- e-mail addresses


@pytest.mark.parametrize(
    "address", ["a?cc=attacker@evil.test@shop.test", "a&b@shop.test", "a%40b@shop.test"]
)
def test_email_addresses_refuse_link_characters(app: Any, api: Any, address: str) -> None:
    problem = assert_problem(api.post_review(author_email=address), 422)
    assert list(problem["errors"]) == ["author_email"]
    assert _reviews_stored(app) == 0


def test_a_plain_address_is_taken(api: Any) -> None:
    response = api.post_review(author_email="o'brien+shop@example.test")
    assert response.status_code == 201


# ---------------------------------------------------------------- problem shapes


def _assert_documented_errors(problem: dict[str, Any]) -> None:
    """``errors`` is ``{field: [str]}``, as the OpenAPI document says."""
    assert isinstance(problem["errors"], dict)
    for field, messages in problem["errors"].items():
        assert isinstance(field, str)
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)


def test_list_item_errors_are_named_by_dotted_path(api: Any) -> None:
    response = api.admin("POST", "/reviews/moderate", json={"ids": ["", "x" * 65], "status": "x"})
    problem = assert_problem(response, 422)
    _assert_documented_errors(problem)
    assert {"ids.0", "ids.1", "status"} <= set(problem["errors"])


def test_unknown_nested_fields_are_named_by_dotted_path(api: Any) -> None:
    response = api.admin(
        "PATCH",
        "/site",
        json={"rate_limits": {"votes_per_visitor": "nonsense", "typo": "1/minute"}},
    )
    problem = assert_problem(response, 422)
    _assert_documented_errors(problem)
    assert set(problem["errors"]) == {"rate_limits.votes_per_visitor", "rate_limits.typo"}


def test_list_of_origins_errors_are_flat(api: Any) -> None:
    response = api.admin("PATCH", "/site", json={"allowed_origins": ["https://ok.test", "ftp://x"]})
    problem = assert_problem(response, 422)
    _assert_documented_errors(problem)
    assert list(problem["errors"]) == ["allowed_origins.1"]


def test_the_served_document_says_how_errors_are_named(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    errors = spec["components"]["schemas"]["Problem"]["properties"]["errors"]
    assert errors["additionalProperties"]["type"] == "array"
    assert "dotted path" in errors["description"]


# ---------------------------------------------------------------- CORS origins

V6 = "http://[2001:db8::1]"


@pytest.mark.parametrize("allowed", [V6, f"{V6}:8080", "https://shop.example"])
def test_cors_names_exactly_the_allowed_origin(make_site: Any, client: Any, allowed: str) -> None:
    """An IPv6 origin's brackets once made flask-cors read it as a regular expression:
    the real origin got no header and ``http://2.evil.example`` got one."""
    site = make_site(origins=[allowed])
    path = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    granted = client.get(path, headers={"Origin": allowed.upper().replace("HTTP", "http")})
    assert granted.headers["Access-Control-Allow-Origin"].lower() == allowed.lower()
    for other in (
        "http://2.evil.example",
        "http://d.evil.example",
        allowed + ".evil.example",
        allowed + "0",
        "http://[2001:db8::2]",
    ):
        for response in (
            client.get(path, headers={"Origin": other}),
            client.options(
                path, headers={"Origin": other, "Access-Control-Request-Method": "POST"}
            ),
        ):
            assert "Access-Control-Allow-Origin" not in response.headers, other
    preflight = client.options(
        path, headers={"Origin": allowed, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == allowed


# ---------------------------------------------------------------- output


def test_jsonld_escapes_what_would_end_a_script_element(api: Any) -> None:
    text = '</script><script>alert(1)</script> & <!-- "quoted" -->'
    assert api.post_review(body=text, title="<b>A & B</b>").status_code == 201
    response = api.client.get(api.public("/products/sku-1/jsonld"))
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert "\\u003c/script\\u003e" in raw
    document = json.loads(raw)  # still JSON, and the same text once parsed
    assert document["review"][0]["reviewBody"] == text
    assert document["review"][0]["name"] == "<b>A & B</b>"
    # The review list is escaped the same way, and parses to the same text.
    listed = api.client.get(api.public("/products/sku-1/reviews"))
    assert "<" not in listed.get_data(as_text=True)
    assert listed.get_json()["reviews"][0]["body"] == text


def test_problem_details_are_script_safe_too(api: Any) -> None:
    response = api.client.get(api.public("/summaries?products=<script>"))
    problem = assert_problem(response, 422)
    assert "<script>" in problem["errors"]["products"][0]  # echoed, once parsed ...
    assert "<script>" not in response.get_data(as_text=True)  # ... but never as markup


@pytest.mark.parametrize(
    ("path", "frames"),
    [
        ("/api/v1/sites/acme-shop/products/sku-1/reviews", False),
        ("/api/v1/sites/acme-shop/summaries?products=sku-1", False),
        ("/api/v1/sites/no-such-site/products/sku-1/reviews", False),
        ("/api/v1/admin/reviews", False),
        ("/api/v1/openapi.json", False),
        ("/healthz", False),
        ("/readyz", False),
        ("/widget.js", None),
        ("/demo", None),
        ("/demo/products/no-such-product", None),
        ("/admin/login", False),
        ("/nowhere", None),
    ],
)
def test_every_response_carries_security_headers(
    client: Any, site: Any, path: str, frames: bool | None
) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    if frames is False:
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_post_and_its_problem_carry_them(api: Any) -> None:
    for response in (api.post_review(), api.post_review(rating=9)):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_pages_keep_their_own_stricter_policies(client: Any) -> None:
    admin = client.get("/admin/login")
    assert "script-src 'self'" in admin.headers["Content-Security-Policy"]
    assert admin.headers["Referrer-Policy"] == "same-origin"
    assert len(admin.headers.getlist("Content-Security-Policy")) == 1
    widget = client.get("/widget.js")
    assert widget.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Content-Security-Policy" not in widget.headers  # a script, not a document
    demo = client.get("/demo")
    assert "script-src 'self'" in demo.headers["Content-Security-Policy"]


def test_cache_hits_answered_before_flask_carry_them_too(
    app_factory: Any, make_site: Any, prefix: str
) -> None:
    """Hits are answered by fastpath.py, outside Flask's hooks: the headers come from a
    WSGI middleware around everything."""
    from conftest import SHARED_REDIS

    client = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix).test_client()
    site = make_site()
    path = f"/api/v1/sites/{site.slug}/products/sku-1/reviews"
    assert client.get(path).headers["X-Cache"] == "miss"
    hit = client.get(path)
    assert hit.headers["X-Cache"] == "hit"
    assert hit.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in hit.headers["Content-Security-Policy"]
