"""One reader per tool a shop may come from: ``read(path, options)`` yields records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ..records import Options, Record
from . import plaudit

Reader = Callable[[Path, Options], Iterator[Record]]

# ``plaudit import --format NAME``.
READERS: dict[str, Reader] = {
    "plaudit": plaudit.read,
}
# Formats whose records are one per line of the file (a progress bar can show a total).
LINE_BASED = {"plaudit", "judgeme", "yotpo"}
