"""The ``plaudit`` command: db upgrade, sites create, demo, and configuration at start-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plaudit_server import create_app
from plaudit_server.config import normalise_database_url
from plaudit_server.extensions import db
from plaudit_server.models import (
    Comment,
    InvitationStatus,
    Owner,
    Product,
    Review,
    Site,
    Status,
)
from plaudit_server.services import sites

KEY_RE = re.compile(r"sk_live_[A-Za-z0-9_-]{20,}")
PLAUDIT = Path(sys.executable).with_name("plaudit")


def printed(output: str, label: str) -> str | None:
    """The value after ``label:`` in the command's output, if it printed one."""
    match = re.search(rf"^{label}:\s+(\S+)", output, re.MULTILINE)
    return match.group(1) if match else None


def admin_site(app: Flask, key: str, path: str = "/site") -> Any:
    return app.test_client().get(f"/api/v1/admin{path}", headers={"Authorization": f"Bearer {key}"})


def public_reviews(app: Flask, product: str) -> list[dict[str, Any]]:
    url = f"/api/v1/sites/demo/products/{product}/reviews?limit=50"
    reviews: list[dict[str, Any]] = app.test_client().get(url).get_json()["reviews"]
    return reviews


def owner_password_ok(app: Flask, email: str, password: str) -> bool:
    with app.app_context():
        owner = db.session.scalar(sa.select(Owner).where(Owner.email == email))
        assert owner is not None
        return sites.verify_password(owner, password)


# ---------------------------------------------------------------- db upgrade


def test_db_upgrade_on_a_migrated_database_is_a_no_op(runner: Any, app: Flask) -> None:
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "head" in result.output
    with app.app_context():
        version = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert version  # one row, the head revision


# ---------------------------------------------------------------- sites create


def test_sites_create_prints_a_working_key_and_a_password(runner: Any, app: Flask) -> None:
    result = runner.invoke(
        args=[
            "sites",
            "create",
            "new-shop",
            "--origin",
            "https://shop.example",
            "--origin",
            "HTTP://Localhost:8000/",
            "--owner-email",
            "Owner@Shop.Example",
        ]
    )
    assert result.exit_code == 0, result.output
    key = printed(result.output, "Secret key")
    assert key is not None and KEY_RE.fullmatch(key), result.output
    password = printed(result.output, "Password")
    assert password is not None, result.output

    response = admin_site(app, key)
    assert response.status_code == 200
    assert response.get_json()["id"] == "new-shop"
    # Origins normalised as browsers send them.
    assert response.get_json()["allowed_origins"] == [
        "https://shop.example",
        "http://localhost:8000",
    ]
    assert owner_password_ok(app, "owner@shop.example", password)
    assert not owner_password_ok(app, "owner@shop.example", password + "x")
    with app.app_context():
        stored = db.session.scalar(sa.text("SELECT key_hash FROM api_keys"))
    assert key not in str(stored)  # only the hash is kept


def test_sites_create_with_a_password_does_not_print_it(runner: Any, app: Flask) -> None:
    result = runner.invoke(
        args=[
            "sites",
            "create",
            "quiet-shop",
            "--origin",
            "https://quiet.example",
            "--owner-email",
            "quiet@shop.example",
            "--password",
            "chosen by the owner",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "chosen by the owner" not in result.output
    assert printed(result.output, "Password") is None
    assert admin_site(app, printed(result.output, "Secret key") or "").status_code == 200
    assert owner_password_ok(app, "quiet@shop.example", "chosen by the owner")


def test_sites_create_twice_is_an_error(runner: Any, app: Flask) -> None:
    args = ["sites", "create", "twice", "--origin", "https://a.example", "--owner-email", "a@x.io"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0
    assert "already exists" in again.output
    assert not KEY_RE.search(again.output)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == 1


@pytest.mark.parametrize(
    ("slug", "origin"),
    [
        ("Bad_Slug", "https://shop.example"),
        ("ab", "https://shop.example"),
        ("x" * 65, "https://shop.example"),
        ("ok-slug", "ftp://shop.example"),
        ("ok-slug", "https://shop.example/path"),
        ("ok-slug", "not an origin"),
        ("ok-slug", "https://user:pw@shop.example"),
    ],
)
def test_sites_create_rejects_bad_input(runner: Any, app: Flask, slug: str, origin: str) -> None:
    result = runner.invoke(
        args=["sites", "create", slug, "--origin", origin, "--owner-email", "o@shop.example"]
    )
    assert result.exit_code != 0
    assert not KEY_RE.search(result.output)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == 0


def test_sites_create_needs_an_owner_email(runner: Any) -> None:
    result = runner.invoke(args=["sites", "create", "no-owner", "--origin", "https://a.example"])
    assert result.exit_code != 0
    assert "--owner-email" in result.output


# ---------------------------------------------------------------- demo


def demo_counts(app: Flask) -> dict[str, Any]:
    with app.app_context():
        session = db.session
        site = session.scalar(sa.select(Site).where(Site.slug == "demo"))
        assert site is not None

        def count(model: Any) -> int:
            stmt = sa.select(sa.func.count()).select_from(model).where(model.site_id == site.id)
            return session.scalar(stmt) or 0

        products = session.scalars(sa.select(Product).where(Product.site_id == site.id)).all()
        exact = True
        for product in products:
            published = session.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Review.rating), 0)).where(
                    Review.product_id == product.id, Review.status == Status.PUBLISHED
                )
            ).one()
            exact &= (product.published_count, product.rating_sum) == tuple(published)
        return {
            "site_id": site.id,
            "sites": session.scalar(sa.select(sa.func.count()).select_from(Site)),
            "products": len(products),
            "reviews": count(Review),
            "comments": count(Comment),
            "counters_exact": exact,
        }


