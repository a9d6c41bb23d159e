"""Reading other tools' CSV exports safely, as a stream, for the CSV importers.

Exports arrive from spreadsheets and old systems, so this module expects the worst and
never lets one bad row cost the rest of the file:

- The file is read one physical line at a time (never whole), each line decoded on its
  own: UTF-8 with or without a byte order mark, and a line that is not valid UTF-8 is
  read as Windows-1252 (what Excel writes on Western Windows). A UTF-8 character never
  spans a newline, so mixed files decode line by line; the summary says once how many
  lines were read as Windows-1252.
- A physical line longer than :data:`LINE_LIMIT` bytes is skipped up to its end without
  being held in memory, and its row refused. A field longer than :data:`FIELD_LIMIT`
  characters refuses its row (``csv.field_size_limit``).
- Records are assembled from physical lines by counting quote characters (RFC 4180
  doubles quotes inside quoted fields, so an odd count means "inside a quoted field",
  the way multi-line review bodies are written). When a record spanning several lines
  turns out broken (a quote opened and never closed, a stray quote, the wrong number of
  columns), only its first line is refused ("a quote opened here is never closed") and
  reading resumes at the next line, so one stray quote cannot swallow the rest of the
  file. A record is never held beyond :data:`RECORD_LIMIT` characters.
- A header row is required. Column names are matched ignoring case, surrounding space
  and the separators between words (``Review Title``, ``review_title`` and
  ``review-title`` are one column); each reader lists the spellings it accepts.
- A row with more or fewer cells than the header is refused, except for empty cells
  after the last column (spreadsheets add them). Blank lines are skipped.
- The delimiter is the comma, or the semicolon or tab when the header uses one of those
  and no comma (spreadsheets in many European locales write semicolons).

It also holds the rules the CSV readers share for what a row becomes: text cleaned as the
API cleans it (``fields.Text``), ratings and their scale, dates, booleans.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import unicodedata
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

import marshmallow as ma

from .. import fields
from ..timeutil import utcnow
from .records import ImportFileError, Note, Refused

LINE_LIMIT = 1024 * 1024  # bytes in one physical line
FIELD_LIMIT = 1024 * 1024  # characters in one field
RECORD_LIMIT = 4 * 1024 * 1024  # characters in one record (a row over several lines)

BODY_MAX = 5000
TITLE_MAX = 120
NAME_MAX = 80
ANONYMOUS = "Anonymous"

_BOM = b"\xef\xbb\xbf"
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def column_key(name: str) -> str:
    """The form a column name is matched by: ``" Review Title"`` -> ``review_title``."""
    return _SEPARATORS.sub("_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class Row:
    """One data row: its first physical line, and its cells by canonical column name
    (columns the file does not have are absent; :meth:`get` gives ``""`` for them)."""

    line: int
    cells: dict[str, str]

    def get(self, name: str) -> str:
        return self.cells.get(name, "")


@dataclass(frozen=True)
class Columns:
    """Which columns a reader knows: canonical name -> accepted spellings (compared by
    :func:`column_key`), and which canonical names the file must have."""

    spellings: Mapping[str, Sequence[str]]
    required: Sequence[str] = ()
    # Groups of which the file must have at least one (e.g. a product id or a SKU).
    any_of: Sequence[Sequence[str]] = ()
    # What the file should be, for the error when it lacks columns ("Judge.me's review
    # export"): the usual cause is a file given with the wrong --format.
    kind: str = ""


class _TooLong:
    """Marks a physical line that was longer than LINE_LIMIT (its text is not kept)."""


_TOO_LONG = _TooLong()


class _Decoder:
    """Decodes physical lines, remembering how many needed Windows-1252."""

    def __init__(self) -> None:
        self.cp1252_lines = 0
        self.utf8_non_ascii = 0

    def decode(self, raw: bytes) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.cp1252_lines += 1
            # Five bytes have no character in Windows-1252: they become U+FFFD.
            return raw.decode("cp1252", errors="replace")
        if not raw.isascii():
            self.utf8_non_ascii += 1
        return text

    def note(self) -> Note | None:
        if not self.cp1252_lines:
            return None
        lines = f"{self.cp1252_lines} line{'s' if self.cp1252_lines != 1 else ''}"
        if self.utf8_non_ascii:
            return Note(f"mixed encodings: {lines} not valid UTF-8 were read as Windows-1252")
        return Note(f"the file is not UTF-8: read as Windows-1252 ({lines})")


def _physical_lines(handle: BinaryIO, decoder: _Decoder) -> Iterator[tuple[int, str | _TooLong]]:
    """(line number, text) for each physical line; an overlong line is read through to
    its end in LINE_LIMIT pieces and reported as _TOO_LONG, never held whole."""
    number = 0
    while True:
        raw = handle.readline(LINE_LIMIT + 1)
        if not raw:
            return
        number += 1
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if len(raw) > LINE_LIMIT and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(LINE_LIMIT)
            yield number, _TOO_LONG
            continue
        yield number, decoder.decode(raw)


@dataclass
class _Record:
    line: int
    cells: list[str] | None  # None: refused, for ``reason``
    reason: str = ""
    # The physical lines after the first, when the record spans several: read again
    # (``_Assembler.reread``) if the record turns out to be rows a stray quote joined.
    rest: list[tuple[int, str]] = field(default_factory=list)


class _Assembler:
    """Turns physical lines into records (see the module docstring), with recovery:
    the lines after a broken record's first line are read again."""

    def __init__(self, lines: Iterator[tuple[int, str | _TooLong]], delimiter: str) -> None:
        self._lines = lines
        self._again: deque[tuple[int, str | _TooLong]] = deque()
        self.delimiter = delimiter

    def reread(self, lines: Sequence[tuple[int, str | _TooLong]]) -> None:
        """Read these lines again, before the rest of the file."""
        self._again.extendleft(reversed(lines))

    def _next_line(self) -> tuple[int, str | _TooLong] | None:
        if self._again:
            return self._again.popleft()
        return next(self._lines, None)

    def _parse(self, texts: list[str]) -> list[str]:
        reader = csv.reader(texts, delimiter=self.delimiter, strict=True)
        cells = next(reader, [])
        if next(reader, None) is not None:  # a record boundary inside: quoting is off
            raise csv.Error("quotes do not pair up")
        return cells

    def __iter__(self) -> Iterator[_Record]:
        while True:
            first = self._next_line()
            if first is None:
                return
            start, text = first
            if isinstance(text, _TooLong):
                yield _Record(start, None, f"the line is longer than {_mib(LINE_LIMIT)}")
                continue
            if not text.strip():
                continue
            lines: list[tuple[int, str]] = [(start, text)]
            size = len(text)
            quotes = text.count('"')
            broken = ""
            while quotes % 2:
                following = self._next_line()
                if following is None:
                    broken = "a quote opened here is never closed"
                    self.reread(lines[1:])
                    break
                number, more = following
                if isinstance(more, _TooLong):
                    # Inside a quoted field: the row has a field too long to keep.
                    broken = f"its line {number} is longer than {_mib(LINE_LIMIT)}"
                    break
                lines.append((number, more))
                size += len(more)
                quotes += more.count('"')
                if size > RECORD_LIMIT:
                    broken = (
                        "a quote opened here is never closed (or a field is longer "
                        f"than {_mib(RECORD_LIMIT)})"
                    )
                    self.reread(lines[1:])
                    break
            if broken:
                yield _Record(start, None, broken)
                continue
            try:
                cells = self._parse([line for _, line in lines])
            except csv.Error as error:
                message = str(error)
                if "field larger than field limit" in message:
                    yield _Record(start, None, f"a field is longer than {_mib(FIELD_LIMIT)}")
                    continue
                self.reread(lines[1:])
                if "expected after" in message:
                    message = "a closing quote is followed by other characters"
                yield _Record(start, None, f"broken quoting: {message}")
                continue
            yield _Record(start, cells, "", lines[1:])


