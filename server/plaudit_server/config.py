"""Configuration: defaults, then the environment, then a test's overrides."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry

DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 64 * 1024,  # the contract's body limit; larger is a 413
    # flask-limiter: limits are declared on the views; these tune the extension.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_STRATEGY": "moving-window",
    # Off: flask-limiter would put Retry-After on every response; errors.py sets it on
    # the 429 alone.
    "RATELIMIT_HEADERS_ENABLED": False,
    "RATELIMIT_SUBMISSIONS_PER_VISITOR": "10/minute;60/hour",
    "RATELIMIT_SUBMISSIONS_PER_SITE": "300/minute",
    "RATELIMIT_SUBMISSIONS_PER_PRODUCT": "60/minute",
    "RATELIMIT_VOTES_PER_VISITOR": "60/minute",
    # Reports of items, and authors' actions through their manage links (edit, delete,
    # appeal), per visitor.
    "RATELIMIT_REPORTS_PER_VISITOR": "10/minute;30/hour",
    "RATELIMIT_MANAGE_PER_VISITOR": "10/minute;60/hour",
    # Public reads that miss the cache (and so query the database), per visitor network;
    # cache hits never count. Behind a CDN or proxy, set TRUSTED_PROXIES, or every
    # visitor shares the proxy's budget.
    "RATELIMIT_PUBLIC_READS_PER_VISITOR": "300/minute",
    # The secret-key API, per key.
    "RATELIMIT_ADMIN_PER_KEY": "1200/minute",
    # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted.
    # 0 trusts none: otherwise anyone could reset their per-visitor limits by spoofing it.
    "TRUSTED_PROXIES": 0,
    # Public GETs: browsers and CDNs may keep them this many seconds. Off by default,
    # stale-while-revalidate lets a CDN serve a stale copy beyond max-age while it
    # refetches; the contract bounds staleness by max-age, so enabling it is a choice.
    "PUBLIC_CACHE_MAX_AGE": 10,
    "PUBLIC_CACHE_STALE_WHILE_REVALIDATE": 0,
    # Lifetime of a cached response body in Redis. Writes make old entries unreachable
    # at once (generation numbers); this only bounds memory.
    "PUBLIC_CACHE_TTL": 300,
    # Redis (optional): seconds before a call is given up, seconds the circuit breaker
    # skips Redis after a failure, and a prefix for every key (to share one Redis).
    "REDIS_TIMEOUT": 0.2,
    "REDIS_COOLDOWN": 3.0,
    "REDIS_KEY_PREFIX": "plaudit:",
    # Mail (see mail.py): without SMTP_URL messages are written to the log.
    "SMTP_URL": None,
    "MAIL_FROM": "Plaudit <plaudit@localhost>",  # as mail.DEFAULT_MAIL_FROM
    "MAIL_TIMEOUT": 10.0,
    # The server's public base URL: every link in a message starts with it.
    "PUBLIC_URL": "http://127.0.0.1:5000",
    # Review requests (services/invitation_delivery.py): mails per batch; minutes
    # before each new try of a mail that failed transiently (then ``failed``); seconds
    # after which a claimed mail whose worker died counts as sent.
    "INVITATION_BATCH": 200,
    "INVITATION_RETRY_MINUTES": [5, 30, 120],
    "INVITATION_CLAIM_TIMEOUT": 900.0,
    # How often ``plaudit worker`` looks for due mail, in seconds.
    "WORKER_POLL_SECONDS": 5.0,
    # Notification e-mails (services/notifications.py): None retries on
    # INVITATION_RETRY_MINUTES; messages claimed per batch.
    "NOTIFICATION_RETRY_MINUTES": None,
    "NOTIFICATION_BATCH": 100,
    # Webhooks (see webhooks/delivery.py). ALLOW_PRIVATE (development and tests only)
    # also allows http and private addresses; CA_BUNDLE: a file of CA certificates to
    # trust instead of the system's.
    "WEBHOOKS_ALLOW_PRIVATE": False,
    "WEBHOOKS_CA_BUNDLE": None,
    "WEBHOOK_TIMEOUT": 10.0,
    "WEBHOOK_MAX_READ": 64 * 1024,
    "WEBHOOK_RETRY_SECONDS": [5, 300, 1800, 7200, 18000, 36000, 36000],
    "WEBHOOK_BATCH": 100,
    "WEBHOOK_CONCURRENCY": 16,
    "WEBHOOK_POLL_SECONDS": 1.0,
    "WEBHOOK_RETENTION_DAYS": 30,
    # Days an author's manage link works (services/manage.py).
    "MANAGE_TOKEN_DAYS": 365,
    # Forgotten admin passwords: a link's lifetime in seconds, and requests allowed.
    "ADMIN_RESET_MAX_AGE": 3600,
    "ADMIN_RESET_LIMIT_PER_IP": "10/minute;50/hour",
    "ADMIN_RESET_LIMIT_PER_EMAIL": "3/hour;10/day",
    # flask-smorest / OpenAPI
    "API_TITLE": "Plaudit",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` as platforms hand them out.

    SQLAlchemy removed the ``postgres`` alias and would pick psycopg2 for a bare
    ``postgresql://``; the server ships psycopg 3, so name it explicitly.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def number_list(value: Any) -> list[float]:
    """A list of numbers from a setting: a list, or what the environment gives, a
    string such as ``5,30,120`` (``PLAUDIT_INVITATION_RETRY_MINUTES=5,30,120``)."""
    if isinstance(value, str):
        value = value.replace("[", " ").replace("]", " ").replace(",", " ").split()
    return [float(v) for v in value]


def env_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise RuntimeError(f"expected a boolean, got {value!r}")


MIN_SECRET_KEY_BYTES = 32


def check_secret_key(app: Flask) -> None:
    """Refuse to start without a strong ``SECRET_KEY``, debug mode included.

    It signs the admin page's sessions and keys the visitor hashes: a short one can be
    guessed offline from a single cookie, and a built-in one (what debug mode once fell
    back to) is public. Tests may use a short key of their own; nothing runs on none.
    """
    key = app.config.get("SECRET_KEY") or ""
    size = len(key.encode() if isinstance(key, str) else key)
    if not key:
        problem = "SECRET_KEY is not set"
    elif size < MIN_SECRET_KEY_BYTES and not app.testing:
        problem = f"SECRET_KEY is too short ({size} bytes; at least {MIN_SECRET_KEY_BYTES})"
    else:
        return
    raise RuntimeError(
        f"{problem}. Set it in the environment to a long random string, "
        'e.g. SECRET_KEY="$(python -c "import secrets; print(secrets.token_hex(32))")"'
    )


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config``; fail at start-up, not at the first request, when it is wrong."""
    app.config.from_mapping(DEFAULTS)
    env = os.environ
    if "DATABASE_URL" in env:
        app.config["DATABASE_URL"] = env["DATABASE_URL"]
    if env.get("REDIS_URL"):
        app.config["REDIS_URL"] = env["REDIS_URL"]
    if "SECRET_KEY" in env:
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    if "RATELIMIT_ENABLED" in env:
        app.config["RATELIMIT_ENABLED"] = env_bool(env["RATELIMIT_ENABLED"])
    for name in ("SMTP_URL", "MAIL_FROM", "PUBLIC_URL"):
        if env.get(name):
            app.config[name] = env[name]
    if "TRUSTED_PROXIES" in env:
        app.config["TRUSTED_PROXIES"] = int(env["TRUSTED_PROXIES"])
    # Anything else: PLAUDIT_<KEY>=<json or string>, e.g. PLAUDIT_PUBLIC_CACHE_MAX_AGE=30.
    app.config.from_prefixed_env("PLAUDIT")
    if overrides:
        app.config.update(overrides)

    check_secret_key(app)

    if app.config.get("REDIS_URL"):
        # Limits shared by every worker and host. When Redis fails, flask-limiter falls
        # back to a stricter per-process limit and returns to Redis once it answers.
        if app.config["RATELIMIT_STORAGE_URI"] == "memory://":
            app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            {
                "socket_timeout": app.config["REDIS_TIMEOUT"],
                "socket_connect_timeout": app.config["REDIS_TIMEOUT"],
                "retry": Retry(NoBackoff(), 0),  # redis-py retries 3 times by default
            },
        )
        app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["REDIS_KEY_PREFIX"] + "rl")
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK", "3/minute")

    url = app.config.get("DATABASE_URL") or "sqlite:///plaudit.sqlite3"
    app.config["DATABASE_URL"] = normalise_database_url(url)
    app.config.setdefault("SQLALCHEMY_ENGINES", {})
    app.config["SQLALCHEMY_ENGINES"].setdefault(
        "default",
        {"url": app.config["DATABASE_URL"]},  # liveness: see db.py
    )
