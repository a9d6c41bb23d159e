import { loadChunk } from './chunks.js';
import EN from './lang/en.js';

// Interface strings. A value with {one, other, ...} is chosen with Intl.PluralRules;
// "#" is the formatted number and {name} a named value.
// English (src/lang/en.js) is in the core; other languages are chunks (src/lang/*.js)
// fetched by loadStrings() before the mounts that need them render.
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
