// Shop settings: the currency codes are priced in and how many points a
// shopper earns per unit spent. Platform settings stay with the operator.
import { h, fill } from './dom.js';

export function shopPanel(root, call, shop, onCurrency) {
  const currency = h('input', { id: 'shop-currency', type: 'text', maxlength: '3', class: 'num', autocomplete: 'off', 'aria-describedby': 'shop-status' });
  const earn = h('input', { id: 'shop-earn', type: 'text', inputmode: 'decimal', class: 'num', 'aria-describedby': 'shop-status' });
  const status = h('p', { class: 'status', role: 'status', id: 'shop-status' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'Shop settings' },
    h('div', { class: 'pair' },
      h('div', { class: 'field' }, h('label', { for: 'shop-currency' }, 'Currency (ISO 4217)'), currency),
      h('div', { class: 'field' }, h('label', { for: 'shop-earn' }, 'Points earned per unit spent'), earn)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save shop'), status));
  const write = (s) => { currency.value = s.currency; earn.value = s.earn_points_per_unit; };
  form.onsubmit = async (e) => {
    e.preventDefault();
    const cur = currency.value.trim().toUpperCase();
    let valid = /^[A-Z]{3}$/.test(cur);
    try { if (valid) new Intl.NumberFormat('en', { style: 'currency', currency: cur }); } catch { valid = false; }
    if (!valid) { status.textContent = 'Enter a three-letter currency code, e.g. USD.'; return currency.focus(); }
    if (!/^\d+(\.\d{1,6})?$/.test(earn.value.trim())) { status.textContent = 'Enter a number of points, e.g. 1.'; return earn.focus(); }
    try {
      const s = await call('PUT', '/api/v1/admin/shop', { body: { currency: cur, earn_points_per_unit: earn.value.trim() } });
      write(s);
      onCurrency(s.currency);
      status.textContent = 'Saved.';
    } catch (err) {
      status.textContent = `Not saved: ${err.message}`;
    }
  };
  write(shop);
  fill(root, form);
  return { load: async () => {} };
}
