"""The admin page's Import & export section, through the Flask test client.

An upload becomes an import job run in the background (here without Redis: a thread of
the app, waited for by polling the job's row); what it wrote is compared with what
``plaudit import`` writes from the same file into another site: the same counts, the
same refused rows, the same public summaries. Also: the 50 MB limit's page, failed
jobs, options (dry run, held for review), tenancy, the same-origin check, and the
export download against ``plaudit export``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from html import unescape
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from rq.job import Job
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from conftest import SHARED_REDIS, free_port
from plaudit_server.extensions import db
from plaudit_server.models import STORE, ImportJob, Product
from plaudit_server.services.sites import site_by_slug

from .helpers import browser, sign_in

ADMIN = "/admin"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


@pytest.fixture
def app(app_factory: Callable[..., Flask], tmp_path: Path) -> Flask:
    """The app with its own folder for uploads (not the shared instance folder)."""
    return app_factory(IMPORTS_FOLDER=str(tmp_path / "imports"))


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def text_of(response: Any) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def upload(client: Any, slug: str, data: bytes, filename: str, fmt: str, **form: Any) -> Any:
    """Post a file as the import form does (the body encoded here, in memory)."""
    file = FileStorage(BytesIO(data), filename=filename, content_type="application/octet-stream")
    boundary, body = encode_multipart({"file": file, "format": fmt, **form})
    return client.post(
        f"{ADMIN}/{slug}/transfer/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def started_job(response: Any) -> str:
    ok(response, 303)
    match = re.search(r"/transfer#job-(imp_[0-9A-Za-z]+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def wait_for(app: Flask, job_id: str, timeout: float = 60.0) -> ImportJob:
    """The job's row once it has ended (polled: the import runs in a thread)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            job = db.session.get(ImportJob, job_id)
            assert job is not None
            if job.status in ("done", "failed"):
                db.session.expunge(job)
                break
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.05)
    for thread in threading.enumerate():  # its session closed before the app goes
        if thread.name == f"plaudit-{job_id}":
            thread.join(timeout)
    return job


def cli_import(runner: Any, slug: str, fmt: str, path: Path, tmp_path: Path) -> tuple[str, Path]:
    """``plaudit import`` of a copy of ``path``: its output and its refused-rows CSV."""
    copy = tmp_path / f"cli-{path.name}"
    copy.write_bytes(path.read_bytes())
    result = runner.invoke(args=["import", "--site", slug, "--format", fmt, str(copy)])
    assert result.exit_code == 0, result.output
    return result.output, copy.with_name(copy.name + ".refused.csv")


def summaries(client: Any, app: Flask, slug: str) -> dict[str, Any]:
    """Every product's public summary (reviews) and its public comment count."""
    with app.app_context():
        site = site_by_slug(db.session, slug)
        products = sorted(
            db.session.scalars(
                sa.select(Product.external_id).where(
                    Product.site_id == site.id, Product.external_id != STORE
                )
            )
        )
    assert products
    result = ok(client.get(f"/api/v1/sites/{slug}/summaries?products={','.join(products)}"))
    found: dict[str, Any] = dict(result.get_json()["summaries"])
    for product in products:
        comments = ok(client.get(f"/api/v1/sites/{slug}/products/{product}/comments?limit=50"))
        found[f"{product} comments"] = len(comments.get_json()["comments"])
    store = ok(client.get(f"/api/v1/sites/{slug}/store/reviews?limit=50")).get_json()
    found["the shop"] = store["summary"]
    return found


def refused_rows(html: str) -> dict[int, str]:
    rows = re.findall(r'<tr data-line="(\d+)">(.*?)</tr>', html, re.S)
    return {
        int(line): re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()
        for line, body in rows
    }


# ---------------------------------------------------------------- the section


