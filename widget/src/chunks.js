// On-demand chunks: code or data that only some pages need, built by build.mjs into
// static/widget/ and served next to /widget.js (/widget/<name>.js, same origin, same
// caching and CORS), so whatever is allowed to load the widget may load them too.
// The core knows each chunk's content hash from the build: the URL names that build
// and is cached for a year.
import { ORIGIN } from './api.js';

/* global __PLAUDIT_CHUNKS__ */
const HASHES = __PLAUDIT_CHUNKS__;
const loading = new Map();
let warned = false;

// The chunk's module, or null if it cannot be had (one warning per page).
export function loadChunk(name) {
  if (!loading.has(name)) {
    const url = `${ORIGIN}/widget/${name}.js?v=${HASHES[name]}`;
    loading.set(
      name,
      import(url).catch((e) => {
        if (!warned) console.warn('Plaudit: could not load', url, e);
        warned = true;
        return null;
      }),
    );
  }
  return loading.get(name);
}
