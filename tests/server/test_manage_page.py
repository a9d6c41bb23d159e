"""The author's page ``/m/<token>`` (issue 16), on SQLite and PostgreSQL.

Items are submitted through the public API and the page is opened from the
``manage_url`` of the 201, as the widget and the mail give it. What is checked: the
status in words (waiting, published, not published with the reason and the note),
each action (edit, delete after a confirmation, download, appeal once) and what it did
in the database, every bad input (nothing changes), the friendly 404 and 410 pages, the
Origin check, the rate limit, the languages, escaping and the headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from conftest import Api, SiteInfo
from plaudit_server import manage_page, unsubscribe
from plaudit_server.extensions import db
from plaudit_server.models import REJECT_REASONS, Comment, ManageToken, Review, Site
from plaudit_server.timeutil import utcnow

OWN = {"Origin": "http://localhost"}  # what a browser sends from this server's own page


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def submit_review(api: Api, **fields: Any) -> tuple[str, str]:
    """A new review's id and the path of its manage page."""
    answer = ok(api.post_review(**fields), 201)
    return answer["review"]["id"], urlsplit(answer["manage_url"]).path


def submit_comment(api: Api, **fields: Any) -> tuple[str, str]:
    data = {"body": "Does it fit a small kitchen?", "author_name": "Kim", **fields}
    answer = ok(api.client.post(api.public("/products/sku-1/comments"), json=data), 201)
    return answer["comment"]["id"], urlsplit(answer["manage_url"]).path


def page(response: Any, status: int = 200) -> str:
    """A friendly HTML page of ``status`` with the public pages' headers and no script."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert response.mimetype == "text/html"
    assert "Traceback" not in html and "<script" not in html
    headers = response.headers
    assert headers["Content-Security-Policy"] == unsubscribe.CONTENT_SECURITY_POLICY
    assert headers["Referrer-Policy"] == "same-origin"  # see manage_page.py
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Robots-Tag"] == "noindex"
    assert headers["X-Frame-Options"] == "DENY"
    return html


def stored(app: Flask, model: type[Review] | type[Comment], item_id: str) -> dict[str, Any]:
    """The item's row as plain values (None once deleted)."""
    with app.app_context():
        item = db.session.get(model, item_id)
        values = None if item is None else {c.key: getattr(item, c.key) for c in model.__table__.c}
        db.session.rollback()
        return values  # type: ignore[return-value]


def review_form(**fields: str) -> dict[str, str]:
    return {"rating": "4", "title": "", "body": "Still good.", "author_name": "Ada", **fields}


def reject(api: Api, review_id: str, reason: str = "offensive", note: str | None = None) -> None:
    body: dict[str, Any] = {"status": "rejected", "reason": reason}
    if note is not None:
        body["note"] = note
    ok(api.admin("PATCH", f"/reviews/{review_id}", json=body))


def summary_count(api: Api) -> int:
    found = ok(api.client.get(api.public("/products/sku-1/reviews")))
    return int(found["summary"]["count"])


# ---------------------------------------------------------------- reading


def test_the_page_shows_the_review_and_its_status(client: Any, api: Api) -> None:
    _, path = submit_review(api, title="Nice <b>grinder</b>", body="Grinds <i>fine</i>\nTwo lines")
    html = page(client.get(path))
    assert "<h1>Your review of sku-1</h1>" in html
    assert '<p class="status-headline">Published</p>' in html
    assert "Nice &lt;b&gt;grinder&lt;/b&gt;" in html and "<b>grinder" not in html
    assert "Grinds &lt;i&gt;fine&lt;/i&gt;\nTwo lines" in html
    assert 'value="Nice &lt;b&gt;grinder&lt;/b&gt;"' in html  # the form, filled in
    assert 'id="edit-rating-5" checked' in html
    assert "Ask the shop to look again" not in html  # nothing to appeal
    assert f'href="{path}/export"' in html and f'href="{path}/delete"' in html
    assert f'action="{path}/edit"' in html


def test_pending_and_machine_flagged_spam_read_as_waiting(
    client: Any, make_site: Callable[..., SiteInfo]
) -> None:
    api = Api(client, make_site(moderation="pre"))
    _, path = submit_review(api)
    assert '<p class="status-headline">Waiting for the shop&#39;s check</p>' in page(
        client.get(path)
    )
    _, spam_path = submit_review(Api(client, make_site()), hp="I am a bot")
    html = page(client.get(spam_path))
    assert '<p class="status-headline">Waiting for the shop&#39;s check</p>' in html
    assert "spam" not in html.lower()  # a spammer learns nothing


