"""``client.invitations`` against the live server, each test on the sync and the async
client: every method, typed results, errors (422 per field, 409 naming the existing
invitation), Idempotency-Keys, batches of more than one request, and pagination. These
invitations go out tomorrow; test_invitations_sent.py has ones that are really sent."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

import plaudit
from plaudit import Invitation, InvitationStatus, Problem
from plaudit_server.extensions import db
from plaudit_server.models import Invitation as InvitationRow

from .helpers import Action, FlakyProxy, run_on

TOMORROW = dt.timedelta(days=1)


def later() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + TOMORROW


def new(**fields: Any) -> dict[str, Any]:
    """create()'s arguments for a scheduled invitation (it goes out tomorrow)."""
    return {
        "order_id": f"order-{uuid.uuid4().hex[:8]}",
        "email": "ada@example.com",
        "products": ["sku-1", "sku-2"],
        "send_at": later(),
        **fields,
    }


def count_rows(live_server: Any) -> int:
    with live_server.app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(InvitationRow)) or 0)


# ---------------------------------------------------------------- create


def test_create_returns_a_typed_invitation(both):
    send_at = later()
    invitation = both(
        lambda c: c.invitations.create(
            order_id="1001",
            email="ada@example.com",
            products=("sku-1", "sku-2"),  # any iterable
            name="Ada Lovelace",
            locale="de-AT",
            send_at=send_at,
            store_review=False,
        )
    )
    assert isinstance(invitation, Invitation)
    assert invitation.id.startswith("inv_")
    assert invitation.order_id == "1001"
    assert invitation.email == "ada@example.com"
    assert invitation.name == "Ada Lovelace"
    assert invitation.products == ["sku-1", "sku-2"]
    assert invitation.locale == "de"
    assert invitation.status is InvitationStatus.SCHEDULED
    assert invitation.store_review is False
    assert abs(invitation.send_at - send_at) < dt.timedelta(seconds=1)
    assert invitation.send_at.tzinfo is dt.UTC
    assert invitation.expires_at - invitation.send_at == dt.timedelta(days=60)
    assert invitation.sent_at is None and invitation.reminded_at is None
    assert invitation.reviewed_at is None
    assert abs(invitation.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert invitation.url.endswith(f"/r/{invitation.token}")
    assert len(invitation.token) >= 22


def test_create_leaves_defaults_to_the_site(both, sdk):
    sdk.site.update(locale="fr", invite_delay_days=3, invite_ttl_days=10)
    invitation = both(
        lambda c: c.invitations.create(order_id="1", email="a@example.com", products=["x"])
    )
    assert invitation.locale == "fr"
    assert invitation.store_review is True
    assert invitation.name is None
    wait = invitation.send_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=3) - dt.timedelta(minutes=5) < wait <= dt.timedelta(days=3)
    assert invitation.expires_at - invitation.send_at == dt.timedelta(days=10)


def test_a_second_invitation_for_an_order_raises_conflict_with_existing_id(both, live_server):
    first = both(lambda c: c.invitations.create(**new(order_id="1001")))
    with pytest.raises(plaudit.ConflictError) as caught:
        both(lambda c: c.invitations.create(**new(order_id="1001", email="x@example.com")))
    error = caught.value
    assert error.status_code == 409
    assert error.existing_id == first.id
    assert error.extensions == {"existing_id": first.id}
    assert error.request_id and error.body is not None
    assert count_rows(live_server) == 1


def test_invalid_fields_raise_validation_error_per_field(both):
    with pytest.raises(plaudit.ValidationError) as caught:
        both(
            lambda c: c.invitations.create(
                order_id="1", email="not an address", products=[], locale="!!"
            )
        )
    assert set(caught.value.errors) == {"email", "products", "locale"}
    assert caught.value.extensions == {}


def test_send_at_more_than_a_year_ahead_is_refused_on_send_at(both):
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda c: c.invitations.create(**new(send_at=far)))
    assert list(caught.value.errors) == ["send_at"]


def test_mistakes_are_caught_before_any_request(both, live_server):
    naive = dt.datetime(2030, 1, 1)
    with pytest.raises(ValueError, match="timezone"):
        both(lambda c: c.invitations.create(**new(send_at=naive)))
    with pytest.raises(TypeError, match="list of product ids"):
        both(lambda c: c.invitations.create(**new(products="sku-1")))
    assert count_rows(live_server) == 0


