# Generated from plaudit/_async/webhooks.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.webhooks``: the URLs of the shop's that hear of the site's events, and the
log of what was delivered to each.

Deliveries are signed as Standard Webhooks with the webhook's secret; a receiver checks
them with :func:`plaudit.webhooks.verify`. An event that is not answered with a 2xx is
tried again (after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h) before its
delivery is ``failed``; a 410 answer disables the webhook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._base_client import NOT_GIVEN, NotGiven, path_segment
from .._base_resource import Pages
from .._models import Delivery, DeliveryStatus, Webhook, WebhookEventType
from .collection import Collection
from .pagination import CursorPage

__all__ = ["Webhooks"]


def _events(events: Iterable[WebhookEventType | str]) -> list[str]:
    if isinstance(events, str):
        raise TypeError('events must be a list of event types (["review.created"]), not a str.')
    return [str(event) for event in events]


def _webhook(data: Mapping[str, Any]) -> Webhook:
    return Webhook.from_dict(data["webhook"])


def _delivery(data: Mapping[str, Any]) -> Delivery:
    return Delivery.from_dict(data["delivery"])


def _path(webhook_id: str, *rest: str) -> str:
    return "/".join(["admin/webhooks", path_segment(webhook_id, "webhook_id"), *rest])


def _patch_body(
    url: str | NotGiven,
    events: Iterable[WebhookEventType | str] | NotGiven,
    enabled: bool | NotGiven,
    description: str | NotGiven | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if not isinstance(url, NotGiven):
        body["url"] = url
    if not isinstance(events, NotGiven):
        body["events"] = _events(events)
    if not isinstance(enabled, NotGiven):
        body["enabled"] = enabled
    if not isinstance(description, NotGiven):
        body["description"] = description
    if not body:
        raise ValueError("Nothing to update: give url, events, enabled or description.")
    return body


class Webhooks(Collection[Webhook]):
    """The site's webhooks (admin API)."""

    name = "webhooks"

    def _item(self, data: Mapping[str, Any]) -> Webhook:
        return Webhook.from_dict(data)

    def create(
        self,
        url: str,
        *,
        events: Iterable[WebhookEventType | str] = ("*",),
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> Webhook:
        """Send the site's ``events`` (default ``["*"]``: every event, those added
        later too) to ``url``, an https URL whose every address is public.

        The webhook returned carries its ``secret``, which signs every delivery: keep
        it now, it is never shown again (:meth:`rotate_secret` makes a new one). A URL
        that is not https, resolves to a private address or carries credentials, an
        unknown event type, or a 21st webhook raise :class:`~plaudit.ValidationError`.
        """
        body: dict[str, Any] = {"url": url, "events": _events(events)}
        if description is not None:
            body["description"] = description
        data = self._client.request(
            "POST", "admin/webhooks", json=body, idempotency_key=idempotency_key
        )
        return _webhook(data)

    def list(self, *, limit: int | None = None) -> Pages[Webhook]:
        """The site's webhooks, page by page (see :mod:`plaudit.pagination`); ``limit``
        is the page size (1-100). Their ``secret`` is None: it is shown only once."""
        return self._list({"limit": limit})

    def get(self, webhook_id: str) -> Webhook:
        """One webhook by id; :class:`~plaudit.NotFoundError` if it is not this site's."""
        return _webhook(self._client.request("GET", _path(webhook_id)))

    def update(
        self,
        webhook_id: str,
        *,
        url: str | NotGiven = NOT_GIVEN,
        events: Iterable[WebhookEventType | str] | NotGiven = NOT_GIVEN,
        enabled: bool | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Webhook:
        """Change a webhook's ``url``, ``events``, ``enabled`` or ``description`` (None
        removes it); what is not given stays as it is. A disabled webhook is sent
        nothing until it is enabled again (a 410 answer disables it, too)."""
        body = _patch_body(url, events, enabled, description)
        data = self._client.request(
            "PATCH", _path(webhook_id), json=body, idempotency_key=idempotency_key
        )
        return _webhook(data)

    def enable(self, webhook_id: str) -> Webhook:
        """Send events to the webhook again."""
        return self.update(webhook_id, enabled=True)

    def disable(self, webhook_id: str) -> Webhook:
        """Stop sending events to the webhook, keeping it and its deliveries."""
        return self.update(webhook_id, enabled=False)

    def delete(self, webhook_id: str) -> None:
        """Delete a webhook and its delivery log, for good."""
        self._client.request("DELETE", _path(webhook_id))

    def rotate_secret(self, webhook_id: str, *, idempotency_key: str | None = None) -> Webhook:
        """Give the webhook a new secret, returned this once as ``secret``. For 24 hours
        deliveries are signed by the new and the old one, so a receiver can switch
        (``verify(body, headers, [new, old])``) without refusing any."""
        data = self._client.request(
            "POST", _path(webhook_id, "rotate-secret"), idempotency_key=idempotency_key
        )
        return _webhook(data)

    def test(self, webhook_id: str, *, idempotency_key: str | None = None) -> Delivery:
        """Send the webhook a ``ping`` event now, and return its delivery: whether the
        receiver answered with a 2xx (``status``), its ``response_status`` or the
        ``error``. A failed ping is retried like any event."""
        data = self._client.request(
            "POST", _path(webhook_id, "test"), idempotency_key=idempotency_key
        )
        return _delivery(data)

    def deliveries(
        self,
        webhook_id: str,
        *,
        status: DeliveryStatus | str | None = None,
        limit: int | None = None,
    ) -> Pages[Delivery]:
        """The webhook's deliveries, newest first, page by page (see
        :mod:`plaudit.pagination`): each event sent to it, its attempts, and how the
        last one went. ``status`` keeps those ``pending``, ``succeeded`` or ``failed``;
        ``limit`` is the page size (1-100)."""
        path = _path(webhook_id, "deliveries")
        params = {"status": status, "limit": limit}
        return self._pages(lambda: self._deliveries_page(path, params, None))

    def _deliveries_page(
        self, path: str, params: dict[str, Any], cursor: str | None
    ) -> CursorPage[Delivery]:
        data = self._client.request("GET", path, params={**params, "cursor": cursor})
        return CursorPage(
            [Delivery.from_dict(item) for item in data["deliveries"]],
            data.get("next_cursor"),
            lambda next_cursor: self._deliveries_page(path, params, next_cursor),
        )

    def retry(
        self, webhook_id: str, delivery_id: str, *, idempotency_key: str | None = None
    ) -> Delivery:
        """Deliver an event again now (a failed one after the receiver was fixed, say),
        under the same ``webhook-id``; returns the delivery as this attempt left it."""
        path = _path(webhook_id, "deliveries", path_segment(delivery_id, "delivery_id"), "retry")
        data = self._client.request("POST", path, idempotency_key=idempotency_key)
        return _delivery(data)
