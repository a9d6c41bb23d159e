"""A memory soak: Plaudit's production setup under mixed traffic, every web worker's
memory sampled throughout. Run by hand:

    scripts/bench --soak                 # a warm-up minute, then 10 minutes
    scripts/bench --soak --minutes 2

The setup is the benchmark's (bench/run.py): gunicorn from bench/.venv-server with
``--workers`` sync workers (4 by default), a PostgreSQL database of its own seeded by
bench/seed.py, plus what the benchmark leaves out: a redis-server of its own (nothing
shared is flushed or filled) and the job worker (``plaudit worker``) of the Procfile.

Client threads send a weighted mix of cached reads, misses, star-badge summaries,
review submissions, helpful votes and admin queue reads (API and HTML page). Writes
bump the generations of the products they touch, so reads of those products miss as
they do in a shop. After the warm-up (caches filled, lazy imports done), each worker's
resident memory is the start figure; the last sample is the end figure.

Targets (issue #12): every web worker under 100 MB at the end, and none growing by 2 MB
or more between the two. Prints PASS or FAIL for each and writes bench/results/soak.json
with every sample, so a slow climb can be told from a step.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
import run
from run import (
    RESULTS,
    SERVER_BIN,
    Server,
    ensure_server,
    free_port,
    gunicorn,
    migrate_and_seed,
    say,
)

RSS_TARGET_MB = 100.0
GROWTH_TARGET_MB = 2.0
DATABASE = "plaudit_soak"
LISTING_PAGE = 50  # products on a listing page: one summaries request for its badges


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server on a free port, without persistence, gone afterwards: the soak
    writes for minutes and must neither fill nor flush the machine's shared Redis."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            with redis.Redis.from_url(url) as client:
                deadline = time.monotonic() + 10
                while True:
                    try:
                        client.ping()
                        break
                    except redis.ConnectionError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


@contextlib.contextmanager
def job_worker(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """The Procfile's ``worker``: runs the jobs the web workers enqueue (statistics)."""
    proc = subprocess.Popen(
        [str(SERVER_BIN / "plaudit"), "worker"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker_pids(server: Server) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True)
    return sorted(int(pid) for pid in out.stdout.split())


# ---------------------------------------------------------------- traffic


@dataclass
class Shop:
    """What the traffic needs to know of the seeded site."""

    base: str  # /api/v1/sites/<site>
    hot: str  # the hot product's external id
    products: list[str]
    review_ids: list[str]
    api_key: str
    admin_page: str
    cookie: str


Request = Callable[[httpx.Client, random.Random, Shop, int], httpx.Response]


def _cached_read(client: httpx.Client, rng: random.Random, shop: Shop, n: int) -> httpx.Response:
    # The widget's first page of the best seller: a hit unless a write just landed on it.
    return client.get(f"{shop.base}/products/{shop.hot}/reviews", params={"limit": "10"})


def _miss(client: httpx.Client, rng: random.Random, shop: Shop, n: int) -> httpx.Response:
    # Any product, sorted and filtered as a visitor might: tens of thousands of keys.
    params = {"sort": rng.choice(("newest", "oldest", "highest", "lowest", "helpful"))}
    if rng.random() < 0.5:
        params["rating"] = str(rng.randint(1, 5))
    return client.get(f"{shop.base}/products/{rng.choice(shop.products)}/reviews", params=params)


def _summaries(client: httpx.Client, rng: random.Random, shop: Shop, n: int) -> httpx.Response:
    page = rng.randrange(len(shop.products) // LISTING_PAGE) * LISTING_PAGE
    products = ",".join(shop.products[page : page + LISTING_PAGE])
    return client.get(f"{shop.base}/summaries", params={"products": products})


def _submit(client: httpx.Client, rng: random.Random, shop: Shop, n: int) -> httpx.Response:
    body = {
        "rating": rng.randint(1, 5),
        "title": "Soak",
        "body": f"Soak review {n}: " + " ".join(rng.choices(("good", "fine", "loud", "ok"), k=9)),
        "author_name": f"Soak {n % 97}",
    }
    # Mostly the best sellers, as in run.py's seed: their cached pages keep turning over.
    product = shop.hot if rng.random() < 0.5 else rng.choice(shop.products)
    return client.post(f"{shop.base}/products/{product}/reviews", json=body)


def _vote(client: httpx.Client, rng: random.Random, shop: Shop, n: int) -> httpx.Response:
    review = rng.choice(shop.review_ids)
    return client.post(f"{shop.base}/reviews/{review}/votes", json={"helpful": rng.random() < 0.8})


def _admin_queue(client: httpx.Client, rng: random.Random, shop: Shop, n: int) -> httpx.Response:
    return client.get(
        "/api/v1/admin/reviews",
        params={"status": rng.choice(("pending", "published")), "limit": "50"},
        headers={"Authorization": f"Bearer {shop.api_key}"},
    )


def _admin_stats(client: httpx.Client, rng: random.Random, shop: Shop, n: int) -> httpx.Response:
    # Computed by the job worker after writes (jobs.refresh_stats), else by the request.
    return client.get("/api/v1/admin/stats", headers={"Authorization": f"Bearer {shop.api_key}"})


def _admin_page(client: httpx.Client, rng: random.Random, shop: Shop, n: int) -> httpx.Response:
    return client.get(shop.admin_page, headers={"Cookie": shop.cookie})


# Weights: reads dominate, as on a shop; every kind comes often enough to leak visibly.
MIX: dict[str, tuple[int, Request]] = {
    "cached_read": (40, _cached_read),
    "miss": (20, _miss),
    "summaries": (12, _summaries),
    "submit": (6, _submit),
    "vote": (8, _vote),
    "admin_queue": (6, _admin_queue),
    "admin_stats": (2, _admin_stats),
    "admin_page": (6, _admin_page),
}


@dataclass
class Tally:
    """Per kind of request: how many, how many not 2xx (or no answer), how many hits."""

    sent: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    first_failure: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, other: Tally) -> None:
        with self.lock:
            self.sent.update(other.sent)
            self.failed.update(other.failed)
            self.hits.update(other.hits)
            for kind, text in other.first_failure.items():
                self.first_failure.setdefault(kind, text)


def client_thread(url: str, shop: Shop, seed_: int, stop: threading.Event, total: Tally) -> None:
    rng = random.Random(seed_)
    kinds = list(MIX)
    weights = [MIX[kind][0] for kind in kinds]
    mine = Tally()
    n = seed_ * 10_000_000
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            kind = rng.choices(kinds, weights)[0]
            n += 1
            mine.sent[kind] += 1
            try:
                response = MIX[kind][1](client, rng, shop, n)
            except httpx.HTTPError as exc:
                mine.failed[kind] += 1
                mine.first_failure.setdefault(kind, repr(exc))
                continue
            if not response.is_success:
                mine.failed[kind] += 1
                mine.first_failure.setdefault(kind, f"{response.status_code} {response.text[:200]}")
            elif response.headers.get("X-Cache") == "hit":
                mine.hits[kind] += 1
    total.add(mine)


# ---------------------------------------------------------------- the soak


def prepare(dsn: str, env: dict[str, str], reviews: int, api_key: str) -> dict[str, Any]:
    info = migrate_and_seed(dsn, env, reviews, api_key)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT id FROM reviews WHERE status = 'published' ORDER BY random() LIMIT 2000"
        ).fetchall()
    info["review_ids"] = [row[0] for row in rows]
    return info


