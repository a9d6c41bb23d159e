"""Bulk-load a benchmark site into PostgreSQL with COPY: reviews, comments and votes.

Most reviews land on a few hot products (as in real shops, where a handful of best
sellers collect most of the feedback); the product counters are then set with one
aggregate UPDATE, and the counts per status with one INSERT, exactly as the services
would have left them.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg

from plaudit_server.ids import new_id
from plaudit_server.services.sites import hash_key, hash_password

HOT_PRODUCTS = 5
OWNER_EMAIL, OWNER_PASSWORD = "bench@bench.test", "bench-password"  # signs in to /admin
PRODUCTS = 1000
# A word no other text has, in one review of SEARCH_EVERY: the admin text search's target
# (a few hundred matches at 1,000,000 reviews).
SEARCH_WORD, SEARCH_EVERY = "zanzibar", 3000
WORDS = [
    *("great", "fast", "quiet", "sturdy", "lovely", "broke", "cheap", "perfect", "heavy"),
    *("light", "coffee", "grinder", "mug", "kettle", "gift", "daily", "recommend", "again"),
    *("slow", "loud", "fine", "works", "well", "value", "price", "quality"),
]


def _progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.monotonic() - started, 1e-6)
    sys.stderr.write(f"\r  {label}: {done:>9,}/{total:,} ({rate:,.0f}/s)   ")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def seed(dsn: str, reviews: int, *, slug: str = "bench", api_key: str, seed: int = 7) -> dict:
    """Fill an empty, migrated database; returns what the benchmark needs to know."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    site_id = new_id("site")
    owner_id = new_id("own")
    products = [(new_id("prd"), f"p-{i:04d}") for i in range(PRODUCTS)]
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO sites (id, slug, name, allowed_origins, moderation, blocked_words,"
            " created_at, updated_at) VALUES (%s, %s, %s, %s, 'post', '[]', %s, %s)",
            (site_id, slug, "Bench shop", '["http://bench.test"]', now, now),
        )
        cur.execute(
            "INSERT INTO owners (id, email, password_hash, created_at) VALUES (%s, %s, %s, %s)",
            (owner_id, OWNER_EMAIL, hash_password(OWNER_PASSWORD), now),
        )
        cur.execute("INSERT INTO site_owners VALUES (%s, %s)", (site_id, owner_id))
        cur.execute(
            "INSERT INTO api_keys (id, site_id, name, prefix, key_hash, created_at)"
            " VALUES (%s, %s, 'bench', %s, %s, %s)",
            (new_id("key"), site_id, api_key[:12], hash_key(api_key), now),
        )
        with cur.copy("COPY products (id, site_id, external_id, created_at) FROM STDIN") as copy:
            for product_id, external in products:
                copy.write_row((product_id, site_id, external, now))

        started = time.monotonic()
        review_ids: list[str] = []
        with cur.copy(
            "COPY reviews (id, site_id, product_id, rating, title, body, author_name, "
            "author_email, verified_buyer, status, spam_reasons, helpful_count, "
            "unhelpful_count, comment_count, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(reviews):
                hot = rng.random() < 0.8
                product = products[rng.randrange(HOT_PRODUCTS) if hot else rng.randrange(PRODUCTS)]
                rating = rng.choices((1, 2, 3, 4, 5), weights=(6, 4, 8, 25, 57))[0]
                status = "published" if rng.random() < 0.95 else "pending"
                created = now - timedelta(seconds=rng.randrange(365 * 86400))
                review_id = new_id("rev")
                review_ids.append(review_id)
                body = " ".join(rng.choices(WORDS, k=rng.randrange(8, 40)))
                if n % SEARCH_EVERY == SEARCH_EVERY - 1:
                    body += " " + SEARCH_WORD
                copy.write_row(
                    (
                        review_id,
                        site_id,
                        product[0],
                        rating,
                        f"Review {n}",
                        body,
                        f"Buyer {n % 5000}",
                        None,
                        rng.random() < 0.3,
                        status,
                        "[]",
                        rng.randrange(20),
                        rng.randrange(3),
                        0,
                        created,
                        created,
                    )
                )
                if n % 50_000 == 0 or n == reviews - 1:
                    _progress("reviews", n + 1, reviews, started)

        started = time.monotonic()
        comments = reviews // 10
        with cur.copy(
            "COPY comments (id, site_id, product_id, review_id, parent_id, depth, body, "
            "author_name, is_owner, status, spam_reasons, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(comments):
                product = products[rng.randrange(HOT_PRODUCTS)]
                created = now - timedelta(seconds=rng.randrange(365 * 86400))
                copy.write_row(
                    (
                        new_id("cmt"),
                        site_id,
                        product[0],
                        None,
                        None,
                        0,
                        " ".join(rng.choices(WORDS, k=12)),
                        f"Fan {n % 999}",
                        False,
                        "published",
                        "[]",
                        created,
                        created,
                    )
                )
                if n % 50_000 == 0 or n == comments - 1:
                    _progress("comments", n + 1, comments, started)

        started = time.monotonic()
        votes = reviews // 5
        with cur.copy(
            "COPY votes (review_id, visitor_hash, helpful, created_at) FROM STDIN"
        ) as copy:
            for n in range(votes):
                copy.write_row((review_ids[n], f"v{n:031d}", rng.random() < 0.8, now))
                if n % 50_000 == 0 or n == votes - 1:
                    _progress("votes", n + 1, votes, started)

        # The counters the services keep, computed once from the loaded rows.
        cur.execute(
            """
            UPDATE products p SET
                published_count = s.n, rating_sum = s.total,
                stars_1 = s.s1, stars_2 = s.s2, stars_3 = s.s3, stars_4 = s.s4, stars_5 = s.s5
            FROM (
                SELECT product_id, count(*) AS n, sum(rating) AS total,
                    count(*) FILTER (WHERE rating = 1) AS s1,
                    count(*) FILTER (WHERE rating = 2) AS s2,
                    count(*) FILTER (WHERE rating = 3) AS s3,
                    count(*) FILTER (WHERE rating = 4) AS s4,
                    count(*) FILTER (WHERE rating = 5) AS s5
                FROM reviews WHERE status = 'published' GROUP BY product_id
            ) s
            WHERE p.id = s.product_id
            """
        )
        for table in ("reviews", "comments"):  # the counts per status (site_counts.py)
            cur.execute(
                "INSERT INTO status_counts (site_id, subject, status, count) "
                f"SELECT site_id, '{table}', status, count(*) FROM {table} "
                "GROUP BY site_id, status"
            )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # Write the load's dirty pages out now: otherwise the checkpoint it triggers
        # spreads those writes over the next minutes, under the measurements (seen as
        # 20% fewer cache-miss reads at 1M than the same query right after).
        conn.execute("CHECKPOINT")
    return {
        "site": slug,
        "hot_product": products[0][1],
        "products": [p[1] for p in products],
        "owner_email": OWNER_EMAIL,
        "owner_password": OWNER_PASSWORD,
    }
