// The server's campaign rules (src/domain/campaign_parse.rs and
// code_template.rs), mirrored so the form says what is wrong before saving,
// and the code template rendered as the server renders it, for the preview.
// The server checks again and has the last word.
import { minorDigits } from './program-rules.js';

export const TRIGGERS = [
  ['welcome', 'Welcome (customer created)'], ['first_order', 'First order'], ['order_paid', 'Every paid order'],
  ['nth_order', 'Nth order'], ['cart_abandoned', 'Abandoned cart'], ['win_back', 'Win-back (no order for a while)'],
  ['birthday', 'Birthday'], ['custom', 'Custom event'],
];
export const DISCOUNTS = [['percentage', 'Percentage off'], ['fixed_amount', 'Fixed amount off'], ['free_shipping', 'Free shipping']];
// The 31-symbol alphabet of codes (no 0/O/1/I/L).
export const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const LITERAL = /^[A-Z0-9_-]*$/;
const isInt = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;
const present = (v) => v != null && v !== '';

// Splits a template into parts; a string (the message) when it is malformed.
export function templateParts(template) {
  const parts = [];
  let rest = template;
  while (rest) {
    if (rest[0] === '{') {
      const end = rest.indexOf('}');
      if (end < 0) return 'a { without its }';
      const name = rest.slice(1, end);
      if (!['RANDOM', 'FIRST_NAME', 'PREFIX'].includes(name)) return `unknown placeholder {${name}}; use RANDOM, FIRST_NAME or PREFIX`;
      parts.push({ p: name });
      rest = rest.slice(end + 1);
      continue;
    }
    const end = rest.indexOf('{') < 0 ? rest.length : rest.indexOf('{');
    const literal = rest.slice(0, end);
    const bad = [...literal].find((c) => !LITERAL.test(c));
    if (bad === ' ') return "Spaces aren't allowed in a code";
    if (bad) return `“${bad}” is not allowed in a code; use A–Z, 0–9, - and _`;
    parts.push({ text: literal });
    rest = rest.slice(end);
  }
  return parts;
}

// The server's check(): {RANDOM} once, others at most once, ≤ 64 characters.
export function checkTemplate(template, randomLength) {
  const parts = templateParts(template);
  if (typeof parts === 'string') return parts;
  const count = (p) => parts.filter((x) => x.p === p).length;
  if (count('RANDOM') !== 1) return 'must contain {RANDOM} exactly once';
  if (count('FIRST_NAME') > 1 || count('PREFIX') > 1) return '{FIRST_NAME} and {PREFIX} may appear once each';
  const literal = parts.reduce((n, x) => n + (x.text ? x.text.length : 0), 0);
  if (literal + randomLength + 10 + 12 > 64) return 'the longest code this makes would exceed 64 characters';
  return '';
}

export const firstNamePart = (name) => [...(name || '')].filter((c) => /[A-Za-z]/.test(c)).map((c) => c.toUpperCase()).slice(0, 10).join('');

// render(): an empty {FIRST_NAME} or {PREFIX} drops one separator after it.
export function renderCode(template, randomLength, firstName, prefix, random = (n) => ALPHABET.slice(0, n)) {
  const parts = templateParts(template.toUpperCase());
  if (typeof parts === 'string') return null;
  let code = '', drop = false;
  for (const x of parts) {
    let text = x.text ?? (x.p === 'RANDOM' ? random(randomLength) : x.p === 'FIRST_NAME' ? firstNamePart(firstName) : prefix || '');
    if (x.text != null && drop && /^[-_]/.test(text)) text = text.slice(1);
    drop = text === '';
    code += text;
  }
  return code;
}

export const randomSymbols = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => ALPHABET[b % ALPHABET.length]).join('');

