"""Community reads on the fast path: a product's questions and the idea board, cache hits,
side by side with the review read and the ceiling. Run by hand:

    scripts/bench --community                      # 1k reviews, 8 s per run, 3 rounds
    scripts/bench --community --duration 5 --rounds 2

Issue 18's targets: a question list read and an idea board read (cache hits) at the same
ratio to the ceiling as the review read, at least 0.70; and the widget's questions and
ideas bundles' gzip sizes printed with the core's (``widget_size.py``, which the
widget's own check keeps within budget).

On the production-like server of ``run.py`` (gunicorn, 2 sync workers, PostgreSQL,
Redis, the same ``wrk -t2 -c32``) and its seed (1,000 reviews by default), with
community content added through the public and admin API (questions with the shop's
and customers' answers on the hot product, ideas in every stage with votes): what the
widget reads is what real writes left. The ceiling (a bare Flask app, ``ceiling_app.py``)
runs next to it, and the scenarios are measured in rounds, each round the ceiling and
then every read: on a shared machine the speed drifts, and a ratio should compare
figures measured a few seconds apart. A read's ratio is the median over the rounds of
its requests/s over the ceiling's in the same round; the table shows each scenario's
median round. Then each read's cost per hit inside one process (:func:`hit_costs`),
and the sizes. Writes ``bench/results/community.json``.

The full run (``run.py``) measures ``questions_hit`` and ``ideas_hit`` too, at every
scale, with the same seeding (:func:`community_reads`), and checks their ratios to the
ceiling as it checks the review read's.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from invitations import _forget  # noqa: E402  (bench/invitations.py: this run's Redis keys)
from run import (  # noqa: E402  (bench/run.py: the same server, database and seed)
    RESULTS,
    _database,
    _drop,
    _measure,
    ensure_server,
    gunicorn,
    migrate_and_seed,
    ratio,
    say,
    server_env,
)

TARGET = 0.70  # each community read (hit) / ceiling, as the review read's
ORIGIN = "http://bench.test"  # the seeded site's allowed origin (seed.py)
STAGES = ("open", "under_review", "planned", "in_progress", "shipped", "declined")
QUESTIONS = 40  # on the hot product: four pages of the widget's list
IDEAS = 30  # five in every stage
READS = ("read_hit", "questions_hit", "ideas_hit")

QUESTION_TEXTS = (
    "Does the grinder fit under a standard kitchen cupboard?",
    "How loud is it compared to a blade grinder?",
    "Can I use it for Turkish coffee, and how fine does it go?",
    "Is the hopper easy to take off for cleaning?",
    "Does it come with a warranty outside the EU?",
)
ANSWER_TEXTS = (
    "Yes, it is 38 cm tall with the hopper on.",
    "Much quieter: about as loud as a kettle.",
    "It goes fine enough for espresso; Turkish is a stretch.",
    "Two clicks and it is off, no tools needed.",
)
IDEA_TITLES = (
    "A travel version with a hand crank",
    "Refill packs for the cleaning tablets",
    "Sell replacement burrs separately",
    "A darker glaze for the mug set",
    "Subscription for monthly beans",
    "Recipe cards in the box",
)


# ---------------------------------------------------------------- seeding over the API


def seed_community(base: str, api_key: str, site: str, product: str) -> dict[str, Any]:
    """Questions with answers on ``product`` and ideas in every stage, written through
    the API as a shop's visitors and its owner would; returns what was made."""
    public = httpx.Client(
        base_url=f"{base}/api/v1/sites/{site}", headers={"Origin": ORIGIN}, timeout=30
    )
    admin = httpx.Client(
        base_url=f"{base}/api/v1/admin", headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    )
    answers = votes = 0
    with public, admin:
        for n in range(QUESTIONS):
            asked = _ok(
                public.post(
                    f"/products/{product}/questions",
                    json={
                        "body": f"{QUESTION_TEXTS[n % len(QUESTION_TEXTS)]} (question {n})",
                        "author_name": f"Asker {n}",
                    },
                    # A visitor of its own each, as on a real shop (duplicate checks).
                    headers={"User-Agent": f"bench-asker-{n}"},
                )
            )
            question = asked["question"]["id"]
            if n % 2 == 0:  # the shop answers every other question
                _ok(
                    admin.post(
                        "/answers",
                        json={"question_id": question, "body": f"From the shop: answer {n}."},
                    )
                )
                answers += 1
            for k in range(n % 3):  # and customers 0-2 times
                _ok(
                    public.post(
                        f"/questions/{question}/answers",
                        json={
                            "body": f"{ANSWER_TEXTS[(n + k) % len(ANSWER_TEXTS)]} ({n}.{k})",
                            "author_name": f"Customer {n}.{k}",
                        },
                        headers={"User-Agent": f"bench-answerer-{n}-{k}"},
                    )
                )
                answers += 1
        for n in range(IDEAS):
            proposed = _ok(
                public.post(
                    "/ideas",
                    json={
                        "title": f"{IDEA_TITLES[n % len(IDEA_TITLES)]} ({n})",
                        "body": "It would make the shop even better for people like me.",
                        "author_name": f"Fan {n}",
                    },
                    headers={"User-Agent": f"bench-fan-{n}"},
                )
            )
            idea = proposed["idea"]["id"]
            stage = STAGES[n % len(STAGES)]
            if stage != "open":
                _ok(
                    admin.patch(
                        f"/ideas/{idea}", json={"stage": stage, "stage_note": f"Now {stage}."}
                    )
                )
            # Votes per network are capped (as review votes are): a few from loopback.
            for k in range(n % 4):
                response = public.post(
                    f"/ideas/{idea}/votes",
                    json={"vote": True},
                    headers={"User-Agent": f"bench-voter-{n}-{k}"},
                )
                votes += response.status_code == 200
    return {"questions": QUESTIONS, "answers": answers, "ideas": IDEAS, "votes": votes}


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    answer: dict[str, Any] = response.json()
    if answer.get("status", "published") != "published":
        raise RuntimeError(f"held for moderation, not published: {answer}")
    return answer


