"""The admin page's trust features (issue 16), through the Flask test client, on both
databases.

Rejecting with a reason and a note (one item, a bulk action through the page that asks
why), what a card shows (the decision, reports, the appeal, the incentive label) and
the incentive toggle; the Reports section (grouped by item, keep and remove, the
filters and pages); the Audit log section (filters, pages, links, read-only); the trust
settings. Bad input is refused with a clear message and changes nothing; another
site's ids are 404; typed text is escaped. Every change made on the page is in the audit
log with the signed-in owner as its actor, read back from the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plaudit_server import guidelines
from plaudit_server.admin_ui.reasons import (
    ACTOR_TYPE_LABELS,
    REJECT_REASON_LABELS,
    REPORT_REASON_LABELS,
)
from plaudit_server.extensions import db
from plaudit_server.models import (
    REJECT_REASONS,
    REPORT_REASONS,
    AuditEntry,
    Comment,
    Invitation,
    Report,
    Review,
    Site,
    Status,
)
from plaudit_server.services import audit, manage, sites

from .helpers import seed_comment, seed_report, seed_reviews, set_status, status_of

ADMIN = "/admin"
GROUP = r'<li class="item report-group[^"]*" id="reported-([^"]+)"'


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def text_of(response: Any) -> str:
    """The page's text with tags removed and entities decoded, spaces collapsed."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def item_html(response: Any, element_id: str) -> str:
    """The markup of the ``<li>`` with ``element_id`` (a card, a reported item)."""
    html = response.get_data(as_text=True)
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</li>\n", html.index("</article>", start))]


def entries(app: Flask, **where: Any) -> list[AuditEntry]:
    """The audit entries of ``where`` (column=value), oldest first."""
    with app.app_context():
        stmt = sa.select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
        for column, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, column) == value)
        found = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return found


def item_of(app: Flask, model: type[Review] | type[Comment], item_id: str) -> Any:
    with app.app_context():
        item = db.session.get(model, item_id)
        db.session.expunge_all()
        return item


def report_rows(app: Flask, object_id: str) -> list[Report]:
    with app.app_context():
        found = list(
            db.session.scalars(
                sa.select(Report).where(Report.object_id == object_id).order_by(Report.id)
            )
        )
        db.session.expunge_all()
        return found


def moderate(client: Any, slug: str, ids: str | list[str], action: str, **form: Any) -> Any:
    return client.post(
        f"{ADMIN}/{slug}/reviews/moderate", data={"ids": ids, "action": action, **form}
    )


# ---------------------------------------------------------------- words


def test_every_reason_and_actor_type_has_words_in_the_models_order() -> None:
    assert tuple(REJECT_REASON_LABELS) == REJECT_REASONS
    assert tuple(REPORT_REASON_LABELS) == REPORT_REASONS
    assert set(ACTOR_TYPE_LABELS) == set(audit.ACTOR_TYPES)
    assert REJECT_REASON_LABELS["conflict_of_interest"] == "Conflict of interest"


# ---------------------------------------------------------------- rejecting with a reason


