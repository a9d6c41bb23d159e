"""The SDK's trust features against the live server, on both clients: reports and
decisions, the audit log, rejection reasons, incentives, response metrics and the
transparency report. The author's side (``AuthorClient``) is in test_trust_author.py."""

from __future__ import annotations

import datetime as dt
import typing
import uuid
from typing import Any

import httpx
import pytest

import plaudit
from plaudit import ReportStatus, ReviewStatus

from .conftest import Poster


class Reporter:
    """Reports items through the public API as visitors would; each call is another
    visitor (its own User-Agent), since one visitor reports an item once."""

    def __init__(self, base_url: str, slug: str) -> None:
        self.base_url = base_url
        self.slug = slug

    def __call__(
        self, item_id: str, *, kind: str = "review", reason: str = "spam", **fields: Any
    ) -> str:
        response = httpx.post(
            f"{self.base_url}/api/v1/sites/{self.slug}/{kind}s/{item_id}/reports",
            json={"reason": reason, **fields},
            headers={"User-Agent": f"visitor-{uuid.uuid4().hex}"},
        )
        assert response.status_code == 202, response.text
        assert response.json()["report"]["status"] == "received"
        report_id: str = response.json()["report"]["id"]
        return report_id


@pytest.fixture
def report(live_server: Any, site: Any) -> Reporter:
    return Reporter(live_server.url, site.slug)


# ---------------------------------------------------------------- reports


def test_reports_list_get_and_filters(both, post: Poster, report):
    first, second = post.review()["id"], post.review()["id"]
    offensive = report(first, reason="offensive", details="Insults the staff")
    notice = report(
        second, reason="illegal", details="Shares a phone number", email="eve@example.test"
    )
    comment = post.comment()["id"]
    on_comment = report(comment, kind="comment", reason="off_topic")

    reports = both(lambda client: client.reports.list(status="open"))
    assert [r.id for r in reports] == [on_comment, notice, offensive]  # newest first
    assert all(isinstance(r, plaudit.Report) for r in reports)
    assert all(r.status is ReportStatus.OPEN and r.decided_at is None for r in reports)

    got = both(lambda client: client.reports.get(notice))
    assert (got.object_type, got.object_id, got.reason) == ("review", second, "illegal")
    assert (got.details, got.email) == ("Shares a phone number", "eve@example.test")
    assert got.created_at.tzinfo is dt.UTC
    assert abs(got.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)

    only = both(lambda client: client.reports.list(object_id=comment))
    assert [(r.id, r.object_type) for r in only] == [(on_comment, "comment")]
    assert both(lambda client: client.reports.list(status="kept")) == []


def test_reports_are_read_page_by_page(sdk, post, report):
    sdk.site.update(report_threshold=0)  # five reports, and the review stays up
    review = post.review()["id"]
    made = [report(review) for _ in range(5)]
    page = sdk.reports.list(limit=2)
    assert len(page.items) == 2 and page.has_next_page()
    assert [len(p.items) for p in page.iter_pages()] == [2, 2, 1]
    assert sorted(r.id for r in page) == sorted(made)


def test_decide_remove_decides_every_open_report_of_the_item(both, sdk, post, report):
    review = post.review()["id"]
    ids = {report(review, reason="fake"), report(review, reason="fake")}
    other = report(post.review()["id"])

    decided = both(
        lambda client: client.reports.decide(
            sorted(ids)[0], "remove", note="Written by a competitor."
        )
    )
    assert {r.id for r in decided} == ids
    assert all(r.status is ReportStatus.REMOVED for r in decided)
    assert all(r.note == "Written by a competitor." and r.decided_at for r in decided)

    removed = sdk.reviews.get(review)
    assert removed.status is ReviewStatus.REJECTED
    assert removed.moderation is not None and removed.moderation.reason
    assert sdk.reports.get(other).status is ReportStatus.OPEN
    assert {r.id for r in sdk.reports.list(status="removed")} == ids

    with pytest.raises(plaudit.ConflictError):
        both(lambda client: client.reports.decide(sorted(ids)[0], "keep"))
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.reports.decide(other, "ignore"))
    assert "decision" in caught.value.errors
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.reports.decide("rpt_does_not_exist", "keep"))
    assert sdk.reports.get(other).status is ReportStatus.OPEN


