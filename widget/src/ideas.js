// The idea board: an on-demand bundle (build.mjs CHUNKS.ideas) that only pages with a
// data-plaudit-ideas mount load, from the widget's own origin. data-view chooses what it
// shows: "board" (default: every published idea, sorted by votes or newest, with the
// form to propose one), "roadmap" (a column per stage from under review to shipped) or
// "shipped" (the changelog: shipped ideas, newest first). A page wanting several views
// embeds several mounts. Visitors vote and withdraw their vote (one per visitor, the
// server counts); after voting they may leave an e-mail to hear when the idea is planned
// or shipped. This browser remembers which ideas it voted for (localStorage
// plaudit:voted:{site}), so the buttons show it on later visits. `k` is the core's kit.
import { adopt, pager, standalone, thank } from './community.js';
import STRINGS from './ideas-strings.js';

const VIEWS = { board, roadmap, shipped };
const COLUMNS = ['under_review', 'planned', 'in_progress', 'shipped'];
const VOTABLE = ['open', 'under_review', 'planned', 'in_progress'];
const SORTS = ['top', 'newest'];

export function mount(el, k) {
  const view = VIEWS[el.getAttribute('data-view')] ? el.getAttribute('data-view') : 'board';
  return standalone(el, k, STRINGS, false, `v_${view}`, (box, x) => {
    adopt(box.getRootNode(), k);
    return VIEWS[view](box, k, x);
  });
}

// The ideas this browser voted for, per site: a Set, kept where storage allows.
const votedBy = new Map();
function voted(site) {
  if (!votedBy.has(site)) {
    let ids = [];
    try {
      ids = JSON.parse(localStorage.getItem(`plaudit:voted:${site}`)) || [];
    } catch {
      /* storage disabled or not JSON: known for this page only */
    }
    votedBy.set(site, new Set(Array.isArray(ids) ? ids : []));
  }
  return votedBy.get(site);
}
function keep(site, id, on) {
  const set = voted(site);
  if (on) set.add(id);
  else set.delete(id);
  try {
    localStorage.setItem(`plaudit:voted:${site}`, JSON.stringify([...set].slice(-200)));
  } catch {
    /* storage full or disabled */
  }
}

function ideasUrl(k, x, params) {
  const q = new URLSearchParams(params);
  if (x.product) q.set('product', x.product);
  return `${k.api(x.site, '/ideas')}?${q}`;
}

// A list of ideas with "show more": {list, more, empty, pages}.
function ideaList(k, x, params, labelledby, emptyKey) {
  const { h } = k;
  const list = h('ol', { class: 'ideas', 'aria-labelledby': labelledby });
  const more = h('button', { class: 'btn', type: 'button', hidden: true }, x.T.t('moreI'));
  const empty = h('p', { class: 'mu', hidden: true }, x.T.t(emptyKey));
  const pages = pager(k, x.T, {
    key: 'ideas',
    url: (cursor) => ideasUrl(k, x, { ...params(), limit: '10', ...(cursor ? { cursor } : {}) }),
    item: (idea) => ideaItem(k, x, idea, pages),
    list,
    more,
    empty,
    live: x.live,
  });
  return { list, more, empty, pages, box: h('div', null, list, empty, more) };
}

// One idea: its vote button and count, title, stage (and the shop's note on it), text,
// the customer feedback it came from, and after a vote the "tell me" e-mail form.
function ideaItem(k, x, idea, pages) {
  const { h, field } = k;
  const { T, site, live } = x;
  const tid = k.newId();
  const url = k.api(site, `/ideas/${encodeURIComponent(idea.id)}/votes`);
  const count = h('span', { class: 'vc' });
  const mine = voted(site);
  const paint = (n, on) => {
    count.textContent = T.t('votes', { n });
    if (btn) btn.setAttribute('aria-pressed', String(on));
  };
  const hearBox = h('div', { hidden: true });
  let hear = null;
  const btn = VOTABLE.includes(idea.stage)
    ? h(
        'button',
        { class: 'btn vt', type: 'button', 'aria-describedby': tid },
        h('span', { 'aria-hidden': 'true' }, '▲ '),
        T.t('vote'),
      )
    : null;
  paint(idea.vote_count, mine.has(idea.id));
  if (btn)
    btn.addEventListener('click', async () => {
      const want = btn.getAttribute('aria-pressed') !== 'true';
      btn.disabled = true;
      try {
        const res = await k.postJSON(url, JSON.stringify({ vote: want }), k.uuid());
        if (!res.ok) throw new Error(res.status);
        const d = await res.json();
        pages.wrote();
        keep(site, idea.id, d.voted);
        paint(d.vote_count, d.voted);
        hearBox.hidden = !d.voted;
        if (d.voted && !hear) {
          hear = hearForm();
          hearBox.append(hear.form);
        }
        live(`${T.t(d.voted ? 'votedNow' : 'unvoted')} ${T.t('votes', { n: d.vote_count })}.`);
      } catch {
        live(T.t('voteFail'));
      }
      btn.disabled = false;
    });
  // The visitor's e-mail, sent with their vote: one message when the idea is planned or
  // shipped (the server keeps one vote per visitor, so this changes no count).
  function hearForm() {
    const note = h('p', { class: 'msg good', tabindex: '-1', hidden: true });
    const form = k.makeForm(T, {
      fields: [
        field('email', T.t('hear'), { type: 'email', required: true, max: 254, auto: 'email' }),
      ],
      submitLabel: T.t('hearSend'),
      url,
      live,
      body: (v) => ({ vote: true, email: v.email }),
      done: (d) => {
        paint(d.vote_count, true);
        form.form.hidden = true;
        thank(T, note, T.t('heard'), live);
      },
    });
    return { form: h('div', null, form.form, note) };
  }
  const when = idea.stage === 'shipped' ? idea.updated_at : idea.created_at;
  const sources = idea.sources || [];
  return h(
    'li',
    { class: 'idea', tabindex: '-1' },
    h(
      'article',
      { 'aria-labelledby': tid },
      h('div', { class: 'vote' }, btn, count),
      h(
        'div',
        { class: 'ib' },
        h('h3', { id: tid }, idea.title),
        h(
          'div',
          { class: 'meta' },
          h('span', { class: `stg s-${idea.stage}` }, T.t(idea.stage)),
          h('span', { class: 'au' }, idea.author_name),
          h('time', { datetime: when }, T.date(when)),
        ),
        idea.body ? h('p', { class: 'b' }, idea.body) : null,
        idea.stage_note ? h('p', { class: 'rep b' }, idea.stage_note) : null,
        sources.length
          ? h(
              'div',
              { class: 'src' },
              h('strong', null, T.t('from')),
              h(
                'ul',
                null,
                sources.map((s) => h('li', { class: 'b' }, s.excerpt)),
              ),
            )
          : null,
        hearBox,
      ),
    ),
  );
}

