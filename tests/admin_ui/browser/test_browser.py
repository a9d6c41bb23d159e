"""The admin page in real headless Chromium against the real server over HTTP.

One backend (SQLite) keeps these quick: the flows are backend-independent, and the same
flows run on both databases through the test client in ``test_pages.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from plaudit_server.models import Review, Status

from ..helpers import seed_comment, seed_reviews, set_status, status_of
from .conftest import off_loop

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect


def seed(app: Flask, slug: str, count: int, **fields: Any) -> list[str]:
    return off_loop(seed_reviews, app, slug, count, **fields)


def comment(app: Flask, slug: str, **fields: Any) -> str:
    return off_loop(seed_comment, app, slug, **fields)


def status(app: Flask, model: Any, item_id: str) -> Status | None:
    return off_loop(status_of, app, model, item_id)


def get(app: Flask, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """A request through the test client (off the loop): status and JSON body."""

    def call() -> tuple[int, Any]:
        response = app.test_client().get(path, headers=headers)
        return response.status_code, response.get_json(silent=True)

    return off_loop(call)


@pytest.fixture
def watched(page: Any) -> Iterator[Any]:
    """The page, failing the test on any script error, dialog or console error (a CSP
    violation is one); error statuses a test asks for are not script errors."""
    problems: list[str] = []

    def on_dialog(dialog: Any) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("dialog", on_dialog)
    page.on("console", on_console)
    yield page
    assert problems == []


def sign_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def section(page: Any, name: str) -> None:
    """Go to a section through the top navigation."""
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=name).click()


def public_ids(app: Flask, slug: str, product: str = "sku-1") -> list[str]:
    _, body = get(app, f"/api/v1/sites/{slug}/products/{product}/reviews")
    return [r["id"] for r in body["reviews"]]


def test_sign_in_refuses_a_bad_password_then_lands_on_the_queue(
    watched: Any, live_server: Any, site: Any
) -> None:
    sign_in(watched, live_server.url, site.owner_email, "wrong password")
    expect(watched.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(watched.get_by_label("Email")).to_have_value(site.owner_email)
    watched.get_by_label("Password").fill(site.password)
    watched.get_by_role("button", name="Sign in").click()
    expect(watched).to_have_url(f"{live_server.url}/admin/{site.slug}/reviews")
    expect(watched.get_by_role("heading", name="Reviews")).to_be_visible()
    cookie = next(c for c in watched.context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    watched.get_by_role("button", name="Sign out").click()
    expect(watched.get_by_text("You are signed out.")).to_be_visible()
    watched.goto(f"{live_server.url}/admin/{site.slug}/reviews")
    expect(watched).to_have_url(re.compile(r"/admin/login"))


def test_sign_in_is_throttled_after_repeated_failures(
    watched: Any, site: Any, throttled_url: str
) -> None:
    # (``site`` first: flask-limiter's enabled flag is global and the last app made
    # sets it, so the throttled app must be made after the site's default app.)
    for _ in range(3):
        sign_in(watched, throttled_url, site.owner_email, "wrong password")
        expect(watched.get_by_role("alert")).to_have_text("Wrong email or password.")
    # The fourth try is refused before the password is even checked, right or not.
    with watched.expect_response(re.compile(r"/admin/login$")) as answer:
        sign_in(watched, throttled_url, site.owner_email, site.password)
    assert answer.value.status == 429
    expect(watched.get_by_text("Too many attempts")).to_be_visible()
    watched.goto(f"{throttled_url}/admin/{site.slug}/reviews")
    expect(watched).to_have_url(re.compile(r"/admin/login"))


def reject(card: Any, reason: str = "other") -> None:
    """Reject the item of ``card`` through its form, which asks for a reason."""
    card.get_by_text("Reject…").click()
    card.get_by_label("Reason (the author is told)").select_option(reason)
    card.get_by_role("button", name="Reject", exact=True).click()


def test_approve_and_reject_show_on_the_public_api(
    watched: Any, app: Flask, live_server: Any, make_site: Callable[..., Any]
) -> None:
    site = make_site(moderation="pre")
    first, second = seed(app, site.slug, 2)
    sign_in(watched, live_server.url, site.owner_email, site.password)
    expect(watched.locator("li.item")).to_have_count(2)
    watched.locator(f"#item-{first}").get_by_role("button", name="Approve").click()
    expect(watched.get_by_text("1 review approved.")).to_be_visible()
    expect(watched.locator("li.item")).to_have_count(1)  # the pending queue moved on
    assert public_ids(app, site.slug) == [first]
    reject(watched.locator(f"#item-{second}"))
    expect(watched.get_by_text("1 review rejected.")).to_be_visible()
    expect(watched.get_by_text("No pending reviews.")).to_be_visible()
    assert status(app, Review, second) == Status.REJECTED
    watched.get_by_role("link", name=re.compile("^Published")).click()
    reject(watched.locator(f"#item-{first}"))
    expect(watched.locator(f"#item-{first}")).to_have_count(0)
    assert public_ids(app, site.slug) == []


def test_bulk_approve_with_select_all(
    watched: Any, app: Flask, live_server: Any, make_site: Callable[..., Any]
) -> None:
    site = make_site(moderation="pre")
    ids = seed(app, site.slug, 30)
    sign_in(watched, live_server.url, site.owner_email, site.password)
    watched.get_by_label("Per page").select_option("100")
    watched.get_by_role("button", name="Filter").click()
    expect(watched.locator("li.item")).to_have_count(30)
    watched.get_by_label("Select all on this page").check()
    expect(watched.locator("output[data-selected-count]")).to_have_text("30 selected")
    # Unticking one leaves 29; the select-all box turns indeterminate.
    watched.locator(f"#item-{ids[0]}").get_by_role("checkbox").uncheck()
    expect(watched.locator("output[data-selected-count]")).to_have_text("29 selected")
    watched.get_by_role("button", name="Approve selected").click()
    expect(watched.get_by_text("29 reviews approved.")).to_be_visible()
    expect(watched.locator("li.item")).to_have_count(1)
    assert len(public_ids(app, site.slug)) == 10  # the public page size
    _, summary = get(app, f"/api/v1/sites/{site.slug}/summaries?products=sku-1")
    assert summary["summaries"]["sku-1"]["count"] == 29


def test_delete_goes_through_a_confirmation_page(
    watched: Any, app: Flask, live_server: Any, site: Any
) -> None:
    (review_id,) = seed(app, site.slug, 1, body="delete me")
    sign_in(watched, live_server.url, site.owner_email, site.password)
    watched.get_by_role("link", name=re.compile("^All")).click()
    watched.locator(f"#item-{review_id}").get_by_role("button", name="Delete…").click()
    expect(watched.get_by_role("heading")).to_have_text("Delete 1 review for good?")
    watched.get_by_role("link", name="Cancel").click()
    assert status(app, Review, review_id) == Status.PUBLISHED
    watched.locator(f"#item-{review_id}").get_by_role("button", name="Delete…").click()
    watched.get_by_role("button", name="Delete for good").click()
    expect(watched.get_by_text("1 review deleted.")).to_be_visible()
    assert status(app, Review, review_id) is None


def test_reply_in_public_shows_on_the_public_api(
    watched: Any, app: Flask, live_server: Any, site: Any
) -> None:
    (review_id,) = seed(app, site.slug, 1)
    sign_in(watched, live_server.url, site.owner_email, site.password)
    watched.get_by_role("link", name=re.compile("^Published")).click()
    item = watched.locator(f"#item-{review_id}")
    item.get_by_text("Reply in public").click()
    item.get_by_label(re.compile("Public reply from")).fill("Thank you, glad it works!")
    item.get_by_role("button", name="Publish reply").click()
    expect(watched.get_by_text("Reply published.")).to_be_visible()
    expect(watched.locator(f"#item-{review_id} .reply-body")).to_have_text(
        "Thank you, glad it works!"
    )
    _, body = get(app, f"/api/v1/sites/{site.slug}/products/sku-1/reviews")
    assert body["reviews"][0]["reply"]["body"] == "Thank you, glad it works!"


def test_reply_shows_in_the_widget_on_the_shop_page(
    watched: Any, app: Flask, live_server: Any, make_site: Callable[..., Any]
) -> None:
    """The demo shop (``/demo``) embeds the real widget for the site ``demo``."""
    site = make_site(slug="demo", origins=(live_server.url,))
    (review_id,) = seed(app, site.slug, 1, product="grinder-aurora", body="Grinds evenly.")
    sign_in(watched, live_server.url, site.owner_email, site.password)
    watched.get_by_role("link", name=re.compile("^Published")).click()
    item = watched.locator(f"#item-{review_id}")
    item.get_by_text("Reply in public").click()
    item.get_by_label(re.compile("Public reply from")).fill("Thanks! <b>Enjoy</b> it.")
    item.get_by_role("button", name="Publish reply").click()
    expect(watched.get_by_text("Reply published.")).to_be_visible()
    watched.goto(f"{live_server.url}/demo/products/grinder-aurora")
    widget = watched.locator("[data-plaudit-reviews]")
    expect(widget.get_by_text("Grinds evenly.")).to_be_visible()
    expect(widget.locator(".rep .b")).to_have_text("Thanks! <b>Enjoy</b> it.")


def test_answer_a_comment_as_the_shop(
    watched: Any, app: Flask, live_server: Any, site: Any
) -> None:
    comment_id = comment(app, site.slug, body="Is it dishwasher safe?")
    sign_in(watched, live_server.url, site.owner_email, site.password)
    section(watched, "Comments")
    watched.get_by_role("link", name=re.compile("^Published")).click()
    item = watched.locator(f"#item-{comment_id}")
    item.get_by_text("Answer as the shop").click()
    item.get_by_label(re.compile("Answer from")).fill("Yes, top rack.")
    item.get_by_role("button", name="Publish answer").click()
    expect(watched.get_by_text("Answer published as the shop.")).to_be_visible()
    expect(watched.locator("li.item .badge-owner")).to_have_count(1)
    _, thread = get(app, f"/api/v1/sites/{site.slug}/products/sku-1/comments")
    answers = [c for c in thread["comments"] if c["is_owner"]]
    assert [a["body"] for a in answers] == ["Yes, top rack."]


def test_pre_moderation_holds_the_next_public_submission(
    watched: Any, app: Flask, live_server: Any, api: Any, site: Any
) -> None:
    sign_in(watched, live_server.url, site.owner_email, site.password)
    section(watched, "Settings")
    watched.get_by_label(re.compile(r"Hold everything for approval")).check()
    watched.get_by_label(re.compile("Allowed origins")).fill("https://acme.example")
    watched.get_by_role("button", name="Save settings").click()
    expect(watched.get_by_text("Settings saved.")).to_be_visible()
    response = off_loop(api.post_review, body="please hold me")
    assert response.get_json()["status"] == "pending"
    assert public_ids(app, site.slug) == []
    section(watched, "Reviews")
    expect(watched.locator("li.item .body")).to_have_text(["please hold me"])
    _, settings = get(app, "/api/v1/admin/site", {"Authorization": f"Bearer {site.api_key}"})
    assert settings["allowed_origins"] == ["https://acme.example"]


def test_a_new_api_key_is_shown_once(watched: Any, app: Flask, live_server: Any, site: Any) -> None:
    sign_in(watched, live_server.url, site.owner_email, site.password)
    section(watched, "Settings")
    watched.get_by_label("New key name").fill("Nightly export")
    watched.get_by_role("button", name="Create key").click()
    secret = watched.locator("#new-secret").inner_text()
    assert secret.startswith("sk_live_")
    headers = {"Authorization": f"Bearer {secret}"}
    assert get(app, "/api/v1/admin/site", headers)[0] == 200
    section(watched, "Settings")
    expect(watched.locator("#new-secret")).to_have_count(0)
    expect(watched.get_by_role("row", name=re.compile("Nightly export"))).to_be_visible()


SUBMIT_FORM = """([action, fields]) => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = action;
    for (const [name, value] of fields) {
        const input = document.createElement("input");
        input.name = name;
        input.value = value;
        form.append(input);
    }
    document.body.append(form);
    form.submit();
}"""


def post_form(page: Any, action: str, fields: dict[str, str]) -> None:
    """Submit a real form from whatever page ``page`` shows, as that page's origin."""
    with page.expect_navigation():
        page.evaluate(SUBMIT_FORM, [action, list(fields.items())])


