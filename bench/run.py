"""Plaudit side by side with its ceiling and its peer, at three scales. Run by hand:

    scripts/bench                      # everything: 1k, 100k and 1M reviews
    scripts/bench --scales 1000 --duration 5
    scripts/bench --admin-only --scales 1000,1000000   # the admin page and API alone
    scripts/bench --invitations        # review requests alone: create, send (invitations.py)
    scripts/bench --community          # question and idea board reads alone (community.py)

Every server runs under the same gunicorn settings (2 sync workers) and is loaded by
the same wrk settings (2 threads, 32 connections), one after the other in one run, so
the ratios compare like with like. Prints a table, writes ``bench/results/latest.json``
and a chart of latency against scale, ``bench/results/latency.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
from seed import SEARCH_WORD, seed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
# The servers run from installs of their own, as deployed: Plaudit from `pip install
# ".[server]"` alone, without the test and bench tools of the project's .venv (PyYAML,
# which those bring, is imported by flask-smorest when present: 0.9 MB per worker).
# PLAUDIT_BENCH_SERVER_VENV: an existing environment with the server installed instead
# (say the project's .venv on a machine without a package index); used as it is.
SERVER_VENV = Path(os.environ.get("PLAUDIT_BENCH_SERVER_VENV", HERE / ".venv-server"))
SERVER_BIN = SERVER_VENV / "bin"
ISSO_VENV = HERE / ".venv-isso"
ADMIN_PG = os.environ.get("PLAUDIT_BENCH_POSTGRES", "postgresql://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("PLAUDIT_BENCH_REDIS", "redis://127.0.0.1:6379/0")
WORKERS = 2
WRK_THREADS = "2"
WRK = ["wrk", f"-t{WRK_THREADS}", "-c32"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each gunicorn worker (the master's children)."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        sizes = []
        for pid in out:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
        return sizes


@contextlib.contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    *,
    bin_dir: Path = SERVER_BIN,
    cwd: Path = ROOT,
    health: str = "/",
) -> Iterator[Server]:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + health, timeout=2).status_code < 500:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{app} did not start")
        time.sleep(0.2)
    try:
        yield Server(url, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def wrk(
    url: str,
    *,
    duration: int,
    scripts: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One wrk run; returns requests/s, p50 and p99 (ms), non-2xx and socket errors (and
    the X-Cache hits and misses, -1 where the scenario does not count them)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        for name in (*scripts, "report.lua"):
            script.write((HERE / "wrk" / name).read_text() + "\n")
    command = [*WRK, f"-d{duration}s", "-s", script.name]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    environment = {**os.environ, **(env or {})}
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, env=environment
    ).stdout
    os.unlink(script.name)
    line = [x for x in out.splitlines() if x.startswith("{")][-1]
    return json.loads(line)


# ---------------------------------------------------------------- the three systems


def run_ceiling(duration: int) -> dict[str, Any]:
    with gunicorn("ceiling_app:app", {}, cwd=HERE) as server:
        wrk(server.url + "/", duration=2)  # warm-up
        result = wrk(server.url + "/", duration=duration)
        result["rss_mb"] = server.worker_rss_mb()
    return result


def ensure_server() -> None:
    """Plaudit's own deployment install (and the ceiling's: the same Flask and gunicorn)."""
    if "PLAUDIT_BENCH_SERVER_VENV" in os.environ:
        return
    if not (SERVER_BIN / "python").exists():
        say("creating bench/.venv-server ...")
        subprocess.run([sys.executable, "-m", "venv", str(SERVER_VENV)], check=True)
    # Editable, so the benchmark measures the working tree; again each run, so it follows
    # pyproject.toml.
    subprocess.run([str(SERVER_BIN / "pip"), "install", "-q", "-e", f"{ROOT}[server]"], check=True)


def ensure_isso() -> Path:
    if not (ISSO_VENV / "bin" / "isso").exists():
        say("installing Isso into bench/.venv-isso ...")
        subprocess.run([sys.executable, "-m", "venv", str(ISSO_VENV)], check=True)
        subprocess.run(
            [str(ISSO_VENV / "bin" / "pip"), "install", "-q", "isso", "gunicorn"], check=True
        )
    return ISSO_VENV / "bin"


def run_isso(duration: int) -> dict[str, Any]:
    bin_dir = ensure_isso()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "isso.cfg"
        cfg.write_text(
            "[general]\n"
            f"dbpath = {tmp}/comments.db\n"
            "host = http://bench.test/\n"
            "[moderation]\nenabled = false\n"
            "[guard]\nenabled = false\n"
            "[server]\nlisten = http://127.0.0.1:0/\n"
        )
        env = {"ISSO_SETTINGS": str(cfg)}
        with gunicorn(
            "isso.run", env, bin_dir=bin_dir, cwd=Path(tmp), health="/?uri=%2Fthread"
        ) as server:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                for n in range(50):
                    response = client.post(
                        "/new?uri=%2Fthread",
                        json={
                            "text": f"Comment number {n}: " + "lorem ipsum " * 10,
                            "title": "Thread",
                            "author": f"Fan {n}",
                        },
                        headers={"Origin": "http://bench.test", "Referer": "http://bench.test/"},
                    )
                    if response.status_code >= 400:
                        raise RuntimeError(f"Isso refused a comment: {response.text[:300]}")
                thread = client.get("/?uri=%2Fthread").json()
                assert thread["total_replies"] == 50, thread
            url = server.url + "/?uri=%2Fthread"
            wrk(url, duration=2)
            result = wrk(url, duration=duration)
            result["rss_mb"] = server.worker_rss_mb()
    return result


@dataclass
class Scale:
    reviews: int
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    page: int = 0
    rss_mb: list[float] = field(default_factory=list)
    rss_start_mb: list[float] = field(default_factory=list)  # before any request
    rss_api_mb: list[float] = field(default_factory=list)  # before the admin page's runs
    # The ceiling again, just before this scale's runs: on a shared machine the speed
    # drifts over a long run, and a ratio should compare figures measured together.
    ceiling: dict[str, Any] = field(default_factory=dict)


def _database(name: str) -> str:
    with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_PG.rsplit("/", 1)[0]
    return f"{base}/{name}"


def _drop(name: str) -> None:
    with psycopg.connect(ADMIN_PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_and_seed(dsn: str, env: dict[str, str], reviews: int, api_key: str) -> dict[str, Any]:
    """Create the schema with the server's own ``plaudit db upgrade``, then seed."""
    subprocess.run(
        [str(SERVER_BIN / "plaudit"), "db", "upgrade"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    say(f"seeding {reviews:,} reviews ...")
    started = time.monotonic()
    info = seed(dsn, reviews, api_key=api_key)
    say(f"  seeded in {time.monotonic() - started:.0f} s")
    return info


def server_env(dsn: str) -> dict[str, str]:
    """The environment of a benchmarked server on database ``dsn``: the shared Redis
    under a prefix of its own, no rate limits."""
    return {
        "DATABASE_URL": dsn,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench-secret-" + "0" * 32,
        "RATELIMIT_ENABLED": "false",
        "PLAUDIT_REDIS_KEY_PREFIX": f"bench-{secrets.token_hex(4)}:",
    }


def run_plaudit(reviews: int, duration: int, *, admin_only: bool = False) -> Scale:
    """Every scenario at one scale (``admin_only``: the admin page's and API's alone)."""
    scale = Scale(reviews)
    name = f"plaudit_bench_{reviews}"
    dsn = _database(name)
    api_key = "sk_live_bench_" + secrets.token_urlsafe(24)
    env = server_env(dsn)
    try:
        info = migrate_and_seed(dsn, env, reviews, api_key)
        if not admin_only:
            scale.ceiling = run_ceiling(duration)
            say(f"  ceiling         {scale.ceiling['rps']:>8,.0f} req/s")
        with gunicorn("plaudit_server:create_app()", env, health="/healthz") as server:
            scale.rss_start_mb = server.worker_rss_mb()
            base = f"{server.url}/api/v1/sites/{info['site']}"
            hot = f"{base}/products/{info['hot_product']}/reviews"
            hot_path = hot.removeprefix(server.url)
            badges = f"{base}/summaries?products=" + ",".join(info["products"][:50])
            # Misses: distinct valid paths, their cached bodies deleted as they are made
            # (a cache-buster parameter would be refused): the hot product's first 50
            # pages (newest first), and 50 pages from page 1000 on.
            shallow, _ = _page_paths(server.url, hot_path, 1, 50)
            deep, scale.page = _page_paths(server.url, hot_path, 1000, 50)
            admin = {"Authorization": f"Bearer {api_key}"}
            community_urls: dict[str, str] = {}
            if not admin_only:  # questions and the idea board, written through the API
                from community import community_reads

                community_urls, _ = community_reads(server.url, api_key, info)
            runs = {
                "read_hit": (hot + "?limit=10", (), None, None),
                # Right after the review read, before the misses and submissions write.
                **{
                    label: (url, (), None, None)
                    for label, url in community_urls.items()
                    if label != "read_hit"
                },
                "read_miss": (hot, ("paths.lua",), None, shallow),
                "badges_50": (badges, (), None, None),
                "page_1_miss": (hot, ("paths.lua",), None, shallow),
                "page_1000_miss": (hot, ("paths.lua",), None, deep),
                "submit": (hot, ("post_review.lua",), None, None),
                "admin_queue": (
                    f"{server.url}/api/v1/admin/reviews?status=pending&limit=50",
                    (),
                    admin,
                    None,
                ),
            }
            if admin_only:
                runs = {"admin_queue": runs["admin_queue"]}
            for label, (url, scripts, headers, paths) in runs.items():
                with _misses(
                    env["PLAUDIT_REDIS_KEY_PREFIX"], paths, info["site"], info["hot_product"]
                ) as paths_env:
                    scale.results[label] = _measure(
                        label, url, duration, scripts, headers, paths_env
                    )
            scale.rss_api_mb = server.worker_rss_mb()
            page = f"{server.url}/admin/{info['site']}/reviews?status=pending&limit=50"
            owner = {"Cookie": _signed_in_cookie(server.url, info)}
            scale.results["admin_page"] = _measure("admin_page", page, duration, (), owner)
            search = f"{server.url}/api/v1/admin/reviews?status=all&limit=50&q={SEARCH_WORD}"
            scale.results["admin_search"] = _one_client("admin_search", search, admin)
            scale.rss_mb = server.worker_rss_mb()
    finally:
        if not os.environ.get("PLAUDIT_BENCH_KEEP_DATABASES"):  # kept: to EXPLAIN afterwards
            _drop(name)
    return scale


def _one_client(label: str, url: str, headers: dict[str, str], runs: int = 100) -> dict[str, Any]:
    """Latency of one client asking again and again (no concurrency: what an owner
    waits for a search), after a few warm-up requests."""
    durations = []
    with httpx.Client(headers=headers, timeout=30) as client:
        for n in range(runs + 5):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if n >= 5:
                durations.append(elapsed)
        found = len(response.json()["reviews"])
    durations.sort()
    result = {
        "rps": 1000 / statistics.mean(durations),
        "p50_ms": statistics.median(durations),
        "p99_ms": durations[int(len(durations) * 0.99) - 1],
        "non_2xx": 0,
        "found": found,
    }
    say(
        f"  {label:<15} {result['rps']:>8,.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p99 {result['p99_ms']:6.2f} ms  (one client; {found} on the first page)"
    )
    return result


def _measure(
    label: str,
    url: str,
    duration: int,
    scripts: tuple[str, ...],
    headers: dict[str, str] | None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    wrk(url, duration=1, scripts=scripts, headers=headers, env=env)  # warm-up
    r = wrk(url, duration=duration, scripts=scripts, headers=headers, env=env)
    cached = ""
    if r.get("cache_hits", -1) + r.get("cache_misses", -1) > 0:
        cached = f"  cache hits {r['cache_hits']:,} of {r['cache_hits'] + r['cache_misses']:,}"
    say(
        f"  {label:<15} {r['rps']:>8,.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
        f"p99 {r['p99_ms']:6.2f} ms  non-2xx {r['non_2xx']}{cached}"
    )
    return r


@contextlib.contextmanager
def _misses(
    prefix: str, paths: list[str] | None, site: str, product: str
) -> Iterator[dict[str, str] | None]:
    """For a miss scenario (``paths``, all of ``product``): the paths in a file for
    paths.lua, and a thread deleting their cached bodies every 5 ms, so that each request
    finds its body gone while generations and site rows stay cached, as on a real miss.
    Nothing for other scenarios.

    The bodies' keys are the ones the server's own lookup names (``FastStore.lookup``,
    with the key ``PublicReads.key`` makes of the path), in every content coding, so each
    deletion is one UNLINK of a few dozen keys: a SCAN of the keyspace every 5 ms took
    half of Redis's time from the server and halved the miss rate it measured.
    """
    if paths is None:
        yield None
        return
    from plaudit_server import create_app
    from plaudit_server.cache import coded_key

    # TESTING: an app for its key functions only (no logging set-up of its own).
    settings = {"SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": "sqlite://", "TESTING": True}
    app = create_app({**settings, "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix})
    cache = app.extensions["plaudit_cache"]
    bodies = []
    for path in paths:
        key = cache.reads.key(*path.split("?", 1))
        assert key is not None, path
        found = cache.store.lookup(site, product, key)  # no write happens during the run
        assert found is not None, "Redis is unreachable"
        bodies += [coded_key(found.body_key, coding) for coding in ("identity", "gzip", "br")]
    store = cache.store.client
    stop = threading.Event()

    def evict() -> None:
        while not stop.wait(0.005):
            store.unlink(*bodies)

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    evictor = threading.Thread(target=evict, daemon=True)
    evictor.start()
    try:
        yield {"PLAUDIT_BENCH_PATHS": listing.name, "PLAUDIT_BENCH_THREADS": WRK_THREADS}
    finally:
        stop.set()
        evictor.join()
        store.close()
        os.unlink(listing.name)


def _signed_in_cookie(base: str, info: dict[str, Any]) -> str:
    """Sign in through the admin page's login form; the session cookie it sets."""
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/admin/login").status_code == 200
        response = client.post(
            "/admin/login",
            data={"email": info["owner_email"], "password": info["owner_password"]},
            headers={"Sec-Fetch-Site": "same-origin"},  # as a browser says of the page's form
        )
        if response.status_code != 302:
            raise RuntimeError(f"admin sign-in failed: {response.status_code}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def _page_paths(base: str, path: str, first: int, count: int) -> tuple[list[str], int]:
    """Paths of ``count`` consecutive pages of ``path`` (10 reviews each) from page
    ``first`` on, walking the cursors; on a small product, the last ``count`` pages
    (fewer if it has fewer). Returns them and the number of the first page."""
    cursors: list[str | None] = [None]  # page 1
    with httpx.Client(base_url=base, timeout=30) as client:
        while len(cursors) < first + count - 1:
            params = {"limit": "10", **({"cursor": cursors[-1]} if cursors[-1] else {})}
            next_cursor = client.get(path, params=params).json()["next_cursor"]
            if next_cursor is None:
                break
            cursors.append(next_cursor)
    chosen = cursors[-count:] if len(cursors) < first + count - 1 else cursors[first - 1 :]
    paths = [f"{path}?limit=10" + (f"&cursor={quote(c, safe='')}" if c else "") for c in chosen]
    return paths, len(cursors) - len(chosen) + 1


# ---------------------------------------------------------------- report


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


ADMIN_FLAT = ("admin_page", "admin_queue")  # req/s at the largest scale >= 75% of smallest


def admin_checks(scales: list[Scale]) -> dict[str, tuple[float, str]]:
    """The admin page (HTML) and API queue side by side at the smallest and largest
    scale, and one client's text search at the largest."""
    first, last = scales[0], scales[-1]
    print(f"\n{'admin, req/s':<42}{first.reviews:>12,}{last.reviews:>12,}{'ratio':>8}  target")
    checks: dict[str, tuple[float, str]] = {}
    for key in ADMIN_FLAT:
        a, b = first.results[key]["rps"], last.results[key]["rps"]
        print(f"{key:<42}{a:>12,.0f}{b:>12,.0f}{ratio(b, a):>8.2f}  >= 0.75")
        checks[f"{key} {last.reviews:,} / {first.reviews:,} (req/s)"] = (ratio(b, a), ">= 0.75")
    search = last.results["admin_search"]
    print(
        f"{'admin_search, one client @ ' + format(last.reviews, ','):<42}"
        f"p50 {search['p50_ms']:.1f} ms, p99 {search['p99_ms']:.1f} ms  target p50 < 50 ms"
    )
    checks[f"admin_search p50 ms @ {last.reviews:,}"] = (search["p50_ms"], "< 50")
    return checks


def report(
    ceiling: dict[str, Any] | None,
    isso: dict[str, Any] | None,
    scales: list[Scale],
    invitations: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    rows = []
    if ceiling and isso:
        rows += [
            ("ceiling (bare Flask, 1 KB JSON)", ceiling),
            ("Isso thread read (50 comments)", isso),
        ]
    for scale in scales:
        if scale.ceiling:
            rows.append((f"ceiling again @ {scale.reviews:,}", scale.ceiling))
        for label, result in scale.results.items():
            rows.append((f"plaudit {label} @ {scale.reviews:,}", result))
    for label, result in (invitations or {}).items():
        # invitations/s and e-mails/s: see bench/invitations.py
        rows.append((f"plaudit {label} (per s)", result))
    print(f"\n{'scenario':<42}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
    for label, r in rows:
        print(
            f"{label:<42}{r['rps']:>10,.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}"
            f"{r['non_2xx']:>9}"
        )
    checks = admin_checks(scales)
    if ceiling and isso:
        checks.update(api_checks(ceiling, isso, scales))
    if invitations:
        from invitations import checks as invitation_checks

        checks.update(invitation_checks(invitations))
    print(f"\n{'ratio':<42}{'value':>10}  target")
    for label, (value, target) in checks.items():
        print(f"{label:<42}{value:>10.2f}  {target}")
    if ceiling and isso:
        from community import bundle_sizes

        print("\nwidget sizes (bench/widget_size.py: the core, the bundles, the chunks)")
        print(bundle_sizes().rstrip())
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "settings": {"gunicorn_workers": WORKERS, "wrk": " ".join(WRK)},
        "ceiling": ceiling,
        "isso": isso,
        "scales": [
            {
                "reviews": s.reviews,
                "page": s.page,
                "rss_mb": s.rss_mb,
                "rss_start_mb": s.rss_start_mb,
                "rss_api_mb": s.rss_api_mb,
                "ceiling": s.ceiling,
                "results": s.results,
            }
            for s in scales
        ],
        "invitations": invitations,
        "checks": {k: {"value": v, "target": t} for k, (v, t) in checks.items()},
    }


def api_checks(
    ceiling: dict[str, Any], isso: dict[str, Any], scales: list[Scale]
) -> dict[str, tuple[float, str]]:
    """The widget API's targets, at the largest scale and against the smallest."""
    first, last = scales[0], scales[-1]
    hit = last.results["read_hit"]["rps"]
    checks = {
        "read_hit / ceiling (measured together)": (ratio(hit, last.ceiling["rps"]), ">= 0.70"),
        **{
            f"{label} / ceiling (measured together)": (
                ratio(last.results[label]["rps"], last.ceiling["rps"]),
                ">= 0.70",
            )
            for label in ("questions_hit", "ideas_hit")
            if label in last.results
        },
        "read_hit / isso": (ratio(hit, isso["rps"]), ">= 20"),
        "read_miss req/s": (last.results["read_miss"]["rps"], ">= 1000"),
        "read_miss p99 ms": (last.results["read_miss"]["p99_ms"], "< 50"),
        "submit req/s": (last.results["submit"]["rps"], ">= 400"),
        "page_1000 / page_1 (req/s)": (
            ratio(last.results["page_1000_miss"]["rps"], last.results["page_1_miss"]["rps"]),
            "~ 1",
        ),
        "worker RSS MB after the run (max)": (max(last.rss_mb or [0]), "< 100"),
        "worker RSS MB at start (max)": (max(last.rss_start_mb or [0]), "(imports)"),
        "worker RSS MB before the admin page (max)": (max(last.rss_api_mb or [0]), "(API only)"),
    }
    if first is not last:
        for key in ("read_hit", "read_miss", "submit"):
            change = ratio(last.results[key]["rps"], first.results[key]["rps"]) - 1
            checks[f"{key} change {first.reviews:,} -> {last.reviews:,}"] = (change, "|x| < 0.25")
    return checks


def chart(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = [s["reviews"] for s in data["scales"]]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    labels = ("read_hit", "read_miss", "badges_50", "page_1000_miss", "submit", "admin_queue")
    for label in (*labels, "admin_page"):
        ax.plot(
            scales, [s["results"][label]["p99_ms"] for s in data["scales"]], marker="o", label=label
        )
    ax.axhline(data["ceiling"]["p99_ms"], linestyle=":", color="grey", label="ceiling")
    ax.set_xscale("log")
    ax.set_xlabel("reviews in the database")
    ax.set_ylabel("p99 latency (ms)")
    ax.set_title("Plaudit p99 latency against scale (2 workers, wrk -t2 -c32)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1000,100000,1000000")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument(
        "--admin-only",
        action="store_true",
        help="only the admin page, API queue and search (no ceiling, Isso, widget API);"
        " prints the table and checks, writes no results",
    )
    parser.add_argument(
        "--no-invitations",
        action="store_true",
        help="skip creating and sending review requests (bench/invitations.py)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    sys.path.insert(0, str(HERE))
    ensure_server()
    ceiling = isso = None
    if not args.admin_only:
        say("ceiling ...")
        ceiling = run_ceiling(args.duration)
        say(f"  {ceiling['rps']:,.0f} req/s")
        say("Isso ...")
        isso = run_isso(args.duration)
        say(f"  {isso['rps']:,.0f} req/s")
    scales = [
        run_plaudit(int(n), args.duration, admin_only=args.admin_only)
        for n in args.scales.split(",")
    ]
    invitations = None
    if not (args.admin_only or args.no_invitations):
        from invitations import run_invitations

        say("invitations ...")
        invitations = run_invitations()
    data = report(ceiling, isso, scales, invitations)
    if args.admin_only:
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(data, indent=2))
    chart(data, RESULTS / "latency.png")
    say(f"\nwrote {RESULTS / 'latest.json'} and {RESULTS / 'latency.png'}")


if __name__ == "__main__":
    main()