def community_reads(
    base: str, api_key: str, info: dict[str, Any]
) -> tuple[dict[str, str], dict[str, Any]]:
    """Seed the community content and return the URLs of the reads to measure, the
    review read first (the widget's first pages: 10 items, its default order)."""
    made = seed_community(base, api_key, info["site"], info["hot_product"])
    site = f"{base}/api/v1/sites/{info['site']}"
    hot = f"{site}/products/{info['hot_product']}"
    urls = {
        "read_hit": f"{hot}/reviews?limit=10",
        "questions_hit": f"{hot}/questions?limit=10",
        "ideas_hit": f"{site}/ideas?sort=top&limit=10",
    }
    for label, url in urls.items():
        _check_hit(label, url)
    return urls, made


def _check_hit(label: str, url: str) -> None:
    """The read is cached: its second answer comes from Redis (``X-Cache: hit``), with
    what it lists (so a hit benchmark never measures an empty page)."""
    with httpx.Client(timeout=30) as client:
        first = client.get(url)
        first.raise_for_status()
        items = next(v for k, v in first.json().items() if isinstance(v, list))
        again = client.get(url)
    if again.headers.get("X-Cache") != "hit" or not items:
        raise RuntimeError(f"{label}: not a cache hit with items ({again.headers}, {items})")


# ---------------------------------------------------------------- cost per hit, in process


