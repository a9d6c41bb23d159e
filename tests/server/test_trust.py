"""Trust and transparency over the JSON API: reports and their decisions, reasons for
rejections, the audit log (and the triggers that keep it append-only), the author's
own item through its manage token (``/api/v1/mine``), incentives.

Every test runs on SQLite and PostgreSQL over the Flask test client; visitors are told
apart by their User-Agent (the visitor hash is keyed on address and User-Agent).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from support import assert_problem

from plaudit_server.extensions import db
from plaudit_server.models import AuditEntry, ManageToken, Product, Report, Review
from plaudit_server.timeutil import utcnow


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def visitor(n: int) -> dict[str, str]:
    return {"User-Agent": f"test-visitor-{n}"}


def add_review(api: Any, rating: int = 5, **fields: Any) -> dict[str, Any]:
    fields.setdefault("body", f"Review {uuid.uuid4().hex}")
    return ok(api.post_review(rating=rating, **fields), 201)


def report(api: Any, kind: str, item_id: str, n: int = 1, **body: Any) -> Any:
    body.setdefault("reason", "offensive")
    return api.client.post(api.public(f"/{kind}s/{item_id}/reports"), json=body, headers=visitor(n))


def admin_review(api: Any, review_id: str) -> dict[str, Any]:
    return ok(api.admin("GET", f"/reviews/{review_id}"))


def audit_entries(api: Any, **query: Any) -> list[dict[str, Any]]:
    return ok(api.admin("GET", "/audit", query_string={"limit": 100, **query}))["entries"]


def set_threshold(api: Any, n: int) -> None:
    ok(api.admin("PATCH", "/site", json={"report_threshold": n}))


def mine(api: Any, method: str, url: str, path: str = "", **kwargs: Any) -> Any:
    token = url.rsplit("/", 1)[1]
    return api.client.open(
        f"/api/v1/mine{path}",
        method=method,
        headers={"Authorization": f"Bearer {token}"},
        **kwargs,
    )


# ---------------------------------------------------------------- reports


def test_a_report_is_received_once_per_visitor_and_listed(api: Any) -> None:
    review = add_review(api)["review"]
    first = ok(report(api, "review", review["id"], details="Insults the staff."), 202)
    assert first["report"]["status"] == "received"
    assert first["report"]["id"].startswith("rpt_")
    again = ok(report(api, "review", review["id"], reason="spam"), 202)
    assert again["report"]["id"] == first["report"]["id"]
    listed = ok(api.admin("GET", "/reports", query_string={"status": "open"}))["reports"]
    assert [r["id"] for r in listed] == [first["report"]["id"]]
    assert listed[0] | {"created_at": None} == {
        "id": first["report"]["id"],
        "object_id": review["id"],
        "object_type": "review",
        "reason": "offensive",
        "details": "Insults the staff.",
        "email": None,
        "status": "open",
        "note": None,
        "created_at": None,
        "decided_at": None,
    }
    assert admin_review(api, review["id"])["reports_open"] == 1


def test_reports_on_unknown_or_unpublished_items_are_404(api: Any, site: Any) -> None:
    assert_problem(report(api, "review", "rev_doesnotexist"), 404)
    assert_problem(report(api, "comment", "cmt_doesnotexist"), 404)
    review = add_review(api)["review"]
    ok(api.admin("PATCH", f"/reviews/{review['id']}", json={"status": "pending"}))
    assert_problem(report(api, "review", review["id"]), 404)


def test_bad_reports_are_refused_and_nothing_is_stored(app: Flask, api: Any) -> None:
    review_id = add_review(api)["review"]["id"]
    bad = [
        ({"reason": "boring"}, "reason"),
        ({"reason": "illegal"}, "details"),
        ({"reason": "illegal", "details": "Counterfeit goods sold here."}, "email"),
        ({"reason": "other", "details": "x" * 2001}, "details"),
        ({"reason": "spam", "email": "not an address"}, "email"),
        ({"reason": "spam", "surprise": 1}, "surprise"),
    ]
    for body, field in bad:
        problem = assert_problem(report(api, "review", review_id, **body), 422)
        assert field in problem["errors"], (body, problem)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
    notice = {"details": "Counterfeit goods.", "email": "legal@example.test"}
    ok(report(api, "review", review_id, reason="illegal", **notice), 202)


def test_the_threshold_holds_an_item_until_the_shop_keeps_it(api: Any) -> None:
    set_threshold(api, 2)
    posted = add_review(api)
    review_id = posted["review"]["id"]
    ok(report(api, "review", review_id, 1), 202)
    assert admin_review(api, review_id)["status"] == "published"
    ok(report(api, "review", review_id, 2), 202)
    held = admin_review(api, review_id)
    assert held["status"] == "pending" and held["reports_open"] == 2
    summary = ok(api.client.get(api.public("/products/sku-1/reviews")))["summary"]
    assert summary["count"] == 0
    entry = audit_entries(api, object_id=review_id, action="review.status")[0]
    assert entry["actor"]["type"] == "system"
    assert (entry["from"], entry["to"]) == ("published", "pending")

    report_id = ok(api.admin("GET", "/reports"))["reports"][0]["id"]
    decided = ok(
        api.admin(
            "POST", f"/reports/{report_id}/decide", json={"decision": "keep", "note": "Fair."}
        )
    )["reports"]
    assert {r["status"] for r in decided} == {"kept"} and len(decided) == 2
    assert all(r["note"] == "Fair." and r["decided_at"] for r in decided)
    kept = admin_review(api, review_id)
    assert kept["status"] == "published" and kept["reports_open"] == 0
    summary = ok(api.client.get(api.public("/products/sku-1/reviews")))["summary"]
    assert summary["count"] == 1
    again = api.admin("POST", f"/reports/{report_id}/decide", json={"decision": "remove"})
    assert_problem(again, 409)
    assert admin_review(api, review_id)["status"] == "published"


def test_threshold_zero_never_holds(api: Any) -> None:
    set_threshold(api, 0)
    review_id = add_review(api)["review"]["id"]
    for n in range(5):
        ok(report(api, "review", review_id, n), 202)
    assert admin_review(api, review_id)["status"] == "published"


def test_removing_rejects_with_the_reports_reason(api: Any) -> None:
    comment = ok(
        api.client.post(
            api.public("/products/sku-1/comments"),
            json={"body": "Buy cheap watches at example.test", "author_name": "Zed"},
        ),
        201,
    )["comment"]
    ok(report(api, "comment", comment["id"], 1, reason="spam"), 202)
    ok(report(api, "comment", comment["id"], 2, reason="spam"), 202)
    report_id = ok(api.admin("GET", "/reports"))["reports"][0]["id"]
    ok(api.admin("POST", f"/reports/{report_id}/decide", json={"decision": "remove"}))
    removed = ok(api.admin("GET", f"/comments/{comment['id']}"))
    assert removed["status"] == "rejected"
    assert removed["moderation"]["reason"] == "spam"
    assert removed["moderation"]["by"].startswith("default (sk_live_")
    statuses = {r["status"] for r in ok(api.admin("GET", "/reports"))["reports"]}
    assert statuses == {"removed"}
    decision = audit_entries(api, action="report.decided")[0]
    assert (decision["object_id"], decision["to"], decision["reason"]) == (
        comment["id"],
        "removed",
        "spam",
    )


def test_another_sites_report_is_404(api: Any, make_site: Any, client: Any) -> None:
    review_id = add_review(api)["review"]["id"]
    report_id = ok(report(api, "review", review_id), 202)["report"]["id"]
    other = make_site()
    headers = {"Authorization": f"Bearer {other.api_key}"}
    assert_problem(client.get(f"/api/v1/admin/reports/{report_id}", headers=headers), 404)
    decide = client.post(
        f"/api/v1/admin/reports/{report_id}/decide", json={"decision": "remove"}, headers=headers
    )
    assert_problem(decide, 404)
    assert admin_review(api, review_id)["status"] == "published"


def test_deleting_a_reported_item_closes_its_reports(api: Any) -> None:
    review_id = add_review(api)["review"]["id"]
    ok(report(api, "review", review_id), 202)
    assert api.admin("DELETE", f"/reviews/{review_id}").status_code == 204
    listed = ok(api.admin("GET", "/reports"))["reports"]
    assert [r["status"] for r in listed] == ["removed"]


# ---------------------------------------------------------------- reasons


def test_rejecting_takes_a_reason_and_a_note(api: Any) -> None:
    review_id = add_review(api)["review"]["id"]
    body = {"status": "rejected", "reason": "personal_data", "note": "It names an employee."}
    rejected = ok(api.admin("PATCH", f"/reviews/{review_id}", json=body))
    assert rejected["moderation"]["reason"] == "personal_data"
    assert rejected["moderation"]["note"] == "It names an employee."
    assert rejected["moderation"]["at"].endswith("Z") and rejected["moderation"]["by"]
    entry = audit_entries(api, object_id=review_id)[0]
    assert entry["action"] == "review.status" and entry["reason"] == "personal_data"
    assert entry["actor"]["type"] == "key"

    other = add_review(api)["review"]["id"]
    done = ok(api.admin("POST", "/reviews/moderate", json={"ids": [other], "status": "rejected"}))
    assert done == {"updated": 1}
    assert admin_review(api, other)["moderation"]["reason"] == "other"  # the default


@pytest.mark.parametrize(
    "body",
    [
        {"status": "rejected", "reason": "too_negative"},
        {"status": "published", "reason": "spam"},
        {"reason": "spam"},
        {"status": "rejected", "note": "x" * 1001},
    ],
)
def test_bad_reasons_are_refused_and_nothing_changes(api: Any, body: dict[str, Any]) -> None:
    review_id = add_review(api)["review"]["id"]
    assert_problem(api.admin("PATCH", f"/reviews/{review_id}", json=body), 422)
    bulk = {"ids": [review_id], "status": body.get("status", "published"), **body}
    assert_problem(api.admin("POST", "/reviews/moderate", json=bulk), 422)
    assert admin_review(api, review_id)["status"] == "published"
    assert audit_entries(api, object_id=review_id) == []


# ---------------------------------------------------------------- audit log


def test_the_audit_log_names_who_did_what(api: Any) -> None:
    review_id = add_review(api)["review"]["id"]
    ok(api.admin("PATCH", f"/reviews/{review_id}", json={"reply": "Thank you!"}))
    ok(api.admin("PATCH", "/site", json={"moderation": "pre", "report_threshold": 5}))
    ok(api.admin("PATCH", f"/reviews/{review_id}", json={"incentivized": True}))
    assert api.admin("DELETE", f"/reviews/{review_id}").status_code == 204
    actions = [e["action"] for e in audit_entries(api)]
    for expected in (
        "review.reply",
        "site.moderation",
        "site.report_threshold",
        "review.incentivized",
        "review.deleted",
    ):
        assert expected in actions
    setting = audit_entries(api, action="site.moderation")[0]
    assert (setting["from"], setting["to"]) == ("post", "pre")
    assert audit_entries(api, action="site.")[0]["action"].startswith("site.")
    # The key itself was made by `plaudit sites create`: the system.
    assert {e["actor"]["type"] for e in audit_entries(api) if e["action"] != "key.created"} == {
        "key"
    }
    assert audit_entries(api, actor_type="owner") == []


def test_audit_pages_are_stable_and_filters_are_checked(api: Any) -> None:
    for n in range(5):
        ok(api.admin("PATCH", "/site", json={"report_threshold": n + 1}))
    first = ok(api.admin("GET", "/audit", query_string={"limit": 2}))
    second = ok(
        api.admin("GET", "/audit", query_string={"limit": 2, "cursor": first["next_cursor"]})
    )
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert len(set(ids)) == 4 and all(i.startswith("aud_") for i in ids)
    assert_problem(api.admin("GET", "/audit", query_string={"actor_type": "robot"}), 422)
    assert_problem(api.admin("GET", "/audit", query_string={"sort": "oldest"}), 422)


def test_nothing_changes_the_audit_log(app: Flask, api: Any) -> None:
    ok(api.admin("PATCH", "/site", json={"report_threshold": 7}))
    entry_id = audit_entries(api)[0]["id"]
    for method in ("PUT", "PATCH", "DELETE"):
        assert api.admin(method, f"/audit/{entry_id}", json={}).status_code in {404, 405}
        assert api.admin(method, "/audit", json={}).status_code == 405
    with app.app_context():
        for statement in (
            sa.update(AuditEntry).where(AuditEntry.id == entry_id).values(action="forged"),
            sa.delete(AuditEntry).where(AuditEntry.id == entry_id),
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
    assert audit_entries(api)[0]["action"] == "site.report_threshold"


def test_webhooks_keys_and_invitations_are_logged(api: Any) -> None:
    ok(
        api.admin(
            "POST",
            "/invitations",
            json={"order_id": "o-1", "email": "b@example.test", "products": ["sku-1"]},
        ),
        201,
    )
    invitation_id = ok(api.admin("GET", "/invitations"))["invitations"][0]["id"]
    ok(api.admin("DELETE", f"/invitations/{invitation_id}"))
    actions = {e["action"] for e in audit_entries(api)}
    assert {"invitation.created", "invitation.cancelled"} <= actions


# ---------------------------------------------------------------- the author's own item


def test_the_author_reads_edits_and_deletes_their_review(app: Flask, api: Any) -> None:
    posted = add_review(api, rating=2, title="Meh")
    url = posted["manage_url"]
    assert "/m/" in url
    with app.app_context():
        token = url.rsplit("/", 1)[1]
        assert db.session.scalar(sa.select(ManageToken.token_hash)) != token
    own = ok(mine(api, "GET", url))
    assert own["type"] == "review" and own["review"]["id"] == posted["review"]["id"]
    assert own["status"]["state"] == "published"
    edited = ok(mine(api, "PATCH", url, json={"rating": 4, "body": "Better than I thought."}))
    assert edited["review"]["rating"] == 4 and edited["review"]["title"] == "Meh"
    summary = ok(api.client.get(api.public("/products/sku-1/reviews")))["summary"]
    assert summary["histogram"]["4"] == 1 and summary["histogram"]["2"] == 0
    entry = audit_entries(api, object_id=posted["review"]["id"])[0]
    assert entry["action"] == "review.edited" and entry["actor"]["type"] == "reviewer"
    assert mine(api, "DELETE", url).status_code == 204
    assert ok(api.client.get(api.public("/products/sku-1/reviews")))["summary"]["count"] == 0
    assert_problem(mine(api, "GET", url), 410)
    assert_problem(api.admin("GET", f"/reviews/{posted['review']['id']}"), 404)


def test_bad_edits_change_nothing(api: Any) -> None:
    posted = add_review(api)
    url = posted["manage_url"]
    for body in (
        {"rating": 9},
        {"body": ""},
        {},
        {"status": "published"},
        {"author_name": "x" * 81},
    ):
        assert_problem(mine(api, "PATCH", url, json=body), 422)
    comment = ok(
        api.client.post(
            api.public("/products/sku-1/comments"), json={"body": "Nice", "author_name": "Bo"}
        ),
        201,
    )
    problem = assert_problem(mine(api, "PATCH", comment["manage_url"], json={"rating": 3}), 422)
    assert "rating" in problem["errors"]
    assert admin_review(api, posted["review"]["id"])["body"] == posted["review"]["body"]


def test_unknown_missing_and_expired_tokens(app: Flask, api: Any) -> None:
    assert_problem(api.client.get("/api/v1/mine"), 401)
    assert_problem(
        api.client.get("/api/v1/mine", headers={"Authorization": "Bearer nothing-here"}), 404
    )
    url = add_review(api)["manage_url"]
    with app.app_context():
        db.session.execute(
            sa.update(ManageToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert_problem(mine(api, "GET", url), 410)


def test_an_appeal_goes_back_to_the_queue_once(api: Any) -> None:
    posted = add_review(api)
    review_id, url = posted["review"]["id"], posted["manage_url"]
    assert_problem(mine(api, "POST", url, "/appeal", json={"message": "Why?"}), 409)
    reject = {"status": "rejected", "reason": "off_topic", "note": "About delivery only."}
    ok(api.admin("PATCH", f"/reviews/{review_id}", json=reject))
    own = ok(mine(api, "GET", url))["status"]
    assert own == {
        "state": "rejected",
        "reason": "off_topic",
        "note": "About delivery only.",
        "decided_at": own["decided_at"],
        "appealed": False,
        "can_appeal": True,
    }
    assert_problem(mine(api, "POST", url, "/appeal", json={"message": ""}), 422)
    appealed = ok(mine(api, "POST", url, "/appeal", json={"message": "It is about the product."}))
    assert appealed["status"]["state"] == "pending" and appealed["status"]["appealed"]
    queued = admin_review(api, review_id)
    assert queued["appealed"] and queued["appeal_message"] == "It is about the product."
    assert queued["status"] == "pending"
    ok(api.admin("PATCH", f"/reviews/{review_id}", json={"status": "rejected"}))
    assert_problem(mine(api, "POST", url, "/appeal", json={"message": "Again!"}), 409)
    assert admin_review(api, review_id)["status"] == "rejected"


def test_an_edit_of_a_rejected_item_waits_for_the_shop(api: Any) -> None:
    posted = add_review(api)
    ok(api.admin("PATCH", f"/reviews/{posted['review']['id']}", json={"status": "rejected"}))
    edited = ok(mine(api, "PATCH", posted["manage_url"], json={"body": "Now polite."}))
    assert edited["review"]["status"] == "pending"


# ---------------------------------------------------------------- incentives


def test_incentives_are_disclosed(app: Flask, api: Any) -> None:
    review_id = add_review(api)["review"]["id"]
    assert (
        ok(api.client.get(api.public("/products/sku-1/reviews")))["reviews"][0]["incentivized"]
        is False
    )
    ok(api.admin("PATCH", f"/reviews/{review_id}", json={"incentivized": True}))
    public = ok(api.client.get(api.public("/products/sku-1/reviews")))["reviews"][0]
    assert public["incentivized"] is True
    ld = ok(api.client.get(api.public("/products/sku-1/jsonld")))
    assert ld["review"][0]["description"] == "Received an incentive"
    created = ok(
        api.admin(
            "POST",
            "/invitations",
            json={
                "order_id": "o-9",
                "email": "c@example.test",
                "products": ["sku-2"],
                "incentive": True,
            },
        ),
        201,
    )["invitation"]
    assert created["incentive"] is True
    token = created["url"].rsplit("/", 1)[1]
    answer = add_review(api, product="sku-2", invite=token)
    assert answer["review"]["incentivized"] is True
    with app.app_context():
        stored = db.session.scalar(
            sa.select(Review.incentivized).join(Product).where(Product.external_id == "sku-2")
        )
        assert stored is True


# ---------------------------------------------------------------- public trust reads


def test_guidelines_and_transparency_are_public(api: Any) -> None:
    guidelines = ok(api.client.get(api.public("/guidelines")))
    assert guidelines["customized"] is False and "rating" in guidelines["text"]
    assert guidelines["url"].endswith(f"/sites/{api.site.slug}/guidelines")
    ok(api.admin("PATCH", "/site", json={"guidelines": "Be kind.\n\nNo spam."}))
    own = ok(api.client.get(api.public("/guidelines")))
    assert (own["text"], own["customized"]) == ("Be kind.\n\nNo spam.", True)
    ok(api.admin("PATCH", "/site", json={"guidelines": ""}))
    assert ok(api.client.get(api.public("/guidelines")))["customized"] is False

    kept, rejected = add_review(api)["review"]["id"], add_review(api)["review"]["id"]
    ok(api.admin("PATCH", f"/reviews/{kept}", json={"reply": "Thanks!"}))
    ok(api.admin("PATCH", f"/reviews/{rejected}", json={"status": "rejected", "reason": "spam"}))
    report_ = ok(api.client.get(api.public("/transparency")))
    assert report_["received"] == 2 and report_["published"] == 1
    assert report_["rejected_by_reason"]["spam"] == 1
    assert report_["reply_rate"] == 1.0
    assert set(report_) >= {
        "received",
        "published",
        "rejected_by_reason",
        "reports",
        "median_hours_to_moderate",
        "reply_rate",
        "median_hours_to_reply",
    }
    assert_problem(api.client.get("/api/v1/sites/no-such-site/transparency"), 404)


def test_stats_carry_response_figures_per_site_and_product(api: Any) -> None:
    answered = add_review(api, rating=1)["review"]["id"]
    add_review(api, rating=5, product="sku-2")
    ok(api.admin("PATCH", f"/reviews/{answered}", json={"reply": "Sorry, we fixed it."}))
    site = ok(api.admin("GET", "/stats"))["responses"]
    assert site == {
        "reply_rate": 0.5,
        "median_hours_to_reply": site["median_hours_to_reply"],
        "low_rating_reply_rate": 1.0,
    }
    product = ok(api.admin("GET", "/stats", query_string={"product": "sku-2"}))["responses"]
    assert product["reply_rate"] == 0.0 and product["low_rating_reply_rate"] is None
    assert_problem(api.admin("GET", "/stats", query_string={"product": "bad id!"}), 422)


def test_a_comment_can_be_marked_incentivized(api: Any) -> None:
    comment = ok(
        api.client.post(
            api.public("/products/sku-1/comments"),
            json={"body": "Got a voucher", "author_name": "Al"},
        ),
        201,
    )["comment"]
    patched = ok(api.admin("PATCH", f"/comments/{comment['id']}", json={"incentivized": True}))
    assert patched["incentivized"] is True
    assert ok(api.admin("GET", f"/comments/{comment['id']}"))["incentivized"] is True
    assert audit_entries(api, action="comment.incentivized")[0]["to"] == "true"


def test_the_author_never_learns_of_the_spam_checks(api: Any) -> None:
    flagged = add_review(api, hp="bot")
    own = ok(mine(api, "GET", flagged["manage_url"]))
    assert own["review"]["status"] == "pending" and own["review"]["spam_reasons"] == []
    assert own["status"]["state"] == "pending"
    marked = {"status": "spam", "reason": "spam", "note": "Advertising."}
    ok(api.admin("PATCH", f"/reviews/{flagged['review']['id']}", json=marked))
    own = ok(mine(api, "GET", flagged["manage_url"]))
    assert own["review"]["status"] == "spam" and own["status"]["state"] == "rejected"


def test_an_edit_does_not_publish_what_waits_for_the_shop(api: Any) -> None:
    set_threshold(api, 1)
    posted = add_review(api)
    ok(report(api, "review", posted["review"]["id"]), 202)
    assert admin_review(api, posted["review"]["id"])["status"] == "pending"
    edited = ok(mine(api, "PATCH", posted["manage_url"], json={"body": "Softer words."}))
    assert edited["review"]["status"] == "pending"
