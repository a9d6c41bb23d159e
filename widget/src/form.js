// The review and comment forms: fields, the star input, and the submit machinery.
import { postJSON, uuid } from './api.js';
import { clear, h, newId } from './dom.js';

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// A field: label, control, message. Returns {wrap, input, err}.
export function field(name, label, opts = {}) {
  const id = newId();
  const err = h('p', { class: 'err', id: `${id}e` });
  const input = h(opts.area ? 'textarea' : 'input', {
    id,
    name,
    type: opts.area ? null : opts.type || 'text',
    required: opts.required,
    autocomplete: opts.auto || 'off',
    'aria-describedby': `${id}e`,
    rows: opts.area ? 5 : null,
  });
  return {
    name,
    input,
    err,
    wrap: h('div', { class: 'fld' }, h('label', { for: id }, label), input, err),
    ...opts,
  };
}

// "Tell me when the shop answers": a checkbox after the e-mail field `email`, sent as
// `notify: true` only with an address (the form asks for one when it is ticked).
export function notifyBox(L, email) {
  const id = newId();
  const err = h('p', { class: 'err' });
  const input = h('input', { id, name: 'notify', type: 'checkbox' });
  return {
    name: 'notify',
    input,
    err,
    needs: email.name,
    wrap: h('div', { class: 'fld chk' }, input, h('label', { for: id }, L.t('fNotify')), err),
  };
}

// The shared submit machinery of the review and comment forms: client checks that mirror
// the server's, one Idempotency-Key per distinct submission (kept for retries), the
// server's 422 messages next to their field, a retry button when the network fails.
// `note` (a review form opened from an invitation: inviteNote) comes first and shows the
// server's errors on a field the visitor does not type.
export function makeForm(L, { fields, extra, note, submitLabel, url, body, done, cancel, live }) {
  const general = h('div', { class: 'msg bad', role: 'alert', hidden: true });
  // The note (and its error) describe the submit button: heard where it matters.
  const submit = h(
    'button',
    { class: 'btn pri', type: 'submit', 'aria-describedby': note && note.describes },
    submitLabel,
  );
  const hp = h('input', { name: 'hp', type: 'text', tabindex: '-1', autocomplete: 'off' });
  const form = h(
    'form',
    { novalidate: true, onsubmit: (e) => (e.preventDefault(), send()) },
    note ? note.wrap : null,
    extra ? extra.wrap : null,
    fields.map((f) => f.wrap),
    h('div', { class: 'hpf', 'aria-hidden': 'true' }, h('label', null, 'Leave empty', hp)),
    general,
    h(
      'div',
      { class: 'row' },
      submit,
      cancel ? h('button', { class: 'btn', type: 'button', onclick: cancel }, L.t('cancel')) : null,
    ),
  );
  let key = null;
  let keyBody = null;
  let busy = false;
  const typed = extra ? [extra, ...fields] : fields;
  const all = note ? [note, ...typed] : typed;

  const values = () => {
    const v = {};
    for (const f of fields)
      v[f.name] = f.input.type === 'checkbox' ? f.input.checked : f.input.value.trim();
    if (extra) v[extra.name] = extra.value();
    return v;
  };
  const show = (errors) => {
    let first = null;
    for (const f of all) {
      const m = errors[f.name];
      f.err.textContent = m ? [].concat(m).join(' ') : '';
      const target = f.input || f.focus;
      if (f.input) f.input.setAttribute('aria-invalid', m ? 'true' : 'false');
      if (m && !first) first = target;
    }
    return first;
  };
  const fail = (text, canRetry) => {
    clear(general).append(h('p', null, text));
    if (canRetry)
      general.append(h('button', { class: 'btn', type: 'button', onclick: send }, L.t('retry')));
    general.hidden = false;
  };
  const check = (v) => {
    const errors = {};
    for (const f of all) {
      const x = v[f.name];
      if (f.name === 'rating') {
        if (!(x >= 1 && x <= 5)) errors.rating = L.t('pickRating');
      } else if (f.required && !x) errors[f.name] = f.missing || L.t('required');
      else if (f.max && [...x.normalize('NFC')].length > f.max)
        errors[f.name] = L.t('tooLong', { n: f.max });
      else if (f.type === 'email' && x && !EMAIL_RE.test(x)) errors[f.name] = L.t('badEmail');
      else if (f.needs && x && !v[f.needs]) errors[f.needs] = L.t('needEmail');
    }
    return errors;
  };

  async function send() {
    if (busy) return;
    general.hidden = true;
    const v = values();
    const errors = check(v);
    const first = show(errors);
    if (first) {
      live(L.t('fix'));
      first.focus();
      return;
    }
    const payload = body(v);
    if (hp.value) payload.hp = hp.value;
    const json = JSON.stringify(payload);
    if (key === null || keyBody !== json) {
      key = uuid();
      keyBody = json;
    }
    busy = true;
    submit.disabled = true;
    submit.textContent = L.t('sending');
    form.setAttribute('aria-busy', 'true');
    let res;
    let data = null;
    try {
      res = await postJSON(url, json, key);
      data = await res.json().catch(() => null);
    } catch {
      res = null;
    }
    busy = false;
    submit.disabled = false;
    submit.textContent = submitLabel;
    form.removeAttribute('aria-busy');
    if (res === null) return fail(L.t('network'), true);
    if (res.ok) {
      key = keyBody = null;
      form.reset();
      if (extra) extra.reset();
      show({});
      return done(data);
    }
    const problem = data || {};
    if (res.status === 422 && problem.errors) {
      const known = {};
      const rest = [];
      for (const [name, msgs] of Object.entries(problem.errors)) {
        const f = all.find((x) => x.name === name);
        if (f) known[name] = f.bad ? f.bad() : msgs;
        else rest.push([].concat(msgs).join(' '));
      }
      const firstBad = show(known);
      if (rest.length) fail(rest.join(' '), false);
      live(L.t('fix'));
      if (firstBad) firstBad.focus();
      return;
    }
    if (res.status === 429)
      return fail(L.t('rate', { n: Number(res.headers.get('Retry-After')) || 60 }), true);
    if (res.status === 403) return fail(L.t('forbidden'), false);
    if (res.status === 409 || res.status >= 500) return fail(L.t('server'), true);
    fail(problem.detail || L.t('server'), false);
  }

  return { form, focus: () => (typed[0].input || typed[0].focus).focus() };
}

