// Customers: search by name, e-mail, phone or number (the same search as the
// POS), then one customer's wallet, who they are, codes (with refunds) and
// history, and an adjustment form that always needs a reason.
import { h, fill } from './dom.js';
import { newKey, enc, bearer } from './api.js';
import { points, signed, when } from './format.js';
import { renderCodes, renderHistory } from './wallet-lists.js';

export function customersPanel(root, call, token) {
  const query = h('input', { id: 'cust-q', type: 'search', autocomplete: 'off', placeholder: 'Name, e-mail, phone or number' });
  const results = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const detail = h('section', { class: 'card detail', hidden: true, 'aria-labelledby': 'cust-title', tabindex: '-1' });
  const search = h('form', { class: 'search', role: 'search' },
    h('label', { for: 'cust-q' }, 'Find a customer by id, name, e-mail or phone'), h('div', { class: 'inline' }, query, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  let cursor = null;

  async function find(append) {
    const qs = new URLSearchParams({ query: query.value.trim(), limit: '20' });
    if (append && cursor) qs.set('cursor', cursor);
    const r = await call('GET', `/api/v1/admin/customers?${qs}`);
    cursor = r.next_cursor;
    more.hidden = !cursor;
    const rows = r.customers.map((cu) => h('tr', {},
      h('td', { 'data-label': 'Customer' }, h('button', { type: 'button', class: 'link', onclick: () => open(cu.id).then((d) => d.focus()).catch(showError) },
        cu.display_name || cu.id),
      h('div', { class: 'hint who' }, [cu.display_name ? `#${cu.id}` : 'Name not known', cu.email, cu.phone].filter(Boolean).join(' · '))),
      h('td', { class: 'n', 'data-balance': cu.id, 'data-label': 'Points' }, points(cu.points_balance)), h('td', { 'data-label': 'First seen' }, when(cu.created_at))));
    if (append) results.append(...rows);
    else fill(results, rows.length ? rows : h('tr', {}, h('td', { colspan: '3', class: 'hint' }, 'No customers found.')));
  }

  async function open(id) {
    const d = await call('GET', `/api/v1/admin/customers/${enc(id)}`);
    // Keep the search results in step with what the detail shows.
    const row = results.querySelector(`[data-balance="${CSS.escape(id)}"]`);
    if (row) row.textContent = points(d.wallet.points_balance);
    const codes = h('ul', { class: 'list' }), history = h('ul', { class: 'list' });
    renderCodes(codes, d.claims, (c, btn) => refund(id, c, btn));
    renderHistory(history, d.entries);
    // Which staff member made each adjustment (the ledger's actor).
    d.entries.forEach((e, i) => { if (e.actor) history.children[i]?.append(h('div', { class: 'sub actor' }, `By ${e.actor}`)); });
    const who = d.profile || {};
    fill(detail,
      h('div', { class: 'detail-head' }, h('h2', { id: 'cust-title' }, who.display_name || `Customer ${d.wallet.customer_id}`),
        h('p', { class: 'big' }, h('span', { class: 'balance' }, points(d.wallet.points_balance)), ' points')),
      profile(d),
      adjustForm(id),
      lotsSection(d),
      h('div', { class: 'cols' },
        h('section', {}, h('h3', {}, 'Codes'), codes),
        h('section', {}, h('h3', {}, 'History'), history)));
    detail.hidden = false;
    return detail;
  }

  // Who the customer is, as the shop's webhooks and events told.
  function profile(d) {
    const p = d.profile || {};
    const rows = [['Customer number', d.wallet.customer_id], ['Name', p.display_name], ['E-mail', p.email], ['Phone', p.phone]];
    return h('dl', { class: 'profile', id: 'cust-profile' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v || 'Not known')]));
  }

  // The wallet's lots (soonest expiry first) and points still pending.
  function lotsSection(d) {
    const open = d.lots.filter((l) => l.remaining > 0);
    return h('section', { class: 'lots', 'aria-labelledby': 'lots-title' },
      h('h3', { id: 'lots-title' }, 'Points lots'),
      h('p', { id: 'cust-pending' }, d.pending_points > 0
        ? `${points(d.pending_points)} points pending (earned on orders still inside the return window; not spendable yet).`
        : 'No points pending.'),
      open.length ? h('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': 'Points lots table' }, h('table', { class: 'table stack', id: 'cust-lots' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'n' }, 'Left'), h('th', { scope: 'col', class: 'n' }, 'Of'),
          h('th', { scope: 'col' }, 'Expires'), h('th', { scope: 'col' }, 'Credited'))),
        h('tbody', {}, open.map((l) => h('tr', {}, h('td', { class: 'n', 'data-label': 'Left' }, points(l.remaining)), h('td', { class: 'n', 'data-label': 'Of' }, points(l.points)),
          h('td', { 'data-label': 'Expires' }, l.expires_at ? when(l.expires_at) : 'Never'), h('td', { 'data-label': 'Credited' }, when(l.created_at), l.order_id ? h('div', { class: 'hint' }, `Order ${l.order_id}`) : null))))))
        : h('p', { class: 'hint' }, 'No points left in any lot.'));
  }

  const refundKeys = new Map();
  async function refund(id, claim, btn) {
    btn.disabled = true;
    if (!refundKeys.has(claim.id)) refundKeys.set(claim.id, newKey());
    try {
      await call('POST', `/api/v1/admin/claims/${enc(claim.id)}/refund`, { key: refundKeys.get(claim.id) });
      (await open(id)).querySelector('.status').textContent = `${claim.code} cancelled. ${points(claim.points)} points returned.`;
    } catch (e) {
      btn.disabled = false;
      btn.after(h('span', { class: 'err' }, e.message));
    }
  }

  function adjustForm(id) {
    const amount = h('input', { id: 'adj-points', type: 'number', step: '1', class: 'num', 'aria-describedby': 'adj-err' });
    const reason = h('input', { id: 'adj-reason', type: 'text', maxlength: '200', 'aria-describedby': 'adj-err' });
    const status = h('p', { class: 'status', role: 'status', id: 'adj-err' });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Apply');
    let intent = null;
    const form = h('form', { class: 'adjust', novalidate: true, 'aria-label': 'Adjust points' },
      h('div', { class: 'field' }, h('label', { for: 'adj-points' }, 'Points (+ to add, − to remove)'), amount),
      h('div', { class: 'field grow' }, h('label', { for: 'adj-reason' }, 'Reason'), reason),
      submit, status);
    form.onsubmit = async (e) => {
      e.preventDefault();
      const n = /^[-+]?\d+$/.test(amount.value.trim()) ? Number(amount.value) : NaN;
      const why = reason.value.trim();
      const problem = !Number.isInteger(n) || n === 0 ? 'Enter a whole number of points other than 0.' : !why ? 'Give a reason: the customer sees it in their history.' : '';
      status.textContent = problem;
      status.classList.toggle('err', !!problem);
      if (problem) return (Number.isInteger(n) && n !== 0 ? reason : amount).focus();
      const body = { points: n, reason: why };
      if (intent?.body !== JSON.stringify(body)) intent = { body: JSON.stringify(body), key: newKey() };
      submit.disabled = true;
      try {
        const r = await call('POST', `/api/v1/admin/customers/${enc(id)}/adjustments`, { body, key: intent.key });
        intent = null;
        (await open(id)).querySelector('.status').textContent = `Adjusted by ${signed(n)}. New balance ${points(r.points_balance)}.`;
      } catch (err) {
        if (err.final) intent = null;
        status.classList.add('err');
        status.textContent = err.code === 'insufficient_points' ? 'That would take the balance below zero.' : err.message;
        submit.disabled = false;
      }
    };
    return form;
  }

  search.onsubmit = (e) => { e.preventDefault(); find(false).catch(showError); };
  more.onclick = () => find(true).catch(showError);
  const error = h('p', { class: 'err', role: 'alert' });
  const showError = (e) => { error.textContent = e.message; };
  const exports = h('p', { class: 'exports' }, 'Export as CSV: ',
    h('button', { type: 'button', class: 'link', id: 'export-customers', onclick: () => download('customers') }, 'customers’ balances'), ' · ',
    h('button', { type: 'button', class: 'link', id: 'export-ledger', onclick: () => download('ledger') }, 'the ledger'));
  // The export needs the bearer token (a fresh one from Shopify when
  // embedded), so it is fetched with the header and saved as a blob: no
  // token ever travels in a URL.
  async function download(what) {
    try {
      const res = await fetch(`/api/v1/admin/export/${what}.csv`, { headers: { Authorization: `Bearer ${await bearer(token)}`, Accept: 'text/csv' } });
      if (!res.ok) throw new Error(`Export failed (${res.status})`);
      const blob = await res.blob();
      const a = h('a', { href: URL.createObjectURL(blob), download: `${what}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    } catch (e) { showError(e); }
  }
  fill(root, h('div', { class: 'card' }, search, exports, error,
    h('table', { class: 'table stack', id: 'cust-results' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Customer'), h('th', { scope: 'col', class: 'n' }, 'Points'), h('th', { scope: 'col' }, 'First seen'))), results), more),
  detail);
  return { load: () => find(false) };
}
