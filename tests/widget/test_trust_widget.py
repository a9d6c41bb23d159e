"""The widget's trust features (issue 16) in real headless Chromium: the "Report" dialog
(an on-demand chunk), "Manage your review" links to the visitor's own submissions,
the incentive label and its JSON-LD disclosure, the guidelines link, and the strings
of every language.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plaudit_server import create_app
from plaudit_server.models import Status

from .conftest import CONFIG, Plaudit, Shop, _dispose, _serve, off_loop
from .test_browser import PRODUCT, fill_review, mount, open_page, real_errors, review_form, widget

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

WIDGET = Path(__file__).resolve().parents[2] / "widget"
STRICT_CSP = "default-src 'none'; script-src {o}; connect-src {o}; style-src 'self'"
REASONS = ["spam", "offensive", "off_topic", "personal_data", "fake", "illegal", "other"]


# ---------------------------------------------------------------- helpers


def reports_of(plaudit: Plaudit, site: str) -> list[dict[str, Any]]:
    """The site's reports as the database has them, oldest first."""

    def read() -> list[dict[str, Any]]:
        import sqlalchemy as sa

        from plaudit_server.extensions import db
        from plaudit_server.models import Report
        from plaudit_server.services import sites

        with plaudit.app.app_context():
            found = sites.site_by_slug(db.session, site)
            rows = db.session.scalars(
                sa.select(Report).where(Report.site_id == found.id).order_by(Report.created_at)
            )
            return [
                {
                    "object_type": r.object_type,
                    "object_id": r.object_id,
                    "reason": r.reason,
                    "details": r.details,
                    "email": r.email,
                }
                for r in rows
            ]

    return off_loop(read)  # type: ignore[no-any-return]


def set_fields(plaudit: Plaudit, model_name: str, item_id: str, **values: Any) -> None:
    """Change a stored review or comment (what the owner's PATCH would)."""

    def write() -> None:
        from plaudit_server import models
        from plaudit_server.extensions import db

        with plaudit.app.app_context():
            item = db.session.get(getattr(models, model_name), item_id)
            assert item is not None
            for name, value in values.items():
                setattr(item, name, value)
            db.session.commit()

    off_loop(write)


def chunk_requests(page: Page) -> list[str]:
    """Every request for an on-demand chunk of the widget, in order."""
    seen: list[str] = []
    page.on("request", lambda r: "/widget/" in r.url and seen.append(r.url))
    return seen


def report_posts(page: Page) -> list[tuple[str, dict[str, Any]]]:
    posts: list[tuple[str, dict[str, Any]]] = []
    page.on(
        "request",
        lambda r: (
            r.method == "POST"
            and r.url.endswith("/reports")
            and posts.append((r.url, json.loads(r.post_data or "{}")))
        ),
    )
    return posts


def dialog(page: Page) -> Any:
    return widget(page).get_by_role("dialog")


# ---------------------------------------------------------------- the report dialog