def test_threshold_holds_an_item_and_keep_publishes_it_again(both, sdk, post, report):
    assert both(lambda client: client.site.update(report_threshold=2)).report_threshold == 2
    review = post.review()["id"]
    first = report(review)
    assert sdk.reviews.get(review).status is ReviewStatus.PUBLISHED
    report(review, reason="offensive")
    held = sdk.reviews.get(review)
    assert held.status is ReviewStatus.PENDING
    assert held.reports_open == 2

    kept = both(lambda client: client.reports.decide(first, "keep"))
    assert {r.status for r in kept} == {ReportStatus.KEPT}
    again = sdk.reviews.get(review)
    assert again.status is ReviewStatus.PUBLISHED
    assert again.reports_open == 0


# ---------------------------------------------------------------- reasons


def test_reject_with_a_reason_and_a_note(both, sdk, post):
    review = post.review()["id"]
    rejected = both(
        lambda client: client.reviews.reject(
            review, reason="personal_data", note="It names your neighbour."
        )
    )
    assert rejected.status is ReviewStatus.REJECTED
    moderation = rejected.moderation
    assert isinstance(moderation, plaudit.ModerationDecision)
    assert (moderation.reason, moderation.note) == ("personal_data", "It names your neighbour.")
    assert moderation.at is not None and moderation.at.tzinfo is dt.UTC
    assert moderation.by  # the key's label
    assert sdk.reviews.get(review).moderation == moderation

    spam = both(lambda client: client.reviews.mark_spam(post.review()["id"], reason="spam"))
    assert spam.status is ReviewStatus.SPAM and spam.moderation is not None
    assert spam.moderation.reason == "spam"


def test_comments_take_reasons_too(both, sdk, post):
    comment = post.comment()["id"]
    rejected = both(
        lambda client: client.comments.reject(comment, reason="off_topic", note="Not the lid.")
    )
    assert rejected.status is ReviewStatus.REJECTED
    assert rejected.moderation is not None
    assert (rejected.moderation.reason, rejected.moderation.note) == ("off_topic", "Not the lid.")

    a, b = post.comment()["id"], post.comment()["id"]
    assert both(lambda client: client.comments.moderate([a, b], "rejected", reason="spam")) == 2
    assert {sdk.comments.get(i).moderation.reason for i in (a, b)} == {"spam"}  # type: ignore[union-attr]


def test_moderate_many_with_a_reason(both, sdk, post):
    ids = [r["id"] for r in post.reviews(3)]
    updated = both(
        lambda client: client.reviews.moderate(
            ids, "rejected", reason="not_genuine", note="Same text three times."
        )
    )
    assert updated == 3
    for review in sdk.reviews.list(status="rejected"):
        assert review.moderation is not None
        assert (review.moderation.reason, review.moderation.note) == (
            "not_genuine",
            "Same text three times.",
        )


def test_a_reason_outside_the_list_is_refused_and_changes_nothing(both, sdk, post):
    review = post.review()["id"]
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.reviews.reject(review, reason="one_star"))
    assert "reason" in caught.value.errors
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.reviews.moderate([review], "rejected", reason="too_negative"))
    assert "reason" in caught.value.errors
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.comments.reject(post.comment()["id"], reason="rude"))
    assert "reason" in caught.value.errors
    unchanged = sdk.reviews.get(review)
    assert unchanged.status is ReviewStatus.PUBLISHED
    assert unchanged.moderation is None


def test_one_id_string_is_not_taken_for_a_list_of_ids(sdk, post):
    review = post.review()["id"]
    with pytest.raises(TypeError):
        sdk.reviews.moderate(review, "rejected")
    assert sdk.reviews.get(review).status is ReviewStatus.PUBLISHED


def test_update_needs_something_to_change(sdk, post):
    review = post.review()["id"]
    with pytest.raises(ValueError, match="Nothing to update"):
        sdk.reviews.update(review)
    with pytest.raises(ValueError, match="Nothing to update"):
        sdk.comments.update(post.comment()["id"])


