"""The ideas bundle (issue 18) in real headless Chromium: a ``data-plaudit-ideas`` mount
as a board (vote, withdraw, leave an e-mail, propose, sort), a roadmap (a column per
stage) and the shipped changelog; languages, keyboard, axe at phone and desktop widths,
a strict CSP, and the bundle loaded only by pages that use it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Plaudit, off_loop
from .test_browser import PRODUCT, open_page, real_errors
from .test_invitations import admin, secret_key

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

STRICT_CSP = "default-src 'none'; script-src {o}; connect-src {o}; style-src 'self'"


def ideas_mount(site: str, **attrs: str) -> str:
    extra = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<div data-plaudit-ideas data-site="{site}" {extra}></div>'


def board(page: Page) -> Any:
    return page.locator("[data-plaudit-ideas]")


def idea(
    plaudit: Plaudit,
    site: str,
    title: str,
    *,
    stage: str = "open",
    note: str | None = None,
    product: str | None = None,
    body: str = "",
) -> str:
    """A visitor's idea (published on a post-moderated site), moved to ``stage``."""

    def make() -> str:
        from plaudit_server.extensions import db
        from plaudit_server.services import community, sites

        with plaudit.app.app_context():
            found = sites.site_by_slug(db.session, site)
            data = {"title": title, "body": body, "author_name": "Ida"}
            if product:
                data["product"] = product
            made = community.propose(db.session, found, data, visitor_hash=f"i-{title[:12]}")
            if stage != "open" or note:
                community.set_stage(db.session, found, made, stage, note)
            db.session.commit()
            return str(made.id)

    return off_loop(make)  # type: ignore[no-any-return]


def votes_of(plaudit: Plaudit, site: str, idea_id: str) -> int:
    found = plaudit.get(f"/api/v1/sites/{site}/ideas/{idea_id}")
    return int(found["idea"]["vote_count"])


def voter_emails(plaudit: Plaudit, idea_id: str) -> list[str | None]:
    def read() -> list[str | None]:
        import sqlalchemy as sa

        from plaudit_server import models
        from plaudit_server.extensions import db

        with plaudit.app.app_context():
            cls = models.IdeaVote
            rows = db.session.scalars(sa.select(cls).where(cls.idea_id == idea_id))
            return [r.email for r in rows]

    return off_loop(read)  # type: ignore[no-any-return]


def chunk_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: "/widget/" in r.url and seen.append(r.url.split("?")[0]))
    return seen


def posts_of(page: Page) -> list[tuple[str, Any]]:
    posts: list[tuple[str, Any]] = []
    page.on(
        "request",
        lambda r: r.method == "POST" and posts.append((r.url, json.loads(r.post_data or "null"))),
    )
    return posts


# ---------------------------------------------------------------- the board


