"""Server time of the admin queue page on a site with 100,000 reviews (run by hand).

    .venv/bin/python bench/admin_queue.py                      # a temporary SQLite file
    DATABASE_URL=postgresql://root@127.0.0.1:5432/bench_admin .venv/bin/python bench/admin_queue.py

Seeds the reviews with one bulk INSERT per 5,000 rows (the service layer would take
minutes), signs in through the real login form, then renders each page through the
Flask test client: routing, session, the queries and the Jinja render, without a
network. Prints the median and worst of several renders per page. The issue's bar is
"well under 300 ms" for the queue page.

On PostgreSQL the database named in DATABASE_URL is emptied first: use a scratch one.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from plaudit_server import create_app
from plaudit_server.extensions import db
from plaudit_server.ids import new_id
from plaudit_server.models import Moderation, Product, Review, Status
from plaudit_server.services import sites
from plaudit_server.timeutil import utcnow

REVIEWS = int(os.environ.get("BENCH_REVIEWS", "100000"))
PRODUCTS = 200
RUNS = 15
EMAIL, PASSWORD = "bench@example.test", "bench password 123"
STATUS_WEIGHTS = {
    Status.PUBLISHED: 0.86,
    Status.PENDING: 0.08,
    Status.REJECTED: 0.03,
    Status.SPAM: 0.03,
}


def prepare_database() -> str:
    url = os.environ.get("DATABASE_URL")
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="plaudit-bench-")) / "bench.sqlite3"
        return f"sqlite:///{path}"
    return url


def migrate(app: object) -> None:
    from alembic import command

    from plaudit_server.cli import alembic_config

    with app.app_context():  # type: ignore[attr-defined]
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        command.upgrade(alembic_config(), "head")


def seed(app: object) -> str:
    rng = random.Random(42)
    with app.app_context():  # type: ignore[attr-defined]
        session = db.session
        new = sites.create_site(
            session, "bench", owner_email=EMAIL, password=PASSWORD, moderation=Moderation.PRE
        )
        site = new.site
        products = [Product(site_id=site.id, external_id=f"sku-{i}") for i in range(PRODUCTS)]
        session.add_all(products)
        session.flush()
        now = utcnow()
        statuses = list(STATUS_WEIGHTS)
        weights = list(STATUS_WEIGHTS.values())
        counters: dict[str, dict[str, int]] = {p.id: {} for p in products}
        batch: list[dict[str, object]] = []
        words = [
            "good",
            "great",
            "fine",
            "poor",
            "broken",
            "lovely",
            "slow",
            "fast",
            "quiet",
            "loud",
            "cheap",
            "solid",
        ]
        for i in range(REVIEWS):
            product = products[rng.randrange(PRODUCTS)]
            rating = rng.choices([1, 2, 3, 4, 5], [5, 5, 10, 30, 50])[0]
            status = rng.choices(statuses, weights)[0]
            created = now - timedelta(seconds=rng.randrange(180 * 86400))
            batch.append(
                {
                    "id": new_id("rev"),
                    "site_id": site.id,
                    "product_id": product.id,
                    "rating": rating,
                    "title": None if i % 3 else f"Review {i}",
                    "body": " ".join(rng.choices(words, k=rng.randrange(8, 60))),
                    "author_name": f"Customer {i}",
                    "author_email": f"customer{i}@example.test",
                    "verified_buyer": i % 4 == 0,
                    "status": status.value,
                    "spam_reasons": ["too_many_links"] if status == Status.SPAM else [],
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if status == Status.PUBLISHED:
                c = counters[product.id]
                c["published_count"] = c.get("published_count", 0) + 1
                c["rating_sum"] = c.get("rating_sum", 0) + rating
                c[f"stars_{rating}"] = c.get(f"stars_{rating}", 0) + 1
            if len(batch) == 5000:
                session.execute(sa.insert(Review), batch)
                batch.clear()
        if batch:
            session.execute(sa.insert(Review), batch)
        for product_id, values in counters.items():
            if values:
                session.execute(sa.update(Product).where(Product.id == product_id).values(values))
        session.execute(  # the counts per status the services keep (site_counts.py)
            sa.text(
                "INSERT INTO status_counts (site_id, subject, status, count) "
                "SELECT site_id, 'reviews', status, count(*) FROM reviews GROUP BY site_id, status"
            )
        )
        session.commit()
        with db.engine.connect() as connection:  # planner statistics, as after real use
            connection.exec_driver_sql("ANALYZE")
        return site.slug


def sign_in(client: object) -> None:
    assert client.get("/admin/login").status_code == 200  # type: ignore[attr-defined]
    response = client.post(  # type: ignore[attr-defined]
        "/admin/login",
        data={"email": EMAIL, "password": PASSWORD},
        headers={"Sec-Fetch-Site": "same-origin"},  # as a browser says of the page's form
    )
    assert response.status_code == 302, response.status_code


def timed(client: object, path: str) -> tuple[float, float, str]:
    durations = []
    html = ""
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(path)  # type: ignore[attr-defined]
        durations.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
    return statistics.median(durations), max(durations), html


def main() -> int:
    url = prepare_database()
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + "0" * 32, "RATELIMIT_ENABLED": False}
    )
    migrate(app)
    start = time.perf_counter()
    slug = seed(app)
    print(
        f"seeded {REVIEWS:,} reviews on {PRODUCTS} products in {time.perf_counter() - start:.1f} s"
    )
    print(f"database: {sa.make_url(url).render_as_string(hide_password=True)}")
    client = app.test_client()
    sign_in(client)
    base = f"/admin/{slug}/reviews"
    _, _, first = timed(client, f"{base}?status=all&limit=50")
    cursor = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    pages = [
        ("queue: pending, 50 a page (the default)", base),
        ("queue: all statuses, 50 a page", f"{base}?status=all"),
        ("queue: all statuses, page 2 (keyset cursor)", cursor),
        ("queue: pending, 500 a page (bulk select-all)", f"{base}?limit=500"),
        ("queue: one product, 1 star", f"{base}?status=all&product=sku-7&rating=1"),
        (
            "queue: text search (trigram index on PostgreSQL)",
            f"{base}?status=all&q=broken%20lovely",
        ),
        ("insight", f"/admin/{slug}/insight"),
    ]
    print(f"\n{'page':48} {'median':>9} {'worst':>9}   ({RUNS} renders each)")
    for label, path in pages:
        median, worst, _ = timed(client, path)
        print(f"{label:48} {median:7.1f}ms {worst:7.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
