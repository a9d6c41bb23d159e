"""The admin page through the Flask test client, on SQLite and PostgreSQL.

Sessions, CSRF, throttling, tenancy, every form, and what each changes on the public
API. The same flows in a real browser are in ``test_browser.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from plaudit_server.models import Comment, Review, Status

from .helpers import (
    browser,
    open_page,
    seed_comment,
    seed_reviews,
    set_status,
    sign_in,
    status_of,
)

ADMIN = "/admin"
LONG_SECRET_KEY = "a secret key of at least 32 bytes, as outside tests"


def public_reviews(client: Any, slug: str, product: str = "sku-1") -> dict[str, Any]:
    response = client.get(f"/api/v1/sites/{slug}/products/{product}/reviews?limit=50")
    assert response.status_code == 200
    return response.get_json()


def queue_ids(html: str) -> list[str]:
    return re.findall(r'id="item-((?:rev|cmt)_[0-9A-Z]+)"', html)


# ---------------------------------------------------------------- sign in and headers


def test_login_page_sends_security_headers(client: Any) -> None:
    response = client.get(f"{ADMIN}/login")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_need_a_session(client: Any, site: Any) -> None:
    response = client.get(f"{ADMIN}/{site.slug}/reviews")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{ADMIN}/login?next=")


def test_wrong_password_is_refused(client: Any, site: Any) -> None:
    response = sign_in(client, site.owner_email, "not the password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get(f"{ADMIN}/{site.slug}/reviews").status_code == 302
    unknown = sign_in(client, "nobody@example.test", site.password)
    assert unknown.status_code == 401


def test_sign_in_leads_to_the_queue_and_sign_out_ends_it(client: Any, site: Any) -> None:
    response = sign_in(client, site.owner_email.upper(), site.password)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{ADMIN}/"
    index = client.get(f"{ADMIN}/")
    assert index.status_code == 302
    assert index.headers["Location"] == f"{ADMIN}/{site.slug}/reviews"
    queue = client.get(f"{ADMIN}/{site.slug}/reviews")
    assert queue.status_code == 200
    assert "unsafe-inline" not in queue.headers["Content-Security-Policy"]
    assert client.post(f"{ADMIN}/logout").status_code == 302
    assert client.get(f"{ADMIN}/{site.slug}/reviews").status_code == 302


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(client: Any, site: Any) -> None:
    open_page(client, f"{ADMIN}/login")
    form = {"email": site.owner_email, "password": site.password}
    wanted = f"{ADMIN}/{site.slug}/insight"
    response = client.post(f"{ADMIN}/login", data={**form, "next": wanted})
    assert response.headers["Location"] == wanted
    open_page(client, wanted)
    client.post(f"{ADMIN}/logout")
    open_page(client, f"{ADMIN}/login")
    response = client.post(f"{ADMIN}/login", data={**form, "next": "https://evil.test/"})
    assert response.headers["Location"] == f"{ADMIN}/"


@pytest.mark.parametrize(
    ("config", "env", "base_url", "secure"),
    [
        ({"TESTING": True}, None, "http://localhost", False),
        ({"TESTING": False, "DEBUG": True}, None, "http://127.0.0.1:5000", False),
        ({"TESTING": False}, None, "http://admin.example", True),
        ({"TESTING": False}, None, "https://admin.example", True),
        # Plain HTTP to a loopback address is also what a TLS proxy forwarding
        # Host: 127.0.0.1 sends: Secure unless the operator says otherwise.
        ({"TESTING": False}, None, "http://127.0.0.1:5000", True),
        ({"TESTING": False}, None, "http://[::1]:5000", True),
        # Flask's default value (False) is not the operator saying so.
        ({"TESTING": False, "SESSION_COOKIE_SECURE": False}, None, "http://127.0.0.1:5000", True),
        # scripts/demo says so: plain HTTP to a loopback address, where browsers may
        # drop Secure cookies.
        ({"TESTING": False}, "false", "http://127.0.0.1:5000", False),
        ({"TESTING": False, "ADMIN_SESSION_COOKIE_SECURE": False}, None, "http://[::1]", False),
        ({"TESTING": True}, "true", "http://localhost", True),
        ({"TESTING": False, "SESSION_COOKIE_SECURE": True}, None, "http://127.0.0.1:5000", True),
    ],
)
def test_session_cookie_flags(
    app_factory: Callable[..., Flask],
    make_site: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    config: dict[str, Any],
    env: str | None,
    base_url: str,
    secure: bool,
) -> None:
    if env is not None:
        monkeypatch.setenv("PLAUDIT_SESSION_COOKIE_SECURE", env)
    site = make_site()
    client = browser(app_factory(SECRET_KEY=LONG_SECRET_KEY, **config))  # outside tests too
    assert client.get(f"{ADMIN}/login", base_url=base_url).status_code == 200
    response = client.post(
        f"{ADMIN}/login",
        base_url=base_url,
        data={"email": site.owner_email, "password": site.password},
    )
    assert response.status_code == 302
    cookie = next(
        v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in cookie.lower()
    assert ("secure" in attributes) is secure


# ---------------------------------------------------------------- throttling


def test_failed_sign_ins_are_throttled_per_email(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    site = make_site()
    other = make_site()
    app = app_factory(RATELIMIT_ENABLED=True, ADMIN_LOGIN_LIMIT_PER_EMAIL="3/minute")
    client = browser(app)
    for _ in range(3):
        assert sign_in(client, site.owner_email, "wrong").status_code == 401
    # The right password no longer helps for this email, from here...
    blocked = sign_in(client, site.owner_email, site.password)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # ...while another owner signs in from the same address.
    assert sign_in(client, other.owner_email, other.password).status_code == 302


def test_failed_sign_ins_are_throttled_per_address(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    site = make_site()
    app = app_factory(RATELIMIT_ENABLED=True, ADMIN_LOGIN_LIMIT_PER_IP="4/minute")
    client = browser(app)
    for i in range(4):
        assert sign_in(client, f"guess{i}@example.test", "wrong").status_code == 401
    assert sign_in(client, site.owner_email, site.password).status_code == 429


def test_successful_sign_ins_are_not_counted(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any]
) -> None:
    site = make_site()
    app = app_factory(RATELIMIT_ENABLED=True, ADMIN_LOGIN_LIMIT_PER_EMAIL="2/minute")
    for _ in range(4):
        assert sign_in(browser(app), site.owner_email, site.password).status_code == 302


# ---------------------------------------------------------------- CSRF


# What browsers send with a form post (Sec-Fetch-Site, Origin), and the verdict. The
# test client's own origin is http://localhost.
FORM_ORIGINS: list[tuple[dict[str, str], bool]] = [
    ({"Sec-Fetch-Site": "same-origin"}, True),
    ({"Sec-Fetch-Site": "none"}, True),  # the owner's own doing: a bookmark, a reload
    ({"Sec-Fetch-Site": "cross-site"}, False),
    # Another port or subdomain of the host: SameSite=Lax sends the cookie along.
    ({"Sec-Fetch-Site": "same-site"}, False),
    # The browser's word is final: an Origin cannot talk it round.
    ({"Sec-Fetch-Site": "same-site", "Origin": "http://localhost"}, False),
    # Browsers without Sec-Fetch-Site: the Origin must name this host.
    ({"Origin": "http://localhost"}, True),
    ({"Origin": "http://LocalHost"}, True),  # host names ignore case
    ({"Origin": "HTTP://localhost:80"}, True),  # and schemes; the default port is implied
    ({"Origin": "https://localhost"}, False),  # another scheme is another origin
    ({"Origin": "https://localhost:80"}, False),
    ({"Origin": "http://localhost:99999"}, False),  # no port at all
    ({"Origin": "http://evil.test"}, False),
    ({"Origin": "http://localhost:8080"}, False),
    ({"Origin": "http://localhost.evil.test"}, False),
    ({"Origin": "null"}, False),  # a sandboxed frame or a data: page
    ({}, False),  # no browser's form: scripts have the JSON API
]


@pytest.mark.parametrize(("headers", "accepted"), FORM_ORIGINS)
def test_forms_are_accepted_only_from_the_page_itself(
    app: Flask,
    make_site: Callable[..., Any],
    signed_in: Callable[[Any], Any],
    headers: dict[str, str],
    accepted: bool,
) -> None:
    site = make_site(moderation="pre")
    (review_id,) = seed_reviews(app, site.slug, 1)
    client = signed_in(site)
    del client.environ_base["HTTP_SEC_FETCH_SITE"]  # only what this case sends
    forms: list[tuple[str, dict[str, str]]] = [
        (f"/{site.slug}/reviews/moderate", {"ids": review_id, "action": "approve"}),
        (f"/{site.slug}/reviews/{review_id}/reply", {"reply": "forged"}),
        (f"/{site.slug}/settings", {"name": "Forged", "moderation": "post"}),
        (f"/{site.slug}/settings/keys", {"name": "forged"}),
        (
            "/account/password",
            {
                "current_password": site.password,
                "new_password": "x" * 12,
                "confirm_password": "x" * 12,
            },
        ),
        ("/logout", {}),
    ]
    for path, data in forms:
        response = client.post(ADMIN + path, data=data, headers=headers)
        if accepted:
            assert response.status_code in {201, 302}, path  # 201: a new key, shown once
        else:
            assert response.status_code == 403, path
            assert "did not come from this page" in response.get_data(as_text=True)
    if accepted:
        assert status_of(app, Review, review_id) == Status.PUBLISHED
        return
    assert status_of(app, Review, review_id) == Status.PENDING
    page = client.get(f"{ADMIN}/{site.slug}/reviews/{review_id}")
    assert page.status_code == 200  # still signed in: the logout was refused too
    assert "forged" not in page.get_data(as_text=True).lower()
    assert sign_in(browser(app), site.owner_email, site.password).status_code == 302


def test_sign_in_from_another_origin_is_refused(client: Any, site: Any) -> None:
    """Login CSRF: a page elsewhere must not sign the browser in to its own account."""
    form = {"email": site.owner_email, "password": site.password}
    refused = client.post(f"{ADMIN}/login", data=form, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert not any(h.startswith("session=") for h in refused.headers.getlist("Set-Cookie"))
    assert client.get(f"{ADMIN}/{site.slug}/reviews").status_code == 302  # not signed in


def test_the_json_api_is_not_held_to_the_admin_pages_origin(api: Any, site: Any) -> None:
    """The same-origin check is the admin page's alone: the API's writes come from widgets
    on shops' origins and from back ends (its own origin list and secret keys govern)."""
    assert api.post_review().status_code in {201, 202}
    response = api.admin("PATCH", "/site", json={"moderation": "pre"})
    assert response.status_code == 200


