"""Webhooks: what they cost a review submission, and how fast one worker delivers them.
Run by hand: ``scripts/bench --webhooks [--duration 8 --rounds 5]``.

1. **Submission cost**: ``POST .../reviews`` with wrk (bench/wrk/post_review.lua)
   against the production-like server ``run.py`` starts (gunicorn, 2 sync workers,
   PostgreSQL, Redis), alternately with no webhook and with two webhooks subscribed to
   every event (``["*"]``), ``--rounds`` times each, so a drift of the machine hits
   both alike. Each submission then also writes its event and two deliveries to the
   outbox in its transaction; nothing else changes on the request's path (the worker
   delivers; none runs meanwhile, so its CPU is not what is measured). Target: with
   two webhooks at most 10% slower than with none.
2. **Delivery**: the deliveries those submissions left in the outbox are delivered by
   ``plaudit worker --burst`` (one worker process, what the Procfile's ``worker`` line
   runs) to a receiver in this process (a minimal keep-alive HTTP/1.1 server on
   asyncio: the point is the sender's cost, not a web framework's). Deliveries/s from
   the first arrival to the last. Target: 300/s or more. Every delivery must arrive
   (distinct ``webhook-id`` per webhook) and be ``succeeded`` in the database.

Prints the numbers side by side and the checks against the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from invitations import _forget  # noqa: E402  (bench/invitations.py: this run's Redis keys)
from run import (  # noqa: E402  (bench/run.py: the same server, database and seed)
    SERVER_BIN,
    _database,
    _drop,
    ensure_server,
    free_port,
    gunicorn,
    migrate_and_seed,
    say,
    server_env,
    wrk,
)

TARGET_SLOWDOWN = 0.10  # at most 10% fewer submissions/s with two webhooks
TARGET_DELIVERIES = 300.0  # deliveries/s from one worker


@dataclass
class Receiver:
    """A minimal HTTP/1.1 server (keep-alive, Content-Length bodies) answering 200 to
    every POST and keeping only arrival times, paths and ``webhook-id`` headers."""

    port: int = 0
    connections: int = 0
    arrivals: list[float] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    _loop: asyncio.AbstractEventLoop | None = None

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while request_line := await reader.readline():
                path = request_line.split(b" ")[1].decode()
                length, msg_id = 0, ""
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "webhook-id":
                        msg_id = value.strip()
                await reader.readexactly(length)
                self.arrivals.append(time.monotonic())
                self.seen.add((path, msg_id))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        writer.close()

    def start(self) -> Receiver:
        self.port = free_port()
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", self.port))
            ready.set()
            loop.run_forever()

        self._loop = loop
        threading.Thread(target=serve, daemon=True).start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)


def _submissions(url: str, duration: int) -> dict[str, Any]:
    result = wrk(url, duration=duration, scripts=("post_review.lua",))
    if result.get("non_2xx"):
        raise RuntimeError(f"submissions failed: {result}")
    return result


def run_webhooks(duration: int = 8, rounds: int = 3) -> dict[str, Any]:
    name = "plaudit_bench_webhooks"
    dsn = _database(name)
    api_key = "sk_live_bench_" + secrets.token_urlsafe(24)
    env = {**server_env(dsn), "PLAUDIT_WEBHOOKS_ALLOW_PRIVATE": "true"}
    receiver = Receiver().start()
    try:
        info = migrate_and_seed(dsn, env, 1000, api_key)
        admin = {"Authorization": f"Bearer {api_key}"}
        with gunicorn("plaudit_server:create_app()", env, health="/healthz") as server:
            url = f"{server.url}/api/v1/sites/{info['site']}/products/{info['hot_product']}/reviews"
            client = httpx.Client(base_url=server.url, headers=admin, timeout=30)
            _submissions(url, 2)  # warm-up
            none: list[float] = []
            two: list[float] = []
            hooks: list[str] = []
            for n in range(rounds):
                for webhook_id in hooks:
                    client.delete(f"/api/v1/admin/webhooks/{webhook_id}").raise_for_status()
                hooks = []
                rps = _submissions(url, duration)["rps"]
                none.append(rps)
                say(f"  round {n + 1}: no webhook     {rps:>8,.0f} submissions/s")
                for i in range(2):
                    made = client.post(
                        "/api/v1/admin/webhooks",
                        json={"url": f"http://127.0.0.1:{receiver.port}/hook-{n}-{i}"},
                    )
                    made.raise_for_status()
                    hooks.append(made.json()["webhook"]["id"])
                rps = _submissions(url, duration)["rps"]
                two.append(rps)
                say(f"  round {n + 1}: two webhooks   {rps:>8,.0f} submissions/s")
            client.close()
        with psycopg.connect(dsn) as conn:
            # The last round's webhooks are still there: each of its events is due to
            # both (the events of earlier rounds lost theirs with them).
            pending = (
                2
                * conn.execute(
                    "SELECT count(*) FROM webhook_events WHERE dispatched_at IS NULL"
                    " AND created_at >= (SELECT max(created_at) FROM webhooks)"
                ).fetchone()[0]
            )
        say(f"delivering {pending:,} deliveries (two webhooks) through one worker ...")
        started = time.monotonic()
        result = subprocess.run(
            [str(SERVER_BIN / "plaudit"), "worker", "--burst"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        elapsed = time.monotonic() - started
        if result.returncode:
            raise RuntimeError(f"the worker failed: {result.stderr[-2000:]}")
        with psycopg.connect(dsn) as conn:
            succeeded = conn.execute(
                "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"
            ).fetchone()[0]
    finally:
        receiver.stop()
        if not os.environ.get("PLAUDIT_BENCH_KEEP_DATABASES"):
            _drop(name)
        _forget(env["PLAUDIT_REDIS_KEY_PREFIX"])
    arrivals = sorted(receiver.arrivals)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    gaps = sorted(b - a for a, b in itertools.pairwise(arrivals)) or [0.0]
    return {
        "submit_none": statistics.mean(none),
        "submit_two": statistics.mean(two),
        "rounds_none": none,
        "rounds_two": two,
        "slowdown": 1 - statistics.mean(two) / statistics.mean(none),
        "slowdown_median_round": statistics.median(
            1 - t / n for n, t in zip(none, two, strict=True)
        ),
        "pending": pending,
        "arrived": len(arrivals),
        "distinct": len(receiver.seen),
        "succeeded": succeeded,
        "connections": receiver.connections,
        "deliveries_per_s": (len(arrivals) - 1) / span if span else float("nan"),
        "with_start_per_s": len(arrivals) / elapsed,
        "gap_p50_ms": statistics.median(gaps) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="runs with and without, each")
    args = parser.parse_args()
    ensure_server()
    r = run_webhooks(args.duration, args.rounds)
    print(f"\n{'scenario':<46}{'per s':>10}")
    print(f"{'submissions, no webhook (mean of rounds)':<46}{r['submit_none']:>10,.0f}")
    print(f"{'submissions, two webhooks (mean of rounds)':<46}{r['submit_two']:>10,.0f}")
    print(f"{'deliveries, one worker':<46}{r['deliveries_per_s']:>10,.0f}")
    print(f"{'deliveries, one worker with its start-up':<46}{r['with_start_per_s']:>10,.0f}")
    print(
        f"\n{r['arrived']:,} arrived of {r['pending']:,} pending ({r['distinct']:,} distinct,"
        f" {r['succeeded']:,} succeeded in the database, {r['connections']} connections)"
    )
    ok_slow = r["slowdown"] <= TARGET_SLOWDOWN
    ok_rate = r["deliveries_per_s"] >= TARGET_DELIVERIES
    ok_all = r["arrived"] == r["distinct"] == r["succeeded"] == r["pending"]
    print(f"\n{'check':<46}{'value':>10}  target")
    print(
        f"{'slowdown with two webhooks':<46}{r['slowdown']:>10.1%}  <= 10%"
        f"  {'PASS' if ok_slow else 'FAIL'}"
    )
    print(
        f"{'deliveries/s (one worker)':<46}{r['deliveries_per_s']:>10,.0f}  >= 300"
        f"  {'PASS' if ok_rate else 'FAIL'}"
    )
    print(f"{'every delivery arrived once':<46}{ok_all!s:>10}  True")
    pairs = zip(r["rounds_none"], r["rounds_two"], strict=True)
    rounds = ", ".join(f"{1 - two / none:.1%}" for none, two in pairs)
    print(f"\nslowdown per round: {rounds} (median {r['slowdown_median_round']:.1%})")


if __name__ == "__main__":
    main()
