// Plaudit widget: reviews, star badges and fan comments for any shop page.
//
// <div data-plaudit-reviews data-site="acme-shop" data-product="sku-123"></div>
// <span data-plaudit-stars data-site="acme-shop" data-product="sku-123"></span>
// <script src="https://REVIEWS-HOST/widget.js" async></script>
//
// Rules this file keeps: every mount renders into its own open shadow root; text from
// the API is only ever set with textContent / text nodes (never innerHTML); no eval and
// no inline handlers or style attributes (it runs under a strict CSP); one global,
// window.Plaudit.
import CSS from './styles.css';
import { MESSAGES } from './i18n.js';

const VERSION = '1';
const W = window;
const D = document;
const SORTS = ['newest', 'highest', 'lowest', 'helpful'];
const SITE_RE = /^[a-z0-9-]{3,64}$/;
const PRODUCT_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const STARS = '★★★★★';

// The API lives where this script came from; read synchronously, while it is running.
// Through Document's own getter, and checked: markup on the host page can shadow
// document.currentScript (<img name="currentScript" src="//evil">, CVE-2024-43788's
// pattern) and would send every request, and what visitors type, to that origin.
const me = Object.getOwnPropertyDescriptor(Document.prototype, 'currentScript').get.call(D);
const ORIGIN = new URL(
  me instanceof HTMLScriptElement && me.src ? me.src : '/',
  location.href,
).origin;

const mounted = new Map(); // element -> {destroy}
const summaryWaits = new Map(); // "site\nproduct" -> Promise of a summary (badges share it)
let badgeQueue = [];
let sheet = null;
let uid = 0;

// ------------------------------------------------------------------ small helpers

// Build an element. Attributes are set as attributes, "on*" become listeners, children
// are nodes or strings (appended as text nodes: never parsed as HTML).
function h(tag, attrs, ...kids) {
  const el = D.createElement(tag);
  for (const k in attrs || {}) {
    const v = attrs[k];
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c != null && c !== false) el.append(c);
  return el;
}

function clear(el) {
  el.replaceChildren();
  return el;
}

