// Plaudit widget: reviews, star badges and fan comments for any shop page.
//
// <div data-plaudit-reviews data-site="acme-shop" data-product="sku-123"></div>
// <span data-plaudit-stars data-site="acme-shop" data-product="sku-123"></span>
// <script src="https://REVIEWS-HOST/widget.js" async></script>
//
// Rules every module keeps: every mount renders into its own open shadow root; text from
// the API is only ever set with textContent / text nodes (never innerHTML); no eval and
// no inline handlers or style attributes (it runs under a strict CSP); one global,
// window.Plaudit. This module is that global: mount, destroy, the command queue.
import { ORIGIN } from './api.js';
import { badge } from './badges.js';
import { loadStrings } from './i18n.js';
import { community } from './kit.js';
import { reviews } from './reviews.js';

const VERSION = '1';
const SELECTOR =
  '[data-plaudit-reviews],[data-plaudit-stars],[data-plaudit-questions],[data-plaudit-ideas]';
const mounted = new Map(); // element -> {destroy}

function mount(scope) {
  const base = scope && scope.querySelectorAll ? scope : document;
  const found = [...base.querySelectorAll(SELECTOR)];
  if (base.matches && base.matches(SELECTOR)) found.unshift(base);
  // Reviews first, so badges of the same product reuse their first response.
  found.sort(
    (a, b) => b.hasAttribute('data-plaudit-reviews') - a.hasAttribute('data-plaudit-reviews'),
  );
  const fresh = found.filter((el) => !mounted.has(el));
  // Until its strings are here (a language chunk), a mount is pending: destroy() drops it.
  const pending = { destroy() {} };
  const now = () => {
    for (const el of fresh) {
      if (mounted.get(el) !== pending) continue;
      const made = el.hasAttribute('data-plaudit-reviews')
        ? reviews(el)
        : el.hasAttribute('data-plaudit-stars')
          ? badge(el)
          : community(el); // questions, ideas: their own bundles
      if (made) mounted.set(el, made);
      else mounted.delete(el);
    }
  };
  fresh.forEach((el) => mounted.set(el, pending));
  const waiting = loadStrings(fresh);
  if (waiting) waiting.then(now);
  else now();
}

function destroy(el) {
  for (const [node, m] of mounted) {
    if (!el || el === node) {
      m.destroy();
      mounted.delete(node);
    }
  }
}

function run(cmd) {
  if (typeof cmd === 'function') cmd(Plaudit);
  else if (Array.isArray(cmd) && typeof Plaudit[cmd[0]] === 'function' && cmd[0] !== 'push')
    Plaudit[cmd[0]](...cmd.slice(1));
}

const Plaudit = {
  version: VERSION,
  origin: ORIGIN,
  mount,
  destroy,
  refresh: (el) => (destroy(el), mount(el)),
  push: (...cmds) => cmds.forEach(run),
};

if (!(window.Plaudit && window.Plaudit.version)) {
  const queued = Array.isArray(window.Plaudit) ? window.Plaudit : [];
  window.Plaudit = Plaudit;
  const start = () => {
    mount(document);
    queued.forEach(run);
  };
  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
}
