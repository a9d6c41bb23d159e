"""The ceiling: a bare Flask app answering a fixed 1 KB JSON body, nothing else."""

from __future__ import annotations

import json

from flask import Flask, Response

app = Flask(__name__)
BODY = json.dumps({"items": ["x" * 96 for _ in range(10)], "ok": True}).encode()
assert 1000 <= len(BODY) <= 1100


@app.get("/")
def fixed() -> Response:
    return Response(BODY, mimetype="application/json")