def test_reject_with_a_reason_and_a_note_is_stored_logged_and_shown(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site(moderation="pre")
    review_id, other_id = seed_reviews(app, site.slug, 2)
    client = signed_in(site)
    queue = ok(client.get(f"{ADMIN}/{site.slug}/reviews"))
    card = item_html(queue, f"item-{review_id}")
    # The card's reject form: a required reason from the list, and a note.
    assert f'<select id="reason-{review_id}" name="reason" required>' in card
    for value, label in REJECT_REASON_LABELS.items():
        assert f'<option value="{value}">{label}</option>' in card

    note = "Names a <staff member>; please leave names out."
    back = f"{ADMIN}/{site.slug}/reviews?status=all"
    response = moderate(
        client, site.slug, review_id, "reject", reason="personal_data", note=note, next=back
    )
    assert response.status_code == 302 and response.headers["Location"] == back
    review = item_of(app, Review, review_id)
    assert review.status == Status.REJECTED
    assert (review.moderation_reason, review.moderation_note) == ("personal_data", note)
    assert review.moderated_by == site.owner_email and review.moderated_at is not None
    (entry,) = entries(app, object_id=review_id)
    assert (entry.action, entry.from_value, entry.to_value) == (
        "review.status",
        "pending",
        "rejected",
    )
    assert (entry.actor_type, entry.actor_label) == ("owner", site.owner_email)
    assert (entry.reason, entry.note) == ("personal_data", note)
    assert status_of(app, Review, other_id) == Status.PENDING

    page = client.get(back)
    card = item_html(page, f"item-{review_id}")
    assert "1 review rejected." in text_of(page)
    assert '<strong class="decision-reason">Personal data</strong>' in card
    assert f'<span class="decision-by">{site.owner_email}</span>' in card
    assert "Names a &lt;staff member&gt;; please leave names out." in card
    assert "<staff member>" not in card
    # Rejected already: the form offers "mark as spam", with no reason required.
    assert "<summary>Mark as spam…</summary>" in card
    assert f'<select id="reason-{review_id}" name="reason" >' in card


def test_bulk_reject_asks_why_on_a_page_of_its_own(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site(moderation="pre")
    ids = seed_reviews(app, site.slug, 3)
    stranger = make_site(moderation="pre")
    (theirs,) = seed_reviews(app, stranger.slug, 1)
    client = signed_in(site)
    back = f"{ADMIN}/{site.slug}/reviews?status=pending"
    asked = ok(moderate(client, site.slug, [*ids[:2], theirs], "reject", next=back))
    html = asked.get_data(as_text=True)
    assert "Reject 2 reviews: why?" in text_of(asked)
    # The page carries the site's own ids only, and the way back.
    carried = re.findall(r'<input type="hidden" name="ids" value="([^"]+)">', html)
    assert sorted(carried) == sorted(ids[:2])
    assert f'<input type="hidden" name="next" value="{back.replace("&", "&amp;")}">' in html
    assert [status_of(app, Review, i) for i in ids] == [Status.PENDING] * 3
    assert entries(app, action="review.status") == []

    response = moderate(client, site.slug, ids[:2], "reject", reason="not_genuine", note="")
    assert response.status_code == 302
    for review_id in ids[:2]:
        review = item_of(app, Review, review_id)
        assert (review.status, review.moderation_reason) == (Status.REJECTED, "not_genuine")
        assert review.moderation_note is None
    assert status_of(app, Review, ids[2]) == Status.PENDING
    logged = entries(app, action="review.status")
    assert sorted(str(e.object_id) for e in logged) == sorted(ids[:2])
    assert {(e.reason, e.actor_label) for e in logged} == {("not_genuine", site.owner_email)}

    # Spam asks too, with Spam already chosen.
    asked = ok(moderate(client, site.slug, ids[2], "spam"))
    assert "Mark 1 review as spam: why?" in text_of(asked)
    assert '<option value="spam" selected>Spam</option>' in asked.get_data(as_text=True)
    # Only another site's ids: nothing to ask about.
    assert moderate(client, site.slug, theirs, "reject").status_code == 404
    assert status_of(app, Review, theirs) == Status.PENDING


def test_spam_without_a_chosen_reason_is_recorded_as_spam(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    comment_id = seed_comment(app, site.slug, body="Buy cheap watches")
    client = signed_in(site)
    response = client.post(
        f"{ADMIN}/{site.slug}/comments/moderate",
        data={"ids": comment_id, "action": "spam", "reason": "", "note": ""},
    )
    assert response.status_code == 302
    comment = item_of(app, Comment, comment_id)
    assert (comment.status, comment.moderation_reason) == (Status.SPAM, "spam")
    (entry,) = entries(app, object_id=comment_id)
    assert (entry.action, entry.to_value, entry.reason) == ("comment.status", "spam", "spam")


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"reason": "low_rating"}, "reason", "Choose one of the reasons in the list."),
        ({"reason": ""}, "reason", "Choose the reason from the list: the author is told it."),
        ({"reason": "other", "note": "x" * 1001}, "note", "Must be at most 1000 characters."),
    ],
)
def test_a_bad_reason_or_note_is_refused_and_nothing_changes(
    app: Flask,
    make_site: Callable[..., Any],
    signed_in: Callable[[Any], Any],
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    site = make_site(moderation="pre")
    (review_id,) = seed_reviews(app, site.slug, 1)
    client = signed_in(site)
    response = ok(moderate(client, site.slug, review_id, "reject", **form), 422)
    html = response.get_data(as_text=True)
    assert '<p class="field-error" role="alert">Nothing was changed' in html
    found = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html)
    assert found and unescape(found.group(1)) == message
    assert f'aria-describedby="{field}-error"' in html or f"{field}-error" in html
    # What was typed is kept for the next try; the ids too.
    assert f'<input type="hidden" name="ids" value="{review_id}">' in html
    review = item_of(app, Review, review_id)
    assert (review.status, review.moderation_reason) == (Status.PENDING, None)
    assert entries(app, object_id=review_id) == []


