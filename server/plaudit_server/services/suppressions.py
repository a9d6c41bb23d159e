"""The suppression list: addresses that asked a site for no more messages of a kind.

Every message that is not a direct answer to the person's own request carries a
one-click unsubscribe link (RFC 8058) made by :func:`unsubscribe_url`. Its token is
signed, not stored: it names the site, the address and the kind of message, so the link
works for as long as the server's ``SECRET_KEY`` stays the same, from any message ever
sent, and nobody can make one for an address of their choosing. Following it (a POST:
see ``unsubscribe.py``) puts the address on the list with :func:`suppress`; senders ask
:func:`suppressed` before mailing. Addresses are compared lowercased.

Kinds: ``invitations`` (review requests and their reminders); ``notifications`` later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..mail import public_url
from ..models import Suppression

# The lists an address can leave: review requests, the shop's notices of items waiting
# for moderation, the visitor's notices of the shop's answers, a reporter's notices of
# the shop's decisions, invitations to answer other customers' questions ("community"),
# news of the ideas one asked for ("ideas") ("notifications": the name the first two
# once shared, kept so its links and exports stay valid).
KINDS = frozenset(
    {"invitations", "new_items", "replies", "reports", "community", "ideas", "notifications"}
)
_SALT = "plaudit.unsubscribe"
_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(site_id: str, email: str, kind: str) -> str:
    """A signed token for ``email``'s unsubscribe link; it never expires (the law and
    RFC 8058 expect an old message's link to keep working)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of message: {kind!r}")
    return str(_serializer().dumps([site_id, email.strip().lower(), kind]))


def unsubscribe_url(site_id: str, email: str, kind: str) -> str:
    """The one-click link for a message's ``List-Unsubscribe`` header and its footer."""
    return public_url("/u/" + unsubscribe_token(site_id, email, kind))


def read_token(token: str) -> tuple[str, str, str] | None:
    """``(site_id, email, kind)`` from a token this server signed, else None."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(part, str) for part in value)
        or value[2] not in KINDS
    ):
        return None
    return value[0], value[1], value[2]


def suppress(session: Session, site_id: str, kind: str, email: str) -> None:
    """Put ``email`` on ``site_id``'s list for ``kind``. Idempotent, and safe when two
    requests do it at once (an insert that skips an existing row, on both databases)."""
    insert = _INSERTS[session.get_bind().dialect.name](Suppression).values(
        site_id=site_id, kind=kind, email=email.strip().lower()
    )
    session.execute(insert.on_conflict_do_nothing())


def suppressed(session: Session, site_id: str, kind: str, emails: Iterable[str]) -> set[str]:
    """Which of ``emails`` (lowercased) are on ``site_id``'s list for ``kind``: one query,
    however many addresses (a batch of invitations asks once)."""
    wanted = {email.strip().lower() for email in emails}
    if not wanted:
        return set()
    rows = session.scalars(
        sa.select(Suppression.email).where(
            Suppression.site_id == site_id,
            Suppression.kind == kind,
            Suppression.email.in_(wanted),
        )
    )
    return set(rows)