function uuid() {
  const c = W.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID(); // secure contexts only
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const x = Array.from(b, (v) => (v + 256).toString(16).slice(1)).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function api(site, path) {
  return `${ORIGIN}/api/v1/sites/${encodeURIComponent(site)}${path}`;
}

async function getJSON(url, opts) {
  const res = await fetch(url, { credentials: 'omit', ...opts });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

// Language: data-lang, else the nearest lang attribute, else English.
function i18n(el) {
  const asked = (el.getAttribute('data-lang') || (el.closest('[lang]') || {}).lang || 'en').trim();
  let locale = 'en';
  try {
    locale = Intl.getCanonicalLocales(asked)[0];
  } catch (e) {
    /* not a BCP 47 tag: English */
  }
  const base = locale.split('-')[0].toLowerCase();
  const lang = MESSAGES[base] ? base : 'en';
  if (lang !== base) locale = 'en';
  const msgs = MESSAGES[lang];
  const rules = new Intl.PluralRules(locale);
  const num = new Intl.NumberFormat(locale);
  const dec = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const date = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' });
  const t = (key, vals) => {
    let s = msgs[key] ?? MESSAGES.en[key];
    if (typeof s === 'object') {
      const n = vals.n;
      s = (n === 0 && s.zero) || s[rules.select(n)] || s.other;
      s = s.replace('#', num.format(n));
    }
    return s.replace(/\{(\w+)\}/g, (_, k) => (typeof vals[k] === 'number' ? num.format(vals[k]) : vals[k]));
  };
  return { lang, locale, t, dec: (n) => dec.format(n), num: (n) => num.format(n), date: (iso) => date.format(new Date(iso)) };
}

const darkMedia = W.matchMedia && W.matchMedia('(prefers-color-scheme: dark)');

// The mount's top element, with .dk for data-theme="dark" (or "auto" on a dark system).
function top(el, tag, cls, ...kids) {
  const node = h(tag, { class: cls }, ...kids);
  const theme = el.getAttribute('data-theme');
  const paint = () => node.classList.toggle('dk', theme === 'dark' || (theme === 'auto' && !!darkMedia && darkMedia.matches));
  paint();
  if (theme === 'auto' && darkMedia) darkMedia.addEventListener('change', paint);
  return node;
}

function shadow(el) {
  const root = el.shadowRoot || el.attachShadow({ mode: 'open' });
  clear(root);
  // Constructed stylesheets are not subject to CSP style-src; <style> is the fallback.
  try {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.append(h('style', null, CSS));
  }
  return root;
}

function stars(value, label) {
  const fill = h('span', { class: 'f', 'aria-hidden': 'true' }, STARS);
  fill.style.width = `${Math.max(0, Math.min(5, value || 0)) * 20}%`; // CSSOM: allowed under CSP
  return h('span', { class: 'st', role: 'img', 'aria-label': label }, h('span', { 'aria-hidden': 'true' }, STARS), fill);
}

function starLabel(L, summary) {
  return summary.count
    ? `${L.t('outOf', { n: L.dec(summary.average) })}, ${L.t('reviews', { n: summary.count })}`
    : L.t('none');
}

function attrs(el) {
  const site = el.getAttribute('data-site') || '';
  const product = el.getAttribute('data-product') || '';
  if (!SITE_RE.test(site) || !PRODUCT_RE.test(product)) {
    console.warn('Plaudit: bad data-site/data-product', el);
    return null;
  }
  return { site, product };
}

// ------------------------------------------------------------------ star badges

function badge(el) {
  const ids = attrs(el);
  if (!ids) return null;
  const L = i18n(el);
  const root = shadow(el);
  const box = top(el, 'span', 'bdg');
  box.lang = L.lang;
  const render = (summary) => {
    clear(box).append(
      stars(summary.average, starLabel(L, summary)),
      h('span', { class: 'n', 'aria-hidden': 'true' }, `(${L.num(summary.count)})`),
    );
  };
  render({ count: 0, average: 0 });
  box.lastChild.textContent = '( )'; // same width as the answer: no layout shift
  root.append(box);
  let alive = true;
  badgeQueue.push({ ...ids, done: (s) => alive && render(s) });
  if (badgeQueue.length === 1) queueMicrotask(flushBadges);
  return { destroy: () => ((alive = false), clear(root)) };
}

// All badges mounted in one task cost one request per site (100 products per request).
function flushBadges() {
  const queue = badgeQueue;
  badgeQueue = [];
  const bySite = new Map();
  for (const b of queue) {
    const shared = summaryWaits.get(`${b.site}\n${b.product}`);
    if (shared) {
      shared.then((s) => s && b.done(s));
      continue;
    }
    if (!bySite.has(b.site)) bySite.set(b.site, new Map());
    const products = bySite.get(b.site);
    if (!products.has(b.product)) products.set(b.product, []);
    products.get(b.product).push(b.done);
  }
  for (const [site, products] of bySite) {
    const ids = [...products.keys()];
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      getJSON(api(site, `/summaries?products=${chunk.map(encodeURIComponent).join(',')}`))
        .then((data) => chunk.forEach((p) => products.get(p).forEach((done) => done(data.summaries[p]))))
        .catch(() => {});
    }
  }
}

// ------------------------------------------------------------------ forms

// A field: label, control, message. Returns {wrap, input, err}.
function field(name, label, opts = {}) {
  const id = `pl${++uid}`;
  const err = h('p', { class: 'err', id: `${id}e` });
  const input = h(opts.area ? 'textarea' : 'input', {
    id,
    name,
    type: opts.area ? null : opts.type || 'text',
    required: opts.required,
    autocomplete: opts.auto || 'off',
    'aria-describedby': `${id}e`,
    rows: opts.area ? 5 : null,
  });
  return { name, input, err, wrap: h('div', { class: 'fld' }, h('label', { for: id }, label), input, err), ...opts };
}

// The shared submit machinery of the review and comment forms: client checks that mirror
// the server's, one Idempotency-Key per distinct submission (kept for retries), the
// server's 422 messages next to their field, a retry button when the network fails.
function makeForm(L, { fields, extra, submitLabel, url, body, done, cancel, live }) {
  const general = h('div', { class: 'msg bad', role: 'alert', hidden: true });
  const submit = h('button', { class: 'btn pri', type: 'submit' }, submitLabel);
  const hp = h('input', { name: 'hp', type: 'text', tabindex: '-1', autocomplete: 'off' });
  const form = h(
    'form',
    { novalidate: true, onsubmit: (e) => (e.preventDefault(), send()) },
    extra ? extra.wrap : null,
    fields.map((f) => f.wrap),
    h('div', { class: 'hpf', 'aria-hidden': 'true' }, h('label', null, 'Leave empty', hp)),
    general,
    h('div', { class: 'row' }, submit, cancel ? h('button', { class: 'btn', type: 'button', onclick: cancel }, L.t('cancel')) : null),
  );
  let key = null;
  let keyBody = null;
  let busy = false;
  const all = extra ? [extra, ...fields] : fields;

  const values = () => {
    const v = {};
    for (const f of fields) v[f.name] = f.input.value.trim();
    if (extra) v[extra.name] = extra.value();
    return v;
  };
  const show = (errors) => {
    let first = null;
    for (const f of all) {
      const m = errors[f.name];
      f.err.textContent = m ? [].concat(m).join(' ') : '';
      const target = f.input || f.focus;
      if (f.input) f.input.setAttribute('aria-invalid', m ? 'true' : 'false');
      if (m && !first) first = target;
    }
    return first;
  };
  const fail = (text, canRetry) => {
    clear(general).append(h('p', null, text));
    if (canRetry) general.append(h('button', { class: 'btn', type: 'button', onclick: send }, L.t('retry')));
    general.hidden = false;
  };
  const check = (v) => {
    const errors = {};
    for (const f of all) {
      const x = v[f.name];
      if (f.name === 'rating') {
        if (!(x >= 1 && x <= 5)) errors.rating = L.t('pickRating');
      } else if (f.required && !x) errors[f.name] = L.t('required');
      else if (f.max && [...x.normalize('NFC')].length > f.max) errors[f.name] = L.t('tooLong', { n: f.max });
      else if (f.type === 'email' && x && !EMAIL_RE.test(x)) errors[f.name] = L.t('badEmail');
    }
    return errors;
  };

  async function send() {
    if (busy) return;
    general.hidden = true;
    const v = values();
    const errors = check(v);
    const first = show(errors);
    if (first) {
      live(L.t('fix'));
      first.focus();
      return;
    }
    const payload = body(v);
    if (hp.value) payload.hp = hp.value;
    const json = JSON.stringify(payload);
    if (key === null || keyBody !== json) {
      key = uuid();
      keyBody = json;
    }
    busy = true;
    submit.disabled = true;
    submit.textContent = L.t('sending');
    form.setAttribute('aria-busy', 'true');
    let res = null;
    let data = null;
    try {
      res = await fetch(url, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
        body: json,
      });
      data = await res.json().catch(() => null);
    } catch (e) {
      res = null;
    }
    busy = false;
    submit.disabled = false;
    submit.textContent = submitLabel;
    form.removeAttribute('aria-busy');
    if (res === null) return fail(L.t('network'), true);
    if (res.ok) {
      key = keyBody = null;
      form.reset();
      if (extra) extra.reset();
      show({});
      return done(data);
    }
    const problem = data || {};
    if (res.status === 422 && problem.errors) {
      const known = {};
      const rest = [];
      for (const [name, msgs] of Object.entries(problem.errors)) {
        if (all.some((f) => f.name === name)) known[name] = msgs;
        else rest.push([].concat(msgs).join(' '));
      }
      const firstBad = show(known);
      if (rest.length) fail(rest.join(' '), false);
      live(L.t('fix'));
      if (firstBad) firstBad.focus();
      return;
    }
    if (res.status === 429) return fail(L.t('rate', { n: Number(res.headers.get('Retry-After')) || 60 }), true);
    if (res.status === 403) return fail(L.t('forbidden'), false);
    if (res.status === 409 || res.status >= 500) return fail(L.t('server'), true);
    fail(problem.detail || L.t('server'), false);
  }

  return { form, focus: () => (all[0].input || all[0].focus).focus() };
}

