"""Extension objects, created unbound and bound to an app in ``create_app``.

flask-smorest's ``Api`` keeps the app and its spec on itself, so it is made per app in
``create_app`` instead of living here.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name

from .db import Database
from .visitors import rate_limit_key


class _Limiter(Limiter):
    """flask-limiter's Limiter, starting each app with a clean storage state.

    The limiter is module-global (its decorators need it at import time) while its
    "storage is dead, use the in-memory fallback" state lives on the object; an app
    made after another (tests, the CLI) must not inherit that state or its counts.
    """

    def init_app(self, app: Flask) -> None:
        self._key_prefix = ""  # else the first app's RATELIMIT_KEY_PREFIX sticks
        super().init_app(app)
        self._storage_dead = False
        fallback = getattr(self, "_fallback_storage", None)
        if fallback is not None:
            fallback.reset()

    def storage_is_down(self) -> bool:
        """True while flask-limiter counts in its in-memory fallback."""
        return bool(getattr(self, "_storage_dead", False))

    def storage_is_back(self) -> None:
        """Count in the storage again at once (it answered someone else's probe).

        Once its storage failed, flask-limiter counts in this process and looks at the
        storage again only on limited requests, after 1, 2, 4 ... 32 s: a worker would
        keep the stricter per-process limits long after Redis is back. If the storage
        fails again, flask-limiter falls back again.
        """
        self._storage_dead = False

    def declares_limits(self) -> bool:
        """Whether the request's view carries a ``@limiter.limit`` of its own."""
        view = current_app.view_functions.get(request.endpoint or "")
        return view is not None and get_qualified_name(view) in self._marked_for_limiting


# Objects stay loaded after commit: views commit, then serialise what they changed, and
# reloading every attribute from the database at that point would cost a query each.
db = Database(session_options={"expire_on_commit": False})
limiter = _Limiter(key_func=rate_limit_key)


@limiter.request_filter
def _fallback_only_where_declared() -> bool:
    """While Redis is down, only views that declare limits are limited.

    flask-limiter then applies its stricter in-memory fallback limit to every route no
    filter exempts: widget reads, /widget.js, health checks, the admin page and a shop's
    back end would all start failing. Visitors' submissions and the admin sign-in form,
    which declare their own limits, should get the stricter limit; nothing else.
    """
    return limiter.storage_is_down() and not limiter.declares_limits()