def _mib(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB"


def _delimiter(header: str) -> str:
    if "," in header:
        return ","
    if ";" in header:
        return ";"
    if "\t" in header:
        return "\t"
    return ","


def read_rows(path: Path, columns: Columns) -> Iterator[Row | Refused | Note]:
    """Every data row of the CSV file at ``path`` in file order, as :class:`Row`, or
    :class:`Refused` for a row that cannot be read, then :class:`Note` about the
    encoding. Raises ImportFileError if the file cannot be opened, is empty, or lacks a
    required column."""
    csv.field_size_limit(FIELD_LIMIT)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise ImportFileError(f"cannot open the file: {error.strerror or error}") from error
    with handle:
        decoder = _Decoder()
        lines = _physical_lines(handle, decoder)
        header_line: tuple[int, str | _TooLong] | None = None
        for number, text in lines:
            if isinstance(text, _TooLong) or text.strip():
                header_line = (number, text)
                break
        if header_line is None:
            raise ImportFileError("the file is empty: a header row is required")
        if isinstance(header_line[1], _TooLong):
            raise ImportFileError("the first line is too long to be a header row")
        assembler = _Assembler(lines, _delimiter(header_line[1]))
        assembler.reread([header_line])
        records = iter(assembler)
        header = next(records, None)
        if "\r" in header_line[1].rstrip("\r\n"):
            raise ImportFileError(
                "its lines end with a carriage return alone (classic Mac OS): "
                "save it with ordinary line ends"
            )
        if header is None or header.cells is None:
            raise ImportFileError(
                f"the header row cannot be read ({header.reason if header else 'empty'})"
            )
        names = _map_header(header.cells, columns)
        width = len(header.cells)
        for record in records:
            if record.cells is None:
                yield Refused(record.line, record.reason)
                continue
            cells = record.cells
            if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
                cells = cells[:width]
            if len(cells) != width:
                if record.rest:
                    assembler.reread(record.rest)
                    yield Refused(
                        record.line,
                        f"{len(cells)} columns, expected {width} (a quote opened here "
                        "is probably never closed)",
                    )
                else:
                    yield Refused(record.line, f"{len(cells)} columns, expected {width}")
                continue
            yield Row(
                record.line,
                {name: cells[index] for index, name in names.items()},
            )
        note = decoder.note()
        if note is not None:
            yield note


def _map_header(cells: list[str], columns: Columns) -> dict[int, str]:
    """Column index -> canonical name, for the columns the reader knows."""
    lookup: dict[str, str] = {}
    for canonical, spellings in columns.spellings.items():
        for spelling in (canonical, *spellings):
            lookup[column_key(spelling)] = canonical
    found: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, cell in enumerate(cells):
        known = lookup.get(column_key(cell))
        if known is None:
            continue
        if known in seen:
            raise ImportFileError(
                f"the header has the column {known!r} twice ({seen[known]!r} and {cell.strip()!r})"
            )
        seen[known] = cell.strip()
        found[index] = known
    missing = [name for name in columns.required if name not in seen]
    missing += [" or ".join(group) for group in columns.any_of if not any(n in seen for n in group)]
    if missing:
        raise ImportFileError(
            "the header row lacks the column"
            + ("s " if len(missing) > 1 else " ")
            + ", ".join(missing)
            + (f": not {columns.kind}" if columns.kind else "")
        )
    return found


def count_rows(path: Path) -> int | None:
    """About how many data rows the file has, for a progress bar's total: newlines
    outside quoted fields (counted by block, so a 1 GB file is read in C-speed pieces,
    never held), less the header. Exact for a well-formed file; None if it cannot be
    opened (reading it then says why)."""
    try:
        handle = path.open("rb")
    except OSError:
        return None
    lines = 0
    inside = False
    last = b"\n"
    with handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            for index, piece in enumerate(block.split(b'"')):
                if index:
                    inside = not inside
                if not inside:
                    lines += piece.count(b"\n")
            last = block[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def sample(path: Path, columns: Columns, name: str, limit: int = 1000) -> list[str]:
    """The first ``limit`` non-empty values of one column, read from the file again:
    for decisions about the whole file (the rating scale) in constant memory."""
    values: list[str] = []
    for item in read_rows(path, columns):
        if isinstance(item, Row) and item.get(name).strip():
            values.append(item.get(name).strip())
            if len(values) >= limit:
                break
    return values


# --- what a row becomes -------------------------------------------------------------


class RowError(Exception):
    """A cell makes its row unusable; the message is the refusal's reason."""


_TEXT_FIELDS: dict[tuple[int, bool], fields.Text] = {}
_ASCII_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = fields.EmailAddress()


def _text_field(max_length: int, name: bool) -> fields.Text:
    cached = _TEXT_FIELDS.get((max_length, name))
    if cached is None:
        kind = fields.Name if name else fields.Text
        cached = _TEXT_FIELDS[max_length, name] = kind(max_length=max_length, min_length=0)
    return cached


def text(value: str, what: str, max_length: int, *, name: bool = False) -> str:
    """``value`` cleaned as the API cleans submitted text (trimmed, NFC, control
    characters refused; names also without invisible formatting), ``""`` when blank.
    Raises RowError (naming ``what``) when it is too long or has control characters."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.isascii() and _ASCII_CONTROL.search(value) is None:
        # The common case, without marshmallow's cost per call (a million rows): for
        # ASCII, fields.Text's rules come down to trimming and the length.
        value = value.strip()
        if len(value) > max_length:
            raise RowError(f"{what} is {len(value)} characters (at most {max_length})")
        return value
    field = _text_field(max_length, name)
    try:
        return str(field.deserialize(value))
    except ma.ValidationError as error:
        message = " ".join(str(m) for m in _messages(error))
        if "at most" in message:
            length = len(value.strip())
            raise RowError(f"{what} is {length} characters (at most {max_length})") from None
        if "control" in message:
            raise RowError(f"{what} contains control characters") from None
        message = message.rstrip(".")
        raise RowError(f"{what}: {message[:1].lower()}{message[1:]}") from None


def _messages(error: ma.ValidationError) -> list[str]:
    messages = error.messages
    if isinstance(messages, dict):
        return [str(m) for value in messages.values() for m in value]
    return [str(m) for m in messages]


_NAME_JOINERS = frozenset("\u200c\u200d")
_NAME_DROPPED = frozenset({"Cc", "Cs", "Cf", "Cn"})


def _clean_name(value: str) -> str:
    """A name as ``fields.Name`` takes it, cleaned instead of refused (a name is no
    reason to lose a review): one line, single spaces, no control or invisible
    formatting characters (joiners kept), NFC; "" when nothing visible is left."""
    joined = " ".join(value.split())
    if joined.isascii():
        return _ASCII_CONTROL.sub("", joined).strip()
    kept = "".join(
        char
        for char in joined
        if char in _NAME_JOINERS or unicodedata.category(char) not in _NAME_DROPPED
    )
    return "" if fields.is_blank(kept) else unicodedata.normalize("NFC", kept).strip()


class People:
    """Names and addresses of one file's reviewers, cleaned rather than refused, and
    counted for the summary's notes (the same words as the Disqus reader's)."""

    def __init__(self) -> None:
        self.names_shortened = 0
        self.emails_dropped = 0

    def name(self, value: str) -> str:
        """The name shown with the review; an empty one is "Anonymous"; at most 80
        characters (a longer one is shortened, with an ellipsis)."""
        name = _clean_name(value)
        if not name:
            return ANONYMOUS
        if len(name) > NAME_MAX:
            self.names_shortened += 1
            name = name[: NAME_MAX - 1].rstrip() + "\u2026"
        return name

    def email(self, value: str) -> str | None:
        """An address the API would take, else None: a bad address is left out, never
        a reason to lose the review."""
        value = value.strip()
        if not value:
            return None
        try:
            return str(_EMAIL.deserialize(value))
        except ma.ValidationError:
            self.emails_dropped += 1
            return None

    def notes(self) -> Iterator[Note]:
        if self.names_shortened:
            yield Note(
                f"author names longer than {NAME_MAX} characters were shortened "
                f"({self.names_shortened})"
            )
        if self.emails_dropped:
            yield Note(f"e-mail addresses that are not valid were left out ({self.emails_dropped})")


def product(value: str, what: str) -> str:
    """A product id that fits the API's rule, or RowError saying which value did not."""
    value = value.strip()
    if not value:
        raise RowError(f"no {what}")
    if fields.PRODUCT_RE.fullmatch(value) is None:
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise RowError(f"{what} {shown!r} is not a product id (1-128 of A-Z a-z 0-9 . _ : -)")
    return value


_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f", ""})


def boolean(value: str, what: str) -> bool:
    """A yes/no cell (true/false, yes/no, 1/0; empty is no)."""
    key = value.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise RowError(f"{what} {value.strip()!r} is not true or false")


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S %Z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)