# ---------------------------------------------------------------- tenancy


def test_another_sites_owner_gets_404_for_everything(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    victim = make_site(moderation="pre")
    attacker = make_site()
    (review_id,) = seed_reviews(app, victim.slug, 1)
    comment_id = seed_comment(app, victim.slug)
    client = signed_in(attacker)
    mine = attacker.slug
    open_page(client, f"{ADMIN}/{mine}/reviews")
    reads = [
        f"/{victim.slug}/reviews",
        f"/{victim.slug}/comments",
        f"/{victim.slug}/insight",
        f"/{victim.slug}/settings",
        f"/{mine}/reviews/{review_id}",
    ]
    for path in reads:
        assert client.get(ADMIN + path).status_code == 404, path
    writes: list[tuple[str, dict[str, str]]] = [
        (f"/{mine}/reviews/moderate", {"ids": review_id, "action": "approve"}),
        (f"/{mine}/reviews/moderate", {"ids": review_id, "action": "delete", "confirmed": "yes"}),
        (f"/{mine}/reviews/{review_id}/reply", {"reply": "hijacked"}),
        (f"/{mine}/comments/moderate", {"ids": comment_id, "action": "spam"}),
        (f"/{mine}/comments/{comment_id}/answer", {"body": "hijacked"}),
        (f"/{victim.slug}/reviews/moderate", {"ids": review_id, "action": "approve"}),
        (f"/{victim.slug}/settings", {"name": "pwned", "moderation": "post"}),
        (f"/{victim.slug}/settings/keys", {"name": "pwned"}),
    ]
    for path, data in writes:
        response = client.post(ADMIN + path, data=data)
        assert response.status_code == 404, path
    assert status_of(app, Review, review_id) == Status.PENDING
    assert status_of(app, Comment, comment_id) == Status.PENDING
    owner = signed_in(victim)
    page = owner.get(f"{ADMIN}/{victim.slug}/reviews/{review_id}").get_data(as_text=True)
    assert "hijacked" not in page and "pwned" not in page


def test_an_owner_of_several_sites_switches_between_them(
    app: Flask, make_site: Callable[..., Any]
) -> None:
    first = make_site(slug="first-shop", owner_email="both@example.test")
    second = make_site(slug="second-shop", owner_email="both@example.test")
    seed_reviews(app, first.slug, 1, body="only in the first shop")
    client = browser(app)
    assert sign_in(client, "both@example.test", second.password).status_code == 302
    index = client.get(f"{ADMIN}/").get_data(as_text=True)
    assert f"{ADMIN}/first-shop/reviews" in index and f"{ADMIN}/second-shop/reviews" in index
    one = client.get(f"{ADMIN}/first-shop/reviews?status=all").get_data(as_text=True)
    two = client.get(f"{ADMIN}/second-shop/reviews?status=all").get_data(as_text=True)
    assert "only in the first shop" in one
    assert "only in the first shop" not in two
    assert 'aria-label="Switch site"' in two


# ---------------------------------------------------------------- the queue


def test_queue_shows_pending_by_default_with_everything_a_moderator_needs(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    published = seed_reviews(app, site.slug, 1, body="already public")
    client = signed_in(site)
    open_page(client, f"{ADMIN}/{site.slug}/settings")
    client.post(
        f"{ADMIN}/{site.slug}/settings",
        data={"name": "Acme", "moderation": "pre", "blocked_words": "viagra"},
    )
    (pending,) = seed_reviews(
        app,
        site.slug,
        1,
        rating=2,
        title="Meh & so",
        body="Line one\nline two",
        author_name="Zoë",
        author_email="zoe@example.test",
        product="sku-9",
    )
    (spam,) = seed_reviews(app, site.slug, 1, body="cheap viagra here")
    html = client.get(f"{ADMIN}/{site.slug}/reviews").get_data(as_text=True)
    assert queue_ids(html) == [pending]
    for text in ["Meh &amp; so", "Line one\nline two", "Zoë", "zoe@example.test", "sku-9"]:
        assert text in html
    assert "★★☆☆☆" in html
    html = client.get(f"{ADMIN}/{site.slug}/reviews?status=spam").get_data(as_text=True)
    assert queue_ids(html) == [spam]
    assert "contains a blocked word" in html
    html = client.get(f"{ADMIN}/{site.slug}/reviews?status=all").get_data(as_text=True)
    assert set(queue_ids(html)) == {pending, spam, *published}


def test_queue_filters_by_product_rating_and_text(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site(moderation="pre")
    (a,) = seed_reviews(app, site.slug, 1, product="sku-a", rating=1, body="broken handle")
    (b,) = seed_reviews(app, site.slug, 1, product="sku-b", rating=5, body="lovely handle")
    (c,) = seed_reviews(app, site.slug, 1, product="sku-b", rating=1, body="late delivery")
    client = signed_in(site)
    base = f"{ADMIN}/{site.slug}/reviews"

    def ids(query: str) -> set[str]:
        response = client.get(f"{base}?{query}")
        assert response.status_code == 200
        return set(queue_ids(response.get_data(as_text=True)))

    assert ids("product=sku-b") == {b, c}
    assert ids("rating=1") == {a, c}
    assert ids("q=HANDLE") == {a, b}
    assert ids("product=sku-b&rating=1&q=late") == {c}
    # The filter form sends empty fields: they mean "any".
    assert ids("status=pending&product=&rating=&q=&sort=oldest&limit=25") == {a, b, c}
    assert ids("rating=9") == {a, b, c}  # an invalid filter is ignored, and said so
    assert "Some filters were ignored" in client.get(f"{base}?rating=9").get_data(as_text=True)


def test_queue_pages_with_keyset_cursors(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site(moderation="pre")
    seeded = seed_reviews(app, site.slug, 60)
    client = signed_in(site)
    url: str | None = f"{ADMIN}/{site.slug}/reviews?limit=25&sort=oldest"
    seen: list[str] = []
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += queue_ids(html)
        pages += 1
        match = re.search(r'rel="next" href="([^"]+)"', html)
        url = match.group(1).replace("&amp;", "&") if match else None
    assert pages == 3
    assert seen == seeded  # oldest first, no gaps, no duplicates


def test_approve_reject_and_back_show_on_the_public_api(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site(moderation="pre")
    first, second = seed_reviews(app, site.slug, 2)
    client = signed_in(site)
    open_page(client, f"{ADMIN}/{site.slug}/reviews")
    url = f"{ADMIN}/{site.slug}/reviews/moderate"
    assert public_reviews(client, site.slug)["summary"]["count"] == 0

    back = f"{ADMIN}/{site.slug}/reviews?status=pending"
    response = client.post(url, data={"ids": first, "action": "approve", "next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    assert "1 review approved." in client.get(back).get_data(as_text=True)
    body = public_reviews(client, site.slug)
    assert [r["id"] for r in body["reviews"]] == [first]
    assert body["summary"]["count"] == 1

    client.post(url, data={"ids": first, "action": "reject", "reason": "off_topic"})
    assert public_reviews(client, site.slug)["reviews"] == []
    assert status_of(app, Review, first) == Status.REJECTED
    client.post(url, data={"ids": second, "action": "spam", "reason": "spam"})
    assert status_of(app, Review, second) == Status.SPAM
    client.post(url, data={"ids": second, "action": "pending"})
    assert status_of(app, Review, second) == Status.PENDING


def test_bulk_action_on_500_reviews_is_one_request(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site(moderation="pre")
    ids = seed_reviews(app, site.slug, 500)
    client = signed_in(site)
    html = client.get(f"{ADMIN}/{site.slug}/reviews?limit=500").get_data(as_text=True)
    assert len(queue_ids(html)) == 500
    response = client.post(
        f"{ADMIN}/{site.slug}/reviews/moderate",
        data={"ids": ids, "action": "approve"},
    )
    assert response.status_code == 302
    assert public_reviews(client, site.slug)["summary"]["count"] == 500
    too_many = client.post(
        f"{ADMIN}/{site.slug}/reviews/moderate",
        data={"ids": [*ids, "rev_X"], "action": "reject"},
    )
    assert too_many.status_code == 413
    assert public_reviews(client, site.slug)["summary"]["count"] == 500


def test_nothing_selected_is_a_message_not_an_error(
    make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    client = signed_in(site)
    open_page(client, f"{ADMIN}/{site.slug}/reviews")
    response = client.post(
        f"{ADMIN}/{site.slug}/reviews/moderate",
        data={"action": "approve"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Select at least one review first." in response.get_data(as_text=True)


def test_delete_asks_for_confirmation_first(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    ids = seed_reviews(app, site.slug, 3)
    client = signed_in(site)
    open_page(client, f"{ADMIN}/{site.slug}/reviews")
    url = f"{ADMIN}/{site.slug}/reviews/moderate"
    ask = client.post(url, data={"ids": ids[:2], "action": "delete"})
    assert ask.status_code == 200
    page = ask.get_data(as_text=True)
    assert "Delete 2 reviews for good?" in page
    assert status_of(app, Review, ids[0]) == Status.PUBLISHED
    # The confirmation page's own form does the deletion.
    form = dict(re.findall(r'name="(action|confirmed)" value="([^"]+)"', page))
    posted = re.findall(r'name="ids" value="([^"]+)"', page)
    assert posted == ids[:2]
    done = client.post(url, data={"ids": posted, **form})
    assert done.status_code == 302
    assert status_of(app, Review, ids[0]) is None and status_of(app, Review, ids[1]) is None
    assert public_reviews(client, site.slug)["summary"]["count"] == 1


def test_reply_in_public_and_remove_it(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    (review_id,) = seed_reviews(app, site.slug, 1)
    client = signed_in(site)
    open_page(client, f"{ADMIN}/{site.slug}/reviews?status=all")
    url = f"{ADMIN}/{site.slug}/reviews/{review_id}/reply"
    assert client.post(url, data={"reply": "  Thanks, Ada!  "}).status_code
    (review,) = public_reviews(client, site.slug)["reviews"]
    assert review["reply"]["body"] == "Thanks, Ada!"
    client.post(url, data={"reply": ""})
    (review,) = public_reviews(client, site.slug)["reviews"]
    assert review["reply"] is None
    too_long = client.post(url, data={"reply": "x" * 5001}, follow_redirects=True)
    assert "Reply not saved" in too_long.get_data(as_text=True)


def test_answer_a_comment_as_the_shop(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    comment_id = seed_comment(app, site.slug, body="Does it come in blue?")
    client = signed_in(site)
    html = client.get(f"{ADMIN}/{site.slug}/comments?status=all").get_data(as_text=True)
    assert comment_id in queue_ids(html)
    response = client.post(
        f"{ADMIN}/{site.slug}/comments/{comment_id}/answer",
        data={"body": "Yes, since May!"},
    )
    assert response.status_code == 302
    thread = client.get(f"/api/v1/sites/{site.slug}/products/sku-1/comments").get_json()
    answer = next(c for c in thread["comments"] if c["body"] == "Yes, since May!")
    assert answer["is_owner"] is True
    assert answer["parent_id"] == comment_id


def test_comment_queue_moderates_in_bulk(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    ids = [seed_comment(app, site.slug, body=f"comment {i}") for i in range(3)]
    client = signed_in(site)
    open_page(client, f"{ADMIN}/{site.slug}/comments")
    response = client.post(
        f"{ADMIN}/{site.slug}/comments/moderate",
        data={"ids": ids[:2], "action": "reject", "reason": "offensive"},
    )
    assert response.status_code == 302
    statuses = [status_of(app, Comment, i) for i in ids]
    assert statuses == [Status.REJECTED, Status.REJECTED, Status.PUBLISHED]
    html = client.get(f"{ADMIN}/{site.slug}/comments?status=rejected").get_data(as_text=True)
    assert set(queue_ids(html)) == set(ids[:2])


def test_submitted_text_is_escaped(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    seed_reviews(app, site.slug, 1, body=payload, title=payload, author_name='"><b>x')
    client = signed_in(site)
    for path in ["reviews?status=all", "insight"]:
        html = client.get(f"{ADMIN}/{site.slug}/{path}").get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>x" not in html
    html = client.get(f"{ADMIN}/{site.slug}/reviews?status=all").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ---------------------------------------------------------------- insight


def test_insight_counts_average_histogram_chart_and_lowest_products(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    seed_reviews(app, site.slug, 2, product="good", rating=5)
    seed_reviews(app, site.slug, 1, product="bad", rating=1)
    held = seed_reviews(app, site.slug, 1, product="bad", rating=2)
    set_status(app, site.slug, held, Status.PENDING)
    client = signed_in(site)
    html = client.get(f"{ADMIN}/{site.slug}/insight").get_data(as_text=True)
    assert 'data-count="reviews-published">3<' in html
    assert 'data-count="reviews-pending">1<' in html
    assert '<p class="big" id="average">3.67</p>' in html
    assert html.count('class="day"') == 90
    assert "<title>5 stars: 2</title>" in html and "<title>1 star: 1</title>" in html
    lowest = re.findall(r"status=published&amp;sort=newest\">([^<]+)</a>", html)
    assert lowest == ["bad", "good"]


# ---------------------------------------------------------------- settings


def test_settings_take_effect_on_the_next_public_submission(
    app: Flask, api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    open_page(client, f"{ADMIN}/{site.slug}/settings")
    response = client.post(
        f"{ADMIN}/{site.slug}/settings",
        data={
            "name": "Acme & Co",
            "allowed_origins": "https://acme.example\n\nhttps://www.acme.example:443/",
            "moderation": "pre",
            "blocked_words": "Spamword\nspamword",
        },
    )
    assert response.status_code == 302
    settings = api.admin("GET", "/site").get_json()
    assert settings["name"] == "Acme & Co"
    assert settings["allowed_origins"] == ["https://acme.example", "https://www.acme.example"]
    assert settings["moderation"] == "pre"
    assert settings["blocked_words"] == ["Spamword"]
    created = api.post_review(body="held for approval")
    assert created.get_json()["status"] == "pending"
    assert public_reviews(client, site.slug)["reviews"] == []
    html = client.get(f"{ADMIN}/{site.slug}/reviews").get_data(as_text=True)
    assert "held for approval" in html


def test_invalid_settings_are_refused_with_the_form_kept(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    open_page(client, f"{ADMIN}/{site.slug}/settings")
    response = client.post(
        f"{ADMIN}/{site.slug}/settings",
        data={
            "name": "Acme",
            "allowed_origins": "https://ok.example\njavascript:alert(1)",
            "moderation": "sometimes",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "line 2: Must be an origin" in html
    assert "javascript:alert(1)" in html  # the form keeps what was typed
    assert api.admin("GET", "/site").get_json()["allowed_origins"] == ["http://shop.test"]


def test_api_keys_are_shown_once_and_revoked(
    client: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    owner = signed_in(site)
    open_page(owner, f"{ADMIN}/{site.slug}/settings")
    created = owner.post(f"{ADMIN}/{site.slug}/settings/keys", data={"name": "Shop backend"})
    assert created.status_code == 201
    secret = re.search(r'<code id="new-secret">(sk_live_[^<]+)</code>', created.get_data(True))
    assert secret
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/api/v1/admin/site", headers=headers).status_code == 200
    listing = owner.get(f"{ADMIN}/{site.slug}/settings").get_data(as_text=True)
    assert "Shop backend" in listing and secret.group(1) not in listing
    key_id = re.search(r'id="key-(key_[0-9A-Z]+)"[^>]*>\s*<td>Shop backend', listing)
    assert key_id
    revoked = owner.post(f"{ADMIN}/{site.slug}/settings/keys/{key_id.group(1)}/revoke")
    assert revoked.status_code == 302
    assert client.get("/api/v1/admin/site", headers=headers).status_code == 401
    # The site's first key still works.
    first = {"Authorization": f"Bearer {site.api_key}"}
    assert client.get("/api/v1/admin/site", headers=first).status_code == 200


def test_change_password_signs_out_other_sessions(
    app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    here, elsewhere = signed_in(site), signed_in(site)
    open_page(here, f"{ADMIN}/account")
    url = f"{ADMIN}/account/password"
    new = "a much better password"
    wrong = here.post(
        url,
        data={
            "current_password": "nope",
            "new_password": new,
            "confirm_password": new,
        },
    )
    assert wrong.status_code == 422
    assert "This is not your current password." in wrong.get_data(as_text=True)
    short = here.post(
        url,
        data={
            "current_password": site.password,
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    assert short.status_code == 422
    done = here.post(
        url,
        data={
            "current_password": site.password,
            "new_password": new,
            "confirm_password": new,
        },
    )
    assert done.status_code == 302
    assert here.get(f"{ADMIN}/{site.slug}/reviews").status_code == 200
    assert elsewhere.get(f"{ADMIN}/{site.slug}/reviews").status_code == 302
    assert sign_in(browser(app), site.owner_email, site.password).status_code == 401
    assert sign_in(browser(app), site.owner_email, new).status_code == 302


def test_review_page_shows_the_review_and_its_thread(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    (review_id,) = seed_reviews(app, site.slug, 1, body="the review itself")
    seed_comment(app, site.slug, body="a question on it", review_id=review_id)
    seed_comment(app, site.slug, body="not on this review")
    client = signed_in(site)
    page = f"{ADMIN}/{site.slug}/reviews/{review_id}"
    html = client.get(page).get_data(as_text=True)
    assert "the review itself" in html and "a question on it" in html
    assert "not on this review" not in html
    # Deleting it from its own page lands on the queue, not on a 404.
    response = client.post(
        f"{ADMIN}/{site.slug}/reviews/moderate",
        data={
            "ids": review_id,
            "action": "delete",
            "confirmed": "yes",
            "next": page,
        },
    )
    assert response.headers["Location"] == f"{ADMIN}/{site.slug}/reviews"
    assert client.get(page).status_code == 404


def test_redis_down_does_not_throttle_moderation(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any], own_redis: Any
) -> None:
    """flask-limiter's strict in-memory fallback must not reach signed-in pages."""
    app = app_factory(REDIS_URL=own_redis.url, REDIS_COOLDOWN=30, RATELIMIT_ENABLED=True)
    site = make_site(moderation="pre")
    ids = seed_reviews(app, site.slug, 6)
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    open_page(client, f"{ADMIN}/{site.slug}/reviews")
    own_redis.kill()
    for review_id in ids:
        response = client.post(
            f"{ADMIN}/{site.slug}/reviews/moderate",
            data={"ids": review_id, "action": "approve"},
        )
        assert response.status_code == 302
    assert [status_of(app, Review, i) for i in ids] == [Status.PUBLISHED] * 6
    # The sign-in form stays limited: by the fallback limit now.
    codes = [sign_in(browser(app), site.owner_email, "wrong").status_code for _ in range(6)]
    assert 429 in codes


@pytest.mark.parametrize(
    "path",
    [
        "/{slug}/reviews",
        "/{slug}/reviews?status=all&q=x",
        "/{slug}/reviews/{review}",
        "/{slug}/comments",
        "/{slug}/insight",
        "/{slug}/settings",
        "/account",
        "/nosuch-site/reviews",  # the 404 page
        "/{slug}/reviews/rev_00000000000000000000000000",  # another 404
    ],
)
def test_every_admin_page_sends_the_security_headers(
    app: Flask, site: Any, signed_in: Callable[[Any], Any], path: str
) -> None:
    (review_id,) = seed_reviews(app, site.slug, 1)
    client = signed_in(site)
    response = client.get(ADMIN + path.format(slug=site.slug, review=review_id))
    assert response.status_code in {200, 404}
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "<style" not in html
