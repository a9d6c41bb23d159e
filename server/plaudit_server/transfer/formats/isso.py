"""Isso's SQLite database: threads (one per page URI) and their comments.

Isso (https://isso-comments.de) keeps everything in one SQLite file:
``threads(id, uri, title)`` and ``comments(tid, id, parent, created, modified, mode,
remote_addr, text, author, email, website, likes, dislikes, voters, notification)``.
``created``/``modified`` are Unix times (floats), ``mode`` is 1 accepted, 2 waiting for
moderation, 4 deleted (Isso keeps a deleted comment that has replies as an empty row so
the replies keep their place; one without replies is gone from the file), ``text`` is
the Markdown the commenter typed: already plain text, kept as it is.

The file is opened read only (Isso may still be running on it) and read in comment id
order through one cursor, so a database of any size streams in constant memory. A
comment's ``line`` in the report is its Isso id; its source id is that id and its
creation time (``12@1714546800.25``, see :func:`source_id`). The product id comes from the thread's
URI: ``--thread-pattern`` (a regular expression with one group, searched in the URI) or
else the URI path's last non-empty segment (``/products/grinder-aurora/`` gives
``grinder-aurora``).
"""

from __future__ import annotations

import math
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import marshmallow as ma

from ...fields import PRODUCT_RE, EmailAddress, Name, Text, is_blank
from ...models import Status
from ..records import CommentRecord, ImportFileError, Note, Options, Record, Refused

# What a deleted comment that still has replies is kept as (Isso emptied its text): a
# rejected comment, never shown, that holds its replies' place in the thread.
DELETED_BODY = "(deleted in Isso)"

BODY_MAX = 5000
NAME_MAX = 80

# Lone surrogates: bytes that were not UTF-8 (see ``_decode``).
_SURROGATE = re.compile("[\ud800-\udfff]")

_MODES = {1: Status.PUBLISHED, 2: Status.PENDING, 4: Status.REJECTED}

# The columns read (Isso 0.10 and later have them all; ``notification`` is not needed).
_THREAD_COLUMNS = {"id", "uri"}
_COMMENT_COLUMNS = {"tid", "id", "parent", "created", "modified", "mode", "text", "author"}
_COMMENT_OPTIONAL = ("email", "website", "likes", "dislikes")

_body_field = Text(max_length=BODY_MAX)
_name_field = Name(max_length=NAME_MAX)
_email_field = EmailAddress()


def read(path: Path, options: Options) -> Iterator[Record]:
    """Every comment of the Isso database at ``path``, in id order (replies after the
    comment they answer, as Isso numbers them)."""
    pattern = _thread_pattern(options.thread_pattern)
    con, columns = _connect(path)
    try:
        yield from _comments(con, columns, pattern)
    finally:
        con.close()


def total(path: Path) -> int | None:
    """How many records :func:`read` will yield besides notes (one per comment row), for
    a progress bar's total; None if the file cannot tell (``read`` then says why)."""
    try:
        con, _ = _connect(path)
    except ImportFileError:
        return None
    try:
        count = con.execute("SELECT count(*) FROM comments").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        con.close()
    return int(count)


def _thread_pattern(source: str | None) -> re.Pattern[str] | None:
    """The ``--thread-pattern`` regular expression, checked before anything is read: a
    pattern that cannot pick a product id would refuse every row for the same reason."""
    if source is None:
        return None
    try:
        pattern = re.compile(source)
    except re.error as exc:
        raise ImportFileError(f"--thread-pattern is not a regular expression: {exc}") from exc
    if pattern.groups != 1:
        raise ImportFileError(
            f"--thread-pattern must have exactly one group (the product id), "
            f"{source!r} has {pattern.groups}"
        )
    return pattern


def _decode(data: bytes) -> str:
    # Bytes that are not UTF-8 become lone surrogates, and the row that has them is
    # refused ("not valid UTF-8") instead of the whole read failing on it.
    return data.decode("utf-8", "surrogateescape")


