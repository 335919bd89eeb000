// Shop settings: the currency codes are priced in, how many points a shopper
// earns per unit spent, the locale of numbers and money in the widget, and
// the platform connection (shown, not edited: that stays with the operator).
import { h, fill } from './dom.js';

const CURRENCIES = Intl.supportedValuesOf ? Intl.supportedValuesOf('currency') : ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY'];
const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'nl-NL', 'it-IT', 'ja-JP'];
const FIELD = { currency: 'Currency', earn_points_per_unit: 'Points earned per unit spent', locale: 'Locale' };

export function connection(p) {
  if (p.kind === 'shopify') {
    return p.enabled && p.access_token_set ? 'Connected to Shopify: codes are created in the store as discounts.'
      : 'Shopify, but not connected (no access token, or the app was uninstalled): codes cannot be created.';
  }
  return 'Native (no platform connected): your checkout checks codes through the API; customer segments are not available.';
}

export function shopPanel(root, call, shop, onCurrency) {
  const currency = h('select', { id: 'shop-currency', 'aria-describedby': 'shop-status' },
    CURRENCIES.map((c) => h('option', { value: c }, c)));
  const earn = h('input', { id: 'shop-earn', type: 'text', inputmode: 'decimal', class: 'num', 'aria-describedby': 'shop-earn-warn shop-status' });
  const locale = h('select', { id: 'shop-locale' }, LOCALES.map((l) => h('option', { value: l }, l)));
  const earnWarn = h('p', { class: 'warn', id: 'shop-earn-warn', role: 'status' });
  const conn = h('p', { class: 'conn', id: 'shop-connection' });
  const status = h('p', { class: 'status', role: 'status', id: 'shop-status' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'Shop settings' },
    h('div', {}, h('h2', {}, 'Connection'), conn),
    h('div', { class: 'pair' },
      h('div', { class: 'field' }, h('label', { for: 'shop-currency' }, 'Currency'), currency),
      h('div', { class: 'field' }, h('label', { for: 'shop-earn' }, 'Points earned per unit spent'), earn),
      h('div', { class: 'field' }, h('label', { for: 'shop-locale' }, 'Numbers and money shown as'), locale)),
    earnWarn,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save shop'), status));
  const warnEarn = () => {
    earnWarn.textContent = Number(earn.value.trim()) === 0 ? 'Earn rate 0: customers earn no points on orders.' : '';
  };
  const write = (s) => {
    if (!CURRENCIES.includes(s.currency)) currency.prepend(h('option', { value: s.currency }, s.currency));
    if (s.locale && !LOCALES.includes(s.locale)) locale.prepend(h('option', { value: s.locale }, s.locale));
    currency.value = s.currency;
    earn.value = s.earn_points_per_unit;
    locale.value = s.locale || 'en-US';
    conn.textContent = connection(s.platform);
    warnEarn();
  };
  earn.oninput = warnEarn;
  form.onsubmit = async (e) => {
    e.preventDefault();
    if (!/^\d+(\.\d{1,6})?$/.test(earn.value.trim())) { status.textContent = `${FIELD.earn_points_per_unit}: enter a number of points, e.g. 1.`; return earn.focus(); }
    try {
      const s = await call('PUT', '/api/v1/admin/shop', { body: { currency: currency.value, earn_points_per_unit: earn.value.trim(), locale: locale.value } });
      write(s);
      onCurrency(s.currency);
      Object.assign(shop, s);
      status.textContent = 'Saved.';
    } catch (err) {
      const fields = Object.entries(err.details?.fields || {}).map(([k, m]) => `${FIELD[k] || k}: ${m}`);
      status.textContent = `Not saved. ${fields.length ? fields.join(' · ') : 'Please try again.'}`;
    }
  };
  write(shop);
  fill(root, form);
  return { load: async () => {} };
}
