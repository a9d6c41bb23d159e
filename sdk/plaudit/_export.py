"""Writing exports to a file, with a progress bar on a terminal: reviews as CSV or JSON
Lines from the admin list (:class:`Exporter`), and the site's open-format export as the
server streams it (:class:`StreamExporter`)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import IO, Any, Final, TextIO, cast

Destination = str | os.PathLike[str] | IO[str] | IO[bytes]

CSV_COLUMNS: Final = (
    "id",
    "product",
    "status",
    "rating",
    "title",
    "body",
    "author_name",
    "author_email",
    "verified_buyer",
    "helpful_count",
    "unhelpful_count",
    "comment_count",
    "spam_reasons",
    "created_at",
    "updated_at",
    "reply_body",
    "reply_created_at",
)

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV
# injection"); tab and carriage return are on the list because some programs skip them
# before looking for the formula sign.
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with ``'``, making it text."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def csv_row(review: Mapping[str, Any]) -> list[Any]:
    """One exported review as CSV cells, every text cell neutralised."""
    reply = review.get("reply") or {}
    values: dict[str, Any] = {
        **review,
        "spam_reasons": "; ".join(review.get("spam_reasons") or []),
        "reply_body": reply.get("body"),
        "reply_created_at": reply.get("created_at"),
    }
    row: list[Any] = []
    for column in CSV_COLUMNS:
        value = values.get(column)
        if value is None:
            row.append("")
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        elif isinstance(value, int | float):
            row.append(value)
        else:
            row.append(neutralise(str(value)))
    return row


class ProgressBar:
    """A one-line bar redrawn in place with ``\\r``, at most ten times a second."""

    WIDTH: Final = 30

    def __init__(self, stream: TextIO, label: str = "Exporting reviews") -> None:
        self.stream = stream
        self.label = label
        self.total: int | None = None
        self.count = 0
        self._drawn_at = 0.0

    def update(self, count: int, *, force: bool = False) -> None:
        self.count = count
        now = time.monotonic()
        if not force and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        if self.total:
            total = max(self.total, count)
            filled = round(self.WIDTH * count / total)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            text = f"{self.label} [{bar}] {count * 100 // total:3d}% {count}/{total}"
        else:
            text = f"{self.label}: {count}"
        self.stream.write("\r" + text)
        self.stream.flush()

    def finish(self) -> None:
        self.update(self.count, force=True)
        self.stream.write("\n")
        self.stream.flush()


def open_temporary(target: str | os.PathLike[str], mode: str) -> tuple[IO[Any], str]:
    """A temporary file next to ``target`` (so it can replace it atomically) and its path."""
    directory = os.path.dirname(os.path.abspath(os.fspath(target)))
    fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".plaudit-export-", suffix=".partial")
    if "b" in mode:
        return open(fd, mode), temp_path
    return open(fd, mode, encoding="utf-8", newline=""), temp_path


def close_temporary(
    out: IO[Any], temp_path: str, target: str | os.PathLike[str], *, complete: bool
) -> None:
    """Put a finished temporary file in place of ``target``; remove an unfinished one."""
    out.close()
    if complete:
        os.replace(temp_path, os.fspath(target))
    else:
        os.unlink(temp_path)


def _progress_bar(progress: bool | None, label: str) -> ProgressBar | None:
    stream = sys.stderr
    show = stream is not None and stream.isatty() if progress is None else progress
    return ProgressBar(stream, label) if show and stream is not None else None


def _is_text(file: object) -> bool:
    return isinstance(file, io.TextIOBase) or hasattr(file, "encoding")


class Exporter:
    """Opens the destination, writes reviews in the chosen format, reports progress.

    Used as a context manager: a path is written to a temporary file that replaces the
    target only when the export completed.
    """

    def __init__(self, file: Destination, *, format: str, progress: bool | None) -> None:
        if format not in ("csv", "jsonl"):
            raise ValueError(f'format must be "csv" or "jsonl", not {format!r}.')
        self.format = format
        self.count = 0
        self._file = file
        self._out: TextIO | None = None
        self._temp_path: str | None = None
        self._wrapper: io.TextIOWrapper | None = None
        self._csv: Any = None
        self._progress = _progress_bar(progress, "Exporting reviews")

    @property
    def wants_total(self) -> bool:
        """Whether a total count would be shown (only worth a request with a bar)."""
        return self._progress is not None

    def set_total(self, total: int | None) -> None:
        if self._progress is not None:
            self._progress.total = total
            self._progress.update(0, force=True)

    def __enter__(self) -> Exporter:
        file = self._file
        out: TextIO
        if isinstance(file, str | os.PathLike):
            temp, self._temp_path = open_temporary(file, "w")
            out = cast(TextIO, temp)
        elif _is_text(file):
            out = cast(TextIO, file)
        else:
            # A binary file: write UTF-8 through a wrapper that is detached at the end,
            # so the caller's file stays open.
            self._wrapper = io.TextIOWrapper(
                cast(IO[bytes], file), encoding="utf-8", newline="", write_through=True
            )
            out = self._wrapper
        self._out = out
        if self.format == "csv":
            self._csv = csv.writer(out)
            self._csv.writerow(CSV_COLUMNS)
        return self

    def write_many(self, reviews: Iterable[Mapping[str, Any]]) -> None:
        assert self._out is not None, "use the exporter as a context manager"
        for review in reviews:
            if self._csv is not None:
                self._csv.writerow(csv_row(review))
            else:
                self._out.write(json.dumps(review, ensure_ascii=False) + "\n")
            self.count += 1
        if self._progress is not None:
            self._progress.update(self.count)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.finish()
        out = self._out
        if out is None:
            return
        if self._temp_path is not None:
            target = cast("str | os.PathLike[str]", self._file)
            close_temporary(out, self._temp_path, target, complete=exc_type is None)
        elif self._wrapper is not None:
            self._wrapper.flush()
            self._wrapper.detach()  # the caller's binary file stays open
        else:
            out.flush()


class StreamExporter:
    """Writes a JSON Lines body to the destination chunk by chunk, as it arrives.

    The bytes are written as they are (a path or a binary file gets exactly what the
    server sent, so the file equals what ``plaudit export`` writes); a text file gets
    them decoded from UTF-8, a chunk that ends inside a character waiting for the next.
    ``count`` is the number of complete lines so far. Used as a context manager: a path
    is written to a temporary file that replaces it only when the export completed.
    """

    def __init__(self, file: Destination, *, progress: bool | None) -> None:
        self.count = 0
        self._file = file
        self._out: IO[Any] | None = None
        self._temp_path: str | None = None
        self._decoder: codecs.IncrementalDecoder | None = None
        self._ends_line = True
        self._progress = _progress_bar(progress, "Exporting site")

    def __enter__(self) -> StreamExporter:
        file = self._file
        if isinstance(file, str | os.PathLike):
            self._out, self._temp_path = open_temporary(file, "wb")
        else:
            if _is_text(file):
                self._decoder = codecs.getincrementaldecoder("utf-8")()
            self._out = cast(IO[Any], file)
        if self._progress is not None:
            self._progress.update(0, force=True)
        return self

    def write(self, chunk: bytes) -> None:
        assert self._out is not None, "use the exporter as a context manager"
        if not chunk:
            return
        self._out.write(self._decoder.decode(chunk) if self._decoder is not None else chunk)
        self.count += chunk.count(b"\n")
        self._ends_line = chunk.endswith(b"\n")
        if self._progress is not None:
            self._progress.update(self.count)

    @property
    def complete(self) -> bool:
        """Whether what was written ends with a whole line (a cut body does not)."""
        return self._ends_line

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.finish()
        out = self._out
        if out is None:
            return
        if self._temp_path is not None:
            target = cast("str | os.PathLike[str]", self._file)
            close_temporary(out, self._temp_path, target, complete=exc_type is None)
            return
        if self._decoder is not None and exc_type is None:
            out.write(self._decoder.decode(b"", final=True))
        out.flush()


def split_lines(pending: bytearray, chunk: bytes) -> list[bytearray]:
    """The lines ``chunk`` completes (without their newline); the unfinished end stays in
    ``pending`` for the next chunk.

    Split on ``\\n`` alone: a JSON string written with ``ensure_ascii=False`` may hold
    U+2028 or U+0085, which :meth:`str.splitlines` (and so ``httpx``'s ``iter_lines``)
    would take for line ends.
    """
    pending += chunk
    *lines, rest = pending.split(b"\n")
    pending[:] = rest
    return lines
