// Shop settings: currency (a change asks first and may convert the
// programs' ratios), earn rate, locale, time zone, the offer guardrails, the
// outgoing webhook (`notify`, write-only secret) and the points policy
// (expiry, pending window, warnings), each with what it does and an example
// date. The platform connection is shown, not edited. A 422's
// details.fields land next to their field.
import { h, fill } from './dom.js';
import { confirmCurrency, convertPrograms, loadPrograms } from './admin-currency.js';
import { deliveriesCard } from './admin-deliveries.js';

const CURRENCIES = Intl.supportedValuesOf ? Intl.supportedValuesOf('currency') : ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'JPY'];
const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'nl-NL', 'it-IT', 'ja-JP'];
const ZONES = ['UTC', ...(Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : ['Europe/Paris', 'America/New_York']).filter((z) => z !== 'UTC')];
const day = (d) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
const addDays = (n, from = new Date()) => new Date(from.getTime() + n * 86400000);

export function connection(p) {
  if (p.kind === 'shopify') {
    return p.enabled && p.access_token_set ? 'Connected to Shopify: codes are created in the store as discounts.'
      : 'Shopify, but not connected (no access token, or the app was uninstalled): codes cannot be created.';
  }
  return 'Native (no platform connected): your checkout checks codes through the API; customer segments are not available.';
}

// The points policy in words, with example dates from today.
export function policyText(kind, days, pending, warn) {
  const d = Number(days), p = Number(pending) || 0, w = Number(warn) || 0;
  const earned = p > 0 ? `Points from an order placed today become spendable on ${day(addDays(p))} (after the ${p}-day return window). ` : 'Points from an order can be spent at once. ';
  if (kind === 'after_days' && d > 0) {
    return `${earned}Each credit expires ${d} days after it is credited: points credited today expire on ${day(addDays(d))}`
      + `${w > 0 ? `, and the shopper is warned on ${day(addDays(d - w))}` : ''}. The soonest-to-expire points are spent first.`;
  }
  if (kind === 'inactivity' && d > 0) {
    return `${earned}The whole balance expires after ${d} days with no earning or claiming: if today is the last activity, it expires on ${day(addDays(d))}`
      + `${w > 0 ? `, with a warning on ${day(addDays(d - w))}` : ''}.`;
  }
  return `${earned}Points never expire.`;
}