# ---------------------------------------------------------------- incentives


def test_incentivized_is_set_by_the_owner_and_shown_publicly(both, sdk, post):
    review = post.review(product="sku-9")["id"]
    assert sdk.reviews.get(review).incentivized is False
    marked = both(lambda client: client.reviews.update(review, incentivized=True))
    assert marked.incentivized is True
    public = sdk.products.reviews("sku-9").items
    assert [(r.id, r.incentivized) for r in public] == [(review, True)]
    assert type(public[0]) is plaudit.Review

    comment = post.comment()["id"]
    assert both(lambda client: client.comments.update(comment, incentivized=True)).incentivized


def test_an_invitation_with_an_incentive_brings_incentivized_reviews(both, sdk, live_server, site):
    invitation = both(
        lambda client: client.invitations.create(
            order_id=f"o-{uuid.uuid4().hex[:8]}",
            email="ada@example.test",
            products=["sku-1"],
            incentive=True,
        )
    )
    assert invitation.incentive is True
    response = httpx.post(
        f"{live_server.url}/api/v1/sites/{site.slug}/products/sku-1/reviews",
        json={
            "rating": 4,
            "body": "Got a voucher",
            "author_name": "Ada",
            "invite": invitation.token,
        },
    )
    assert response.status_code == 201, response.text
    review = sdk.reviews.get(response.json()["review"]["id"])
    assert review.verified_buyer and review.incentivized

    plain = sdk.invitations.create(
        order_id=f"o-{uuid.uuid4().hex[:8]}", email="bo@example.test", products=["sku-1"]
    )
    response = httpx.post(
        f"{live_server.url}/api/v1/sites/{site.slug}/products/sku-1/reviews",
        json={"rating": 4, "body": "No voucher", "author_name": "Bo", "invite": plain.token},
    )
    assert response.status_code == 201, response.text
    assert sdk.reviews.get(response.json()["review"]["id"]).incentivized is False
    assert plain.incentive is False


# ---------------------------------------------------------------- audit log


def test_audit_log_records_moderation_with_its_actor(both, sdk, post):
    review = post.review()["id"]
    sdk.reviews.reject(review, reason="offensive", note="Insults.")
    sdk.reviews.approve(review)

    entries = both(lambda client: client.audit.list(object_id=review))
    assert all(isinstance(e, plaudit.AuditEntry) for e in entries)
    statuses = [e for e in entries if e.action == "review.status"]
    assert [(e.from_value, e.to_value) for e in statuses] == [
        ("rejected", "published"),
        ("published", "rejected"),
    ]  # newest first
    rejected = statuses[1]
    assert (rejected.reason, rejected.note) == ("offensive", "Insults.")
    assert rejected.actor.type == "key" and rejected.actor.label
    assert rejected.at.tzinfo is dt.UTC
    assert rejected.object_id == review


def test_audit_filters(both, sdk, post):
    review = post.review()["id"]
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    sdk.reviews.reject(review, reason="spam")
    sdk.site.update(report_threshold=4)
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)

    reviews_only = both(lambda client: client.audit.list(action="review."))
    assert reviews_only and all(e.action.startswith("review.") for e in reviews_only)
    exact = both(lambda client: client.audit.list(action="review.status"))
    assert [e.object_id for e in exact] == [review]
    by_key = both(lambda client: client.audit.list(actor_type="key", since=before, until=after))
    assert {e.action for e in by_key} >= {"review.status"}
    assert any(e.action.startswith("site.") for e in by_key)
    assert both(lambda client: client.audit.list(since=after)) == []
    assert both(lambda client: client.audit.list(actor_type="reviewer")) == []
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.audit.list(actor_type="robot"))
    assert "actor_type" in caught.value.errors


def test_audit_is_read_page_by_page(both, sdk, post):
    ids = [r["id"] for r in post.reviews(5)]
    for review in ids:
        sdk.reviews.reject(review)
    page = sdk.audit.list(action="review.status", limit=2)
    assert len(page.items) == 2 and page.has_next_page()
    everything = both(lambda client: client.audit.list(action="review.status", limit=2))
    assert len({e.id for e in everything}) == len(everything) == 5
    assert sorted(e.object_id for e in everything) == sorted(ids)


