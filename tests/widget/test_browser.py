"""The widget in real headless Chromium, embedded cross-origin in a shop page.

The shop (http://shop.test:P1) and Plaudit (http://plaudit.test:P2) are two servers, so
every call is a real CORS request and every POST carries the shop's Origin.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .conftest import Plaudit, off_loop

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

PRODUCT = "sku-1"
NOISE = ("Failed to load resource",)  # Chromium logs every 4xx answer fetch() got


def mount(site: str, product: str = PRODUCT, **attrs: str) -> str:
    extra = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<div data-plaudit-reviews data-site="{site}" data-product="{product}" {extra}></div>'


def badge(site: str, product: str) -> str:
    return f'<span data-plaudit-stars data-site="{site}" data-product="{product}"></span>'


def open_page(
    page: Page,
    plaudit: Plaudit,
    body: str,
    *,
    head: str = "",
    lang: str = "en",
    headers: dict[str, str] | None = None,
) -> dict[str, list[str]]:
    """Load a shop page embedding the widget; returns the console errors and API calls."""
    seen: dict[str, list[str]] = {"errors": [], "api": []}
    page.on("pageerror", lambda exc: seen["errors"].append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: msg.type == "error" and seen["errors"].append(f"console: {msg.text}"),
    )
    page.on(
        "request",
        lambda req: "/api/" in req.url and seen["api"].append(f"{req.method} {req.url}"),
    )
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>'
        f"{head}</head><body><h1>A shop</h1>{body}{plaudit.script}</body></html>"
    )
    page.goto(plaudit.shop.page(html, headers))
    return seen


def real_errors(seen: dict[str, list[str]]) -> list[str]:
    return [e for e in seen["errors"] if not any(n in e for n in NOISE)]


def widget(page: Page) -> Any:
    return page.locator("[data-plaudit-reviews]")


def reply(plaudit: Plaudit, slug: str, review_id: str, text: str) -> None:
    from plaudit_server.extensions import db
    from plaudit_server.services import reviews, sites

    with plaudit.app.app_context():
        site = sites.site_by_slug(db.session, slug)
        reviews.update_review(db.session, site, review_id, {"reply": text})
        db.session.commit()


def seed(plaudit: Plaudit, site: str, ratings: list[int], product: str = PRODUCT) -> list[str]:
    return [
        plaudit.review(site, product, i, rating=r, body=f"Review {i} rated {r}")
        for i, r in enumerate(ratings)
    ]


def test_first_render_is_one_request_with_summary_list_reply_and_jsonld(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    seed(plaudit, site, [5, 5, 4, 3, 1, 5, 4, 2, 5, 5, 4, 5])
    plaudit.review(
        site,
        PRODUCT,
        99,
        rating=4,
        title="With a reply",
        body="Nice",
        verified_buyer=True,
    )
    review_id = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")["reviews"][0]["id"]
    off_loop(reply, plaudit, site, review_id, "Thanks from the shop!")

    seen = open_page(page, plaudit, mount(site, product_name="Aurora grinder"))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(10)
    expect(w.locator(".cnt")).to_have_text("13 reviews")
    expect(w.locator(".big")).to_have_text("4.0")
    first = w.locator(".rv").first
    expect(first.locator(".t")).to_have_text("With a reply")
    expect(first.locator(".vb")).to_contain_text("Verified buyer")
    expect(first.locator(".rep")).to_contain_text("Thanks from the shop!")
    expect(w.get_by_role("button", name="Show more reviews")).to_be_visible()
    ld = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
    assert ld["@type"] == "Product" and ld["name"] == "Aurora grinder"
    assert ld["aggregateRating"]["reviewCount"] == 13
    assert ld["aggregateRating"]["ratingValue"] == 4.0
    assert len(ld["review"]) == 10
    assert [u.split("?")[0] for u in seen["api"]] == [
        f"GET {plaudit.origin}/api/v1/sites/{site}/products/{PRODUCT}/reviews"
    ]
    assert seen["errors"] == []


def test_markup_named_current_script_does_not_move_the_api(page: Page, plaudit: Plaudit) -> None:
    """``<img name="currentScript">`` shadows ``document.currentScript`` (the pattern
    of CVE-2024-43788): the widget must still talk to the server it came from."""
    site = plaudit.site()
    plaudit.review(site, PRODUCT)
    decoy = '<img name="currentScript" src="http://evil.test:9/decoy.js" alt="">'
    seen = open_page(page, plaudit, decoy + mount(site))
    expect(widget(page).locator(".rv")).to_have_count(1)
    assert page.evaluate("document.currentScript.tagName") == "IMG"  # really shadowed
    assert page.evaluate("window.Plaudit.origin") == plaudit.origin
    assert seen["api"]
    assert all(call.split(" ", 1)[1].startswith(plaudit.origin + "/") for call in seen["api"])


def test_sort_filter_and_show_more(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seed(plaudit, site, [3, 5, 1, 2, 4, 5, 2, 3, 1, 4, 5, 2])
    seen = open_page(page, plaudit, mount(site, limit="5"))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(5)
    expect(w.locator(".rv .b").first).to_have_text("Review 11 rated 2")  # newest first

    w.get_by_label("Sort by").select_option("highest")
    expect(w.locator(".rv .b").first).to_have_text("Review 10 rated 5")
    expect(w.locator(".rv").nth(3).locator(".b")).to_have_text("Review 9 rated 4")

    w.get_by_role("button", name="2 ★, 3 reviews").click()
    expect(w.locator(".rv")).to_have_count(3)
    expect(w.locator(".rv .b")).to_have_text(
        ["Review 11 rated 2", "Review 6 rated 2", "Review 3 rated 2"]
    )
    expect(w.get_by_role("button", name="2 ★, 3 reviews")).to_have_attribute("aria-pressed", "true")
    expect(w.get_by_role("button", name="Show more reviews")).to_be_hidden()
    w.get_by_role("button", name="Show all reviews").click()
    expect(w.locator(".rv")).to_have_count(5)

    more = w.get_by_role("button", name="Show more reviews")
    more.click()
    expect(w.locator(".rv")).to_have_count(10)
    more.click()
    expect(w.locator(".rv")).to_have_count(12)
    expect(more).to_be_hidden()
    texts = w.locator(".rv .b").all_text_contents()
    assert len(set(texts)) == 12  # no duplicates, no gaps across pages
    expect(w.locator("[aria-live]")).to_have_text("Showing 12 of 12 reviews.")
    ratings = [int(t.rsplit(" ", 1)[1]) for t in texts]
    assert ratings == sorted(ratings, reverse=True)
    assert real_errors(seen) == []


def review_form(w: Any) -> Any:
    return w.locator("form").first  # the review form comes before the comment forms


def fill_review(w: Any, *, stars: int, body: str, name: str, title: str = "") -> None:
    w.get_by_role("button", name="Write a review").click()
    form = review_form(w)
    form.get_by_role("radio", name=f"{stars} star" + ("s" if stars > 1 else "")).check()
    if title:
        form.get_by_label("Title (optional)").fill(title)
    form.get_by_label("Your review").fill(body)
    form.get_by_label("Your name").fill(name)


@pytest.mark.parametrize(
    ("moderation", "message", "listed"),
    [
        ("post", "Thank you! Your review is published.", True),
        ("pre", "Thank you! Your review will appear once approved.", False),
    ],
)
def test_submit_review_under_both_policies(
    page: Page, plaudit: Plaudit, moderation: str, message: str, listed: bool
) -> None:
    site = plaudit.site(moderation=moderation)
    seed(plaudit, site, [5] if moderation == "post" else [])
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    expect(w.locator(".cnt")).to_have_text("1 review" if moderation == "post" else "0 reviews")
    fill_review(w, stars=2, body="Too loud, but it works.", name="Bo", title="Meh")
    w.get_by_role("button", name="Submit review").dblclick()  # a double click posts once
    expect(w.locator(".msg.good").first).to_have_text(message)
    expect(w.locator("form").first).to_be_hidden()
    if listed:
        expect(w.locator(".rv").first.locator(".b")).to_have_text("Too loud, but it works.")
        expect(w.locator(".cnt")).to_have_text("2 reviews")
        expect(w.locator(".big")).to_have_text("3.5")
    else:
        expect(w.locator(".rv")).to_have_count(0)
        expect(w.locator(".cnt")).to_have_text("0 reviews")
    posts = [c for c in seen["api"] if c.startswith("POST")]
    assert len(posts) == 1
    data = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")
    assert data["summary"]["count"] == (2 if listed else 0)
    assert real_errors(seen) == []


def test_lost_answer_then_retry_creates_one_review_with_one_key(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    expect(w.locator(".cnt")).to_have_text("0 reviews")
    keys: list[str] = []

    def lose_answer(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        # The server stores the review (Playwright fetches from Node: no *.test mapping) ...
        route.fetch(url=route.request.url.replace("//plaudit.test:", "//127.0.0.1:"))
        route.abort()  # ... and the answer never arrives

    page.route("**/reviews", lose_answer)
    fill_review(w, stars=5, body="Worth every cent.", name="Nour")
    w.get_by_role("button", name="Submit review").click()
    alert = w.get_by_role("alert")
    expect(alert).to_contain_text("Could not connect")
    # Nothing typed is lost.
    form = review_form(w)
    expect(form.get_by_label("Your review")).to_have_value("Worth every cent.")
    expect(form.get_by_label("Your name")).to_have_value("Nour")
    expect(form.get_by_role("radio", name="5 stars")).to_be_checked()
    page.unroute("**/reviews")
    page.on(
        "request",
        lambda req: req.method == "POST" and keys.append(req.headers["idempotency-key"]),
    )
    alert.get_by_role("button", name="Try again").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", keys[0]
    )
    data = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")
    assert data["summary"]["count"] == 1  # the retry replayed the first answer
    expect(w.locator(".rv")).to_have_count(1)
    assert all("Failed to load" in e or "ERR_FAILED" in e for e in seen["errors"])


def test_client_checks_and_server_422_next_to_the_field(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    w.get_by_role("button", name="Write a review").click()
    w = review_form(widget(page))
    w.get_by_label("Your review").fill("   ")
    w.get_by_role("button", name="Submit review").click()
    expect(w.get_by_text("Please choose 1 to 5 stars.")).to_be_visible()
    expect(w.get_by_label("Your review")).to_have_attribute("aria-invalid", "true")
    expect(w.get_by_label("Your name")).to_have_attribute("aria-invalid", "true")
    body_error = w.get_by_label("Your review").get_attribute("aria-describedby")
    expect(w.locator(f"#{body_error}")).to_have_text("Please fill in this field.")
    expect(w.get_by_role("radio", name="1 star")).to_be_focused()
    w.get_by_label("Title (optional)").fill("x" * 121)
    w.get_by_role("button", name="Submit review").click()
    expect(w.get_by_text("Please use at most 120 characters.")).to_be_visible()
    assert not [c for c in seen["api"] if c.startswith("POST")]  # nothing was sent

    # The server refuses what the client lets through: its message sits by the field.
    w.get_by_label("Title (optional)").fill("Fine")
    w.get_by_role("radio", name="3 stars").check()
    w.get_by_label("Your review").fill("Bell \x07 inside")
    w.get_by_label("Your name").fill("Ada")
    w.get_by_role("button", name="Submit review").click()
    expect(w.locator(f"#{body_error}")).to_have_text("Must not contain control characters.")
    expect(w.get_by_label("Your review")).to_be_focused()
    expect(w.get_by_label("Your name")).to_have_attribute("aria-invalid", "false")
    expect(w.get_by_label("Your name")).to_have_value("Ada")
    expect(w.get_by_label("Title (optional)")).to_have_value("Fine")
    assert len([c for c in seen["api"] if c.startswith("POST")]) == 1
    assert real_errors(seen) == []


def test_helpful_votes(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1, helpful_count=3)
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    yes, no = w.get_by_role("button", name="Yes (3)"), w.get_by_role("button", name="No (0)")
    yes.click()
    expect(w.get_by_role("button", name="Yes (4)")).to_have_attribute("aria-pressed", "true")
    w.get_by_role("button", name="No (0)").click()
    expect(w.get_by_role("button", name="No (1)")).to_have_attribute("aria-pressed", "true")
    expect(w.get_by_role("button", name="Yes (3)")).to_have_attribute("aria-pressed", "false")
    review = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")["reviews"][0]
    assert (review["helpful_count"], review["unhelpful_count"]) == (3, 1)
    assert no is not None and real_errors(seen) == []


def test_review_thread_replies_and_product_discussion(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    review_id = plaudit.review(site, PRODUCT, 1)
    plaudit.comment(site, PRODUCT, body="Same here!", review_id=review_id)
    plaudit.comment(site, PRODUCT, body="Does it fit a cupboard?", author_name="Ravi")
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    assert len(seen["api"]) <= 1
    w.get_by_role("button", name="1 comment").click()
    thread = w.locator(".thr")
    expect(thread.locator(".cm .b")).to_have_text(["Same here!"])
    thread.get_by_role("button", name="Reply").click()
    thread.get_by_label("Your comment").first.fill("Glad to hear it")
    thread.get_by_label("Your name").first.fill("Ada")
    thread.get_by_role("button", name="Post comment").first.click()
    expect(thread.get_by_text("Thank you! Your comment is published.")).to_be_visible()
    expect(thread).not_to_contain_text("null")
    nested = thread.locator(".cm .cm .b")
    expect(nested).to_have_text(["Glad to hear it"])

    w.get_by_role("button", name="Show questions and comments").click()
    disc = w.locator(".disc")
    expect(disc.locator(".cm .b")).to_have_text(["Does it fit a cupboard?"])
    disc.get_by_label("Your comment").last.fill("Which grind for V60?")
    disc.get_by_label("Your name").last.fill("Ellie")
    disc.get_by_role("button", name="Post comment").last.click()
    expect(disc.locator(".cm .b")).to_have_text(["Does it fit a cupboard?", "Which grind for V60?"])

    data = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/comments?review={review_id}")
    replies = [c for c in data["comments"] if c["body"] == "Glad to hear it"]
    assert len(replies) == 1 and replies[0]["parent_id"] is not None
    assert replies[0]["review_id"] == review_id
    data = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/comments")
    assert [c["body"] for c in data["comments"]] == [
        "Does it fit a cupboard?",
        "Which grind for V60?",
    ]
    assert real_errors(seen) == []


def test_fifty_badges_cost_one_request(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seed(plaudit, site, [5, 4], product="p-3")
    seed(plaudit, site, [2], product="p-7")
    body = "".join(f"<p>Item {i} {badge(site, f'p-{i}')}</p>" for i in range(50))
    seen = open_page(page, plaudit, body)
    expect(page.locator('[data-product="p-3"] .st')).to_have_attribute(
        "aria-label", "Rated 4.5 out of 5, 2 reviews"
    )
    expect(page.locator('[data-product="p-7"] .n')).to_have_text("(1)")
    expect(page.locator('[data-product="p-0"] .n')).to_have_text("(0)")
    assert len(seen["api"]) == 1 and "/summaries?products=p-0,p-1," in seen["api"][0]
    assert seen["errors"] == []


def test_keyboard_only_submission_with_visible_focus(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    expect(w.locator(".cnt")).to_have_text("0 reviews")

    def focused() -> dict[str, str]:
        return page.evaluate(
            """() => { let a = document.activeElement;
                while (a && a.shadowRoot && a.shadowRoot.activeElement)
                    a = a.shadowRoot.activeElement;
                const s = getComputedStyle(a);
                return {text: a.textContent, tag: a.tagName, name: a.name || '',
                        outline: s.outlineStyle, width: s.outlineWidth}; }"""
        )

    for _ in range(30):
        page.keyboard.press("Tab")
        if focused()["text"] == "Write a review":
            break
    state = focused()
    assert state["text"] == "Write a review"
    assert state["outline"] == "solid" and state["width"] == "3px"  # visible focus
    page.keyboard.press("Enter")
    assert focused()["tag"] == "INPUT"  # the first star
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    page.keyboard.type("Keyboard hero")
    page.keyboard.press("Tab")
    page.keyboard.type("Used it without a mouse.")
    page.keyboard.press("Tab")
    page.keyboard.type("Kay")
    page.keyboard.press("Tab")  # email (optional)
    page.keyboard.press("Tab")  # "tell me when the shop answers"
    page.keyboard.press("Tab")
    assert focused()["text"] == "Submit review"
    page.keyboard.press("Enter")
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    review = plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")["reviews"][0]
    assert (review["rating"], review["title"], review["author_name"]) == (4, "Keyboard hero", "Kay")
    assert seen["errors"] == []


HOSTILE_CSS = """<style>
  * { color: #f0f !important; font-size: 40px !important; line-height: 7 !important;
      letter-spacing: 9px !important; text-transform: uppercase !important;
      font-family: "Comic Sans MS", fantasy !important; }
  button, input, select, textarea, p, li, ol, h2, section, form { display: none !important; }
  .pl, .rv, .b, .btn, .st { display: none !important; visibility: hidden !important; }
  div { padding: 0 !important; }
