"""The ``plaudit`` command: a Flask CLI group with the server's chores."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@click.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or upgrade the database schema to REVISION (default: the latest)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    click.echo(f"Database at {revision} ({_safe_url()}).")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the database schema to REVISION (``base`` removes every table)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema revision the database is at."""
    from alembic import command

    command.current(alembic_config())


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (for developers; review it!)."""
    from alembic import command

    command.revision(alembic_config(), message=message, autogenerate=True)


def _safe_url() -> str:
    from .extensions import db

    return db.engine.url.render_as_string(hide_password=True)


@click.group("sites")
def sites_group() -> None:
    """Create and list sites."""


@sites_group.command("create")
@click.argument("slug")
@click.option("--origin", "origins", multiple=True, help="Allowed origin (repeatable).")
@click.option("--owner-email", required=True, help="The owner's sign-in email.")
@click.option("--password", default=None, help="Owner password (default: generated).")
@click.option("--name", default=None, help="Display name (default: the slug).")
@click.option("--moderation", type=click.Choice(["post", "pre"]), default="post")
@with_appcontext
def sites_create(
    slug: str,
    origins: tuple[str, ...],
    owner_email: str,
    password: str | None,
    name: str | None,
    moderation: str,
) -> None:
    """Create site SLUG; prints its secret API key once (and a generated password)."""
    import marshmallow as ma

    from .errors import Problem
    from .extensions import db
    from .fields import SITE_RE, Origin
    from .models import Moderation
    from .services import sites

    if not SITE_RE.fullmatch(slug):
        raise click.BadParameter("3-64 characters of a-z 0-9 -", param_hint="SLUG")
    try:
        clean = [Origin().deserialize(o) for o in origins]
    except ma.ValidationError as exc:
        raise click.BadParameter(f"{exc.messages}", param_hint="--origin") from exc
    try:
        new = sites.create_site(
            db.session,
            slug,
            name=name,
            origins=clean,
            owner_email=owner_email,
            password=password,
            moderation=Moderation(moderation),
        )
    except Problem as exc:
        raise click.ClickException(exc.detail or "could not create the site") from exc
    db.session.commit()
    click.echo(f"Site:        {slug}")
    click.echo(f"Secret key:  {new.secret_key}   (shown once: store it now)")
    click.echo(f"Owner:       {new.owner.email}")
    if new.password:
        click.echo(f"Password:    {new.password}   (shown once)")


@click.command("demo")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    default=("http://127.0.0.1:5000", "http://localhost:5000"),
    help="Origins of the local server that will serve the demo.",
)
@click.option("--reset", is_flag=True, help="Delete and recreate the demo site.")
@with_appcontext
def demo_command(origins: tuple[str, ...], reset: bool) -> None:
    """Create the demo site with sample reviews and comments, and print how to log in."""
    from alembic import command

    from .demo import create_demo

    command.upgrade(alembic_config(), "head")
    result = create_demo(list(origins), reset=reset)
    click.echo(result)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs from the Redis queue (needs REDIS_URL)."""
    from .jobs import run_worker

    try:
        run_worker(burst=burst)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


def register_commands(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(db_group)
    app.cli.add_command(sites_group)
    app.cli.add_command(demo_command)


def _create_app() -> Flask:
    from . import create_app

    try:
        return create_app()
    except RuntimeError as exc:  # configuration errors (config.py): a message, no traceback
        raise click.ClickException(str(exc)) from exc


class _PlauditGroup(FlaskGroup):
    """Flask's command group, with a one-line error instead of a traceback when
    ``plaudit --help`` can't build the app (no ``SECRET_KEY`` yet, say)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()  # kept by ScriptInfo for super()
        except click.ClickException as exc:
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
            return sorted(click.Group.list_commands(self, ctx))  # Flask's own: run, shell...
        return super().list_commands(ctx)


def main() -> None:
    """Entry point of the ``plaudit`` console script."""
    os.environ.setdefault("FLASK_APP", "plaudit_server")
    cli = _PlauditGroup(
        create_app=_create_app,
        help="Plaudit: ratings, reviews and fan comments server.",
    )
    cli.main(prog_name="plaudit")


__all__ = ["main", "register_commands"]
