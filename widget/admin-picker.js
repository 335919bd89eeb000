// Eligibility picker: who a rule lists, as chips. Customers are found with
// the customer search (name, e-mail, phone or number, as the Customers tab
// and the POS); segments are listed from Shopify by name (they need a
// Shopify connection). Each kind keeps its own chosen ids.
import { h, fill } from './dom.js';

const label = (c) => [c.display_name, c.email, `#${c.id}`].filter(Boolean).join(' · ');

export function picker(idPrefix, call, kindOf, shop, onChange = () => {}) {
  const q = h('input', { id: `${idPrefix}-pick-q`, type: 'search', autocomplete: 'off', 'aria-describedby': `${idPrefix}-pick-msg` });
  const qLabel = h('label', { for: q.id }, 'Find customers by name, e-mail, phone or number');
  const go = h('button', { type: 'button', class: 'secondary' }, 'Find');
  const results = h('ul', { class: 'pick-list', 'aria-label': 'Matches' });
  const msg = h('p', { class: 'hint', role: 'status', id: `${idPrefix}-pick-msg` });
  const chips = h('ul', { class: 'chips', id: `${idPrefix}-chips` });
  const none = h('p', { class: 'hint' });
  const search = h('div', { class: 'pick-search' }, qLabel, h('div', { class: 'inline' }, q, go));
  const box = h('div', { class: 'picker', id: `${idPrefix}-picker` }, chips, none, search, msg, results);
  const chosen = { customers: new Map(), segments: new Map() }; // id → label
  const kind = () => (kindOf() === 'segments' ? 'segments' : 'customers');
  let segments = null;

  function drawChips() {
    const list = chosen[kind()];
    chips.setAttribute('aria-label', kind() === 'segments' ? 'Chosen segments' : 'Chosen customers');
    none.textContent = list.size ? '' : kind() === 'segments' ? 'No segment chosen yet.' : 'No customer chosen yet: find them below.';
    fill(chips, [...list].map(([id, text]) => {
      const remove = h('button', { type: 'button', class: 'chip-x', 'aria-label': `Remove ${text}` }, '×');
      remove.onclick = () => {
        list.delete(id);
        drawChips();
        onChange();
        (chips.querySelector('.chip-x') || q).focus();
      };
      return h('li', { class: 'chip', 'data-id': id }, h('span', {}, text), remove);
    }));
  }

  const row = (id, text) => {
    const taken = chosen[kind()].has(id);
    const b = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Add ${text}`, disabled: taken }, taken ? 'Added' : 'Add');
    b.onclick = () => {
      chosen[kind()].set(id, text);
      b.textContent = 'Added';
      b.disabled = true;
      drawChips();
      onChange();
    };
    return h('li', {}, h('span', {}, text), b);
  };

  async function findCustomers() {
    const text = q.value.trim();
    if (!text) { msg.textContent = 'Type a name, an e-mail, a phone or a customer number.'; return fill(results); }
    msg.textContent = 'Searching…';
    const r = await call('GET', `/api/v1/admin/customers?${new URLSearchParams({ query: text, limit: '10' })}`);
    msg.textContent = r.customers.length ? `${r.customers.length} found.` : 'No customers found.';
    fill(results, r.customers.map((c) => row(c.id, label(c))));
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
    for (const s of segments) if (chosen.segments.has(s.id)) chosen.segments.set(s.id, s.name);
    drawChips();
    fill(results, segments.map((s) => row(s.id, s.name)));
  }

  // Chips of saved ids show the customer's name once the search finds it.
  async function nameCustomers(ids) {
    for (const id of ids.slice(0, 50)) {
      const r = await call('GET', `/api/v1/admin/customers?${new URLSearchParams({ query: id, limit: '5' })}`).catch(() => null);
      const c = r?.customers.find((x) => x.id === id);
      if (c && chosen.customers.has(id)) chosen.customers.set(id, label(c));
    }
    drawChips();
  }

  const fail = (e) => { msg.textContent = `Could not load: ${e.message}`; };
  go.onclick = () => findCustomers().catch(fail);
  q.onkeydown = (e) => { if (e.key === 'Enter') { e.preventDefault(); findCustomers().catch(fail); } };
  return {
    el: box,
    // The control a field error points at.
    control: q,
    ids: () => [...chosen[kind()].keys()],
    // The saved rule: its ids go to the chips of its kind.
    set(kindNow, ids) {
      chosen.customers = new Map(kindNow === 'customers' ? ids.map((id) => [id, `#${id}`]) : []);
      chosen.segments = new Map(kindNow === 'segments' ? ids.map((id) => [id, id]) : []);
      delete box.dataset.kind;
      if (kindNow === 'customers' && ids.length) nameCustomers(ids).catch(() => {});
    },
    // Called when the eligibility kind changes.
    sync() {
      const k = kindOf();
      box.hidden = k === 'all';
      if (box.dataset.kind === k) return;
      box.dataset.kind = k;
      search.hidden = k !== 'customers';
      fill(results);
      msg.textContent = '';
      drawChips();
      if (k === 'segments') listSegments().catch(fail);
    },
  };
}