def soak(args: argparse.Namespace) -> dict[str, Any]:
    run.WORKERS = args.workers  # gunicorn() reads it when it starts the server
    api_key = "sk_live_soak_" + secrets.token_urlsafe(24)
    dsn = run._database(DATABASE)
    try:
        with private_redis() as redis_url:
            env = {
                "DATABASE_URL": dsn,
                "REDIS_URL": redis_url,
                "SECRET_KEY": "soak-secret-" + "0" * 32,
                "RATELIMIT_ENABLED": "false",
            }
            info = prepare(dsn, env, args.reviews, api_key)
            with (
                job_worker(env) as jobs,
                gunicorn("plaudit_server:create_app()", env, health="/healthz") as server,
            ):
                shop = Shop(
                    base=f"/api/v1/sites/{info['site']}",
                    hot=info["hot_product"],
                    products=info["products"],
                    review_ids=info["review_ids"],
                    api_key=api_key,
                    admin_page=f"/admin/{info['site']}/reviews?status=pending&limit=50",
                    cookie=run._signed_in_cookie(server.url, info),
                )
                return traffic(args, server, shop, jobs)
    finally:
        run._drop(DATABASE)


def traffic(
    args: argparse.Namespace, server: Server, shop: Shop, jobs: subprocess.Popen[bytes]
) -> dict[str, Any]:
    pids = worker_pids(server)
    idle_mb = [rss_mb(pid) for pid in pids]
    tally, stop = Tally(), threading.Event()
    threads = [
        threading.Thread(target=client_thread, args=(server.url, shop, n + 1, stop, tally))
        for n in range(args.threads)
    ]
    samples: list[dict[str, Any]] = []
    warmup, length = args.warmup * 60, args.warmup * 60 + args.minutes * 60
    started = time.monotonic()
    for thread in threads:
        thread.start()
    say(f"{args.workers} workers {pids}, {args.threads} client threads")
    say(f"warm-up {args.warmup:g} min, then {args.minutes:g} min; a sample every {args.interval} s")
    start_index = None
    try:
        while True:
            elapsed = time.monotonic() - started
            sample = {
                "t": round(elapsed, 1),
                "rss_mb": [round(rss_mb(pid), 2) for pid in pids],
                "job_worker_mb": round(rss_mb(jobs.pid), 2),
            }
            samples.append(sample)
            if start_index is None and elapsed >= warmup:
                start_index = len(samples) - 1
                say(f"  {elapsed:5.0f} s  start  {_mbs(sample['rss_mb'])}")
            elif len(samples) % max(1, int(60 / args.interval)) == 0:
                say(f"  {elapsed:5.0f} s         {_mbs(sample['rss_mb'])}")
            if elapsed >= length:
                break
            time.sleep(min(args.interval, max(0.0, length - (time.monotonic() - started))))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    seconds = time.monotonic() - started
    assert start_index is not None
    replaced = worker_pids(server) != pids
    return summarize(args, samples, start_index, idle_mb, tally, seconds, replaced, jobs)