def test_a_given_idempotency_key_answers_a_repeat_with_the_first_result(both, live_server):
    fields = new(order_id="1001")
    first = both(lambda c: c.invitations.create(**fields, idempotency_key="order-1001"))
    again = both(lambda c: c.invitations.create(**fields, idempotency_key="order-1001"))
    assert again == first  # replayed, not a 409
    assert count_rows(live_server) == 1


def test_a_lost_answer_to_create_creates_one_invitation(flavour, site, live_server):
    proxy = FlakyProxy(live_server.url)
    try:
        proxy.script(Action("forward_then_drop"))
        invitation = run_on(
            flavour,
            lambda c: c.invitations.create(**new(order_id="1001")),
            api_key=site.api_key,
            base_url=proxy.url,
            max_retries=2,
        )
        keys = [seen.headers.get("Idempotency-Key") for seen in proxy.seen]
    finally:
        proxy.close()
    assert proxy.forwarded == 2 and len(set(keys)) == 1 and keys[0]
    assert invitation.order_id == "1001"  # the first attempt's answer, replayed
    assert count_rows(live_server) == 1


# ---------------------------------------------------------------- create_many


def test_create_many_takes_or_refuses_each_item(both):
    result = both(
        lambda c: c.invitations.create_many(
            [
                new(order_id="a"),
                {"order_id": "b", "email": "nope", "products": ["sku-1"]},
                new(order_id="c", name="Grace"),
                new(order_id="a"),  # the same order again in one batch
            ]
        )
    )
    assert isinstance(result, plaudit.BatchResult)
    assert [i.order_id for i in result.created] == ["a", "c"]
    assert all(isinstance(i, Invitation) for i in result.created)
    assert result.created[1].name == "Grace"
    assert [e.index for e in result.errors] == [1, 3]
    invalid, conflict = (e.problem for e in result.errors)
    assert isinstance(invalid, Problem)
    assert invalid.status == 422 and invalid.errors == {"email": [invalid.errors["email"][0]]}
    assert invalid.existing_id is None
    assert conflict.status == 409
    assert conflict.existing_id == result.created[0].id
    assert conflict.detail and conflict.title


def test_create_many_sends_500_per_request_and_counts_indexes_across_them(
    flavour, site, live_server
):
    items: list[dict[str, Any]] = [
        {"order_id": f"o{n}", "email": f"b{n}@example.com", "products": ["p"], "send_at": later()}
        for n in range(502)
    ]
    items[1]["email"] = "bad"
    items[501]["products"] = []
    proxy = FlakyProxy(live_server.url)
    try:
        result = run_on(
            flavour,
            lambda c: c.invitations.create_many(iter(items), idempotency_key="nightly"),
            api_key=site.api_key,
            base_url=proxy.url,
        )
        seen = [(s.path, s.headers.get("Idempotency-Key")) for s in proxy.seen]
    finally:
        proxy.close()
    batch = "/api/v1/admin/invitations/batch"
    assert seen == [(batch, "nightly"), (batch, "nightly:1")]
    assert len(result.created) == 500
    assert [(e.index, list(e.problem.errors)) for e in result.errors] == [
        (1, ["email"]),
        (501, ["products"]),
    ]
    assert count_rows(live_server) == 500


def test_create_many_repeated_with_its_key_is_replayed(both, live_server):
    items = [new(order_id="a"), new(order_id="b")]
    first = both(lambda c: c.invitations.create_many(items, idempotency_key="k"))
    again = both(lambda c: c.invitations.create_many(items, idempotency_key="k"))
    assert again == first and again.errors == []
    fresh = both(lambda c: c.invitations.create_many(items))
    assert [e.problem.existing_id for e in fresh.errors] == [i.id for i in first.created]
    assert count_rows(live_server) == 2


# ---------------------------------------------------------------- list, get


