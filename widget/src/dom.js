// Building the DOM of a mount: elements, its shadow root, theme, stars, and the
// lifetime that destroy() ends.
import CSS from './styles.css';

const STARS = '★★★★★';
const SITE_RE = /^[a-z0-9-]{3,64}$/;
const PRODUCT_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const darkMedia = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)');
let sheet = null;
let uid = 0;

// A fresh id for label/aria pairs; unique on the page, since mounts share the document.
export const newId = () => `pl${++uid}`;

// Build an element. Attributes are set as attributes, "on*" become listeners, children
// are nodes or strings (appended as text nodes: never parsed as HTML). Listeners on the
// mount's own nodes go when destroy() clears its shadow root.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const k in attrs || {}) {
    const v = attrs[k];
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c != null && c !== false) el.append(c);
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// What a mount holds outside its shadow root (listeners on window, document or
// matchMedia, timers): all handed back by end(), which destroy() calls.
export function lifetime() {
  const ctrl = new AbortController();
  const timers = new Set();
  return {
    signal: ctrl.signal,
    later(fn, ms) {
      const id = setTimeout(() => (timers.delete(id), fn()), ms);
      timers.add(id);
    },
    end() {
      ctrl.abort();
      timers.forEach(clearTimeout);
      timers.clear();
    },
  };
}

// The mount's top element, with .dk for data-theme="dark" (or "auto" on a dark system).
export function top(el, life, tag, cls, ...kids) {
  const node = h(tag, { class: cls }, ...kids);
  const theme = el.getAttribute('data-theme');
  const paint = () =>
    node.classList.toggle(
      'dk',
      theme === 'dark' || (theme === 'auto' && !!darkMedia && darkMedia.matches),
    );
  paint();
  if (theme === 'auto' && darkMedia)
    darkMedia.addEventListener('change', paint, { signal: life.signal });
  return node;
}

export function shadow(el) {
  const root = el.shadowRoot || el.attachShadow({ mode: 'open' });
  clear(root);
  // Constructed stylesheets are not subject to CSP style-src; <style> is the fallback.
  try {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    root.adoptedStyleSheets = [sheet];
  } catch {
    root.append(h('style', null, CSS));
  }
  return root;
}

export function stars(value, label) {
  const fill = h('span', { class: 'f', 'aria-hidden': 'true' }, STARS);
  fill.style.width = `${Math.max(0, Math.min(5, value || 0)) * 20}%`; // CSSOM: allowed under CSP
  return h(
    'span',
    { class: 'st', role: 'img', 'aria-label': label },
    h('span', { 'aria-hidden': 'true' }, STARS),
    fill,
  );
}

export function starLabel(L, summary) {
  return summary.count
    ? `${L.t('outOf', { n: L.dec(summary.average) })}, ${L.t('reviews', { n: summary.count })}`
    : L.t('none');
}

// The mount's site and product, checked as the API checks them. With data-store the
// mount is about the shop itself: product is null.
export function ids(el) {
  const site = el.getAttribute('data-site') || '';
  const product = el.hasAttribute('data-store') ? null : el.getAttribute('data-product') || '';
  if (!SITE_RE.test(site) || !(product === null || PRODUCT_RE.test(product))) {
    console.warn('Plaudit: bad data-site/data-product', el);
    return null;
  }
  return { site, product };
}