# ---------------------------------------------------------------- what a card shows


def test_a_card_shows_reports_the_appeal_and_the_incentive(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    reported, appealed, plain = seed_reviews(app, site.slug, 3)
    seed_report(app, site.slug, reported, visitor="v1")
    seed_report(app, site.slug, reported, reason="spam", visitor="v2")
    set_status(app, site.slug, [appealed], Status.REJECTED)
    with app.app_context():
        own = sites.site_by_slug(db.session, site.slug)
        review = db.session.get(Review, appealed)
        assert review is not None
        manage.appeal(db.session, own, review, "It was <b>my own</b> experience!")
        db.session.commit()
    client = signed_in(site)
    page = ok(client.get(f"{ADMIN}/{site.slug}/reviews?status=all"))

    card = item_html(page, f"item-{reported}")
    assert ">Reported 2 times</a>" in card
    assert f'href="/admin/{site.slug}/reports?status=open&amp;object_id={reported}"' in card
    card = item_html(page, f"item-{appealed}")
    assert '<span class="badge badge-appealed">Appealed</span>' in card
    assert "It was &lt;b&gt;my own&lt;/b&gt; experience!" in card
    assert "badge-incentive" not in card
    assert "Reported" not in item_html(page, f"item-{plain}")
    assert f'href="/admin/{site.slug}/audit?object_id={plain}"' in item_html(page, f"item-{plain}")


def test_the_incentive_label_is_toggled_and_logged(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    other = make_site()
    (review_id,) = seed_reviews(app, site.slug, 1)
    (theirs,) = seed_reviews(app, other.slug, 1)
    client = signed_in(site)
    url = f"{ADMIN}/{site.slug}/reviews/{review_id}/incentivized"
    back = f"{ADMIN}/{site.slug}/reviews?status=all"
    response = client.post(url, data={"incentivized": "true", "next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    assert item_of(app, Review, review_id).incentivized is True
    page = client.get(back)
    assert "Marked as having received an incentive" in text_of(page)
    card = item_html(page, f"item-{review_id}")
    assert '<span class="badge badge-incentive">Received an incentive</span>' in card
    assert '<input type="hidden" name="incentivized" value="false">' in card
    public = client.get(f"/api/v1/sites/{site.slug}/products/sku-1/reviews").get_json()
    assert public["reviews"][0]["incentivized"] is True

    client.post(url, data={"incentivized": "false"})
    assert item_of(app, Review, review_id).incentivized is False
    logged = entries(app, action="review.incentivized")
    assert [(e.from_value, e.to_value, e.actor_label) for e in logged] == [
        ("false", "true", site.owner_email),
        ("true", "false", site.owner_email),
    ]
    assert client.post(url, data={"incentivized": "maybe"}).status_code == 400
    theirs_url = f"{ADMIN}/{site.slug}/reviews/{theirs}/incentivized"
    assert client.post(theirs_url, data={"incentivized": "true"}).status_code == 404
    assert item_of(app, Review, theirs).incentivized is False
    assert len(entries(app, action="review.incentivized")) == 2


def test_an_invitation_can_say_the_buyer_is_offered_an_incentive(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    client = signed_in(site)
    form = {"order_id": "A-1", "email": "ada@example.test", "name": "", "products": "sku-1"}
    url = f"{ADMIN}/{site.slug}/invitations"
    assert "The buyer is offered something for a review" in text_of(client.get(url))
    client.post(url, data={**form, "incentive": "yes"})
    client.post(url, data={**form, "order_id": "A-2"})
    with app.app_context():
        found = db.session.execute(
            sa.select(Invitation.order_id, Invitation.incentive).order_by(Invitation.order_id)
        ).all()
    assert [tuple(row) for row in found] == [("A-1", True), ("A-2", False)]


# ---------------------------------------------------------------- reports


def test_reports_are_grouped_by_item_and_kept_or_removed(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    held, removed = seed_reviews(app, site.slug, 2, title="Fine grinder")
    comment_id = seed_comment(app, site.slug, body="Rude words here")
    # Three reports hold the first review (the default threshold); one each on the rest.
    for n in range(3):
        seed_report(
            app,
            site.slug,
            held,
            reason="fake" if n else "illegal",
            visitor=f"v{n}",
            details="It copies <my> text" if n == 0 else None,
            email="reporter@example.test" if n == 0 else None,
        )
    seed_report(app, site.slug, removed, reason="offensive", visitor="v9", email="r2@example.test")
    seed_report(app, site.slug, comment_id, object_type="comment", reason="spam", visitor="v9")
    assert status_of(app, Review, held) == Status.PENDING
    client = signed_in(site)
    page = ok(client.get(f"{ADMIN}/{site.slug}/reports"))
    html = page.get_data(as_text=True)
    # The navigation counts the open reports; the page shows three items.
    assert re.search(r">Reports <span class=\"count nav-count\">5<", html)
    assert re.findall(GROUP, html) == [comment_id, removed, held]
    group = item_html(page, f"reported-{held}")
    assert "Fine grinder" in group and "3 open reports" in group
    assert group.count('class="report-entry report-open"') == 3
    assert "Illegal content (notice)" in group and group.count(">Fake<") == 2
    assert "It copies &lt;my&gt; text" in group
    assert 'href="mailto:reporter@example.test"' in group
    assert "Rude words here" in item_html(page, f"reported-{comment_id}")

    # Keep the held review: published again, its three reports kept, with the note.
    report_id = re.search(r"reports/(rpt_[^/]+)/decide", group)
    assert report_id
    back = f"{ADMIN}/{site.slug}/reports?status=open"
    response = client.post(
        f"{ADMIN}/{site.slug}/reports/{report_id.group(1)}/decide",
        data={"decision": "keep", "note": "Checked: <fine>.", "next": back},
    )
    assert response.status_code == 302 and response.headers["Location"] == back
    assert status_of(app, Review, held) == Status.PUBLISHED
    assert {(r.status.value, r.note, r.decided_by) for r in report_rows(app, held)} == {
        ("kept", "Checked: <fine>.", site.owner_email)
    }
    page = client.get(back)
    assert (
        "The review is kept and stays published: 3 reports decided; 1 reporter will hear "
        "of it by e-mail." in text_of(page)
    )
    assert f'id="reported-{held}"' not in page.get_data(as_text=True)

    # Remove the other review: rejected with the reason its reports give.
    (open_report,) = report_rows(app, removed)
    client.post(f"{ADMIN}/{site.slug}/reports/{open_report.id}/decide", data={"decision": "remove"})
    review = item_of(app, Review, removed)
    assert (review.status, review.moderation_reason) == (Status.REJECTED, "offensive")
    assert "The review is removed (rejected: Offensive)" in text_of(client.get(back))
    decided = entries(app, action="report.decided")
    assert [(e.object_id, e.to_value, e.actor_label) for e in decided] == [
        (held, "kept", site.owner_email),
        (removed, "removed", site.owner_email),
    ]

    # The filters: kept and removed show them, with the decision.
    kept = ok(client.get(f"{ADMIN}/{site.slug}/reports?status=kept"))
    assert re.findall(GROUP, kept.get_data(as_text=True)) == [held]
    assert "Note to the reporter: Checked: <fine>." in text_of(kept)
    assert "decide" not in item_html(kept, f"reported-{held}")  # nothing left to decide
    gone = ok(client.get(f"{ADMIN}/{site.slug}/reports?status=removed"))
    assert re.findall(GROUP, gone.get_data(as_text=True)) == [removed]
    assert re.search(r">Reports <span class=\"count nav-count\">1<", gone.get_data(True))

    # Deciding again: a message, nothing changes.
    again = client.post(
        f"{ADMIN}/{site.slug}/reports/{open_report.id}/decide",
        data={"decision": "keep", "next": back},
    )
    assert again.status_code == 302
    assert "are decided already" in text_of(client.get(back))
    assert status_of(app, Review, removed) == Status.REJECTED


def test_bad_decisions_and_unknown_reports_change_nothing(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    stranger = make_site()
    (review_id,) = seed_reviews(app, site.slug, 1)
    (theirs,) = seed_reviews(app, stranger.slug, 1)
    report_id = seed_report(app, site.slug, review_id)
    their_report = seed_report(app, stranger.slug, theirs)
    client = signed_in(site)
    url = f"{ADMIN}/{site.slug}/reports/{report_id}/decide"
    back = f"{ADMIN}/{site.slug}/reports"
    response = client.post(url, data={"decision": "delete", "next": back})
    assert response.status_code == 302
    assert "Nothing was decided: Must be one of: keep, remove." in text_of(client.get(back))
    client.post(url, data={"decision": "remove", "note": "n" * 1001})
    assert "Nothing was decided: Must be at most 1000 characters." in text_of(client.get(back))
    for unknown in ("rpt_01JUNKNOWNUNKNOWNUNKNOWN00", their_report):
        response = client.post(
            f"{ADMIN}/{site.slug}/reports/{unknown}/decide", data={"decision": "remove"}
        )
        assert response.status_code == 404
        assert "There is no report" in text_of(response)
    assert [r.status.value for r in report_rows(app, review_id)] == ["open"]
    assert [r.status.value for r in report_rows(app, theirs)] == ["open"]
    assert status_of(app, Review, review_id) == Status.PUBLISHED
    assert status_of(app, Review, theirs) == Status.PUBLISHED
    assert entries(app, action="report.decided") == []
    # Another site's reports are not listed; its id filter finds none here.
    page = ok(client.get(f"{ADMIN}/{site.slug}/reports?status=all&object_id={theirs}"))
    assert "No reports on this item." in text_of(page)
    assert client.get(f"{ADMIN}/{stranger.slug}/reports").status_code == 404


def test_reports_pages_with_keyset_cursors_and_bad_filters_ignored(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    with app.app_context():
        sites.update_site(
            db.session, sites.site_by_slug(db.session, site.slug), {"report_threshold": 0}
        )
        db.session.commit()
    ids = seed_reviews(app, site.slug, 12)
    for review_id in ids:
        for n in range(5):
            seed_report(app, site.slug, review_id, visitor=f"v{n}")
    client = signed_in(site)
    url: str | None = f"{ADMIN}/{site.slug}/reports"
    seen: list[str] = []
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'<li class="report-entry report-open" id="report-(rpt_[^"]+)"', html)
        pages += 1
        match = re.search(r'rel="next" href="([^"]+)"', html)
        url = unescape(match.group(1)) if match else None
    assert pages == 2  # 60 reports, 50 a page
    assert len(seen) == len(set(seen)) == 60
    assert all(status_of(app, Review, i) == Status.PUBLISHED for i in ids)  # threshold 0
    page = ok(client.get(f"{ADMIN}/{site.slug}/reports?status=nope&cursor=garbage"))
    assert "Some filters were ignored: status, cursor." in text_of(page)
    assert page.get_data(as_text=True).count('class="report-entry report-open"') == 50


# ---------------------------------------------------------------- audit log


def test_the_audit_log_lists_filters_and_links_what_the_page_did(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site(moderation="pre")
    kept, deleted = seed_reviews(app, site.slug, 2)
    comment_id = seed_comment(app, site.slug)
    client = signed_in(site)
    moderate(client, site.slug, kept, "approve")
    moderate(client, site.slug, [kept], "reject", reason="off_topic", note="About <shipping>.")
    moderate(client, site.slug, deleted, "delete", confirmed="yes")
    client.post(
        f"{ADMIN}/{site.slug}/comments/moderate", data={"ids": comment_id, "action": "approve"}
    )
    client.post(f"{ADMIN}/{site.slug}/settings/keys", data={"name": "nightly"})

    log = f"{ADMIN}/{site.slug}/audit"
    page = ok(client.get(log))
    html = page.get_data(as_text=True)
    rows = re.findall(r'<tr id="aud-[^"]+">(.*?)</tr>', html, re.S)
    actions = [re.search(r"<code>([^<]+)</code>", row).group(1) for row in rows]  # type: ignore[union-attr]
    assert actions[:5] == [
        "key.created",
        "comment.status",
        "review.deleted",
        "review.status",
        "review.status",
    ]
    assert all(site.owner_email in row for row in rows[:5])
    reject_row = rows[3]
    assert 'published</span> → <span class="to">rejected' in reject_row
    assert "Off topic" in reject_row and "About &lt;shipping&gt;." in reject_row
    # The existing review links to its page; the deleted one is plain text.
    assert f'<a href="/admin/{site.slug}/reviews/{kept}"><code>{kept}</code></a>' in html
    assert f"<code>{deleted}</code>" in html and f'/reviews/{deleted}"' not in html
    # Read-only: no form that posts, other than signing out.
    main = html[html.index("<main>") :]
    assert 'method="post"' not in main

    def listed(**query: str) -> list[str]:
        found = ok(client.get(log, query_string=query)).get_data(as_text=True)
        return re.findall(r'<th scope="row" class="action"><code>([^<]+)</code>', found)

    assert listed(object_id=kept) == ["review.status", "review.status"]
    assert listed(action="review.") == ["review.deleted", "review.status", "review.status"]
    assert listed(action="review.deleted") == ["review.deleted"]
    assert listed(actor_type="system") == ["key.created"]  # the site's first key (the CLI)
    assert len(listed(actor_type="owner")) == 5
    logged = entries(app)
    first, last = logged[0].at.date(), logged[-1].at.date()
    assert len(listed(since=first.isoformat(), until=last.isoformat())) == len(logged) == 6
    assert listed(since=(last + timedelta(days=1)).isoformat()) == []
    assert listed(until=(first - timedelta(days=1)).isoformat()) == []
    refused = ok(client.get(log, query_string={"actor_type": "robot", "since": "yesterday"}))
    assert "Some filters were ignored: since, actor_type." in text_of(refused)
    assert "No entries match these filters." in text_of(
        client.get(log, query_string={"object_id": "rev_NONE"})
    )


def test_the_audit_log_pages_with_keyset_cursors(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site(moderation="pre")
    ids = seed_reviews(app, site.slug, 60)
    client = signed_in(site)
    moderate(client, site.slug, ids, "approve")
    url: str | None = f"{ADMIN}/{site.slug}/audit?action=review.status"
    seen: list[str] = []
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'<tr id="(aud-[^"]+)">', html)
        pages += 1
        match = re.search(r'rel="next" href="([^"]+)"', html)
        url = unescape(match.group(1)) if match else None
    assert pages == 2
    assert len(seen) == len(set(seen)) == 60


# ---------------------------------------------------------------- settings


def test_report_threshold_and_guidelines_are_saved_and_logged(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    site = make_site()
    client = signed_in(site)
    page = ok(client.get(f"{ADMIN}/{site.slug}/settings"))
    html = page.get_data(as_text=True)
    assert 'id="report_threshold" name="report_threshold"' in html and 'value="3"' in html
    default = guidelines.default_text("en")
    assert f'<div class="guidelines-text" id="default-guidelines">{default}</div>' in unescape(html)

    url = f"{ADMIN}/{site.slug}/settings/trust"
    text = "We publish every genuine review.\n\nWe remove <insults>."
    response = client.post(url, data={"report_threshold": " 5 ", "guidelines": text})
    assert response.status_code == 302 and response.headers["Location"].endswith("#trust")
    with app.app_context():
        own = db.session.scalar(sa.select(Site).where(Site.slug == site.slug))
        assert own is not None and (own.report_threshold, own.guidelines) == (5, text)
    page = client.get(f"{ADMIN}/{site.slug}/settings")
    assert "Report and guideline settings saved." in text_of(page)
    assert "We remove &lt;insults&gt;.</textarea>" in page.get_data(as_text=True)
    logged = {e.action: e for e in entries(app, object_id=site.slug)}
    assert (
        logged["site.report_threshold"].from_value,
        logged["site.report_threshold"].to_value,
    ) == ("3", "5")
    assert logged["site.guidelines"].actor_label == site.owner_email

    # Empty guidelines: the default again.
    client.post(url, data={"report_threshold": "0", "guidelines": "  "})
    with app.app_context():
        own = db.session.scalar(sa.select(Site).where(Site.slug == site.slug))
        assert own is not None and (own.report_threshold, own.guidelines) == (0, None)


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ("101", "Must be greater than or equal to 0 and less than or equal to 100."),
        ("-1", "Must be greater than or equal to 0 and less than or equal to 100."),
        ("three", "Not a valid integer."),
        ("", "Not a valid integer."),
    ],
)
def test_a_bad_report_threshold_is_refused_with_the_form_kept(
    app: Flask,
    make_site: Callable[..., Any],
    signed_in: Callable[[Any], Any],
    threshold: str,
    message: str,
) -> None:
    site = make_site()
    client = signed_in(site)
    response = ok(
        client.post(
            f"{ADMIN}/{site.slug}/settings/trust",
            data={"report_threshold": threshold, "guidelines": "Kept <as typed>"},
        ),
        422,
    )
    html = response.get_data(as_text=True)
    assert "These settings were not saved" in html
    found = re.search(r'<p class="field-error" id="report_threshold-error">(.*?)</p>', html)
    assert found and unescape(found.group(1)) == message
    assert 'aria-invalid="true"' in html
    assert "Kept &lt;as typed&gt;</textarea>" in html
    with app.app_context():
        own = db.session.scalar(sa.select(Site).where(Site.slug == site.slug))
        assert own is not None and (own.report_threshold, own.guidelines) == (3, None)
    assert entries(app, object_id=site.slug) == []