def test_vote_withdraw_and_hear_back_by_keyboard_under_a_strict_csp(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    wanted = idea(plaudit, site, "A bigger bean hopper", body="Mine holds only 200 g.")
    idea(plaudit, site, "A timer on the grinder", stage="planned", note="Coming in spring.")
    chunks = chunk_requests(page)
    posts = posts_of(page)
    seen = open_page(
        page,
        plaudit,
        ideas_mount(site),
        headers={"Content-Security-Policy": STRICT_CSP.format(o=plaudit.origin)},
    )
    b = board(page)
    expect(b.get_by_role("heading", level=2)).to_have_text("Ideas")
    expect(b.locator(".idea")).to_have_count(2)
    assert chunks == [f"{plaudit.origin}/widget/ideas.js"]
    planned = b.locator(".idea").filter(has_text="A timer on the grinder")
    expect(planned.locator(".stg")).to_have_text("Planned")
    expect(planned.locator(".rep")).to_have_text("Coming in spring.")

    item = b.locator(".idea").filter(has_text="A bigger bean hopper")
    expect(item.get_by_role("heading", level=3)).to_have_text("A bigger bean hopper")
    vote = item.get_by_role("button", name="Vote")
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(item.locator(".vc")).to_have_text("0 votes")
    vote.focus()
    page.keyboard.press("Enter")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(item.locator(".vc")).to_have_text("1 vote")
    expect(b.get_by_role("status")).to_have_text("Your vote is counted. 1 vote.")
    assert votes_of(plaudit, site, wanted) == 1
    # This browser remembers the vote.
    stored = page.evaluate(f"() => JSON.parse(localStorage.getItem('plaudit:voted:{site}'))")
    assert stored == [wanted]

    # After a vote: an e-mail to hear when it is planned or shipped (one vote still).
    email = item.get_by_label("Your email, to hear when this is planned or shipped")
    email.fill("fan@example.com")
    item.get_by_role("button", name="Notify me").click()
    expect(item.locator(".msg.good")).to_have_text(
        "Thanks! You will get one email when this moves."
    )
    assert votes_of(plaudit, site, wanted) == 1
    assert voter_emails(plaudit, wanted) == ["fan@example.com"]

    # Withdraw (Space on the focused button).
    vote.focus()
    page.keyboard.press("Space")
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(item.locator(".vc")).to_have_text("0 votes")
    assert votes_of(plaudit, site, wanted) == 0
    vote_url = f"{plaudit.origin}/api/v1/sites/{site}/ideas/{wanted}/votes"
    assert [body for url, body in posts if url == vote_url] == [
        {"vote": True},
        {"vote": True, "email": "fan@example.com"},
        {"vote": False},
    ]
    assert real_errors(seen) == []


def test_a_vote_is_shown_on_the_next_visit(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    idea(plaudit, site, "Grind size markings in metric")
    open_page(page, plaudit, ideas_mount(site))
    vote = board(page).get_by_role("button", name="Vote")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    page.context.new_cdp_session(page).send("Network.clearBrowserCache")
    page.reload()
    vote = board(page).get_by_role("button", name="Vote")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(board(page).locator(".vc")).to_have_text("1 vote")


def test_propose_an_idea_and_sort(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    idea(plaudit, site, "Older idea with votes")
    posts = posts_of(page)
    seen = open_page(page, plaudit, ideas_mount(site, product="sku-1"))
    b = board(page)
    expect(b.locator(".idea")).to_have_count(0)  # only this product's ideas
    expect(b.get_by_text("No ideas yet. Propose the first one.")).to_be_visible()
    assert any("product=sku-1" in u and "sort=top" in u for u in seen["api"])
    button = b.get_by_role("button", name="Propose an idea")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(b.get_by_label("Your idea in a few words")).to_be_focused()
    b.get_by_role("button", name="Submit idea").click()
    expect(b.get_by_label("Your idea in a few words")).to_have_attribute("aria-invalid", "true")
    b.get_by_label("Your idea in a few words").fill("A <script>travel</script> lid")
    b.get_by_label("Details (optional)").fill("For taking it camping.")
    b.get_by_label("Your name").fill("Cam")
    b.get_by_role("button", name="Submit idea").click()
    expect(b.locator(".msg.good")).to_have_text("Thank you! Your idea is on the board.")
    expect(b.locator(".idea h3")).to_have_text(["A <script>travel</script> lid"])
    expect(button).to_have_attribute("aria-expanded", "false")
    assert [body for url, body in posts if url.endswith("/ideas")] == [
        {
            "title": "A <script>travel</script> lid",
            "body": "For taking it camping.",
            "author_name": "Cam",
            "product": "sku-1",
        }
    ]
    with page.expect_response(lambda r: "sort=newest" in r.url):
        b.get_by_label("Sort by").select_option("newest")
    expect(b.locator(".idea")).to_have_count(1)
    assert real_errors(seen) == []


def test_a_held_idea_waits_for_approval(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site(moderation="pre")
    seen = open_page(page, plaudit, ideas_mount(site))
    b = board(page)
    expect(b.get_by_text("No ideas yet. Propose the first one.")).to_be_visible()
    b.get_by_role("button", name="Propose an idea").click()
    b.get_by_label("Your idea in a few words").fill("A travel case")
    b.get_by_label("Your name").fill("Cam")
    b.get_by_label("Email (optional, never shown)").fill("cam@example.com")
    b.get_by_role("button", name="Submit idea").click()
    expect(b.locator(".msg.good")).to_have_text("Thank you! Your idea will appear once approved.")
    expect(b.locator(".msg.good")).to_be_focused()
    expect(b.locator(".idea")).to_have_count(0)
    expect(b.get_by_text("No ideas yet. Propose the first one.")).to_be_visible()
    assert plaudit.get(f"/api/v1/sites/{site}/ideas")["ideas"] == []
    assert real_errors(seen) == []


def test_more_ideas_page_in(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    for n in range(12):
        idea(plaudit, site, f"Idea number {n:02}")
    open_page(page, plaudit, ideas_mount(site, sort="newest"))
    b = board(page)
    expect(b.locator(".idea")).to_have_count(10)
    expect(b.locator(".idea h3").first).to_have_text("Idea number 11")
    b.get_by_role("button", name="Show more ideas").click()
    expect(b.locator(".idea")).to_have_count(12)
    expect(b.locator(".idea").nth(10)).to_be_focused()
    expect(b.get_by_role("button", name="Show more ideas")).to_be_hidden()


def test_an_idea_made_from_a_review_shows_it(page: Page, plaudit: Plaudit) -> None:
    """The shop turns reviews into an idea (admin API, "make this an idea"): the board
    and the roadmap show the published ones under the idea, as text."""
    site = plaudit.site()
    wish = "Please add a <b>timer</b>, I always grind too much."
    kept = plaudit.review(site, PRODUCT, 1, body=wish)
    dropped = plaudit.review(site, PRODUCT, 2, body="A timer would be nice as well.")
    key = secret_key(plaudit, site)
    status, made = admin(
        plaudit, key, "POST", "/api/v1/admin/ideas", {"title": "A timer", "from": [kept, dropped]}
    )
    assert status == 201, made
    status, _ = admin(
        plaudit, key, "PATCH", f"/api/v1/admin/reviews/{dropped}", {"status": "rejected"}
    )
    assert status == 200
    status, _ = admin(
        plaudit, key, "PATCH", f"/api/v1/admin/ideas/{made['idea']['id']}", {"stage": "planned"}
    )
    assert status == 200
    seen = open_page(page, plaudit, ideas_mount(site) + ideas_mount(site, view="roadmap"))
    for mount in (board(page).first, board(page).nth(1).get_by_role("region", name="Planned")):
        shown = mount.locator(".idea").filter(has_text="A timer")
        expect(shown.locator(".src strong")).to_have_text("From customer feedback")
        expect(shown.locator(".src li")).to_have_text([wish])  # the rejected one is not
    assert real_errors(seen) == []


# ---------------------------------------------------------------- roadmap and changelog


def seed_stages(plaudit: Plaudit, site: str) -> None:
    idea(plaudit, site, "Still open idea")
    idea(plaudit, site, "Looking at it", stage="under_review")
    idea(plaudit, site, "A dosing cup", stage="planned", note="Next quarter.")
    idea(plaudit, site, "Quieter motor", stage="in_progress")
    idea(plaudit, site, "Metal burrs", stage="shipped", note="In every grinder since May.")
    idea(plaudit, site, "Gold plating", stage="declined")


def test_roadmap_columns_by_stage(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seed_stages(plaudit, site)
    seen = open_page(page, plaudit, ideas_mount(site, view="roadmap"))
    b = board(page)
    expect(b.get_by_role("heading", level=2)).to_have_text("Roadmap")
    columns = b.locator(".col")
    expect(columns.locator("h3").first).to_have_text("Under review")
    expect(columns.locator(":scope > h3")).to_have_text(
        ["Under review", "Planned", "In progress", "Shipped"]
    )
    for name, title in [
        ("Under review", "Looking at it"),
        ("Planned", "A dosing cup"),
        ("In progress", "Quieter motor"),
        ("Shipped", "Metal burrs"),
    ]:
        column = b.get_by_role("region", name=name)
        expect(column.locator(".idea h3")).to_have_text([title])
    expect(b.get_by_text("Still open idea")).to_have_count(0)
    expect(b.get_by_text("Gold plating")).to_have_count(0)
    # Shipped ideas take no more votes; the others do.
    expect(b.get_by_role("region", name="Shipped").get_by_role("button")).to_have_count(0)
    expect(
        b.get_by_role("region", name="Planned").get_by_role("button", name="Vote")
    ).to_be_visible()
    assert real_errors(seen) == []


def test_shipped_changelog(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seed_stages(plaudit, site)
    idea(plaudit, site, "Later shipped thing", stage="shipped")
    open_page(page, plaudit, ideas_mount(site, view="shipped"))
    b = board(page)
    expect(b.get_by_role("heading", level=2)).to_have_text("Recently shipped")
    expect(b.locator(".idea h3")).to_have_text(["Later shipped thing", "Metal burrs"])
    expect(b.locator(".idea").nth(1).locator(".rep")).to_have_text("In every grinder since May.")
    expect(b.get_by_role("button", name="Propose an idea")).to_have_count(0)


# ---------------------------------------------------------------- accessibility, languages


@pytest.mark.parametrize("width", [375, 1280])
def test_no_axe_violations(page: Page, plaudit: Plaudit, axe: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    site = plaudit.site()
    seed_stages(plaudit, site)
    open_page(
        page,
        plaudit,
        ideas_mount(site) + ideas_mount(site, view="roadmap", theme="dark"),
    )
    b = board(page).first
    expect(b.locator(".idea")).to_have_count(6)
    b.get_by_role("button", name="Propose an idea").click()
    b.get_by_role("button", name="Submit idea").click()
    b.locator(".idea").filter(has_text="Still open idea").get_by_role("button", name="Vote").click()
    expect(b.get_by_label("Your email, to hear when this is planned or shipped")).to_be_visible()
    expect(board(page).nth(1).locator(".col")).to_have_count(4)
    expect(board(page).nth(1).locator(".idea")).to_have_count(4)
    axe(page)
    for n in range(2):
        box = board(page).nth(n).locator(".pl").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width


@pytest.mark.parametrize(
    ("lang", "title", "propose", "vote", "stage"),
    [
        ("de", "Ideen", "Idee vorschlagen", "Abstimmen", "Geplant"),
        ("fr", "Idées", "Proposer une idée", "Voter", "Prévue"),
        ("es", "Ideas", "Proponer una idea", "Votar", "Planificada"),
    ],
)
def test_languages(
    page: Page, plaudit: Plaudit, lang: str, title: str, propose: str, vote: str, stage: str
) -> None:
    site = plaudit.site()
    idea(plaudit, site, "Planned idea", stage="planned")
    seen = open_page(page, plaudit, ideas_mount(site, lang=lang))
    b = board(page)
    expect(b.get_by_role("heading", level=2)).to_have_text(title)
    expect(b.get_by_role("button", name=propose)).to_be_visible()
    expect(b.get_by_role("button", name=vote)).to_be_visible()
    expect(b.locator(".stg")).to_have_text(stage)
    expect(b.locator(".pl")).to_have_attribute("lang", lang)
    assert real_errors(seen) == []


def test_only_pages_with_ideas_load_the_bundle(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    chunks = chunk_requests(page)
    open_page(page, plaudit, ideas_mount(site) + ideas_mount(site, view="roadmap"))
    expect(board(page).nth(1).locator(".col")).to_have_count(4)
    assert chunks == [f"{plaudit.origin}/widget/ideas.js"]  # once for both mounts
    # destroy() removes a mount; refresh() draws it again from the bundle already here.
    page.evaluate("() => Plaudit.destroy(document.querySelector('[data-plaudit-ideas]'))")
    expect(board(page).first.locator(".pl")).to_have_count(0)
    page.evaluate("() => Plaudit.mount()")
    expect(board(page).first.get_by_role("button", name="Propose an idea")).to_be_visible()
    expect(board(page).first.get_by_text("No ideas yet. Propose the first one.")).to_be_visible()
    assert len(chunks) == 1
