"""The server's chores, as commands of the ``plaudit`` CLI (``__main__.py``) and of
``flask --app plaudit_server``: migrations, sites, the demo, the job worker,
``run-due`` (cron, for deployments without Redis: review requests that are due), and
``import``/``export`` (moving a site's reviews in from another tool, and out)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import marshmallow as ma
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.cli import with_appcontext

from .demo import create_demo
from .errors import Problem
from .extensions import db
from .fields import SITE_RE, Origin
from .jobs import run_worker
from .models import Moderation, Status
from .services import invitation_delivery, notifications, sites
from .transfer import export, loader
from .transfer.formats import FORMATS
from .transfer.records import ImportFileError, Options
from .webhooks import delivery as webhook_delivery

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
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
    command.upgrade(alembic_config(), revision)
    click.echo(f"Database at {revision} ({_safe_url()}).")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the database schema to REVISION (``base`` removes every table)."""
    command.downgrade(alembic_config(), revision)


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema revision the database is at."""
    command.current(alembic_config())


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (for developers; review it!)."""
    command.revision(alembic_config(), message=message, autogenerate=True)


def _safe_url() -> str:
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
    command.upgrade(alembic_config(), "head")
    result = create_demo(list(origins), reset=reset)
    click.echo(result)


# What the worker polls for, and the config key of each one's interval.
DUE_WORK = (
    (invitation_delivery.deliver_due, "WORKER_POLL_SECONDS"),
    (webhook_delivery.deliver_due, "WEBHOOK_POLL_SECONDS"),
    (notifications.deliver_due, "WORKER_POLL_SECONDS"),
)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs from the Redis queue (needs REDIS_URL), send the review
    requests, reminders and notifications that fall due (every WORKER_POLL_SECONDS,
    default 5) and deliver webhook events (every WEBHOOK_POLL_SECONDS, default 1)."""
    try:
        run_worker(burst=burst, polls=DUE_WORK)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("run-due")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@with_appcontext
def run_due_command(limit: int | None) -> None:
    """Do the work that is due now: send review requests and reminders, expire old
    invitations, deliver webhook events and their retries. For cron where there is no
    Redis worker (e.g. every minute)."""
    tally = invitation_delivery.deliver_due(limit=limit)
    click.echo(f"{tally.mailed} e-mails sent ({tally})")
    attempts = webhook_delivery.deliver_due(limit=limit)
    click.echo(f"{attempts} webhook deliveries attempted")
    told = notifications.deliver_due(limit=limit)
    click.echo(f"{told.sent} notifications sent ({told})")


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Any]:
    """click's progress bar, on stderr: drawn on a terminal, only its label elsewhere."""
    with click.progressbar(
        length=total or 0, label=label, file=sys.stderr, show_pos=True, show_eta=bool(total)
    ) as bar:
        yield bar


@click.command("import")
@click.option("--site", "slug", required=True, help="The site to import into.")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), required=True, help="The source tool."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--strict", is_flag=True, help="Write nothing if any row is refused.")
@click.option(
    "--status",
    type=click.Choice([Status.PENDING.value]),
    default=None,
    help="Hold every imported item for review instead of following the source.",
)
@click.option(
    "--product-field",
    type=click.Choice(["product_handle", "product_id"]),
    default="product_handle",
    help="Judge.me: which column is the product id.",
)
@click.option(
    "--thread-pattern",
    default=None,
    help="Disqus, Isso: a regular expression whose one group, matched in a thread's "
    "link, is the product id (default: the link's last path segment).",
)
@with_appcontext
def import_command(
    slug: str,
    fmt: str,
    file: Path,
    dry_run: bool,
    strict: bool,
    status: str | None,
    product_field: str,
    thread_pattern: str | None,
) -> None:
    """Import a site's reviews and comments from FILE, exported by another tool.

    Re-running the same file adds nothing. Refused rows are listed with their line and
    why, and written to FILE.refused.csv.
    """
    try:
        site = sites.site_by_slug(db.session, slug)
    except Problem as exc:
        raise click.ClickException(exc.detail or "no such site") from exc
    options = Options(product_field=product_field, thread_pattern=thread_pattern)
    reader = FORMATS[fmt]
    try:
        with _progress(f"importing {file.name}", reader.total(file)) as bar:
            summary = loader.import_records(
                db.session,
                site,
                fmt,
                reader.read(file, options),
                dry_run=dry_run,
                strict=strict,
                status=None if status is None else Status(status),
                progress=lambda read: bar.update(read - bar.pos),
            )
    except ImportFileError as exc:
        db.session.rollback()
        raise click.ClickException(f"{file}: {exc}. Nothing was imported.") from exc
    for line in summary.lines():
        click.echo(line)
    if summary.refused:
        report = file.with_name(file.name + ".refused.csv")
        loader.write_refused(report, summary.refused)
        for row in sorted(summary.refused, key=lambda r: r.line)[:20]:
            click.echo(f"  line {row.line}: {row.reason}")
        if len(summary.refused) > 20:
            click.echo(f"  ... and {len(summary.refused) - 20} more")
        click.echo(f"refused rows: {report}")
    if dry_run:
        click.echo("dry run: nothing was written")
    elif strict and summary.refused:
        raise click.ClickException("--strict: rows were refused, so nothing was written")


@click.command("export")
@click.option("--site", "slug", required=True, help="The site to export.")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(slug: str, file: Path) -> None:
    """Write a site's settings, reviews, comments and invitations to FILE as JSON Lines
    (the open format; its JSON Schema ships as plaudit_server/transfer/schema.json)."""
    try:
        site = sites.site_by_slug(db.session, slug)
    except Problem as exc:
        raise click.ClickException(exc.detail or "no such site") from exc
    with _progress(f"exporting {slug}", None) as bar:
        lines = export.export_site(db.session, site, file, lambda n: bar.update(n - bar.pos))
    click.echo(f"wrote {lines} lines to {file}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(run_due_command)
    app.cli.add_command(db_group)
    app.cli.add_command(sites_group)
    app.cli.add_command(demo_command)


__all__ = ["alembic_config", "register_commands"]
