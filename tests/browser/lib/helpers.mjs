// Polling assertions (playwright-core has no `expect`) and the test data.
import assert from 'node:assert/strict';
import { sleep } from './server.mjs';

// Retries fn until it stops throwing; the last failure is the one reported.
export async function eventually(fn, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) { if (Date.now() > end) throw e; await sleep(100); }
  }
}

export const textIs = (locator, expected, ms) =>
  eventually(async () => assert.equal((await locator.first().textContent({ timeout: 1000 }))?.trim(), expected), ms);

export const textMatches = (locator, re, ms) =>
  eventually(async () => assert.match((await locator.first().textContent({ timeout: 1000 })) ?? '', re), ms);

export const program = (over = {}) => ({
  enabled: true, points_per_unit: '100', min_points: 100, max_points: 10000, purchase_type: 'one_time',
  subscription: null, eligibility: { kind: 'all', ids: [] }, combines_with: { order: false, product: true, shipping: true },
  code_prefix: null, code_lifetime_hours: null, ...over,
});

// Both programs on, and a helper that gives a customer points and a token.
export async function seed(ctx) {
  const { server } = ctx;
  ctx.adminToken = server.mint('admin', 'staff-1');
  ctx.admin = server.api(ctx.adminToken);
  ctx.posToken = server.mint('pos', 'staff-2', 'loc-1');
  await ctx.admin('PUT', '/api/v1/admin/programs/online', program());
  await ctx.admin('PUT', '/api/v1/admin/programs/pos', program());
  ctx.customer = async (id, points) => {
    if (points) await ctx.admin('POST', `/api/v1/admin/customers/${id}/adjustments`, { points, reason: 'Welcome bonus' });
    const token = server.mint('customer', id);
    return { id, token, api: server.api(token) };
  };
  ctx.url = (page, token, hash = '') => `${server.base}/widget/${page}?token=${encodeURIComponent(token)}${hash}`;
}
