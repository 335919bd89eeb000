// Display formatting in the shopper's locale (Intl). Money arrives as exact
// decimal strings with its currency.
import { h } from './dom.js';
const cache = new Map();
let locale;
export const setLocale = (tag) => {
  if (tag === locale) return;
  try { Intl.getCanonicalLocales(tag); locale = tag; } catch { locale = undefined; }
  cache.clear();
};
const nf = (currency) => {
  if (!cache.has(currency)) cache.set(currency, new Intl.NumberFormat(locale, { style: 'currency', currency }));
  return cache.get(currency);
};

export const money = (value, currency) => nf(currency).format(value);
export const points = (n) => new Intl.NumberFormat(locale).format(n);
export const signed = (n) => (n > 0 ? '+' : n < 0 ? '−' : '') + points(Math.abs(n));
export const day = (iso) => {
  const d = new Date(iso);
  return d.toLocaleDateString(locale, { day: 'numeric', month: 'long', year: d.getFullYear() === new Date().getFullYear() ? undefined : 'numeric' });
};
export const when = (iso) =>
  iso ? new Date(iso).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' }) : '';

// A code as typed at checkout, on every screen: one text, no groups; lines
// break only after its own hyphens (<wbr>, also before a digit: UAX 14 says no).
export const codeText = (tag, props, code) =>
  h(tag, props, code.split(/(?<=-)/).map((part, i) => [i ? h('wbr') : null, part]));

export const refundable = (claim) => claim.status === 'active' || claim.status === 'pending';