def test_forms_from_other_origins_are_refused(
    watched: Any, app: Flask, live_server: Any, make_site: Callable[..., Any]
) -> None:
    site = make_site(moderation="pre")
    (review_id,) = seed(app, site.slug, 1)
    sign_in(watched, live_server.url, site.owner_email, site.password)
    expect(watched.locator(f"#item-{review_id}")).to_be_visible()
    action = f"{live_server.url}/admin/{site.slug}/reviews/moderate"
    fields = {"ids": review_id, "action": "approve"}
    # With the session cookie (the context's cookie jar) but not from a browser's page.
    scripted = watched.request.post(action, form=fields, max_redirects=0)
    assert scripted.status == 403
    # Another site (evil.test resolves to the same server, but is not 127.0.0.1's site):
    # the browser withholds the SameSite=Lax cookie, and says cross-site.
    watched.goto(live_server.url.replace("127.0.0.1", "evil.test") + "/healthz")
    post_form(watched, action, fields)
    expect(watched.get_by_role("heading", name="403")).to_be_visible()
    # Another port of the same host: the same site, so the cookie goes along, and only
    # the origin check stands in the way. The page is served by the browser's router.
    elsewhere = "http://127.0.0.1:9/"
    watched.route(
        elsewhere, lambda route: route.fulfill(body="<p>hi</p>", content_type="text/html")
    )
    watched.goto(elsewhere)
    post_form(watched, action, fields)
    expect(watched.get_by_role("heading", name="403")).to_be_visible()
    assert status(app, Review, review_id) == Status.PENDING
    # The admin page's own forms, from its own origin, still work.
    watched.goto(f"{live_server.url}/admin/{site.slug}/reviews")
    post_form(watched, action, fields)
    expect(watched.get_by_role("heading", name="403")).to_have_count(0)
    assert status(app, Review, review_id) == Status.PUBLISHED