def test_a_rejection_in_words_with_the_shops_note(client: Any, api: Api) -> None:
    review_id, path = submit_review(api)
    reject(api, review_id, "conflict_of_interest", note="Written by <staff>.")
    html = page(client.get(path))
    assert "Not published: it appears to be written with a conflict of interest." in html, html
    assert "The shop&#39;s note:" in html and "Written by &lt;staff&gt;." in html
    assert 'id="appeal-message"' in html  # it may be appealed


def test_a_comment_has_its_own_fields(client: Any, api: Api) -> None:
    _, path = submit_comment(api, body="Fits <small> kitchens?")
    html = page(client.get(path))
    assert "<h1>Your comment on sku-1</h1>" in html
    assert "Fits &lt;small&gt; kitchens?" in html
    assert 'name="rating"' not in html and 'name="title"' not in html
    assert 'name="body"' in html and 'name="author_name"' in html
    assert '<label for="edit-body">Your comment</label>' in html


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("de", ["Ihre Bewertung von sku-1", "Veröffentlicht", "Ändern", "Endgültig löschen…"]),
        ("fr", ["Votre avis sur sku-1", "Publié", "Le modifier", "Supprimer définitivement…"]),
        ("es", ["Tu opinión sobre sku-1", "Publicado", "Cambiarlo", "Borrar para siempre…"]),
    ],
)
def test_the_sites_language(client: Any, api: Api, locale: str, words: list[str]) -> None:
    ok(api.admin("PATCH", "/site", json={"locale": locale}))
    _, path = submit_review(api)
    html = page(client.get(path, headers={"Accept-Language": "en"}))
    assert f'<html lang="{locale}">' in html
    for word in words:
        assert word in html


def test_every_language_has_every_string() -> None:
    for table in (manage_page.TEXT, manage_page.REASONS):
        for words in table.values():
            assert set(words) == set(table["en"])
        assert set(table) == {"en", "de", "fr", "es"}
    assert set(manage_page.REASONS["en"]) == set(REJECT_REASONS)


def test_unknown_expired_and_deleted_links(app: Flask, client: Any, api: Api) -> None:
    html = page(client.get("/m/not-a-token"), 404)
    assert "Link not valid" in html
    html = page(client.get("/m/not-a-token", headers={"Accept-Language": "fr"}), 404)
    assert "Lien non valide" in html
    page(client.post("/m/not-a-token/edit", data=review_form(), headers=OWN), 404)
    page(client.get("/m/not-a-token/export"), 404)

    review_id, path = submit_review(api)
    with app.app_context():
        for row in db.session.scalars(sa.select(ManageToken)):
            row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    html = page(client.get(path), 410)
    assert "This link no longer works" in html
    page(client.post(path + "/edit", data=review_form(body="Late"), headers=OWN), 410)
    assert stored(app, Review, review_id)["body"] == "Great product"


# ---------------------------------------------------------------- editing


def test_an_edit_is_saved_and_goes_back_through_the_check(
    app: Flask, client: Any, make_site: Callable[..., SiteInfo]
) -> None:
    api = Api(client, make_site(moderation="pre"))
    review_id, path = submit_review(api, body="First words")
    ok(api.admin("PATCH", f"/reviews/{review_id}", json={"status": "published"}))
    assert summary_count(api) == 1
    sent = client.post(
        path + "/edit",
        data=review_form(rating="2", title="Second thoughts", body="Changed <b>words</b>"),
        headers=OWN,
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"{path}?done=edit")
    row = stored(app, Review, review_id)
    assert (row["rating"], row["title"], row["body"], row["author_name"]) == (
        2,
        "Second thoughts",
        "Changed <b>words</b>",
        "Ada",
    )
    assert row["status"] == "pending"  # a pre-moderated site checks it again
    assert summary_count(api) == 0
    html = page(client.get(sent.headers["Location"]))
    assert "Saved. Your change waits for the shop&#39;s check." in html
    assert "Changed &lt;b&gt;words&lt;/b&gt;" in html
    entries = ok(api.admin("GET", "/audit", query_string={"object_id": review_id}))["entries"]
    assert entries[0]["action"] == "review.edited" and entries[0]["actor"]["type"] == "reviewer"


def test_an_unchanged_form_changes_nothing(app: Flask, client: Any, api: Api) -> None:
    review_id, path = submit_review(api, rating=4, body="Still good.")
    before = stored(app, Review, review_id)
    sent = client.post(path + "/edit", data=review_form(), headers=OWN)
    assert sent.headers["Location"].endswith("?done=nothing")
    assert stored(app, Review, review_id) == before
    assert "Nothing changed" in page(client.get(sent.headers["Location"]))