def test_list_follows_pages_newest_first_and_filters(both, sdk):
    created = [sdk.invitations.create(**new(order_id=f"o{n}")) for n in range(7)]
    cancelled = sdk.invitations.cancel(created[2].id)

    everything = both(lambda c: c.invitations.list(limit=3))
    assert [i.id for i in everything] == [i.id for i in reversed(created)]
    assert all(isinstance(i, Invitation) for i in everything)

    only = both(lambda c: c.invitations.list(status=InvitationStatus.CANCELLED))
    assert [i.id for i in only] == [cancelled.id]
    scheduled = both(lambda c: c.invitations.list(status="scheduled", limit=100))
    assert len(scheduled) == 6
    assert [i.id for i in both(lambda c: c.invitations.list(order_id="o4"))] == [created[4].id]
    assert both(lambda c: c.invitations.list(order_id="nothing")) == []


def test_sync_pages(sdk):
    for n in range(5):
        sdk.invitations.create(**new(order_id=f"o{n}"))
    page = sdk.invitations.list(limit=2)
    assert len(page.items) == 2 and page.has_next_page()
    assert [len(p.items) for p in page.iter_pages()] == [2, 2, 1]


async def _async_pages(client: plaudit.AsyncPlaudit) -> list[int]:
    return [len(page.items) async for page in client.invitations.list(limit=2).iter_pages()]


@pytest.mark.anyio
async def test_async_pages(async_sdk):
    for n in range(5):
        await async_sdk.invitations.create(**new(order_id=f"o{n}"))
    first = await async_sdk.invitations.list(limit=2)
    assert [i.order_id for i in first.items] == ["o4", "o3"]
    assert await _async_pages(async_sdk) == [2, 2, 1]


def test_list_filters_are_checked_by_the_server(both):
    with pytest.raises(plaudit.ValidationError) as caught:
        both(lambda c: c.invitations.list(status="lost", limit=0))
    assert set(caught.value.errors) == {"status", "limit"}


def test_get_one(both, sdk, make_site):
    invitation = sdk.invitations.create(**new())
    assert both(lambda c: c.invitations.get(invitation.id)) == invitation
    with pytest.raises(plaudit.NotFoundError):
        both(lambda c: c.invitations.get("inv_nope"))
    other = make_site()
    with pytest.raises(plaudit.NotFoundError):  # another site's looks the same
        both(lambda c: c.invitations.get(invitation.id), api_key=other.api_key)


# ---------------------------------------------------------------- cancel


def test_cancel_a_scheduled_one_and_again(both, sdk):
    invitation = sdk.invitations.create(**new())
    cancelled = both(lambda c: c.invitations.cancel(invitation.id))
    assert cancelled.status is InvitationStatus.CANCELLED
    assert cancelled.id == invitation.id
    assert both(lambda c: c.invitations.cancel(invitation.id)).status is InvitationStatus.CANCELLED
    assert sdk.invitations.get(invitation.id).status is InvitationStatus.CANCELLED


def test_cancel_unknown_is_not_found(both):
    with pytest.raises(plaudit.NotFoundError):
        both(lambda c: c.invitations.cancel("inv_nope"))


def test_a_lost_answer_to_cancel_still_returns_it(flavour, sdk, site, live_server):
    invitation = sdk.invitations.create(**new())
    proxy = FlakyProxy(live_server.url)
    try:
        proxy.script(Action("forward_then_drop"))
        cancelled = run_on(
            flavour,
            lambda c: c.invitations.cancel(invitation.id),
            api_key=site.api_key,
            base_url=proxy.url,
        )
    finally:
        proxy.close()
    assert proxy.forwarded == 2
    assert cancelled.status is InvitationStatus.CANCELLED


# ---------------------------------------------------------------- problems in batches


def test_problem_keeps_extension_members():
    problem = Problem.from_dict(
        {
            "type": "https://plaudit.dev/problems/conflict",
            "title": "Conflict",
            "status": 409,
            "detail": "Order 7 already has an invitation (inv_1).",
            "instance": "/api/v1/admin/invitations/batch",
            "request_id": "req_1",
            "existing_id": "inv_1",
            "hint": 3,
        }
    )
    assert problem.existing_id == "inv_1"
    assert problem.extensions == {"existing_id": "inv_1", "hint": 3}
    assert problem.errors == {}
    assert Problem.from_dict({"status": 409, "existing_id": 5}).existing_id is None
