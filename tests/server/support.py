"""Assertions shared by the API test modules (imported as ``from support import ...``)."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 problem of ``status`` carrying the response's request id, never an
    HTML page or a traceback."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == PROBLEM
    assert "<html" not in text.lower() and "Traceback" not in text
    body = response.get_json()
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key]
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body
