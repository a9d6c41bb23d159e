"""When and how long to wait before retrying: shared by the sync and async clients."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from ._exceptions import APIConnectionError, APIStatusError, ConflictError, PlauditError

log = logging.getLogger("plaudit")

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
# A Retry-After longer than this is not waited for: the error is raised at once, with
# ``retry_after`` on it, so a caller is never blocked for minutes without knowing why.
MAX_RETRY_AFTER = 60.0

# 503 is what the contract promises for a dependency that is down; 502 and 504 are what
# a proxy in front of the server says while it restarts. Every POST and PATCH carries an
# Idempotency-Key, so repeating any of them can never create a second object.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryDecision:
    """Retry after ``delay`` seconds, or not at all when it is None; ``reason`` is logged."""

    delay: float | None
    reason: str


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: about 0.5 s, 1 s, 2 s ... capped at 8 s.

    The jitter takes off up to a quarter so clients that failed together spread out.
    """
    delay: float = min(INITIAL_DELAY * 2.0**attempt, MAX_DELAY)
    return delay * (1.0 - 0.25 * random.random())


def decide(
    error: PlauditError,
    *,
    attempt: int,
    max_retries: int,
    has_idempotency_key: bool,
) -> RetryDecision:
    """Whether to retry after ``error`` on the zero-based ``attempt``, and after how long."""
    if attempt >= max_retries:
        return RetryDecision(None, f"no retries left ({max_retries} allowed)")
    if isinstance(error, APIConnectionError):
        return RetryDecision(backoff(attempt), type(error).__name__)
    if not isinstance(error, APIStatusError):
        return RetryDecision(None, "not retryable")
    status = error.status_code
    # A 409 to a repeat of our own request means the first attempt (whose answer we
    # lost) is still running on the server: wait for it, then get its stored answer.
    if isinstance(error, ConflictError) and attempt > 0 and has_idempotency_key:
        return RetryDecision(backoff(attempt), "409 while the first attempt is still running")
    if status not in RETRYABLE_STATUSES:
        return RetryDecision(None, f"status {status} is not retryable")
    retry_after = error.retry_after
    if retry_after is None:
        return RetryDecision(backoff(attempt), f"status {status}")
    if retry_after > MAX_RETRY_AFTER:
        return RetryDecision(
            None, f"status {status} with Retry-After {retry_after:g}s, longer than we wait"
        )
    return RetryDecision(retry_after, f"status {status}, Retry-After {retry_after:g}s")
