"""Writing exported reviews as CSV or JSON Lines, with a progress bar on a terminal."""

from __future__ import annotations

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
        stream = sys.stderr
        show = stream is not None and stream.isatty() if progress is None else progress
        self._progress = ProgressBar(stream) if show and stream is not None else None

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
            target = os.fspath(file)
            directory = os.path.dirname(os.path.abspath(target))
            fd, self._temp_path = tempfile.mkstemp(
                dir=directory, prefix=".plaudit-export-", suffix=".partial"
            )
            out = open(fd, "w", encoding="utf-8", newline="")
        elif isinstance(file, io.TextIOBase) or hasattr(file, "encoding"):
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
            out.close()
            if exc_type is None:
                os.replace(self._temp_path, os.fspath(cast("str | os.PathLike[str]", self._file)))
            else:
                os.unlink(self._temp_path)
        elif self._wrapper is not None:
            self._wrapper.flush()
            self._wrapper.detach()  # the caller's binary file stays open
        else:
            out.flush()
