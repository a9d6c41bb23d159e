"""UTC timestamps: one clock and one wire format for the whole service."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC now, at microsecond precision (what both databases store)."""
    return datetime.now(UTC)


def isoformat(value: datetime) -> str:
    """ISO 8601 in UTC with a trailing ``Z``, as the contract writes timestamps."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