// Currency::parse_amount, then > 0.
function moneyError(v, currency) {
  const digits = minorDigits(currency);
  const re = digits ? new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`) : /^\d+$/;
  const s = String(v).trim();
  if (!re.test(s)) return digits ? `Enter an amount such as 10.00 (at most ${digits} decimals).` : 'Enter a whole amount such as 1000.';
  return Number(s) > 0 ? '' : 'Must be greater than 0.';
}

function triggerErrors(t, currency, f) {
  if (!TRIGGERS.some(([k]) => k === t.kind)) f['trigger.kind'] = 'Choose what triggers the code.';
  if (present(t.delay_minutes) && !isInt(t.delay_minutes, 0, 525600)) f['trigger.delay_minutes'] = 'Enter 0 to 525,600 minutes.';
  if (t.kind === 'nth_order' && !isInt(t.n, 1, 10000)) f['trigger.n'] = 'Enter which order, 1 to 10,000.';
  if (t.kind === 'win_back' && !isInt(t.inactive_days, 1, 3650)) f['trigger.inactive_days'] = 'Enter 1 to 3650 days.';
  if (t.kind === 'order_paid' && present(t.min_subtotal)) {
    const e = moneyError(t.min_subtotal, currency);
    if (e) f['trigger.min_subtotal'] = e;
  }
  if (t.kind === 'custom' && !(t.event || '').trim()) f['trigger.event'] = 'Name the event your systems will post.';
  else if (t.kind === 'custom' && t.event.trim().length > 100) f['trigger.event'] = 'At most 100 characters.';
}

function discountErrors(d, currency, f) {
  if (d.kind === 'fixed_amount') {
    const e = present(d.value) ? moneyError(d.value, currency) : 'Enter the amount off.';
    if (e) f['discount.value'] = e;
  }
  if (d.kind === 'percentage') {
    const s = String(d.value ?? '').trim(), n = Number(s);
    if (!/^\d+(\.\d{1,2})?$/.test(s) || n < 1 || n > 100) f['discount.value'] = 'Enter a percentage from 1 to 100 (at most 2 decimals).';
  }
  for (const k of ['min_subtotal', 'max_shipping']) {
    if (present(d[k])) { const e = moneyError(d[k], currency); if (e) f[`discount.${k}`] = e; }
  }
  if (d.purchase_type === 'subscription' || d.purchase_type === 'both') return;
}

function limitErrors(l, d, f, currency) {
  const ints = { per_customer: 1_000_000, per_customer_days: 3650, daily_codes: 100_000_000, max_codes_per_hour: 100_000_000 };
  for (const [k, hi] of Object.entries(ints)) {
    if (present(l[k]) && !isInt(l[k], 1, hi)) f[`limits.${k}`] = `Enter a whole number from 1 to ${hi.toLocaleString('en-US')}, or leave empty.`;
  }
  for (const k of ['max_outstanding_value', 'max_total_value', 'assumed_value']) {
    if (present(l[k])) { const e = moneyError(l[k], currency); if (e) f[`limits.${k}`] = e; }
  }
  const capped = present(l.max_outstanding_value) || present(l.max_total_value);
  const needsAssumed = d.kind === 'percentage' || (d.kind === 'free_shipping' && !present(d.max_shipping));
  if (capped && needsAssumed && !present(l.assumed_value) && !f['limits.assumed_value']) {
    f['limits.assumed_value'] = 'Required with a money cap for percentage or free shipping: the value each code reserves.';
  }
  if (present(l.per_customer_days) && !present(l.per_customer) && !f['limits.per_customer']) f['limits.per_customer'] = 'Required when a window in days is set.';
}

// Field name (dotted, as the server's details.fields) → message.
export function validateCampaign(b, currency) {
  const f = {};
  const name = (b.name || '').trim();
  if (name.length < 1 || name.length > 200) f.name = 'Give the campaign a name (up to 200 characters).';
  triggerErrors(b.trigger, currency, f);
  discountErrors(b.discount, currency, f);
  const len = b.code.random_length;
  if (!isInt(len, 8, 16)) f['code.random_length'] = 'Enter 8 to 16 symbols.';
  if (b.code.prefix != null && !/^[A-Z0-9_-]{1,12}$/.test(b.code.prefix)) f['code.prefix'] = '1–12 characters of A–Z, 0–9, - and _.';
  const tpl = (b.code.template || '').trim();
  if (tpl.length < 1 || tpl.length > 40) f['code.template'] = 'Enter a template of 1–40 characters, e.g. {FIRST_NAME}-{RANDOM}.';
  else { const e = checkTemplate(tpl.toUpperCase(), isInt(len, 8, 16) ? len : 8); if (e) f['code.template'] = e[0].toUpperCase() + e.slice(1) + '.'; }
  const hrs = String(b.expires_after_hours ?? '').trim();
  if (!/^\d+(\.\d+)?$/.test(hrs) || Number(hrs) < 0.01 || Number(hrs) > 8784) f.expires_after_hours = 'Enter 0.01 to 8784 hours.';
  if (b.starts_at && b.ends_at && new Date(b.ends_at) <= new Date(b.starts_at)) f.ends_at = 'Must be after the start.';
  if (b.eligibility.kind !== 'all' && !b.eligibility.ids.length) f['eligibility.ids'] = 'Pick at least one.';
  limitErrors(b.limits, b.discount, f, currency);
  if (!isInt(b.holdout_percent, 0, 50)) f.holdout_percent = 'Enter 0 to 50 %.';
  return f;
}

// One sentence of what the discount gives, as the shopper will read it.
export function describeDiscount(d, fmtMoney) {
  const min = present(d.min_subtotal) ? ` on orders of ${fmtMoney(d.min_subtotal)} or more` : '';
  if (d.kind === 'percentage') return `${d.value || '…'} % off${min}`;
  if (d.kind === 'fixed_amount') return `${present(d.value) ? fmtMoney(d.value) : '…'} off${min}`;
  return `Free shipping${present(d.max_shipping) ? ` (up to ${fmtMoney(d.max_shipping)})` : ''}${min}`;
}

export function describeExpiry(hours) {
  const h = Number(hours);
  if (!(h > 0)) return '';
  if (h < 1) return `${Math.max(1, Math.round(h * 60))} minutes`;
  if (h < 48 || h % 24) return `${+h.toFixed(2)} hour${h === 1 ? '' : 's'}`;
  return `${h / 24} days`;
}
