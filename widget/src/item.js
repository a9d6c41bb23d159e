// One review in the list: stars, title, author, text, the shop's reply, helpful votes
// and its comment thread (the comments chunk, loaded when opened; store reviews have
// none: there is no comments endpoint for the shop itself). ctx is the widget's: site, product (null for
// the store), live(), fetchOpts(), wrote(). Every review has a "Report" button; the
// visitor's own (trust.js remembers them) a "Manage your review" link.
import { api, postJSON, uuid } from './api.js';
import { h, stars } from './dom.js';
import { withChunk } from './kit.js';
import { manageLink, reportButton } from './trust.js';

export function reviewItem(L, ctx, r) {
  const { site, product } = ctx;
  const talk = product !== null;
  const threadBox = h('div', { class: 'thr', hidden: true });
  let thread = null;
  let comments = r.comment_count;
  const cBtn = h('button', { class: 'lnk', type: 'button', 'aria-expanded': 'false' });
  const label = () =>
    (cBtn.textContent = threadBox.hidden ? L.t('comments', { n: comments }) : L.t('hide'));
  label();
  cBtn.addEventListener('click', () => {
    threadBox.hidden = !threadBox.hidden;
    cBtn.setAttribute('aria-expanded', String(!threadBox.hidden));
    label();
    thread ||= withChunk(
      'comments',
      (m, k) => {
        const area = m.commentArea(
          L,
          ctx,
          { site, product, reviewId: r.id, onPosted: () => (comments += 1) },
          k,
        );
        threadBox.append(area.box);
        area.load();
      },
      () => ctx.live(L.t('loadFail')),
    );
  });
  const votes = [true, false].map((helpful) => {
    const b = h('button', { class: 'btn', type: 'button', 'aria-pressed': 'false' });
    const paint = (yes, no) =>
      (b.textContent = `${L.t(helpful ? 'yes' : 'no')} (${L.num(helpful ? yes : no)})`);
    paint(r.helpful_count, r.unhelpful_count);
    b.addEventListener('click', () => vote(helpful));
    return { b, paint };
  });
  async function vote(helpful) {
    votes.forEach((v) => (v.b.disabled = true));
    try {
      const res = await postJSON(
        api(site, `/reviews/${encodeURIComponent(r.id)}/votes`),
        JSON.stringify({ helpful }),
        uuid(),
      );
      if (!res.ok) throw new Error(res.status);
      const d = await res.json();
      ctx.wrote();
      votes.forEach((v, i) => {
        v.paint(d.helpful_count, d.unhelpful_count);
        v.b.setAttribute('aria-pressed', String(i === (helpful ? 0 : 1)));
      });
    } catch {
      ctx.live(L.t('voteFail'));
    }
    votes.forEach((v) => (v.b.disabled = false));
  }
  return h(
    'li',
    { class: 'rv', tabindex: '-1' },
    h(
      'article',
      null,
      h(
        'div',
        { class: 'rh' },
        stars(r.rating, L.t('outOf', { n: r.rating })),
        r.title ? h('h3', { class: 't' }, r.title) : null,
      ),
      h(
        'div',
        { class: 'meta' },
        h('span', { class: 'au' }, r.author_name),
        h('time', { datetime: r.created_at }, L.date(r.created_at)),
        // Read as "Verified buyer", not "check mark, Verified buyer".
        r.verified_buyer
          ? h('span', { class: 'vb' }, h('span', { 'aria-hidden': 'true' }, '✓ '), L.t('verified'))
          : null,
        // Disclosed as the FTC rule (16 CFR 465) asks: a review someone paid for.
        r.incentivized ? h('span', { class: 'inc' }, L.t('incent')) : null,
      ),
      h('p', { class: 'b' }, r.body),
      r.reply
        ? h(
            'div',
            { class: 'rep' },
            h('strong', null, L.t('shopReply')),
            h('p', { class: 'b' }, r.reply.body),
          )
        : null,
      h(
        'div',
        { class: 'acts' },
        h('span', { class: 'mu' }, L.t('wasHelpful')),
        votes.map((v) => v.b),
        talk ? cBtn : null,
        reportButton(L, ctx, 'review', r.id),
        manageLink(L, site, r.id, 'manageR'),
      ),
      talk ? threadBox : null,
    ),
  );
}