// Every idea, to vote on, and the form to propose one.
function board(box, k, x) {
  const { h, field } = k;
  const { T, live } = x;
  let sort = SORTS.includes(x.el.getAttribute('data-sort'))
    ? x.el.getAttribute('data-sort')
    : 'top';
  const headId = k.newId();
  const ideas = ideaList(k, x, () => ({ sort }), headId, 'noIdeas');
  const thanks = h('div', { class: 'msg good', tabindex: '-1', hidden: true });
  const openBtn = h(
    'button',
    { class: 'btn pri', type: 'button', 'aria-expanded': 'false' },
    T.t('propose'),
  );
  const propose = k.makeForm(T, {
    fields: [
      field('title', T.t('fT'), { required: true, max: 120 }),
      field('body', T.t('fB'), { area: true, max: 5000 }),
      field('author_name', T.t('fName'), { required: true, max: 80, auto: 'name' }),
      field('author_email', T.t('fEmail'), { type: 'email', max: 254, auto: 'email' }),
    ],
    submitLabel: T.t('sendI'),
    url: k.api(x.site, '/ideas'),
    live,
    cancel: () => toggle(false),
    body: (v) => ({
      title: v.title,
      body: v.body,
      author_name: v.author_name,
      author_email: v.author_email || undefined,
      product: x.product || undefined,
    }),
    done: (data) => {
      ideas.pages.wrote();
      const published = data.status === 'published';
      if (published) {
        ideas.list.prepend(ideaItem(k, x, data.idea, ideas.pages));
        ideas.pages.added();
      }
      toggle(false, true);
      thank(T, thanks, T.t(published ? 'iPublished' : 'iPending'), live);
    },
  });
  const toggle = (open, quiet) => {
    propose.form.hidden = !open;
    openBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      thanks.hidden = true;
      propose.focus();
    } else if (!quiet) openBtn.focus();
  };
  openBtn.addEventListener('click', () => toggle(propose.form.hidden));
  propose.form.hidden = true;
  const sortSel = h(
    'select',
    { onchange: () => ((sort = sortSel.value), ideas.pages.load(false)) },
    SORTS.map((s) => h('option', { value: s, selected: s === sort }, T.t(s))),
  );
  box.append(
    h('h3', { id: headId, class: 'sr' }, T.t('v_board')),
    h('div', { class: 'tools' }, h('label', null, T.t('sortBy'), sortSel), openBtn),
    propose.form,
    thanks,
    ideas.box,
  );
  ideas.pages.load(false);
  return { destroy: ideas.pages.abort };
}

// A column per stage, most wanted first. Every column's first page is awaited and the
// columns are drawn together: drawn one by one as their answers came, the ideas of one
// column would push the columns below it down (stacked on a phone, in view), a layout
// shift. Until then the mount stays as empty as the space the shop reserved for it.
function roadmap(box, k, x) {
  const cols = COLUMNS.map((stage) => {
    const headId = k.newId();
    const ideas = ideaList(k, x, () => ({ stage, sort: 'top' }), headId, 'noneHere');
    const col = k.h(
      'section',
      { class: 'col', 'aria-labelledby': headId },
      k.h('h3', { id: headId }, x.T.t(stage)),
      ideas.box,
    );
    return { ...ideas, col };
  });
  let gone = false;
  box.classList.add('road');
  box.setAttribute('aria-busy', 'true');
  Promise.all(cols.map((c) => c.pages.load(false))).then(() => {
    box.removeAttribute('aria-busy');
    if (!gone) box.append(...cols.map((c) => c.col));
  });
  return {
    destroy: () => {
      gone = true;
      cols.forEach((c) => c.pages.abort());
    },
  };
}

// The changelog: what shipped, newest first, with the shop's note.
function shipped(box, k, x) {
  const headId = k.newId();
  const ideas = ideaList(k, x, () => ({ stage: 'shipped', sort: 'newest' }), headId, 'noneHere');
  box.append(k.h('h3', { id: headId, class: 'sr' }, x.T.t('v_shipped')), ideas.box);
  ideas.pages.load(false);
  return { destroy: ideas.pages.abort };
}
