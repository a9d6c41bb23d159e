"""The Import & export section in real Chromium.

An upload through the form runs in the background and its report appears; a running
job's progress bar follows the job's row as it moves (the page's script polls) and the
page shows the report once the job ends. axe-core (WCAG 2.2 A/AA) on the section with a
job running and with a report; no script errors and no CSP violations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plaudit_server.extensions import db
from plaudit_server.models import ImportJob

from .conftest import off_loop

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
expect = pw.expect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


@pytest.fixture
def app(app_factory: Callable[..., Flask], tmp_path: Path) -> Flask:
    return app_factory(IMPORTS_FOLDER=str(tmp_path / "imports"))


@pytest.fixture
def watched(page: Any) -> Iterator[Any]:
    """The page, failing the test on any script error or console error (a CSP
    violation is one)."""
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", on_console)
    yield page
    assert problems == []


def sign_in(page: Any, url: str, site: Any) -> None:
    page.goto(f"{url}/admin/login")
    page.get_by_label("Email").fill(site.owner_email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    sections = page.get_by_role("navigation", name="Sections")
    sections.get_by_role("link", name="Import & export").click()
    expect(page.get_by_role("heading", name="Import & export", exact=True)).to_be_visible()


def test_upload_through_the_form_shows_the_report(
    watched: Any, axe: Callable[..., Any], app: Flask, live_server: Any, site: Any
) -> None:
    page = watched
    sign_in(page, live_server.url, site)
    expect(page.get_by_text("No imports yet.")).to_be_visible()
    axe(page)
    page.get_by_label("The file comes from").select_option("judgeme")
    page.get_by_label("File", exact=True).set_input_files(str(FIXTURES / "judgeme.csv"))
    page.get_by_role("button", name="Upload and import").click()
    job = page.locator("article.import-job").first
    # Done already, or running and then reloaded by the script when it ends.
    expect(job.locator("[data-job-label]")).to_have_text("Done", timeout=30_000)
    expect(job.get_by_role("heading", name="judgeme.csv")).to_be_visible()
    expect(job.get_by_text(re.compile(r"^read \d+, imported \d+"))).to_be_visible()
    refused = job.get_by_role("table")
    expect(refused.locator("caption")).to_have_text("Refused rows")
    assert refused.locator("tbody tr").count() > 0
    expect(
        job.get_by_role("link", name=re.compile(r"Download all \d+ refused rows"))
    ).to_be_visible()
    axe(page)


def test_a_running_jobs_progress_follows_its_row(
    watched: Any, axe: Callable[..., Any], app: Flask, live_server: Any, site: Any
) -> None:
    def create() -> str:
        with app.app_context():
            job = ImportJob(
                site_id=site.id,
                format="disqus",
                options={},
                filename="export.xml.gz",
                status="running",
                total=4000,
                read_count=2000,
                created_by=site.owner_email,
            )
            db.session.add(job)
            db.session.commit()
            return job.id

    def move(**values: Any) -> None:
        with app.app_context():
            db.session.execute(sa.update(ImportJob).values(**values))
            db.session.commit()

    job_id = off_loop(create)
    page = watched
    sign_in(page, live_server.url, site)
    job = page.locator(f"#job-{job_id}")
    bar = job.get_by_role("progressbar", name="Progress of export.xml.gz")
    expect(bar).to_have_attribute("max", "4000")
    expect(job.locator("output")).to_have_text("2000 of 4000 rows read")
    expect(job.get_by_text("Reload the page")).to_be_hidden()  # the script polls instead
    axe(page)
    off_loop(move, read_count=3000)
    expect(job.locator("output")).to_have_text("3000 of 4000 rows read")
    assert bar.evaluate("bar => bar.value") == 3000
    off_loop(
        move,
        status="done",
        read_count=4000,
        imported=3990,
        refused_count=0,
        written=True,
        summary=["read 4000, imported 3990 (3990 comments), duplicates 10, refused 0"],
    )
    expect(job.locator("[data-job-label]")).to_have_text("Done")  # the page reloaded
    expect(job.get_by_text("read 4000, imported 3990 (3990 comments)")).to_be_visible()
    expect(job.get_by_role("progressbar")).to_have_count(0)
    axe(page)
