"""What a shop page downloads for the widget, against its gzipped budgets.

    .venv/bin/python bench/widget_size.py

The core is one file (its CSS is inside it, adopted into each shadow root), so its
12 KB budget covers everything an English page loads besides the API's JSON. Prints raw,
gzip -9 and brotli sizes, the share of the budget, and exits 1 over budget; then the
on-demand chunks (static/widget/*.js: other languages, comments, the report dialog, and
the community bundles), which only the pages or clicks that need them load. The two
community bundles, questions and ideas, have a budget of their own (8 KB each), checked
here and by ``npm run check`` (widget/build.mjs).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

BUDGET = 12 * 1024
BUNDLE_BUDGETS = {"questions.js": 8 * 1024, "ideas.js": 8 * 1024}
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
    over = []
    print(f"plaudit.min.js   raw {len(data):>7,} B")
    print(f"                        gzip {gz:>6,} B   ({gz / BUDGET:.0%} of {BUDGET:,} B budget)")
    if br is not None:
        print(f"                        br   {br:>6,} B   (served when the browser accepts it)")
    print(f"headroom (gzip)         {BUDGET - gz:>+7,} B")
    if gz > BUDGET:
        over.append("plaudit.min.js")
    for chunk in sorted((BUILT.parent / "widget").glob("*.js")):
        part = chunk.read_bytes()
        size = len(gzip.compress(part, compresslevel=9))
        budget = BUNDLE_BUDGETS.get(chunk.name)
        note = f"({size / budget:.0%} of {budget:,} B budget)" if budget else "(on demand)"
        print(f"chunk {chunk.name:<18} raw {len(part):>6,} B   gzip {size:>6,} B  {note}")
        if budget and size > budget:
            over.append(chunk.name)
    missing = [name for name in BUNDLE_BUDGETS if not (BUILT.parent / "widget" / name).exists()]
    if over or missing:
        print(f"OVER BUDGET: {', '.join(over)}" if over else f"missing: {missing}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
