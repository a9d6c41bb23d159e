// The report dialog: an on-demand chunk (build.mjs CHUNKS['report-dialog']), imported by the
// "Report" button of a review or comment (trust.js) on its first click. A native modal
// <dialog> (Escape closes it, the page behind is inert, focus goes back to the button),
// with the reason list, details and an optional e-mail; a notice of illegal content
// needs both details and an e-mail (the Digital Services Act's notice: what is illegal
// and why, and who to tell the decision), which the form says and checks before
// sending. It posts with the core's makeForm: the same checks, Idempotency-Key, 422
// messages by field, 429 and retry as every other form of the widget.
import CSS from './report.css';
import STRINGS from './report-strings.js';

// The API's reason codes, in the order shown.
const REASONS = ['spam', 'offensive', 'off_topic', 'personal_data', 'fake', 'illegal', 'other'];
const dialogs = new WeakMap(); // button -> {dialog, focus}: what was typed survives a close
let sheet = null;

// The dialog's CSS, added to the mount's shadow root once (a <style> where constructed
// stylesheets are missing, as the core does).
function adopt(root, dialog, h) {
  try {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    if (!root.adoptedStyleSheets.includes(sheet))
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    dialog.append(h('style', null, CSS));
  }
}

// The reason radios: makeForm's `extra` input (name, wrap, err, focus, value, reset).
function reasonInput(S, h, newId, onChange) {
  const id = newId();
  const err = h('p', { class: 'err', id: `${id}e` });
  const radios = REASONS.map((code) =>
    h('input', { type: 'radio', name: 'reason', value: code, onchange: onChange }),
  );
  const note = h('p', { class: 'note', 'aria-live': 'polite' });
  const value = () => (radios.find((r) => r.checked) || {}).value || '';
  return {
    name: 'reason',
    required: true,
    missing: S.pick,
    err,
    note,
    focus: radios[0],
    value,
    reset: onChange,
    wrap: h(
      'fieldset',
      { 'aria-describedby': `${id}e` },
      h('legend', null, S.why),
      h(
        'div',
        { class: 'rsn' },
        radios.map((r) => h('label', null, r, S[r.value])),
      ),
      note,
      err,
    ),
  };
}

// Open the dialog of `button` (building it the first time). `kit` is the core's: the
// mount's strings L, its live region, the endpoint, and h/newId/field/makeForm.
export function open(kit) {
  const { L, button, h } = kit;
  if (!dialogs.has(button)) dialogs.set(button, build(kit, STRINGS[L.lang] || STRINGS.en));
  const { dialog, focus } = dialogs.get(button);
  if (dialog.open) return;
  // Inside the mount (its theme and strings apply), above everything (top layer).
  (button.closest('.pl') || button.getRootNode()).append(dialog);
  adopt(button.getRootNode(), dialog, h);
  dialog.showModal();
  focus(); // the first reason, with the dialog's name and the group's legend
}

function build({ L, live, kind, button, url, h, newId, field, makeForm }, S) {
  const headId = newId();
  // Its own live region: the mount's is behind the modal dialog, inert, while it is open.
  const said = h('div', { class: 'sr', 'aria-live': 'polite' });
  const say = (text) => {
    said.textContent = '';
    setTimeout(() => (said.textContent = text), 50);
  };
  const details = field('details', S.details, { area: true, max: 2000 });
  const email = field('email', S.email, { type: 'email', max: 254, auto: 'email' });
  // "Illegal content" makes details and e-mail required, and says so.
  const sync = () => {
    const illegal = reason.value() === 'illegal';
    reason.note.textContent = illegal ? S.illegalNote : '';
    for (const [f, key] of [
      [details, 'details'],
      [email, 'email'],
    ]) {
      f.required = illegal;
      f.input.required = illegal;
      f.wrap.firstChild.textContent = S[illegal ? `${key}Req` : key];
    }
  };
  const reason = reasonInput(S, h, newId, () => sync());
  const dialog = h(
    'dialog',
    { class: 'rpd', 'aria-labelledby': headId },
    h('h2', { id: headId }, S[kind === 'review' ? 'titleR' : 'titleC']),
    said,
  );
  const form = makeForm(L, {
    extra: reason,
    fields: [details, email],
    submitLabel: S.send,
    url,
    live: say,
    cancel: () => dialog.close(),
    body: (v) => ({
      reason: v.reason,
      details: v.details || undefined,
      email: v.email || undefined,
    }),
    done: () => {
      dialog.close();
      const next = button.nextElementSibling;
      if (!(next && next.classList.contains('rpt')))
        button.after(h('span', { class: 'mu rpt' }, S.thanks));
      live(S.thanks);
    },
  });
  dialog.append(form.form);
  dialog.addEventListener('close', () => {
    dialog.remove();
    button.focus();
  });
  return { dialog, focus: form.focus };
}
