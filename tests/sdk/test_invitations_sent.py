"""Invitations that really go out (to a real SMTP server on loopback) as the SDK sees
them: ``sent`` with ``sent_at``, no longer cancellable, and counted in the statistics
with the review their link brings. Each test on the sync and the async client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from flask import Flask

import plaudit
from plaudit import Invitation, InvitationStatus

from .helpers import Run


@pytest.fixture
def app(app_factory: Callable[..., Flask], smtp_sink: Any) -> Iterator[Flask]:
    """The live server's app mails the sink: an invitation due now goes out right after
    the request that created it."""
    app = app_factory(**smtp_sink.config)
    yield app
    app.extensions["plaudit_mail"].close()


def sent(both: Run, invitation_id: str) -> Invitation:
    """The invitation once its mail went out (the server sends after its response, so
    the status follows the message by a moment)."""
    deadline = time.monotonic() + 10
    while True:
        invitation: Invitation = both(lambda c: c.invitations.get(invitation_id))
        if invitation.status is not InvitationStatus.SCHEDULED or time.monotonic() > deadline:
            return invitation
        time.sleep(0.05)


def test_an_invitation_due_now_is_sent_and_then_cannot_be_cancelled(both: Run, smtp_sink):
    created = both(
        lambda c: c.invitations.create(
            order_id="1001", email="ada@example.com", products=["sku-1"], name="Ada"
        )
    )
    [message] = smtp_sink.wait_for(1)
    assert message.rcpt_tos == ["ada@example.com"]
    assert created.url in message.text

    invitation = sent(both, created.id)
    assert invitation.status is InvitationStatus.SENT
    assert invitation.sent_at is not None and invitation.sent_at >= created.created_at
    with pytest.raises(plaudit.ConflictError) as caught:
        both(lambda c: c.invitations.cancel(created.id))
    assert caught.value.existing_id is None
    assert both(lambda c: c.invitations.get(created.id)).status is InvitationStatus.SENT
    assert [i.id for i in both(lambda c: c.invitations.list(status="sent"))] == [created.id]


def test_the_review_its_link_brings_is_verified_and_converts(
    both: Run, smtp_sink, live_server, site
):
    assert both(lambda c: c.stats()).invitations == plaudit.InvitationStats(
        sent=0, reviewed=0, conversion=None
    )
    result = both(
        lambda c: c.invitations.create_many(
            [
                {"order_id": "1", "email": "ada@example.com", "products": ["sku-1"]},
                {"order_id": "2", "email": "grace@example.com", "products": ["sku-2"]},
            ]
        )
    )
    smtp_sink.wait_for(2)
    first, second = (sent(both, i.id) for i in result.created)
    assert first.status is second.status is InvitationStatus.SENT

    for path in ("products/sku-1/reviews", "store/reviews"):
        response = httpx.post(
            f"{live_server.url}/api/v1/sites/{site.slug}/{path}",
            json={"rating": 5, "body": f"Good {path}", "author_name": "Ada", "invite": first.token},
        )
        assert response.status_code == 201, response.text

    reviews = both(lambda c: c.reviews.list())
    assert sorted((r.product or "", r.verified_buyer) for r in reviews) == [
        ("", True),
        ("sku-1", True),
    ]
    reviewed = both(lambda c: c.invitations.get(first.id))
    assert reviewed.status is InvitationStatus.REVIEWED and reviewed.reviewed_at is not None
    stats = both(lambda c: c.stats())
    assert stats.invitations == plaudit.InvitationStats(sent=2, reviewed=1, conversion=0.5)


def test_a_token_for_other_products_is_refused_on_invite(both: Run, smtp_sink, live_server, site):
    invitation = both(
        lambda c: c.invitations.create(
            order_id="1", email="ada@example.com", products=["sku-1"], store_review=False
        )
    )
    for path in ("products/sku-9/reviews", "store/reviews"):
        response = httpx.post(
            f"{live_server.url}/api/v1/sites/{site.slug}/{path}",
            json={"rating": 5, "body": "Hi", "author_name": "Ada", "invite": invitation.token},
        )
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["invite"]