// An accessible star input: a radio group in a fieldset (arrow keys move and select).
function ratingInput(L) {
  const id = `pl${++uid}`;
  const err = h('p', { class: 'err', id: `${id}e` });
  const box = h('div', { class: 'rate' });
  const radios = [];
  const paint = () => {
    const v = Number((radios.find((r) => r.checked) || {}).value || 0);
    radios.forEach((r, i) => r.parentNode.classList.toggle('on', i < v));
  };
  for (let n = 1; n <= 5; n++) {
    const r = h('input', { type: 'radio', name: `${id}r`, value: n, 'aria-label': L.t('stars', { n }), onchange: paint });
    radios.push(r);
    box.append(h('label', null, r, h('span', { 'aria-hidden': 'true' }, '★')));
  }
  const wrap = h('fieldset', { 'aria-describedby': `${id}e` }, h('legend', null, L.t('yourRating')), box, err);
  return {
    name: 'rating',
    wrap,
    err,
    focus: radios[0],
    value: () => Number((radios.find((r) => r.checked) || {}).value || 0),
    reset: paint,
  };
}

// ------------------------------------------------------------------ comments

function commentArea(L, ctx, { site, product, reviewId, onPosted }) {
  const box = h('div');
  const list = h('ul');
  const more = h('button', { class: 'lnk', type: 'button', hidden: true }, L.t('moreC'));
  const empty = h('p', { class: 'mu', hidden: true }, L.t('noComments'));
  const note = h('div', { class: 'msg good', tabindex: '-1', hidden: true });
  const items = [];
  let cursor = null;
  const base = api(site, `/products/${encodeURIComponent(product)}/comments`);

  // A comment form: at the bottom of the area, or (parent) inline below that comment.
  const form = (parent) => {
    const fBody = field('body', L.t('fComment'), { area: true, required: true, max: 5000 });
    const fName = field('author_name', L.t('fName'), { required: true, max: 80, auto: 'name' });
    const message = parent ? note : h('div', { class: 'msg good', tabindex: '-1', hidden: true });
    const f = makeForm(L, {
      fields: [fBody, fName],
      submitLabel: L.t('sendC'),
      url: base,
      live: ctx.live,
      cancel: parent ? () => f.form.remove() : null,
      body: (v) => ({ body: v.body, author_name: v.author_name, review_id: reviewId || undefined, parent_id: parent ? parent.id : undefined }),
      done: (data) => {
        ctx.wrote();
        const published = data.status === 'published';
        if (published) {
          add(data.comment, true);
          if (onPosted) onPosted();
        }
        if (parent) f.form.remove();
        message.textContent = L.t(published ? 'cPublished' : 'cPending');
        message.hidden = false;
        message.focus();
        ctx.live(message.textContent);
      },
    });
    return [message, f];
  };

  // Comments come oldest first with a reply always after its parent: append in order.
  const nodes = new Map();
  function add(c, fresh) {
    items.push(c);
    empty.hidden = true;
    const parent = c.parent_id && nodes.get(c.parent_id);
    const depth = parent ? parent.depth + 1 : 0;
    const kids = h('ul');
    const replyBtn = depth < 2 ? h('button', { class: 'lnk', type: 'button', 'aria-expanded': 'false' }, L.t('reply')) : null;
    const li = h(
      'li',
      { class: 'cm', tabindex: fresh ? '-1' : null },
      h('div', { class: 'meta' }, h('span', { class: 'au' }, c.author_name, c.is_owner ? h('span', { class: 'own' }, L.t('shop')) : null), h('time', { datetime: c.created_at }, L.date(c.created_at))),
      h('p', { class: 'b' }, c.body),
      replyBtn,
      kids,
    );
    if (replyBtn) {
      replyBtn.addEventListener('click', () => {
        const open = li.querySelector(':scope > form');
        if (open) return open.querySelector('textarea').focus();
        const [, f] = form(c);
        li.insertBefore(f.form, kids);
        f.focus();
      });
    }
    nodes.set(c.id, { depth, kids });
    (parent ? parent.kids : list).append(li);
  }

  async function load() {
    const q = new URLSearchParams({ limit: '20' });
    if (reviewId) q.set('review', reviewId);
    if (cursor) q.set('cursor', cursor);
    list.setAttribute('aria-busy', 'true');
    try {
      const data = await getJSON(`${base}?${q}`, ctx.fetchOpts());
      data.comments.forEach((c) => add(c, false));
      cursor = data.next_cursor;
      more.hidden = !cursor;
      empty.hidden = items.length > 0;
    } catch (e) {
      ctx.live(L.t('loadFail'));
    }
    list.removeAttribute('aria-busy');
  }
  more.addEventListener('click', load);
  const [message, top] = form(null);
  box.append(empty, list, more, note, h('h3', { hidden: !!reviewId }, L.t('addComment')), message, top.form);
  return { box, load };
}

