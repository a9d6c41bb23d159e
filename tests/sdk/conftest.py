"""Fixtures for the SDK tests: SDK clients on the live server, and a real HTTP proxy that
misbehaves on request (429, 503, lost answers, slowness) before passing traffic on."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import plaudit

from .helpers import FlakyProxy, Run, run_on


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sdk(live_server: Any, site: Any) -> Iterator[plaudit.Plaudit]:
    """The sync SDK client with the site's key, on the live server."""
    with plaudit.Plaudit(api_key=site.api_key, base_url=live_server.url) as client:
        yield client


@pytest.fixture
async def async_sdk(live_server: Any, site: Any) -> Any:
    async with plaudit.AsyncPlaudit(api_key=site.api_key, base_url=live_server.url) as client:
        yield client


def _segment(product: str) -> str:
    return product if product.strip(".") else product.replace(".", "%2E")


class Poster:
    """Submits reviews and comments through the public API, as the widget would."""

    def __init__(self, http: httpx.Client, base_url: str, slug: str) -> None:
        self.http = http
        self.base_url = base_url
        self.slug = slug
        self._counter = 0

    def _url(self, product: str, what: str) -> str:
        return f"{self.base_url}/api/v1/sites/{self.slug}/products/{_segment(product)}/{what}"

    def review(self, product: str = "sku-1", **fields: Any) -> dict[str, Any]:
        self._counter += 1
        body = {
            "rating": 5,
            "body": f"Review {self._counter} {uuid.uuid4().hex[:6]}",
            "author_name": "Ada",
            **fields,
        }
        response = self.http.post(self._url(product, "reviews"), json=body)
        assert response.status_code == 201, response.text
        review: dict[str, Any] = response.json()["review"]
        return review

    def reviews(self, n: int, product: str = "sku-1", **fields: Any) -> list[dict[str, Any]]:
        return [self.review(product, **fields) for _ in range(n)]

    def comment(self, product: str = "sku-1", **fields: Any) -> dict[str, Any]:
        self._counter += 1
        body = {
            "body": f"Comment {self._counter} {uuid.uuid4().hex[:6]}",
            "author_name": "Grace",
            **fields,
        }
        response = self.http.post(self._url(product, "comments"), json=body)
        assert response.status_code == 201, response.text
        comment: dict[str, Any] = response.json()["comment"]
        return comment


@pytest.fixture
def post(live_server: Any, site: Any) -> Iterator[Poster]:
    with httpx.Client() as http:
        yield Poster(http, live_server.url, site.slug)


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs once on the sync client and once on the async one."""
    return str(request.param)


@pytest.fixture
def both(flavour: str, live_server: Any, site: Any) -> Run:
    """Run ``call(client)`` on the ``flavour`` client with the site's key, against the
    live server (see :func:`helpers.run_on`); ``api_key=`` and others override."""

    def run(call: Callable[[Any], Any], **options: Any) -> Any:
        options = {"api_key": site.api_key, "base_url": live_server.url, **options}
        return run_on(flavour, call, **options)

    return run


@pytest.fixture
def proxy(live_server: Any) -> Iterator[FlakyProxy]:
    flaky = FlakyProxy(live_server.url)
    yield flaky
    flaky.close()


@pytest.fixture
def proxied(proxy: FlakyProxy, site: Any) -> Iterator[plaudit.Plaudit]:
    """A client that talks to the live server through the proxy, with fast retries."""
    with plaudit.Plaudit(api_key=site.api_key, base_url=proxy.url, max_retries=3) as client:
        yield client


@pytest.fixture
def start_later(live_server: Any) -> Iterator[Callable[[int, float], None]]:
    """Start a proxy to the live server on ``port`` after ``delay`` seconds: a server
    that is briefly unavailable (connection refused) and then comes up."""
    started: list[FlakyProxy] = []
    threads: list[threading.Timer] = []

    def start(port: int, delay: float) -> None:
        timer = threading.Timer(delay, lambda: started.append(FlakyProxy(live_server.url, port)))
        timer.start()
        threads.append(timer)

    yield start
    for timer in threads:
        timer.join(5)
    for flaky in started:
        flaky.close()