export function shopPanel(root, call, shop, onCurrency) {
  const errs = {};
  const field = (name, label, control, hint) => {
    const out = h('p', { class: 'err', id: `shop-${name.replace(/\./g, '-')}-err` });
    const hintEl = hint && h('p', { class: 'hint', id: `${out.id}-hint` }, hint);
    control.setAttribute('aria-describedby', [hintEl?.id, out.id, control.getAttribute('aria-describedby')].filter(Boolean).join(' '));
    errs[name] = { control, out };
    return h('div', { class: 'field', 'data-field': name }, h('label', { for: control.id }, label), control, hintEl, out);
  };
  const currency = h('select', { id: 'shop-currency' }, CURRENCIES.map((c) => h('option', { value: c }, c)));
  const earn = h('input', { id: 'shop-earn', type: 'text', inputmode: 'decimal', class: 'num', 'aria-describedby': 'shop-earn-warn' });
  const locale = h('select', { id: 'shop-locale' }, LOCALES.map((l) => h('option', { value: l }, l)));
  const tz = h('select', { id: 'shop-timezone' }, ZONES.map((z) => h('option', { value: z }, z)));
  const gap = h('input', { id: 'shop-gap', type: 'text', inputmode: 'decimal', class: 'num' });
  const blocked = h('textarea', { id: 'shop-blocked', rows: '3', spellcheck: 'false' });
  const url = h('input', { id: 'shop-notify-url', type: 'url', autocomplete: 'off', placeholder: 'https://example.com/hooks/loyalty' });
  const secret = h('input', { id: 'shop-notify-secret', type: 'password', autocomplete: 'new-password' });
  const secretState = h('p', { class: 'hint', id: 'shop-secret-state' });
  const kind = h('select', { id: 'shop-expiry-kind' }, [['none', 'Never'], ['after_days', 'Days after each credit'], ['inactivity', 'After inactivity']].map(([v, l]) => h('option', { value: v }, l)));
  const days = h('input', { id: 'shop-expiry-days', type: 'text', inputmode: 'numeric', class: 'num' });
  const pending = h('input', { id: 'shop-pending', type: 'text', inputmode: 'numeric', class: 'num' });
  const warn = h('input', { id: 'shop-warning', type: 'text', inputmode: 'numeric', class: 'num' });
  const example = h('p', { class: 'policy-example', id: 'shop-policy-example', role: 'status' });
  const earnWarn = h('p', { class: 'warn', id: 'shop-earn-warn', role: 'status' });
  const conn = h('p', { class: 'conn', id: 'shop-connection' });
  const status = h('p', { class: 'status', role: 'status', id: 'shop-status' });
  const daysField = field('points_expiry.days', 'Days', days, '1–3650.');
  const deliveries = deliveriesCard(call);
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'Shop settings' },
    h('div', {}, h('h2', {}, 'Connection'), conn),
    h('fieldset', {}, h('legend', {}, 'Money and points'), h('div', { class: 'pair' },
      field('currency', 'Currency', currency, 'Changing it asks first: points are priced in it.'),
      field('earn_points_per_unit', 'Points earned per unit spent', earn),
      field('locale', 'Numbers and money shown as', locale),
      field('timezone', 'Time zone', tz, 'The shop’s days: daily code limits and birthdays.')), earnWarn),
    h('fieldset', {}, h('legend', {}, 'Offer guardrails (all campaigns)'), h('div', { class: 'pair' },
      field('offers.min_hours_between_offers', 'Hours between two offers to one customer', gap, 'Empty or 0: no limit. Up to a year (8,784 hours).'),
      field('offers.blocked_customers', 'Blocked customers', blocked, 'Customer ids, one per line: no offers and no points codes.'))),
    h('fieldset', {}, h('legend', {}, 'Outgoing webhook'),
      h('p', { class: 'hint' }, 'offer.issued, claim.created, claim.refunded, campaign.paused and points.expiring are sent here, signed with the secret.'),
      h('div', { class: 'pair' }, field('notify.url', 'URL', url, 'https:// (leave empty to stop sending).'),
        field('notify.secret', 'Signing secret', secret, '16–128 characters; write-only.')), secretState, deliveries.warning),
    h('fieldset', {}, h('legend', {}, 'Points expiry and return window'), h('div', { class: 'pair' },
      field('points_expiry.kind', 'Points expire', kind), daysField,
      field('pending_days', 'Pending days after an order', pending, '0–365: points wait out the return window.'),
      field('expiry_warning_days', 'Warn days before expiry', warn, '0–365 and below the expiry days; 0 = no warning.')), example),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save shop'), status));
  let loaded = shop;
  const warnEarn = () => { earnWarn.textContent = Number(earn.value.trim()) === 0 ? 'Earn rate 0: customers earn no points on orders.' : ''; };
  const showPolicy = () => {
    daysField.hidden = kind.value === 'none';
    example.textContent = policyText(kind.value, days.value, pending.value, warn.value);
  };
  const ensure = (sel, v) => { if (v && ![...sel.options].some((o) => o.value === v)) sel.prepend(h('option', { value: v }, v)); sel.value = v; };
  const write = (s) => {
    loaded = s;
    ensure(currency, s.currency);
    ensure(locale, s.locale || 'en-US');
    ensure(tz, s.timezone || 'UTC');
    earn.value = s.earn_points_per_unit;
    gap.value = s.offers?.min_hours_between_offers ?? '';
    blocked.value = (s.offers?.blocked_customers || []).join('\n');
    url.value = s.notify?.url || '';
    secret.value = '';
    secret.placeholder = s.notify?.secret_set ? 'stored (leave empty to keep)' : '';
    secretState.textContent = s.notify?.secret_set ? 'A secret is stored. It is never shown; type a new one to replace it.' : 'No secret stored.';
    kind.value = s.points_expiry?.kind || 'none';
    days.value = s.points_expiry?.days ?? '';
    pending.value = s.pending_days ?? 0;
    warn.value = s.expiry_warning_days ?? 0;
    conn.textContent = connection(s.platform);
    warnEarn();
    showPolicy();
  };
  const int = (v) => (/^\d+$/.test(v.trim()) ? Number(v) : NaN);

  function body() {
    const b = { currency: currency.value, earn_points_per_unit: earn.value.trim(), locale: locale.value, timezone: tz.value,
      offers: { min_hours_between_offers: gap.value.trim() === '' ? null : gap.value.trim(), blocked_customers: blocked.value.split(/[\s,]+/).filter(Boolean) },
      points_expiry: { kind: kind.value, days: kind.value === 'none' ? null : int(days.value) },
      pending_days: int(pending.value), expiry_warning_days: int(warn.value) };
    const u = url.value.trim();
    if (!u && loaded.notify) b.notify = null;
    else if (u && (u !== loaded.notify?.url || secret.value)) b.notify = { url: u, ...(secret.value ? { secret: secret.value } : {}) };
    return b;
  }

  // The server's rules (admin_shop.rs, shop_offers.rs, lots.rs, notify.rs).
  function validate(b) {
    const f = {};
    if (!/^\d+(\.\d{1,6})?$/.test(b.earn_points_per_unit)) f.earn_points_per_unit = 'Enter a number of points, e.g. 1.';
    const g = b.offers.min_hours_between_offers;
    if (g != null && (!/^\d+(\.\d+)?$/.test(g) || Number(g) > 8784)) f['offers.min_hours_between_offers'] = 'Enter hours from 0 to 8784, or leave empty.';
    const bad = b.offers.blocked_customers.find((id) => !/^[A-Za-z0-9_-]{1,64}$/.test(id));
    if (bad) f['offers.blocked_customers'] = `“${bad}” is not a customer id.`;
    if (b.points_expiry.kind !== 'none' && !(b.points_expiry.days >= 1 && b.points_expiry.days <= 3650)) f['points_expiry.days'] = 'Enter a whole number of days, 1–3650.';
    if (!(b.pending_days >= 0 && b.pending_days <= 365)) f.pending_days = 'Enter a whole number of days, 0–365.';
    if (!(b.expiry_warning_days >= 0 && b.expiry_warning_days <= 365)) f.expiry_warning_days = 'Enter a whole number of days, 0–365.';
    else if (b.points_expiry.days && b.expiry_warning_days >= b.points_expiry.days) f.expiry_warning_days = 'Must be below the expiry days.';
    if (b.notify && !/^https?:\/\/[^\s]+$/.test(b.notify.url)) f['notify.url'] = 'Enter an https:// address.';
    if (b.notify?.secret != null && (b.notify.secret.length < 16 || b.notify.secret.length > 128 || b.notify.secret.trim() !== b.notify.secret)) f['notify.secret'] = '16–128 characters, no blanks at the ends.';
    if (b.notify && !b.notify.secret && !loaded.notify?.secret_set) f['notify.secret'] = 'Required: no secret is stored yet.';
    return f;
  }

  function showErrors(fields) {
    for (const [name, { control, out }] of Object.entries(errs)) {
      out.textContent = fields[name] || '';
      control.toggleAttribute('aria-invalid', !!fields[name]);
    }
    const other = Object.entries(fields).filter(([k]) => !errs[k]).map(([k, m]) => `${k}: ${m}`);
    const first = Object.keys(fields).find((k) => errs[k]);
    if (first) errs[first].control.focus();
    return other;
  }

  form.onsubmit = async (e) => {
    e.preventDefault();
    const b = body(), local = validate(b);
    if (Object.keys(local).length) { showErrors(local); status.textContent = 'Not saved: please fix the highlighted settings.'; return; }
    showErrors({});
    let convert = null;
    if (b.currency !== loaded.currency) {
      const answer = await confirmCurrency(loaded.currency, b.currency, await loadPrograms(call).catch(() => []));
      if (!answer) {
        // Cancelled: the stored currency is selected again, nothing else changes.
        currency.value = loaded.currency;
        status.textContent = 'Not saved: the currency change was cancelled.';
        return currency.focus();
      }
      convert = answer.action === 'convert' ? answer.rate : null;
    }
    try {
      const s = await call('PUT', '/api/v1/admin/shop', { body: b });
      let note = '';
      if (convert) note = ` Ratios converted at your rate 1 ${loaded.currency} = ${convert} ${s.currency}: ${(await convertPrograms(call, convert)).join(', ')}.`;
      const changed = s.currency !== loaded.currency;
      write(s);
      Object.assign(shop, s);
      if (changed) onCurrency(s.currency);
      status.textContent = `Saved.${note}`;
    } catch (err) {
      const other = showErrors(err.details?.fields || {});
      status.textContent = `Not saved. ${other.length ? other.join(' · ') : err.details?.fields ? 'See the highlighted settings.' : err.message}`;
    }
  };
  earn.addEventListener('input', warnEarn);
  for (const el of [kind, days, pending, warn]) el.addEventListener('input', showPolicy);
  kind.addEventListener('change', showPolicy);
  write(shop);
  fill(root, form, deliveries.el);
  return {
    load: async () => {
      write(await call('GET', '/api/v1/admin/shop'));
      await deliveries.load();
    },
  };
}
