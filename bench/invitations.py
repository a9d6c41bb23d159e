"""Review requests: creating them through the batch endpoint, sending them through one
worker. Run by hand (``scripts/bench --invitations``), or with the rest by ``run.py``.

1. **Creating**: ``POST /api/v1/admin/invitations/batch`` with 500 invitations a request
   (a name and 1-3 products each; the site's ``invite_delay_days`` set to 1, so nothing
   is sent meanwhile), from 4 client threads over real HTTP, against the
   production-like server ``run.py`` starts (gunicorn, 2 sync workers, PostgreSQL,
   Redis). Target: 2,000 invitations/s or more.
2. **Sending**: some of them made due at once, then ``plaudit worker --burst`` (one
   worker process, what the Procfile's ``worker`` line runs) mails them to an SMTP sink
   in this process (a minimal SMTP server on asyncio: the point is the sender's cost,
   not a mail server's). Target: 100 e-mails/s or more, over reused connections: the
   sink counts the connections.

Prints both side by side with ``run.py``'s scenarios (invitations/s, e-mails/s) and
checks every invitation ended ``sent`` and every mail arrived once.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import (  # noqa: E402  (bench/run.py: the same server, database and seed)
    REDIS_URL,
    SERVER_BIN,
    _database,
    _drop,
    ensure_server,
    free_port,
    gunicorn,
    migrate_and_seed,
    say,
    server_env,
)

PER_REQUEST = 500
CLIENTS = 4
TARGET_CREATE = 2000.0  # invitations/s
TARGET_SEND = 100.0  # e-mails/s


# ---------------------------------------------------------------- an SMTP sink


@dataclass
class Sink:
    """A minimal SMTP server (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that keeps no
    message, only what the benchmark needs: arrival times, Message-IDs, connections."""

    port: int = 0
    connections: int = 0
    arrivals: list[float] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.write(b"220 sink ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                message_id = ""
                while (body := await reader.readline()) not in (b".\r\n", b""):
                    if body[:11].lower() == b"message-id:":
                        message_id = body[11:].strip().decode()
                self.arrivals.append(time.monotonic())
                self.message_ids.append(message_id)
                writer.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # MAIL, RCPT, RSET, NOOP
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()

    def start(self) -> Sink:
        self.port = free_port()
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            server = loop.run_until_complete(
                asyncio.start_server(self._session, "127.0.0.1", self.port)
            )
            ready.set()
            loop.run_forever()
            server.close()

        self._loop, self._thread = loop, threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)


# ---------------------------------------------------------------- the scenarios


def create(base: str, api_key: str, products: list[str], requests: int) -> dict[str, Any]:
    """``requests`` batches of 500 from CLIENTS threads (after one warm-up batch)."""
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    # Tomorrow: creating is measured alone (the send scenario makes some due).
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        client.patch("/api/v1/admin/site", json={"invite_delay_days": 1}).raise_for_status()

    def body(n: int) -> bytes:
        items = [
            {
                "order_id": f"o{n}-{i}",
                "email": f"b{n}.{i}@example.com",
                "name": f"Buyer {i}",
                "products": products[(n + i) % 997 : (n + i) % 997 + 1 + i % 3],
            }
            for i in range(PER_REQUEST)
        ]
        # Compact: the API's body limit is 64 KiB (MAX_CONTENT_LENGTH).
        return json.dumps({"invitations": items}, separators=(",", ":")).encode()

    bodies = [body(n) for n in range(requests + 1)]
    say(f"  {len(bodies[0]):,} bytes a request")
    durations: list[float] = []
    local = threading.local()

    def post(payload: bytes) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, headers=headers, timeout=60)
        started = time.perf_counter()
        response = client.post("/api/v1/admin/invitations/batch", content=payload)
        durations.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        answer = response.json()
        if answer["errors"] or len(answer["created"]) != PER_REQUEST:
            raise RuntimeError(f"refused: {json.dumps(answer['errors'][:3])}")

    post(bodies[0])  # warm-up
    durations.clear()
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(post, bodies[1:]))
    elapsed = time.perf_counter() - started
    durations.sort()
    return {
        "rps": requests * PER_REQUEST / elapsed,  # invitations/s
        "requests_per_s": requests / elapsed,
        "p50_ms": statistics.median(durations),
        "p99_ms": durations[max(int(len(durations) * 0.99) - 1, 0)],
        "non_2xx": 0,
        "invitations": requests * PER_REQUEST,
        "bytes_per_request": len(bodies[0]),
    }


def send(dsn: str, env: dict[str, str], count: int) -> dict[str, Any]:
    """Make ``count`` invitations due now; time one ``plaudit worker --burst``."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "UPDATE invitations SET send_at = now() AT TIME ZONE 'UTC',"
            " due_at = now() AT TIME ZONE 'UTC'"
            " WHERE id IN (SELECT id FROM invitations ORDER BY id LIMIT %s)",
            (count,),
        )
    sink = Sink().start()
    try:
        worker_env = {**os.environ, **env, "SMTP_URL": f"smtp://127.0.0.1:{sink.port}"}
        started = time.monotonic()
        result = subprocess.run(
            [str(SERVER_BIN / "plaudit"), "worker", "--burst"],
            env=worker_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        elapsed = time.monotonic() - started
        if result.returncode:
            raise RuntimeError(f"the worker failed: {result.stderr[-2000:]}")
    finally:
        sink.stop()
    with psycopg.connect(dsn) as conn:
        sent = conn.execute("SELECT count(*) FROM invitations WHERE status = 'sent'").fetchone()
    arrivals = sink.arrivals
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else float("nan")
    gaps = sorted(b - a for a, b in itertools.pairwise(arrivals)) or [0.0]
    return {
        "rps": (len(arrivals) - 1) / span if span else float("nan"),  # e-mails/s
        "rps_with_start": len(arrivals) / elapsed,  # the worker's start-up included
        "p50_ms": statistics.median(gaps) * 1000,
        "p99_ms": gaps[max(int(len(gaps) * 0.99) - 1, 0)] * 1000,
        "non_2xx": 0,
        "emails": len(arrivals),
        "distinct": len(set(sink.message_ids)),
        "connections": sink.connections,
        "sent_in_db": sent[0] if sent else 0,
        "worker_seconds": elapsed,
    }


def run_invitations(requests: int = 40, emails: int = 3000) -> dict[str, dict[str, Any]]:
    """Both scenarios on a fresh PostgreSQL database (run.py's seed at 1k reviews)."""
    name = "plaudit_bench_invitations"
    dsn = _database(name)
    api_key = "sk_live_bench_" + secrets.token_urlsafe(24)
    env = server_env(dsn)
    try:
        info = migrate_and_seed(dsn, env, 1000, api_key)
        with gunicorn("plaudit_server:create_app()", env, health="/healthz") as server:
            say(f"creating {requests} x {PER_REQUEST} invitations ({CLIENTS} clients) ...")
            created = create(server.url, api_key, info["products"], requests)
        say(
            f"  invitations_create {created['rps']:>8,.0f} invitations/s"
            f"  ({created['requests_per_s']:.1f} req/s, p50 {created['p50_ms']:.0f} ms,"
            f" p99 {created['p99_ms']:.0f} ms)"
        )
        say(f"sending {emails:,} through one worker ...")
        sent = send(dsn, env, emails)
        say(
            f"  invitations_send   {sent['rps']:>8,.0f} e-mails/s  ({sent['emails']:,} arrived,"
            f" {sent['distinct']:,} distinct, {sent['connections']} SMTP connection(s),"
            f" {sent['sent_in_db']:,} sent in the database;"
            f" {sent['rps_with_start']:,.0f}/s with the worker's start-up)"
        )
        if sent["emails"] != emails or sent["distinct"] != emails or sent["sent_in_db"] != emails:
            raise RuntimeError(f"expected {emails} mails, each once: {sent}")
    finally:
        if not os.environ.get("PLAUDIT_BENCH_KEEP_DATABASES"):
            _drop(name)
        _forget(env["PLAUDIT_REDIS_KEY_PREFIX"])
    return {"invitations_create": created, "invitations_send": sent}


def _forget(prefix: str) -> None:
    """Delete this run's keys (its own prefix) from the shared Redis; never a flush."""
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=500))
    if keys:
        client.unlink(*keys)
    client.close()


def checks(results: dict[str, dict[str, Any]]) -> dict[str, tuple[float, str]]:
    return {
        "invitations created /s (batch of 500)": (
            results["invitations_create"]["rps"],
            f">= {TARGET_CREATE:,.0f}",
        ),
        "e-mails sent /s (one worker)": (
            results["invitations_send"]["rps"],
            f">= {TARGET_SEND:.0f}",
        ),
        "SMTP connections for the run": (
            results["invitations_send"]["connections"],
            "1 (reused)",
        ),
    }


@contextmanager
def _timer(label: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    say(f"{label} in {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="batches of 500 to create")
    parser.add_argument("--emails", type=int, default=3000, help="invitations to send")
    args = parser.parse_args()
    ensure_server()
    with _timer("invitations"):
        results = run_invitations(args.requests, args.emails)
    print(f"\n{'scenario':<42}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for label, r in results.items():
        print(f"{label:<42}{r['rps']:>10,.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}")
    print(f"\n{'check':<42}{'value':>10}  target")
    for label, (value, target) in checks(results).items():
        print(f"{label:<42}{value:>10,.0f}  {target}")


if __name__ == "__main__":
    main()