# ---------------------------------------------------------------- settings, stats


def test_site_settings_report_threshold_and_guidelines(both, sdk):
    site = sdk.site.get()
    assert (site.report_threshold, site.guidelines) == (3, None)
    changed = both(
        lambda client: client.site.update(report_threshold=0, guidelines="Be kind, be true.")
    )
    assert (changed.report_threshold, changed.guidelines) == (0, "Be kind, be true.")
    assert sdk.site.get().guidelines == "Be kind, be true."
    assert both(lambda client: client.site.update(guidelines=None)).guidelines is None
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda client: client.site.update(report_threshold=-1))
    assert "report_threshold" in caught.value.errors


def test_guidelines_default_then_the_sites_own(both, sdk, site):
    default = both(lambda client: client.guidelines())
    assert isinstance(default, plaudit.Guidelines)
    assert (default.site, default.customized) == (site.slug, False)
    assert default.text.strip() and default.url
    sdk.site.update(locale="de")  # the default text comes in the site's language
    german = both(lambda client: client.guidelines())
    assert (german.locale, german.customized) == ("de", False)
    assert german.text.strip() and german.text != default.text

    sdk.site.update(guidelines="We remove insults.\n\nNever a review for its stars.")
    own = both(lambda client: client.guidelines(site=site.slug))
    assert own.customized is True
    assert own.text == "We remove insults.\n\nNever a review for its stars."
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.guidelines(site="no-such-site"))


def test_stats_responses_per_site_and_product(both, sdk, post):
    answered = post.review(product="sku-a", rating=1)["id"]
    post.review(product="sku-a", rating=5)
    post.review(product="sku-b", rating=2)
    assert both(lambda client: client.stats()).responses == plaudit.ResponseStats(
        reply_rate=0.0, median_hours_to_reply=None, low_rating_reply_rate=0.0
    )
    sdk.reviews.reply(answered, "Sorry, we are sending a new one.")

    site_wide = both(lambda client: client.stats()).responses
    assert site_wide.reply_rate == pytest.approx(1 / 3, abs=0.01)
    assert site_wide.low_rating_reply_rate == pytest.approx(1 / 2, abs=0.01)
    assert site_wide.median_hours_to_reply is not None and site_wide.median_hours_to_reply < 1
    product = both(lambda client: client.stats(product="sku-a")).responses
    assert product.reply_rate == pytest.approx(1 / 2, abs=0.01)
    assert product.low_rating_reply_rate == pytest.approx(1.0)
    other = both(lambda client: client.stats(product="sku-b")).responses
    assert other.reply_rate == 0 and other.low_rating_reply_rate == 0


def test_transparency_report(both, sdk, post, report, site):
    ids = [r["id"] for r in post.reviews(4)]
    sdk.reviews.reject(ids[0], reason="off_topic")
    sdk.reviews.reject(ids[1], reason="off_topic")
    sdk.reviews.mark_spam(ids[2], reason="spam")
    reported = report(ids[3], reason="fake")
    sdk.reports.decide(reported, "remove")

    own = both(lambda client: client.transparency())
    assert isinstance(own, plaudit.Transparency)
    assert own.received >= 4
    assert own.rejected_by_reason.get("off_topic") == 2
    assert own.rejected_by_reason.get("spam") == 1
    assert own.rejected_by_reason.get("not_genuine") == 1  # the report's "fake"
    assert own.reports == plaudit.ReportCounts(received=1, removed=1)
    assert own.median_hours_to_moderate is not None
    assert both(lambda client: client.transparency(site=site.slug)) == own
    with pytest.raises(plaudit.NotFoundError):
        both(lambda client: client.transparency(site="no-such-site"))


def test_the_sdk_knows_every_event_type_the_server_sends():
    from plaudit_server.events import EVENT_TYPES

    assert set(typing.get_args(plaudit.WebhookEventType)) - {"*"} == set(EVENT_TYPES)
