"""Extension objects, created unbound and bound to an app in ``create_app``.

flask-smorest's ``Api`` keeps the app and its spec on itself, so it is made per app in
``create_app`` instead of living here.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_sqlalchemy_lite import SQLAlchemy

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


# Objects stay loaded after commit: views commit, then serialise what they changed, and
# reloading every attribute from the database at that point would cost a query each.
db = SQLAlchemy(session_options={"expire_on_commit": False})
limiter = _Limiter(key_func=rate_limit_key)


@limiter.request_filter
def _exempt() -> bool:
    """Public reads are never limited; the secret-key API not while Redis is down.

    Limits are declared on the views that need them; this filter matters when Redis is
    down, because flask-limiter then applies its stricter in-memory fallback limit to
    every route it does not exempt: a widget's reads and a shop's back end must not
    start failing then, visitors' submissions should get the stricter limit.
    """
    if request.method in {"GET", "HEAD", "OPTIONS"} and request.path.startswith("/api/v1/sites/"):
        return True
    return request.path.startswith("/api/v1/admin/") and limiter.storage_is_down()
