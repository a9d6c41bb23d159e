"""Submitting reviews: the 201 answer, moderation, input validation and spam checks.

Validation is a matrix of what the contract and issue 2 forbid (strict integers, length
limits counted after NFC, control characters, lone surrogates, unknown fields), each of
which must be a 422 problem keyed by field, never a 500. Spam checks must answer like
any pending submission while the owner sees why it was flagged.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from support import assert_problem

REVIEWS = "/products/sku-1/reviews"
PUBLIC_REVIEW_KEYS = {
    "id",
    "product",
    "rating",
    "title",
    "body",
    "author_name",
    "verified_buyer",
    "incentivized",
    "helpful_count",
    "unhelpful_count",
    "comment_count",
    "created_at",
    "reply",
}


def valid_review(**fields: Any) -> dict[str, Any]:
    return {"rating": 5, "body": f"Great {uuid.uuid4().hex}", "author_name": "Ada", **fields}


def admin_review(api: Any, review_id: str) -> dict[str, Any]:
    response = api.admin("GET", f"/reviews/{review_id}")
    assert response.status_code == 200
    return response.get_json()


def stored_count(api: Any) -> int:
    response = api.admin("GET", "/reviews", query_string={"limit": "100"})
    assert response.status_code == 200
    return len(response.get_json()["reviews"])


# ---------------------------------------------------------------- the 201 answer


def test_created_review_shape(api: Any) -> None:
    response = api.post_review(rating=4, title="Nice", body="Good value", author_name="Ada")
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert set(data) == {"review", "status", "manage_url"}
    assert data["status"] == "published"
    review = data["review"]
    assert set(review) == PUBLIC_REVIEW_KEYS
    assert review["product"] == "sku-1"
    assert (review["rating"], review["title"], review["body"]) == (4, "Nice", "Good value")
    assert review["author_name"] == "Ada"
    assert review["reply"] is None
    assert review["created_at"].endswith("Z")
    assert isinstance(review["id"], str) and not review["id"].isdigit()
    other = api.post_review(body="Another one").get_json()["review"]["id"]
    assert other != review["id"]


def test_title_is_optional_and_blank_title_is_none(api: Any) -> None:
    without = api.post_review(body="No title here").get_json()["review"]
    assert without["title"] is None
    blank = api.post_review(body="Blank title here", title="   ").get_json()["review"]
    assert blank["title"] is None
    explicit_null = api.post_review(body="Null title here", title=None)
    assert explicit_null.status_code == 201
    assert explicit_null.get_json()["review"]["title"] is None


def test_moderation_policy_decides_published_or_pending(api: Any) -> None:
    assert api.post_review(body="first").get_json()["status"] == "published"

    response = api.admin("PATCH", "/site", json={"moderation": "pre"})
    assert response.status_code == 200
    assert response.get_json()["moderation"] == "pre"
    held = api.post_review(body="second")
    assert held.status_code == 201
    assert held.get_json()["status"] == "pending"
    assert admin_review(api, held.get_json()["review"]["id"])["status"] == "pending"

    api.admin("PATCH", "/site", json={"moderation": "post"})
    assert api.post_review(body="third").get_json()["status"] == "published"
    listed = api.client.get(api.public(REVIEWS)).get_json()
    assert [r["body"] for r in listed["reviews"]] == ["third", "first"]


def test_site_created_with_pre_moderation(make_site: Any, client: Any) -> None:
    site = make_site(moderation="pre")
    response = client.post(f"/api/v1/sites/{site.slug}/products/sku-1/reviews", json=valid_review())
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"


# ---------------------------------------------------------------- validation matrix

MISSING = object()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rating", 0),
        ("rating", 6),
        ("rating", -1),
        ("rating", "5"),
        ("rating", 4.7),
        ("rating", 5.0),
        ("rating", True),
        ("rating", None),
        ("rating", [5]),
        ("rating", MISSING),
        ("body", ""),
        ("body", "   \n\t "),
        ("body", "x" * 5001),
        ("body", None),
        ("body", 5),
        ("body", MISSING),
        ("author_name", ""),
        ("author_name", "n" * 81),
        ("author_name", MISSING),
        ("title", "t" * 121),
        ("title", 7),
        ("author_email", "not-an-email"),
        ("hp", 1),
        ("unknown", "field"),
        ("status", "published"),
        ("verified_buyer", True),
        ("body", "nul \x00 byte"),
        ("body", "bell \x07"),
        ("body", "escape \x1b[31m"),
        ("body", "delete \x7f"),
        ("body", "c1 \x85 control"),
        ("body", "vertical \x0b tab"),
        ("body", "form \x0c feed"),
        ("author_name", "A\x00"),
        ("title", "\x1f"),
        ("body", "non-character \uffff"),
    ],
)
def test_invalid_review_is_422_keyed_by_field(api: Any, field: str, value: Any) -> None:
    body = valid_review()
    if value is MISSING:
        del body[field]
    else:
        body[field] = value
    response = api.client.post(api.public(REVIEWS), json=body)
    problem = assert_problem(response, 422)
    assert set(problem["errors"]) == {field}
    assert all(isinstance(m, str) for m in problem["errors"][field])
    assert stored_count(api) == 0


def test_rating_out_of_range_says_so(api: Any) -> None:
    problem = assert_problem(api.post_review(rating=6), 422)
    assert problem["errors"] == {"rating": ["Must be between 1 and 5."]}


@pytest.mark.parametrize("field", ["body", "author_name", "title"])
def test_lone_surrogate_in_raw_json_is_422(api: Any, field: str) -> None:
    body = valid_review(**{field: "@@"})
    raw = json.dumps(body).replace('"@@"', '"bad \\ud800 here"')
    assert json.loads(raw)[field] == "bad \ud800 here"
    response = api.client.post(api.public(REVIEWS), data=raw, content_type="application/json")
    assert set(assert_problem(response, 422)["errors"]) == {field}
    assert stored_count(api) == 0


def test_escaped_surrogate_pair_is_a_valid_character(api: Any) -> None:
    raw = '{"rating": 5, "body": "smile \\ud83d\\ude00", "author_name": "Ada"}'
    response = api.client.post(api.public(REVIEWS), data=raw, content_type="application/json")
    assert response.status_code == 201
    assert response.get_json()["review"]["body"] == "smile \U0001f600"


def test_several_invalid_fields_are_all_reported(api: Any) -> None:
    response = api.client.post(
        api.public(REVIEWS), json={"rating": "5", "body": "", "title": "t" * 121}
    )
    errors = assert_problem(response, 422)["errors"]
    assert set(errors) == {"rating", "body", "title", "author_name"}


def test_tab_and_newline_are_kept(api: Any) -> None:
    text = "Line one\nLine two\n\n\tindented\tcolumns"
    review = api.post_review(body=text).get_json()["review"]
    assert review["body"] == text
    assert admin_review(api, review["id"])["body"] == text


def test_text_is_trimmed_and_nfc_normalised_then_stored_exactly(api: Any) -> None:
    decomposed = "Cafe\u0301 cre\u0300me"
    response = api.post_review(
        title="  Cafe\u0301  ",
        body=f"\n  {decomposed}  inside  spaces kept \n",
        author_name="\tZoe\u0308 ",
    )
    assert response.status_code == 201
    review = response.get_json()["review"]
    assert review["title"] == "Caf\u00e9"
    assert review["body"] == "Caf\u00e9 cr\u00e8me  inside  spaces kept"
    assert review["author_name"] == "Zo\u00eb"
    stored = admin_review(api, review["id"])
    assert (stored["title"], stored["body"], stored["author_name"]) == (
        review["title"],
        review["body"],
        review["author_name"],
    )
    listed = api.client.get(api.public(REVIEWS)).get_json()["reviews"][0]
    assert listed["body"] == review["body"]


def test_html_is_stored_as_plain_text(api: Any) -> None:
    text = '<script>alert("x")</script> & <b>bold</b> &amp;'
    review = api.post_review(body=text, author_name="<img src=x onerror=alert(1)>")
    assert review.status_code == 201
    listed = api.client.get(api.public(REVIEWS)).get_json()["reviews"][0]
    assert listed["body"] == text
    assert listed["author_name"] == "<img src=x onerror=alert(1)>"


def test_length_limits_are_inclusive_and_counted_after_normalisation(api: Any) -> None:
    at_limit = api.post_review(title="t" * 120, body="b" * 5000, author_name="n" * 80).get_json()[
        "review"
    ]
    assert (len(at_limit["title"]), len(at_limit["body"]), len(at_limit["author_name"])) == (
        120,
        5000,
        80,
    )
    # 10,000 code points before NFC, 5,000 after: what is stored is what is measured.
    composed = api.post_review(body="e\u0301" * 5000)
    assert composed.status_code == 201
    assert composed.get_json()["review"]["body"] == "\u00e9" * 5000
    # Surrounding whitespace is trimmed before the length is checked.
    padded = api.post_review(body="  " + "p" * 5000 + "  ")
    assert padded.status_code == 201


# ---------------------------------------------------------------- product ids


@pytest.mark.parametrize(
    "product", ["SKU-123", "a", "A.b_c:d-e", "x" * 128, "0", "page:42", "v1.2", "-_-"]
)
def test_valid_product_ids_are_accepted(api: Any, product: str) -> None:
    response = api.post_review(product=product, body=f"for {product}")
    assert response.status_code == 201
    assert response.get_json()["review"]["product"] == product
    listed = api.client.get(api.public(f"/products/{product}/reviews")).get_json()
    assert listed["summary"]["count"] == 1


@pytest.mark.parametrize(
    "product", ["x" * 129, "a%20b", "caf%C3%A9", "a+b", "a%00b", "a;b", "%2E%2E%2A"]
)
def test_invalid_product_ids_are_422(api: Any, product: str) -> None:
    for method in ("GET", "POST"):
        response = api.client.open(
            api.public(f"/products/{product}/reviews"), method=method, json=valid_review()
        )
        assert "product" in assert_problem(response, 422)["errors"]
    assert stored_count(api) == 0


@pytest.mark.parametrize("product", ["a/b", "a%2Fb"])
def test_product_id_with_a_slash_is_a_404_problem(api: Any, product: str) -> None:
    response = api.client.post(api.public(f"/products/{product}/reviews"), json=valid_review())
    assert_problem(response, 404)


# ---------------------------------------------------------------- malformed requests


@pytest.mark.parametrize("raw", ["{bad", '{"rating": 5,}', "\xff\xfe", '{"rating": 5', "nul"])
def test_malformed_json_is_400(api: Any, raw: str) -> None:
    response = api.client.post(
        api.public(REVIEWS), data=raw.encode("latin-1"), content_type="application/json"
    )
    assert_problem(response, 400)


@pytest.mark.parametrize("idempotency_key", [None, "deep-1"])
@pytest.mark.parametrize("raw", ["[" * 20000 + "]" * 20000, '{"a":' * 10000 + "1" + "}" * 10000])
def test_deeply_nested_json_is_400_not_500(api: Any, raw: str, idempotency_key: str | None) -> None:
    """json.loads recurses per level: 40 KB of brackets must not become a RecursionError."""
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    response = api.client.post(
        api.public(REVIEWS), data=raw, content_type="application/json", headers=headers
    )
    assert_problem(response, 400)


@pytest.mark.parametrize("raw", ["[]", '"text"', "5", "null", "[{}]"])
def test_json_that_is_not_an_object_is_422(api: Any, raw: str) -> None:
    response = api.client.post(api.public(REVIEWS), data=raw, content_type="application/json")
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "text/json",
        None,
    ],
)
def test_non_json_content_type_is_415(api: Any, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.client.post(
        api.public(REVIEWS), data=json.dumps(valid_review()), headers=headers
    )
    assert_problem(response, 415)
    assert stored_count(api) == 0


def test_json_with_charset_is_accepted(api: Any) -> None:
    response = api.client.post(
        api.public(REVIEWS),
        data=json.dumps(valid_review()),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 201


def test_body_over_64_kib_is_413(api: Any) -> None:
    response = api.post_review(body="x" * (64 * 1024))
    assert_problem(response, 413)
    assert stored_count(api) == 0


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", REVIEWS, 405),
        ("PUT", REVIEWS, 405),
        ("PATCH", REVIEWS, 405),
        ("GET", "/reviews/rev_01ABCDEFGHJKMNPQRSTVWXYZ00/votes", 405),
        ("GET", "/nothing-here", 404),
    ],
)
def test_other_errors_are_problems_too(api: Any, method: str, path: str, status: int) -> None:
    response = api.client.open(api.public(path), method=method, json={})
    assert_problem(response, status)


# ---------------------------------------------------------------- spam checks


def pending_answer(api: Any) -> Any:
    """A genuinely pending answer (pre-moderation), for comparison with flagged ones."""
    api.admin("PATCH", "/site", json={"moderation": "pre"})
    response = api.post_review(body="An honest review held for approval")
    api.admin("PATCH", "/site", json={"moderation": "post"})
    assert response.get_json()["status"] == "pending"
    return response


def assert_looks_pending(response: Any, reference: Any) -> None:
    assert response.status_code == reference.status_code == 201
    data, ref = response.get_json(), reference.get_json()
    assert data["status"] == "pending"
    assert set(data) == set(ref)
    assert set(data["review"]) == set(ref["review"]) == PUBLIC_REVIEW_KEYS
    assert set(response.headers.keys()) - {"X-Request-Id"} == set(reference.headers.keys()) - {
        "X-Request-Id"
    }
    assert "spam" not in response.get_data(as_text=True).lower()
    assert "honeypot" not in response.get_data(as_text=True).lower()


def test_honeypot_answers_like_pending_while_admin_sees_spam(api: Any) -> None:
    reference = pending_answer(api)
    response = api.post_review(body="I am a bot", hp="filled by a bot")
    assert_looks_pending(response, reference)
    stored = admin_review(api, response.get_json()["review"]["id"])
    assert stored["status"] == "spam"
    assert stored["spam_reasons"] == ["honeypot"]
    listed = api.client.get(api.public(REVIEWS)).get_json()
    assert listed["summary"]["count"] == 0
    assert listed["reviews"] == []


@pytest.mark.parametrize("hp", ["", None])
def test_empty_honeypot_is_fine(api: Any, hp: str | None) -> None:
    response = api.post_review(hp=hp)
    assert response.get_json()["status"] == "published"
    assert admin_review(api, response.get_json()["review"]["id"])["spam_reasons"] == []


def test_too_many_links_is_flagged(api: Any) -> None:
    reference = pending_answer(api)
    two = api.post_review(body="See https://a.example and www.b.example")
    assert two.get_json()["status"] == "published"
    three = api.post_review(body="http://a.example https://b.example www.c.example buy")
    assert_looks_pending(three, reference)
    stored = admin_review(api, three.get_json()["review"]["id"])
    assert stored["status"] == "spam"
    assert "too_many_links" in stored["spam_reasons"]


def test_same_text_from_same_network_within_a_day_is_flagged(api: Any) -> None:
    reference = pending_answer(api)
    text = "Exactly the same words"
    first = api.post_review(body=text)
    assert first.get_json()["status"] == "published"
    again = api.post_review(body=text, rating=1)
    assert_looks_pending(again, reference)
    stored = admin_review(api, again.get_json()["review"]["id"])
    assert stored["status"] == "spam"
    assert "duplicate" in stored["spam_reasons"]
    # Another User-Agent on the same network is still the same sender (issue 13) ...
    other_agent = api.post_review(body=text, headers={"User-Agent": "another browser"})
    assert other_agent.get_json()["status"] == "pending"
    # ... while someone on another network may say the same thing.
    other = api.client.post(
        api.public("/products/sku-1/reviews"),
        json={"rating": 5, "body": text, "author_name": "Bo"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert other.get_json()["status"] == "published"
    # The same visitor on another product is still a duplicate.
    elsewhere = api.post_review(product="sku-2", body=text)
    assert elsewhere.get_json()["status"] == "pending"


def test_blocked_words_set_through_the_admin_api(api: Any) -> None:
    reference = pending_answer(api)
    response = api.admin("PATCH", "/site", json={"blocked_words": ["Casino", "cheap pills"]})
    assert response.status_code == 200
    assert response.get_json()["blocked_words"] == ["Casino", "cheap pills"]

    for i, text in enumerate(["Visit the CASINO now", "Get cheap pills here"]):
        flagged = api.post_review(body=f"{text} {i}")
        assert_looks_pending(flagged, reference)
        stored = admin_review(api, flagged.get_json()["review"]["id"])
        assert stored["status"] == "spam"
        assert stored["spam_reasons"] == ["blocked_word"]
    in_title = api.post_review(title="casino", body="Harmless body")
    assert in_title.get_json()["status"] == "pending"
    clean = api.post_review(body="Nothing to see here")
    assert clean.get_json()["status"] == "published"

    api.admin("PATCH", "/site", json={"blocked_words": []})
    assert api.post_review(body="casino is fine now").get_json()["status"] == "published"


def test_several_reasons_are_all_recorded(api: Any) -> None:
    api.admin("PATCH", "/site", json={"blocked_words": ["casino"]})
    response = api.post_review(
        body="casino http://a.example http://b.example http://c.example", hp="x"
    )
    stored = admin_review(api, response.get_json()["review"]["id"])
    assert set(stored["spam_reasons"]) == {"honeypot", "too_many_links", "blocked_word"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/products/sku-1/reviews"),
        ("POST", "/products/sku-1/comments"),
        ("POST", "/reviews/rev_01ABCDEFGHJKMNPQRSTVWXYZ00/votes"),
        ("GET", "/products/sku-1/comments"),
        ("GET", "/summaries?products=sku-1"),
        ("OPTIONS", "/products/sku-1/reviews"),
    ],
)
def test_unknown_site_is_404_everywhere(client: Any, site: Any, method: str, path: str) -> None:
    response = client.open(
        f"/api/v1/sites/no-such-site{path}",
        method=method,
        json=valid_review() if method == "POST" else None,
        headers={"Origin": "http://shop.test"},
    )
    assert_problem(response, 404)
    assert "Access-Control-Allow-Origin" not in response.headers
