// <loyalty-wallet session-url>: the storefront widget takes its token from
// the app proxy. Playwright plays Shopify's proxy: the page's
// /apps/loyalty/session is answered by the service's real /proxy/session,
// with the query signed as Shopify signs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SHOP } from '../lib/server.mjs';
import { textIs, textMatches } from '../lib/helpers.mjs';

export const SECRET = 'browser-tests-secret-0123456789abcdef0123456789';

function signedQuery(customer) {
  const q = { shop: SHOP, logged_in_customer_id: customer, path_prefix: '/apps/loyalty', timestamp: String(Math.floor(Date.now() / 1000)) };
  const message = Object.keys(q).sort().map((k) => `${k}=${q[k]}`).join('');
  const signature = createHmac('sha256', SECRET).update(message).digest('hex');
  return new URLSearchParams({ ...q, signature }).toString();
}

// A storefront page at the service's origin, with the proxy answered by the service.
async function storefront(ctx, customer, { shorten = false } = {}) {
  const base = ctx.server.base;
  const context = await ctx.b.browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const sessions = [];
  await page.route(`${base}/apps/loyalty/session`, async (route) => {
    const res = await fetch(`${base}/proxy/session?${signedQuery(customer)}`);
    const body = await res.json();
    sessions.push(body);
    // Pretend the token is about to expire, so the widget must renew it.
    if (shorten && body.expires_at) body.expires_at = new Date(Date.now() + 61_000).toISOString();
    await route.fulfill({ status: res.status, contentType: 'application/json', body: JSON.stringify(body) });
  });
  await page.route(`${base}/storefront`, (route) => route.fulfill({ contentType: 'text/html', body:
    `<!doctype html><meta charset="utf-8"><title>Shop</title><script type="module" src="/widget/loyalty-wallet.js"></script>
     <loyalty-wallet session-url="/apps/loyalty/session"></loyalty-wallet>` }));
  await page.goto(`${base}/storefront`);
  return { page, sessions, problems, close: () => context.close() };
}

export function sessionTests(ctx) {
  test('session-url: a logged-in shopper sees their points through the app proxy', async () => {
    await ctx.customer('3001', 1200);
    const s = await storefront(ctx, '3001', { shorten: true });
    try {
      await textIs(s.page.locator('loyalty-wallet .balance'), '1,200');
      assert.equal(s.sessions[0].logged_in, true);
      // The token "expires" in 61 s: one second later the next call renews it first.
      await new Promise((ok) => setTimeout(ok, 1200));
      await s.page.getByLabel('Points to use', { exact: true }).fill('500');
      await textMatches(s.page.locator('loyalty-wallet output.value'), /\$5\.00/);
      assert.ok(s.sessions.length >= 2, `the token was renewed (${s.sessions.length} session fetches)`);
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('session-url: a logged-out shopper is asked to log in', async () => {
    const s = await storefront(ctx, '');
    try {
      const notice = s.page.locator('loyalty-wallet .notice');
      await textMatches(notice, /Log in to use your points/);
      assert.equal(await s.page.locator('loyalty-wallet .notice a').getAttribute('href'), '/account/login');
      assert.equal(await s.page.locator('loyalty-wallet form.redeem').isHidden(), true);
      assert.deepEqual(s.sessions, [{ logged_in: false }]);
    } finally {
      await s.close();
    }
  });
}
