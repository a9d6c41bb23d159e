"""schema.org FAQPage JSON-LD of a product's answered questions (``api/seo.py``).

Written through the public and admin API as visitors and the shop would; read as a
shop's server would, to put it in its page as ``<script type="application/ld+json">``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from support import assert_problem

from conftest import SHARED_REDIS

LD = "/products/sku-1/questions/jsonld"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json(force=True)


def ask(api: Any, body: str, product: str = "sku-1", **fields: Any) -> str:
    made = ok(
        api.client.post(
            api.public(f"/products/{product}/questions"),
            json={"body": body, "author_name": "Asker", **fields},
        ),
        201,
    )
    return str(made["question"]["id"])


def answer(api: Any, question: str, body: str, **fields: Any) -> str:
    made = ok(
        api.client.post(
            api.public(f"/questions/{question}/answers"),
            json={"body": body, "author_name": "Customer", **fields},
        ),
        201,
    )
    return str(made["answer"]["id"])


def shop_answer(api: Any, question: str, body: str) -> str:
    made = ok(api.admin("POST", "/answers", json={"question_id": question, "body": body}), 201)
    return str(made["answer"]["id"])


def invite_token(api: Any) -> str:
    """A buyer's invitation token (``?plaudit_invite=``): answers sent with it are
    verified."""
    body = {"order_id": "1001", "email": "buyer@example.com", "products": ["sku-1"]}
    invitation = ok(api.admin("POST", "/invitations", json=body), 201)["invitation"]
    return urlsplit(invitation["url"]).path.removeprefix("/r/")


def faq(api: Any, query: str = "", headers: dict[str, str] | None = None) -> Any:
    return api.client.get(api.public(LD + query), headers=headers)


def entry_of(document: dict[str, Any], question: str) -> dict[str, Any]:
    found = [e for e in document.get("mainEntity", []) if e["name"] == question]
    assert len(found) == 1, document
    return found[0]


# ---------------------------------------------------------------- the document


def test_answered_questions_with_the_shops_answer_accepted(api: Any) -> None:
    both = ask(api, "Is it fine enough for espresso?")
    customer_answer = answer(api, both, "Yes, I use it every morning.")
    shop_answer(api, both, "Yes: setting 3 is right for espresso.")
    customers = ask(api, "How loud is it, compared to a blade grinder?")
    answer(api, customers, "Much quieter, about as loud as a kettle.", author_name="Bo")
    ask(api, "Does it come in black as well?")  # no answer: not in the document

    response = faq(api, headers={"Origin": "http://shop.test"})
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "http://shop.test"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    document = response.get_json(force=True)
    assert document["@context"] == "https://schema.org"
    assert document["@type"] == "FAQPage"
    assert document["about"] == {"@type": "Product", "name": "sku-1", "productID": "sku-1"}
    assert len(document["mainEntity"]) == 2

    first = entry_of(document, "Is it fine enough for espresso?")
    assert first["@type"] == "Question"
    assert first["answerCount"] == 2
    assert first["author"] == {"@type": "Person", "name": "Asker"}
    assert len(first["dateCreated"]) == 10
    # The shop's answer comes first (as in the widget) and is the accepted one.
    accepted = first["acceptedAnswer"]
    assert accepted["@type"] == "Answer"
    assert accepted["text"] == "Yes: setting 3 is right for espresso."
    assert accepted["author"] == {"@type": "Organization", "name": "acme-shop"}
    assert accepted["upvoteCount"] == 0
    assert customer_answer  # the other answer counts, and is not the accepted one

    second = entry_of(document, "How loud is it, compared to a blade grinder?")
    assert second["answerCount"] == 1
    assert second["acceptedAnswer"]["author"] == {"@type": "Person", "name": "Bo"}

    again = faq(api, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_verified_buyers_answer_says_so(api: Any) -> None:
    question = ask(api, "Does the lid fit tightly?")
    answer(api, question, "It does, no rattling.", invite=invite_token(api), author_name="Ada")
    document = ok(faq(api))
    author = entry_of(document, "Does the lid fit tightly?")["acceptedAnswer"]["author"]
    assert author == {"@type": "Person", "name": "Ada", "description": "Verified buyer"}


def test_the_name_and_the_limit(api: Any) -> None:
    for n in range(3):
        question = ask(api, f"Question number {n} about the mug?")
        answer(api, question, f"Answer {n}.")
    document = ok(faq(api, "?name=Stoneware%20mug&limit=2"))
    assert document["about"]["name"] == "Stoneware mug"
    assert len(document["mainEntity"]) == 2


def test_only_published_questions_and_answers(
    api: Any, make_site: Callable[..., Any], client: Any
) -> None:
    kept = ask(api, "Which burrs does it use, steel or ceramic?")
    answer(api, kept, "Steel, conical.")
    hidden = answer(api, kept, "Visit my shop for cheaper burrs!")
    ok(api.admin("PATCH", f"/answers/{hidden}", json={"status": "rejected", "reason": "spam"}))
    gone = ask(api, "Is this question about to be rejected?")
    answer(api, gone, "An answer to a rejected question.")
    ok(api.admin("PATCH", f"/questions/{gone}", json={"status": "rejected", "reason": "spam"}))
    only_rejected = ask(api, "Is the only answer here rejected?")
    rejected = answer(api, only_rejected, "Rejected answer.")
    ok(api.admin("PATCH", f"/answers/{rejected}", json={"status": "rejected", "reason": "spam"}))

    document = ok(faq(api))
    assert [e["name"] for e in document["mainEntity"]] == [
        "Which burrs does it use, steel or ceramic?"
    ]
    entry = document["mainEntity"][0]
    assert entry["answerCount"] == 1
    assert entry["acceptedAnswer"]["text"] == "Steel, conical."
    assert "rejected" not in json.dumps(document).lower()

    # Pre-moderation: nothing shows before the shop publishes it.
    held = make_site(slug="held-shop", moderation="pre")
    url = f"/api/v1/sites/{held.slug}"
    asked = client.post(
        f"{url}/products/sku-1/questions",
        json={"body": "Waiting for moderation, is it?", "author_name": "Kim"},
    )
    assert ok(asked, 201)["status"] == "pending"
    assert "mainEntity" not in ok(client.get(url + LD))


def test_text_is_json_never_markup(api: Any) -> None:
    text = '</script><script>alert(1)</script> & <!-- "quoted" -->'
    question = ask(api, "What about <b>bold</b> & " + text)
    answer(api, question, text, author_name="<i>Eve</i>")
    response = faq(api)
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert "\\u003c/script\\u003e" in raw
    document = json.loads(raw)  # the same text once parsed, never HTML-escaped
    entry = document["mainEntity"][0]
    assert entry["name"] == "What about <b>bold</b> & " + text
    assert entry["acceptedAnswer"]["text"] == text
    assert entry["acceptedAnswer"]["author"]["name"] == "<i>Eve</i>"
    assert "&lt;" not in raw and "&amp;" not in raw


def test_edges(api: Any, client: Any) -> None:
    empty = faq(api, headers={"Origin": "http://evil.test"})
    assert empty.status_code == 200
    assert empty.get_json(force=True) == {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "about": {"@type": "Product", "name": "sku-1", "productID": "sku-1"},
    }
    assert "Access-Control-Allow-Origin" not in empty.headers
    assert_problem(client.get("/api/v1/sites/no-such-site" + LD), 404)
    assert_problem(client.get(api.public("/products/bad%20id/questions/jsonld")), 422)
    for query in ("?limit=0", "?limit=51", "?sort=random", "?cb=1", "?name="):
        assert_problem(faq(api, query), 422)


def test_cached_like_the_reviews_jsonld_and_retired_by_a_new_answer(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any], prefix: str
) -> None:
    site = make_site()
    app = app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)
    client = app.test_client()
    base = f"/api/v1/sites/{site.slug}"
    question = ok(
        client.post(
            f"{base}/products/sku-1/questions",
            json={"body": "Does it fit in a cupboard?", "author_name": "Kim"},
        ),
        201,
    )["question"]["id"]
    first = {"body": "Yes, 38 cm tall.", "author_name": "Ravi"}
    ok(client.post(f"{base}/questions/{question}/answers", json=first), 201)
    url = base + LD
    headers = {"Origin": "http://shop.test"}
    miss, hit = client.get(url, headers=headers), client.get(url, headers=headers)
    assert (miss.headers["X-Cache"], hit.headers["X-Cache"]) == ("miss", "hit")
    assert hit.get_data() == miss.get_data()
    assert hit.headers["Content-Type"] == "application/ld+json"
    assert hit.headers["Access-Control-Allow-Origin"] == "http://shop.test"

    second = {"body": "Mine fits under the shelf.", "author_name": "Noor"}
    ok(client.post(f"{base}/questions/{question}/answers", json=second), 201)
    after = client.get(url, headers=headers)
    assert after.headers["X-Cache"] == "miss"
    assert after.get_json(force=True)["mainEntity"][0]["answerCount"] == 2


def test_in_the_openapi_document(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/sites/{site}/products/{product}/questions/jsonld"]["get"]
    assert "application/ld+json" in operation["responses"]["200"]["content"]
