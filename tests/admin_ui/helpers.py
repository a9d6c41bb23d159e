"""Helpers for the admin page tests: seed data through the services, a browser-like
client, sign in."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from plaudit_server.extensions import db
from plaudit_server.models import Comment, Review, Status
from plaudit_server.services import comments, moderation, reports, reviews, sites


def seed_reviews(
    app: Flask, slug: str, count: int, *, product: str = "sku-1", **fields: Any
) -> list[str]:
    """``count`` visitor reviews through the service layer; returns their ids."""
    ids = []
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        for i in range(count):
            data = {
                "rating": 4,
                "title": None,
                "body": f"Review number {i} of {product}",
                "author_name": f"Author {i}",
                "author_email": f"author{i}@example.test",
                **fields,
            }
            ids.append(reviews.submit_review(db.session, site, product, data, visitor_hash=None).id)
        db.session.commit()
    return ids


def seed_comment(app: Flask, slug: str, product: str = "sku-1", **fields: Any) -> str:
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        data = {"body": "A fan's question?", "author_name": "Fan", **fields}
        comment = comments.submit_comment(db.session, site, product, data, visitor_hash=None)
        db.session.commit()
        return comment.id


def status_of(app: Flask, model: type[Review] | type[Comment], item_id: str) -> Status | None:
    with app.app_context():
        item = db.session.get(model, item_id)
        return None if item is None else item.status


def set_status(app: Flask, slug: str, ids: list[str], status: Status) -> None:
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        moderation.set_review_status(db.session, site, ids, status)
        db.session.commit()


def browser(app: Flask) -> FlaskClient:
    """A test client that says what a browser says of the admin page's own forms: they
    come from the page itself (``Sec-Fetch-Site: same-origin``)."""
    client = app.test_client()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    return client


def sign_in(client: Any, email: str, password: str) -> Any:
    """Sign in through the login form with the Flask test client; returns the response."""
    assert client.get("/admin/login").status_code == 200
    return client.post("/admin/login", data={"email": email, "password": password})


def open_page(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def seed_report(
    app: Flask,
    slug: str,
    object_id: str,
    *,
    object_type: str = "review",
    reason: str = "offensive",
    visitor: str = "visitor-1",
    **fields: Any,
) -> str:
    """A visitor's report of a published item through the service layer; its id."""
    with app.app_context():
        site = sites.site_by_slug(db.session, slug)
        data = {"reason": reason, **fields}
        report, _ = reports.submit(
            db.session, site, object_type, object_id, data, visitor_hash=visitor
        )
        db.session.commit()
        return report.id
