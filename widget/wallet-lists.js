// The merchant's words for the codes list and history (admin and till),
// drawn by wallet-items.js; the storefront widget brings its own tables.
import { points, when } from './format.js';
import * as items from './wallet-items.js';

export const STATUS = {
  pending: 'Pending', active: 'Ready to use', used: 'Used', refund_pending: 'Cancelling',
  refunded: 'Cancelled', failed: 'Failed', expired: 'Expired',
};
export const KIND = { earn: 'Earned', redeem: 'Code created', refund: 'Points back', adjust: 'Adjustment', expire: 'Expired',
  pending: 'Pending (return window)', release: 'Released' };
// One name for giving a code back, on every screen: "Cancel code", "Cancelled", and who did it.
const BY = { shopper: 'Cancelled by the shopper', merchant: 'Cancelled by the merchant', clerk: 'Cancelled at the till',
  expiry: 'Expired: points returned', platform: 'Deleted in Shopify: points returned' };
export const MERCHANT = {
  ask: () => 'Cancel code',
  label: (c) => `Cancel code ${c.code} and give the points back`,
  question: (c) => `Cancel ${c.code} and give ${points(c.points)} points back?`,
  yes: () => 'Yes, cancel code',
  no: () => 'Keep code',
  none: () => 'No codes yet.',
  noActivity: () => 'No activity yet.',
  status: (s) => STATUS[s] || s,
  kind: (k) => KIND[k] || k,
  by: (b) => BY[b],
  expires: (at) => ` · expires ${when(at)}`,
  balance: (n) => ` · balance ${points(n)}`,
  pts: (n) => `${points(n)} points`,
};

export const renderCodes = (ul, claims, onRefund, opts = {}) => items.renderCodes(ul, claims, onRefund, { words: MERCHANT, ...opts });
export const renderHistory = (ul, entries, w = MERCHANT) => items.renderHistory(ul, entries, w);
