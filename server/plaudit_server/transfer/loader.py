"""Writing imported records to a site: checked, deduplicated, in batches, counters exact.

Records stream in from a reader (``formats/``) and go to the database a batch at a
time, so memory stays flat whatever the file's size. Each item keeps its ``source`` and
``source_id`` (unique per site): an item already there, from an earlier run of the same
file or earlier in this one, is counted as a duplicate and not written again. Products
are created on first use, as everywhere. Counters (summaries, per-status counts, a
review's comment count) are not moved item by item: they are recomputed from the rows
once at the end, so they are exact whatever the file held.

``dry_run`` writes nothing and reports what would happen; ``strict`` writes everything
in one transaction and rolls it back if any row was refused. Otherwise each batch is
committed as it goes (an interrupted import is resumed by running it again).
"""

from __future__ import annotations

import csv
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import cache
from ..fields import PRODUCT_RE, EmailAddress, Name, OptionalText, Text
from ..ids import new_id
from ..models import (
    IDEA_STAGES,
    STORE,
    Answer,
    Comment,
    Idea,
    IdeaSource,
    Invitation,
    InvitationStatus,
    Moderation,
    Product,
    Question,
    Review,
    Site,
    Status,
    StatusCount,
    Suppression,
)
from ..services import invitations, sites
from ..services.comments import MAX_DEPTH
from ..timeutil import utcnow
from .records import (
    CommentRecord,
    Note,
    Other,
    Record,
    Refused,
    ReviewRecord,
    export_time,
)

BATCH = 2000
# An ORM bulk insert groups rows by the columns they set, leaving out None: with
# ``render_nulls`` every row has every column, and a batch is one statement.
_ONE_STATEMENT = {"render_nulls": True}
# PostgreSQL plans each batch's lookups from its statistics of the tables; a bulk load
# outgrows them faster than autovacuum refreshes them (or at all, where it is off), and
# a plan made for an empty table scans a million rows. Refreshed after the first batch
# and every this many after.
ANALYZE_EVERY = 50
SITE_SETTINGS = (
    *("name", "allowed_origins", "moderation", "blocked_words", "locale"),
    *("invite_delay_days", "invite_reminder_days", "invite_ttl_days"),
)
INVITATION_TIMES = (
    *("send_at", "sent_at", "reminded_at", "reviewed_at", "expires_at", "created_at"),
)

# PostgreSQL: reviews go in through COPY into this temporary table (no indexes, no
# log), then one INSERT ... SELECT ... ON CONFLICT per batch, which lets the unique index
# (site_id, source, source_id) tell the duplicates: no lookup, no per-row statement.
_STAGE = "plaudit_import_reviews"
_REVIEW_COLUMNS = (
    *("id", "site_id", "product_id", "rating", "title", "body", "author_name"),
    *("author_email", "verified_buyer", "status", "spam_reasons", "helpful_count"),
    *("unhelpful_count", "comment_count", "reply_body", "reply_created_at", "source"),
    *("source_id", "created_at", "updated_at"),
)
# The cache of product row ids by external id is cleared past this size (memory flat
# whatever the number of products; the database has them).
PRODUCT_CACHE = 50_000

# The API's own rules for text (fields.py), applied to imported text too.
_BODY = Text(max_length=5000)
_TITLE = OptionalText(max_length=120)
_NAME = Name(max_length=80)
_EMAIL = EmailAddress()
_REPLY = OptionalText(max_length=5000)


@dataclass
class Summary:
    """What an import did (or, in a dry run, would do)."""

    read: int = 0
    imported: int = 0
    duplicates: int = 0
    refused: list[Refused] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    written: bool = True  # false after a dry run, or a strict run with refusals

    def lines(self) -> list[str]:
        verb = "imported" if self.written else "would import" if self.imported else "imported"
        kinds = ", ".join(f"{n} {kind}s" for kind, n in sorted(self.by_kind.items()) if n)
        out = [
            f"read {self.read}, {verb} {self.imported}"
            + (f" ({kinds})" if kinds else "")
            + f", duplicates {self.duplicates}, refused {len(self.refused)}"
        ]
        out += [f"note: {note}" for note in self.notes]
        return out


class _Cancel(Exception):
    """Raised to roll back a strict import that refused a row."""


