"""Write the sync SDK (``plaudit/_sync``) from the async one (``plaudit/_async``).

The async code is the one source of the client, resources and pages; this script takes
out ``async``/``await`` and the ``Async`` prefix of names (the rules below), then lets
ruff tidy what that leaves (import order, imports the sync code no longer uses,
``yield from``) and format the result, so the generated files read like hand-written
ones. Why generate at all is in the docstring of ``plaudit/_async/__init__.py``.

    python sdk/scripts/unasync.py          # rewrite plaudit/_sync from plaudit/_async
    python sdk/scripts/unasync.py --check  # exit 1, naming the stale files, if out of date

The check runs in the test suite (tests/sdk/test_generated.py), so CI fails on a sync
file that was edited by hand or not regenerated.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "plaudit"
SOURCE = PACKAGE / "_async"
TARGET = PACKAGE / "_sync"

# Applied in order to the whole text, docstrings included (their examples are written
# with ``await`` and come out as the sync calls they are).
RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern), replacement)
    for pattern, replacement in [
        (r"\basync (def|for|with)\b", r"\1"),
        (r"\bawait ", ""),
        (r"\b__a(enter|exit|iter|next)__\b", r"__\1__"),
        (r"\baclose\b", "close"),
        (r"\bAwaitable\[(\w+)\]", r"\1"),  # Callable[[str], Awaitable[Self]]
        (r"\basynccontextmanager\b", "contextmanager"),
        (r"\baiter_(bytes|text|lines|raw)\b", r"iter_\1"),  # httpx.Response streams
        (r"\baread\b", "read"),
        (r"\bAsync(?=[A-Z])", ""),  # AsyncPlaudit, AsyncIterator, httpx.AsyncClient
        (r"\banyio\b", "time"),  # anyio.sleep: the async client's only use of anyio
    ]
]


TIDY = "I,F401,UP028"
COMMAND = "python sdk/scripts/unasync.py"


def header(name: str) -> str:
    return (
        f"# Generated from plaudit/_async/{name} by sdk/scripts/unasync.py: do not edit;\n"
        "# edit that file and run the script.\n"
    )


def _ruff(args: list[str], path: Path, text: str) -> str:
    """``text`` as ruff leaves it, with the settings of the project ``path`` is in."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE,
    )
    return done.stdout


def unasync(text: str) -> str:
    """Async source made sync by the rules alone (before ruff tidies it)."""
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    return text


def generate(source: Path) -> str:
    """What the sync file generated from ``source`` should contain."""
    target = TARGET / source.name
    text = header(source.name) + unasync(source.read_text(encoding="utf-8"))
    # Only what taking out ``async`` leaves to tidy: imports no longer sorted or used,
    # and ``for x in xs: yield x`` loops that sync code writes ``yield from xs``.
    text = _ruff(
        ["check", "--fix", "--unsafe-fixes", "--select", TIDY, "--exit-zero", "--quiet"],
        target,
        text,
    )
    return _ruff(["format", "--quiet"], target, text)


def sources() -> list[Path]:
    # __init__.py differs on purpose: each package's says what it is.
    return sorted(p for p in SOURCE.glob("*.py") if p.name != "__init__.py")


def stale() -> list[Path]:
    """The sync files that are missing or not what the async source generates now."""
    found = []
    for source in sources():
        target = TARGET / source.name
        if not target.exists() or target.read_text(encoding="utf-8") != generate(source):
            found.append(target)
    expected = {TARGET / source.name for source in sources()} | {TARGET / "__init__.py"}
    found.extend(sorted(set(TARGET.glob("*.py")) - expected))  # left from a removed source
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        found = stale()
        for path in found:
            print(f"{path.relative_to(PACKAGE.parent)} is out of date: run {COMMAND}")
        return 1 if found else 0
    for source in sources():
        (TARGET / source.name).write_text(generate(source), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
