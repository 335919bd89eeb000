// Eligibility picker: find customers by name or e-mail, or list the
// platform's segments by name, and add their ids to the id list (the
// textarea stays, for pasting ids). Segments need a Shopify connection.
import { h, fill } from './dom.js';

export function picker(idPrefix, call, ids, kindOf, shop) {
  const q = h('input', { id: `${idPrefix}-pick-q`, type: 'search', autocomplete: 'off' });
  const qLabel = h('label', { for: q.id }, 'Find customers by name or e-mail');
  const go = h('button', { type: 'button', class: 'secondary' }, 'Find');
  const results = h('ul', { class: 'pick-list', 'aria-label': 'Matches' });
  const msg = h('p', { class: 'hint', role: 'status' });
  const box = h('div', { class: 'picker', id: `${idPrefix}-picker` }, h('div', { class: 'pick-search' }, qLabel, h('div', { class: 'inline' }, q, go)), msg, results);
  const current = () => ids.value.split(/[\s,]+/).filter(Boolean);
  const add = (id, btn) => {
    if (!current().includes(id)) ids.value = [...current(), id].join('\n');
    ids.dispatchEvent(new Event('input', { bubbles: true }));
    btn.textContent = 'Added';
    btn.disabled = true;
  };
  const row = (id, text) => {
    const b = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Add ${text}` }, current().includes(id) ? 'Added' : 'Add');
    b.disabled = current().includes(id);
    b.onclick = () => add(id, b);
    return h('li', {}, h('span', {}, text), b);
  };
  let segments = null;

  async function findCustomers() {
    const text = q.value.trim();
    if (!text) { msg.textContent = 'Type a name, an e-mail or a customer number.'; return fill(results); }
    msg.textContent = 'Searching…';
    const r = await call('GET', `/api/v1/admin/customers?${new URLSearchParams({ query: text, limit: '10' })}`);
    msg.textContent = r.customers.length ? `${r.customers.length} found.` : 'No customers found.';
    fill(results, r.customers.map((c) => row(c.id, [c.display_name, c.email, `#${c.id}`].filter(Boolean).join(' · '))));
  }

  async function listSegments() {
    fill(results);
    if (shop.platform?.kind !== 'shopify') {
      msg.textContent = 'Segments need a Shopify connection: this shop is native, so no segments can be listed or checked.';
      return;
    }
    msg.textContent = 'Loading segments…';
    segments ??= (await call('GET', '/api/v1/admin/segments')).segments;
    msg.textContent = segments.length ? `${segments.length} segments in Shopify.` : 'Shopify has no segments for this store.';
    fill(results, segments.map((s) => row(s.id, s.name)));
  }

  const fail = (e) => { msg.textContent = `Could not load: ${e.message}`; };
  go.onclick = () => findCustomers().catch(fail);
  q.onkeydown = (e) => { if (e.key === 'Enter') { e.preventDefault(); findCustomers().catch(fail); } };
  return {
    el: box,
    // Called when the eligibility kind changes.
    sync() {
      const kind = kindOf();
      box.hidden = kind === 'all';
      if (box.dataset.kind === kind) return;
      box.dataset.kind = kind;
      box.querySelector('.pick-search').hidden = kind !== 'customers';
      fill(results);
      msg.textContent = '';
      if (kind === 'segments') listSegments().catch(fail);
    },
  };
}