def _connect(path: Path) -> tuple[sqlite3.Connection, set[str]]:
    """A read-only connection to an Isso database and the columns its comments table
    has, or ImportFileError saying why not."""
    if not path.is_file():
        raise ImportFileError("no such file (or it is a folder)")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ImportFileError(f"cannot be opened: {exc}") from exc
    con.text_factory = _decode
    try:
        tables = {
            name: {row[1] for row in con.execute(f"PRAGMA table_info({name})")}
            for name in ("threads", "comments")
        }
    except sqlite3.DatabaseError as exc:
        con.close()
        raise ImportFileError(f"not an SQLite database, as Isso's is ({exc})") from exc
    missing = [
        f"{table}.{column}"
        for table, columns in (("threads", _THREAD_COLUMNS), ("comments", _COMMENT_COLUMNS))
        for column in sorted(columns - tables[table])
    ]
    if missing:
        con.close()
        what = (
            "has no threads and comments tables"
            if not tables["threads"] and not tables["comments"]
            else f"lacks {', '.join(missing)}"
        )
        raise ImportFileError(f"not an Isso database: it {what}")
    con.row_factory = sqlite3.Row
    return con, tables["comments"]


def _comments(
    con: sqlite3.Connection, columns: set[str], pattern: re.Pattern[str] | None
) -> Iterator[Record]:
    # Columns an old or trimmed database lacks read as NULL.
    optional = ", ".join(
        f"c.{name}" if name in columns else f"NULL AS {name}" for name in _COMMENT_OPTIONAL
    )
    sql = (
        "SELECT c.id, c.tid, t.uri, c.parent, p.created AS parent_created, c.created, "
        f"c.modified, c.mode, c.text, c.author, {optional} "
        "FROM comments AS c LEFT JOIN threads AS t ON t.id = c.tid "
        "LEFT JOIN comments AS p ON p.id = c.parent ORDER BY c.id"
    )
    counts = {"deleted": 0, "votes": 0, "website": 0, "email": 0}
    try:
        for row in con.execute(sql):
            yield _record(row, pattern, counts)
    except sqlite3.DatabaseError as exc:
        raise ImportFileError(f"the database could not be read to the end: {exc}") from exc
    yield from _notes(counts)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _notes(counts: dict[str, int]) -> Iterator[Note]:
    """What the summary says once, after the rows: what was changed or left out."""
    if counts["deleted"]:
        yield Note(
            f"comments deleted in Isso that still had replies were kept as rejected "
            f'comments reading "{DELETED_BODY}", so their replies stay in the thread '
            f"({_rows(counts['deleted'])})"
        )
    if counts["votes"]:
        yield Note(
            "likes and dislikes of comments were not kept, comments have no votes here "
            f"({_rows(counts['votes'])} had some)"
        )
    if counts["website"]:
        yield Note(f"commenters' websites were not kept ({_rows(counts['website'])} had one)")
    if counts["email"]:
        yield Note(f"e-mail addresses that are not valid were left out ({_rows(counts['email'])})")


class _Bad(Exception):
    """Why a row cannot be a record (the reason, as the report says it)."""


def _record(
    row: sqlite3.Row, pattern: re.Pattern[str] | None, counts: dict[str, int]
) -> CommentRecord | Refused:
    """One comment row as a record, or the first reason it cannot be one."""
    comment_id = row["id"]
    line = comment_id if isinstance(comment_id, int) else 0
    try:
        return _comment(row, pattern, counts)
    except _Bad as bad:
        return Refused(line, str(bad), str(comment_id))


