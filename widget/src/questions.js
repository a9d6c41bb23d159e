// Product questions and answers: an on-demand bundle (build.mjs CHUNKS.questions) that
// only pages using it load, from the widget's own origin. It draws a
// data-plaudit-questions mount (mount) or the reviews widget's "Questions" tab (panel).
// Visitors ask (with "tell me when it is answered"), answer (a page opened from an
// invitation, ?plaudit_invite=TOKEN, sends the token: the answer is a verified buyer's)
// and vote answers helpful. The shop's answers carry "Shop", verified buyers' their
// badge; the server orders them so. Answered questions go into the page's JSON-LD as a
// schema.org FAQPage. `k` is the core's kit (kit.js): its form machinery and helpers.
import { adopt, pager, speak, standalone, thank, votes } from './community.js';
import STRINGS from './questions-strings.js';

const SORTS = ['newest', 'answered', 'helpful'];

export const mount = (el, k) =>
  standalone(el, k, STRINGS, true, 'titleQ', (box, x) => draw(box, k, x));

// The Questions tab of a reviews widget: `x` is its mount's {L, live, site, product, el}.
export function panel(box, k, x) {
  return draw(box, k, { ...x, T: speak(x.L, STRINGS) });
}

function draw(box, k, { T, live, site, product, el }) {
  const { h, field, makeForm } = k;
  adopt(box.getRootNode(), k);
  let invite = new URLSearchParams(location.search).get('plaudit_invite');
  const base = k.api(site, `/products/${encodeURIComponent(product)}/questions`);
  let sort = SORTS.includes(el.getAttribute('data-sort')) ? el.getAttribute('data-sort') : 'newest';
  const listId = k.newId();
  const list = h('ol', { class: 'list', 'aria-labelledby': listId });
  const more = h('button', { class: 'btn', type: 'button', hidden: true }, T.t('moreQ'));
  const empty = h('p', { class: 'mu', hidden: true }, T.t('noQ'));
  const thanks = h('div', { class: 'msg good', tabindex: '-1', hidden: true });
  const pages = pager(k, T, {
    key: 'questions',
    url: (cursor) => {
      const q = new URLSearchParams({ sort, limit: '10' });
      if (cursor) q.set('cursor', cursor);
      return `${base}?${q}`;
    },
    item: (q) => question(q),
    list,
    more,
    empty,
    live,
    then: (data, append) => append || jsonLd(el, site, product, data.questions),
  });

  // Asking: the question, a name, an optional e-mail and "tell me when it is answered".
  const askBtn = h(
    'button',
    { class: 'btn pri', type: 'button', 'aria-expanded': 'false' },
    T.t('ask'),
  );
  const fEmail = field('author_email', T.t('fEmail'), { type: 'email', max: 254, auto: 'email' });
  const ask = makeForm(T, {
    fields: [
      field('body', T.t('fQ'), { area: true, required: true, max: 1000 }),
      field('author_name', T.t('fName'), { required: true, max: 80, auto: 'name' }),
      fEmail,
      k.notifyBox(T, fEmail),
    ],
    submitLabel: T.t('sendQ'),
    url: base,
    live,
    cancel: () => toggle(false),
    body: (v) => ({
      body: v.body,
      author_name: v.author_name,
      author_email: v.author_email || undefined,
      notify: (v.author_email && v.notify) || undefined,
    }),
    done: (data) => {
      pages.wrote();
      const published = data.status === 'published';
      if (published) {
        list.prepend(question(data.question));
        pages.added();
      }
      toggle(false, true);
      thank(T, thanks, T.t(published ? 'qPublished' : 'qPending'), live);
    },
  });
  const toggle = (open, quiet) => {
    ask.form.hidden = !open;
    askBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      thanks.hidden = true;
      ask.focus();
    } else if (!quiet) askBtn.focus();
  };
  askBtn.addEventListener('click', () => toggle(ask.form.hidden));
  ask.form.hidden = true;
  const sortSel = h(
    'select',
    { onchange: () => ((sort = sortSel.value), pages.load(false)) },
    SORTS.map((s) => h('option', { value: s, selected: s === sort }, T.t(s))),
  );

  // One question: its text, who asked, its best answer (the server's choice: the shop's,
  // then a verified buyer's, then the most helpful), all answers on demand, and a form.
  function question(q) {
    const qid = k.newId();
    let count = q.answer_count;
    const answers = h('ul', { class: 'ans' });
    if (q.top_answer) answers.append(answer(q.top_answer));
    const allBtn = h('button', { class: 'lnk', type: 'button', 'aria-describedby': qid });
    const paint = () => {
      allBtn.textContent = T.t('allA', { n: count });
      allBtn.hidden = count < 2 || loaded;
    };
    let loaded = false;
    const moreA = h('button', { class: 'lnk', type: 'button', hidden: true }, T.t('moreA'));
    const answerPages = pager(k, T, {
      key: 'answers',
      url: (cursor) =>
        k.api(site, `/questions/${encodeURIComponent(q.id)}/answers?limit=20`) +
        (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''),
      item: answer,
      list: answers,
      more: moreA,
      live,
    });
    allBtn.addEventListener('click', () => {
      loaded = true;
      paint();
      answerPages.load(false).then(() => answers.firstChild && answers.firstChild.focus());
    });
    paint();
    const note = h('div', { class: 'msg good', tabindex: '-1', hidden: true });
    const ansBtn = h(
      'button',
      { class: 'btn', type: 'button', 'aria-expanded': 'false', 'aria-describedby': qid },
      T.t('answer'),
    );
    let form = null;
    ansBtn.addEventListener('click', () => {
      if (!form) {
        form = answerForm(q, (data) => {
          answerPages.wrote();
          const published = data.status === 'published';
          if (published) {
            answers.append(answer(data.answer));
            count += 1;
            counter.textContent = T.t('answers', { n: count });
            paint();
          }
          form.form.hidden = true;
          ansBtn.setAttribute('aria-expanded', 'false');
          thank(T, note, T.t(published ? 'aPublished' : 'aPending'), live);
        });
        form.form.hidden = true;
        note.before(form.form);
      }
      const open = form.form.hidden;
      form.form.hidden = !open;
      ansBtn.setAttribute('aria-expanded', String(open));
      if (open) {
        note.hidden = true;
        form.focus();
      }
    });
    const counter = h('span', { class: 'mu' }, T.t('answers', { n: count }));
    return h(
      'li',
      { class: 'qa', tabindex: '-1' },
      h(
        'article',
        { 'aria-labelledby': qid },
        h('p', { class: 'q b', id: qid }, q.body),
        h(
          'div',
          { class: 'meta' },
          h('span', { class: 'au' }, q.author_name),
          h('time', { datetime: q.created_at }, T.date(q.created_at)),
          counter,
        ),
        answers,
        moreA,
        h('div', { class: 'acts' }, allBtn, ansBtn),
        note,
      ),
    );
  }

  function answer(a) {
    return h(
      'li',
      { class: a.is_owner ? 'an own-a' : 'an', tabindex: '-1' },
      h(
        'div',
        { class: 'meta' },
        h(
          'span',
          { class: 'au' },
          a.author_name,
          a.is_owner ? h('span', { class: 'own' }, T.t('shop')) : null,
        ),
        a.verified_buyer
          ? h('span', { class: 'vb' }, h('span', { 'aria-hidden': 'true' }, '✓ '), T.t('verified'))
          : null,
        h('time', { datetime: a.created_at }, T.date(a.created_at)),
      ),
      h('p', { class: 'b' }, a.body),
      votes(k, T, k.api(site, `/answers/${encodeURIComponent(a.id)}/votes`), a, live),
    );
  }

  // An answer's form; with an invitation token the answer is a verified buyer's (the
  // note says so; a refused token is dropped, as the review form does).
  function answerForm(q, done) {
    const fEmailA = field('author_email', T.t('fEmail'), {
      type: 'email',
      max: 254,
      auto: 'email',
    });
    return makeForm(T, {
      note: invite ? k.inviteNote(T, () => (invite = null)) : null,
      fields: [
        field('body', T.t('fA'), { area: true, required: true, max: 5000 }),
        field('author_name', T.t('fName'), { required: true, max: 80, auto: 'name' }),
        fEmailA,
      ],
      submitLabel: T.t('sendA'),
      url: k.api(site, `/questions/${encodeURIComponent(q.id)}/answers`),
      live,
      body: (v) => ({
        body: v.body,
        author_name: v.author_name,
        author_email: v.author_email || undefined,
        invite: invite || undefined,
      }),
      done,
    });
  }

  box.append(
    h('h3', { id: listId, class: 'sr' }, T.t('titleQ')),
    h('div', { class: 'tools' }, h('label', null, T.t('sortBy'), sortSel), askBtn),
    ask.form,
    thanks,
    list,
    empty,
    more,
  );
  pages.load(false);
  return {
    destroy: () => {
      pages.abort();
      removeJsonLd(site, product);
    },
  };
}

