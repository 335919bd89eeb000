// Display formatting in the shopper's locale. Money arrives as exact decimal
// strings; Intl formats the string itself, so no float rounding creeps in.
const cache = new Map();
const nf = (currency) => {
  if (!cache.has(currency)) cache.set(currency, new Intl.NumberFormat(undefined, { style: 'currency', currency }));
  return cache.get(currency);
};

export const money = (value, currency) => nf(currency).format(value);
export const points = (n) => new Intl.NumberFormat().format(n);
export const signed = (n) => (n > 0 ? '+' : n < 0 ? '−' : '') + points(Math.abs(n));
export const when = (iso) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '';

// Claim statuses as a shopper or merchant reads them.
export const STATUS = {
  pending: 'Pending', active: 'Ready to use', used: 'Used', refund_pending: 'Refund pending',
  refunded: 'Refunded', failed: 'Failed', expired: 'Expired',
};
export const KIND = { earn: 'Earned', redeem: 'Code created', refund: 'Refunded', adjust: 'Adjustment', expire: 'Expired' };
export const refundable = (claim) => claim.status === 'active' || claim.status === 'pending';