</style>"""


def test_hostile_host_css_cannot_break_it_and_its_css_does_not_leak(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1, body="Still readable")
    probe = '<div class="hpf err btn" id="probe">page text</div>'
    seen = open_page(page, plaudit, mount(site) + probe, head=HOSTILE_CSS)
    w = widget(page)
    body = w.locator(".rv .b")
    expect(body).to_be_visible()
    style = body.evaluate(
        "e => { const s = getComputedStyle(e); return [s.color, s.fontSize, s.textTransform,"
        " s.letterSpacing, s.display]; }"
    )
    assert style == ["rgb(31, 35, 40)", "16px", "none", "normal", "block"]
    expect(w.get_by_role("button", name="Write a review")).to_be_visible()
    w.get_by_role("button", name="Write a review").click()
    expect(review_form(w).get_by_label("Your review")).to_be_visible()
    # The widget's class names mean nothing outside its shadow root.
    probe_style = page.locator("#probe").evaluate(
        "e => { const s = getComputedStyle(e); return [s.position, s.color, s.minHeight]; }"
    )
    assert probe_style == ["static", "rgb(255, 0, 255)", "0px"]
    assert seen["errors"] == []


def test_strict_csp_allowing_only_the_script_origin(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1)
    csp = (
        f"default-src 'none'; script-src {plaudit.origin}; connect-src {plaudit.origin}; "
        f"style-src {plaudit.origin}; img-src {plaudit.origin}; font-src {plaudit.origin}"
    )
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    seen = open_page(
        page,
        plaudit,
        mount(site) + badge(site, PRODUCT),
        headers={"Content-Security-Policy": csp},
    )
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(1)
    expect(page.locator("[data-plaudit-stars] .n")).to_have_text("(1)")
    # Styled (constructed stylesheets are not inline styles) ...
    assert (
        w.get_by_role("button", name="Write a review").evaluate(
            "e => getComputedStyle(e).minHeight"
        )
        == "44px"
    )
    # ... and it can post.
    fill_review(w, stars=4, body="Works under CSP", name="Sec")
    w.get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    assert page.evaluate("window.__violations") == []
    assert seen["errors"] == []


MARKUP = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>'


def test_submitted_markup_is_shown_literally(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1, title="<i>seeded</i>", body=MARKUP, author_name="<u>Eve</u>")
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    expect(w.locator(".rv .b")).to_have_text([MARKUP])
    expect(w.locator(".rv .t")).to_have_text(["<i>seeded</i>"])
    expect(w.locator(".rv .au")).to_have_text(["<u>Eve</u>"])
    fill_review(w, stars=1, body=MARKUP + " again", name='"><svg onload=alert(1)>', title="<h1>")
    w.get_by_role("button", name="Submit review").click()
    expect(w.locator(".rv .b").first).to_have_text(MARKUP + " again")
    expect(w.locator(".rv .au").first).to_have_text('"><svg onload=alert(1)>')
    assert w.locator("img, script, svg, b, i, u, h1").count() == 0
    assert page.evaluate("window.__pwned") is None
    ld = page.locator('script[type="application/ld+json"]').text_content() or ""
    assert json.loads(ld)["review"][0]["reviewBody"] == MARKUP
    assert real_errors(seen) == []


@pytest.mark.parametrize(
    ("page_lang", "data_lang", "heading", "one_review", "date_part"),
    [
        ("en", "", "Customer reviews", "1 review", "2026"),
        ("de-DE", "", "Kundenbewertungen", "1 Bewertung", "2026"),
        ("en", "fr", "Avis clients", "1 avis", "2026"),
        ("es", "", "Opiniones de clientes", "1 opinión", "2026"),
        ("xx", "", "Customer reviews", "1 review", "2026"),
    ],
)
def test_languages_by_data_lang_or_page_lang(
    page: Page,
    plaudit: Plaudit,
    page_lang: str,
    data_lang: str,
    heading: str,
    one_review: str,
    date_part: str,
) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1)
    attrs = {"lang": data_lang} if data_lang else {}
    seen = open_page(page, plaudit, mount(site, **attrs), lang=page_lang)
    w = widget(page)
    expect(w.locator("h2")).to_have_text(heading)
    expect(w.locator(".cnt")).to_have_text(one_review)
    assert date_part in (w.locator(".rv time").text_content() or "")
    assert seen["errors"] == []


def test_narrow_screen_dark_theme_and_one_global(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1, body="Averyveryverylongwordwithoutanyspaces" * 4)
    page.set_viewport_size({"width": 320, "height": 640})
    page.add_init_script("window.__before = Object.keys(window);")
    seen = open_page(page, plaudit, mount(site, theme="dark", lang="de"))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(1)
    w.get_by_role("button", name="Bewertung schreiben").click()
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 320
    bg = w.locator(".pl").evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg == "rgb(13, 17, 23)"
    new_globals = page.evaluate(
        "Object.keys(window).filter(k => !window.__before.includes(k) && k !== '__before')"
    )
    assert new_globals == ["Plaudit"]
    # destroy() takes the widget and its JSON-LD away; mount() brings them back.
    page.evaluate("Plaudit.destroy()")
    expect(w.locator(".rv")).to_have_count(0)
    expect(page.locator('script[type="application/ld+json"]')).to_have_count(0)
    page.evaluate("Plaudit.push(['mount'])")
    expect(w.locator(".rv")).to_have_count(1)
    assert seen["errors"] == []


def test_summary_space_is_reserved_before_the_answer(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seed(plaudit, site, [5, 4, 3])
    held: list[Any] = []
    page.route("**/reviews?*", lambda route: held.append(route))
    open_page(page, plaudit, mount(site) + "<p id=after>below</p>")
    page.wait_for_function("document.querySelector('[data-plaudit-reviews]').shadowRoot")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    assert held
    summary = widget(page).locator(".sum")
    before = summary.bounding_box()
    held[0].continue_()
    expect(widget(page).locator(".cnt")).to_have_text("3 reviews")
    after = summary.bounding_box()
    assert before is not None and after is not None
    assert (before["y"], before["height"]) == (after["y"], after["height"])


CONTRAST = """host => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement || e.getRootNode().host) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of host.shadowRoot.querySelectorAll('*')) {
    if (!el.checkVisibility() || el.closest('.st, [disabled], .hpf, .rate')) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const pair = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
    const [hi, lo] = pair.sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    out.push([el.tagName + '.' + el.className, el.textContent.slice(0, 30), ratio]);
  }
  return out;
}"""


@pytest.mark.parametrize(
    ("theme", "scheme", "background"),
    [
        ("light", "light", "rgb(255, 255, 255)"),
        ("dark", "light", "rgb(13, 17, 23)"),
        ("auto", "dark", "rgb(13, 17, 23)"),
        ("auto", "light", "rgb(255, 255, 255)"),
    ],
)
def test_text_contrast_is_wcag_aa_in_every_theme(
    page: Page, plaudit: Plaudit, theme: str, scheme: str, background: str
) -> None:
    site = plaudit.site()
    review_id = plaudit.review(site, PRODUCT, 1, title="Title", verified_buyer=True)
    off_loop(reply, plaudit, site, review_id, "Thanks!")
    plaudit.comment(site, PRODUCT, body="A comment", review_id=review_id)
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    seen = open_page(page, plaudit, mount(site, theme=theme))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(1)
    assert w.locator(".pl").evaluate("e => getComputedStyle(e).backgroundColor") == background
    w.get_by_role("button", name="1 comment").click()
    expect(w.locator(".thr .cm")).to_have_count(1)
    w.get_by_role("button", name="Write a review").click()
    review_form(w).get_by_role("button", name="Submit review").click()  # error messages
    expect(review_form(w).locator(".err").first).to_be_visible()
    ratios = page.locator("[data-plaudit-reviews]").evaluate(CONTRAST)
    assert len(ratios) > 20
    low = [r for r in ratios if r[2] < 4.5]
    assert low == [], low
    assert seen["errors"] == []


def test_honeypot_is_hidden_from_people_and_flags_bots(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    fill_review(w, stars=5, body="Buy cheap watches", name="Bot")
    trap = review_form(w).locator("input[name=hp]")
    box = trap.bounding_box()
    assert box is not None and box["x"] + box["width"] < 0  # off screen
    assert trap.get_attribute("tabindex") == "-1"
    assert trap.evaluate("e => e.closest('[aria-hidden=true]') !== null")
    trap.evaluate("e => { e.value = 'http://spam.example'; }")  # what a bot does
    review_form(w).get_by_role("button", name="Submit review").click()
    # A bot is told what anyone held for moderation is told.
    expect(w.locator(".msg.good").first).to_have_text(
        "Thank you! Your review will appear once approved."
    )
    assert plaudit.get(f"/api/v1/sites/{site}/products/{PRODUCT}/reviews")["reviews"] == []
    assert seen["errors"] == []


def test_pending_comment_and_command_queue(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site(moderation="pre")
    queue = (
        "<script>window.Plaudit = [function (p) { window.__ran = p.version; }, ['mount']];</script>"
    )
    seen = open_page(page, plaudit, queue + mount(site))
    assert page.wait_for_function("window.__ran").json_value() == "1"
    w = widget(page)
    w.get_by_role("button", name="Show questions and comments").click()
    disc = w.locator(".disc")
    expect(disc.get_by_text("No comments yet.")).to_be_visible()
    disc.get_by_label("Your comment").fill("Is it loud?")
    disc.get_by_label("Your name").fill("Quiet")
    disc.get_by_role("button", name="Post comment").click()
    expect(disc.get_by_text("Thank you! Your comment will appear once approved.")).to_be_focused()
    expect(disc.locator(".cm")).to_have_count(0)
    expect(disc.get_by_label("Your comment")).to_have_value("")
    assert seen["errors"] == []


def test_demo_shop_listing_and_product_page(page: Page, plaudit: Plaudit) -> None:
    from plaudit_server.demo import create_demo

    def make_demo() -> None:
        with plaudit.app.app_context():
            create_demo([plaudit.origin])

    off_loop(make_demo)
    api_calls: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: "/api/" in r.url and api_calls.append(r.url))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{plaudit.origin}/demo")
    # The shop's own badge first (3 store reviews); the products' (two of them with a
    # verified buyer's review from the demo's answered invitation).
    badges = ["(3)", "(9)", "(6)", "(4)", "(7)"]
    expect(page.locator("[data-plaudit-stars] .n")).to_have_text(badges)
    expect(widget(page).locator(".cnt")).to_have_text("3 reviews")  # the store widget
    # One request for every product badge, one for the store's widget and badge.
    assert sorted(call.split("/")[7].split("?")[0] for call in api_calls) == [
        "store",
        "summaries",
    ], api_calls

    api_calls.clear()
    page.get_by_role("link", name="Aurora burr coffee grinder").click()
    w = widget(page)
    expect(w.locator(".cnt")).to_have_text("9 reviews")
    expect(page.locator("[data-plaudit-stars] .n")).to_have_text("(9)")  # shares the answer
    # The badge shares the reviews' answer; the page's questions block reads its own.
    reads = [call for call in api_calls if "/products/grinder-aurora/questions?" not in call]
    assert len(reads) == 1 and "/products/grinder-aurora/reviews?" in reads[0]
    expect(w.locator(".rep").first).to_contain_text("Thank you, Marta!")
    fill_review(w, stars=5, body="Tried it in the demo.", name="Newcomer")
    review_form(w).get_by_role("button", name="Submit review").click()
    expect(w.locator(".msg.good").first).to_have_text("Thank you! Your review is published.")
    expect(w.locator(".cnt")).to_have_text("10 reviews")
    assert errors == []


def test_a_page_the_site_does_not_allow_gets_a_clear_message(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site(origins=["https://another-shop.example"])
    plaudit.review(site, PRODUCT, 1)
    seen = open_page(page, plaudit, mount(site) + badge(site, PRODUCT))
    w = widget(page)
    # No CORS headers for this origin: the browser keeps the answers from the page.
    expect(w.locator(".cnt")).to_have_text("Reviews could not be loaded.")
    expect(w.get_by_role("button", name="Try again")).to_be_visible()
    expect(page.locator("[data-plaudit-stars] .n")).to_have_text("( )")
    assert not [e for e in seen["errors"] if e.startswith("pageerror")]