// The review form's note when the page was opened from an invitation link
// (?plaudit_invite=TOKEN): the review will carry the verified buyer badge. When the
// server refuses the token (expired, another site or product) the note gives way to
// that error in the mount's language and drop() forgets the token, so submitting
// again posts the same review without it rather than failing forever.
export function inviteNote(L, drop) {
  const id = newId();
  const err = h('p', { class: 'err', id: `${id}e`, tabindex: '-1' });
  const text = h(
    'p',
    { class: 'vb', id: `${id}n` },
    h('span', { 'aria-hidden': 'true' }, '✓ '),
    L.t('asBuyer'),
  );
  return {
    name: 'invite',
    err,
    focus: err,
    describes: `${id}n ${id}e`,
    wrap: h('div', { class: 'fld' }, text, err),
    bad: () => {
      drop();
      text.remove(); // gone from the submit button's description too
      return L.t('badInvite');
    },
  };
}

// An accessible star input: a radio group in a fieldset (arrow keys move and select).
export function ratingInput(L) {
  const id = newId();
  const err = h('p', { class: 'err', id: `${id}e` });
  const box = h('div', { class: 'rate' });
  const radios = [];
  const paint = () => {
    const v = Number((radios.find((r) => r.checked) || {}).value || 0);
    radios.forEach((r, i) => r.parentNode.classList.toggle('on', i < v));
  };
  for (let n = 1; n <= 5; n++) {
    const r = h('input', {
      type: 'radio',
      name: `${id}r`,
      value: n,
      'aria-label': L.t('stars', { n }),
      onchange: paint,
    });
    radios.push(r);
    box.append(h('label', null, r, h('span', { 'aria-hidden': 'true' }, '★')));
  }
  const wrap = h(
    'fieldset',
    { 'aria-describedby': `${id}e` },
    h('legend', null, L.t('yourRating')),
    box,
    err,
  );
  return {
    name: 'rating',
    wrap,
    err,
    focus: radios[0],
    value: () => Number((radios.find((r) => r.checked) || {}).value || 0),
    reset: paint,
  };
}
