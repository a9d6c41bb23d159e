"""Client configuration, the site and stats endpoints, and what goes on the wire."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import httpx
import pytest

import plaudit
from plaudit import Moderation, Site, Stats


def test_key_and_address_from_the_environment(monkeypatch, live_server, site):
    monkeypatch.setenv("PLAUDIT_API_KEY", site.api_key)
    monkeypatch.setenv("PLAUDIT_BASE_URL", live_server.url)
    with plaudit.Plaudit() as client:
        assert client.site.get().id == site.slug


def test_arguments_win_over_the_environment(monkeypatch, live_server, site):
    monkeypatch.setenv("PLAUDIT_API_KEY", "sk_live_wrong")
    monkeypatch.setenv("PLAUDIT_BASE_URL", "http://127.0.0.1:9")
    with plaudit.Plaudit(api_key=site.api_key, base_url=live_server.url) as client:
        assert client.site.get().id == site.slug


def test_missing_key_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv("PLAUDIT_API_KEY", raising=False)
    with pytest.raises(plaudit.PlauditError, match="PLAUDIT_API_KEY"):
        plaudit.Plaudit(base_url="http://localhost")
    with pytest.raises(plaudit.PlauditError, match="api_key"):
        plaudit.AsyncPlaudit(base_url="http://localhost")


def test_missing_address_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv("PLAUDIT_BASE_URL", raising=False)
    with pytest.raises(plaudit.PlauditError, match="PLAUDIT_BASE_URL"):
        plaudit.Plaudit(api_key="sk_live_x")


@pytest.mark.parametrize("suffix", ["", "/", "/api/v1", "/api/v1/"])
def test_base_url_with_or_without_the_api_prefix(live_server, site, suffix):
    with plaudit.Plaudit(api_key=site.api_key, base_url=live_server.url + suffix) as client:
        assert client.site.get().id == site.slug


def test_user_agent_and_idempotency_keys_on_the_wire(proxied, proxy, post):
    review = post.review()
    proxied.reviews.get(review["id"])
    proxied.reviews.approve(review["id"])
    proxied.reviews.approve(review["id"])

    get, patch1, patch2 = proxy.seen
    assert get.headers["User-Agent"] == f"plaudit-python/{plaudit.__version__}"
    assert "Idempotency-Key" not in get.headers
    assert patch1.headers["Idempotency-Key"] != patch2.headers["Idempotency-Key"]
    assert get.headers["Authorization"].startswith("Bearer sk_")


def test_given_idempotency_key_is_used(proxied, proxy, post):
    review = post.review()
    proxied.reviews.update(review["id"], status="published", idempotency_key="sync-42")
    assert proxy.seen[0].headers["Idempotency-Key"] == "sync-42"


def test_injected_http_client_is_used_and_left_open(live_server, site):
    seen: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [seen.append]}) as http:
        client = plaudit.Plaudit(api_key=site.api_key, base_url=live_server.url, http_client=http)
        client.site.get()
        client.close()
        assert not http.is_closed
        assert len(seen) == 1


def test_with_options_shares_connections(sdk):
    patient = sdk.with_options(max_retries=5, timeout=60)
    assert patient.max_retries == 5
    assert patient.timeout == 60
    assert patient._http is sdk._http
    assert patient.site.get().id == sdk.site.get().id


def test_negative_retries_are_refused(live_server, site):
    with pytest.raises(ValueError):
        plaudit.Plaudit(api_key=site.api_key, base_url=live_server.url, max_retries=-1)


def test_requests_are_logged_at_debug(sdk, caplog):
    with caplog.at_level(logging.DEBUG, logger="plaudit"):
        sdk.site.get()
    assert any("GET" in r.getMessage() and "-> 200" in r.getMessage() for r in caplog.records)


def test_site_get_and_update(sdk, site):
    current = sdk.site.get()
    assert isinstance(current, Site)
    assert current.id == site.slug
    assert current.moderation is Moderation.POST

    updated = sdk.site.update(
        name="Acme",
        moderation=Moderation.PRE,
        blocked_words=["casino"],
        allowed_origins=["https://acme.example"],
    )
    assert updated.name == "Acme"
    assert updated.moderation is Moderation.PRE
    assert updated.blocked_words == ["casino"]
    assert updated.allowed_origins == ["https://acme.example"]
    assert sdk.site.update(moderation="post").name == "Acme"  # others left alone


def test_stats(sdk, post):
    a, b, _ = post.reviews(3, rating=4)
    post.review(rating=2)
    sdk.reviews.reject(a["id"])
    sdk.reviews.mark_spam(b["id"])
    post.comment()

    stats = sdk.stats()
    assert isinstance(stats, Stats)
    assert stats.reviews.published == 2
    assert stats.reviews.rejected == 1
    assert stats.reviews["spam"] == 1
    assert stats.reviews.total == 4
    assert stats.comments.published == 1
    assert stats.average == 3.0
    assert len(stats.published_per_day) == 90
    today = stats.published_per_day[-1]
    assert today.date == dt.datetime.now(dt.UTC).date()
    assert today.count == 2


def test_raw_request_for_endpoints_not_wrapped(sdk):
    data = sdk.request("GET", "openapi.json")
    assert data["openapi"].startswith("3.1")
    assert "/api/v1/admin/reviews" in data["paths"]


def test_ids_cannot_escape_their_path(sdk):
    with pytest.raises(plaudit.NotFoundError):
        sdk.reviews.get("../site")
    with pytest.raises(plaudit.NotFoundError):
        sdk.reviews.get("..")
    with pytest.raises(ValueError):
        sdk.reviews.get("")
    with pytest.raises(plaudit.NotFoundError):
        sdk.comments.get(f"cmt_{uuid.uuid4().hex}")


def test_version_is_the_distributions():
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    assert plaudit.__version__ == tomllib.loads(pyproject.read_text())["project"]["version"]


def test_the_sdk_stands_alone():
    """Importing the SDK loads neither the server nor Flask: it can ship on its own."""
    import subprocess
    import sys

    code = (
        "import sys, plaudit; "
        "loaded = [m for m in ('plaudit_server', 'flask', 'sqlalchemy') if m in sys.modules]; "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_headers_and_per_request_headers(proxy, site):
    client = plaudit.Plaudit(
        api_key=site.api_key, base_url=proxy.url, default_headers={"X-Shop": "acme"}
    )
    with client:
        client.site.get()
        client.request(
            "PATCH", "admin/site", json={"name": "Acme"}, headers={"idempotency-key": "mine"}
        )
    assert proxy.seen[0].headers["X-Shop"] == "acme"
    patch = proxy.seen[1]
    assert [k for k in patch.headers if k.lower() == "idempotency-key"] == ["idempotency-key"]
    assert patch.headers["idempotency-key"] == "mine"