// ------------------------------------------------------------------ reviews widget

function reviews(el) {
  const ids = attrs(el);
  if (!ids) return null;
  const { site, product } = ids;
  const L = i18n(el);
  const root = shadow(el);
  const wantSort = el.getAttribute('data-sort');
  const limit = Math.min(50, Math.max(1, parseInt(el.getAttribute('data-limit'), 10) || 10));
  const state = { sort: SORTS.includes(wantSort) ? wantSort : 'newest', rating: null, cursor: null, summary: null, shown: 0, wrote: false };
  const ctrl = new AbortController();
  const liveBox = h('div', { class: 'sr', 'aria-live': 'polite', role: 'status' });
  const ctx = {
    live: (text) => {
      liveBox.textContent = '';
      setTimeout(() => (liveBox.textContent = text), 50);
    },
    // After this visitor wrote something, skip the browser's short HTTP cache.
    fetchOpts: () => ({ signal: ctrl.signal, cache: state.wrote ? 'no-cache' : 'default' }),
    wrote: () => (state.wrote = true),
  };
  const headId = `pl${++uid}`;

  // Summary: rendered at once with placeholders of the same size (no layout shift).
  const big = h('span', { class: 'big', 'aria-hidden': 'true' }, '–');
  const avgStars = h('span');
  const count = h('span', { class: 'cnt' }, '…');
  const bars = [5, 4, 3, 2, 1].map((n) => {
    const fil = h('span', { class: 'fil' });
    const c = h('span', { class: 'c' }, '0');
    const b = h('button', { class: 'bar', type: 'button', 'aria-pressed': 'false', disabled: true }, h('span', { class: 's', 'aria-hidden': 'true' }, `${n} ★`), h('span', { class: 'trk', 'aria-hidden': 'true' }, fil), c);
    b.addEventListener('click', () => filter(state.rating === n ? null : n));
    return { n, b, fil, c };
  });
  const summary = h(
    'div',
    { class: 'sum' },
    h('div', { class: 'avg' }, big, avgStars, count),
    h('div', { class: 'hist', role: 'group', 'aria-label': L.t('title') }, bars.map((x) => x.b)),
  );
  const sortSel = h('select', { onchange: () => ((state.sort = sortSel.value), reload()) }, SORTS.map((s) => h('option', { value: s, selected: s === state.sort }, L.t(s))));
  const writeBtn = h('button', { class: 'btn pri', type: 'button', 'aria-expanded': 'false' }, L.t('write'));
  const chip = h('div', { class: 'chip', hidden: true });
  const list = h('ol', { class: 'list', 'aria-labelledby': headId });
  const more = h('button', { class: 'btn', type: 'button', hidden: true, onclick: () => load(true) }, L.t('more'));
  const status = h('div', { hidden: true });
  const thanks = h('div', { class: 'msg good', tabindex: '-1', hidden: true });

  const rating = ratingInput(L);
  const fTitle = field('title', L.t('fTitle'), { max: 120 });
  const fBody = field('body', L.t('fBody'), { area: true, required: true, max: 5000 });
  const fName = field('author_name', L.t('fName'), { required: true, max: 80, auto: 'name' });
  const fEmail = field('author_email', L.t('fEmail'), { type: 'email', max: 254, auto: 'email' });
  const toggleForm = (open) => {
    review.form.hidden = !open;
    writeBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      thanks.hidden = true;
      review.focus();
    } else writeBtn.focus();
  };
  const review = makeForm(L, {
    extra: rating,
    fields: [fTitle, fBody, fName, fEmail],
    submitLabel: L.t('send'),
    url: api(site, `/products/${encodeURIComponent(product)}/reviews`),
    live: ctx.live,
    cancel: () => toggleForm(false),
    body: (v) => {
      const b = { rating: v.rating, body: v.body, author_name: v.author_name };
      if (v.title) b.title = v.title;
      if (v.author_email) b.author_email = v.author_email;
      return b;
    },
    done: (data) => {
      ctx.wrote();
      const published = data.status === 'published';
      if (published) {
        const s = state.summary;
        s.histogram[data.review.rating] += 1;
        s.count += 1;
        s.average = Math.round(([1, 2, 3, 4, 5].reduce((a, n) => a + n * s.histogram[n], 0) / s.count) * 100) / 100;
        showSummary(s);
        if (state.rating === null || state.rating === data.review.rating) {
          list.prepend(item(data.review));
          state.shown += 1;
        }
      }
      review.form.hidden = true;
      writeBtn.setAttribute('aria-expanded', 'false');
      thanks.textContent = L.t(published ? 'published' : 'pending');
      thanks.hidden = false;
      thanks.focus();
      ctx.live(thanks.textContent);
    },
  });
  review.form.hidden = true;
  writeBtn.addEventListener('click', () => toggleForm(review.form.hidden));

  const disc = commentArea(L, ctx, { site, product });
  const discBtn = h('button', { class: 'btn', type: 'button', 'aria-expanded': 'false' }, L.t('showDisc'));
  disc.box.hidden = true;
  discBtn.addEventListener('click', () => {
    discBtn.hidden = true;
    disc.box.hidden = false;
    disc.load();
  });

  root.append(
    top(
      el,
      'section',
      'pl',
      liveBox,
      h('h2', { id: headId }, L.t('title')),
      summary,
      h('div', { class: 'tools' }, h('label', null, L.t('sortBy'), sortSel), writeBtn),
      review.form,
      thanks,
      chip,
      status,
      list,
      more,
      h('div', { class: 'disc' }, h('h3', null, L.t('discussion')), discBtn, disc.box),
    ),
  );

  root.lastChild.lang = L.lang;
  root.lastChild.setAttribute('aria-labelledby', headId);

  function showSummary(s) {
    state.summary = s;
    big.textContent = s.count ? L.dec(s.average) : '–';
    clear(avgStars).append(stars(s.average, starLabel(L, s)));
    count.textContent = L.t('reviews', { n: s.count });
    for (const x of bars) {
      const n = s.histogram[x.n] || 0;
      x.fil.style.width = `${s.count ? (100 * n) / s.count : 0}%`;
      x.c.textContent = L.num(n);
      x.b.disabled = n === 0 && state.rating !== x.n;
      x.b.setAttribute('aria-label', `${L.t('stars', { n: x.n })}: ${L.t('reviews', { n })}`);
      x.b.setAttribute('aria-pressed', String(state.rating === x.n));
    }
  }

  function item(r) {
    const threadBox = h('div', { class: 'thr', hidden: true });
    let thread = null;
    let comments = r.comment_count;
    const cBtn = h('button', { class: 'lnk', type: 'button', 'aria-expanded': 'false' });
    const label = () => (cBtn.textContent = threadBox.hidden ? L.t('comments', { n: comments }) : L.t('hide'));
    label();
    cBtn.addEventListener('click', () => {
      threadBox.hidden = !threadBox.hidden;
      cBtn.setAttribute('aria-expanded', String(!threadBox.hidden));
      label();
      if (!thread) {
        thread = commentArea(L, ctx, { site, product, reviewId: r.id, onPosted: () => (comments += 1) });
        threadBox.append(thread.box);
        thread.load();
      }
    });
    const votes = [true, false].map((helpful) => {
      const b = h('button', { class: 'btn', type: 'button', 'aria-pressed': 'false' });
      const paint = (yes, no) => (b.textContent = `${L.t(helpful ? 'yes' : 'no')} (${L.num(helpful ? yes : no)})`);
      paint(r.helpful_count, r.unhelpful_count);
      b.addEventListener('click', () => vote(helpful));
      return { b, paint };
    });
    async function vote(helpful) {
      votes.forEach((v) => (v.b.disabled = true));
      try {
        const res = await fetch(api(site, `/reviews/${encodeURIComponent(r.id)}/votes`), {
          method: 'POST',
          credentials: 'omit',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': uuid() },
          body: JSON.stringify({ helpful }),
        });
        if (!res.ok) throw new Error(res.status);
        const d = await res.json();
        ctx.wrote();
        votes.forEach((v, i) => {
          v.paint(d.helpful_count, d.unhelpful_count);
          v.b.setAttribute('aria-pressed', String(i === (helpful ? 0 : 1)));
        });
      } catch (e) {
        ctx.live(L.t('voteFail'));
      }
      votes.forEach((v) => (v.b.disabled = false));
    }
    return h(
      'li',
      { class: 'rv', tabindex: '-1' },
      h('article', null,
        h('div', { class: 'rh' }, stars(r.rating, L.t('outOf', { n: r.rating })), r.title ? h('h3', { class: 't' }, r.title) : null),
        h('div', { class: 'meta' }, h('span', { class: 'au' }, r.author_name), h('time', { datetime: r.created_at }, L.date(r.created_at)), r.verified_buyer ? h('span', { class: 'vb' }, `✓ ${L.t('verified')}`) : null),
        h('p', { class: 'b' }, r.body),
        r.reply ? h('div', { class: 'rep' }, h('strong', null, L.t('shopReply')), h('p', { class: 'b' }, r.reply.body)) : null,
        h('div', { class: 'acts' }, h('span', { class: 'mu' }, L.t('wasHelpful')), votes.map((v) => v.b), cBtn),
        threadBox,
      ),
    );
  }

  function filter(n) {
    state.rating = n;
    clear(chip);
    chip.hidden = n === null;
    if (n !== null) chip.append(h('span', null, L.t('filterOn', { n })), h('button', { class: 'lnk', type: 'button', onclick: () => filter(null) }, L.t('showAll')));
    reload();
  }

  function reload() {
    state.cursor = null;
    load(false);
  }

  let loading = null;
  let first = true;
  async function load(append) {
    const q = new URLSearchParams({ sort: state.sort, limit: String(limit) });
    if (state.rating) q.set('rating', state.rating);
    if (append && state.cursor) q.set('cursor', state.cursor);
    list.setAttribute('aria-busy', 'true');
    status.hidden = true;
    const mine = (loading = getJSON(api(site, `/products/${encodeURIComponent(product)}/reviews?${q}`), ctx.fetchOpts()));
    let data;
    try {
      data = await mine;
    } catch (e) {
      if (ctrl.signal.aborted || mine !== loading) return;
      list.removeAttribute('aria-busy');
      clear(status).append(h('p', { class: 'msg bad' }, L.t('loadFail'), ' ', h('button', { class: 'btn', type: 'button', onclick: () => load(append) }, L.t('retry'))));
      status.hidden = false;
      if (first) count.textContent = L.t('loadFail');
      return null;
    }
    if (mine !== loading) return; // a newer request (sort, filter) superseded this one
    list.removeAttribute('aria-busy');
    showSummary(data.summary);
    if (!append) {
      clear(list);
      state.shown = 0;
    }
    const firstNew = data.reviews.length ? item(data.reviews[0]) : null;
    data.reviews.forEach((r, i) => list.append(i ? item(r) : firstNew));
    state.shown += data.reviews.length;
    state.cursor = data.next_cursor;
    more.hidden = !state.cursor;
    if (!data.summary.count) list.append(h('li', { class: 'mu' }, L.t('none')));
    if (first) {
      first = false;
      jsonLd(el, site, product, data);
    } else {
      const total = state.rating ? data.summary.histogram[state.rating] : data.summary.count;
      ctx.live(L.t('shown', { n: state.shown, total }));
      if (append && firstNew) firstNew.focus();
    }
    return data.summary;
  }

  const wait = load(false);
  summaryWaits.set(`${site}\n${product}`, wait);
  return {
    destroy: () => {
      ctrl.abort();
      clear(root);
      summaryWaits.delete(`${site}\n${product}`);
      const ld = D.head.querySelector(`script[data-plaudit="${site}/${product}"]`);
      if (ld) ld.remove();
    },
  };
}