def hit_costs(
    env: dict[str, str], paths: dict[str, str], rounds: int = 5, calls: int = 2000
) -> dict[str, dict[str, float]]:
    """Each read's cost per cache hit inside one process, through the app's WSGI stack
    (the hit is answered by its middleware) with no network and no wrk: CPU
    microseconds (the median of ``rounds`` batches of ``calls``, the reads taking turns)
    and Python function calls (counted by cProfile: the same on any machine). On a
    shared, loaded machine wrk's requests/s swing by half from one run to the next;
    these say whether a read's own work differs from the review read's."""
    import cProfile
    import pstats

    from werkzeug.test import EnvironBuilder

    from plaudit_server import create_app

    app = create_app(
        {
            "DATABASE_URL": env["DATABASE_URL"],
            "REDIS_URL": env["REDIS_URL"],
            "REDIS_KEY_PREFIX": env["PLAUDIT_REDIS_KEY_PREFIX"],
            "SECRET_KEY": env["SECRET_KEY"],
            "RATELIMIT_ENABLED": False,
            "TESTING": True,  # no logging set-up of its own
        }
    )
    environs = {}
    for label, path in paths.items():
        route, _, query = path.partition("?")
        environs[label] = EnvironBuilder(
            path=route, query_string=query, headers={"Accept-Encoding": "gzip, br"}
        ).get_environ()
    seen: dict[str, str] = {}

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        seen.update(headers)

    hits = dict.fromkeys(paths, 0)

    def hit(label: str) -> None:
        seen.clear()
        b"".join(app(dict(environs[label]), start))
        hits[label] += seen.get("X-Cache") == "hit"

    for label in paths:
        hit(label)  # the miss that fills it, if the API's reads have not
        hit(label)
        if seen.get("X-Cache") != "hit":
            raise RuntimeError(f"{label}: not a cache hit in process ({seen})")
    hits.update(dict.fromkeys(paths, 0))  # a slow Redis (the breaker) makes misses: counted
    cpu: dict[str, list[float]] = {label: [] for label in paths}
    for _ in range(rounds):
        for label in paths:
            started = time.process_time()
            for _ in range(calls):
                hit(label)
            cpu[label].append((time.process_time() - started) / calls * 1e6)
    costs = {}
    for label in paths:
        profile = cProfile.Profile()
        profile.runcall(lambda label=label: [hit(label) for _ in range(100)])
        costs[label] = {
            "cpu_us": statistics.median(cpu[label]),
            "python_calls": pstats.Stats(profile).total_calls / 100,
            "hit_share": hits[label] / (rounds * calls + 100),
        }
    return costs


# ---------------------------------------------------------------- sizes


def bundle_sizes() -> str:
    """What ``widget_size.py`` prints (the core against its budget, the bundles and
    chunks with their gzip sizes); run as a script, as by hand."""
    done = subprocess.run(
        [sys.executable, str(HERE / "widget_size.py")], capture_output=True, text=True
    )
    return done.stdout + done.stderr


# ---------------------------------------------------------------- the run


def run_community(reviews: int, duration: int, rounds: int) -> dict[str, Any]:
    """Seed, then ``rounds`` rounds of the ceiling and the three reads; the medians."""
    name = "plaudit_bench_community"
    dsn = _database(name)
    api_key = "sk_live_bench_" + secrets.token_urlsafe(24)
    env = server_env(dsn)
    measured: dict[str, list[dict[str, Any]]] = {"ceiling": [], **{k: [] for k in READS}}
    try:
        info = migrate_and_seed(dsn, env, reviews, api_key)
        with (
            gunicorn("ceiling_app:app", {}, cwd=HERE) as ceiling,
            gunicorn("plaudit_server:create_app()", env, health="/healthz") as server,
        ):
            say("seeding questions, answers and ideas through the API ...")
            urls, made = community_reads(server.url, api_key, info)
            say(
                f"  {made['questions']} questions, {made['answers']} answers,"
                f" {made['ideas']} ideas ({len(STAGES)} stages), {made['votes']} votes"
            )
            for n in range(rounds):
                say(f"round {n + 1} of {rounds}")
                measured["ceiling"].append(
                    _measure("ceiling", ceiling.url + "/", duration, (), None)
                )
                for label, url in urls.items():
                    measured[label].append(_measure(label, url, duration, (), None))
            say("cost per hit in one process ...")
            costs = hit_costs(env, {k: v.removeprefix(server.url) for k, v in urls.items()})
    finally:
        if not os.environ.get("PLAUDIT_BENCH_KEEP_DATABASES"):
            _drop(name)
        _forget(env["PLAUDIT_REDIS_KEY_PREFIX"])
    results = {label: _median_round(runs) for label, runs in measured.items()}
    return {
        "reviews": reviews,
        "seeded": made,
        "rounds": measured,
        "results": results,
        "in_process": costs,
    }


