"""The Invitations section: review requests per order, a CSV of orders, their settings.

Everything goes through what the admin API uses: the create form and every CSV row are
loaded by ``schemas.InvitationCreate`` and created by
``services.invitations.create_invitations`` (so the page refuses exactly what
``POST /api/v1/admin/invitations`` refuses, with the same messages), the settings by
``schemas.SitePatch`` and ``services.sites.update_site``, the list and cancelling by the
same site-scoped services (another site's invitation id is a 404).

A CSV upload is one request: each row is taken or refused on its own, like an item of
the batch endpoint, and the refused ones come back in a report with their line numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import Problem, flatten_messages
from ..extensions import db
from ..models import Invitation, InvitationStatus, Site
from ..schemas import INVITATION_STATUSES, InvitationCreate, InvitationsQuery, SitePatch
from ..services import invitation_delivery, sites
from ..services import invitations as invitation_service
from ..timeutil import utcnow
from .auth import safe_next
from .base import bp, owned_site, whole_number

PAGE_SIZE = 50
# A CSV of orders: a month's orders of a busy shop fit (5,000 rows of ~100 bytes are
# half a megabyte); the request may be this much larger than the app's 64 KB body limit.
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000
# Rows go to create_invitations in chunks as large as one batch request of the API.
CHUNK = 500
REQUIRED_COLUMNS = ("order_id", "email", "products")
OPTIONAL_COLUMNS = ("name", "locale", "send_at")
STATUS_LABELS = {
    InvitationStatus.SCHEDULED: "Scheduled",
    InvitationStatus.SENT: "Sent",
    InvitationStatus.REVIEWED: "Reviewed",
    InvitationStatus.CANCELLED: "Cancelled",
    InvitationStatus.UNSUBSCRIBED: "Unsubscribed, not mailed",
    InvitationStatus.FAILED: "Failed to send",
    InvitationStatus.EXPIRED: "Expired",
}
LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
CREATE_FIELDS = ("order_id", "email", "name", "products", "locale", "send_at")
SETTINGS_DAYS = ("invite_delay_days", "invite_reminder_days", "invite_ttl_days")


class CsvError(ValueError):
    """The file as a whole cannot be read: nothing of it is taken."""


@dataclass(frozen=True)
class Row:
    """An invitation as the list shows it."""

    invitation: Invitation
    url: str
    label: str
    cancellable: bool


@dataclass(frozen=True)
class Refused:
    line: int
    order_id: str
    reason: str
    existing_id: str | None = None


@dataclass
class Report:
    """What an upload did, row by row where a row was refused."""

    filename: str
    rows: int = 0
    created: int = 0
    unsubscribed: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)  # those created


@dataclass(frozen=True)
class CsvFile:
    columns: list[str]
    # (line number where the record starts, its cells)
    records: list[tuple[int, list[str]]]


# ---------------------------------------------------------------- the page


def _list_query() -> tuple[dict[str, Any], list[str]]:
    """The list's filters from the query string; a bad one is left out and named
    (the list is still shown, as in the review queue)."""
    given = {
        k: v.strip() for k in ("status", "order_id", "cursor") if (v := request.args.get(k, ""))
    }
    given = {k: v for k, v in given.items() if v}
    schema = InvitationsQuery()
    try:
        return schema.load({**given, "limit": str(PAGE_SIZE)}), []
    except ma.ValidationError as exc:
        bad = list(exc.messages) if isinstance(exc.messages, dict) else []
        clean = {k: v for k, v in given.items() if k not in bad}
        return schema.load({**clean, "limit": str(PAGE_SIZE)}), bad


def _rows(items: list[Invitation]) -> list[Row]:
    return [
        Row(
            invitation=item,
            url=invitation_service.url_of(item),
            label=STATUS_LABELS[item.status],
            cancellable=item.status == InvitationStatus.SCHEDULED and item.claimed_at is None,
        )
        for item in items
    ]


def _settings_form(site: Site) -> dict[str, str]:
    return {
        "invite_delay_days": str(site.invite_delay_days),
        "invite_reminder_days": str(site.invite_reminder_days),
        "invite_ttl_days": str(site.invite_ttl_days),
        "locale": site.locale,
    }


def _page(site: Site, status: int = 200, **extra: Any) -> Any:
    query, filter_errors = _list_query()
    items, next_cursor = invitation_service.list_invitations(db.session, site, query)
    filters = {k: query[k] for k in ("status", "order_id") if query.get(k)}
    values: dict[str, Any] = {
        "site": site,
        "rows": _rows(items),
        "query": query,
        "filters": filters,
        "filter_errors": filter_errors,
        "next_cursor": next_cursor,
        "conversion": invitation_service.conversion(db.session, site),
        "statuses": [(s, STATUS_LABELS[InvitationStatus(s)]) for s in INVITATION_STATUSES],
        "languages": LANGUAGES,
        "form": {"store_review": True},
        "errors": {},
        "conflict": None,
        "report": None,
        "upload_error": None,
        "settings_form": _settings_form(site),
        "settings_errors": {},
        "max_rows": MAX_CSV_ROWS,
    }
    values.update(extra)
    return render_template("admin/invitations.html", **values), status


def _back(slug: str) -> Any:
    return redirect(
        safe_next(request.form.get("next")) or url_for("admin_ui.invitations", slug=slug)
    )


@bp.get("/<slug>/invitations")
@login_required
def invitations(slug: str) -> Any:
    return _page(owned_site(slug))


# ---------------------------------------------------------------- create one


def split_products(text: str, separators: str = ",|") -> list[str]:
    """Product ids as typed: separated by any of ``separators``, blanks dropped."""
    parts = re.split(f"[{re.escape(separators)}]", text)
    return [part.strip() for part in parts if part.strip()]


def _field_errors(messages: Any, products: list[str]) -> dict[str, str]:
    """marshmallow's messages as one line per form field; a product's own error names
    the product (``products.2`` is the third id typed)."""
    result: dict[str, list[str]] = {}
    for path, texts in flatten_messages(messages).items():
        name, _, index = path.partition(".")
        if name == "products" and index.isdigit() and int(index) < len(products):
            texts = [f"{products[int(index)]!r}: {text}" for text in texts]
        result.setdefault(name, []).extend(texts)
    return {name: " ".join(texts) for name, texts in result.items()}


def _problem_errors(problem: Problem) -> dict[str, str]:
    if problem.errors:
        return _field_errors(problem.errors, [])
    return {"_schema": problem.detail or "That did not work."}


@bp.post("/<slug>/invitations")
@login_required
def create_invitation(slug: str) -> Any:
    site = owned_site(slug)
    form: dict[str, Any] = {name: request.form.get(name, "") for name in CREATE_FIELDS}
    form["store_review"] = request.form.get("store_review") == "yes"
    form["incentive"] = request.form.get("incentive") == "yes"
    products = split_products(form["products"])
    body = {
        "order_id": form["order_id"],
        "email": form["email"].strip(),
        "name": form["name"],
        "products": products,
        "locale": form["locale"] or None,
        "send_at": form["send_at"].strip() or None,
        "store_review": form["store_review"],
        "incentive": form["incentive"],
    }
    try:
        data = InvitationCreate().load(body)
    except ma.ValidationError as exc:
        return _page(site, 422, form=form, errors=_field_errors(exc.messages, products))
    (result,) = invitation_service.create_invitations(db.session, site, [data])
    if isinstance(result, Problem):
        db.session.rollback()
        if result.status == 409:
            return _page(site, 409, form=form, conflict=result)
        return _page(site, result.status, form=form, errors=_problem_errors(result))
    db.session.commit()
    if invitation_delivery.due_now([result]):
        invitation_delivery.send_soon()  # as the API does: due mail goes out at once
    if result.status == InvitationStatus.UNSUBSCRIBED:
        flash(
            f"Invitation for order {result.order_id} recorded, but {result.email} asked for "
            "no more review requests: nothing will be sent.",
            "success",
        )
    else:
        when = result.send_at.strftime("%Y-%m-%d %H:%M UTC")
        flash(
            f"Invitation for order {result.order_id} created: it goes out "
            f"{'now' if result.send_at <= utcnow() else when}.",
            "success",
        )
    return redirect(url_for("admin_ui.invitations", slug=slug))


# ---------------------------------------------------------------- cancel


@bp.post("/<slug>/invitations/<invitation_id>/cancel")
@login_required
def cancel_invitation(slug: str, invitation_id: str) -> Any:
    site = owned_site(slug)
    try:
        invitation = invitation_service.cancel(db.session, site, invitation_id)
    except Problem as problem:
        if problem.status != 409:
            raise  # 404: another site's or no such invitation, the error page
        db.session.rollback()
        flash(problem.detail or "This invitation can no longer be cancelled.", "error")
        return _back(slug)
    db.session.commit()
    flash(f"Invitation for order {invitation.order_id} cancelled: it will not be sent.", "success")
    return _back(slug)


# ---------------------------------------------------------------- CSV upload


def read_csv(data: bytes) -> CsvFile:
    """The header and the non-blank records of an uploaded CSV.

    UTF-8 with or without a byte order mark (what Excel's "CSV UTF-8" writes). The
    separator is the one the header line uses most of comma, semicolon and tab: Excel
    writes semicolons where the decimal separator is a comma (Germany, France, Spain).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvError(
            f"Line {line} is not UTF-8 text. Save the file as “CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in text:
        raise CsvError("This is not a text file. Upload a CSV file.")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)  # a tie keeps the comma
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1  # the line where the record being read starts
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise CsvError(
                "The file is empty. Its first line must name the columns: "
                "order_id,email,name,products."
            )
        columns = [cell.strip().lower() for cell in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise CsvError(
                "The first line must name the columns order_id,email,name,products; "
                f"missing: {', '.join(missing)}."
            )
        repeated = sorted({name for name in columns if name and columns.count(name) > 1})
        if repeated:
            raise CsvError(f"The first line names a column twice: {', '.join(repeated)}.")
        records: list[tuple[int, list[str]]] = []
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(records) == MAX_CSV_ROWS:
                raise CsvError(
                    f"The file has more than {MAX_CSV_ROWS:,} rows. Split it and upload "
                    "each part: rows already invited are refused, not invited twice."
                )
            records.append((line, record))
    except csv.Error as exc:
        why = "a quoted field is never closed" if "end of data" in str(exc) else str(exc)
        raise CsvError(f"Line {start} cannot be read: {why}.") from None
    return CsvFile(columns=columns, records=records)


def _row_body(values: dict[str, str], store_review: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": values["order_id"],
        "email": values["email"],
        "name": values.get("name", ""),
        "products": split_products(values["products"], "|"),
        "store_review": store_review,
    }
    for name in ("locale", "send_at"):
        if values.get(name):
            body[name] = values[name]
    return body


def _reason(errors: dict[str, str]) -> str:
    return "; ".join(
        text if name == "_schema" else f"{name}: {text}" for name, text in errors.items()
    )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_csv(
    session: Session, site: Site, upload: CsvFile, filename: str, store_review: bool
) -> Report:
    """Create an invitation for each good row of ``upload``; the report says which rows
    were refused and why (an invalid field, or the order's existing invitation)."""
    known = {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS}
    report = Report(
        filename=filename,
        rows=len(upload.records),
        ignored_columns=[name for name in upload.columns if name and name not in known],
    )
    schema = InvitationCreate()
    valid: list[tuple[int, dict[str, Any]]] = []
    width = len(upload.columns)
    for line, cells in upload.records:
        values = dict(zip(upload.columns, (cell.strip() for cell in cells), strict=False))
        order_id = values.get("order_id", "")
        if len(cells) != width:
            reason = f"Has {len(cells)} fields where the first line names {width}."
            report.refused.append(Refused(line, order_id, reason))
            continue
        body = _row_body(values, store_review)
        try:
            valid.append((line, schema.load(body)))
        except ma.ValidationError as exc:
            errors = _field_errors(exc.messages, body["products"])
            report.refused.append(Refused(line, order_id, _reason(errors)))
    for chunk in _chunks(valid, CHUNK):
        results = invitation_service.create_invitations(session, site, [d for _, d in chunk])
        for (line, data), result in zip(chunk, results, strict=True):
            if isinstance(result, Problem):
                existing = result.extra.get("existing_id")
                why = (result.detail or "") if existing else _reason(_problem_errors(result))
                report.refused.append(Refused(line, data["order_id"], why, existing))
            else:
                report.created += 1
                report.invitations.append(result)
                report.unsubscribed += result.status == InvitationStatus.UNSUBSCRIBED
    report.refused.sort(key=lambda refused: refused.line)
    return report


def _uploaded_file() -> tuple[FileStorage | None, bool]:
    request.max_content_length = MAX_CSV_BYTES + 64 * 1024  # the form around the file
    return request.files.get("file"), request.form.get("store_review") == "yes"


@bp.post("/<slug>/invitations/upload")
@login_required
def upload_invitations(slug: str) -> Any:
    site = owned_site(slug)
    too_large = f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB. Split it."
    try:
        upload, store_review = _uploaded_file()
    except RequestEntityTooLarge:
        return _page(site, 413, upload_error=too_large)
    if upload is None or not upload.filename:
        return _page(site, 422, upload_error="Choose a CSV file first.")
    data = upload.stream.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        return _page(site, 413, upload_error=too_large)
    try:
        parsed = read_csv(data)
    except CsvError as exc:
        return _page(site, 422, upload_error=str(exc))
    filename = upload.filename if len(upload.filename) <= 120 else upload.filename[:119] + "…"
    report = import_csv(db.session, site, parsed, filename, store_review)
    db.session.commit()
    if invitation_delivery.due_now(report.invitations):
        invitation_delivery.send_soon()
    return _page(site, 200, report=report)


# ---------------------------------------------------------------- settings


@bp.post("/<slug>/invitations/settings")
@login_required
def save_invitation_settings(slug: str) -> Any:
    site = owned_site(slug)
    form = {name: request.form.get(name, "") for name in (*SETTINGS_DAYS, "locale")}
    body: dict[str, Any] = {name: whole_number(form[name]) for name in SETTINGS_DAYS}
    body["locale"] = form["locale"]
    try:
        changes = SitePatch().load(body)
    except ma.ValidationError as exc:
        errors = _field_errors(exc.messages, [])
        return _page(site, 422, settings_form=form, settings_errors=errors)
    sites.update_site(db.session, site, changes)
    db.session.commit()
    flash("Invitation settings saved.", "success")
    return redirect(url_for("admin_ui.invitations", slug=slug) + "#settings")