// schema.org Product / AggregateRating / Review for the page (search engines run JS).
function jsonLd(el, site, product, data) {
  if (el.getAttribute('data-jsonld') === 'off') return;
  const s = data.summary;
  const ld = {
    '@context': 'https://schema.org',
    '@type': 'Product',
    name: el.getAttribute('data-product-name') || D.title || product,
    productID: product,
  };
  if (s.count) {
    ld.aggregateRating = { '@type': 'AggregateRating', ratingValue: s.average, reviewCount: s.count, bestRating: 5, worstRating: 1 };
    ld.review = data.reviews.map((r) => ({
      '@type': 'Review',
      author: { '@type': 'Person', name: r.author_name },
      datePublished: r.created_at.slice(0, 10),
      name: r.title || undefined,
      reviewBody: r.body,
      reviewRating: { '@type': 'Rating', ratingValue: r.rating, bestRating: 5, worstRating: 1 },
    }));
  }
  const tag = `${site}/${product}`;
  const old = D.head.querySelector(`script[data-plaudit="${tag}"]`);
  const node = h('script', { type: 'application/ld+json', 'data-plaudit': tag });
  node.textContent = JSON.stringify(ld); // a data block: never executed, never parsed as HTML
  if (old) old.replaceWith(node);
  else D.head.append(node);
}