def import_records(
    session: Session,
    site: Site,
    source: str,
    records: Iterable[Record],
    *,
    dry_run: bool = False,
    strict: bool = False,
    status: Status | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Write ``records`` (from the reader of ``source``, e.g. ``"judgeme"``) to ``site``.

    ``status`` holds every item in that status (``--status pending``) instead of the
    source's. ``progress`` is called with the number of records handled after each batch.
    """
    summary = Summary()
    writer = _Writer(session, site, source, summary, dry_run=dry_run, status=status)
    batch: list[ReviewRecord | CommentRecord | Other] = []
    batches = 0
    with _Prefetch(records) as prefetched:
        for record in prefetched:
            if isinstance(record, Note):
                summary.notes.append(record.text)
                continue
            summary.read += 1
            if isinstance(record, Refused):
                summary.refused.append(record)
            else:
                batch.append(record)
            if len(batch) >= BATCH:
                writer.write(batch)
                batch = []
                batches += 1
                if batches % ANALYZE_EVERY == 1:
                    _analyze(session)
                if not (dry_run or strict):
                    session.commit()
                if progress is not None:
                    progress(summary.read)
    writer.write(batch)
    if progress is not None:
        progress(summary.read)
    if dry_run or (strict and summary.refused):
        session.rollback()
        summary.written = False
        return summary
    writer.close()
    # Also after a run that added nothing: an earlier one that stopped halfway (its
    # batches committed, its recount never reached) is completed by running it again.
    recount(session, site)
    cache.touch(session, site.slug)  # every cached read of the site
    session.commit()
    return summary


_END = object()


class _Prefetch:
    """The reader runs in a thread of its own, a few records ahead of the writer: while
    the writer waits on the database (which releases the GIL), the next batch is read
    and parsed, instead of after. Bounded (``DEPTH`` chunks of ``CHUNK`` records), so
    memory stays flat; the reader's exceptions (``ImportFileError``...) are raised here,
    in the writer's thread, where the reader would have raised them. The reader is
    closed in its own thread (a reader may hold a SQLite connection of that thread)."""

    CHUNK = 500
    DEPTH = 8

    def __init__(self, records: Iterable[Record]) -> None:
        self._records = records
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self.DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="plaudit-import-reader")
        self._thread.daemon = True

    def __enter__(self) -> Iterator[Record]:
        self._thread.start()
        return self._records_in_order()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _read(self) -> None:
        iterator = iter(self._records)
        chunk: list[Record] = []
        try:
            for record in iterator:
                chunk.append(record)
                if len(chunk) >= self.CHUNK:
                    if not self._put(chunk):
                        return
                    chunk = []
            if chunk and not self._put(chunk):
                return
            self._put(_END)
        except BaseException as error:  # raised again in the writer's thread
            if not chunk or self._put(chunk):  # the records before it first
                self._put(error)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _records_in_order(self) -> Iterator[Record]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item


class _Writer:
    """Checks and writes one batch at a time; remembers nothing between batches but
    what the database knows (so memory stays flat), except in a dry run, where nothing
    is written and the source ids seen are kept to tell duplicates within the file."""

    def __init__(
        self,
        session: Session,
        site: Site,
        source: str,
        summary: Summary,
        *,
        dry_run: bool,
        status: Status | None,
    ) -> None:
        self.session, self.site, self.source, self.summary = session, site, source, summary
        self.dry_run, self.status = dry_run, status
        # The plaudit format keys items by their ids (kept), every other by source id.
        self.key = "id" if source == "plaudit" else "source_id"
        self.fresh = not any(
            session.scalar(sa.select(model.id).where(model.site_id == site.id).limit(1))
            for model in (Review, Comment)
        )
        self.seen: dict[type, set[str]] = {Review: set(), Comment: set()}
        self._parent_cache = _Parents()
        self._product_cache: dict[str, str] = {}
        # Reviews keyed by source id go to PostgreSQL through COPY (``_copy_reviews``);
        # the plaudit format's (keyed by id), a dry run's and SQLite's through the ORM.
        self.copy = (
            not dry_run
            and self.key == "source_id"
            and session.get_bind().dialect.name == "postgresql"
        )
        self._staged = False

    # ------------------------------------------------------------ checks

    def _refuse(self, record: ReviewRecord | CommentRecord, reason: str) -> None:
        self.summary.refused.append(Refused(record.line, reason, record.source_id))

    def _text(self, record: ReviewRecord | CommentRecord) -> dict[str, Any] | None:
        """The record's text fields by the API's rules, or None (refused). A record its
        reader has checked (``checked``) is taken as it is, but for its rating."""
        if record.checked:
            return self._checked(record)
        product = record.product
        if product != STORE and not PRODUCT_RE.fullmatch(product or ""):
            self._refuse(record, f"product id {product[:140]!r} is not valid (A-Z a-z 0-9 . _ : -)")
            return None
        values: dict[str, Any] = {}
        try:
            values["body"] = _BODY.deserialize(record.body)
        except ma.ValidationError as error:
            self._refuse(record, f"body: {_message(error)}")
            return None
        try:
            values["author_name"] = _NAME.deserialize(record.author_name or "Anonymous")
        except ma.ValidationError:
            values["author_name"] = "Anonymous"
        try:
            values["author_email"] = _EMAIL.deserialize(record.author_email)
        except ma.ValidationError:
            values["author_email"] = None  # an address that could not be used anyway
        if isinstance(record, ReviewRecord):
            if not isinstance(record.rating, int) or not 1 <= record.rating <= 5:
                self._refuse(record, f"rating {record.rating!r} is not 1-5")
                return None
            try:
                values["title"] = _TITLE.deserialize(record.title)
            except ma.ValidationError as error:
                self._refuse(record, f"title: {_message(error)}")
                return None
        return values

    def _checked(self, record: ReviewRecord | CommentRecord) -> dict[str, Any] | None:
        values: dict[str, Any] = {
            "body": record.body,
            "author_name": record.author_name or "Anonymous",
            "author_email": record.author_email,
        }
        if isinstance(record, ReviewRecord):
            if not isinstance(record.rating, int) or not 1 <= record.rating <= 5:
                self._refuse(record, f"rating {record.rating!r} is not 1-5")
                return None
            values["title"] = record.title
        return values

    def _stored_keys(self, model: type[Review] | type[Comment], keys: set[str]) -> set[str]:
        """Which of these keys (source ids of this source, or ids) the site has."""
        key = getattr(model, self.key)
        stmt = sa.select(key).where(model.site_id == self.site.id, key.in_(keys))
        if self.key == "source_id":
            stmt = stmt.where(model.source == self.source)
        return set(self.session.scalars(stmt))

    def _origin(self, record: ReviewRecord | CommentRecord) -> dict[str, str | None]:
        if record.origin is not None:
            return {"source": record.origin[0], "source_id": record.origin[1]}
        return {"source": self.source, "source_id": record.source_id}

    def _new_only(self, model: type[Review] | type[Comment], records: list[Any]) -> list[Any]:
        """The records whose source id is neither stored yet nor earlier in the file."""
        ids = {r.source_id for r in records}
        stored = self._stored_keys(model, ids)
        taken: set[str] = set()
        if self.key == "id":  # ids are kept: one of another site's can't be
            taken = set(
                self.session.scalars(
                    sa.select(model.id).where(model.id.in_(ids), model.site_id != self.site.id)
                )
            )
        fresh = []
        seen = self.seen[model]
        for record in records:
            if record.source_id in taken:
                self._refuse(record, f"id {record.source_id} is another site's on this server")
                continue
            if record.source_id in stored or record.source_id in seen:
                self.summary.duplicates += 1
                continue
            seen.add(record.source_id)
            fresh.append(record)
        if not self.dry_run:
            seen.clear()  # written: the database tells from now on
        return fresh

    # ------------------------------------------------------------ writing

    def write(self, batch: list[ReviewRecord | CommentRecord | Other]) -> None:
        reviews = [r for r in batch if isinstance(r, ReviewRecord)]
        comments = [r for r in batch if isinstance(r, CommentRecord)]
        if reviews:
            self._reviews(reviews)
        if comments:
            self._comments(comments)
        for other in batch:
            if isinstance(other, Other):
                self._other(other)

    def _other(self, record: Other) -> None:
        """The plaudit format's other lines: the site's settings (taken only by a site
        that has no reviews or comments yet: moving in, not overwriting), invitations
        (with their ids, so their links still work under the same ``SECRET_KEY``) and
        suppressed addresses. Products' summaries are recomputed, not read."""
        data = record.data
        try:
            if record.type == "site":
                if self.fresh and not self.dry_run:
                    settings = {k: data[k] for k in SITE_SETTINGS if k in data}
                    settings["moderation"] = Moderation(settings.get("moderation", "post"))
                    sites.update_site(self.session, self.site, settings)
            elif record.type == "invitation":
                if self._invitation(data):
                    self.summary.by_kind["invitation"] += 1
            elif record.type == "suppression":
                self._suppression(data)
            elif record.type in COMMUNITY:
                self._community(record.type, data)
            elif record.type not in {"product", "store"}:
                self.summary.refused.append(Refused(record.line, f"unknown type {record.type!r}"))
                return
        except (KeyError, TypeError, ValueError) as error:
            reason = f"{record.type}: bad or missing {error}"
            self.summary.refused.append(Refused(record.line, reason, data.get("id")))

    def _community(self, kind: str, data: dict[str, Any]) -> None:
        """A question, answer or idea of the plaudit format, with its id (its links to
        its question, to the idea it was merged into and to its feedback kept).
        Counters (answers, helpful votes) are recounted at the end; votes came as
        counts."""
        model = COMMUNITY[kind]
        if self.session.get(model, data["id"]) is not None:
            self.summary.duplicates += 1
            return
        values = {
            "id": str(data["id"]),
            "site_id": self.site.id,
            "author_name": _NAME.deserialize(data["author_name"]),
            "author_email": _EMAIL.deserialize(data.get("author_email")),
            "status": self.status or Status(data["status"]),
            "spam_reasons": [],
            "created_at": export_time(data["created_at"]),
            "updated_at": export_time(data["updated_at"]),
        }
        if kind == "idea":
            if data["stage"] not in IDEA_STAGES:
                raise ValueError("stage")
            values.update(
                title=Text(min_length=5, max_length=120).deserialize(data["title"]),
                body=OptionalText(max_length=5000).deserialize(data.get("body")) or "",
                stage=data["stage"],
                stage_note=OptionalText(max_length=2000).deserialize(data.get("stage_note")),
                stage_changed_at=export_time(data.get("stage_changed_at")),
                announced=[s for s in data.get("announced") or [] if s in IDEA_STAGES],
                vote_count=int(data.get("vote_count") or 0),
                merged_into=self._known(Idea, data.get("merged_into")),
            )
        else:
            values["body"] = _BODY.deserialize(data["body"])
        if kind == "answer":
            question = str(data["question_id"])
            # The question's product, which also tells that the site has the question
            # (a dry run wrote none: it takes the line as it is).
            product_id = self.session.scalar(
                sa.select(Question.product_id).where(
                    Question.id == question, Question.site_id == self.site.id
                )
            )
            if product_id is None and not self.dry_run:
                raise KeyError("question_id (no such question)")
            is_owner, verified = bool(data.get("is_owner")), bool(data.get("verified_buyer"))
            values.update(
                question_id=question,
                product_id=product_id,
                is_owner=is_owner,
                verified_buyer=verified,
                rank=2 if is_owner else int(verified),
                helpful_count=int(data.get("helpful_count") or 0),
                unhelpful_count=int(data.get("unhelpful_count") or 0),
            )
        elif data.get("product") is not None or kind == "question":
            product = str(data["product"])
            if not PRODUCT_RE.fullmatch(product):
                raise ValueError("product")
            values["product_id"] = self._products({product})[product]
        if kind == "question":
            values["notify"] = bool(data.get("notify"))
        self.summary.by_kind[kind] += 1
        if self.dry_run:
            return
        self.session.add(model(**values))
        if kind == "idea":
            self.session.add_all(
                IdeaSource(
                    idea_id=values["id"],
                    object_type=link["type"],
                    object_id=link["id"],
                    created_at=export_time(link["linked_at"]),
                )
                for link in data.get("sources") or []
                if link["type"] in ("review", "comment")
            )
        self.session.flush()

    def _known(self, model: Any, item_id: str | None) -> str | None:
        """``item_id`` if the site has that item (in a dry run: if it might)."""
        if item_id is None or self.dry_run:
            return item_id
        found = self.session.scalar(
            sa.select(model.id).where(model.id == item_id, model.site_id == self.site.id)
        )
        return found  # type: ignore[no-any-return]

    def _suppression(self, data: dict[str, Any]) -> None:
        email = str(data["email"]).lower()
        kind = str(data["kind"])
        if self.session.get(Suppression, (self.site.id, kind, email)) is not None:
            self.summary.duplicates += 1
            return
        if not self.dry_run:
            when = export_time(data["created_at"])
            self.session.add(
                Suppression(site_id=self.site.id, kind=kind, email=email, created_at=when)
            )
            self.session.flush()
        self.summary.by_kind["suppression"] += 1

    def _invitation(self, data: dict[str, Any]) -> bool:
        """Add an exported invitation; False when it is there already."""
        if self.session.get(Invitation, data["id"]) is not None:
            self.summary.duplicates += 1
            return False
        status = InvitationStatus(data["status"])
        row = Invitation(
            id=data["id"],
            site_id=self.site.id,
            order_id=data["order_id"],
            email=data["email"],
            name=data.get("name"),
            products=list(data["products"]),
            store_review=bool(data.get("store_review", True)),
            locale=data["locale"],
            status=status,
            token_hash=invitations.token_hash(invitations.token_for(data["id"])),
            attempts=0,
            **{key: export_time(data.get(key)) for key in INVITATION_TIMES},
        )
        row.updated_at = row.created_at
        if status == InvitationStatus.SCHEDULED:
            row.due_at = row.send_at
        elif status == InvitationStatus.SENT and row.reminded_at is None and row.sent_at:
            row.due_at = row.sent_at + timedelta(days=self.site.invite_reminder_days)
        if not self.dry_run:
            self.session.add(row)
            self.session.flush()
        return True

    def _products(self, external_ids: set[str]) -> dict[str, str]:
        """Product row ids by external id, created as needed (one insert for the new)."""
        if self.dry_run or not external_ids:
            return {e: e for e in external_ids}
        found = self._known_products(external_ids)
        found.update(self._new_products(external_ids - found.keys()))
        return found

    def _known_products(self, external_ids: set[str]) -> dict[str, str]:
        """The row ids of the products the site has, of these external ids."""
        cache = self._product_cache
        found = {e: cache[e] for e in external_ids if e in cache}
        asked = external_ids - found.keys()
        if asked:
            query = sa.select(Product.external_id, Product.id).where(
                Product.site_id == self.site.id, Product.external_id.in_(asked)
            )
            found.update({str(e): str(i) for e, i in self.session.execute(query)})
            self._remember_products(found)
        return found

    def _new_products(self, external_ids: set[str]) -> dict[str, str]:
        """Create these products (none of which the site has): their row ids."""
        if not external_ids:
            return {}
        now = utcnow()
        rows = [
            {"id": id_, "site_id": self.site.id, "external_id": e, "created_at": now}
            for e, id_ in zip(sorted(external_ids), _new_ids("prd", len(external_ids)), strict=True)
        ]
        self.session.execute(sa.insert(Product), rows, execution_options=_ONE_STATEMENT)
        created = {str(row["external_id"]): str(row["id"]) for row in rows}
        self._remember_products(created)
        return created

    def _remember_products(self, ids: dict[str, str]) -> None:
        if len(self._product_cache) + len(ids) > PRODUCT_CACHE:
            self._product_cache.clear()
        self._product_cache.update(ids)

    def _reviews(self, records: list[ReviewRecord]) -> None:
        if self.copy:
            self._reviews_by_copy(records)
            return
        checked = [(r, v) for r in records if (v := self._text(r)) is not None]
        fresh_records = self._new_only(Review, [r for r, _ in checked])
        fresh = {id(r) for r in fresh_records}
        rows_in = [(r, v) for r, v in checked if id(r) in fresh]
        products = self._products({r.product for r, _ in rows_in})
        rows = []
        for record, values in rows_in:
            rows.append(
                {
                    "id": record.id or new_id("rev"),
                    "site_id": self.site.id,
                    "product_id": products[record.product],
                    "rating": record.rating,
                    **values,
                    "verified_buyer": record.verified_buyer,
                    "status": self.status or record.status,
                    "spam_reasons": [],
                    "helpful_count": max(record.helpful_count, 0),
                    "unhelpful_count": max(record.unhelpful_count, 0),
                    "comment_count": 0,
                    "reply_body": _reply(record.reply_body),
                    "reply_created_at": record.reply_created_at if record.reply_body else None,
                    # The shop's first answer, for the response metrics.
                    "first_reply_at": record.reply_created_at if record.reply_body else None,
                    **self._origin(record),
                    "created_at": record.created_at,
                    "updated_at": record.updated_at or record.created_at,
                }
            )
        if rows and not self.dry_run:
            self.session.execute(sa.insert(Review), rows, execution_options=_ONE_STATEMENT)
        self.summary.imported += len(rows)
        self.summary.by_kind["review"] += len(rows)

    def _reviews_by_copy(self, records: list[ReviewRecord]) -> None:
        """PostgreSQL: one batch of reviews through COPY (see ``_STAGE``). Duplicates
        within the batch are told here (the first in the file is kept), those stored
        already by the unique index; a product is only created for a review that is
        written (a row whose product is new is looked up first: it is a duplicate only
        if its source id is stored with another product)."""
        rows_in: list[tuple[ReviewRecord, dict[str, Any]]] = []
        batch_keys: set[str] = set()
        duplicates = 0
        for record in records:
            values = self._text(record)
            if values is None:
                continue
            if record.source_id in batch_keys:
                duplicates += 1
                continue
            batch_keys.add(record.source_id)
            rows_in.append((record, values))
        products = self._known_products({r.product for r, _ in rows_in})
        new_products = {r.product for r, _ in rows_in} - products.keys()
        if new_products:
            stored = self._stored_keys(
                Review, {r.source_id for r, _ in rows_in if r.product in new_products}
            )
            if stored:
                duplicates += sum(r.source_id in stored for r, _ in rows_in)
                rows_in = [(r, v) for r, v in rows_in if r.source_id not in stored]
                new_products = {r.product for r, _ in rows_in} - products.keys()
            products.update(self._new_products(new_products))
        site_id = self.site.id
        status = self.status.value if self.status is not None else None
        rows = []
        for (record, values), new in zip(rows_in, _new_ids("rev", len(rows_in)), strict=True):
            origin = self._origin(record)
            reply = record.reply_body if record.checked else _reply(record.reply_body)
            created = _naive(record.created_at)
            rows.append(
                (
                    record.id or new,
                    site_id,
                    products[record.product],
                    record.rating,
                    values["title"],
                    values["body"],
                    values["author_name"],
                    values["author_email"],
                    record.verified_buyer,
                    status or record.status.value,
                    "[]",
                    max(record.helpful_count, 0),
                    max(record.unhelpful_count, 0),
                    0,
                    reply,
                    _naive(record.reply_created_at) if reply else None,
                    origin["source"],
                    origin["source_id"],
                    created,
                    _naive(record.updated_at) if record.updated_at else created,
                )
            )
        written = self._copy_reviews(rows) if rows else 0
        self.summary.duplicates += duplicates + len(rows) - written
        self.summary.imported += written
        self.summary.by_kind["review"] += written

    def _copy_reviews(self, rows: list[tuple[Any, ...]]) -> int:
        """COPY ``rows`` (of ``_REVIEW_COLUMNS``) into the stage, then into ``reviews``
        but for those whose (site, source, source id) is there: how many were written."""
        columns = ", ".join(_REVIEW_COLUMNS)
        connection = self.session.connection().connection.driver_connection
        assert connection is not None  # a psycopg 3 connection, in this session's transaction
        with connection.cursor() as cursor:
            if not self._staged:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} AS "
                    f"SELECT {columns} FROM reviews WITH NO DATA"
                )
                cursor.execute(f"TRUNCATE {_STAGE}")
                self._staged = True
            with cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # An imported reply is the shop's first answer (the response metrics).
            cursor.execute(
                f"INSERT INTO reviews ({columns}, first_reply_at) "
                f"SELECT {columns}, reply_created_at FROM {_STAGE} "
                "ON CONFLICT (site_id, source, source_id) DO NOTHING"
            )
            written = cursor.rowcount
            cursor.execute(f"TRUNCATE {_STAGE}")
        return int(written)

    def close(self) -> None:
        """Drop the stage (it would otherwise stay with the pooled connection)."""
        if self._staged:
            self.session.execute(sa.text(f"DROP TABLE IF EXISTS {_STAGE}"))
            self._staged = False

    def _comments(self, records: list[CommentRecord]) -> None:
        checked = [(r, v) for r in records if (v := self._text(r)) is not None]
        fresh_records = self._new_only(Comment, [r for r, _ in checked])
        fresh = {id(r) for r in fresh_records}
        rows_in = [(r, v) for r, v in checked if id(r) in fresh]
        parents = self._stored_comments(
            {r.parent_source_id for r, _ in rows_in if r.parent_source_id}
        )
        reviews = self._stored_reviews(
            {r.review_source_id for r, _ in rows_in if r.review_source_id}
        )
        products = self._products({r.product for r, _ in rows_in})
        rows = []
        for record, values in rows_in:
            review_id = None
            parent_id = None
            depth = 0
            if record.parent_source_id is not None:
                parent = parents.get(record.parent_source_id)
                if parent is None:
                    self._refuse(record, f"answers comment {record.parent_source_id!r}, not found")
                    continue
                parent_id, depth, review_id = parent[0], parent[1] + 1, parent[2]
                if depth > MAX_DEPTH:  # Plaudit's threads nest 3 levels: a sibling, then
                    parent_id, depth = parent[3], MAX_DEPTH
            elif record.review_source_id is not None:
                review_id = reviews.get(record.review_source_id)
                if review_id is None:
                    self._refuse(record, f"answers review {record.review_source_id!r}, not found")
                    continue
            row_id = record.id or new_id("cmt")
            rows.append(
                {
                    "id": row_id,
                    "site_id": self.site.id,
                    "product_id": products[record.product],
                    "review_id": review_id,
                    "parent_id": parent_id,
                    "depth": depth,
                    **values,
                    "is_owner": record.is_owner,
                    "status": self.status or record.status,
                    "spam_reasons": [],
                    **self._origin(record),
                    "created_at": record.created_at,
                    "updated_at": record.updated_at or record.created_at,
                }
            )
            # A reply later in this batch finds its parent here.
            parents.add(record.source_id, row_id, depth, review_id, parent_id)
        if rows and not self.dry_run:
            self.session.execute(sa.insert(Comment), rows, execution_options=_ONE_STATEMENT)
        self.summary.imported += len(rows)
        self.summary.by_kind["comment"] += len(rows)

    def _stored_comments(self, source_ids: set[str]) -> _Parents:
        parents = self._parents
        missing = source_ids - parents.by_source.keys()
        if missing:
            key = getattr(Comment, self.key)
            query = sa.select(key, Comment.id, Comment.depth, Comment.review_id, Comment.parent_id)
            query = query.where(Comment.site_id == self.site.id, key.in_(missing))
            if self.key == "source_id":
                query = query.where(Comment.source == self.source)
            for source_id, id_, depth, review_id, parent_id in self.session.execute(query):
                if source_id is not None:
                    parents.add(source_id, id_, depth, review_id, parent_id)
        return parents

    @property
    def _parents(self) -> _Parents:
        self._parent_cache.trim(keep_all=self.dry_run)
        return self._parent_cache

    def _stored_reviews(self, source_ids: set[str]) -> dict[str, str]:
        found = {s: s for s in source_ids if s in self.seen[Review]}  # a dry run's
        if not source_ids:
            return found
        key = getattr(Review, self.key)
        query = sa.select(key, Review.id).where(Review.site_id == self.site.id, key.in_(source_ids))
        if self.key == "source_id":
            query = query.where(Review.source == self.source)
        found.update({s: i for s, i in self.session.execute(query) if s is not None})
        return found


