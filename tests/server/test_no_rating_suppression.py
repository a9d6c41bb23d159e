"""No suppression by rating (16 CFR 465.7): equal texts with 1 and 5 stars go through
every moderation path identically.

Each scenario runs twice, on two sites set up alike, once with 1 star and once with 5,
and the whole trace of what the server did (statuses, spam reasons, public visibility,
report holds, decisions, appeals, edits, audit actions) must be the same. A path that
looked at the stars (a "hold low ratings" rule, a sentiment filter) would make the
two traces differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import Api

SCENARIOS: dict[str, dict[str, Any]] = {
    "post-moderation": {"moderation": "post", "body": "Arrived broken, support never answered."},
    "pre-moderation": {"moderation": "pre", "body": "Arrived broken, support never answered."},
    "blocked word": {
        "moderation": "post",
        "blocked_words": ["rubbish"],
        "body": "Total rubbish, it broke in a day.",
    },
    "links": {
        "moderation": "post",
        "body": "See http://a.test http://b.test http://c.test http://d.test",
    },
    "honeypot": {"moderation": "post", "body": "It works.", "hp": "filled by a bot"},
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def trace(api: Api, rating: int, scenario: dict[str, Any]) -> list[Any]:
    """Everything observable about one review's way through moderation."""
    settings = {"moderation": scenario["moderation"], "report_threshold": 2}
    if "blocked_words" in scenario:
        settings["blocked_words"] = scenario["blocked_words"]
    ok(api.admin("PATCH", "/site", json=settings))
    body = {"body": scenario["body"], "title": "My verdict"}
    if "hp" in scenario:
        body["hp"] = scenario["hp"]
    created = ok(api.post_review(rating=rating, **body), 201)
    review_id, url = created["review"]["id"], created["manage_url"]
    token = url.rsplit("/", 1)[1]
    mine = {"Authorization": f"Bearer {token}"}
    steps: list[Any] = [("created", created["status"])]

    def admin_state() -> tuple[Any, ...]:
        review = ok(api.admin("GET", f"/reviews/{review_id}"))
        listed = ok(api.client.get(api.public("/products/sku-1/reviews")))
        return (
            review["status"],
            tuple(review["spam_reasons"]),
            review["reports_open"],
            review["moderation"] and review["moderation"]["reason"],
            [r["id"] for r in listed["reviews"]] == [review_id],
            listed["summary"]["count"],
        )

    steps.append(("after submission", admin_state()))
    # The shop publishes whatever waits, then visitors report it past the threshold.
    ok(api.admin("POST", "/reviews/moderate", json={"ids": [review_id], "status": "published"}))
    for n in range(2):
        reported = api.client.post(
            api.public(f"/reviews/{review_id}/reports"),
            json={"reason": "offensive"},
            headers={"User-Agent": f"reporter-{n}"},
        )
        steps.append(("report", reported.status_code))
    steps.append(("after reports", admin_state()))
    report_id = ok(api.admin("GET", "/reports"))["reports"][0]["id"]
    ok(api.admin("POST", f"/reports/{report_id}/decide", json={"decision": "remove"}))
    steps.append(("after removal", admin_state()))
    appeal = api.client.post(
        "/api/v1/mine/appeal", json={"message": "Please look again."}, headers=mine
    )
    steps.append(("appeal", appeal.status_code, admin_state()))
    ok(api.admin("PATCH", f"/reviews/{review_id}", json={"status": "rejected", "reason": "other"}))
    edit = api.client.patch(
        "/api/v1/mine", json={"body": scenario["body"] + " Edited."}, headers=mine
    )
    steps.append(("edit", edit.status_code, admin_state()))
    ok(api.admin("PATCH", f"/reviews/{review_id}", json={"status": "published"}))
    steps.append(("published by the shop", admin_state()))
    actions = [
        (e["action"], e["from"], e["to"], e["reason"], e["actor"]["type"])
        for e in ok(api.admin("GET", "/audit", query_string={"object_id": review_id}))["entries"]
    ]
    steps.append(("audit", actions))
    return steps


@pytest.mark.parametrize("name", SCENARIOS)
def test_one_and_five_stars_are_treated_alike(
    name: str, client: Any, make_site: Callable[..., Any]
) -> None:
    traces = {}
    for rating in (1, 5):
        api = Api(client, make_site())
        traces[rating] = trace(api, rating, SCENARIOS[name])
    assert traces[1] == traces[5]
    # And the scenario did exercise something: the trace is not trivially empty.
    assert any(step[0] == "after reports" for step in traces[1])