def test_a_comment_edit(app: Flask, client: Any, api: Api) -> None:
    comment_id, path = submit_comment(api)
    sent = client.post(path + "/edit", data={"body": "Fits.", "author_name": "K."}, headers=OWN)
    assert sent.status_code == 303
    row = stored(app, Comment, comment_id)
    assert (row["body"], row["author_name"], row["status"]) == ("Fits.", "K.", "published")
    assert "Saved and published." in page(client.get(sent.headers["Location"]))


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        ({"body": "   "}, {"body": "Write a few words about it."}),
        ({"rating": ""}, {"rating": "Choose a rating from 1 to 5 stars."}),
        ({"rating": "9"}, {"rating": "Choose a rating from 1 to 5 stars."}),
        ({"title": "t" * 121}, {"title": "Must be at most 120 characters."}),
        (
            {"author_name": "", "body": "x" * 5001},
            {"body": "Must be at most 5000 characters.", "author_name": "Enter your name."},
        ),
    ],
)
def test_an_edit_failing_validation_changes_nothing(
    app: Flask, client: Any, api: Api, fields: dict[str, str], messages: dict[str, str]
) -> None:
    review_id, path = submit_review(api)
    before = stored(app, Review, review_id)
    html = page(client.post(path + "/edit", data=review_form(**fields), headers=OWN), 422)
    assert stored(app, Review, review_id) == before
    assert "<title>Error: Your review of sku-1</title>" in html
    for field, message in messages.items():
        assert f'<p class="error" id="edit-{field}-error">{message}</p>' in html
        target = "edit-rating-1" if field == "rating" else f"edit-{field}"
        assert f'<li><a href="#{target}">{message}</a></li>' in html
    # What was typed comes back, not what is stored.
    if "title" in fields:
        assert f'value="{fields["title"]}"' in html


def test_a_german_error(client: Any, api: Api) -> None:
    ok(api.admin("PATCH", "/site", json={"locale": "de"}))
    _, path = submit_review(api)
    html = page(client.post(path + "/edit", data=review_form(body=""), headers=OWN), 422)
    assert "Schreiben Sie ein paar Worte dazu." in html and "<title>Fehler: " in html


# ---------------------------------------------------------------- deleting and the data


def test_delete_asks_first_then_deletes_for_good(app: Flask, client: Any, api: Api) -> None:
    review_id, path = submit_review(api)
    assert summary_count(api) == 1
    html = page(client.get(path + "/delete"))
    assert "Delete your review for good?" in html
    assert f'<form method="post" action="{path}/delete"' in html
    assert stored(app, Review, review_id) is not None  # asking deletes nothing
    html = page(client.post(path + "/delete", headers=OWN))
    assert "It is deleted for good." in html
    assert stored(app, Review, review_id) is None
    assert summary_count(api) == 0  # at once
    page(client.get(path), 410)
    page(client.post(path + "/delete", headers=OWN), 410)
    page(client.get(path + "/export"), 410)


def test_a_comment_is_deleted_and_its_review_counts_it_no_more(
    app: Flask, client: Any, api: Api
) -> None:
    review_id, _ = submit_review(api)
    comment_id, path = submit_comment(api, review_id=review_id)
    assert stored(app, Review, review_id)["comment_count"] == 1
    page(client.post(path + "/delete", headers=OWN))
    assert stored(app, Comment, comment_id) is None
    assert stored(app, Review, review_id)["comment_count"] == 0