class _Parents:
    """Comments a reply may answer, by source id: (row id, depth, review id, parent id).
    Bounded: cleared once large (the database keeps them), except in a dry run, where
    nothing is written."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.by_source: dict[str, tuple[str, int, str | None, str | None]] = {}

    def add(
        self, source_id: str, id_: str, depth: int, review_id: str | None, parent: str | None
    ) -> None:
        self.by_source[source_id] = (id_, depth, review_id, parent)

    def get(self, source_id: str) -> tuple[str, int, str | None, str | None] | None:
        return self.by_source.get(source_id)

    def trim(self, *, keep_all: bool) -> None:
        if not keep_all and len(self.by_source) > self.LIMIT:
            self.by_source.clear()


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DIGIT_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # 10 bits -> 2 digits


def _new_ids(prefix: str, count: int) -> list[str]:
    """``count`` ids as ``ids.new_id`` makes them (48 bits of milliseconds, 80 random
    bits, as 26 Crockford base-32 digits), a quarter of the cost per id: the clock is
    read once per batch and the 128-bit value is spelt 10 bits (two digits) at a time."""
    now = int(time.time() * 1000) << 80
    random = os.urandom(10 * count)
    p = _DIGIT_PAIRS
    ids = []
    for i in range(0, 10 * count, 10):
        v = now | int.from_bytes(random[i : i + 10])
        ids.append(
            f"{prefix}_{p[v >> 120]}{p[v >> 110 & 1023]}{p[v >> 100 & 1023]}"
            f"{p[v >> 90 & 1023]}{p[v >> 80 & 1023]}{p[v >> 70 & 1023]}{p[v >> 60 & 1023]}"
            f"{p[v >> 50 & 1023]}{p[v >> 40 & 1023]}{p[v >> 30 & 1023]}{p[v >> 20 & 1023]}"
            f"{p[v >> 10 & 1023]}{p[v & 1023]}"
        )
    return ids


def _naive(value: datetime | None) -> datetime | None:
    """An aware time as the naive UTC the columns hold (``models.UTCDateTime``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def _analyze(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE products, reviews, comments"))


def _reply(body: str | None) -> str | None:
    if body is None:
        return None
    try:
        reply: str | None = _REPLY.deserialize(body)
    except ma.ValidationError:
        return None
    return reply


def _message(error: ma.ValidationError) -> str:
    messages = error.messages
    if isinstance(messages, list) and messages:
        return str(messages[0]).rstrip(".").lower()
    return str(messages)


# ---------------------------------------------------------------- counters


def recount(session: Session, site: Site) -> None:
    """Set every counter of ``site`` from its rows: each product's summary, each
    review's published comment count, each question's published answers and their
    helpful votes, the per-status counts of the admin page.

    Aggregates grouped once over the site's rows, written only where a counter differs:
    after a million imported reviews without comments, nothing needs writing but the
    products' summaries."""
    published = (Review.site_id == site.id, Review.status == Status.PUBLISHED)
    stars = {
        f"stars_{n}": sa.func.sum(sa.case((Review.rating == n, 1), else_=0)) for n in range(1, 6)
    }
    by_product = (
        sa.select(
            Review.product_id.label("product_id"),
            sa.func.count().label("published_count"),
            sa.func.sum(Review.rating).label("rating_sum"),
            *(value.label(name) for name, value in stars.items()),
        )
        .where(*published)
        .group_by(Review.product_id)
        .subquery()
    )
    names = ["published_count", "rating_sum", *stars]
    session.execute(
        sa.update(Product)
        .where(
            Product.id == by_product.c.product_id,
            sa.or_(*(getattr(Product, n) != by_product.c[n] for n in names)),
        )
        .values({n: by_product.c[n] for n in names})
    )
    session.execute(
        sa.update(Product)
        .where(
            Product.site_id == site.id,
            Product.published_count != 0,
            Product.id.not_in(sa.select(Review.product_id).where(*published)),
        )
        .values(dict.fromkeys(names, 0))
    )
    by_review = (
        sa.select(Comment.review_id.label("review_id"), sa.func.count().label("n"))
        .where(
            Comment.site_id == site.id,
            Comment.status == Status.PUBLISHED,
            Comment.review_id.is_not(None),
        )
        .group_by(Comment.review_id)
        .subquery()
    )
    session.execute(
        sa.update(Review)
        .where(Review.id == by_review.c.review_id, Review.comment_count != by_review.c.n)
        .values(comment_count=by_review.c.n)
    )
    session.execute(
        sa.update(Review)
        .where(
            Review.site_id == site.id,
            Review.comment_count != 0,
            Review.id.not_in(sa.select(by_review.c.review_id)),
        )
        .values(comment_count=0)
    )
    published_answers = (Answer.status == Status.PUBLISHED, Answer.question_id == Question.id)
    session.execute(
        sa.update(Question)
        .where(Question.site_id == site.id)
        .values(
            answer_count=sa.select(sa.func.count()).where(*published_answers).scalar_subquery(),
            helpful_count=sa.select(sa.func.coalesce(sa.func.sum(Answer.helpful_count), 0))
            .where(*published_answers)
            .scalar_subquery(),
        )
    )
    session.execute(sa.delete(StatusCount).where(StatusCount.site_id == site.id))
    for model in (Review, Comment, Question, Answer, Idea):
        counted = session.execute(
            sa.select(model.status, sa.func.count())
            .where(model.site_id == site.id)
            .group_by(model.status)
        ).all()
        rows = [
            {"site_id": site.id, "subject": model.__tablename__, "status": s, "count": n}
            for s, n in counted
        ]
        if rows:
            session.execute(sa.insert(StatusCount), rows, execution_options=_ONE_STATEMENT)


# ---------------------------------------------------------------- the report


COMMUNITY: dict[str, Any] = {"question": Question, "answer": Answer, "idea": Idea}


def write_refused(path: Path, refused: list[Refused]) -> None:
    """The refused rows as a CSV (line, source id, reason), for the person importing."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "source_id", "reason"])
        for row in sorted(refused, key=lambda r: r.line):
            writer.writerow([row.line, row.source_id or "", row.reason])
