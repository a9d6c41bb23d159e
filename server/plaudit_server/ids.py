"""Opaque, time-ordered object ids such as ``rev_01J9Z3...``.

Ids are ULIDs (48 bits of milliseconds, 80 random bits) behind a type prefix: they sort
roughly by creation, which keeps B-tree inserts local, yet reveal nothing that can be
enumerated. Sorting never relies on them alone; lists order by ``created_at`` then id.
"""

from __future__ import annotations

import secrets
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str) -> str:
    """Return a new id such as ``rev_01J9Z3Q8W5V6N2K4T7X0M1B3C5``."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return f"{prefix}_{''.join(reversed(chars))}"
