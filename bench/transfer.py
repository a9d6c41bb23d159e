"""Import and export at scale (issue #17): 1,000,000 Judge.me rows into PostgreSQL and
out again, through the commands a shop runs. Run by hand:

    scripts/bench --transfer                   # 1,000,000 rows
    scripts/bench --transfer --rows 100000     # a shorter run
    scripts/bench --transfer --profile 100000  # cProfile of an import of 100,000 rows
    scripts/bench --transfer --index-costs 30000  # PostgreSQL's CPU a row per search index

1. Writes a Judge.me review export (every column of ``formats/judgeme.py``'s docstring;
   about 1,000 products, most reviews on a few of them; bodies of one to a dozen
   sentences, some over several lines, some with quotes, commas and non-ASCII text;
   titles, replies, pictures, store reviews, every curation value) into a temporary
   directory; the same file for the same ``--rows`` and ``--seed``.
2. On a fresh PostgreSQL database (``plaudit db upgrade``, ``plaudit sites create``)
   runs ``plaudit import --site ... --format judgeme FILE`` as a subprocess and measures
   rows/s over its whole run (start-up, the progress bar's counting pass, the reading
   and writing, the counters recomputed at the end), and its memory: its resident set
   (``/proc``) sampled every 100 ms against how far it has read the file (its file
   descriptor's offset), printed at 10%, 50% and 100% of the rows, and its peak
   (``wait4``'s ``ru_maxrss``). Targets: 10,000 rows/s; memory flat (under 10% of
   growth from 10% of the rows to the end). Also the CPU time of the importer and of
   the PostgreSQL backends serving the database: on a shared machine the wall time
   counts the waits for a core too, the CPU time is what the work costs.
3. Runs ``plaudit export --site ... FILE`` and measures JSON lines/s (target: 20,000),
   checking that every imported review is in the file.

Prints a table against the targets and writes ``bench/results/transfer.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import pstats
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import (  # noqa: E402  (bench/run.py: the same install, database and environment)
    RESULTS,
    SERVER_BIN,
    _database,
    _drop,
    ensure_server,
    say,
    server_env,
)

TARGET_IMPORT = 10_000.0  # rows/s
TARGET_EXPORT = 20_000.0  # lines/s
FLAT = 0.10  # at most this much RSS growth from 10% of the rows to the end
SLUG = "transfer-bench"
PRODUCTS = 1000
COLUMNS = (
    *("title", "body", "rating", "review_date", "source", "curated", "reviewer_name"),
    *("reviewer_email", "product_id", "product_handle", "reply", "reply_date"),
    *("picture_urls", "ip_address", "location"),
)

# ---------------------------------------------------------------- the file

_OPENINGS = (
    "Really happy with this",
    "Bought it as a gift for my sister",
    "Second one I've ordered",
    "Arrived quickly and well packed",
    "Not what I expected",
    "Does exactly what it says",
    "Took a while to arrive, but worth the wait",
    "I was hesitant at first",
    "Très bon produit, livraison rapide",
    "Sehr gute Qualität",
    "Great value for the price",
    "Had to return the first one",
)
_SENTENCES = (
    "The quality is much better than I expected for the price.",
    "It feels solid and well made, nothing rattles.",
    "The colour is slightly darker than in the photos.",
    "I use it every day and it still looks new after three months.",
    "Customer service answered within a day and sorted out the size.",
    "The instructions could be clearer, it took me a while to set up.",
    "My kids love it, we've already ordered a second one.",
    "Shipping took 9 days, which is longer than stated.",
    "It's a bit heavier than I thought, but that makes it feel sturdy.",
    "Would recommend to anyone looking for a reliable everyday option.",
    'The "medium" size runs small, order one up.',
    "Fits perfectly, washed it twice and no shrinking at all.",
    "Smells great, not too strong, and lasts all day.",
    "The strap broke after two weeks; the replacement has been fine.",
    "Five stars for the packaging alone: no plastic, all recyclable.",
    "Battery lasts about a week with normal use, charging is quick.",
    "Exactly as described, no surprises.",
    "The stitching came loose on one side, otherwise good.",
    "Looks lovely on the shelf, friends keep asking where it's from.",
    "I compared it with two others and this one is clearly the best made.",
    "Pas mal du tout, mais un peu cher à mon goût.",
    "Zuverlässig, leise und schnell geliefert.",
    "Perfect size for a small kitchen 👍",
    "Cheap, cheerful, and does the job \u2013 can't ask for more.",
)
_REPLIES = (
    "Thank you so much for your review! We're glad you love it.",
    "Sorry to hear about the delay, we've passed this on to our courier.",
    "Thanks for the feedback on sizing, we've updated the size guide.",
    "We're sorry about the strap, please contact us and we'll send a new one.",
)
_TITLES = (
    "Love it",
    "Great quality",
    "Good, not perfect",
    "Would buy again",
    "Disappointed",
    "Exactly as described",
    "Perfect gift",
    "Solid and well made",
    "Runs small",
    "Très satisfaite",
)
_FIRST = (
    *("Camille", "Marc", "Sarah", "James", "Aisha", "Chen", "José", "Zoë", "Liam", "Emma"),
    *("Noah", "Olivia", "Mateo", "Sofia", "Lukas", "Anna", "Hiro", "Fatima", "Jonas", "Chloé"),
)
_LAST = (
    *("Rousseau", "D.", "Smith", "O'Brien", "Khan", "Wei", "Núñez", "Müller", "Brown", "L."),
    *("Garcia", "Rossi", "Nowak", "Dubois", "Jensen", "Tanaka", "Silva", "Haddad", "Berg", "K."),
)
_NOUNS = ("pan", "apron", "mug", "kettle", "lamp", "scarf", "tote", "candle", "board", "jar")
_ADJECTIVES = ("linen", "cast-iron", "ceramic", "oak", "wool", "copper", "glass", "cotton")
_CURATED = (("ok", 88), ("not-yet", 5), ("spam", 3), ("", 4))
_SOURCES = (("email", 55), ("web", 35), ("import", 7), ("shop_app", 3))
_RATINGS = ((5, 58), (4, 22), (3, 8), (2, 5), (1, 7))


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...], k: int) -> list[Any]:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs], k=k)


def write_judgeme(path: Path, rows: int, seed: int = 17) -> dict[str, Any]:
    """A Judge.me export of ``rows`` reviews at ``path``; what it holds, for the checks.
    Products take reviews by a Zipf law (the first has about 13% of them), 1% of rows
    are store reviews (no product). Every row is distinct (an e-mail and a second each)."""
    rng = random.Random(seed)
    products = [
        (str(7012345600000 + n), f"{_ADJECTIVES[n % 8]}-{_NOUNS[n // 8 % 10]}-{n}")
        for n in range(PRODUCTS)
    ]
    zipf = [1 / (rank + 1) for rank in range(PRODUCTS)]
    start = datetime(2022, 1, 1, tzinfo=UTC)
    chunk = 10_000
    bytes_before = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for first in range(0, rows, chunk):
            n = min(chunk, rows - first)
            picks = rng.choices(products, weights=zipf, k=n)
            ratings = _weighted(rng, _RATINGS, n)
            curated = _weighted(rng, _CURATED, n)
            sources = _weighted(rng, _SOURCES, n)
            out = []
            for i in range(n):
                row_no = first + i
                sentences = rng.choices(_SENTENCES, k=rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 6, 12)))
                separator = "\n" if rng.random() < 0.05 else " "
                body = rng.choice(_OPENINGS) + ". " + separator.join(sentences)
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                roll = rng.random()
                if roll < 0.80:
                    handle_part = name.lower().replace(" ", ".").replace("'", "")
                    email = f"{handle_part}{row_no}@example.com"
                elif roll < 0.90:
                    email = "support+anonymous@judge.me"
                else:
                    email = ""
                when = start + timedelta(seconds=row_no * 90 + rng.randrange(60))
                product_id, product_handle = picks[i]
                if rng.random() < 0.01:
                    product_id = product_handle = ""  # a store review
                reply = reply_date = ""
                if rng.random() < 0.10:
                    reply = rng.choice(_REPLIES)
                    reply_date = (when + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S UTC")
                pictures = ""
                if rng.random() < 0.05:
                    pictures = ",".join(
                        f"https://judgeme.imgix.net/shop/{row_no}-{k}.jpg"
                        for k in range(rng.randint(1, 3))
                    )
                out.append(
                    (
                        rng.choice(_TITLES) if rng.random() < 0.7 else "",
                        body,
                        ratings[i],
                        when.strftime("%Y-%m-%d %H:%M:%S UTC"),
                        sources[i],
                        curated[i],
                        name,
                        email,
                        product_id,
                        product_handle,
                        reply,
                        reply_date,
                        pictures,
                        f"203.0.113.{row_no % 250 + 1}",
                        "Lyon, FR" if row_no % 7 == 0 else "",
                    )
                )
            writer.writerows(out)
            bytes_before = handle.tell()
    return {"rows": rows, "bytes": bytes_before, "products": PRODUCTS, "seed": seed}


# ---------------------------------------------------------------- a measured process


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    offset: int | None  # where the process is in the watched file; None: not open
    fd: str | None


@dataclass
class Measured:
    """One command's run: wall time, peak RSS, RSS samples, output."""

    seconds: float
    peak_rss_mb: float
    samples: list[Sample] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    # CPU seconds (user + system) of the command (``wait4``) and of the PostgreSQL
    # backends serving its database (``/proc``): what the work costs whatever the
    # machine's load, where wall time also counts the waits for a core.
    cpu_s: float = 0.0
    server_cpu_s: float | None = None


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _offset(pid: int, watched: Path) -> tuple[str, int] | None:
    """The process's descriptor open on ``watched`` and its offset, if any."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != str(watched):
                continue
            for line in Path(f"/proc/{pid}/fdinfo/{fd}").read_text().splitlines():
                if line.startswith("pos:"):
                    return fd, int(line.split()[1])
        except OSError:
            continue
    return None


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (``/proc/PID/stat``), None if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _ServerCpu:
    """The CPU time of the PostgreSQL backends connected to one database (the server
    runs on this machine): their pids from ``pg_stat_activity``, looked up each second,
    their CPU from ``/proc``, the last value seen of each summed at the end."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.database = dsn.rsplit("/", 1)[1]
        self.pids: list[int] = []
        self.last: dict[int, float] = {}
        self.looked = 0.0

    def sample(self) -> None:
        if time.monotonic() - self.looked >= 1.0:
            rows = self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.database,),
            ).fetchall()
            self.pids = [int(row[0]) for row in rows]
            self.looked = time.monotonic()
        for pid in self.pids:
            cpu = _cpu_s(pid)
            if cpu is not None:
                self.last[pid] = cpu

    def total(self) -> float:
        self.conn.close()
        return sum(self.last.values())