def _mbs(values: list[float]) -> str:
    return "  ".join(f"{value:6.1f}" for value in values) + "  MB"


def summarize(
    args: argparse.Namespace,
    samples: list[dict[str, Any]],
    start_index: int,
    idle_mb: list[float],
    tally: Tally,
    seconds: float,
    replaced: bool,
    jobs: subprocess.Popen[bytes],
) -> dict[str, Any]:
    start, end = samples[start_index], samples[-1]
    soaked = samples[start_index:]
    workers = []
    for i, (before, after) in enumerate(zip(start["rss_mb"], end["rss_mb"], strict=True)):
        minutes = [(s["t"] - start["t"]) / 60 for s in soaked]
        values = [s["rss_mb"][i] for s in soaked]
        slope = statistics.linear_regression(minutes, values).slope if len(soaked) > 1 else 0.0
        workers.append(
            {
                "idle_mb": round(idle_mb[i], 2),
                "start_mb": before,
                "end_mb": after,
                "growth_mb": round(after - before, 2),
                "peak_mb": max(values),
                "slope_mb_per_min": round(slope, 3),
            }
        )
    sent = sum(tally.sent.values())
    failed = sum(tally.failed.values())
    checks = {
        f"every worker < {RSS_TARGET_MB:g} MB at the end": max(w["end_mb"] for w in workers)
        < RSS_TARGET_MB,
        f"every worker grew < {GROWTH_TARGET_MB:g} MB": max(w["growth_mb"] for w in workers)
        < GROWTH_TARGET_MB,
        # A soak that failed its requests or lost a worker did not exercise the code.
        "under 1% of requests failed": failed <= sent / 100,
        "no worker replaced, job worker alive": not replaced and jobs.poll() is None,
    }
    requests = {
        kind: {
            "sent": tally.sent[kind],
            "failed": tally.failed[kind],
            "cache_hits": tally.hits[kind],
            **({"first_failure": tally.first_failure[kind]} if kind in tally.first_failure else {}),
        }
        for kind in MIX
    }
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "redis_py": _server_redis_version(),
        },
        "settings": {
            "gunicorn_workers": args.workers,
            "client_threads": args.threads,
            "warmup_minutes": args.warmup,
            "minutes": args.minutes,
            "interval_s": args.interval,
            "reviews": args.reviews,
            "mix": {kind: weight for kind, (weight, _) in MIX.items()},
        },
        "targets": {"rss_mb": RSS_TARGET_MB, "growth_mb": GROWTH_TARGET_MB},
        "requests": requests,
        "requests_per_s": round(sent / seconds, 1),
        "workers": workers,
        "job_worker_mb": {"start": start["job_worker_mb"], "end": end["job_worker_mb"]},
        "checks": checks,
        "passed": all(checks.values()),
        "samples": samples,
    }


def _server_redis_version() -> str:
    out = subprocess.run(
        [str(SERVER_BIN / "python"), "-c", "import redis; print(redis.__version__)"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def report(data: dict[str, Any]) -> None:
    print(f"\n{'kind':<14}{'requests':>10}{'failed':>8}{'cache hits':>12}")
    for kind, r in data["requests"].items():
        print(f"{kind:<14}{r['sent']:>10,}{r['failed']:>8,}{r['cache_hits']:>12,}")
        if "first_failure" in r:
            print(f"    first failure: {r['first_failure']}")
    print(f"{data['requests_per_s']:,.0f} requests/s over the whole run")
    print(f"\n{'worker':<8}{'idle MB':>9}{'start MB':>10}{'end MB':>9}{'growth':>8}{'MB/min':>8}")
    for n, w in enumerate(data["workers"], 1):
        print(
            f"{n:<8}{w['idle_mb']:>9.1f}{w['start_mb']:>10.1f}{w['end_mb']:>9.1f}"
            f"{w['growth_mb']:>+8.2f}{w['slope_mb_per_min']:>+8.3f}"
        )
    jobs = data["job_worker_mb"]
    print(f"job worker: {jobs['start']:.1f} MB at the start, {jobs['end']:.1f} MB at the end")
    print()
    for label, ok in data["checks"].items():
        print(f"{'PASS' if ok else 'FAIL'}  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="length after the warm-up")
    parser.add_argument("--warmup", type=float, default=1, help="minutes before the start")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--reviews", type=int, default=100_000, help="reviews seeded")
    parser.add_argument("--interval", type=float, default=5, help="seconds between samples")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is missing: apt-get install redis-server")
    ensure_server()
    data = soak(args)
    report(data)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(data, indent=2) + "\n")
    say(f"\nwrote {RESULTS / 'soak.json'}")
    sys.exit(0 if data["passed"] else 1)


if __name__ == "__main__":
    main()
