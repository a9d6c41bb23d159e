"""Imports started from the admin page, run in the background with their progress kept.

The page saves the upload under the instance folder (``imports/``, a random name) and
creates an :class:`~plaudit_server.models.ImportJob`; :func:`start` runs it: on the RQ
worker when there is Redis (``plaudit worker``, which shares the instance folder: both
run on the same machine, as the Procfile has them), else in a thread of the web
process. :func:`run_import` is the job, the same loader as ``plaudit import``: it moves
the row's counts after each committed batch (the page's progress bar polls them), keeps
the summary, the notes and the first refused rows on the row and the full list of
refused rows as a CSV beside the uploads, and deletes the upload when it ends.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from rq import Queue
from sqlalchemy.orm import Session

from .. import cache, jobs
from ..extensions import db
from ..models import ImportJob, Site, Status
from ..timeutil import utcnow
from . import loader
from .formats import FORMATS
from .records import ImportFileError, Options

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# Refused rows kept on the job's row for the page; all of them are in the CSV.
REFUSED_SHOWN = 200
# Seconds the worker gives one import: a 50 MB file takes minutes, never hours.
JOB_TIMEOUT = 4 * 3600
# Upload names on disk: the format's usual extension only, never the client's name.
EXTENSIONS = {"judgeme": ".csv", "yotpo": ".csv", "disqus": ".xml", "isso": ".db"}


def imports_folder(app: Flask | None = None) -> Path:
    """Where uploads wait for their job and refused-row reports stay (created on use):
    ``IMPORTS_FOLDER`` if set (tests give each app its own), else the instance folder's
    ``imports``."""
    app = app or current_app
    folder = Path(app.config.get("IMPORTS_FOLDER") or Path(app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_upload_name(fmt: str) -> str:
    """A random file name for an upload: nothing of the client's name reaches the disk."""
    return secrets.token_hex(16) + EXTENSIONS.get(fmt, ".jsonl")


def refused_csv_path(job_id: str) -> Path:
    return imports_folder() / f"{job_id}.refused.csv"


def job_of_site(session: Session, site: Site, job_id: str) -> ImportJob | None:
    """The job ``job_id`` if it belongs to ``site`` (another site's id finds nothing)."""
    return session.scalar(
        sa.select(ImportJob).where(ImportJob.id == job_id, ImportJob.site_id == site.id)
    )


def jobs_of_site(session: Session, site: Site, limit: int = 20) -> list[ImportJob]:
    """The site's latest jobs, newest first."""
    stmt = (
        sa.select(ImportJob)
        .where(ImportJob.site_id == site.id)
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def start(job_id: str) -> None:
    """Run the job on the RQ worker with Redis, else in a thread of this process.

    The job is queued here rather than through :func:`..jobs.enqueue`, for two things
    that one does not do: a timeout of hours (RQ's default of 3 minutes would kill a
    large import halfway, leaving it "running" for ever), and, when Redis is configured
    but down, the thread instead of nothing (the job would wait for a worker that never
    hears of it).

    The thread is acceptable for the single-machine mode (no Redis): that mode is one
    process serving one shop, whose imports are rare and run once; the thread has its
    own app context and database session, and an import commits batch by batch, so a
    restart in the middle loses nothing written (the job is then left "running"; the
    same file imported again adds only what is missing).
    """
    fast = cache.store()
    if fast is not None:

        def put(client: Any) -> Any:
            return Queue(jobs.queue_name(fast), connection=client).enqueue(
                run_import,
                job_id,
                # RQ allows only [A-Za-z0-9_-] in ids; the prefix keeps deployments apart.
                job_id=re.sub(r"[^A-Za-z0-9_-]", "_", f"{fast.prefix}import:{job_id}"),
                job_timeout=JOB_TIMEOUT,
                result_ttl=0,
                failure_ttl=24 * 3600,
            )

        if fast.call(put) is not None:
            return
        log.warning("could not queue import %s (Redis unavailable): running it here", job_id)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=_run_in_context, args=(app, job_id), name=f"plaudit-{job_id}", daemon=True
    )
    thread.start()


def _run_in_context(app: Flask, job_id: str) -> None:
    with app.app_context():
        run_import(job_id)


def run_import(job_id: str) -> None:
    """Job: import the job's file into its site, keeping the row's progress and report.

    Runs in an app context (the worker's, or the thread's own). A file that cannot be
    read (``ImportFileError``) or an unexpected error marks the job failed with its
    error; batches committed before an unexpected error stay (importing the file again
    resumes, duplicates are skipped). The upload is deleted whatever happens.
    """
    session = db.session
    job = session.get(ImportJob, job_id)
    if job is None or job.status != QUEUED:
        return
    site = session.get(Site, job.site_id)
    path = imports_folder() / job.stored_name if job.stored_name else None
    if site is None or path is None:
        return
    job.status, job.started_at = RUNNING, utcnow()
    session.commit()
    options = job.options or {}
    fmt = job.format
    dry_run = bool(options.get("dry_run"))
    try:
        reader = FORMATS[fmt]
        job.total = reader.total(path)
        session.commit()
        summary = loader.import_records(
            session,
            site,
            fmt,
            reader.read(path, _reader_options(options)),
            dry_run=dry_run,
            status=Status(options["status"]) if options.get("status") else None,
            progress=lambda read: _progress(session, job_id, read),
        )
    except ImportFileError as exc:
        session.rollback()
        error = f"The file cannot be imported: {exc}. Nothing was imported."
        _end(session, job_id, path, FAILED, error=_clip(error))
    except Exception:
        log.exception("import job %s failed", job_id)
        session.rollback()
        resume = (
            " Batches written before it stay; importing the file again adds only what is missing."
        )
        _end(
            session,
            job_id,
            path,
            FAILED,
            error="The import stopped on an unexpected error." + ("" if dry_run else resume),
        )
    else:
        refused = sorted(summary.refused, key=lambda row: row.line)
        if refused:
            loader.write_refused(refused_csv_path(job_id), refused)
        _end(
            session,
            job_id,
            path,
            DONE,
            read_count=summary.read,
            imported=summary.imported,
            duplicates=summary.duplicates,
            refused_count=len(refused),
            written=summary.written,
            summary=summary.lines(),
            notes=list(summary.notes),
            refused=[[row.line, row.reason] for row in refused[:REFUSED_SHOWN]],
        )


def _reader_options(options: dict[str, Any]) -> Options:
    return Options(
        product_field=options.get("product_field") or "product_handle",
        thread_pattern=options.get("thread_pattern") or None,
    )


def _progress(session: Session, job_id: str, read: int) -> None:
    """The loader's progress callback: the count of records read, committed at once so
    the page sees it. The loader calls it right after committing a batch (or, in a dry
    run, having written nothing), so this commit carries the count and nothing else but
    the last batch, which the loader was about to commit anyway."""
    session.execute(sa.update(ImportJob).where(ImportJob.id == job_id).values(read_count=read))
    session.commit()


def _clip(error: str) -> str:
    return error if len(error) <= 500 else error[:499] + "…"


def _end(session: Session, job_id: str, path: Path, status: str, **values: Any) -> None:
    """The job's end, in one commit: its status and report, its upload deleted (so the
    page never shows a job ended whose file is still there)."""
    path.unlink(missing_ok=True)
    session.execute(
        sa.update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(status=status, stored_name=None, finished_at=utcnow(), **values)
    )
    session.commit()
