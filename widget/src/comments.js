// Fan comments: a product's discussion, or the thread under one review (3 levels deep).
// Every comment can be reported; the visitor's own carry "Manage your comment".
// An on-demand chunk (build.mjs CHUNKS.comments), loaded when a visitor first opens a
// discussion or a thread; `k` is the core's kit (kit.js): its form machinery and helpers.
export function commentArea(L, ctx, { site, product, reviewId, onPosted }, k) {
  const { api, getJSON, h, field, makeForm, notifyBox } = k;
  const { manageAfter, manageLink, remember, reportButton } = k;
  const box = h('div');
  const list = h('ul');
  const more = h('button', { class: 'lnk', type: 'button', hidden: true }, L.t('moreC'));
  const empty = h('p', { class: 'mu', hidden: true }, L.t('noComments'));
  const note = h('div', { class: 'msg good', tabindex: '-1', hidden: true });
  const items = [];
  let cursor = null;
  const base = api(site, `/products/${encodeURIComponent(product)}/comments`);

  // A comment form: at the bottom of the area, or (parent) inline below that comment.
  const form = (parent) => {
    const fBody = field('body', L.t('fComment'), { area: true, required: true, max: 5000 });
    const fName = field('author_name', L.t('fName'), { required: true, max: 80, auto: 'name' });
    const fEmail = field('author_email', L.t('fEmail'), { type: 'email', max: 254, auto: 'email' });
    const fNotify = notifyBox(L, fEmail);
    const message = parent ? note : h('div', { class: 'msg good', tabindex: '-1', hidden: true });
    const f = makeForm(L, {
      fields: [fBody, fName, fEmail, fNotify],
      submitLabel: L.t('sendC'),
      url: base,
      live: ctx.live,
      cancel: parent ? () => f.form.remove() : null,
      body: (v) => ({
        body: v.body,
        author_name: v.author_name,
        author_email: v.author_email || undefined,
        notify: (v.author_email && v.notify) || undefined,
        review_id: reviewId || undefined,
        parent_id: parent ? parent.id : undefined,
      }),
      done: (data) => {
        ctx.wrote();
        remember(site, data.comment.id, data.manage_url);
        const published = data.status === 'published';
        if (published) {
          add(data.comment, true);
          if (onPosted) onPosted();
        }
        if (parent) f.form.remove();
        message.textContent = L.t(published ? 'cPublished' : 'cPending');
        manageAfter(message, L, site, data.comment.id, 'manageC');
        message.hidden = false;
        message.focus();
        ctx.live(message.textContent);
      },
    });
    return [message, f];
  };

  // Comments come oldest first with a reply always after its parent: append in order.
  const nodes = new Map();
  function add(c, fresh) {
    items.push(c);
    empty.hidden = true;
    const parent = c.parent_id && nodes.get(c.parent_id);
    const depth = parent ? parent.depth + 1 : 0;
    const kids = h('ul');
    const replyBtn =
      depth < 2
        ? h('button', { class: 'lnk', type: 'button', 'aria-expanded': 'false' }, L.t('reply'))
        : null;
    const li = h(
      'li',
      { class: 'cm', tabindex: fresh ? '-1' : null },
      h(
        'div',
        { class: 'meta' },
        h(
          'span',
          { class: 'au' },
          c.author_name,
          c.is_owner ? h('span', { class: 'own' }, L.t('shop')) : null,
        ),
        h('time', { datetime: c.created_at }, L.date(c.created_at)),
      ),
      h('p', { class: 'b' }, c.body),
      h(
        'div',
        { class: 'acts' },
        replyBtn,
        reportButton(L, ctx, 'comment', c.id),
        manageLink(L, site, c.id, 'manageC'),
      ),
      kids,
    );
    if (replyBtn) {
      replyBtn.addEventListener('click', () => {
        const open = li.querySelector(':scope > form');
        if (open) return open.querySelector('textarea').focus();
        const [, f] = form(c);
        li.insertBefore(f.form, kids);
        f.focus();
      });
    }
    nodes.set(c.id, { depth, kids });
    (parent ? parent.kids : list).append(li);
  }

  async function load() {
    const q = new URLSearchParams({ limit: '20' });
    if (reviewId) q.set('review', reviewId);
    if (cursor) q.set('cursor', cursor);
    list.setAttribute('aria-busy', 'true');
    try {
      const data = await getJSON(`${base}?${q}`, ctx.fetchOpts());
      data.comments.forEach((c) => add(c, false));
      cursor = data.next_cursor;
      more.hidden = !cursor;
      empty.hidden = items.length > 0;
    } catch {
      ctx.live(L.t('loadFail'));
    }
    list.removeAttribute('aria-busy');
  }
  more.addEventListener('click', load);
  const [message, top] = form(null);
  box.append(
    empty,
    list,
    more,
    note,
    h('h3', { hidden: !!reviewId }, L.t('addComment')),
    message,
    top.form,
  );
  return { box, load };
}
