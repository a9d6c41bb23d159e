"""What a shop page downloads for the widget, against the 12 KB gzipped budget.

    .venv/bin/python bench/widget_size.py

The core is one file (its CSS is inside it, adopted into each shadow root), so the
budget covers everything an English page loads besides the API's JSON. Prints raw,
gzip -9 and brotli sizes, the share of the budget, and exits 1 over budget; then the
on-demand chunks (static/widget/*.js: other languages, the report dialog), which are
outside the budget because only the pages or clicks that need them load them.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

BUDGET = 12 * 1024
BUILT = (
    Path(__file__).resolve().parents[1] / "server" / "plaudit_server" / "static" / "plaudit.min.js"
)


def brotli_size(data: bytes) -> int | None:
    try:
        import brotli
    except ImportError:  # pragma: no cover - brotli ships with the server extra
        return None
    return len(brotli.compress(data, quality=11, mode=brotli.MODE_TEXT))


def main() -> int:
    data = BUILT.read_bytes()
    gz = len(gzip.compress(data, compresslevel=9))
    br = brotli_size(data)
    print(f"plaudit.min.js   raw {len(data):>7,} B")
    print(f"                        gzip {gz:>6,} B   ({gz / BUDGET:.0%} of {BUDGET:,} B budget)")
    if br is not None:
        print(f"                        br   {br:>6,} B   (served when the browser accepts it)")
    print(f"headroom (gzip)         {BUDGET - gz:>+7,} B")
    for chunk in sorted((BUILT.parent / "widget").glob("*.js")):
        part = chunk.read_bytes()
        size = len(gzip.compress(part, compresslevel=9))
        print(f"chunk {chunk.name:<18} raw {len(part):>6,} B   gzip {size:>6,} B  (on demand)")
    if gz > BUDGET:
        print("OVER BUDGET", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
