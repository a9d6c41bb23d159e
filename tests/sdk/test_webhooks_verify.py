"""``plaudit.webhooks.verify`` against what the ``standardwebhooks`` package from PyPI
(written by others, to the Standard Webhooks specification) signs: it accepts those
deliveries, and refuses tampered bodies, wrong secrets, replays of old ones, timestamps
from the future, missing headers and bodies that are not events. No server needed."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
from typing import Any

import httpx
import pytest
import standardwebhooks
from werkzeug.datastructures import Headers as WerkzeugHeaders

import plaudit
from plaudit.webhooks import verify

NOW = 1_765_000_000.0  # a fixed "now" for the tests that give one


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


SECRET = new_secret()
OTHER = new_secret()
EVENT = {
    "type": "review.created",
    "timestamp": "2026-12-06T21:30:00Z",
    "data": {"id": "rev_01", "rating": 5, "body": "Lovely, grüße ✓", "status": "published"},
}
BODY = json.dumps(EVENT, ensure_ascii=False).encode()


def sign(
    body: bytes | str = BODY,
    secret: str = SECRET,
    *,
    msg_id: str = "msg_2Lx",
    at: float = NOW,
) -> dict[str, str]:
    """The headers of a delivery of ``body``, signed by the standardwebhooks package."""
    timestamp = dt.datetime.fromtimestamp(at, tz=dt.UTC)
    signature = standardwebhooks.Webhook(secret).sign(msg_id, timestamp, body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at)),
        "webhook-signature": signature,
    }


def refused(body: Any, headers: Any, secret: Any = SECRET, **options: Any) -> str:
    """The message of the error ``verify`` raises (it must raise)."""
    options.setdefault("now", NOW)
    with pytest.raises(plaudit.WebhookVerificationError) as caught:
        verify(body, headers, secret, **options)
    return str(caught.value)


# ---------------------------------------------------------------- accepted


def test_accepts_what_standardwebhooks_signs_and_returns_the_event():
    event = verify(BODY, sign(), SECRET, now=NOW)
    assert isinstance(event, plaudit.WebhookEvent)
    assert event.id == "msg_2Lx"
    assert event.type == "review.created"
    assert event.timestamp == dt.datetime(2026, 12, 6, 21, 30, tzinfo=dt.UTC)
    assert event.data == EVENT["data"]


def test_an_update_carries_what_it_changed_from():
    body = json.dumps({**EVENT, "type": "review.updated", "previous": {"status": "pending"}})
    event = verify(body, sign(body), SECRET, now=NOW)
    assert event.previous == {"status": "pending"}
    assert verify(BODY, sign(), SECRET, now=NOW).previous is None


def test_the_clock_is_the_default_now():
    at = time.time()
    assert verify(BODY, sign(at=at), SECRET).id == "msg_2Lx"
    # and the same delivery an hour later is refused by the clock, too
    assert "too old" in refused(BODY, sign(at=at - 3600), now=None)


def test_a_str_body_is_its_utf8_bytes():
    headers = sign(BODY)
    assert verify(BODY.decode(), headers, SECRET, now=NOW).data["body"] == "Lovely, grüße ✓"
    assert verify(bytearray(BODY), headers, SECRET, now=NOW).type == "review.created"
    assert verify(memoryview(BODY), headers, SECRET, now=NOW).type == "review.created"


def test_secret_without_the_prefix_is_the_same_secret():
    assert verify(BODY, sign(), SECRET.removeprefix("whsec_"), now=NOW).id == "msg_2Lx"


@pytest.mark.parametrize(
    "spell",
    [str.upper, str.title, lambda name: name],
    ids=["upper", "title", "lower"],
)
def test_header_names_are_matched_whatever_their_case(spell):
    headers = {spell(name): value for name, value in sign().items()}
    assert verify(BODY, headers, SECRET, now=NOW).id == "msg_2Lx"


def test_frameworks_header_objects_are_accepted():
    """What Flask (werkzeug) and httpx hand a receiver, not only dicts."""
    headers = sign()
    werkzeug = WerkzeugHeaders(
        [("Content-Type", "application/json"), *((k.title(), v) for k, v in headers.items())]
    )
    assert verify(BODY, werkzeug, SECRET, now=NOW).id == "msg_2Lx"
    assert verify(BODY, httpx.Headers(headers), SECRET, now=NOW).id == "msg_2Lx"


def test_either_of_two_secrets_may_have_signed():
    """A receiver switching secrets after a rotation passes both."""
    assert verify(BODY, sign(secret=SECRET), [OTHER, SECRET], now=NOW).id == "msg_2Lx"
    assert verify(BODY, sign(secret=OTHER), (OTHER, SECRET), now=NOW).id == "msg_2Lx"


def test_either_of_two_signatures_may_match():
    """While a rotated secret still signs, the header holds a signature by each."""
    new, old = sign(secret=SECRET), sign(secret=OTHER)
    both = {**new, "webhook-signature": f"{new['webhook-signature']} {old['webhook-signature']}"}
    assert verify(BODY, both, SECRET, now=NOW).id == "msg_2Lx"
    assert verify(BODY, both, OTHER, now=NOW).id == "msg_2Lx"
    assert "No signature matches" in refused(BODY, both, new_secret())


def test_signatures_of_other_versions_are_skipped():
    headers = sign()
    headers["webhook-signature"] = "v1a,c29tZXRoaW5n " + headers["webhook-signature"]
    assert verify(BODY, headers, SECRET, now=NOW).id == "msg_2Lx"


@pytest.mark.parametrize("offset", [-299, 0, 299])
def test_timestamps_within_five_minutes_either_way_are_accepted(offset):
    assert verify(BODY, sign(at=NOW + offset), SECRET, now=NOW).id == "msg_2Lx"


# ---------------------------------------------------------------- refused


def test_a_tampered_body_is_refused():
    tampered = BODY.replace(b'"rating": 5', b'"rating": 1')
    assert tampered != BODY
    assert "No signature matches" in refused(tampered, sign())
    assert "No signature matches" in refused(BODY + b" ", sign())


def test_a_wrong_secret_is_refused():
    message = refused(BODY, sign(secret=OTHER), SECRET)
    assert "No signature matches" in message and "secret" in message
    assert "No signature matches" in refused(BODY, sign(secret=OTHER), [new_secret(), SECRET])


def test_a_signature_moved_to_another_id_or_timestamp_is_refused():
    """The id and timestamp are signed too: neither can be changed to replay a body."""
    headers = sign()
    assert "No signature matches" in refused(BODY, {**headers, "webhook-id": "msg_other"})
    later = {**headers, "webhook-timestamp": str(int(NOW) + 60)}
    assert "No signature matches" in refused(BODY, later, now=NOW + 60)


def test_an_old_delivery_is_refused():
    message = refused(BODY, sign(at=NOW - 301))
    assert "too old" in message and "301 s ago" in message
    assert "too old" in refused(BODY, sign(at=NOW - 86_400))


def test_a_delivery_from_the_future_is_refused():
    message = refused(BODY, sign(at=NOW + 301))
    assert "301 s in the future" in message


def test_the_tolerance_can_be_changed():
    headers = sign(at=NOW - 100)
    assert "too old" in refused(BODY, headers, tolerance=60)
    assert verify(BODY, headers, SECRET, tolerance=600, now=NOW).id == "msg_2Lx"
    with pytest.raises(ValueError):
        verify(BODY, headers, SECRET, tolerance=-1, now=NOW)


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused_by_name(name):
    headers = {k: v for k, v in sign().items() if k != name}
    message = refused(BODY, headers)
    assert f"The {name} header is missing" in message
    assert f"The {name} header is missing" in refused(BODY, {**headers, name: "  "})


def test_no_headers_at_all_is_refused():
    assert "header is missing" in refused(BODY, {})


def test_a_timestamp_that_is_not_unix_seconds_is_refused():
    headers = sign()
    for bad in ("soon", "1765000000.5", "-5", "2026-12-06T21:30:00Z"):
        assert "not a Unix time" in refused(BODY, {**headers, "webhook-timestamp": bad})


def test_a_signature_header_without_v1_signatures_is_refused():
    headers = sign()
    for bad in ("v2,abc", "garbage", "v1,not base64!"):
        assert "no v1 signature" in refused(BODY, {**headers, "webhook-signature": bad})


def test_conflicting_repeated_headers_are_refused():
    headers = WerkzeugHeaders(list(sign().items()))
    headers.add("webhook-id", "msg_other")
    assert "more than once" in refused(BODY, headers)


def test_a_signed_body_that_is_not_json_is_refused():
    body = b"<html>not json</html>"
    message = refused(body, sign(body))
    assert "not JSON" in message
    latin1 = "caf\xe9".encode("latin-1")
    assert "not JSON" in refused(latin1, sign(latin1))


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ([1, 2], "not an object"),
        ({"type": "ping"}, "no timestamp, data"),
        ({"type": 5, "timestamp": "2026-12-06T21:30:00Z", "data": {}}, "type must be a string"),
        ({"type": "ping", "timestamp": "yesterday", "data": {}}, "not ISO 8601"),
    ],
)
def test_a_signed_json_body_that_is_not_an_event_is_refused(payload, says):
    body = json.dumps(payload).encode()
    assert says in refused(body, sign(body))


def test_a_secret_that_is_not_one_is_a_configuration_error():
    headers = sign()
    for bad in ("whsec_", "whsec_!!!not-base64", ""):
        with pytest.raises(ValueError, match="not a 'whsec_' secret"):
            verify(BODY, headers, bad, now=NOW)
    with pytest.raises(ValueError, match="at least one"):
        verify(BODY, headers, [], now=NOW)
    with pytest.raises(TypeError):
        verify(BODY, headers, [b"whsec_abc"], now=NOW)  # type: ignore[list-item]


def test_the_error_is_a_plaudit_error_without_a_response():
    with pytest.raises(plaudit.PlauditError) as caught:
        verify(BODY, {}, SECRET, now=NOW)
    error = caught.value
    assert isinstance(error, plaudit.WebhookVerificationError)
    assert error.status_code is None and error.body is None and error.request_id is None


def test_verifying_needs_no_more_than_the_sdk():
    """The SDK stays httpx + anyio: verifying loads no Standard Webhooks library."""
    import subprocess
    import sys

    code = (
        "import sys, plaudit; "
        "plaudit.webhooks.verify; "
        "print([m for m in ('standardwebhooks', 'flask', 'plaudit_server') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