def _comment(
    row: sqlite3.Row, pattern: re.Pattern[str] | None, counts: dict[str, int]
) -> CommentRecord:
    if row["uri"] is None:
        raise _Bad(f"thread {row['tid']} does not exist")
    product = _product(row["uri"], pattern)
    created = _time(row["created"], "created")
    modified = None if row["modified"] is None else _time(row["modified"], "modified")
    status = _MODES.get(row["mode"]) if isinstance(row["mode"], int) else None
    if status is None:
        raise _Bad(f"mode {row['mode']!r} is not 1 (accepted), 2 (pending) or 4 (deleted)")

    raw_text = row["text"]
    if status is Status.REJECTED and (raw_text is None or is_blank(str(raw_text))):
        body = DELETED_BODY
        counts["deleted"] += 1
    else:
        body = _text(raw_text, "text", _body_field, BODY_MAX)
    author = "Anonymous"
    if row["author"] is not None:
        author = _text(row["author"], "author name", _name_field, NAME_MAX, blank_ok=True)
        author = author or "Anonymous"

    email = _email(row["email"])
    if email is None and isinstance(row["email"], str) and not is_blank(row["email"]):
        counts["email"] += 1
    if _positive(row["likes"]) or _positive(row["dislikes"]):
        counts["votes"] += 1
    if isinstance(row["website"], str) and not is_blank(row["website"]):
        counts["website"] += 1

    return CommentRecord(
        source_id=source_id(row["id"], row["created"]),
        product=product,
        body=body,
        author_name=author,
        created_at=created,
        line=row["id"],
        parent_source_id=_parent(row),
        author_email=email,
        status=status,
        updated_at=modified,
    )


def _parent(row: sqlite3.Row) -> str | None:
    """The source id of the comment this one answers."""
    parent = row["parent"]
    if parent in (None, 0, "", "0"):  # Isso writes "none" as NULL; requests sent 0
        return None
    if row["parent_created"] is None:  # not in the file: the loader says it is not found
        return str(parent)
    return source_id(parent, row["parent_created"])


def source_id(comment_id: object, created: object) -> str:
    """A comment's id with its creation time: SQLite gives a removed last row's id to
    the next comment, so an id alone could name two comments over the life of a site
    (imported once, deleted in Isso, its id reused, imported again)."""
    return f"{comment_id}@{created!r}"


def _product(uri: object, pattern: re.Pattern[str] | None) -> str:
    """The product id a thread URI names."""
    if not isinstance(uri, str):
        raise _Bad(f"thread URI {uri!r} is not text")
    if pattern is not None:
        match = pattern.search(uri)
        if match is None or match.group(1) is None:
            raise _Bad(f"thread URI {uri!r} does not match --thread-pattern")
        value = match.group(1)
    else:
        segments = [part for part in urlsplit(uri).path.split("/") if part]
        if not segments:
            raise _Bad(f"thread URI {uri!r} has no path segment to use as the product id")
        value = unquote(segments[-1])
    if not PRODUCT_RE.fullmatch(value):
        raise _Bad(
            f"thread URI {uri!r} gives product id {value!r}, "
            "which is not 1-128 characters of A-Z a-z 0-9 . _ : -"
        )
    return value


def _time(value: object, what: str) -> datetime:
    """An Isso time (seconds since 1970, a float) as an aware UTC datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise _Bad(f"{what} {value!r} is not a Unix time")


def _text(raw: object, what: str, field: Text, max_length: int, *, blank_ok: bool = False) -> str:
    """``raw`` as the API would store it (trimmed, NFC), or _Bad saying why the API
    would refuse it. Blank text is "" when ``blank_ok``, else refused."""
    if raw is None:
        raise _Bad(f"no {what}")
    if not isinstance(raw, str):
        raise _Bad(f"{what} is not text")
    if _SURROGATE.search(raw):
        raise _Bad(f"{what} is not valid UTF-8")
    text = unicodedata.normalize("NFC", raw.strip())
    if is_blank(text):
        if blank_ok:
            return ""
        raise _Bad(f"no {what}")
    if len(text) > max_length:
        raise _Bad(f"{what} is longer than {max_length} characters ({len(text)})")
    try:
        return str(field.deserialize(text))
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
        message = str(messages[0]).rstrip(".")
        raise _Bad(f"{what}: {message[:1].lower()}{message[1:]}") from None


def _email(value: object) -> str | None:
    """The address if it is one the API would take, else None (dropped, not refused)."""
    if not isinstance(value, str):
        return None
    address = unicodedata.normalize("NFC", value.strip())
    if not address:
        return None
    try:
        checked = _email_field.deserialize(address)
    except ma.ValidationError:
        return None
    return str(checked) if checked else None


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