def measure(
    command: list[str],
    env: dict[str, str],
    watched: Path | None = None,
    every: tuple[float, Any] | None = None,
    dsn: str | None = None,
) -> Measured:
    """Run ``command``; sample its RSS (and offset in ``watched``) every 100 ms until it
    ends; its peak RSS from the kernel (``wait4``), not from the samples. ``every``:
    (seconds, callable) to call that often while it runs. ``dsn``: also the CPU time of
    the database's backends (sampled every 100 ms: the last 100 ms of a backend that
    ends with the command are not counted)."""
    started = time.monotonic()
    server = _ServerCpu(dsn) if dsn is not None else None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        samples: list[Sample] = []
        done = threading.Event()

        def sample() -> None:
            last_call = time.monotonic()
            while not done.wait(0.1):
                if every is not None and time.monotonic() - last_call >= every[0]:
                    every[1]()
                    last_call = time.monotonic()
                if server is not None:
                    server.sample()
                rss = _rss_mb(process.pid)
                if rss is None:
                    continue
                where = _offset(process.pid, watched) if watched is not None else None
                samples.append(
                    Sample(
                        time.monotonic() - started,
                        rss,
                        None if where is None else where[1],
                        None if where is None else where[0],
                    )
                )

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode:
        raise RuntimeError(f"{' '.join(command[:3])} failed: {stderr[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    server_cpu = server.total() if server is not None else None
    return Measured(seconds, usage.ru_maxrss / 1024, samples, stdout, stderr, cpu, server_cpu)


def read_pass(samples: list[Sample]) -> list[Sample]:
    """The samples of the last pass over the watched file (the import's reading; the
    counting pass for the progress bar and the rating-scale sample come before it):
    a pass starts where the offset goes back or the descriptor changes."""
    passes: list[list[Sample]] = []
    previous: Sample | None = None
    for s in samples:
        if s.offset is None:
            previous = None
            continue
        if previous is None or s.fd != previous.fd or s.offset < (previous.offset or 0):
            passes.append([])
        passes[-1].append(s)
        previous = s
    return passes[-1] if passes else []


def memory_at(measured: Measured, size: int) -> dict[str, Any]:
    """RSS when 10% and 50% of the file had been read in the import pass, and at the
    end (the last sample, after the counters' recount)."""
    reading = read_pass(measured.samples)
    out: dict[str, Any] = {"samples": len(measured.samples)}
    for share in (0.1, 0.5):
        hit = next((s for s in reading if s.offset is not None and s.offset >= share * size), None)
        out[f"rss_{int(share * 100)}_mb"] = None if hit is None else round(hit.rss_mb, 1)
        out[f"at_{int(share * 100)}_s"] = None if hit is None else round(hit.seconds, 1)
    last = measured.samples[-1] if measured.samples else None
    out["rss_100_mb"] = None if last is None else round(last.rss_mb, 1)
    out["peak_rss_mb"] = round(measured.peak_rss_mb, 1)
    if reading:
        # Before: start-up, the progress bar's counting pass, the rating-scale sample.
        # After: the last batch, the counters recomputed, the commit.
        out["reading_from_s"] = round(reading[0].seconds, 1)
        out["reading_until_s"] = round(reading[-1].seconds, 1)
        out["after_reading_s"] = round(measured.seconds - reading[-1].seconds, 1)
    # Every 5% of the reading pass, for the flat line in the JSON.
    curve = []
    for k in range(1, 21):
        hit = next((s for s in reading if (s.offset or 0) >= k / 20 * size), None)
        if hit is not None:
            curve.append([k * 5, round(hit.rss_mb, 1)])
    out["curve"] = curve
    return out


# ---------------------------------------------------------------- the runs


def prepare(name: str) -> tuple[str, dict[str, str]]:
    """A fresh database, migrated, with the site to import into."""
    dsn = _database(name)
    env = {**os.environ, **server_env(dsn)}
    plaudit = str(SERVER_BIN / "plaudit")
    subprocess.run([plaudit, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [plaudit, "sites", "create", SLUG, "--owner-email", "bench@bench.test"],
        env=env,
        check=True,
        capture_output=True,
    )
    return dsn, env


@dataclass
class Analyzer:
    """``ANALYZE`` of the tables an import fills, what autovacuum does on a production
    server (it checks every ``autovacuum_naptime``, 1 min by default, and analyzes a
    table once 10% of it changed). Used when the server's autovacuum is off (as on this
    project's CI PostgreSQL): without statistics for the growing ``reviews`` table, the
    loader's duplicate lookup (``source_id IN (...)``, 2,000 ids) scans every row of the
    site for each batch, and the import slows down quadratically (measured: 270 rows/s at
    70,000 rows and falling)."""

    dsn: str
    runs: int = 0

    def __call__(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("ANALYZE reviews, products")
        self.runs += 1


def autovacuum(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
    return bool(row and row[0] == "on")


def run_transfer(rows: int, seed: int, workdir: Path, analyze: bool = True) -> dict[str, Any]:
    csv_path = workdir / f"judgeme-{rows}-{seed}.csv"
    if not csv_path.exists():
        say(f"writing {rows:,} Judge.me rows to {csv_path} ...")
        started = time.monotonic()
        write_judgeme(csv_path, rows, seed)
        say(f"  written in {time.monotonic() - started:.0f} s")
    size = csv_path.stat().st_size
    say(f"  {size / 1e6:,.0f} MB, {size / rows:,.0f} bytes a row")
    name = f"plaudit_bench_transfer_{rows}"
    dsn, env = prepare(name)
    plaudit = str(SERVER_BIN / "plaudit")
    server_autovacuum = autovacuum(dsn)
    analyzer = Analyzer(dsn)
    if not server_autovacuum:
        say(
            "  the server's autovacuum is off: "
            + ("ANALYZE every 60 s, as autovacuum would" if analyze else "left so (--no-analyze)")
        )
    try:
        say("importing ...")
        load_before = os.getloadavg()
        imported = measure(
            [plaudit, "import", "--site", SLUG, "--format", "judgeme", str(csv_path)],
            env,
            watched=csv_path,
            every=(60.0, analyzer) if analyze and not server_autovacuum else None,
            dsn=dsn,
        )
        load_after = os.getloadavg()
        summary = imported.stdout.strip().splitlines()[0] if imported.stdout.strip() else ""
        say(f"  {summary}")
        with psycopg.connect(dsn) as conn:
            stored = conn.execute("SELECT count(*) FROM reviews").fetchone()
            products = conn.execute("SELECT count(*) FROM products").fetchone()
            conn.execute("ANALYZE")
        reviews = stored[0] if stored else 0
        memory = memory_at(imported, size)
        import_result = {
            "rows": rows,
            "file_mb": round(size / 1e6, 1),
            "seconds": round(imported.seconds, 1),
            "rows_per_s": rows / imported.seconds,
            "reviews_stored": reviews,
            "products_stored": products[0] if products else 0,
            "summary": summary,
            "server_autovacuum": server_autovacuum,
            "analyze_runs": analyzer.runs,
            "load_average_before_after": [round(load_before[0], 1), round(load_after[0], 1)],
            "importer_cpu_s": round(imported.cpu_s, 1),
            "server_cpu_s": round(imported.server_cpu_s or 0.0, 1),
            **memory,
        }
        say(
            f"  {import_result['rows_per_s']:,.0f} rows/s, {reviews:,} reviews stored;"
            f" RSS {memory['rss_10_mb']} MB at 10%, {memory['rss_50_mb']} MB at 50%,"
            f" {memory['rss_100_mb']} MB at 100% (peak {memory['peak_rss_mb']} MB)"
        )
        cpu_per_row = (imported.cpu_s + (imported.server_cpu_s or 0.0)) / rows * 1e6
        say(
            f"  CPU: importer {imported.cpu_s:.1f} s, PostgreSQL {imported.server_cpu_s or 0:.1f} s"
            f" ({cpu_per_row:,.0f} us a row in all); load average"
            f" {load_before[0]:.1f} -> {load_after[0]:.1f}"
        )
        out = workdir / f"export-{rows}.jsonl"
        say("exporting ...")
        load_before = os.getloadavg()
        exported = measure([plaudit, "export", "--site", SLUG, str(out)], env)
        load_after = os.getloadavg()
        lines = 0
        review_lines = 0
        with out.open("rb") as handle:
            for line in handle:
                lines += 1
                if line.startswith(b'{"type":"review"') or b'"type": "review"' in line[:40]:
                    review_lines += 1
        export_result = {
            "lines": lines,
            "review_lines": review_lines,
            "file_mb": round(out.stat().st_size / 1e6, 1),
            "seconds": round(exported.seconds, 1),
            "lines_per_s": lines / exported.seconds,
            "peak_rss_mb": round(exported.peak_rss_mb, 1),
            "rss_end_mb": round(exported.samples[-1].rss_mb, 1) if exported.samples else None,
            "load_average_before_after": [round(load_before[0], 1), round(load_after[0], 1)],
        }
        say(
            f"  {lines:,} lines ({review_lines:,} reviews) in {exported.seconds:.1f} s:"
            f" {export_result['lines_per_s']:,.0f} lines/s, peak RSS {exported.peak_rss_mb:.1f} MB"
        )
        out.unlink()
    finally:
        if not os.environ.get("PLAUDIT_BENCH_KEEP_DATABASES"):
            _drop(name)
    return {"import": import_result, "export": export_result}


def checks(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(what, measured, target, passed) for the table."""
    imp, exp = results["import"], results["export"]
    base = imp["rss_10_mb"] or imp["peak_rss_mb"]
    growth = (imp["rss_100_mb"] - base) / base if base and imp["rss_100_mb"] else float("nan")
    return [
        (
            "import rows/s (whole command)",
            f"{imp['rows_per_s']:,.0f}",
            f">= {TARGET_IMPORT:,.0f}",
            imp["rows_per_s"] >= TARGET_IMPORT,
        ),
        (
            "import memory: RSS 10% -> 100% of rows",
            f"{imp['rss_10_mb']} -> {imp['rss_100_mb']} MB ({growth:+.1%})",
            f"flat (< {FLAT:.0%})",
            growth < FLAT,
        ),
        (
            "reviews stored",
            f"{imp['reviews_stored']:,}",
            f"{imp['rows']:,} (every row)",
            imp["reviews_stored"] == imp["rows"],
        ),
        (
            "export lines/s",
            f"{exp['lines_per_s']:,.0f}",
            f">= {TARGET_EXPORT:,.0f}",
            exp["lines_per_s"] >= TARGET_EXPORT,
        ),
        (
            "reviews exported",
            f"{exp['review_lines']:,}",
            f"{imp['reviews_stored']:,} (every one)",
            exp["review_lines"] == imp["reviews_stored"],
        ),
    ]


# ---------------------------------------------------------------- the profile


# Where an import's time goes: (label, file ending, function), cumulative times.
PARTS = (
    ("the whole command", "plaudit_server/cli.py", "import_command"),
    ("  the app's start-up", "plaudit_server/__init__.py", "create_app"),
    ("  counting the rows (progress bar)", "transfer/csvfiles.py", "count_rows"),
    ("  loader.import_records", "transfer/loader.py", "import_records"),
    # The reader runs in a thread of its own (loader._Prefetch), which cProfile does not
    # see: these three read 0 since then (profile csvfiles/judgeme on their own).
    ("    reading: judgeme.read (CSV + rows)", "formats/judgeme.py", "read"),
    ("      csvfiles.read_rows (the CSV)", "transfer/csvfiles.py", "read_rows"),
    ("      judgeme._record (the cells)", "formats/judgeme.py", "_record"),
    ("    waiting for the reader's records", "transfer/loader.py", "_records_in_order"),
    ("    writing: _Writer.write", "transfer/loader.py", "write"),
    ("      _Writer._text (unchecked records)", "transfer/loader.py", "_text"),
    ("      _Writer._reviews_by_copy", "transfer/loader.py", "_reviews_by_copy"),
    ("        _Writer._copy_reviews (COPY, INSERT)", "transfer/loader.py", "_copy_reviews"),
    ("      _Writer._known_products", "transfer/loader.py", "_known_products"),
    ("    recount (counters at the end)", "transfer/loader.py", "recount"),
    ("  psycopg: waiting on the server", "psycopg/connection.py", "wait"),
    ("  SQLAlchemy Connection.execute calls", "sqlalchemy/engine/base.py", "execute"),
)


def breakdown(stats: pstats.Stats) -> str:
    """The cumulative time of each of PARTS (and the number of calls)."""
    table = stats.stats  # type: ignore[attr-defined]
    total = max((v[3] for v in table.values()), default=0.0) or 1.0
    out = []
    for label, ending, name in PARTS:
        found = [(v[1], v[3]) for (f, _, n), v in table.items() if n == name and f.endswith(ending)]
        calls = sum(c for c, _ in found)
        seconds = max((t for _, t in found), default=0.0)
        out.append(f"{label:<42}{seconds:>8.1f} s {seconds / total:>6.1%} {calls:>9,} calls")
    return "\n".join(out)


def profile(rows: int, seed: int, workdir: Path, top: int = 30) -> str:
    """cProfile of ``plaudit import`` of ``rows`` rows on a fresh database: the
    functions by their own time, then by cumulative time."""
    csv_path = workdir / f"judgeme-{rows}-{seed}.csv"
    if not csv_path.exists():
        write_judgeme(csv_path, rows, seed)
    name = "plaudit_bench_transfer_profile"
    dsn, env = prepare(name)
    stats_path = workdir / "import.prof"
    analyzer = Analyzer(dsn)
    try:
        profiled = measure(
            [
                *(str(SERVER_BIN / "python"), "-m", "cProfile", "-o", str(stats_path)),
                *("-m", "plaudit_server", "import", "--site", SLUG, "--format", "judgeme"),
                str(csv_path),
            ],
            env,
            every=None if autovacuum(dsn) else (60.0, analyzer),
        )
        seconds = profiled.seconds
    finally:
        _drop(name)
    report = Path(workdir / "profile.txt")
    with report.open("w") as handle:
        handle.write(f"{rows:,} rows in {seconds:.1f} s under cProfile ({analyzer.runs} ANALYZE)\n")
        stats = pstats.Stats(str(stats_path), stream=handle)
        handle.write(breakdown(stats) + "\n\n")
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
    return report.read_text()


# ---------------------------------------------------------------- what each index costs

_DOCUMENT = (
    "body || ' ' || coalesce(title, '') || ' ' || author_name || ' ' || coalesce(author_email, '')"
)
_SEARCH = "ix_reviews_search_trgm"
# Each variant: statements run on the migrated schema before the load, and one run after
# it (timed apart: building an index after a bulk load).
INDEX_VARIANTS: dict[str, tuple[list[str], str | None]] = {
    "as migrated": ([], None),
    "no search index": ([f"DROP INDEX {_SEARCH}"], None),
    "trigrams of the body alone": (
        [
            f"DROP INDEX {_SEARCH}",
            f"CREATE INDEX {_SEARCH} ON reviews USING gin (body gin_trgm_ops)",
        ],
        None,
    ),
    "full text search (simple)": (
        [
            f"DROP INDEX {_SEARCH}",
            f"CREATE INDEX {_SEARCH} ON reviews USING gin (to_tsvector('simple', {_DOCUMENT}))",
        ],
        None,
    ),
    "an array of words": (
        [
            f"DROP INDEX {_SEARCH}",
            f"CREATE INDEX {_SEARCH} ON reviews USING gin "
            f"(string_to_array(lower({_DOCUMENT}) COLLATE \"C\", ' '))",
        ],
        None,
    ),
    "search index built after the load": (
        [f"DROP INDEX {_SEARCH}"],
        f"CREATE INDEX {_SEARCH} ON reviews USING gin (({_DOCUMENT}) gin_trgm_ops)",
    ),
}
_COLUMNS = (
    "id, site_id, product_id, rating, title, body, author_name, author_email, verified_buyer,"
    " status, spam_reasons, helpful_count, unhelpful_count, comment_count, reply_body,"
    " reply_created_at, source, source_id, created_at, updated_at"
)


def _backend_cpu(conn: psycopg.Connection[Any]) -> float:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return _cpu_s(int(row[0])) or 0.0


def index_costs(rows: int, seed: int, workdir: Path) -> str:
    """The PostgreSQL backend's CPU a row for the loader's statement (``INSERT ... SELECT
    ... ON CONFLICT DO NOTHING`` from a staged batch of 2,000, a commit a batch) into an
    empty ``reviews``, under each of ``INDEX_VARIANTS``: what each index costs an import,
    apart from the importer (the rows are made in SQL from the generated file)."""
    csv_path = workdir / f"judgeme-{rows}-{seed}.csv"
    if not csv_path.exists():
        write_judgeme(csv_path, rows, seed)
    name = "plaudit_bench_transfer_indexes"
    dsn, _ = prepare(name)
    out = [f"{rows:,} rows; PostgreSQL backend CPU of the INSERTs (load {os.getloadavg()[0]:.1f})"]
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE src ({', '.join(f'{c} text' for c in COLUMNS)})")
            copying = conn.cursor().copy("COPY src FROM STDIN (FORMAT csv, HEADER true)")
            with copying as copy, csv_path.open("rb") as handle:
                while data := handle.read(1 << 20):
                    copy.write(data)
            site = conn.execute("SELECT id FROM sites").fetchone()
            assert site is not None
            product = "'prd_' || substr(md5(coalesce(nullif(product_id, ''), '__store__')), 1, 26)"
            conn.execute(
                "INSERT INTO products (id, site_id, external_id, created_at, published_count,"
                " rating_sum, stars_1, stars_2, stars_3, stars_4, stars_5)"
                f" SELECT DISTINCT {product}, %s, coalesce(nullif(product_id, ''), '__store__'),"
                " now(), 0, 0, 0, 0, 0, 0, 0 FROM src",
                (site[0],),
            )
            conn.execute(
                "CREATE TABLE staged AS SELECT row_number() OVER () AS n,"
                " 'rev_' || substr(md5(random()::text), 1, 26) AS id, %s::text AS site_id,"
                f" {product} AS product_id, rating::smallint AS rating,"
                " nullif(title, '') AS title, body, reviewer_name AS author_name,"
                " nullif(reviewer_email, '') AS author_email, false AS verified_buyer,"
                " CASE WHEN curated = 'ok' THEN 'published' ELSE 'pending' END AS status,"
                " '[]'::json AS spam_reasons, 0 AS helpful_count, 0 AS unhelpful_count,"
                " 0 AS comment_count, nullif(reply, '') AS reply_body,"
                " nullif(reply_date, '')::timestamp AS reply_created_at, 'judgeme' AS source,"
                " md5(body || review_date || reviewer_email) AS source_id,"
                " review_date::timestamp AS created_at, review_date::timestamp AS updated_at"
                " FROM src",
                (site[0],),
            )
            conn.execute("CREATE INDEX ON staged (n)")
            conn.execute("ANALYZE")
            migrated = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reviews'"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            ).fetchall()
            conn.execute(
                f"CREATE TEMPORARY TABLE stage AS SELECT {_COLUMNS} FROM reviews WITH NO DATA"
            )
            for label, (before, after) in INDEX_VARIANTS.items():
                conn.execute("TRUNCATE reviews CASCADE")
                for index, _ in migrated:
                    conn.execute(f'DROP INDEX IF EXISTS "{index}"')
                for _, definition in migrated:
                    conn.execute(definition)
                for statement in before:
                    conn.execute(statement)
                conn.execute("CHECKPOINT")
                cpu = 0.0
                for first in range(1, rows + 1, 2000):
                    with conn.transaction():
                        conn.execute(
                            f"INSERT INTO stage SELECT {_COLUMNS} FROM staged"
                            f" WHERE n >= {first} AND n < {first + 2000}"
                        )
                        started = _backend_cpu(conn)
                        conn.execute(
                            f"INSERT INTO reviews ({_COLUMNS}, first_reply_at)"
                            f" SELECT {_COLUMNS}, reply_created_at FROM stage"
                            " ON CONFLICT (site_id, source, source_id) DO NOTHING"
                        )
                        cpu += _backend_cpu(conn) - started
                        conn.execute("TRUNCATE stage")
                    if first == 2001:
                        conn.execute("ANALYZE reviews")
                built = ""
                if after is not None:
                    started = _backend_cpu(conn)
                    conn.execute(after)
                    built_cpu = _backend_cpu(conn) - started
                    built = f" + {built_cpu / rows * 1e6:,.0f} us to build it after"
                out.append(f"  {label:<36}{cpu / rows * 1e6:>7,.0f} us a row{built}")
    finally:
        _drop(name)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Judge.me rows to import")
    parser.add_argument("--seed", type=int, default=17, help="the generated file's seed")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the generated file here (default: temp)"
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="when the server's autovacuum is off, leave it so (no ANALYZE every 60 s)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="ROWS", help="profile an import of ROWS rows"
    )
    parser.add_argument(
        "--index-costs",
        type=int,
        default=0,
        metavar="ROWS",
        help="what each search index (INDEX_VARIANTS) costs PostgreSQL a row, ROWS rows",
    )
    args = parser.parse_args()
    ensure_server()
    with tempfile.TemporaryDirectory(prefix="plaudit-transfer-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if args.profile:
            print(profile(args.profile, args.seed, workdir))
            return
        if args.index_costs:
            print(index_costs(args.index_costs, args.seed, workdir))
            return
        started = time.monotonic()
        results = run_transfer(args.rows, args.seed, workdir, analyze=not args.no_analyze)
        say(f"transfer in {time.monotonic() - started:.0f} s")
    table = checks(results)
    print(f"\n{'check':<42}{'measured':>28}  {'target':<22}result")
    for what, value, target, passed in table:
        print(f"{what:<42}{value:>28}  {target:<22}{'PASS' if passed else 'FAIL'}")
    data = {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **results,
        "checks": {what: {"value": v, "target": t, "pass": p} for what, v, t, p in table},
    }
    if args.rows == 1_000_000:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "transfer.json").write_text(json.dumps(data, indent=2) + "\n")
        say(f"wrote {RESULTS / 'transfer.json'}")
    if not all(passed for *_, passed in table):
        sys.exit(1)


if __name__ == "__main__":
    main()
