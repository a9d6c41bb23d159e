// What the questions and ideas bundles share (esbuild copies it into each: a page loads
// one of them, or both, never more): their CSS, their strings, their standalone mount,
// their list machinery. `k` is always the core's kit (kit.js).
import CSS from './community.css';

const SITE_RE = /^[a-z0-9-]{3,64}$/; // as dom.js ids(): the API's own checks
const PRODUCT_RE = /^[A-Za-z0-9._:-]{1,128}$/;
let sheet = null;

// The bundles' CSS, added once to the shadow root `root` (a <style> where constructed
// stylesheets are missing, as the core does).
export function adopt(root, k) {
  try {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    if (!root.adoptedStyleSheets.includes(sheet))
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    root.append(k.h('style', null, CSS));
  }
}

// The mount's strings: the bundle's own (S: {lang: {key: text}}) first, then the core's.
// Values as in i18n.js: {one, other, ...} by Intl.PluralRules, "#" the number, {name}.
export function speak(L, S) {
  const own = S[L.lang] || S.en;
  const rules = new Intl.PluralRules(L.locale);
  const t = (key, vals = {}) => {
    let s = own[key] ?? S.en[key];
    if (s === undefined) return L.t(key, vals);
    if (typeof s === 'object')
      s = ((vals.n === 0 && s.zero) || s[rules.select(vals.n)] || s.other).replace(
        '#',
        L.num(vals.n),
      );
    return s.replace(/\{(\w+)\}/g, (_, x) =>
      typeof vals[x] === 'number' ? L.num(vals[x]) : vals[x],
    );
  };
  return { ...L, t };
}

// data-site and an optional data-product, checked as the API checks them.
export function where(el, needProduct) {
  const site = el.getAttribute('data-site') || '';
  const product = el.getAttribute('data-product');
  if (SITE_RE.test(site) && (product ? PRODUCT_RE.test(product) : !needProduct))
    return { site, product: product || null };
  console.warn('Plaudit: bad data-site/data-product', el);
  return null;
}

// A data-plaudit-questions or -ideas mount: its own shadow root, theme, heading and live
// region, like the reviews widget; draw(box, ctx) fills it and returns {destroy}.
export function standalone(el, k, S, needProduct, title, draw) {
  const found = where(el, needProduct);
  if (!found) return null;
  const T = speak(k.localize(el), S);
  const life = k.lifetime();
  const root = k.shadow(el);
  const { h } = k;
  const liveBox = h('div', { class: 'sr', 'aria-live': 'polite', role: 'status' });
  const live = (text) => {
    liveBox.textContent = '';
    life.later(() => (liveBox.textContent = text), 50);
  };
  const headId = k.newId();
  const box = h('div');
  const sec = k.top(el, life, 'section', 'pl', liveBox, h('h2', { id: headId }, T.t(title)), box);
  sec.lang = T.lang;
  sec.setAttribute('aria-labelledby', headId);
  root.append(sec);
  const drawn = draw(box, { ...found, T, live, el });
  return {
    destroy: () => {
      drawn.destroy();
      life.end();
      k.clear(root);
    },
  };
}

// A list that pages: load(append) GETs url(cursor) (a string), hands each item to
// item(x) and the whole answer to then(data); "more" asks for the next page. After
// this visitor wrote something, the browser's short HTTP cache is skipped.
export function pager(k, T, { key, url, item, list, more, empty, live, then }) {
  const ctrl = new AbortController();
  let cursor = null;
  let wrote = false;
  let seq = 0;
  let shown = 0;
  async function load(append) {
    const mine = ++seq;
    list.setAttribute('aria-busy', 'true');
    let data;
    try {
      data = await k.getJSON(url(append ? cursor : null), {
        signal: ctrl.signal,
        cache: wrote ? 'no-cache' : 'default',
      });
    } catch {
      if (!ctrl.signal.aborted && mine === seq) {
        list.removeAttribute('aria-busy');
        live(T.t('loadFail'));
      }
      return;
    }
    if (mine !== seq) return; // a newer request (sort) superseded this one
    list.removeAttribute('aria-busy');
    if (!append) {
      k.clear(list);
      shown = 0;
    }
    const nodes = data[key].map(item);
    list.append(...nodes);
    shown += nodes.length;
    cursor = data.next_cursor;
    if (more) more.hidden = !cursor;
    if (empty) empty.hidden = shown > 0;
    if (append && nodes[0]) {
      nodes[0].focus();
      live(T.t('shownN', { n: shown }));
    }
    if (then) then(data, append);
  }
  if (more) more.addEventListener('click', () => load(true));
  return {
    load,
    wrote: () => (wrote = true),
    added: () => ((shown += 1), empty && (empty.hidden = true)),
    abort: () => ctrl.abort(),
  };
}

// "Helpful? Yes (n) No (n)" on an answer, as on a review (item.js).
export function votes(k, T, url, x, live) {
  const { h } = k;
  const bs = [true, false].map((helpful) => {
    const b = h('button', { class: 'btn', type: 'button', 'aria-pressed': 'false' });
    const paint = (d) =>
      (b.textContent = `${T.t(helpful ? 'yes' : 'no')} (${T.num(helpful ? d.helpful_count : d.unhelpful_count)})`);
    paint(x);
    b.addEventListener('click', async () => {
      bs.forEach((v) => (v.b.disabled = true));
      try {
        const res = await k.postJSON(url, JSON.stringify({ helpful }), k.uuid());
        if (!res.ok) throw new Error(res.status);
        const d = await res.json();
        bs.forEach((v) => {
          v.paint(d);
          v.b.setAttribute('aria-pressed', String(v.b === b));
        });
      } catch {
        live(T.t('voteFail'));
      }
      bs.forEach((v) => (v.b.disabled = false));
    });
    return { b, paint };
  });
  return h(
    'div',
    { class: 'acts' },
    h('span', { class: 'mu' }, T.t('wasHelpful')),
    bs.map((v) => v.b),
  );
}

// "Thank you" after a form: focused and said; the form goes.
export function thank(T, msg, text, live) {
  msg.textContent = text;
  msg.hidden = false;
  msg.focus();
  live(text);
}
