"""The open format: export, import into an empty database, export again: identical.

Through the ``plaudit`` commands (``export``, ``import --format plaudit``) on SQLite and
PostgreSQL, with every kind of object a site holds; each line is checked against the
JSON Schema shipped with the server. Also: re-importing adds nothing, dry runs and
strict runs write nothing, refused lines are reported, counters are exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import sqlalchemy as sa
from flask import Flask

from plaudit_server.extensions import db
from plaudit_server.models import Comment, Product, Question, Review, Site, Status, StatusCount
from plaudit_server.services import invitations, sites, suppressions
from plaudit_server.transfer.export import SCHEMA_PATH


def fill(api: Any, app: Flask) -> None:
    """A site with product and store reviews (replies, votes, a verified one, every
    status), threaded comments and invitations."""
    for n, (product, rating) in enumerate([("sku-1", 5), ("sku-1", 2), ("sku-2", 4)]):
        body = {"rating": rating, "body": f"Review {n} <b>ü</b>", "author_name": "Ada"}
        review = api.post_review(product=product, **body).get_json()["review"]
        if n == 0:
            api.admin("PATCH", f"/reviews/{review['id']}", json={"reply": "Thanks!"})
            api.client.post(api.public(f"/reviews/{review['id']}/votes"), json={"helpful": True})
        if n == 1:
            api.admin("PATCH", f"/reviews/{review['id']}", json={"status": "rejected"})
    api.client.post(
        api.public("/store/reviews"), json={"rating": 4, "body": "Shop", "author_name": "Bo"}
    )
    created = api.admin(
        "POST",
        "/invitations",
        json={"order_id": "o-1", "email": "c@example.com", "products": ["sku-1"]},
    ).get_json()["invitation"]
    token = created["url"].rsplit("/", 1)[1]
    api.post_review(product="sku-1", rating=3, body="Verified", author_name="Cy", invite=token)
    first = api.client.post(
        api.public("/products/sku-1/comments"), json={"body": "Question?", "author_name": "Di"}
    ).get_json()["comment"]
    reply = api.admin(
        "POST", "/comments", json={"product": "sku-1", "body": "Answer.", "parent_id": first["id"]}
    ).get_json()
    api.client.post(
        api.public("/products/sku-1/comments"),
        json={"body": "Thanks", "author_name": "Di", "parent_id": reply["id"]},
    )
    with app.app_context():
        site = db.session.scalar(sa.select(Site))
        suppressions.suppress(db.session, site.id, "invitations", "gone@example.com")
        db.session.commit()
    fill_community(api, token)


def fill_community(api: Any, token: str) -> None:
    """Questions with answers (the shop's, a verified buyer's, a voted one, a rejected
    one), and ideas: one made from a review, one merged into it, one in a stage."""
    question = api.client.post(
        api.public("/products/sku-1/questions"),
        json={"body": "Is it <b>dishwasher</b> safe?", "author_name": "Ed", "notify": True},
    ).get_json()["question"]
    api.admin("POST", "/answers", json={"question_id": question["id"], "body": "Yes."})
    verified = api.client.post(
        api.public(f"/questions/{question['id']}/answers"),
        json={"body": "Mine is fine.", "author_name": "Cy", "invite": token},
    ).get_json()["answer"]
    api.client.post(api.public(f"/answers/{verified['id']}/votes"), json={"helpful": True})
    rejected = api.client.post(
        api.public(f"/questions/{question['id']}/answers"),
        json={"body": "Buy elsewhere", "author_name": "Zed"},
    ).get_json()["answer"]
    api.admin("PATCH", f"/answers/{rejected['id']}", json={"status": "rejected"})
    review = api.admin("GET", "/reviews?limit=1").get_json()["reviews"][0]
    kept = api.admin(
        "POST", "/ideas", json={"title": "A bigger size", "from": [review["id"]]}
    ).get_json()["idea"]
    duplicate = api.client.post(
        api.public("/ideas"), json={"title": "Larger one please", "author_name": "Fa"}
    ).get_json()["idea"]
    api.client.post(api.public(f"/ideas/{duplicate['id']}/votes"), json={"vote": True})
    api.admin("POST", f"/ideas/{duplicate['id']}/merge", json={"into": kept["id"]})
    api.admin("PATCH", f"/ideas/{kept['id']}", json={"stage": "planned", "stage_note": "Soon"})


def run(runner: Any, *args: str) -> Any:
    result = runner.invoke(args=list(args))
    return result


def counters(app: Flask) -> dict[str, Any]:
    with app.app_context():
        products = {
            p.external_id: (p.published_count, p.rating_sum, p.stars_1, p.stars_5)
            for p in db.session.scalars(sa.select(Product))
        }
        counts = {
            (c.subject, c.status): c.count for c in db.session.scalars(sa.select(StatusCount))
        }
        comment_counts = {r.id: r.comment_count for r in db.session.scalars(sa.select(Review))}
        answer_counts = {
            q.id: (q.answer_count, q.helpful_count) for q in db.session.scalars(sa.select(Question))
        }
    return {
        "products": products,
        "counts": counts,
        "comment_counts": comment_counts,
        "answer_counts": answer_counts,
    }


def test_export_import_export_is_identical(
    app_factory: Callable[..., Flask], api: Any, app: Flask, tmp_path: Path, database_url: str
) -> None:
    fill(api, app)
    before = counters(app)
    runner = app.test_cli_runner()
    first = tmp_path / "first.jsonl"
    result = run(runner, "export", "--site", api.site.slug, str(first))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    for line in lines:
        jsonschema.validate(line, schema)
    kinds = [line["type"] for line in lines]
    assert kinds[0] == "site"
    order = ["site", "product", "store", "review", "comment", "question", "answer", "idea"]
    order += ["invitation", "suppression"]
    for kind in order:
        assert kind in kinds, kind
    assert kinds == sorted(kinds, key=order.index)
    merged = next(line for line in lines if line["type"] == "idea" and line["merged_into"])
    assert kinds.index("idea") < lines.index(merged)  # after the idea it was merged into

    # Into an empty database: the same tables, emptied.
    with app.app_context():
        # The audit log goes with its sites (its triggers refuse any other delete).
        for table in reversed(Site.metadata.sorted_tables):
            if table.name != "audit_entries":
                db.session.execute(table.delete())
        db.session.commit()
        sites.create_site(
            db.session, api.site.slug, owner_email="new@example.com", password="x" * 12
        )
        db.session.commit()
    result = run(runner, "import", "--site", api.site.slug, "--format", "plaudit", str(first))
    assert result.exit_code == 0, result.output
    assert "refused 0" in result.output
    second = tmp_path / "second.jsonl"
    assert run(runner, "export", "--site", api.site.slug, str(second)).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    after = counters(app)
    assert after["counts"] == before["counts"]
    assert after["comment_counts"] == before["comment_counts"]
    assert after["answer_counts"] == before["answer_counts"]
    assert [n for n, _ in before["answer_counts"].values()] == [2]  # the rejected one not
    assert sorted(after["products"].values()) == sorted(before["products"].values())
    # The invitation's link still works (same id, same SECRET_KEY).
    invitation = next(line for line in lines if line["type"] == "invitation")
    with app.app_context():
        found = invitations.by_token(db.session, invitations.token_for(invitation["id"]))
        assert found is not None and found.order_id == "o-1"

    again = run(runner, "import", "--site", api.site.slug, "--format", "plaudit", str(first))
    assert again.exit_code == 0, again.output
    assert "imported 0" in again.output and "duplicates" in again.output
    third = tmp_path / "third.jsonl"
    assert run(runner, "export", "--site", api.site.slug, str(third)).exit_code == 0
    assert third.read_bytes() == first.read_bytes()


def test_the_admin_api_streams_the_same_export(api: Any, app: Flask, tmp_path: Path) -> None:
    fill(api, app)
    path = tmp_path / "cli.jsonl"
    assert run(app.test_cli_runner(), "export", "--site", api.site.slug, str(path)).exit_code == 0
    response = api.admin("GET", "/export")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.get_data() == path.read_bytes()


def test_dry_run_and_strict_write_nothing_and_bad_lines_are_reported(
    api: Any, app: Flask, tmp_path: Path
) -> None:
    fill(api, app)
    path = tmp_path / "export.jsonl"
    runner = app.test_cli_runner()
    assert run(runner, "export", "--site", api.site.slug, str(path)).exit_code == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    review = json.loads(next(line for line in lines if '"type":"review"' in line))
    bad = [
        lines[0],
        json.dumps({**review, "id": "rev_new1", "rating": 9}),
        "{not json",
        json.dumps({**review, "id": "rev_new2", "body": "fine", "product": "bad id!"}),
        json.dumps({**review, "id": "rev_new3", "body": "A good one"}),
    ]
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(bad) + "\n", encoding="utf-8")
    other = api.site.slug
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Review))
    dry = run(runner, "import", "--site", other, "--format", "plaudit", "--dry-run", str(source))
    assert dry.exit_code == 0, dry.output
    assert "would import 1" in dry.output and "refused 3" in dry.output
    assert "line 2: rating 9 is not 1-5" in dry.output
    assert "line 3: not JSON" in dry.output
    assert "line 4: product id 'bad id!' is not valid" in dry.output
    strict = run(runner, "import", "--site", other, "--format", "plaudit", "--strict", str(source))
    assert strict.exit_code != 0 and "nothing was written" in strict.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == before
    report = source.with_name("bad.jsonl.refused.csv").read_text(encoding="utf-8").splitlines()
    assert report[0] == "line,source_id,reason" and len(report) == 4
    plain = run(runner, "import", "--site", other, "--format", "plaudit", str(source))
    assert plain.exit_code == 0 and "imported 1" in plain.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == before + 1


def test_status_pending_holds_everything_and_counters_stay_exact(
    api: Any, app: Flask, tmp_path: Path
) -> None:
    fill(api, app)
    path = tmp_path / "export.jsonl"
    runner = app.test_cli_runner()
    assert run(runner, "export", "--site", api.site.slug, str(path)).exit_code == 0
    with app.app_context():  # the same site, emptied: a fresh start with everything held
        # The audit log goes with its sites (its triggers refuse any other delete).
        for table in reversed(Site.metadata.sorted_tables):
            if table.name != "audit_entries":
                db.session.execute(table.delete())
        sites.create_site(db.session, api.site.slug, owner_email="o@example.com", password="x" * 12)
        db.session.commit()
    result = run(
        runner,
        "import",
        "--site",
        api.site.slug,
        "--format",
        "plaudit",
        "--status",
        "pending",
        str(path),
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        statuses = set(db.session.scalars(sa.select(Review.status)))
        assert statuses == {Status.PENDING}
        assert set(db.session.scalars(sa.select(Comment.status))) == {Status.PENDING}
        assert db.session.scalar(sa.select(sa.func.sum(Product.published_count))) == 0
    listed = api.client.get(api.public("/products/sku-1/reviews")).get_json()
    assert listed["summary"]["count"] == 0 and listed["reviews"] == []


def test_an_export_into_another_site_of_the_same_server_keeps_no_ids(
    api: Any, app: Flask, tmp_path: Path, make_site: Any
) -> None:
    fill(api, app)
    path = tmp_path / "export.jsonl"
    runner = app.test_cli_runner()
    assert run(runner, "export", "--site", api.site.slug, str(path)).exit_code == 0
    target = make_site()
    result = run(runner, "import", "--site", target.slug, "--format", "plaudit", str(path))
    assert result.exit_code == 0, result.output
    assert "imported 0" in result.output and "another site's on this server" in result.output


def test_unknown_site_and_not_an_export_are_clear_errors(
    app: Flask, tmp_path: Path, api: Any
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"type": "review"}\n', encoding="utf-8")
    runner = app.test_cli_runner()
    missing = run(runner, "import", "--site", "nope-site", "--format", "plaudit", str(path))
    assert missing.exit_code != 0 and "nope-site" in missing.output
    wrong = run(runner, "import", "--site", api.site.slug, "--format", "plaudit", str(path))
    assert wrong.exit_code != 0 and "not a Plaudit export" in wrong.output
    assert "Traceback" not in wrong.output
