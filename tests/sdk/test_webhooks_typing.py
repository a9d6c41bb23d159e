"""``client.webhooks`` and ``plaudit.webhooks.verify`` are typed precisely: what user
code sees passes ``mypy --strict`` with the exact types asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

SDK = Path(__file__).parents[2] / "sdk" / "plaudit"

USAGE = """
from __future__ import annotations

import datetime as dt
from typing import Any, assert_type

import plaudit
from plaudit.pagination import AsyncPaginator, AsyncCursorPage, CursorPage


def sync(client: plaudit.Plaudit, body: bytes, headers: dict[str, str]) -> None:
    webhook = client.webhooks.create("https://hooks.example.com/x", events=["review.created"])
    assert_type(webhook, plaudit.Webhook)
    assert_type(webhook.secret, str | None)
    assert_type(webhook.events, list[str])
    assert_type(webhook.created_at, dt.datetime)
    assert_type(client.webhooks.list(), CursorPage[plaudit.Webhook])
    assert_type(client.webhooks.update(webhook.id, enabled=False), plaudit.Webhook)
    assert_type(client.webhooks.delete(webhook.id), None)
    assert_type(client.webhooks.rotate_secret(webhook.id).secret, str | None)
    delivery = client.webhooks.test(webhook.id)
    assert_type(delivery, plaudit.Delivery)
    assert_type(delivery.status, plaudit.DeliveryStatus)
    assert_type(delivery.response_status, int | None)
    assert_type(delivery.next_attempt_at, dt.datetime | None)
    assert_type(client.webhooks.deliveries(webhook.id), CursorPage[plaudit.Delivery])
    assert_type(client.webhooks.retry(webhook.id, delivery.id), plaudit.Delivery)
    events: list[plaudit.WebhookEventType] = ["review.created", "*"]
    client.webhooks.create("https://hooks.example.com/y", events=events)
    try:
        event = plaudit.webhooks.verify(body, headers, ["whsec_a", "whsec_b"])
        assert_type(event, plaudit.WebhookEvent)
        assert_type(event.data, dict[str, Any])
        assert_type(event.timestamp, dt.datetime)
    except plaudit.WebhookVerificationError as error:
        assert_type(error, plaudit.WebhookVerificationError)


async def asynchronous(client: plaudit.AsyncPlaudit) -> None:
    webhook = await client.webhooks.create("https://hooks.example.com/x")
    assert_type(webhook, plaudit.Webhook)
    pages = client.webhooks.deliveries(webhook.id, status=plaudit.DeliveryStatus.FAILED)
    assert_type(pages, AsyncPaginator[plaudit.Delivery, AsyncCursorPage[plaudit.Delivery]])
    async for delivery in pages:
        assert_type(delivery, plaudit.Delivery)
    assert_type(await client.webhooks.test(webhook.id), plaudit.Delivery)
"""


def _mypy(tmp_path: Path, code: str) -> tuple[int, str]:
    api = pytest.importorskip("mypy.api")
    usage = tmp_path / "usage.py"
    usage.write_text(code)
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(SDK),
            str(usage),
        ]
    )
    return status, stdout + stderr


def test_webhook_types_are_precise(tmp_path):
    status, output = _mypy(tmp_path, USAGE)
    assert status == 0, output