def test_the_download_is_everything_stored_as_json(client: Any, api: Api) -> None:
    review_id, path = submit_review(api, body="Mine <all> mine", author_email="ada@example.com")
    response = client.get(path + "/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="plaudit-{review_id}.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    document = json.loads(response.get_data(as_text=True))
    assert document["type"] == "review"
    assert document["review"]["id"] == review_id
    assert document["review"]["body"] == "Mine <all> mine"
    assert document["review"]["author_email"] == "ada@example.com"
    assert document["status"]["state"] == "published"


# ---------------------------------------------------------------- appealing


def test_an_appeal_once(app: Flask, client: Any, api: Api) -> None:
    review_id, path = submit_review(api)
    reject(api, review_id, "off_topic", note="About another shop.")
    sent = client.post(path + "/appeal", data={"message": "It <is> about this one."}, headers=OWN)
    assert sent.status_code == 303 and sent.headers["Location"].endswith("?done=appeal")
    row = stored(app, Review, review_id)
    assert row["appeal_message"] == "It <is> about this one."
    assert row["appealed_at"] is not None and row["status"] == "pending"
    html = page(client.get(sent.headers["Location"]))
    assert "Your appeal is sent." in html
    assert "You asked the shop to look again." in html and "It &lt;is&gt; about this one." in html
    assert 'id="appeal-message"' not in html  # once
    admin = ok(api.admin("GET", f"/reviews/{review_id}"))
    assert admin["appealed"] is True

    # Rejected again: still no second appeal.
    reject(api, review_id, "off_topic")
    html = page(client.post(path + "/appeal", data={"message": "Again"}, headers=OWN), 409)
    assert "You have already appealed this decision" in html
    assert stored(app, Review, review_id)["appeal_message"] == "It <is> about this one."


def test_nothing_to_appeal_on_a_published_item(app: Flask, client: Any, api: Api) -> None:
    review_id, path = submit_review(api)
    html = page(client.post(path + "/appeal", data={"message": "Why?"}, headers=OWN), 409)
    assert "Only something the shop did not publish can be appealed." in html
    row = stored(app, Review, review_id)
    assert row["appeal_message"] is None and row["status"] == "published"


@pytest.mark.parametrize(
    ("message", "error"),
    [("  ", "Write a few words to the shop."), ("x" * 2001, "Must be at most 2000 characters.")],
)
def test_a_bad_appeal_changes_nothing(
    app: Flask, client: Any, api: Api, message: str, error: str
) -> None:
    review_id, path = submit_review(api)
    reject(api, review_id)
    html = page(client.post(path + "/appeal", data={"message": message}, headers=OWN), 422)
    assert f'<p class="error" id="appeal-message-error">{error}</p>' in html
    assert '<li><a href="#appeal-message">' in html
    row = stored(app, Review, review_id)
    assert row["appealed_at"] is None and row["status"] == "rejected"


# ---------------------------------------------------------------- what protects it


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.test"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.test"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://shop.localhost"},
        {},  # neither: not a browser's form
    ],
)
def test_a_post_from_another_origin_is_refused(
    app: Flask, client: Any, api: Api, headers: dict[str, str]
) -> None:
    review_id, path = submit_review(api)
    reject(api, review_id)
    before = stored(app, Review, review_id)
    for action, data in (
        ("edit", review_form(body="Forged")),
        ("appeal", {"message": "Forged"}),
        ("delete", {}),
    ):
        html = page(client.post(f"{path}/{action}", data=data, headers=headers), 403)
        assert "This form can only be sent from its own page." in html
    assert stored(app, Review, review_id) == before


def test_the_browsers_own_word_is_enough(app: Flask, client: Any, api: Api) -> None:
    """A browser that says the post is its page's own (``Sec-Fetch-Site``, which it alone
    sets) is believed whatever its ``Origin`` (``null`` under a stricter referrer policy)."""
    review_id, path = submit_review(api)
    headers = {"Sec-Fetch-Site": "same-origin", "Origin": "null"}
    sent = client.post(path + "/edit", data=review_form(body="From the page"), headers=headers)
    assert sent.status_code == 303
    assert stored(app, Review, review_id)["body"] == "From the page"


def test_posts_are_rate_limited(app_factory: Callable[..., Flask], make_site: Any) -> None:
    app = app_factory(RATELIMIT_ENABLED=True)
    client = app.test_client()
    api = Api(client, make_site(slug="limited-shop"))
    ok(api.admin("PATCH", "/site", json={"locale": "fr"}))
    with app.app_context():
        site = db.session.scalar(sa.select(Site).where(Site.slug == "limited-shop"))
        assert site is not None
        site.rate_limits = {"manage_per_visitor": "2/minute"}
        db.session.commit()
    _, path = submit_review(api)
    for n in range(2):
        assert (
            client.post(path + "/edit", data=review_form(body=f"v{n}"), headers=OWN).status_code
            == 303
        )
    html = page(client.post(path + "/edit", data=review_form(body="v3"), headers=OWN), 429)
    assert "Trop de tentatives" in html
    limited = client.post(path + "/appeal", data={"message": "x"}, headers=OWN)
    assert limited.status_code == 409  # its own route, counted apart: nothing to appeal
    assert (
        int(client.post(path + "/edit", data=review_form(), headers=OWN).headers["Retry-After"]) > 0
    )
    assert client.get(path).status_code == 200  # reading is not limited


def test_a_huge_form_is_a_friendly_413(app: Flask, client: Any, api: Api) -> None:
    review_id, path = submit_review(api)
    huge = review_form(body="x" * (manage_page.MAX_FORM_BYTES + 1))
    html = page(client.post(path + "/edit", data=huge, headers=OWN), 413)
    assert "What you wrote is too long to send." in html
    assert stored(app, Review, review_id)["body"] == "Great product"