def date(value: str, what: str) -> datetime:
    """A timestamp as exports write them, as an aware UTC datetime: ISO 8601 (with or
    without time, zone, ``Z`` or a trailing ``UTC``), ``YYYY/MM/DD``, and US
    ``MM/DD/YYYY`` (Yotpo's). A time without zone is UTC. Day-first dates are refused
    rather than guessed (``03/04/2024`` would be read wrong half the time)."""
    raw = value.strip()
    if not raw:
        raise RowError(f"no {what}")
    parsed: datetime | None = None
    candidate = raw
    if candidate.endswith(" UTC"):
        candidate = candidate[:-4]
    if candidate[-1:] in ("Z", "z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        for pattern in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(raw, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise RowError(f"{what} {shown!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if parsed > utcnow():
        raise RowError(f"{what} {raw!r} is in the future")
    return parsed


@dataclass(frozen=True)
class RatingScale:
    """The scale a file's ratings are given on (5, 10 or 100), decided once per file
    from a sample (:func:`decide_scale`), and how a rating on it becomes 1-5 stars."""

    top: int

    def stars(self, value: str) -> int:
        raw = value.strip()
        if not raw:
            raise RowError("no rating")
        try:
            number = Decimal(raw.replace(",", ".", 1) if raw.count(",") == 1 else raw)
        except InvalidOperation:
            raise RowError(f"rating {raw!r} is not a number") from None
        if not number.is_finite():
            raise RowError(f"rating {raw!r} is not a number")
        if self.top == 5:
            if number != number.to_integral_value() or not 1 <= number <= 5:
                raise RowError(f"rating {raw} is not 1-5")
            return int(number)
        low = 0
        if not low <= number <= self.top:
            raise RowError(f"rating {raw} is not 0-{self.top}")
        # Equal buckets, half up: out of 10, 1-2 -> 1, ..., 9-10 -> 5; 0 is 1 star.
        stars = (number * 5 / self.top).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return max(1, int(stars))

    def note(self, mapped: int) -> Note | None:
        if self.top == 5 or not mapped:
            return None
        rows = f"{mapped} row{'s' if mapped != 1 else ''}"
        return Note(f"ratings out of {self.top} were mapped to 1-5 stars ({rows})")


def decide_scale(values: Sequence[str]) -> RatingScale:
    """Out of 5 unless the sample says otherwise: out of 100 when at least a quarter of
    the numeric values are above 10, else out of 10 when at least a quarter are above
    5. A few 6s or 7s in a file of 1-5 ratings are mistakes to refuse one by one, not a
    scale: a file rated out of 10 has most of its ratings above 5. Values beyond the
    scale found are refused row by row."""
    above5 = above10 = total = 0
    for value in values:
        try:
            number = Decimal(value.replace(",", ".", 1) if value.count(",") == 1 else value)
        except InvalidOperation:
            continue
        if not number.is_finite():
            continue
        total += 1
        above5 += number > 5
        above10 += number > 10
    quarter = max(1, math.ceil(total / 4))
    if total and above10 >= quarter:
        return RatingScale(100)
    if total and above5 >= quarter:
        return RatingScale(10)
    return RatingScale(5)


def stable_id(prefix: str, *parts: str) -> str:
    """An id for a row whose source gives none, the same every time the same row is
    read (so importing the file again finds it): a hash of what identifies the row."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{prefix}{digest[:32]}"