def test_section_is_in_the_navigation_and_starts_empty(
    site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    queue = ok(client.get(f"{ADMIN}/{site.slug}/reviews")).get_data(as_text=True)
    assert f'href="{ADMIN}/{site.slug}/transfer"' in queue
    page = ok(client.get(f"{ADMIN}/{site.slug}/transfer"))
    html = page.get_data(as_text=True)
    assert re.search(r'transfer"\s+aria-current="page">Import &amp; export</a>', html)
    assert "No imports yet." in html
    assert f'href="{ADMIN}/{site.slug}/transfer/export"' in html
    for name in ("judgeme", "yotpo", "disqus", "isso", "plaudit"):
        assert f'<option value="{name}"' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script>" not in html and " style=" not in html


def test_signed_out_is_sent_to_sign_in(client: Any, site: Any) -> None:
    for path in ("transfer", "transfer/export", "transfer/jobs/imp_X"):
        response = client.get(f"{ADMIN}/{site.slug}/{path}")
        assert response.status_code == 302
        assert "/admin/login" in response.headers["Location"]


# ---------------------------------------------------------------- imports


@pytest.mark.parametrize(
    ("fmt", "fixture", "form"),
    [
        ("judgeme", "judgeme.csv", {"product_field": "product_handle"}),
        ("disqus", "disqus.xml", {"thread_pattern": ""}),
    ],
)
def test_an_upload_imports_as_plaudit_import_does(
    app: Flask,
    site: Any,
    make_site: Callable[..., Any],
    signed_in: Callable[[Any], Any],
    runner: Any,
    tmp_path: Path,
    fmt: str,
    fixture: str,
    form: dict[str, str],
) -> None:
    path = FIXTURES / fixture
    client = signed_in(site)
    job_id = started_job(upload(client, site.slug, path.read_bytes(), fixture, fmt, **form))
    job = wait_for(app, job_id)
    assert job.status == "done", job.error
    assert job.stored_name is None
    folder = Path(app.config["IMPORTS_FOLDER"])
    assert sorted(p.name for p in folder.iterdir()) == (
        [f"{job_id}.refused.csv"] if job.refused_count else []
    )  # the upload is gone

    # The same file through the command, into another site.
    other = make_site()
    output, cli_refused = cli_import(runner, other.slug, fmt, path, tmp_path)
    assert job.summary[0] in output.splitlines()
    assert f"read {job.read_count}, imported {job.imported}" in job.summary[0]
    assert f"duplicates {job.duplicates}, refused {job.refused_count}" in job.summary[0]
    assert job.read_count > 0 and job.imported > 0 and job.total  # (the bar's max)
    assert summaries(client, app, site.slug) == summaries(client, app, other.slug)

    page = ok(client.get(f"{ADMIN}/{site.slug}/transfer"))
    html = page.get_data(as_text=True)
    assert f'id="job-{job_id}"' in html
    assert ">Done</span>" in html
    assert unescape(job.summary[0]) in unescape(html)
    assert fixture in html
    label = {"judgeme": "Judge.me (CSV export)", "disqus": "Disqus (XML export"}[fmt]
    assert f'<p class="meta">{label}' in html
    assert "data-import-job" not in html  # nothing left to poll
    if fmt == "judgeme":  # its sample has bad rows of every kind
        assert job.refused_count > 0
        shown = refused_rows(html)
        assert list(shown) == sorted(shown) and len(shown) == job.refused_count
        for line, reason in job.refused:
            assert shown[line] == f"{line} {reason}"
        csv = ok(client.get(f"{ADMIN}/{site.slug}/transfer/jobs/{job_id}/refused.csv"))
        assert csv.mimetype == "text/csv"
        assert csv.get_data() == cli_refused.read_bytes()
        csv.close()
        assert f"/transfer/jobs/{job_id}/refused.csv" in html
    status = ok(client.get(f"{ADMIN}/{site.slug}/transfer/jobs/{job_id}")).get_json()
    assert status == {
        "id": job_id,
        "status": "done",
        "label": "Done",
        "read": job.read_count,
        "total": job.total,
        "imported": job.imported,
        "duplicates": job.duplicates,
        "refused": job.refused_count,
        "error": None,
    }

    # Again: every item is a duplicate, nothing new.
    again = wait_for(app, started_job(upload(client, site.slug, path.read_bytes(), fixture, fmt)))
    assert again.status == "done"
    assert again.imported == 0 and again.duplicates == job.imported + job.duplicates
    jobs_html = ok(client.get(f"{ADMIN}/{site.slug}/transfer")).get_data(as_text=True)
    assert jobs_html.index(f'id="job-{again.id}"') < jobs_html.index(f'id="job-{job_id}"')


def test_dry_run_writes_nothing_and_pending_holds_everything(
    api: Any, app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    data = (FIXTURES / "judgeme.csv").read_bytes()
    dry = wait_for(
        app, started_job(upload(client, site.slug, data, "j.csv", "judgeme", dry_run="yes"))
    )
    assert dry.status == "done" and not dry.written
    assert dry.imported > 0 and "would import" in dry.summary[0]
    assert ok(api.admin("GET", "/reviews?limit=100&status=all")).get_json()["reviews"] == []
    html = ok(client.get(f"{ADMIN}/{site.slug}/transfer")).get_data(as_text=True)
    assert "Nothing was written: this was a dry run." in html

    held = wait_for(
        app, started_job(upload(client, site.slug, data, "j.csv", "judgeme", pending="yes"))
    )
    assert held.status == "done" and held.written and held.imported == dry.imported
    reviews = ok(api.admin("GET", "/reviews?limit=100&status=all")).get_json()["reviews"]
    assert len(reviews) == held.imported
    assert {review["status"] for review in reviews} == {"pending"}


def test_a_file_that_cannot_be_read_fails_with_its_reason(
    app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    bomb = (FIXTURES / "disqus-billion-laughs.xml").read_bytes()
    job = wait_for(app, started_job(upload(client, site.slug, bomb, "evil.xml", "disqus")))
    assert job.status == "failed"
    assert job.error and job.error.startswith("The file cannot be imported: ")
    assert job.error.endswith("Nothing was imported.")
    assert not list(Path(app.config["IMPORTS_FOLDER"]).iterdir())
    page = ok(client.get(f"{ADMIN}/{site.slug}/transfer"))
    assert ">Failed</span>" in page.get_data(as_text=True)
    assert job.error in text_of(page)
    not_csv = wait_for(app, started_job(upload(client, site.slug, b"<xml/>\n", "x.csv", "judgeme")))
    assert not_csv.status in ("failed", "done")
    assert not_csv.imported == 0


def test_form_errors_and_the_size_limit(
    app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    wrong = upload(client, site.slug, b"x", "a.csv", "nope")
    assert wrong.status_code == 422
    assert "Choose the tool the file comes from." in text_of(wrong)
    empty = upload(client, site.slug, b"", "a.csv", "judgeme")
    assert empty.status_code == 422
    too_large = upload(client, site.slug, b"x" * (50 * 1024 * 1024 + 1), "big.csv", "judgeme")
    assert too_large.status_code == 413
    assert "The file is larger than 50 MB." in text_of(too_large)
    assert 'aria-invalid="true"' in too_large.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0
    folder = Path(app.config["IMPORTS_FOLDER"])
    assert not folder.exists() or not list(folder.iterdir())


def test_another_origin_cannot_post_an_import(
    app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    data = (FIXTURES / "judgeme.csv").read_bytes()
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "cross-site"
    assert upload(client, site.slug, data, "j.csv", "judgeme").status_code == 403
    del client.environ_base["HTTP_SEC_FETCH_SITE"]
    client.environ_base["HTTP_ORIGIN"] = "http://evil.test"
    assert upload(client, site.slug, data, "j.csv", "judgeme").status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0


def test_another_sites_jobs_are_not_found(
    app: Flask, site: Any, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    data = (FIXTURES / "judgeme.csv").read_bytes()
    owner = signed_in(site)
    job_id = started_job(upload(owner, site.slug, data, "j.csv", "judgeme"))
    assert wait_for(app, job_id).refused_count > 0
    other = make_site()
    stranger = signed_in(other)
    for path in (f"transfer/jobs/{job_id}", f"transfer/jobs/{job_id}/refused.csv"):
        assert stranger.get(f"{ADMIN}/{other.slug}/{path}").status_code == 404
        assert stranger.get(f"{ADMIN}/{site.slug}/{path}").status_code == 404
        mine = owner.get(f"{ADMIN}/{site.slug}/{path}")
        assert mine.status_code == 200
        mine.close()
    assert f"job-{job_id}" not in ok(stranger.get(f"{ADMIN}/{other.slug}/transfer")).get_data(
        as_text=True
    )
    assert stranger.get(f"{ADMIN}/{site.slug}/transfer").status_code == 404
    assert stranger.get(f"{ADMIN}/{site.slug}/transfer/export").status_code == 404


# ---------------------------------------------------------------- export


def test_export_download_equals_plaudit_export(
    api: Any,
    app: Flask,
    site: Any,
    signed_in: Callable[[Any], Any],
    runner: Any,
    tmp_path: Path,
) -> None:
    client = signed_in(site)
    job = wait_for(
        app,
        started_job(
            upload(client, site.slug, (FIXTURES / "disqus.xml").read_bytes(), "d.xml", "disqus")
        ),
    )
    assert job.status == "done"
    api.post_review(product="sku-1", rating=4, body="From the widget <b>ü</b>")
    response = ok(client.get(f"{ADMIN}/{site.slug}/transfer/export"))
    assert response.mimetype == "application/x-ndjson"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{site.slug}.jsonl"'
    target = tmp_path / "cli.jsonl"
    result = runner.invoke(args=["export", "--site", site.slug, str(target)])
    assert result.exit_code == 0, result.output
    body = response.get_data()
    assert body == target.read_bytes()
    assert body.count(b'"type": "review"') + body.count(b'"type":"review"') >= 1
    assert browser(app).get(f"{ADMIN}/{site.slug}/transfer/export").status_code == 302


# ---------------------------------------------------------------- with Redis


def test_with_redis_the_worker_runs_the_import(
    app_factory: Callable[..., Flask],
    make_site: Callable[..., Any],
    prefix: str,
    tmp_path: Path,
) -> None:
    """With Redis the job is queued for ``plaudit worker`` (not run by the web process)."""
    app = app_factory(
        REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix, IMPORTS_FOLDER=str(tmp_path / "up")
    )
    site = make_site()
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    data = (FIXTURES / "disqus.xml").read_bytes()
    job_id = started_job(upload(client, site.slug, data, "d.xml", "disqus"))
    connection = redis.Redis.from_url(SHARED_REDIS)
    queued = connection.lrange(f"rq:queue:{prefix}jobs", 0, -1)
    rq_id = re.sub(r"[^A-Za-z0-9_-]", "_", f"{prefix}import:{job_id}")
    assert rq_id.encode() in queued
    assert Job.fetch(rq_id, connection=connection).timeout == 4 * 3600  # not RQ's 3 minutes
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job is not None and job.status == "queued" and job.stored_name
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    job = wait_for(app, job_id, timeout=0)
    assert job.status == "done" and job.imported > 0 and job.stored_name is None
    left = [path.name for path in (tmp_path / "up").iterdir()]
    assert left == ([f"{job_id}.refused.csv"] if job.refused_count else [])  # the upload's gone


def test_with_redis_down_the_import_runs_in_the_web_process(
    app_factory: Callable[..., Flask], make_site: Callable[..., Any], tmp_path: Path
) -> None:
    app = app_factory(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", IMPORTS_FOLDER=str(tmp_path / "up")
    )
    site = make_site()
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    data = (FIXTURES / "disqus.xml").read_bytes()
    job = wait_for(app, started_job(upload(client, site.slug, data, "d.xml", "disqus")))
    assert job.status == "done" and job.imported > 0
