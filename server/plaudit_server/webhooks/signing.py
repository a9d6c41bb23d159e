"""Standard Webhooks signing (https://www.standardwebhooks.com), exactly as the spec writes it.

Receivers verify deliveries with any Standard Webhooks library, so nothing here may
drift from the specification: the signed content is ``"{id}.{timestamp}.{body}"``,
the key is the base64-decoded part of a ``whsec_`` secret, and while a rotated
secret is still valid every delivery carries one signature per secret, so a
receiver holding either the old or the new secret accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
from collections.abc import Sequence

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes (256-bit key)."""
    return PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode("ascii")


def _key(secret: str) -> bytes:
    """The HMAC key: the secret's base64 part, decoded (the spec signs with bytes, not text)."""
    encoded = secret.removeprefix(PREFIX)
    # Tolerate unpadded base64 like the reference libraries do.
    key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    if not key:
        raise ValueError("empty webhook secret")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64 HMAC-SHA256>`` signature of ``"{msg_id}.{timestamp}.{body}"``."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> dict[str, str]:
    """The headers of one delivery: id, timestamp, signatures (newest secret first), JSON type.

    ``secrets`` lists the webhook's valid secrets, newest first; each one signs, and the
    signatures are space-separated as the spec asks, so either secret alone verifies.
    """
    if not secrets:
        raise ValueError("at least one secret must sign a delivery")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets),
        "content-type": "application/json",
    }
