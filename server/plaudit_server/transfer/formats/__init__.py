"""One reader per tool a shop may come from.

Each module has ``read(path, options)``, a generator of records (streaming: a file of
any size in constant memory), and ``total(path)``, how many records it will yield, for
the progress bar (None when that would cost a read of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from ..records import Options, Record
from . import disqus, isso, judgeme, plaudit, yotpo


class Format(NamedTuple):
    read: Callable[[Path, Options], Iterator[Record]]
    total: Callable[[Path], int | None]


# ``plaudit import --format NAME``.
FORMATS: dict[str, Format] = {
    "judgeme": Format(judgeme.read, judgeme.total),
    "yotpo": Format(yotpo.read, yotpo.total),
    "disqus": Format(disqus.read, disqus.total),
    "isso": Format(isso.read, isso.total),
    "plaudit": Format(plaudit.read, plaudit.total),
}
