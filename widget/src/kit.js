// What an on-demand chunk gets from the core instead of bundling copies of it: one form
// machinery, one id counter (ids stay unique on the page), the mount's building blocks.
// A function, so that it is only read once every module of the core has run.
import { api, getJSON, postJSON, uuid } from './api.js';
import { loadChunk } from './chunks.js';
import { clear, h, ids, lifetime, newId, shadow, top } from './dom.js';
import { field, inviteNote, makeForm, notifyBox } from './form.js';
import { localize } from './i18n.js';
import { manageAfter, manageLink, remember, reportButton } from './trust.js';

export const kit = () => ({
  api,
  getJSON,
  postJSON,
  uuid,
  clear,
  h,
  ids,
  lifetime,
  newId,
  shadow,
  top,
  field,
  inviteNote,
  makeForm,
  notifyBox,
  localize,
  manageAfter,
  manageLink,
  remember,
  reportButton,
});

// Load chunk `name` and hand it the kit: then(module, kit). A chunk that cannot be had
// says so in the live region (loadChunk has warned in the console).
export async function withChunk(name, L, live, then) {
  const m = await loadChunk(name);
  return m ? then(m, kit()) : live(L.t('loadFail'));
}

// A data-plaudit-questions or data-plaudit-ideas mount: its bundle draws all of it.
export function community(el) {
  let made = null;
  let gone = false;
  loadChunk(el.hasAttribute('data-plaudit-ideas') ? 'ideas' : 'questions').then(
    (m) => m && !gone && (made = m.mount(el, kit())),
  );
  return {
    destroy: () => {
      gone = true;
      if (made) made.destroy();
    },
  };
}