def _median_round(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The round whose requests/s is the median (the lower one of an even count)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


def round_ratios(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, list[float]]:
    """Each read's requests/s over the ceiling's of the same round, round by round."""
    return {
        label: [
            ratio(read["rps"], ceiling["rps"])
            for read, ceiling in zip(rounds[label], rounds["ceiling"], strict=True)
        ]
        for label in READS
    }


def checks(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[float, str]]:
    """Each read's ratio to the ceiling measured in its round (the median over the
    rounds), against the target."""
    return {
        f"{label} / ceiling": (statistics.median(values), f">= {TARGET:.2f}")
        for label, values in round_ratios(rounds).items()
    }


def report(data: dict[str, Any]) -> bool:
    """Print the table, the ratios and the bundle sizes; True if every ratio holds."""
    results = data["results"]
    rounds = data["rounds"]
    count = len(rounds["ceiling"])
    print(f"\ncommunity reads @ {data['reviews']:,} reviews (median of {count} rounds)")
    print(f"{'scenario':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
    for label, r in results.items():
        print(
            f"{label:<24}{r['rps']:>10,.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['non_2xx']:>9}"
        )
    per_round = round_ratios(rounds)
    print(f"\n{'ratio (median round)':<24}{'value':>10}  target   rounds")
    passed = True
    found = checks(rounds)
    for (label, (value, target)), values in zip(found.items(), per_round.values(), strict=True):
        ok = value >= TARGET
        passed &= ok
        each = ", ".join(f"{v:.2f}" for v in values)
        print(f"{label:<24}{value:>10.2f}  {target}  {'PASS' if ok else 'FAIL'}  ({each})")
    # The comparison itself: the same ratio as the review read, round by round.
    for label in ("questions_hit", "ideas_hit"):
        against = [
            ratio(read["rps"], review["rps"])
            for read, review in zip(rounds[label], rounds["read_hit"], strict=True)
        ]
        each = ", ".join(f"{v:.2f}" for v in against)
        print(f"{label + ' / read_hit':<24}{statistics.median(against):>10.2f}  ~ 1      ({each})")
    costs = data["in_process"]
    base = costs["read_hit"]
    head = f"{'CPU us':>10}{'/ review':>10}{'calls':>8}{'/ review':>10}{'hits':>8}"
    print(f"\n{'cost per hit, in process':<24}{head}")
    for label, cost in costs.items():
        print(
            f"{label:<24}{cost['cpu_us']:>10.1f}{ratio(cost['cpu_us'], base['cpu_us']):>10.2f}"
            f"{cost['python_calls']:>8.0f}"
            f"{ratio(cost['python_calls'], base['python_calls']):>10.2f}"
            f"{cost['hit_share']:>8.1%}"
        )
    print("\nwidget sizes (bench/widget_size.py)")
    print(bundle_sizes().rstrip())
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=1000, help="reviews seeded (run.py's seed)")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every scenario")
    args = parser.parse_args()
    ensure_server()
    data = run_community(args.reviews, args.duration, args.rounds)
    passed = report(data)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "community.json").write_text(json.dumps(data, indent=2))
    say(f"\nwrote {RESULTS / 'community.json'}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
