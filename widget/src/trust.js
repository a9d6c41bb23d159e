// What the core needs of the trust features (issue 16): the "Report" button on every
// review and comment, whose dialog is the on-demand "report-dialog" chunk (src/report.js), and
// the visitor's own submissions: a submission's 201 carries its manage_url (the hosted
// page /m/TOKEN where its author edits, deletes, downloads or appeals it), kept in this
// browser so the visitor finds "Manage your review" next to it on later visits.
import { ORIGIN, api } from './api.js';
import { h } from './dom.js';
import { withChunk } from './kit.js';

const MAX_MINE = 50; // the newest submissions remembered per site
const mine = new Map(); // site -> {item id: manage_url}, oldest first

// The site's map, read once per page. The shop's page shares this storage (it is the
// page's origin): a value that is not a web address is never made a link.
function mapOf(site) {
  if (!mine.has(site)) {
    let map = null;
    try {
      map = JSON.parse(localStorage.getItem(`plaudit:mine:${site}`));
    } catch {
      /* storage disabled (privacy settings, sandboxed frame) or not JSON: nothing kept */
    }
    mine.set(site, map && typeof map === 'object' ? map : {});
  }
  return mine.get(site);
}

// Keep a submission's manage_url; past MAX_MINE the oldest go. Without storage it is
// still known for the life of the page.
export function remember(site, id, url) {
  if (!url) return;
  const map = mapOf(site);
  delete map[id]; // an edited submission (an invitation's second review) becomes newest
  map[id] = url;
  const ids = Object.keys(map);
  ids.slice(0, ids.length - MAX_MINE).forEach((k) => delete map[k]);
  try {
    localStorage.setItem(`plaudit:mine:${site}`, JSON.stringify(map));
  } catch {
    /* storage full or disabled: this page still shows the link */
  }
}

// "Manage your review" (key manageR) or "... comment" (manageC) when this browser
// posted the item, else null. A plain link to the hosted page.
export function manageLink(L, site, id, key) {
  const url = mapOf(site)[id];
  return /^https?:\/\//.test(url)
    ? h('a', { class: 'lnk', href: url, rel: 'noopener noreferrer' }, L.t(key))
    : null;
}

// The same link right after a submission's thanks message `msg` (its sibling, hidden
// with it: the message itself stays one sentence), replacing an earlier one.
export function manageAfter(msg, L, site, id, key) {
  if (msg.nextElementSibling?.classList.contains('mng')) msg.nextElementSibling.remove();
  const link = manageLink(L, site, id, key);
  if (link) msg.after(h('p', { class: 'mng' }, link));
}

// The moderation guidelines of the site, a page on the Plaudit server, in the
// widget's language.
export const guidelines = (L, site) =>
  h(
    'p',
    { class: 'ft' },
    h(
      'a',
      {
        class: 'lnk',
        href: `${ORIGIN}/sites/${encodeURIComponent(site)}/guidelines?lang=${L.lang}`,
        rel: 'noopener noreferrer',
      },
      L.t('guide'),
    ),
  );

// The "Report" button of a review (kind "review") or comment ("comment"). Its dialog
// comes with the first click; the chunk gets the core's own helpers (one form
// machinery, ids unique across the page: kit.js) rather than bundling copies of them.
export function reportButton(L, ctx, kind, id) {
  const button = h(
    'button',
    {
      class: 'lnk',
      type: 'button',
      'aria-haspopup': 'dialog',
      onclick: () =>
        withChunk(
          'report-dialog',
          (chunk, k) =>
            chunk.open({
              ...k,
              L,
              live: ctx.live,
              kind,
              button,
              url: api(ctx.site, `/${kind}s/${encodeURIComponent(id)}/reports`),
            }),
          () => ctx.live(L.t('reportFail')),
        ),
    },
    L.t('report'),
  );
  return button;
}
