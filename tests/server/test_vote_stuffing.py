"""One person is one network: votes and duplicate texts hold against User-Agent
rotation (issue 13, "Votes, reports and sign-in").

A visitor is still a keyed hash of address and User-Agent (one vote each, a second
changes it), but a review counts at most 3 new votes per network (/24 IPv4, /56 IPv6)
a day. Behind ``TRUSTED_PROXIES`` the network comes from ``X-Forwarded-For``; without
it that header is the client's own word and ignored.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from plaudit_server.extensions import db
from plaudit_server.models import Vote
from plaudit_server.timeutil import utcnow

COUNTS = ("helpful_count", "unhelpful_count")


def add_review(client: Any, slug: str) -> str:
    response = client.post(
        f"/api/v1/sites/{slug}/products/sku-1/reviews",
        json={"rating": 4, "body": f"Review {uuid.uuid4().hex}", "author_name": "Ada"},
    )
    assert response.status_code == 201
    return response.get_json()["review"]["id"]


def cast(
    client: Any,
    slug: str,
    review: str,
    *,
    agent: str = "browser",
    remote: str = "192.0.2.10",
    forwarded: str | None = None,
    helpful: bool = True,
) -> dict[str, int]:
    headers = {"User-Agent": agent}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    response = client.post(
        f"/api/v1/sites/{slug}/reviews/{review}/votes",
        json={"helpful": helpful},
        headers=headers,
        environ_base={"REMOTE_ADDR": remote},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return {key: body[key] for key in COUNTS}


def test_twenty_user_agents_on_one_address_count_three_votes(client: Any, site: Any) -> None:
    review = add_review(client, site.slug)
    for i in range(20):
        last = cast(client, site.slug, review, agent=f"agent-{i}")
    assert last == {"helpful_count": 3, "unhelpful_count": 0}
    listed = client.get(f"/api/v1/sites/{site.slug}/products/sku-1/reviews").get_json()
    assert listed["reviews"][0]["helpful_count"] == 3


def test_the_whole_network_shares_the_cap(client: Any, site: Any) -> None:
    review = add_review(client, site.slug)
    for host in range(1, 10):
        cast(client, site.slug, review, remote=f"203.0.113.{host}")
    # Another network still counts, and so does every other review.
    assert cast(client, site.slug, review, remote="198.51.100.1")["helpful_count"] == 4
    other = add_review(client, site.slug)
    assert cast(client, site.slug, other, remote="203.0.113.99")["helpful_count"] == 1


def test_ipv6_networks_are_the_56(client: Any, site: Any) -> None:
    review = add_review(client, site.slug)
    # Different /64s inside one /56: one household, one share.
    for subnet in range(8):
        cast(client, site.slug, review, remote=f"2001:db8:0:{subnet:x}::1")
    assert cast(client, site.slug, review, remote="2001:db8:0:ff::1")["helpful_count"] == 3
    # The next /56 is another network.
    assert cast(client, site.slug, review, remote="2001:db8:0:100::1")["helpful_count"] == 4


def test_a_counted_voter_may_still_change_their_vote(client: Any, site: Any) -> None:
    review = add_review(client, site.slug)
    for i in range(5):
        cast(client, site.slug, review, agent=f"agent-{i}")
    changed = cast(client, site.slug, review, agent="agent-0", helpful=False)
    assert changed == {"helpful_count": 2, "unhelpful_count": 1}
    # An uncounted one changes nothing: its vote was never stored.
    assert cast(client, site.slug, review, agent="agent-4", helpful=False) == changed


def test_the_cap_is_per_day(app: Any, client: Any, site: Any) -> None:
    review = add_review(client, site.slug)
    for i in range(3):
        cast(client, site.slug, review, agent=f"agent-{i}")
    assert cast(client, site.slug, review, agent="agent-3")["helpful_count"] == 3
    with app.app_context():
        db.session.execute(
            sa.update(Vote).values(created_at=utcnow() - timedelta(days=1, minutes=1))
        )
        db.session.commit()
    assert cast(client, site.slug, review, agent="agent-3")["helpful_count"] == 4


@pytest.fixture
def proxied(app_factory: Any) -> Any:
    """The app behind one trusted proxy, which sets X-Forwarded-For."""
    return app_factory(TRUSTED_PROXIES=1).test_client()


def test_behind_a_trusted_proxy_the_forwarded_network_counts(proxied: Any, site: Any) -> None:
    review = add_review(proxied, site.slug)
    # Every request comes from the proxy's address; X-Forwarded-For names the visitor.
    for i in range(6):
        counts = cast(proxied, site.slug, review, remote="10.0.0.2", forwarded=f"198.51.{i}.7")
    assert counts["helpful_count"] == 6
    for i in range(6):
        counts = cast(
            proxied, site.slug, review, remote="10.0.0.2", forwarded="192.0.2.5", agent=str(i)
        )
    assert counts["helpful_count"] == 9


def test_without_trusted_proxies_a_forwarded_header_changes_nothing(client: Any, site: Any) -> None:
    review = add_review(client, site.slug)
    for i in range(10):
        counts = cast(client, site.slug, review, forwarded=f"198.51.{i}.7", agent=str(i))
    assert counts["helpful_count"] == 3


def test_duplicate_comments_are_caught_per_network(app: Any, client: Any, site: Any) -> None:
    path = f"/api/v1/sites/{site.slug}/products/sku-1/comments"
    text = {"body": "Same words every time", "author_name": "Ada"}
    statuses = [
        client.post(
            path, json=text, headers={"User-Agent": f"agent-{i}"}, environ_base=env
        ).get_json()["status"]
        for i, env in enumerate(
            [
                {"REMOTE_ADDR": "192.0.2.10"},
                {"REMOTE_ADDR": "192.0.2.11"},  # same /24, another agent
                {"REMOTE_ADDR": "198.51.100.1"},  # another network
            ]
        )
    ]
    assert statuses == ["published", "pending", "published"]