// ------------------------------------------------------------------ the global

function mount(scope) {
  const base = scope && scope.querySelectorAll ? scope : D;
  const found = [...base.querySelectorAll('[data-plaudit-reviews],[data-plaudit-stars]')];
  if (base.matches && base.matches('[data-plaudit-reviews],[data-plaudit-stars]')) found.unshift(base);
  // Reviews first, so badges of the same product reuse their first response.
  found.sort((a, b) => b.hasAttribute('data-plaudit-reviews') - a.hasAttribute('data-plaudit-reviews'));
  for (const el of found) {
    if (mounted.has(el)) continue;
    const made = el.hasAttribute('data-plaudit-reviews') ? reviews(el) : badge(el);
    if (made) mounted.set(el, made);
  }
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
  else if (Array.isArray(cmd) && typeof Plaudit[cmd[0]] === 'function' && cmd[0] !== 'push') Plaudit[cmd[0]](...cmd.slice(1));
}

const Plaudit = { version: VERSION, origin: ORIGIN, mount, destroy, refresh: (el) => (destroy(el), mount(el)), push: (...cmds) => cmds.forEach(run) };

if (!(W.Plaudit && W.Plaudit.version)) {
  const queued = Array.isArray(W.Plaudit) ? W.Plaudit : [];
  W.Plaudit = Plaudit;
  const start = () => {
    mount(D);
    queued.forEach(run);
  };
  if (D.readyState === 'loading') D.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
}