def test_an_xss_payload_shows_as_text_and_runs_nothing(
    watched: Any, app: Flask, live_server: Any, site: Any
) -> None:
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    title = '"><svg onload=alert(3)>'
    (review_id,) = seed(app, site.slug, 1, body=payload, title=title, author_name=title)
    comment_id = comment(app, site.slug, body=payload, author_name=title)
    sign_in(watched, live_server.url, site.owner_email, site.password)
    watched.get_by_role("link", name=re.compile("^All")).click()
    item = watched.locator(f"#item-{review_id}")
    expect(item.locator(".body")).to_have_text(payload)
    expect(item.locator(".title")).to_have_text(title)
    expect(item.locator(".author")).to_have_text(title)
    assert watched.locator("li.item img, li.item script, li.item svg").count() == 0
    section(watched, "Comments")
    watched.get_by_role("link", name=re.compile("^All")).click()
    expect(watched.locator(f"#item-{comment_id} .body")).to_have_text(payload)
    section(watched, "Insight")
    expect(watched.locator("svg.per-day rect.day")).to_have_count(90)


def test_another_owner_guessing_ids_gets_404(
    watched: Any, app: Flask, live_server: Any, make_site: Callable[..., Any]
) -> None:
    victim = make_site(moderation="pre")
    attacker = make_site()
    (review_id,) = seed(app, victim.slug, 1)
    sign_in(watched, live_server.url, attacker.owner_email, attacker.password)
    for path in [f"{victim.slug}/reviews", f"{attacker.slug}/reviews/{review_id}"]:
        response = watched.goto(f"{live_server.url}/admin/{path}")
        assert response is not None and response.status == 404
    # A real form from the attacker's own page (same origin), aimed at the victim's id.
    watched.goto(f"{live_server.url}/admin/{attacker.slug}/reviews")
    action = f"{live_server.url}/admin/{attacker.slug}/reviews/moderate"
    post_form(watched, action, {"ids": review_id, "action": "approve"})
    expect(watched.get_by_role("heading", name="404")).to_be_visible()
    assert status(app, Review, review_id) == Status.PENDING


