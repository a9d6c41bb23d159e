// Star badges: every badge mounted in one task costs one /summaries request per site
// (100 products a request), and a badge of a product whose reviews widget is on the
// page reuses that widget's first answer. Store badges (data-store: the shop itself)
// read the summary of one /store/reviews?limit=1 request per site, or the store
// widget's first answer.
import { api, getJSON, reviewsUrl } from './api.js';
import { clear, h, ids, lifetime, shadow, starLabel, stars, top } from './dom.js';
import { localize } from './i18n.js';

const summaryWaits = new Map(); // "site\nproduct" -> Promise of a summary (or null)
let queue = [];
let warned = false;

// "" is no product id, so it stands for the store.
const keyOf = (site, product) => `${site}\n${product ?? ''}`;

// A reviews widget offers its first answer to the badges of its product.
export function shareSummary(site, product, wait) {
  const key = keyOf(site, product);
  summaryWaits.set(key, wait);
  return () => summaryWaits.get(key) === wait && summaryWaits.delete(key);
}

export function badge(el) {
  const found = ids(el);
  if (!found) return null;
  const L = localize(el);
  const life = lifetime();
  const root = shadow(el);
  const box = top(el, life, 'span', 'bdg');
  box.lang = L.lang;
  // A store badge says whose rating it is: the shop's, not a product's.
  const render = (summary) => {
    const label = starLabel(L, summary);
    clear(box).append(
      stars(summary.average, found.product === null ? `${L.t('storeTitle')}: ${label}` : label),
      h('span', { class: 'n', 'aria-hidden': 'true' }, `(${L.num(summary.count)})`),
    );
  };
  render({ count: 0, average: 0 });
  box.lastChild.textContent = '( )'; // same width as the answer: no layout shift
  root.append(box);
  let alive = true;
  queue.push({
    ...found,
    done: (s) => alive && (s ? render(s) : box.classList.add('off')),
  });
  if (queue.length === 1) queueMicrotask(flush);
  return {
    destroy: () => {
      alive = false;
      life.end();
      clear(root);
    },
  };
}

// A badge without an answer keeps its place, empty (.off): nothing on the page moves,
// nothing claims a rating it does not have. The console hears of it once per page.
function failed(why) {
  if (!warned) console.warn('Plaudit: star ratings could not be loaded', why);
  warned = true;
}

function flush() {
  const waiting = queue;
  queue = [];
  const bySite = new Map();
  const stores = new Map(); // site -> Promise of the store's summary
  for (const b of waiting) {
    let shared = summaryWaits.get(keyOf(b.site, b.product));
    if (!shared && b.product === null) {
      if (!stores.has(b.site))
        stores.set(
          b.site,
          getJSON(`${reviewsUrl(b.site, null)}?limit=1`).then(
            (data) => data.summary,
            (e) => failed(e),
          ),
        );
      shared = stores.get(b.site);
    }
    if (shared) {
      shared.then((s) => b.done(s), b.done.bind(null, null));
      continue;
    }
    if (!bySite.has(b.site)) bySite.set(b.site, new Map());
    const products = bySite.get(b.site);
    if (!products.has(b.product)) products.set(b.product, []);
    products.get(b.product).push(b.done);
  }
  for (const [site, products] of bySite) {
    const all = [...products.keys()];
    for (let i = 0; i < all.length; i += 100) {
      const chunk = all.slice(i, i + 100);
      const answer = (summaries) =>
        chunk.forEach((p) => products.get(p).forEach((done) => done(summaries[p])));
      getJSON(api(site, `/summaries?products=${chunk.map(encodeURIComponent).join(',')}`))
        .then((data) => answer(data.summaries))
        .catch((e) => {
          failed(e);
          answer({});
        });
    }
  }
}
