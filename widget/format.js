// Display formatting in the shopper's locale. Money arrives as exact decimal
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

export const STATUS = {
  pending: 'Pending', active: 'Ready to use', used: 'Used', refund_pending: 'Refund pending',
  refunded: 'Refunded', failed: 'Failed', expired: 'Expired',
};
export const KIND = { earn: 'Earned', redeem: 'Code created', refund: 'Refunded', adjust: 'Adjustment', expire: 'Expired',
  pending: 'Pending (return window)', release: 'Released' };
export const refundable = (claim) => claim.status === 'active' || claim.status === 'pending';
