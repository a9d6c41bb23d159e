"""The Webhooks section of the SDK's README, run against the live server with its Flask
receiver really receiving: the server runs with ``WEBHOOKS_ALLOW_PRIVATE`` and the
README's receiver URL is replaced by the address the receiver is served on here.

Its examples are ```py blocks, which tests/sdk/test_docs.py (it runs the ```python ones
on a server that may not call loopback) leaves alone."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

import plaudit

from .test_webhooks import (
    app,  # noqa: F401  (the server may call loopback)
    wait_until_tried,
)

README = Path(__file__).parents[2] / "sdk" / "README.md"
README_URL = "https://hooks.acme-shop.example/plaudit"


def webhook_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Webhooks", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```py\n(.*?)```", section, flags=re.DOTALL)


class Served:
    """A loopback HTTP server for a WSGI app that is set later (the README defines it
    after the URL it listens on was given to ``create``)."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None
        self._server = make_server("127.0.0.1", 0, self._call, threaded=True)
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _call(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None, "the receiver was called before it was defined"
        return self.app(environ, start_response)

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(5)
        self._server.server_close()


@pytest.fixture
def served() -> Iterator[Served]:
    found = Served()
    yield found
    found.close()


def test_the_blocks_are_found():
    blocks = webhook_blocks()
    assert len(blocks) == 4
    assert README_URL in blocks[0]
    assert "Flask(__name__)" in blocks[1]


def test_the_flask_receiver_is_ten_lines():
    receiver = webhook_blocks()[1]
    assert len([line for line in receiver.splitlines() if line.strip()]) <= 10


def test_readme_webhooks_run(sdk, served, monkeypatch, capsys):
    create, receiver, deliveries, manage = webhook_blocks()
    url = f"{served.base}/plaudit"
    namespace: dict[str, Any] = {"client": sdk, "plaudit": plaudit}  # the README's earlier blocks

    exec(compile(create.replace(README_URL, url), "README webhooks 1", "exec"), namespace)
    webhook = namespace["webhook"]
    assert webhook.url == url and webhook.events == ["review.created", "review.updated"]
    assert namespace["secret"].startswith("whsec_")

    # The receiver, as a module of its own, with its secret in the environment.
    monkeypatch.setenv("WEBHOOK_SECRET", namespace["secret"])
    module: dict[str, Any] = {"__name__": "receiver"}
    exec(compile(receiver, "README webhooks 2 (receiver)", "exec"), module)
    assert isinstance(module["app"], Flask)
    served.app = module["app"]
    capsys.readouterr()

    # First with a wrong secret: the receiver refuses the ping (400), which the log
    # shows; then with the right one, and the README's loop sends it again.
    monkeypatch.setenv("WEBHOOK_SECRET", "whsec_" + "A" * 32)
    refused = sdk.webhooks.test(webhook.id)
    logged = wait_until_tried(sdk, webhook.id, refused.id, attempts=1)
    assert logged.response_status == 400 and logged.status == "pending"
    monkeypatch.setenv("WEBHOOK_SECRET", namespace["secret"])

    exec(compile(deliveries, "README webhooks 3", "exec"), namespace)
    out = capsys.readouterr().out
    assert "ping succeeded 204" in out  # the README's test() printed what it says
    received = [line for line in out.splitlines() if line.startswith("ping msg_")]
    assert len(received) >= 2  # the receiver verified the test ping, then the retry
    statuses = {d.id: d for d in sdk.webhooks.deliveries(webhook.id)}
    assert statuses[refused.id].attempts >= 2

    exec(compile(manage, "README webhooks 4", "exec"), namespace)
    rotated = namespace["rotated"]
    assert rotated.secret.startswith("whsec_") and rotated.secret != namespace["secret"]
    assert sdk.webhooks.list().items == []  # the last line deleted it
    with pytest.raises(plaudit.NotFoundError):
        sdk.webhooks.get(webhook.id)


def test_the_receiver_refuses_a_forged_request(monkeypatch):
    monkeypatch.setenv("WEBHOOK_SECRET", "whsec_" + "B" * 32)
    module: dict[str, Any] = {"__name__": "receiver"}
    exec(compile(webhook_blocks()[1], "README webhooks 2 (receiver)", "exec"), module)
    client = module["app"].test_client()
    forged = client.post(
        "/plaudit",
        data=b'{"type": "review.created", "timestamp": "2026-12-06T21:30:00Z", "data": {}}',
        headers={
            "webhook-id": "msg_forged",
            "webhook-timestamp": "1765000000",
            "webhook-signature": "v1,c2lnbmF0dXJl",
        },
    )
    assert forged.status_code == 400
    assert b"No signature matches" in forged.data
    assert client.post("/plaudit", data=b"{}").status_code == 400  # no headers
