"""/widget.js (ETag, 304, gzip, brotli, CDN caching), the demo shop and the JSON-LD
endpoint, through the Flask test client on both databases."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import brotli
import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "server" / "plaudit_server" / "static" / "plaudit.min.js"
BUDGET = 12 * 1024  # everything the widget downloads, gzipped (issue 3)


def decode(response: Any) -> bytes:
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(data)
    if encoding == "gzip":
        return gzip.decompress(data)
    assert encoding is None
    return data


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip, deflate, br", "br"),
        ("br;q=1.0, gzip;q=0.8", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("*", "br"),
        ("", None),
        ("identity", None),
        ("deflate", None),
    ],
)
def test_widget_js_encodings(client: Any, accept: str, encoding: str | None) -> None:
    response = client.get("/widget.js", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert response.mimetype == "text/javascript"
    assert decode(response) == BUILT.read_bytes()
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "s-maxage=" in cache and "no-store" not in cache
    version = response.headers["X-Widget-Version"]
    suffix = {"br": "-br", "gzip": "-gz", None: ""}[encoding]
    assert response.headers["ETag"] == f'"{version}{suffix}"'


def test_widget_js_revalidation_is_a_304(client: Any) -> None:
    first = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    version = first.headers["X-Widget-Version"]
    for header in [etag, f"W/{etag}", f'"nope", {etag}', "*", f'"{version}-br"']:
        again = client.get(
            "/widget.js", headers={"If-None-Match": header, "Accept-Encoding": "gzip"}
        )
        assert again.status_code == 304, header
        assert again.get_data() == b""
        assert again.headers["ETag"] == etag
        assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    stale = client.get("/widget.js", headers={"If-None-Match": '"0123456789"'})
    assert stale.status_code == 200 and decode(stale) == BUILT.read_bytes()


def test_versioned_url_is_immutable_and_head_works(client: Any) -> None:
    version = client.get("/widget.js").headers["X-Widget-Version"]
    pinned = client.get(f"/widget.js?v={version}")
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    other = client.get("/widget.js?v=old")
    assert "immutable" not in other.headers["Cache-Control"]
    head = client.head("/widget.js", headers={"Accept-Encoding": "br"})
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Encoding"] == "br"
    assert head.headers["Access-Control-Allow-Origin"] == "*"


def test_widget_js_follows_the_built_file(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    path = tmp_path / "w.js"
    path.write_text("console.log(1);")
    client = app_factory(WIDGET_JS_PATH=str(path)).test_client()
    first = client.get("/widget.js")
    assert first.get_data() == b"console.log(1);"
    path.write_text("console.log(22);")  # a new build: a new ETag at once
    second = client.get("/widget.js", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.get_data() == b"console.log(22);"
    assert second.headers["ETag"] != first.headers["ETag"]
    path.unlink()
    assert client.get("/widget.js").status_code == 404


CHUNKS = sorted((BUILT.parent / "widget").glob("*.js"))


def test_chunks_are_served_like_the_widget(client: Any) -> None:
    assert CHUNKS, "the build makes chunks (static/widget/*.js)"
    core = BUILT.read_text(encoding="utf-8")
    for path in CHUNKS:
        url = f"/widget/{path.stem}.js"
        response = client.get(url, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200 and decode(response) == path.read_bytes()
        assert response.mimetype == "text/javascript"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        version = response.headers["X-Widget-Version"]
        assert response.headers["ETag"] == f'"{version}-br"'
        # The core imports the chunk by the hash the server tags it with (esbuild
        # leaves a key that is an identifier, e.g. "comments", unquoted).
        assert re.search(rf'(?<![\w-])"?{re.escape(path.stem)}"?:"{version}"', core)
        pinned = client.get(f"{url}?v={version}")
        assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "immutable" not in client.get(f"{url}?v=old").headers["Cache-Control"]
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


@pytest.mark.parametrize(
    "path", ["/widget/nope.js", "/widget/..%2Fplaudit.min.js", "/widget/Lang-de.js", "/widget/.js"]
)
def test_only_built_chunks_are_served(client: Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_chunks_follow_their_directory(app_factory: Callable[..., Flask], tmp_path: Path) -> None:
    (tmp_path / "extra.js").write_text("export default 1;")
    client = app_factory(WIDGET_CHUNK_DIR=str(tmp_path)).test_client()
    assert client.get("/widget/extra.js").get_data() == b"export default 1;"
    assert client.get("/widget/lang-de.js").status_code == 404


def test_widget_fits_the_size_budget() -> None:
    size = len(gzip.compress(BUILT.read_bytes(), compresslevel=9))
    assert size <= BUDGET, f"{size} bytes gzipped > {BUDGET}: see bench/widget_size.py"


@pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "widget" / "node_modules").is_dir(),
    reason="needs node and `npm ci` in widget/ (CI runs `npm run check` there)",
)
def test_built_widget_is_current_with_its_source() -> None:
    result = subprocess.run(
        ["node", "build.mjs", "--check"],
        cwd=ROOT / "widget",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- the demo shop


def test_demo_without_the_demo_site_says_how_to_create_it(client: Any) -> None:
    page = client.get("/demo").get_data(as_text=True)
    assert "plaudit demo" in page
    assert page.count("<span data-plaudit-stars") == 5  # four products and the shop
    assert '<script src="/widget.js" async></script>' in page


def test_demo_shop_pages(app: Flask, client: Any) -> None:
    from plaudit_server.demo import PRODUCTS, create_demo

    with app.app_context():
        create_demo(["http://localhost"])
    listing = client.get("/demo")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "plaudit demo" not in html
    for product, name in PRODUCTS.items():
        assert f'data-product="{product}"' in html
        assert f"/demo/products/{product}" in html
        assert name in html or name.replace("(", "") in html
    page = client.get("/demo/products/grinder-aurora").get_data(as_text=True)
    assert 'data-plaudit-reviews data-site="demo" data-product="grinder-aurora"' in page
    assert 'data-theme="light"' in page and '<html lang="en">' in page
    german = client.get("/demo/products/grinder-aurora?lang=de&theme=dark").get_data(as_text=True)
    assert '<html lang="de">' in german and 'data-theme="dark"' in german
    hostile = client.get('/demo/products/grinder-aurora?lang="><script>').get_data(as_text=True)
    assert '<html lang="en">' in hostile
    assert client.get("/demo/products/nope").status_code == 404


# ---------------------------------------------------------------- JSON-LD


def test_jsonld_of_a_product(app: Flask, client: Any, make_site: Callable[..., Any]) -> None:
    site = make_site(slug="ld-shop", origins=("http://shop.test",))
    base = f"/api/v1/sites/{site.slug}/products/sku-1"
    for rating, title in [(5, "Great <b>grinder</b>"), (4, None), (2, "Meh")]:
        body: dict[str, Any] = {"rating": rating, "body": f"Body {rating}", "author_name": "Ada"}
        if title:
            body["title"] = title
        assert client.post(f"{base}/reviews", json=body).status_code == 201
    response = client.get(
        f"{base}/jsonld?name=Aurora&limit=2", headers={"Origin": "http://shop.test"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "http://shop.test"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.headers["ETag"]
    ld = response.get_json(force=True)
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "Product"
    assert ld["name"] == "Aurora" and ld["productID"] == "sku-1"
    assert ld["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 3.67,
        "bestRating": 5,
        "worstRating": 1,
        "reviewCount": 3,
    }
    assert len(ld["review"]) == 2
    newest = ld["review"][0]
    assert newest["@type"] == "Review" and newest["name"] == "Meh"
    assert newest["author"] == {"@type": "Person", "name": "Ada"}
    assert newest["reviewRating"]["ratingValue"] == 2
    assert len(newest["datePublished"]) == 10
    assert "name" not in ld["review"][1]  # the untitled review
    again = client.get(
        f"{base}/jsonld?name=Aurora&limit=2", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_jsonld_edges(app: Flask, client: Any, make_site: Callable[..., Any]) -> None:
    site = make_site(slug="ld-edge", moderation="pre")
    base = f"/api/v1/sites/{site.slug}/products"
    assert (
        client.post(
            f"{base}/sku-1/reviews", json={"rating": 5, "body": "Held", "author_name": "Bo"}
        ).status_code
        == 201
    )
    empty = client.get(f"{base}/sku-1/jsonld", headers={"Origin": "http://evil.test"})
    ld = empty.get_json(force=True)
    assert ld == {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "sku-1",
        "productID": "sku-1",
    }
    assert "Access-Control-Allow-Origin" not in empty.headers
    assert client.get("/api/v1/sites/no-such-site/products/x/jsonld").status_code == 404
    bad = client.get(f"{base}/bad%20id/jsonld")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert client.get(f"{base}/sku-1/jsonld?limit=0").status_code == 422
    assert client.get(f"{base}/sku-1/jsonld?sort=random").status_code == 422


def test_jsonld_is_in_the_openapi_document(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/sites/{site}/products/{product}/jsonld"]["get"]
    assert "application/ld+json" in operation["responses"]["200"]["content"]
