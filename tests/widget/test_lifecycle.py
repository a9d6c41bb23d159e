"""What the widget leaves behind and how it fails, in real Chromium: destroy() hands back
every listener and timer it took outside its shadow roots; a badge whose request fails
keeps its place, empty, and the console hears of it once; on-demand chunks (the
languages besides English) come from the widget's own origin under a strict CSP."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.wrappers import Response

from .conftest import Plaudit, _serve
from .test_browser import badge, mount, open_page, real_errors, seed, widget

pw = pytest.importorskip("playwright.sync_api", reason="pip install pytest-playwright")
Page, expect = pw.Page, pw.expect

# Before any script of the page: count the listeners and timers added to window,
# document and MediaQueryLists and still live (removed, aborted by their signal,
# fired once, cleared, or run).
COUNT = """
(() => {
  const live = new Set();
  const key = (target, type, fn) => [target, type, fn];
  const wrap = (proto) => {
    const add = proto.addEventListener;
    const remove = proto.removeEventListener;
    proto.addEventListener = function (type, fn, opts) {
      const tag = key(this, type, fn);
      live.add(tag);
      if (opts && opts.once) {
        const real = fn;
        fn = function (...args) { live.delete(tag); return real.apply(this, args); };
        tag[2] = fn;
      }
      if (opts && opts.signal) opts.signal.addEventListener('abort', () => live.delete(tag));
      return add.call(this, type, fn, opts);
    };
    proto.removeEventListener = function (type, fn, opts) {
      for (const t of live) if (t[0] === this && t[1] === type && t[2] === fn) live.delete(t);
      return remove.call(this, type, fn, opts);
    };
  };
  wrap(Window.prototype);
  wrap(Document.prototype);
  wrap(MediaQueryList.prototype);
  const timers = new Set();
  const set = window.setTimeout;
  const clear = window.clearTimeout;
  window.setTimeout = (fn, ms, ...rest) => {
    const id = set((...a) => { timers.delete(id); fn(...a); }, ms, ...rest);
    timers.add(id);
    return id;
  };
  window.clearTimeout = (id) => { timers.delete(id); clear(id); };
  window.__baseline = () => ({ listeners: live.size, timers: timers.size });
})();
"""


def test_destroy_hands_back_every_listener_and_timer(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seed(plaudit, site, [5, 3])
    page.add_init_script(COUNT)

    def snapshot() -> dict[str, int]:
        return page.evaluate("window.__baseline()")  # type: ignore[no-any-return]

    # The page's own state before the widget: a page without Plaudit on it.
    page.goto(plaudit.shop.page("<!doctype html><title>x</title><p>empty</p>"))
    page.wait_for_load_state("load")
    before = snapshot()

    seen = open_page(
        page,
        plaudit,
        mount(site, theme="auto") + badge(site, "other") + "<span data-plaudit-stars "
        f'data-site="{site}" data-product="sku-1" data-theme="auto"></span>',
    )
    w = widget(page)
    expect(w.locator(".cnt")).to_have_text("2 reviews")
    # A sort change: the live region's announcement is a timer of the mount's.
    w.get_by_label("Sort by").select_option("lowest")
    mounted = snapshot()
    assert mounted["listeners"] > before["listeners"]  # matchMedia (theme "auto")
    page.evaluate("Plaudit.destroy()")
    page.evaluate("() => new Promise((r) => setTimeout(r, 0))")
    after = snapshot()
    assert after["listeners"] == before["listeners"], (before, mounted, after)
    assert after["timers"] == 0, after
    assert (
        page.evaluate(
            "document.querySelector('[data-plaudit-reviews]').shadowRoot.childNodes.length"
        )
        == 0
    )
    # Nothing of the widget runs any more when the system's colour scheme changes.
    page.emulate_media(color_scheme="dark")
    assert real_errors(seen) == []


@pytest.fixture
def failing_api() -> Any:
    """A Plaudit that answers every API call 500 but serves the widget: a server in trouble."""
    from plaudit_server.web import WIDGET_CANDIDATES

    script = WIDGET_CANDIDATES[0].read_bytes()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/widget.js":
            response = Response(script, mimetype="text/javascript")
        else:
            response = Response("no", status=500, headers={"Access-Control-Allow-Origin": "*"})
        return response(environ, start_response)

    port, stop = _serve(app)
    yield f"http://plaudit.test:{port}"
    stop()


def test_failed_badge_request_is_quiet_and_logs_once(
    page: Page, plaudit: Plaudit, failing_api: str
) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    badges = "".join(
        f'<p><span data-plaudit-stars data-site="acme-shop" data-product="p{i}"></span>'
        f"<span id=after{i}>after</span></p>"
        for i in range(3)
    )
    page.goto(
        plaudit.shop.page(
            f"<!doctype html><title>x</title>{badges}"
            f'<script src="{failing_api}/widget.js" async></script>'
        )
    )
    boxes = page.locator("[data-plaudit-stars] .bdg")
    expect(boxes).to_have_count(3)
    expect(boxes.first).to_have_class("bdg off")
    expect(boxes.nth(2)).to_have_class("bdg off")
    # Its place is kept (nothing after it moves) and nothing shows a rating.
    assert page.locator("#after0").bounding_box()["x"] > 60  # type: ignore[index]
    for i in range(3):
        assert not page.locator("[data-plaudit-stars]").nth(i).get_by_role("img").is_visible()
    # A second batch fails too, still without a second warning.
    page.evaluate(
        "() => { const s = document.createElement('span'); s.dataset.plauditStars = '';"
        " s.dataset.site = 'acme-shop'; s.dataset.product = 'p9'; s.id = 'late';"
        " document.body.append(s); Plaudit.mount(s); }"
    )
    expect(page.locator("#late .bdg")).to_have_class("bdg off")
    page.wait_for_timeout(100)
    ours = [w for w in warnings if w.startswith("Plaudit:")]
    assert len(ours) == 1 and "star ratings could not be loaded" in ours[0], warnings


def test_unreachable_api_badge_is_quiet(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    warnings: list[str] = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    page.route("**/summaries?*", lambda route: route.abort("connectionrefused"))
    open_page(page, plaudit, badge(site, "sku-1") + badge(site, "sku-2"))
    expect(page.locator("[data-plaudit-stars] .bdg.off")).to_have_count(2)
    page.wait_for_timeout(100)
    assert len([w for w in warnings if w.startswith("Plaudit:")]) == 1


def test_language_chunk_loads_from_the_widget_origin_under_a_strict_csp(
    page: Page, plaudit: Plaudit
) -> None:
    site = plaudit.site()
    seed(plaudit, site, [4])
    loaded: list[str] = []
    page.on("request", lambda r: "/widget/" in r.url and loaded.append(r.url))
    csp = (
        f"default-src 'none'; script-src {plaudit.origin}; connect-src {plaudit.origin}; "
        "style-src 'self'"
    )
    seen = open_page(
        page,
        plaudit,
        mount(site) + badge(site, "sku-1"),
        lang="de",
        headers={"Content-Security-Policy": csp},
    )
    w = widget(page)
    expect(w.locator(".cnt")).to_have_text("1 Bewertung")
    expect(page.locator("[data-plaudit-stars] .n")).to_have_text("(1)")
    # One chunk for both mounts, pinned to its build (immutable caching).
    assert len(loaded) == 1 and "/widget/lang-de.js?v=" in loaded[0], loaded
    assert loaded[0].startswith(plaudit.origin)
    assert real_errors(seen) == []
    # English needs no chunk.
    loaded.clear()
    open_page(page, plaudit, mount(site))
    expect(w.locator(".cnt")).to_have_text("1 review")
    assert loaded == []


def test_a_missing_chunk_falls_back_to_english(page: Page, plaudit: Plaudit) -> None:
    site = plaudit.site()
    seed(plaudit, site, [4])
    page.route("**/widget/lang-fr.js*", lambda route: route.fulfill(status=404))
    warnings: list[str] = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    open_page(page, plaudit, mount(site), lang="fr")
    expect(widget(page).locator(".cnt")).to_have_text("1 review")
    assert len([w for w in warnings if w.startswith("Plaudit:")]) == 1