def test_report_a_review_by_keyboard_under_a_strict_csp(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    first = plaudit.review(site, PRODUCT, 1, body="Great grinder")
    second = plaudit.review(site, PRODUCT, 2, body="Buy it at cheap-pills.example")
    chunks = chunk_requests(page)
    posts = report_posts(page)
    seen = open_page(
        page,
        plaudit,
        mount(site),
        headers={"Content-Security-Policy": STRICT_CSP.format(o=plaudit.origin)},
    )
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(2)
    assert chunks == []  # nothing of the dialog until someone asks for it

    spam = w.locator(".rv").filter(has_text="cheap-pills")
    button = spam.get_by_role("button", name="Report")
    expect(button).to_have_attribute("aria-haspopup", "dialog")
    button.focus()
    page.keyboard.press("Enter")
    box = w.get_by_role("dialog", name="Report this review")
    expect(box).to_be_visible()
    assert len(chunks) == 1 and chunks[0].startswith(f"{plaudit.origin}/widget/report-dialog.js?v=")
    # Focus is inside, on the first reason; the group is named by its legend.
    expect(box.get_by_role("radio", name="Spam or advertising")).to_be_focused()
    expect(box.get_by_role("group", name="Why are you reporting it?")).to_be_visible()
    assert [box.get_by_role("radio").nth(i).get_attribute("value") for i in range(7)] == REASONS

    # Escape closes it and gives focus back to the button; what was picked stays.
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(box).to_be_visible()
    expect(box.get_by_role("radio", name="Spam or advertising")).to_be_checked()
    assert len(chunks) == 1  # loaded once

    # Arrow keys pick a reason, Tab walks the fields, Enter sends.
    page.keyboard.press("ArrowDown")
    expect(box.get_by_role("radio", name="Offensive, hateful or harassing")).to_be_checked()
    page.keyboard.press("Tab")
    expect(box.get_by_label("Details (optional)")).to_be_focused()
    page.keyboard.type("Advertises another shop.")
    page.keyboard.press("Tab")
    expect(box.get_by_label("Your email (optional: to hear what the shop decides)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(box.get_by_role("button", name="Send report")).to_be_focused()
    page.keyboard.press("Enter")

    expect(box).to_be_hidden()
    expect(button).to_be_focused()
    expect(spam.locator(".rpt")).to_have_text("Thanks, the shop will look at it.")
    expect(w.locator("[aria-live]").first).to_have_text("Thanks, the shop will look at it.")
    assert posts == [
        (
            f"{plaudit.origin}/api/v1/sites/{site}/reviews/{second}/reports",
            {"reason": "offensive", "details": "Advertises another shop."},
        )
    ]
    assert reports_of(plaudit, site) == [
        {
            "object_type": "review",
            "object_id": second,
            "reason": "offensive",
            "details": "Advertises another shop.",
            "email": None,
        }
    ]
    # Another review's dialog: its own, from the chunk already here.
    w.locator(".rv").filter(has_text="Great grinder").get_by_role("button", name="Report").click()
    expect(w.get_by_role("dialog", name="Report this review")).to_be_visible()
    assert len(chunks) == 1
    assert first != second and real_errors(seen) == []


def test_report_a_comment_seen_by_the_admin_api(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    comment = plaudit.comment(site, PRODUCT, body="Call me at 0170 1234567", author_name="Kim")
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    w.get_by_role("button", name="Show questions and comments").click()
    item = w.locator(".disc .cm").filter(has_text="0170")
    item.get_by_role("button", name="Report").click()
    box = w.get_by_role("dialog", name="Report this comment")
    box.get_by_role("radio", name="Shares personal data").check()
    email = box.get_by_label("Your email (optional: to hear what the shop decides)")
    # The server refuses what the client lets through: its 422 sits by the field.
    email.fill("me&you@example.com")
    box.get_by_role("button", name="Send report").click()
    expect(box.get_by_text("Must not contain ?, & or %.")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    assert reports_of(plaudit, site) == []
    email.fill("me@example.com")
    box.get_by_role("button", name="Send report").click()
    expect(box).to_be_hidden()
    expect(item.locator(".rpt")).to_have_text("Thanks, the shop will look at it.")
    [report] = reports_of(plaudit, site)
    assert report == {
        "object_type": "comment",
        "object_id": comment,
        "reason": "personal_data",
        "details": None,
        "email": "me@example.com",
    }
    assert real_errors(seen) == []


def test_illegal_content_needs_details_and_an_email(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    review = plaudit.review(site, PRODUCT, 1)
    posts = report_posts(page)
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    w.get_by_role("button", name="Report").click()
    box = w.get_by_role("dialog", name="Report this review")

    # No reason: the group says so and takes focus; nothing is sent.
    box.get_by_role("button", name="Send report").click()
    expect(box.get_by_text("Please choose a reason.")).to_be_visible()
    expect(box.get_by_role("radio", name="Spam or advertising")).to_be_focused()

    box.get_by_role("radio", name="Illegal content").check()
    expect(box.locator(".note")).to_contain_text("A notice of illegal content needs")
    details = box.get_by_label("Details: what is illegal, and why (required)")
    email = box.get_by_label("Your email (required)")
    expect(details).to_have_attribute("required", "")
    box.get_by_role("button", name="Send report").click()
    expect(details).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(details).to_be_focused()
    details.fill("It repeats a defamatory claim about a named person.")
    email.fill("not-an-address")
    box.get_by_role("button", name="Send report").click()
    expect(box.get_by_text("Please enter a valid email address.")).to_be_visible()
    expect(email).to_be_focused()
    assert posts == []

    # Another reason makes them optional again (and says so).
    box.get_by_role("radio", name="Something else").check()
    expect(box.get_by_label("Details (optional)")).to_be_visible()
    expect(box.locator(".note")).to_be_hidden()
    box.get_by_role("radio", name="Illegal content").check()
    email.fill("legal@example.com")
    box.get_by_role("button", name="Send report").click()
    expect(box).to_be_hidden()
    assert [body for _, body in posts] == [
        {
            "reason": "illegal",
            "details": "It repeats a defamatory claim about a named person.",
            "email": "legal@example.com",
        }
    ]
    [report] = reports_of(plaudit, site)
    assert report["object_id"] == review and report["reason"] == "illegal"
    assert report["email"] == "legal@example.com"
    assert real_errors(seen) == []


def test_an_item_gone_since_the_page_loaded_says_so(page: Page, plaudit: Plaudit) -> None:
    """The server's problem detail (404: no longer published) is shown in the dialog."""
    site = plaudit.site()
    review = plaudit.review(site, PRODUCT, 1)
    open_page(page, plaudit, mount(site))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(1)
    set_fields(plaudit, "Review", review, status=Status.REJECTED)
    w.get_by_role("button", name="Report").click()
    box = w.get_by_role("dialog", name="Report this review")
    box.get_by_role("radio", name="Fake or misleading").check()
    box.get_by_role("button", name="Send report").click()
    alert = box.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).not_to_be_empty()
    expect(box).to_be_visible()  # nothing was reported: the dialog stays
    assert reports_of(plaudit, site) == []


@pytest.fixture
def limited(browser_database_url: str, shop: Shop) -> Iterator[Plaudit]:
    """A Plaudit server that allows one report a minute per visitor."""
    config = {
        **CONFIG,
        "DATABASE_URL": browser_database_url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_REPORTS_PER_VISITOR": "1/minute",
    }
    app = off_loop(create_app, config)
    port, stop = _serve(app)
    yield Plaudit(app, port, shop)
    stop()
    off_loop(_dispose, app)


def test_too_many_reports_say_when_to_try_again(page: Page, limited: Plaudit) -> None:
    site = limited.site()
    limited.review(site, PRODUCT, 1, body="One")
    limited.review(site, PRODUCT, 2, body="Two")
    open_page(page, limited, mount(site))
    w = widget(page)
    for n, body in enumerate(["One", "Two"]):
        w.locator(".rv").filter(has_text=body).get_by_role("button", name="Report").click()
        box = w.get_by_role("dialog", name="Report this review")
        box.get_by_role("radio", name="Off topic").check()
        box.get_by_role("button", name="Send report").click()
        if n == 0:
            expect(box).to_be_hidden()
    alert = box.get_by_role("alert")
    expect(alert).to_contain_text("please wait")
    expect(alert.get_by_role("button", name="Try again")).to_be_visible()
    assert len(reports_of(limited, site)) == 1


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_dialog_has_no_violations(
    page: Page, plaudit: Plaudit, axe: Any, width: int, theme: str
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1)
    open_page(page, plaudit, mount(site, theme=theme))
    w = widget(page)
    w.get_by_role("button", name="Report").click()
    box = w.get_by_role("dialog", name="Report this review")
    expect(box).to_be_visible()
    axe(page)
    # The whole dialog is on screen, even on a phone.
    size = box.bounding_box()
    assert size is not None and size["x"] >= 0 and size["x"] + size["width"] <= width
    box.get_by_role("radio", name="Illegal content").check()
    box.get_by_role("button", name="Send report").click()
    expect(box.get_by_text("Please fill in this field.").first).to_be_visible()
    axe(page)


@pytest.mark.parametrize(
    ("lang", "button", "title", "reason"),
    [
        ("de", "Melden", "Diese Bewertung melden", "Rechtswidriger Inhalt"),
        ("fr", "Signaler", "Signaler cet avis", "Contenu illicite"),
        ("es", "Denunciar", "Denunciar esta opinión", "Contenido ilegal"),
    ],
)
def test_the_dialog_speaks_the_widgets_language(
    page: Page, plaudit: Plaudit, lang: str, button: str, title: str, reason: str
) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1)
    open_page(page, plaudit, mount(site, lang=lang))
    w = widget(page)
    w.get_by_role("button", name=button).click()
    box = w.get_by_role("dialog", name=title)
    expect(box.get_by_role("radio", name=reason)).to_be_visible()


# ---------------------------------------------------------------- manage your review


def submit_and_catch(page: Page, click: Any) -> dict[str, Any]:
    """Click a submit button and return the server's 201 answer."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.status == 201) as got:
        click()
    return got.value.json()  # type: ignore[no-any-return]


def stored_mine(page: Page, site: str) -> Any:
    return page.evaluate(f"() => JSON.parse(localStorage.getItem('plaudit:mine:{site}'))")


def test_manage_links_next_to_the_visitors_own_items(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    plaudit.review(site, PRODUCT, 1, body="Someone else's review")
    plaudit.comment(site, PRODUCT, body="Someone else's question")
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(1)
    expect(w.get_by_role("link", name="Manage your review")).to_have_count(0)

    fill_review(w, stars=4, body="My own review", name="Ada")
    posted = submit_and_catch(
        page, review_form(w).get_by_role("button", name="Submit review").click
    )
    url = posted["manage_url"]
    assert "/m/" in url  # the server's PUBLIC_URL: the widget links what it is given
    thanks = w.locator(".msg.good").first
    expect(thanks).to_have_text("Thank you! Your review is published.")
    link = w.locator(".msg.good + .mng").get_by_role("link", name="Manage your review")
    expect(link).to_have_attribute("href", url)
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    mine = w.locator(".rv").filter(has_text="My own review")
    expect(mine.get_by_role("link", name="Manage your review")).to_have_attribute("href", url)

    w.get_by_role("button", name="Show questions and comments").click()
    disc = w.locator(".disc")
    disc.get_by_label("Your comment").last.fill("My own question")
    disc.get_by_label("Your name").last.fill("Ada")
    comment = submit_and_catch(page, disc.get_by_role("button", name="Post comment").last.click)
    expect(disc.get_by_role("link", name="Manage your comment")).to_have_count(2)  # note, item
    assert stored_mine(page, site) == {
        posted["review"]["id"]: url,
        comment["comment"]["id"]: comment["manage_url"],
    }

    # Another visit (after the public lists' short browser cache): the links are next
    # to this visitor's items, and only those.
    page.context.new_cdp_session(page).send("Network.clearBrowserCache")
    page.reload()
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(2)
    mine = w.locator(".rv").filter(has_text="My own review")
    theirs = w.locator(".rv").filter(has_text="Someone else's review")
    expect(mine.get_by_role("link", name="Manage your review")).to_have_attribute("href", url)
    expect(theirs.get_by_role("link")).to_have_count(0)
    w.get_by_role("button", name="Show questions and comments").click()
    own = w.locator(".disc .cm").filter(has_text="My own question")
    expect(own.get_by_role("link", name="Manage your comment")).to_have_attribute(
        "href", comment["manage_url"]
    )
    other = w.locator(".disc .cm").filter(has_text="Someone else's question")
    expect(other.get_by_role("link")).to_have_count(0)
    assert real_errors(seen) == []


def test_the_newest_fifty_are_kept_and_only_web_addresses_linked(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    theirs = plaudit.review(site, PRODUCT, 1, body="Planted")
    open_page(page, plaudit, mount(site))
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(1)
    old = {f"rev_old{i:02}": f"{plaudit.origin}/m/old{i}" for i in range(49)}
    # Fifty remembered, one of them a script address planted by a script of the page
    # (which shares the storage): never made a link.
    planted = {**old, theirs: "javascript:alert(1)"}
    page.evaluate(
        "([k, v]) => localStorage.setItem(k, JSON.stringify(v))",
        [f"plaudit:mine:{site}", planted],
    )
    page.reload()
    w = widget(page)
    expect(w.locator(".rv")).to_have_count(1)
    expect(w.locator(".rv a")).to_have_count(0)

    fill_review(w, stars=5, body="Mine", name="Ada")
    posted = submit_and_catch(
        page, review_form(w).get_by_role("button", name="Submit review").click
    )
    kept = stored_mine(page, site)
    assert len(kept) == 50
    assert list(kept)[-1] == posted["review"]["id"]
    assert "rev_old00" not in kept and "rev_old01" in kept


def test_without_storage_the_link_still_follows_the_submission(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    page.add_init_script(
        "Object.defineProperty(window, 'localStorage', {get() {"
        " throw new DOMException('denied', 'SecurityError'); }});"
    )
    seen = open_page(page, plaudit, mount(site))
    w = widget(page)
    fill_review(w, stars=3, body="Private browsing", name="Bo")
    posted = submit_and_catch(
        page, review_form(w).get_by_role("button", name="Submit review").click
    )
    expect(w.locator(".mng").get_by_role("link", name="Manage your review")).to_have_attribute(
        "href", posted["manage_url"]
    )
    assert real_errors(seen) == []


# ---------------------------------------------------------------- label, JSON-LD, guidelines


def test_incentivized_reviews_are_labelled_and_disclosed(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    paid = plaudit.review(site, PRODUCT, 1, body="Got a voucher for this", verified_buyer=True)
    plaudit.review(site, PRODUCT, 2, body="Bought it myself")
    set_fields(plaudit, "Review", paid, incentivized=True)
    open_page(page, plaudit, mount(site))
    w = widget(page)
    labelled = w.locator(".rv").filter(has_text="voucher")
    expect(labelled.locator(".meta")).to_contain_text("Verified buyer")
    expect(labelled.locator(".inc")).to_have_text("Received an incentive")
    expect(w.locator(".rv").filter(has_text="myself").locator(".inc")).to_have_count(0)
    ld = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
    described = {r["reviewBody"]: r.get("description") for r in ld["review"]}
    assert described == {
        "Got a voucher for this": "Received an incentive",
        "Bought it myself": None,
    }


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "How we moderate reviews"),
        ("de", "So prüfen wir Bewertungen"),
        ("fr", "Comment nous modérons les avis"),
        ("es", "Cómo moderamos las opiniones"),
    ],
)
def test_the_guidelines_link(page: Page, plaudit: Plaudit, lang: str, text: str) -> None:
    site = plaudit.site()
    open_page(page, plaudit, mount(site, lang=lang) + mount(site, product="other", data_store=""))
    link = widget(page).first.get_by_role("link", name=text)
    href = f"{plaudit.origin}/sites/{site}/guidelines?lang={lang}"
    expect(link).to_have_attribute("href", href)
    expect(widget(page).nth(1).locator(".ft a")).to_have_count(1)  # the store widget's too
    # It leads to the site's guidelines, in the widget's language.
    link.click()
    page.wait_for_url(href)
    expect(page.get_by_role("heading", level=1)).to_have_text(text)
    expect(page.locator("html")).to_have_attribute("lang", lang)


# ---------------------------------------------------------------- strings


@pytest.mark.skipif(
    shutil.which("node") is None or not (WIDGET / "node_modules").is_dir(),
    reason="needs node and `npm ci` in widget/",
)
def test_every_language_has_every_string() -> None:
    script = """
    const langs = {};
    for (const l of ['en', 'de', 'fr', 'es'])
      langs[l] = Object.keys((await import(`./src/lang/${l}.js`)).default).sort();
    const report = (await import('./src/report-strings.js')).default;
    const dialog = Object.fromEntries(
      Object.entries(report).map(([l, s]) => [l, Object.keys(s).sort()]));
    console.log(JSON.stringify({ langs, dialog }));
    """
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=WIDGET,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(done.stdout)
    for table in ("langs", "dialog"):
        english = found[table]["en"]
        assert english, table
        assert set(found[table]) == {"en", "de", "fr", "es"}
        for lang, keys in found[table].items():
            assert keys == english, f"{table} {lang}: {set(english) ^ set(keys)}"
    assert set(REASONS) <= set(found["dialog"]["en"])
    assert {"report", "manageR", "manageC", "incent", "guide"} <= set(found["langs"]["en"])
