"""Webhook signatures verify with the Standard Webhooks reference library (written by others).

Receivers use whatever Standard Webhooks library their language has; agreeing with
the reference Python package is the proof that ours follows the specification.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from plaudit_server.webhooks import signing

BODY = json.dumps({"type": "ping", "timestamp": "2026-12-06T21:00:00Z", "data": {}}).encode()


def test_new_secret_is_whsec_and_32_random_bytes() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert signing.new_secret() != secret


def test_one_secret_verifies_with_the_reference_library() -> None:
    secret = signing.new_secret()
    now = int(time.time())
    headers = signing.headers("msg_1", now, BODY, [secret])
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(now)
    assert headers["content-type"] == "application/json"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_the_signature_is_what_the_reference_library_signs() -> None:
    secret = signing.new_secret()
    now = int(time.time())
    expected = Webhook(secret).sign("msg_2", datetime.fromtimestamp(now, UTC), BODY.decode())
    assert signing.sign(secret, "msg_2", now, BODY) == expected


def test_two_secrets_each_verify_alone_newest_first() -> None:
    new, old = signing.new_secret(), signing.new_secret()
    now = int(time.time())
    headers = signing.headers("msg_3", now, BODY, [new, old])
    first, second = headers["webhook-signature"].split(" ")
    assert first == signing.sign(new, "msg_3", now, BODY)
    assert second == signing.sign(old, "msg_3", now, BODY)
    assert Webhook(new).verify(BODY, headers) == json.loads(BODY)
    assert Webhook(old).verify(BODY, headers) == json.loads(BODY)


def test_tampered_body_and_wrong_secret_fail() -> None:
    secret = signing.new_secret()
    headers = signing.headers("msg_4", int(time.time()), BODY, [secret, signing.new_secret()])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"ping", b"pong"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)
    tampered_id = {**headers, "webhook-id": "msg_5"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, tampered_id)


def test_no_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        signing.headers("msg_6", int(time.time()), BODY, [])
