"""Extension objects, created unbound and bound to an app in ``create_app``.

flask-smorest's ``Api`` keeps the app and its spec on itself, so it is made per app in
``create_app`` instead of living here.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_sqlalchemy_lite import SQLAlchemy

from .visitors import rate_limit_key

db = SQLAlchemy()
limiter = Limiter(key_func=rate_limit_key)
