// The reviews widget: summary with histogram, the review list (sort, filter, more),
// the review form and the product's discussion. One review in the list: item.js.
// With data-store it is about the shop itself (product null): /store/reviews, its own
// heading, and no discussion (the store has no comments endpoint).
// A page opened from an invitation (?plaudit_invite=TOKEN) sends the token with the
// review, which makes it a verified buyer's.
import { getJSON, reviewsUrl } from './api.js';
import { shareSummary } from './badges.js';
import { clear, h, ids, lifetime, newId, shadow, starLabel, stars, top } from './dom.js';
import { field, inviteNote, makeForm, notifyBox, ratingInput } from './form.js';
import { localize } from './i18n.js';
import { reviewItem } from './item.js';
import { jsonLd, removeJsonLd } from './jsonld.js';
import { withChunk } from './kit.js';
import { guidelines, manageAfter, remember } from './trust.js';

const SORTS = ['newest', 'highest', 'lowest', 'helpful'];

export function reviews(el) {
  const found = ids(el);
  if (!found) return null;
  const { site, product } = found;
  const store = product === null;
  const L = localize(el);
  const heading = L.t(store ? 'storeTitle' : 'title');
  let invite = new URLSearchParams(location.search).get('plaudit_invite');
  const life = lifetime();
  const root = shadow(el);
  const wantSort = el.getAttribute('data-sort');
  const limit = Math.min(50, Math.max(1, parseInt(el.getAttribute('data-limit'), 10) || 10));
  const state = {
    sort: SORTS.includes(wantSort) ? wantSort : 'newest',
    rating: null,
    cursor: null,
    summary: null,
    shown: 0,
    wrote: false,
  };
  const ctrl = new AbortController();
  const liveBox = h('div', { class: 'sr', 'aria-live': 'polite', role: 'status' });
  const ctx = {
    site,
    product,
    live: (text) => {
      liveBox.textContent = '';
      life.later(() => (liveBox.textContent = text), 50);
    },
    // After this visitor wrote something, skip the browser's short HTTP cache.
    fetchOpts: () => ({ signal: ctrl.signal, cache: state.wrote ? 'no-cache' : 'default' }),
    wrote: () => (state.wrote = true),
  };
  const headId = newId();

  // Summary: rendered at once with placeholders of the same size (no layout shift).
  const big = h('span', { class: 'big', 'aria-hidden': 'true' }, '–');
  const avgStars = h('span');
  const count = h('span', { class: 'cnt' }, '…');
  const bars = [5, 4, 3, 2, 1].map((n) => {
    const fil = h('span', { class: 'fil' });
    const c = h('span', { class: 'c' }, '0');
    const b = h(
      'button',
      { class: 'bar', type: 'button', 'aria-pressed': 'false', disabled: true },
      h('span', { class: 's', 'aria-hidden': 'true' }, `${n} ★`),
      h('span', { class: 'trk', 'aria-hidden': 'true' }, fil),
      c,
    );
    b.addEventListener('click', () => filter(state.rating === n ? null : n));
    return { n, b, fil, c };
  });
  const summary = h(
    'div',
    { class: 'sum' },
    h('div', { class: 'avg' }, big, avgStars, count),
    h(
      'div',
      { class: 'hist', role: 'group', 'aria-label': heading },
      bars.map((x) => x.b),
    ),
  );
  const sortSel = h(
    'select',
    { onchange: () => ((state.sort = sortSel.value), reload()) },
    SORTS.map((s) => h('option', { value: s, selected: s === state.sort }, L.t(s))),
  );
  const writeBtn = h(
    'button',
    { class: 'btn pri', type: 'button', 'aria-expanded': 'false' },
    L.t('write'),
  );
  const chip = h('div', { class: 'chip', hidden: true });
  const list = h('ol', { class: 'list', 'aria-labelledby': headId });
  const more = h(
    'button',
    { class: 'btn', type: 'button', hidden: true, onclick: () => load(true) },
    L.t('more'),
  );
  const status = h('div', { hidden: true });
  const thanks = h('div', { class: 'msg good', tabindex: '-1', hidden: true });

  // The published reviews this mount has shown or posted, by id, with their node: when
  // the server answers a submission with one of them (an invitation's review edited),
  // the old version leaves the list and the summary.
  const counted = new Map();
  const item = (r) => {
    const node = reviewItem(L, ctx, r);
    counted.set(r.id, { rating: r.rating, node });
    return node;
  };
  const rating = ratingInput(L);
  const fTitle = field('title', L.t('fTitle'), { max: 120 });
  const fBody = field('body', L.t('fBody'), { area: true, required: true, max: 5000 });
  const fName = field('author_name', L.t('fName'), { required: true, max: 80, auto: 'name' });
  const fEmail = field('author_email', L.t('fEmail'), { type: 'email', max: 254, auto: 'email' });
  const fNotify = notifyBox(L, fEmail);
  const toggleForm = (open) => {
    review.form.hidden = !open;
    writeBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      thanks.hidden = true;
      review.focus();
    } else writeBtn.focus();
  };
  const review = makeForm(L, {
    note: invite ? inviteNote(L, () => (invite = null)) : null,
    extra: rating,
    fields: [fTitle, fBody, fName, fEmail, fNotify],
    submitLabel: L.t('send'),
    url: reviewsUrl(site, product),
    live: ctx.live,
    cancel: () => toggleForm(false),
    body: (v) => {
      const b = { rating: v.rating, body: v.body, author_name: v.author_name };
      if (v.title) b.title = v.title;
      if (v.author_email) b.author_email = v.author_email;
      if (v.author_email && v.notify) b.notify = true;
      if (invite) b.invite = invite;
      return b;
    },
    done: (data) => {
      ctx.wrote();
      const r = data.review;
      remember(site, r.id, data.manage_url);
      const s = state.summary;
      const was = counted.get(r.id); // an invitation's second review edits its first
      const published = data.status === 'published';
      if (was) {
        counted.delete(r.id);
        s.histogram[was.rating] -= 1;
        s.count -= 1;
        if (was.node && was.node.isConnected) {
          was.node.remove();
          state.shown -= 1;
        }
      }
      if (published) {
        s.histogram[r.rating] += 1;
        s.count += 1;
        counted.set(r.id, { rating: r.rating, node: null });
        if (state.rating === null || state.rating === r.rating) {
          list.querySelector(':scope > .mu')?.remove(); // "No reviews yet."
          list.prepend(item(r));
          state.shown += 1;
        }
      }
      if (was || published) {
        s.average = s.count
          ? Math.round(
              ([1, 2, 3, 4, 5].reduce((a, n) => a + n * s.histogram[n], 0) / s.count) * 100,
            ) / 100
          : null;
        showSummary(s);
      }
      review.form.hidden = true;
      writeBtn.setAttribute('aria-expanded', 'false');
      thanks.textContent = L.t(published ? 'published' : 'pending');
      manageAfter(thanks, L, site, r.id, 'manageR');
      thanks.hidden = false;
      thanks.focus();
      ctx.live(thanks.textContent);
    },
  });
  review.form.hidden = true;
  writeBtn.addEventListener('click', () => toggleForm(review.form.hidden));

  // The product's discussion: the comments chunk, loaded when the visitor opens it.
  const discBtn = store
    ? null
    : h(
        'button',
        {
          class: 'btn',
          type: 'button',
          'aria-expanded': 'false',
          onclick: () =>
            withChunk(
              'comments',
              (m, k) => {
                if (!discBtn.isConnected) return; // a second click while it came
                const area = m.commentArea(L, ctx, { site, product }, k);
                discBtn.replaceWith(area.box);
                area.load();
              },
              () => ctx.live(L.t('loadFail')),
            ),
        },
        L.t('showDisc'),
      );

  // The "Questions" tab of a product's widget (not with data-questions="off"), in the
  // ARIA tab pattern: the arrow keys move to the other tab and choose it. Its panel is
  // the questions bundle's, loaded the first time the tab is chosen.
  const qa = !store && el.getAttribute('data-questions') !== 'off';
  let asked = null;
  const panels = [0, 1].map((i) =>
    h('div', qa && { role: 'tabpanel', id: `${headId}p${i}`, 'aria-labelledby': `${headId}t${i}` }),
  );
  const tabs = ['tabR', 'tabQ'].map((key, i) =>
    h(
      'button',
      {
        role: 'tab',
        type: 'button',
        id: `${headId}t${i}`,
        'aria-controls': `${headId}p${i}`,
        onclick: () => pick(i),
        onkeydown: (e) => /^Arrow(Left|Right)$/.test(e.key) && (pick(1 - i), tabs[1 - i].focus()),
      },
      L.t(key),
    ),
  );
  function pick(i) {
    tabs.forEach((t, j) => {
      t.setAttribute('aria-selected', String(i === j));
      t.tabIndex = i === j ? 0 : -1;
      panels[j].hidden = i !== j;
    });
    if (i)
      asked ||= withChunk(
        'questions',
        (m, k) => m.panel(panels[1], k, { L, live: ctx.live, site, product, el }),
        () => ctx.live(L.t('loadFail')),
      );
  }

  root.append(
    top(
      el,
      life,
      'section',
      'pl',
      liveBox,
      h('h2', { id: headId }, heading),
      qa && h('div', { role: 'tablist', class: 'tabs' }, tabs),
      panels[0],
      panels[1],
    ),
  );
  panels[0].append(
    summary,
    h('div', { class: 'tools' }, h('label', null, L.t('sortBy'), sortSel), writeBtn),
    review.form,
    thanks,
    chip,
    status,
    list,
    more,
    guidelines(L, site),
    discBtn && h('div', { class: 'disc' }, h('h3', null, L.t('discussion')), discBtn),
  );
  if (qa) pick(0);

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
      // Starts with what the bar shows ("5 ★", the count): WCAG 2.5.3 Label in Name.
      x.b.setAttribute('aria-label', `${x.n} ★, ${L.t('reviews', { n })}`);
      x.b.setAttribute('aria-pressed', String(state.rating === x.n));
    }
  }

  function filter(n) {
    state.rating = n;
    clear(chip);
    chip.hidden = n === null;
    if (n !== null)
      chip.append(
        h('span', null, L.t('filterOn', { n })),
        h('button', { class: 'lnk', type: 'button', onclick: () => filter(null) }, L.t('showAll')),
      );
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
    const mine = (loading = getJSON(`${reviewsUrl(site, product)}?${q}`, ctx.fetchOpts()));
    let data;
    try {
      data = await mine;
    } catch {
      if (ctrl.signal.aborted || mine !== loading) return;
      list.removeAttribute('aria-busy');
      clear(status).append(
        h(
          'p',
          { class: 'msg bad' },
          L.t('loadFail'),
          ' ',
          h('button', { class: 'btn', type: 'button', onclick: () => load(append) }, L.t('retry')),
        ),
      );
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

  const unshare = shareSummary(site, product, load(false));
  return {
    destroy: () => {
      ctrl.abort();
      life.end();
      clear(root);
      unshare();
      removeJsonLd(site, product);
      asked?.then((p) => p?.destroy()); // the Questions tab's list and its JSON-LD
    },
  };
}