// schema.org FAQPage of the answered questions shown first, one block per mount and
// removed with it (as jsonld.js does for reviews). A product page holds many questions:
// QAPage describes a page about one question, so FAQPage it is; each answered Question
// gets its best answer as acceptedAnswer (the one the page shows first) and answerCount.
// The same document as the server's FAQPage (api/seo.py).
const tagOf = (site, product) => `${site}/${product}/questions`;

function jsonLd(el, site, product, questions) {
  if (el.getAttribute('data-jsonld') === 'off') return;
  const answered = questions.filter((q) => q.top_answer);
  removeJsonLd(site, product);
  if (!answered.length) return;
  const ld = {
    '@context': 'https://schema.org',
    '@type': 'FAQPage',
    about: {
      '@type': 'Product',
      name: el.getAttribute('data-product-name') || document.title || product,
      productID: product,
    },
    mainEntity: answered.map((q) => ({
      '@type': 'Question',
      name: q.body,
      answerCount: q.answer_count,
      dateCreated: q.created_at.slice(0, 10),
      author: { '@type': 'Person', name: q.author_name },
      acceptedAnswer: {
        '@type': 'Answer',
        text: q.top_answer.body,
        dateCreated: q.top_answer.created_at.slice(0, 10),
        upvoteCount: q.top_answer.helpful_count,
        author: {
          '@type': q.top_answer.is_owner ? 'Organization' : 'Person',
          name: q.top_answer.author_name,
          // As a verified review's author in jsonld.js, and as api/seo.py says it.
          description:
            q.top_answer.verified_buyer && !q.top_answer.is_owner ? 'Verified buyer' : undefined,
        },
      },
    })),
  };
  const node = document.createElement('script');
  node.type = 'application/ld+json';
  node.dataset.plaudit = tagOf(site, product);
  node.textContent = JSON.stringify(ld); // a data block: never executed, never parsed as HTML
  document.head.append(node);
}

function removeJsonLd(site, product) {
  document.head.querySelector(`script[data-plaudit="${tagOf(site, product)}"]`)?.remove();
}
