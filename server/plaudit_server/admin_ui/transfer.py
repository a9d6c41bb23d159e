"""The Import & export section: upload another tool's export, download the site's own.

An upload (up to 50 MB) is saved under the instance folder with a random name and
imported in the background by :mod:`..transfer.jobs` (the same loader as
``plaudit import``, with the same options); the page lists the site's jobs, newest
first, with a progress bar that ``admin.js`` moves by polling the job's JSON status,
and, once a job is done, its summary and refused rows. The export is the admin API's
``GET /api/v1/admin/export``: the same JSON Lines, byte for byte, as ``plaudit export``.

Jobs are looked up through the site (another site's job id is a 404, as everywhere).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

from flask import (
    Response,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from ..extensions import db
from ..models import ImportJob, Site
from ..transfer import jobs as import_jobs
from ..transfer.export import export_lines
from ..transfer.formats import FORMATS
from .base import bp, owned_site

MAX_IMPORT_BYTES = 50 * 1024 * 1024
FORMAT_LABELS = {
    "judgeme": "Judge.me (CSV export)",
    "yotpo": "Yotpo (CSV export)",
    "disqus": "Disqus (XML export, may be gzipped)",
    "isso": "Isso (its SQLite database file)",
    "plaudit": "Plaudit (JSON Lines, from another Plaudit)",
}
PRODUCT_FIELDS = {"product_handle": "product handle", "product_id": "product ID"}
STATUS_LABELS = {
    import_jobs.QUEUED: "Waiting to start",
    import_jobs.RUNNING: "Importing",
    import_jobs.DONE: "Done",
    import_jobs.FAILED: "Failed",
}
COPY_CHUNK = 1024 * 1024


def _page(site: Site, status: int = 200, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "site": site,
        "jobs": import_jobs.jobs_of_site(db.session, site),
        "formats": [(name, FORMAT_LABELS.get(name, name)) for name in sorted(FORMATS)],
        "format_labels": FORMAT_LABELS,
        "product_fields": PRODUCT_FIELDS,
        "status_labels": STATUS_LABELS,
        "form": {"format": "judgeme", "product_field": "product_handle"},
        "upload_error": None,
        "max_mb": MAX_IMPORT_BYTES // (1024 * 1024),
    }
    values.update(extra)
    return render_template("admin/transfer.html", **values), status


def _job(site: Site, job_id: str) -> ImportJob:
    job = import_jobs.job_of_site(db.session, site, job_id)
    if job is None:
        raise NotFound()
    return job


@bp.get("/<slug>/transfer")
@login_required
def transfer(slug: str) -> Any:
    return _page(owned_site(slug))


@bp.post("/<slug>/transfer/import")
@login_required
def transfer_import(slug: str) -> Any:
    """Save the upload and start its import; the page then shows the job's progress."""
    site = owned_site(slug)
    too_large = f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB."
    # The file may be this much larger than the app's 64 KB body limit.
    request.max_content_length = MAX_IMPORT_BYTES + 64 * 1024
    try:
        upload = request.files.get("file")
        form: dict[str, Any] = {
            "format": request.form.get("format", ""),
            "product_field": request.form.get("product_field", "product_handle"),
            "thread_pattern": request.form.get("thread_pattern", "").strip(),
            "pending": request.form.get("pending") == "yes",
            "dry_run": request.form.get("dry_run") == "yes",
        }
    except RequestEntityTooLarge:
        return _page(site, 413, upload_error=too_large)
    if form["format"] not in FORMATS:
        return _page(site, 422, form=form, upload_error="Choose the tool the file comes from.")
    if form["product_field"] not in PRODUCT_FIELDS:
        return _page(site, 422, form=form, upload_error="Choose the product ID column.")
    if len(form["thread_pattern"]) > 500:
        return _page(site, 422, form=form, upload_error="The thread pattern is too long.")
    if upload is None or not upload.filename:
        return _page(site, 422, form=form, upload_error="Choose a file first.")
    stored = import_jobs.new_upload_name(form["format"])
    path = import_jobs.imports_folder() / stored
    with path.open("wb") as out:
        shutil.copyfileobj(upload.stream, out, COPY_CHUNK)
        size = out.tell()
    if size > MAX_IMPORT_BYTES:  # a body without a length, cut only by reading
        path.unlink(missing_ok=True)
        return _page(site, 413, form=form, upload_error=too_large)
    if size == 0:
        path.unlink(missing_ok=True)
        return _page(site, 422, form=form, upload_error="The file is empty.")
    name = upload.filename
    job = ImportJob(
        site_id=site.id,
        format=form["format"],
        options={
            "product_field": form["product_field"],
            "thread_pattern": form["thread_pattern"] or None,
            "status": "pending" if form["pending"] else None,
            "dry_run": form["dry_run"],
        },
        filename=name if len(name) <= 200 else name[:199] + "…",
        stored_name=stored,
        status=import_jobs.QUEUED,
        created_by=current_user.owner.email,
    )
    db.session.add(job)
    db.session.commit()
    import_jobs.start(job.id)
    return redirect(url_for("admin_ui.transfer", slug=site.slug, _anchor=f"job-{job.id}"), 303)


@bp.get("/<slug>/transfer/jobs/<job_id>")
@login_required
def transfer_job(slug: str, job_id: str) -> dict[str, Any]:
    """A job's status and counts as JSON, for the progress bar's polling."""
    job = _job(owned_site(slug), job_id)
    return {
        "id": job.id,
        "status": job.status,
        "label": STATUS_LABELS.get(job.status, job.status),
        "read": job.read_count,
        "total": job.total,
        "imported": job.imported,
        "duplicates": job.duplicates,
        "refused": job.refused_count,
        "error": job.error,
    }


@bp.get("/<slug>/transfer/jobs/<job_id>/refused.csv")
@login_required
def transfer_refused(slug: str, job_id: str) -> Any:
    """Every refused row of a finished job (line, source id, reason) as a CSV."""
    job = _job(owned_site(slug), job_id)
    path = import_jobs.refused_csv_path(job.id)
    if not job.refused_count or not path.is_file():
        raise NotFound()
    return send_file(
        path, mimetype="text/csv", as_attachment=True, download_name=f"{job.id}-refused.csv"
    )


@bp.get("/<slug>/transfer/export")
@login_required
def transfer_export(slug: str) -> Response:
    """The site as JSON Lines, streamed as it is read (what ``plaudit export`` writes)."""
    site = owned_site(slug)

    def lines() -> Iterator[str]:
        try:
            yield from export_lines(db.session, site)
        finally:  # its reads' transaction ends with the body, whoever closes it when
            db.session.rollback()

    response = Response(stream_with_context(lines()), mimetype="application/x-ndjson")
    response.headers["Content-Disposition"] = f'attachment; filename="{site.slug}.jsonl"'
    return response
