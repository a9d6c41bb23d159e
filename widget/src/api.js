// The Plaudit API: where it is, and the two kinds of request the widget makes.

// The API lives where this script came from; read synchronously, while it is running
// (esbuild keeps module bodies in import order inside one synchronous bundle).
// Through Document's own getter, and checked: markup on the host page can shadow
// document.currentScript (<img name="currentScript" src="//evil">, CVE-2024-43788's
// pattern) and would send every request, and what visitors type, to that origin.
const me = Object.getOwnPropertyDescriptor(Document.prototype, 'currentScript').get.call(document);
export const SCRIPT_URL = new URL(
  me instanceof HTMLScriptElement && me.src ? me.src : '/',
  location.href,
);
export const ORIGIN = SCRIPT_URL.origin;

export function api(site, path) {
  return `${ORIGIN}/api/v1/sites/${encodeURIComponent(site)}${path}`;
}

// A product's reviews, or the shop's own (product null: data-store).
export function reviewsUrl(site, product) {
  return api(
    site,
    product === null ? '/store/reviews' : `/products/${encodeURIComponent(product)}/reviews`,
  );
}

export async function getJSON(url, opts) {
  const res = await fetch(url, { credentials: 'omit', ...opts });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

// A POST with its Idempotency-Key: the caller keeps the key to retry the same body.
export function postJSON(url, json, key) {
  return fetch(url, {
    method: 'POST',
    credentials: 'omit',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: json,
  });
}

// A version 4 UUID. Not crypto.randomUUID(): shop pages on plain http are no secure
// context, and one way everywhere is smaller than two.
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const x = Array.from(b, (v) => (v + 256).toString(16).slice(1)).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
