"""Public JSON goes out gzip- or brotli-compressed when the client accepts it; a cached
body is compressed once, when it is stored, and hits send the stored bytes."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import brotli
import pytest
import redis
from flask import Flask

from conftest import SHARED_REDIS
from plaudit_server.cache import coded_key


@pytest.fixture
def redis_app(app_factory: Callable[..., Flask], prefix: str) -> Flask:
    return app_factory(REDIS_URL=SHARED_REDIS, REDIS_KEY_PREFIX=prefix)


def _seed(client: Any, slug: str, count: int = 8) -> str:
    for n in range(count):
        body = {
            "rating": 4,
            "body": f"A good grinder, review number {n}. " * 4,
            "author_name": "Ada",
        }
        created = client.post(f"/api/v1/sites/{slug}/products/sku-1/reviews", json=body)
        assert created.status_code == 201
    return f"/api/v1/sites/{slug}/products/sku-1/reviews"


def _decoded(response: Any) -> bytes:
    coding = response.headers.get("Content-Encoding")
    data = response.get_data()
    if coding == "br":
        return brotli.decompress(data)  # type: ignore[no-any-return]
    if coding == "gzip":
        return gzip.decompress(data)
    assert coding is None
    return data  # type: ignore[no-any-return]


def test_each_coding_is_stored_once_and_hits_send_the_stored_bytes(
    redis_app: Flask, make_site: Any, prefix: str
) -> None:
    site = make_site()
    client = redis_app.test_client()
    url = _seed(client, site.slug)
    plain = client.get(url)  # the miss: the view runs, every coding is stored
    assert plain.headers["X-Cache"] == "miss"
    assert "Content-Encoding" not in plain.headers
    identity = plain.get_data()
    stored = redis.Redis.from_url(SHARED_REDIS)
    etag = plain.headers["ETag"].strip('"')
    body_key = f"{prefix}body:{etag}"
    assert stored.get(body_key) == identity
    for coding, suffix in (("br", "-br"), ("gzip", "-gz")):
        hit = client.get(url, headers={"Accept-Encoding": f"{coding}, identity;q=0.5"})
        assert hit.headers["X-Cache"] == "hit"
        assert hit.headers["Content-Encoding"] == coding
        assert hit.headers["ETag"] == f'"{etag}{suffix}"'  # its own representation
        assert "Accept-Encoding" in hit.headers["Vary"]
        # The stored bytes, not a new compression of them.
        assert hit.get_data() == stored.get(coded_key(body_key, coding))
        assert int(hit.headers["Content-Length"]) == len(hit.get_data()) < len(identity) / 2
        assert _decoded(hit) == identity
    # A browser's usual header gets brotli; a client that accepts neither, identity.
    browser = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert browser.headers["Content-Encoding"] == "br"
    refused = client.get(url, headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "Content-Encoding" not in refused.headers and refused.get_data() == identity


def test_a_miss_answers_in_the_coding_asked_for(redis_app: Flask, make_site: Any) -> None:
    site = make_site()
    client = redis_app.test_client()
    url = _seed(client, site.slug)
    miss = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert miss.headers["X-Cache"] == "miss"
    assert miss.headers["Content-Encoding"] == "gzip"
    hit = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert hit.headers["X-Cache"] == "hit"
    assert hit.get_data() == miss.get_data()
    assert hit.headers["ETag"] == miss.headers["ETag"]
    assert "Accept-Encoding" in miss.headers["Vary"] and "Origin" in miss.headers["Vary"]


def test_a_copy_in_any_coding_is_current(redis_app: Flask, make_site: Any) -> None:
    """If-None-Match with the identity ETag, asked in brotli (or the reverse): 304 on
    both paths, since the content is the same."""
    site = make_site()
    client = redis_app.test_client()
    url = _seed(client, site.slug)
    plain_etag = client.get(url).headers["ETag"]
    br = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": plain_etag})
    assert br.status_code == 304 and br.headers["X-Cache"] == "hit"
    assert br.get_data() == b""
    _seed(client, site.slug, count=1)  # a write: the next read is a miss
    fresh = client.get(url, headers={"Accept-Encoding": "br"})
    assert fresh.headers["X-Cache"] == "miss"
    again = client.get(url, headers={"If-None-Match": fresh.headers["ETag"]})
    assert again.status_code == 304


def test_without_redis_the_response_is_compressed_for_its_client(client: Any, site: Any) -> None:
    url = _seed(client, site.slug)
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    for coding in ("br", "gzip"):
        response = client.get(url, headers={"Accept-Encoding": coding})
        assert response.headers["Content-Encoding"] == coding
        assert _decoded(response) == plain.get_data()
        assert response.headers["ETag"] != plain.headers["ETag"]
        current = client.get(
            url, headers={"Accept-Encoding": coding, "If-None-Match": plain.headers["ETag"]}
        )
        assert current.status_code == 304


def test_small_bodies_go_out_as_they_are(redis_app: Flask, make_site: Any) -> None:
    """A few hundred bytes compress to nearly as many: not worth a decoder run."""
    site = make_site()
    client = redis_app.test_client()
    url = f"/api/v1/sites/{site.slug}/summaries?products=sku-1"
    for _ in range(2):  # the miss, then the hit
        response = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers
        assert json.loads(response.get_data())["summaries"]["sku-1"]["count"] == 0
    assert response.headers["X-Cache"] == "hit"
