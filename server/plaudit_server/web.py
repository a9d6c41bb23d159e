"""The widget script and the demo shop.

``GET /widget.js`` serves the built widget (``static/plaudit.min.js``, committed, so the
server never needs Node) with a content-hash ETag, gzip or brotli by ``Accept-Encoding``
(compressed once per build, not per request) and cache headers a CDN can keep. With
``?v=<hash>`` (the hash in ``X-Widget-Version``) the URL names one build and is cached
for a year. ``GET /widget/<name>.js`` serves the widget's on-demand chunks
(``static/widget/``) the same way; the core imports them with the hash in ``?v=``.

``/demo`` is a small shop on the demo site (``plaudit demo``): a listing page with star
badges, one page per product with the full widget and its questions, and an ideas page
with the roadmap and the idea board.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, request

from . import compression
from .demo import DEMO_SLUG, PRODUCTS
from .extensions import db
from .models import Site

bp = Blueprint("web", __name__, template_folder="templates")

_PACKAGE = Path(__file__).resolve().parent
# Built by widget/build.mjs into the package, so checkouts and wheels both have it.
WIDGET_CANDIDATES = (_PACKAGE / "static" / "plaudit.min.js",)

# An unversioned /widget.js: browsers keep it 5 minutes, shared caches an hour, and may
# serve a stale copy for a day while they fetch the new one.
CACHE_CONTROL = "public, max-age=300, s-maxage=3600, stale-while-revalidate=86400"
IMMUTABLE = "public, max-age=31536000, immutable"
# Chunk names are build.mjs's keys: nothing else of static/ is reachable through them.
CHUNK_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class Built:
    key: tuple[str, int, int]
    digest: str
    forms: dict[str, bytes]  # by content coding (compression.compress)


_cache: dict[str, Built] = {}
_lock = threading.Lock()


def chunk_dir() -> Path:
    configured = current_app.config.get("WIDGET_CHUNK_DIR")
    return Path(configured) if configured else _PACKAGE / "static" / "widget"


def widget_path() -> Path:
    configured = current_app.config.get("WIDGET_JS_PATH")
    if configured:
        return Path(configured)
    for candidate in WIDGET_CANDIDATES:
        if candidate.is_file():
            return candidate
    return WIDGET_CANDIDATES[-1]


def built_widget() -> Built:
    """The widget's bytes, hash and compressed forms, redone only when the file changes."""
    return _built(widget_path())


def _built(path: Path) -> Built:
    """A built file's hash and compressed forms, redone only when the file changes."""
    try:
        stat = path.stat()
    except OSError:
        abort(404)
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(str(path))
    if cached is not None and cached.key == key:
        return cached
    with _lock:
        data = path.read_bytes()
        built = Built(
            key=key,
            digest=hashlib.sha256(data).hexdigest()[:20],
            forms=compression.compress(data, best=True),
        )
        _cache[str(path)] = built
        return built


def _script(built: Built) -> Response:
    """A built script as every widget file is served: one ETag per content coding, 304 on
    a match, a year of caching for the URL of this very build (``?v=<hash>``), and
    loadable from any page (CORS, CORP)."""
    encoding = compression.choose(request.headers.get("Accept-Encoding"), built.forms)
    versioned = request.args.get("v") == built.digest
    headers = {
        # Each content coding is its own representation, so its own strong ETag.
        "ETag": f'"{built.digest}{compression.SUFFIX[encoding]}"',
        "Cache-Control": IMMUTABLE if versioned else CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "X-Widget-Version": built.digest,
        # Any page may load it, also with crossorigin="anonymous", import() or under COEP.
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if compression.etag_matches(request.headers.get("If-None-Match"), built.digest):
        return Response(status=304, headers=headers)
    response = Response(built.forms[encoding], mimetype="text/javascript", headers=headers)
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    return response


@bp.route("/widget.js", methods=["GET"])
def widget_js() -> Response:
    """The embeddable widget."""
    return _script(built_widget())


@bp.route("/widget/<name>.js", methods=["GET"])
def widget_chunk(name: str) -> Response:
    """An on-demand chunk of the widget (``static/widget/<name>.js``, built by
    widget/build.mjs), which the core imports from here: same origin, same headers."""
    if not CHUNK_NAME.fullmatch(name):
        abort(404)
    return _script(_built(chunk_dir() / f"{name}.js"))


# ---------------------------------------------------------------- the demo shop

DETAILS = {
    "grinder-aurora": (
        "149.00",
        "Conical steel burrs, 40 grind settings and a quiet motor: from espresso to French press.",
    ),
    "kettle-pour-over": (
        "59.00",
        "A gooseneck spout for a slow, steady pour, and a thermometer in the lid.",
    ),
    "mug-set-stoneware": (
        "38.00",
        "Four hand-glazed 300 ml mugs that keep your coffee warm a little longer.",
    ),
    "beans-ethiopia-250": (
        "14.50",
        "Washed Guji, light roast: notes of blueberry, jasmine and bergamot.",
    ),
}


def _demo_site_exists() -> bool:
    return db.session.scalar(sa.select(Site.id).where(Site.slug == DEMO_SLUG)) is not None


def _products() -> list[dict[str, str]]:
    return [
        {"id": pid, "name": name, "price": DETAILS[pid][0], "blurb": DETAILS[pid][1]}
        for pid, name in PRODUCTS.items()
    ]


@bp.route("/demo/", methods=["GET"])
@bp.route("/demo", methods=["GET"])
def demo_index() -> str:
    """The demo shop's listing page: one star badge per product, one request for all."""
    return render_template(
        "demo/index.html", products=_products(), site=DEMO_SLUG, ready=_demo_site_exists()
    )


@bp.route("/demo/products/<product>", methods=["GET"])
def demo_product(product: str) -> str:
    """A product page with the full reviews widget."""
    found = next((p for p in _products() if p["id"] == product), None)
    if found is None:
        abort(404)
    lang = request.args.get("lang", "")
    theme = request.args.get("theme", "")
    return render_template(
        "demo/product.html",
        product=found,
        products=_products(),
        site=DEMO_SLUG,
        ready=_demo_site_exists(),
        lang=lang if lang in {"en", "de", "fr", "es"} else "en",
        theme=theme if theme in {"light", "dark", "auto"} else "light",
    )


@bp.route("/demo/ideas", methods=["GET"])
def demo_ideas() -> str:
    """The idea board's page: the roadmap by stage and the ideas to vote on (a page of
    its own, as a shop would have it, so the listing stays one request for its badges)."""
    theme = request.args.get("theme", "")
    return render_template(
        "demo/ideas.html",
        site=DEMO_SLUG,
        ready=_demo_site_exists(),
        theme=theme if theme in {"light", "dark", "auto"} else "light",
    )
