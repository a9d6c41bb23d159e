"""What logs may never hold: SQL parameters, admin search terms (issue 13, "Secrets,
logs and dependencies")."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from flask import Flask

from conftest import free_port
from plaudit_server.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_database_errors_never_show_parameter_values(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError) as raised:
            db.session.execute(
                sa.text("SELECT no_such_column FROM sites WHERE slug = :email"),
                {"email": "someone.private@example.test"},
            )
        db.session.rollback()
    message = str(raised.value)
    assert "SELECT no_such_column" in message  # the statement is still there to debug
    assert "someone.private@example.test" not in message
    assert "hidden due to hide_parameters" in message


def test_the_procfile_access_log_keeps_paths_but_not_query_strings(
    tmp_path: Path, database_url: str
) -> None:
    """Admin searches (``?q=``) and cursors are private: the Procfile's web line logs
    the path alone. Runs that very line, as a platform would."""
    line = next(
        entry.split(":", 1)[1]
        for entry in (ROOT / "Procfile").read_text().splitlines()
        if entry.startswith("web:")
    )
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "procfile-test-secret-" + "0" * 32,
        "RATELIMIT_ENABLED": "false",
    }
    env.pop("REDIS_URL", None)
    # The Procfile binds 0.0.0.0; the test talks to it on loopback only.
    process = subprocess.Popen(
        ["bash", "-c", "exec " + line.strip()],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        answered = httpx.get(base + "/api/v1/admin/reviews?q=private-search-term", timeout=10)
        assert answered.status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert shlex.split(line)[0] == "gunicorn"
    assert "/api/v1/admin/reviews" in output  # the access log is there ...
    assert "private-search-term" not in output  # ... without the query string
