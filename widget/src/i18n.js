import { loadChunk } from './chunks.js';

// Interface strings. A value with {one, other, ...} is chosen with Intl.PluralRules;
// "#" is the formatted number and {name} a named value.
// English is in the core; other languages are chunks (src/lang/*.js) fetched by
// load() before the mounts that need them render.
const EN = {
  voteFail: 'Vote not saved.',
  title: 'Customer reviews',
  storeTitle: 'Reviews of this shop',
  asBuyer: 'You are reviewing as a verified buyer.',
  badInvite: 'This invitation link is not valid here. Submit again to post your review without it.',
  outOf: 'Rated {n} out of 5',
  reviews: { one: '# review', other: '# reviews' },
  stars: { one: '# star', other: '# stars' },
  none: 'No reviews yet.',
  loadFail: 'Reviews could not be loaded.',
  sortBy: 'Sort by',
  newest: 'Newest',
  highest: 'Highest rating',
  lowest: 'Lowest rating',
  helpful: 'Most helpful',
  filterOn: 'Showing only {n}-star reviews.',
  showAll: 'Show all reviews',
  more: 'Show more reviews',
  shown: 'Showing {n} of {total} reviews.',
  write: 'Write a review',
  yourRating: 'Your rating',
  fTitle: 'Title (optional)',
  fBody: 'Your review',
  fName: 'Your name',
  fEmail: 'Email (optional, never shown)',
  fNotify: 'Tell me by email when the shop answers',
  needEmail: 'Enter your email to hear when the shop answers.',
  fComment: 'Your comment',
  send: 'Submit review',
  sendC: 'Post comment',
  sending: 'Sending…',
  cancel: 'Cancel',
  verified: 'Verified buyer',
  shopReply: 'Reply from the shop',
  shop: 'Shop',
  wasHelpful: 'Helpful?',
  yes: 'Yes',
  no: 'No',
  comments: { zero: 'Comment', one: '# comment', other: '# comments' },
  hide: 'Hide comments',
  reply: 'Reply',
  discussion: 'Questions and comments',
  showDisc: 'Show questions and comments',
  noComments: 'No comments yet.',
  moreC: 'Show more comments',
  addComment: 'Ask a question or comment',
  published: 'Thank you! Your review is published.',
  pending: 'Thank you! Your review will appear once approved.',
  cPublished: 'Thank you! Your comment is published.',
  cPending: 'Thank you! Your comment will appear once approved.',
  required: 'Please fill in this field.',
  pickRating: 'Please choose 1 to 5 stars.',
  tooLong: 'Please use at most {n} characters.',
  badEmail: 'Please enter a valid email address.',
  fix: 'Please correct the marked fields.',
  network: 'Could not connect. Your text is kept: please try again.',
  retry: 'Try again',
  server: 'Something went wrong. Your text is kept: please try again.',
  rate: 'Too many submissions: please wait {n} s.',
  forbidden: 'Posting is not allowed from this page.',
};
const MESSAGES = { en: EN };
const LANGS = ['en', 'de', 'fr', 'es'];

// The language of a mount: data-lang, else the nearest lang attribute, else English.
function pick(el) {
  const asked = (el.getAttribute('data-lang') || (el.closest('[lang]') || {}).lang || 'en').trim();
  let locale = 'en';
  try {
    locale = Intl.getCanonicalLocales(asked)[0];
  } catch {
    /* not a BCP 47 tag: English */
  }
  const base = locale.split('-')[0].toLowerCase();
  return LANGS.includes(base) ? { lang: base, locale } : { lang: 'en', locale: 'en' };
}

// null when the strings of every mount in `els` are here, else a Promise that
// resolves once they are. A language whose chunk does not come is shown in English
// (loadChunk warns once).
export function loadStrings(els) {
  const missing = new Set(els.map((el) => pick(el).lang).filter((lang) => !MESSAGES[lang]));
  if (!missing.size) return null; // all here: mount at once
  return Promise.all(
    [...missing].map((lang) =>
      loadChunk(`lang-${lang}`).then((m) => m && (MESSAGES[lang] = m.default)),
    ),
  );
}

// The formatters a mount uses, so every string and number of a mount is in one locale.
export function localize(el) {
  let { lang, locale } = pick(el);
  if (!MESSAGES[lang]) lang = locale = 'en';
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
    return s.replace(/\{(\w+)\}/g, (_, k) =>
      typeof vals[k] === 'number' ? num.format(vals[k]) : vals[k],
    );
  };
  return {
    lang,
    locale,
    t,
    dec: (n) => dec.format(n),
    num: (n) => num.format(n),
    date: (iso) => date.format(new Date(iso)),
  };
}