def test_demo_creates_the_demo_site_once(runner: Any, app: Flask) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    key = KEY_RE.search(first.output)
    assert key is not None, first.output
    assert admin_site(app, key.group()).get_json()["id"] == "demo"
    created = demo_counts(app)
    assert created["products"] >= 3
    assert created["reviews"] >= 10
    assert created["comments"] >= 1
    assert created["counters_exact"]

    public = app.test_client().get("/api/v1/sites/demo/products/grinder-aurora/reviews")
    assert public.status_code == 200
    assert public.get_json()["summary"]["count"] > 0
    store = app.test_client().get("/api/v1/sites/demo/store/reviews").get_json()
    assert store["summary"]["count"] >= 3
    invitations = admin_site(app, key.group(), "/invitations?limit=100").get_json()["invitations"]
    statuses = {i["status"] for i in invitations}
    assert statuses == {s.value for s in InvitationStatus}  # one in every status
    verified = [r for r in public_reviews(app, "kettle-pour-over") if r["verified_buyer"]]
    assert verified, "the reviewed invitation's reviews are verified"
    link = re.search(r"http://127\.0\.0\.1:5000(/r/\S+)", first.output)
    assert link is not None, first.output
    sent = next(i for i in invitations if i["status"] == "sent")
    assert sent["url"].endswith(link.group(1))  # the printed link is the open invitation's

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "already exists" in second.output
    assert link.group(1) in second.output  # the link again, for the next try
    assert demo_counts(app) == created  # nothing duplicated


def test_demo_reset_recreates_it(runner: Any, app: Flask) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    old_key = KEY_RE.search(first.output)
    assert old_key is not None
    before = demo_counts(app)

    reset = runner.invoke(args=["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    new_key = KEY_RE.search(reset.output)
    assert new_key is not None
    after = demo_counts(app)
    assert after["site_id"] != before["site_id"]
    assert {k: v for k, v in after.items() if k != "site_id"} == {
        k: v for k, v in before.items() if k != "site_id"
    }
    assert admin_site(app, old_key.group()).status_code == 401  # went with the old site
    assert admin_site(app, new_key.group()).status_code == 200


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg://u:p@db.example:5432/app"),
        ("postgresql://u@h/app", "postgresql+psycopg://u@h/app"),
        ("postgresql+psycopg://u@h/app", "postgresql+psycopg://u@h/app"),
        ("sqlite:///plaudit.sqlite3", "sqlite:///plaudit.sqlite3"),
    ],
)
def test_normalise_database_url(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def as_platform_url(url: str) -> str:
    """``postgres://`` as Heroku-like platforms hand it out."""
    return re.sub(r"^postgresql(\+\w+)?://", "postgres://", url)


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("PLAUDIT_TEST_DATABASES", "sqlite,postgresql"),
    reason="PostgreSQL tests are switched off",
)
def test_postgres_scheme_from_the_environment_works(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", as_platform_url(postgres_url))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-" + "0" * 32)
    app = create_app({"RATELIMIT_ENABLED": False})
    try:
        assert app.config["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert app.test_client().get("/readyz").get_json()["database"] == "ok"
    finally:
        with app.app_context():
            db.engine.dispose()


def test_missing_secret_key_outside_debug_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_debug_mode_needs_a_secret_key_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Debug mode once fell back to a built-in key: public, so sessions could be forged."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"DEBUG": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


@pytest.mark.parametrize("debug", [False, True])
def test_a_short_secret_key_is_refused_outside_tests(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, debug: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    monkeypatch.setenv("SECRET_KEY", "x" * 31)
    with pytest.raises(RuntimeError, match=r"too short \(31 bytes; at least 32\)"):
        create_app({"DEBUG": debug, "DATABASE_URL": url})
    monkeypatch.setenv("SECRET_KEY", "é" * 16)  # 16 characters, 32 bytes
    assert create_app({"DEBUG": debug, "DATABASE_URL": url}).config["SECRET_KEY"]


# ---------------------------------------------------------------- the real console script


def script_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "FLASK_APP", "FLASK_DEBUG"}
    }
    return {**env, "RATELIMIT_ENABLED": "false", **extra}


def test_console_script_creates_a_site(app: Flask, database_url: str, tmp_path: Path) -> None:
    """The installed ``plaudit`` entry point, as an operator runs it (postgres:// URL too)."""
    result = subprocess.run(
        [
            str(PLAUDIT),
            "sites",
            "create",
            "console-shop",
            "--origin",
            "https://console.example",
            "--owner-email",
            "ops@console.example",
        ],
        env=script_env(
            DATABASE_URL=as_platform_url(database_url),
            SECRET_KEY="s3cret-s3cret-s3cret-s3cret-s3cret-s3cret",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    key = printed(result.stdout, "Secret key")
    assert key is not None and KEY_RE.fullmatch(key), result.stdout
    assert admin_site(app, key).get_json()["id"] == "console-shop"


def test_console_script_without_secret_key_fails_clearly(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(PLAUDIT), "db", "upgrade"],
        env=script_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr  # a message for the operator, not a crash
    assert not (tmp_path / "x.sqlite3").exists() or (tmp_path / "x.sqlite3").stat().st_size == 0


def test_help_without_secret_key_says_so_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(PLAUDIT), "--help"],
        env=script_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: plaudit" in result.stdout
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    with_key = subprocess.run(
        [str(PLAUDIT), "--help"],
        env=script_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}", SECRET_KEY="s" * 32),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert with_key.returncode == 0 and with_key.stderr == ""
    for command in ("db", "sites", "demo", "worker"):
        assert f"  {command} " in with_key.stdout, with_key.stdout
