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

// Load chunk `name` and hand it the kit: then(module, kit); fail() when it cannot be
// had (loadChunk has warned in the console), to tell the visitor.
export async function withChunk(name, then, fail) {
  const m = await loadChunk(name);
  return m ? then(m, kit()) : fail();
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