# ---------------------------------------------------------------- accessibility


def test_every_admin_page_has_no_wcag_violations(
    watched: Any,
    axe: Callable[..., Any],
    app: Flask,
    live_server: Any,
    make_site: Callable[..., Any],
    site: Any,
    throttled_url: str,
) -> None:
    """axe-core (WCAG 2.2 A and AA) on every page an owner can see, with content in it:
    sign-in (and its error), each queue tab with items, a review with its thread, the
    comments, insight, settings (with a new key and with errors), the account page, the
    delete confirmation, the list of sites, and the error pages."""
    url = live_server.url
    base = f"{url}/admin/{site.slug}"
    other = make_site(owner_email=site.owner_email)  # the same owner: the list of sites
    ids = seed(app, site.slug, 3, title="Solid grinder")
    spam = seed(app, site.slug, 1, hp="bot")
    comment(app, site.slug, review_id=ids[0])
    comment(app, site.slug)
    off_loop(set_status, app, site.slug, ids[1:2], Status.REJECTED)
    assert other and spam

    watched.goto(f"{url}/admin/login")
    axe(watched)
    sign_in(watched, url, site.owner_email, "wrong password")
    expect(watched.get_by_role("alert")).to_be_visible()
    axe(watched)  # the refused sign-in, with its error
    watched.get_by_label("Password").fill(site.password)
    watched.get_by_role("button", name="Sign in").click()
    expect(watched.get_by_role("heading", name="Sites")).to_be_visible()
    axe(watched)

    for kind in ("reviews", "comments"):
        for status_name in ("pending", "published", "rejected", "spam", "all"):
            watched.goto(f"{base}/{kind}?status={status_name}")
            axe(watched)
    watched.goto(f"{base}/reviews?status=all&q=grinder&rating=4&product=sku-1")
    axe(watched)
    watched.goto(f"{base}/reviews/{ids[0]}")
    axe(watched)
    watched.goto(f"{base}/reviews?status=all")
    watched.locator(f"#item-{ids[0]}").get_by_role("button", name="Delete…").click()
    expect(watched.get_by_role("button", name="Delete for good")).to_be_visible()
    axe(watched)  # the confirmation
    for page in ("insight", "settings"):
        watched.goto(f"{base}/{page}")
        axe(watched)
    watched.get_by_label(re.compile("^Allowed origins")).fill("not an origin")
    watched.get_by_role("button", name="Save settings").click()
    expect(watched.get_by_text(re.compile("line 1"))).to_be_visible()
    axe(watched)  # settings refused, with their errors
    watched.goto(f"{base}/settings")
    watched.get_by_label("New key name").fill("shop backend")
    watched.get_by_role("button", name="Create key").click()
    axe(watched)  # a new key, shown once
    watched.goto(f"{url}/admin/account")
    axe(watched)
    watched.get_by_label("Current password").fill("not my password")
    watched.get_by_label("New password", exact=True).fill("a long new password")
    watched.get_by_label("New password again").fill("another long password")
    watched.get_by_role("button", name="Change password").click()
    expect(watched.get_by_text("This is not your current password.")).to_be_visible()
    axe(watched)  # the password form's errors
    watched.goto(f"{url}/admin/no-such-site/reviews")
    expect(watched.get_by_role("heading", name="404")).to_be_visible()
    axe(watched)
    post_form(watched, f"{url}/admin/{site.slug}/reviews/moderate", {"action": "nonsense"})
    axe(watched)  # 400 or "select at least one": whichever page it is
    watched.goto(url.replace("127.0.0.1", "evil.test") + "/healthz")
    post_form(watched, f"{base}/reviews/moderate", {"ids": ids[2], "action": "approve"})
    expect(watched.get_by_role("heading", name="403")).to_be_visible()
    axe(watched)
    watched.goto(f"{base}/reviews")
    watched.get_by_role("button", name="Sign out").click()
    for _ in range(4):
        sign_in(watched, throttled_url, site.owner_email, "wrong password")
    expect(watched.get_by_text("Too many attempts")).to_be_visible()
    axe(watched)  # 429
