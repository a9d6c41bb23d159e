"""Receive Plaudit's webhooks: :func:`verify` checks a request's signature and returns
the event it carries.

Plaudit signs deliveries as `Standard Webhooks <https://www.standardwebhooks.com>`_
do: the headers ``webhook-id`` (the event's id, the same on every retry),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,`` and the base64
HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` keyed with the secret's base64-decoded
bytes; several, space-separated, while a rotated secret still signs). Verifying needs
nothing but the standard library, so any receiver can use it: pass the body exactly as
it arrived (bytes: re-encoded JSON would not match) and the request's headers::

    event = plaudit.webhooks.verify(request.get_data(), request.headers, secret)
    if event.type == "review.created" and event.data["rating"] <= 2:
        ...

The SDK's README has a whole Flask receiver.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from ._exceptions import WebhookVerificationError
from ._models import WebhookEvent, parse_datetime

__all__ = ["DEFAULT_TOLERANCE", "Headers", "WebhookVerificationError", "verify"]

#: Seconds a delivery's timestamp may be off from now, either way (Standard Webhooks: 5 min).
DEFAULT_TOLERANCE = 300

SECRET_PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class Headers(Protocol):
    """Request headers: a dict, or any object with ``items()`` giving name-value pairs
    (Flask's and Django's ``request.headers``, ``httpx.Headers``...). Names are matched
    without regard to case."""

    def items(self) -> Iterable[tuple[str, str]]: ...


def _secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_...`` secret: the bytes its base64 part encodes.

    A secret that does not decode is a mistake in the receiver's configuration, not a
    bad request: it raises ``ValueError`` rather than refusing every delivery quietly.
    """
    if not isinstance(secret, str):
        raise TypeError(f"A webhook secret is a str ('whsec_...'), not {type(secret).__name__}.")
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        key = b""
    if not key:
        raise ValueError(
            "The webhook secret is not a 'whsec_' secret with base64 after the prefix: "
            "use the secret that client.webhooks.create() or rotate_secret() returned."
        )
    return key


def _secret_keys(secret: str | Sequence[str]) -> list[bytes]:
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise ValueError("Give at least one webhook secret.")
    return [_secret_key(one) for one in secrets]


def _header_values(headers: Headers) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER):
            found.setdefault(lowered, []).append(str(value))
    return found


def _one(found: dict[str, list[str]], name: str) -> str:
    values = {value.strip() for value in found.get(name, [])}
    values.discard("")
    if not values:
        raise WebhookVerificationError(
            f"The {name} header is missing: not a Standard Webhooks delivery "
            f"(expected {ID_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER})."
        )
    if len(values) > 1:
        raise WebhookVerificationError(
            f"The {name} header came more than once, with different values."
        )
    return values.pop()


def _signatures(found: dict[str, list[str]]) -> list[bytes]:
    """The decoded ``v1`` signatures of the ``webhook-signature`` header(s); other
    versions (``v1a`` asymmetric ones) and malformed entries are skipped."""
    decoded = []
    for value in found.get(SIGNATURE_HEADER, []):
        for entry in value.split():
            version, _, signature = entry.partition(",")
            if version != "v1":
                continue
            try:
                decoded.append(base64.b64decode(signature, validate=True))
            except binascii.Error:
                continue
    return decoded


def _event(event_id: str, payload: bytes) -> WebhookEvent:
    try:
        parsed: Any = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookVerificationError(f"The signed body is not JSON ({exc}).") from exc
    if not isinstance(parsed, dict):
        raise WebhookVerificationError("The signed body is JSON but not an object.")
    missing = [key for key in ("type", "timestamp", "data") if key not in parsed]
    if missing:
        raise WebhookVerificationError(
            f"The signed body is not a Plaudit event: it has no {', '.join(missing)}."
        )
    event_type, timestamp, data = parsed["type"], parsed["timestamp"], parsed["data"]
    if not isinstance(event_type, str) or not isinstance(data, dict):
        raise WebhookVerificationError(
            "The signed body is not a Plaudit event: its type must be a string and its "
            "data an object."
        )
    try:
        when = parse_datetime(timestamp)
    except (TypeError, ValueError) as exc:
        raise WebhookVerificationError(
            f"The signed body is not a Plaudit event: its timestamp {timestamp!r} is not ISO 8601."
        ) from exc
    previous = parsed.get("previous")
    return WebhookEvent(
        id=event_id,
        type=event_type,
        timestamp=when,
        data=data,
        previous=previous if isinstance(previous, dict) else None,
    )


def verify(
    body: bytes | bytearray | memoryview | str,
    headers: Headers,
    secret: str | Sequence[str],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Check that a webhook request came from Plaudit, and return its event.

    ``body`` is the raw request body (bytes as received; a str is taken as its UTF-8
    encoding), ``headers`` the request's headers, ``secret`` the webhook's ``whsec_...``
    secret, or several (the new and the old one while you switch after a rotation): a
    signature by any of them is accepted. The request is refused, with
    :class:`~plaudit.WebhookVerificationError` saying why, when a ``webhook-*`` header
    is missing, no signature in ``webhook-signature`` was made with the secret over this
    id, timestamp and body, the timestamp is more than ``tolerance`` seconds (default 5
    minutes) before or after ``now`` (default: the clock; a replayed old delivery fails
    here), or the body is not a Plaudit event. Signatures are compared in constant time.

    A secret that is not a ``whsec_`` base64 secret raises ``ValueError``: that is the
    receiver's configuration, not the request, at fault.
    """
    if tolerance < 0:
        raise ValueError("tolerance is a number of seconds, 0 or more.")
    keys = _secret_keys(secret)
    payload = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    found = _header_values(headers)
    event_id = _one(found, ID_HEADER)
    timestamp = _one(found, TIMESTAMP_HEADER)
    _one(found, SIGNATURE_HEADER)
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise WebhookVerificationError(
            f"The {TIMESTAMP_HEADER} header {timestamp[:40]!r} is not a Unix time in seconds."
        )
    signatures = _signatures(found)
    if not signatures:
        raise WebhookVerificationError(
            f"The {SIGNATURE_HEADER} header holds no v1 signature ('v1,<base64>')."
        )
    signed = f"{event_id}.{timestamp}.".encode() + payload
    expected = [hmac.new(key, signed, hashlib.sha256).digest() for key in keys]
    # Every pair is compared (no early exit), each in constant time.
    matches = [hmac.compare_digest(e, s) for e in expected for s in signatures]
    if not any(matches):
        raise WebhookVerificationError(
            "No signature matches: the body was changed on the way, or the secret is not "
            "this webhook's (after a rotation, pass the new and the old secret)."
        )
    # Checked once the signature is known good, so the message can say what is wrong.
    age = (time.time() if now is None else now) - int(timestamp)
    if age > tolerance:
        raise WebhookVerificationError(
            f"The delivery is too old: signed {age:.0f} s ago, more than the {tolerance} s "
            "allowed (a replay, or a clock that is wrong)."
        )
    if age < -tolerance:
        raise WebhookVerificationError(
            f"The delivery's timestamp is {-age:.0f} s in the future, more than the "
            f"{tolerance} s allowed (a clock that is wrong?)."
        )
    return _event(event_id, payload)
