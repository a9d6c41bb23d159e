# Generated from plaudit/_async/invitations.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.invitations``: ask the buyers of orders for reviews (verified buyers).

An invitation is one e-mail (and one reminder) to the buyer of one order, linking to a
hosted page where they review what they bought and, unless ``store_review=False``, the
shop itself. The reviews it brings are marked ``verified_buyer``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from .._base_client import path_segment
from .._base_resource import Pages, batch_key, chunked
from .._models import (
    BatchError,
    BatchResult,
    Invitation,
    InvitationStatus,
    Locale,
    NewInvitation,
    Problem,
)
from .collection import Collection

__all__ = ["Invitations"]

CREATE_BATCH = 500


def _products(products: Iterable[str]) -> list[str]:
    if isinstance(products, str):
        raise TypeError("products must be a list of product ids, not one string.")
    return list(products)


def _create_body(item: Mapping[str, Any]) -> dict[str, Any]:
    """A creation body: what was left out (or None) is left to the server's defaults."""
    body = {key: value for key, value in item.items() if value is not None}
    if "products" in body:
        body["products"] = _products(body["products"])
    return body


def _invitation(data: Mapping[str, Any]) -> Invitation:
    return Invitation.from_dict(data["invitation"])


def _path(invitation_id: str) -> str:
    return f"admin/invitations/{path_segment(invitation_id, 'invitation_id')}"


class Invitations(Collection[Invitation]):
    """The site's review requests (admin API)."""

    name = "invitations"

    def _item(self, data: Mapping[str, Any]) -> Invitation:
        return Invitation.from_dict(data)

    def create(
        self,
        *,
        order_id: str,
        email: str,
        products: Iterable[str],
        name: str | None = None,
        locale: Locale | str | None = None,
        send_at: dt.datetime | None = None,
        store_review: bool = True,
        incentive: bool = False,
        idempotency_key: str | None = None,
    ) -> Invitation:
        """Ask the buyer of one order to review its ``products`` (1-20 product ids).

        The e-mail goes out at ``send_at`` (an aware datetime; default now plus the
        site's ``invite_delay_days``), in ``locale`` (a BCP 47 tag; default the site's),
        with one reminder ``invite_reminder_days`` later if no review came.
        ``store_review=False`` leaves the shop itself out of the page. ``incentive=True``
        says the buyer is offered something for reviewing (a discount, a gift): the
        reviews it brings are ``incentivized``, and say so. An order has one
        invitation: a second raises :class:`ConflictError` whose ``existing_id`` is the
        first. An address that unsubscribed gets an invitation with status
        ``unsubscribed``, and nothing is sent to it.

        >>> import plaudit
        >>> tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        >>> invitation = client.invitations.create(
        ...     order_id="1001", email="ada@example.com", products=["sku-1"], send_at=tomorrow
        ... )
        >>> invitation.status, invitation.products, invitation.url.split("/")[-2]
        (<InvitationStatus.SCHEDULED: 'scheduled'>, ['sku-1'], 'r')
        >>> try:
        ...     client.invitations.create(
        ...         order_id="1001", email="ada@example.com", products=["sku-1"]
        ...     )
        ... except plaudit.ConflictError as error:
        ...     print(error.existing_id == invitation.id)
        True
        """
        body = _create_body(
            {
                "order_id": order_id,
                "email": email,
                "products": products,
                "name": name,
                "locale": locale,
                "send_at": send_at,
                "store_review": store_review,
                # Sent only when true: what a server without incentives would refuse.
                "incentive": incentive or None,
            }
        )
        data = self._client.request(
            "POST", "admin/invitations", json=body, idempotency_key=idempotency_key
        )
        return _invitation(data)

    def create_many(
        self,
        items: Iterable[NewInvitation | Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Create many invitations, each taken or refused on its own (a nightly import of
        the day's orders, say).

        ``items`` are dicts of :meth:`create`'s arguments, any number of them: they are
        sent 500 at a time. Refused items are in ``errors`` with their ``index`` in
        ``items`` and a :class:`~plaudit.Problem`: per-field ``errors`` for an invalid
        one, ``existing_id`` for an order that already has an invitation.

        >>> result = client.invitations.create_many([
        ...     {"order_id": "1002", "email": "grace@example.com", "products": ["sku-1"]},
        ...     {"order_id": "1003", "email": "not an address", "products": ["sku-1"]},
        ...     {"order_id": "1002", "email": "grace@example.com", "products": ["sku-2"]},
        ... ])
        >>> [invitation.order_id for invitation in result.created]
        ['1002']
        >>> [(e.index, e.problem.status, list(e.problem.errors)) for e in result.errors]
        [(1, 422, ['email']), (2, 409, [])]
        """
        created: list[Invitation] = []
        errors: list[BatchError] = []
        offset = 0
        for number, batch in enumerate(chunked(items, CREATE_BATCH)):
            data = self._client.request(
                "POST",
                "admin/invitations/batch",
                json={"invitations": [_create_body(item) for item in batch]},
                idempotency_key=batch_key(idempotency_key, number),
            )
            created.extend(Invitation.from_dict(item) for item in data["created"])
            errors.extend(
                BatchError(index=offset + int(e["index"]), problem=Problem.from_dict(e["problem"]))
                for e in data["errors"]
            )
            offset += len(batch)
        return BatchResult(created=created, errors=errors)

    def list(
        self,
        *,
        status: InvitationStatus | str | None = None,
        order_id: str | None = None,
        limit: int | None = None,
    ) -> Pages[Invitation]:
        """The site's invitations, newest first, page by page (see
        :mod:`plaudit.pagination`); ``limit`` is the page size (1-100).

        >>> tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        >>> for order in ("2001", "2002"):
        ...     _ = client.invitations.create(
        ...         order_id=order, email="ada@example.com", products=["sku-1"], send_at=tomorrow
        ...     )
        >>> page = client.invitations.list(order_id="2002")
        >>> [(i.order_id, i.status) for i in page.items]
        [('2002', <InvitationStatus.SCHEDULED: 'scheduled'>)]
        """
        return self._list({"status": status, "order_id": order_id, "limit": limit})

    def get(self, invitation_id: str) -> Invitation:
        """One invitation by id; :class:`NotFoundError` if it is not one of this site's."""
        return _invitation(self._client.request("GET", _path(invitation_id)))

    def cancel(self, invitation_id: str) -> Invitation:
        """Cancel an invitation whose e-mail has not gone out: nothing is sent, and its
        link no longer works. :class:`ConflictError` once it was sent; cancelling one
        already cancelled is not an error.

        >>> later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        >>> invitation = client.invitations.create(
        ...     order_id="3001", email="ada@example.com", products=["sku-1"], send_at=later
        ... )
        >>> (client.invitations.cancel(invitation.id)).status
        <InvitationStatus.CANCELLED: 'cancelled'>
        """
        data = self._client.request("DELETE", _path(invitation_id))
        if data is None:
            # A retry after a lost answer was told 404: read it to raise what it is.
            return self.get(invitation_id)
        return _invitation(data)
