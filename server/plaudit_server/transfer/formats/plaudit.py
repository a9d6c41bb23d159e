"""Plaudit's own export (``transfer/export.py``): JSON Lines, read back as records.

Ids are kept (``ReviewRecord.id``) and are the keys the loader deduplicates and links
replies by; each item's own ``source`` and ``source_id`` (where it had come from before)
are kept as they are. So an export imported into an empty database exports again to
the same file, and importing it twice adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ...models import STORE, Status
from ..records import (
    CommentRecord,
    ImportFileError,
    Options,
    Other,
    Record,
    Refused,
    ReviewRecord,
    export_time,
)

MAX_LINE = 1024 * 1024


def total(path: Path) -> int | None:
    """One record per line."""
    count = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def read(path: Path, options: Options) -> Iterator[Record]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if len(raw) > MAX_LINE:
                yield Refused(number, f"line longer than {MAX_LINE} bytes")
                continue
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                if number == 1:
                    raise ImportFileError(f"not a Plaudit export (line 1: {error})") from None
                yield Refused(number, f"not JSON: {error}")
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
                yield Refused(number, "not an object with a type")
                continue
            if number == 1 and (obj["type"] != "site" or obj.get("format") != "plaudit-export"):
                raise ImportFileError("not a Plaudit export: the first line must be the site")
            try:
                yield _record(obj, number)
            except (KeyError, TypeError, ValueError) as error:
                yield Refused(number, f"{obj['type']}: bad or missing {error}", obj.get("id"))


def _record(obj: dict[str, Any], line: int) -> Record:
    kind = obj["type"]
    if kind == "review":
        reply = obj.get("reply")
        return ReviewRecord(
            source_id=obj["id"],
            id=obj["id"],
            origin=(obj.get("source"), obj.get("source_id")),
            product=obj["product"] if obj["product"] is not None else STORE,
            rating=obj["rating"],
            title=obj.get("title"),
            body=obj["body"],
            author_name=obj["author_name"],
            author_email=obj.get("author_email"),
            verified_buyer=bool(obj.get("verified_buyer")),
            status=Status(obj["status"]),
            helpful_count=int(obj.get("helpful_count") or 0),
            unhelpful_count=int(obj.get("unhelpful_count") or 0),
            reply_body=None if reply is None else reply["body"],
            reply_created_at=None if reply is None else export_time(reply["created_at"]),
            created_at=_required_time(obj, "created_at"),
            updated_at=export_time(obj.get("updated_at")),
            line=line,
        )
    if kind == "comment":
        return CommentRecord(
            source_id=obj["id"],
            id=obj["id"],
            origin=(obj.get("source"), obj.get("source_id")),
            product=obj["product"] if obj["product"] is not None else STORE,
            parent_source_id=obj.get("parent_id"),
            review_source_id=obj.get("review_id"),
            body=obj["body"],
            author_name=obj["author_name"],
            author_email=obj.get("author_email"),
            is_owner=bool(obj.get("is_owner")),
            status=Status(obj["status"]),
            created_at=_required_time(obj, "created_at"),
            updated_at=export_time(obj.get("updated_at")),
            line=line,
        )
    return Other(kind, obj, line)


def _required_time(obj: dict[str, Any], key: str) -> datetime:
    value = export_time(obj[key])
    if value is None:
        raise KeyError(key)
    return value
