"""The ``plaudit`` console script (also ``python -m plaudit_server``): Flask's command
group for this app, with the commands of ``cli.py``."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

from . import create_app


def _create_app() -> Flask:
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


if __name__ == "__main__":
    main()
