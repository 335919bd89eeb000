// Widget round 3: "Your offers", expiring and pending points
// (15.4/15.8), Show more on codes and history (14.11), the logged-out line in
// every table, and the till's open codes with cancel and copy (13.19).
// Screenshots go to artifacts/widget-ui/ at 1280, 375 and 320 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { textIs, textMatches, eventually } from '../lib/helpers.mjs';
import { openWidget } from './widget.mjs';
import { openPos, posClaim } from './pos.mjs';
import { shoot } from './walkthrough.mjs';
import { SHOP } from '../lib/server.mjs';
import { join } from 'node:path';

const SECRET = 'browser-tests-secret-0123456789abcdef0123456789';

// An orders/paid webhook as Shopify signs it (the app secret of lib/server.mjs).
async function paidOrder(ctx, id, customer, subtotal) {
  const body = JSON.stringify({ id, customer: { id: Number(customer) }, subtotal_price: subtotal });
  const res = await fetch(`${ctx.server.base}/webhooks/shopify`, { method: 'POST', body, headers: {
    'Content-Type': 'application/json', 'X-Shopify-Topic': 'orders/paid', 'X-Shopify-Shop-Domain': SHOP,
    'X-Shopify-Event-Id': `evt-${id}`, 'X-Shopify-Hmac-Sha256': createHmac('sha256', SECRET).update(body).digest('base64') } });
  assert.equal(res.status, 200, await res.text());
}

const campaign = (name, discount, hours) => ({
  name, enabled: true, trigger: { kind: 'custom', event: 'quiz_done' }, discount,
  code: { template: 'QUIZ-{RANDOM}', random_length: 8 }, expires_after_hours: hours,
});

// Same rule as format.js `day`: day and month, the year only when not this year.
const dayOf = (iso, locale = 'en-US') => {
  const d = new Date(iso);
  return d.toLocaleDateString(locale, { day: 'numeric', month: 'long', timeZone: 'UTC',
    year: d.getFullYear() === new Date().getFullYear() ? undefined : 'numeric' });
};

// The end of a long list at phone widths: an element's screenshot (a full page is metres long).
async function shootEl(page, locator, dir, name, also) {
  for (const width of [375, 320]) {
    await page.setViewportSize({ width, height: 700 });
    await (also || locator).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(dir, `${name}-${width}.png`) });
  }
}

export function widgetMoreTests(ctx, dir) {
  test('9.6 Your offers: code with copy, what it gives, minimum, countdown; hidden without offers', async () => {
    const made = [
      await ctx.admin('POST', '/api/v1/admin/campaigns', campaign('Quiz 15 %', { kind: 'percentage', value: '15' }, 50)),
      await ctx.admin('POST', '/api/v1/admin/campaigns',
        campaign('Quiz 10 off', { kind: 'fixed_amount', value: '10.00', min_subtotal: '50.00' }, 3.5)),
      await ctx.admin('POST', '/api/v1/admin/campaigns',
        campaign('Quiz shipping', { kind: 'free_shipping', max_shipping: '8.00' }, 200)),
    ];
    const cust = await ctx.customer('5201', 50);
    const none = await ctx.customer('5202', 50);
    await ctx.admin('POST', '/api/v1/admin/events', { customer_id: '5201', kind: 'custom', name: 'quiz_done' });
    // The binary's own issuer (LOYALTY_ISSUE_INTERVAL_MS) issues them; a native shop's offer is active at once.
    const offers = await eventually(async () => {
      const { offers } = await cust.api('GET', '/api/v1/offers');
      assert.equal(offers.filter((o) => o.status === 'active').length, 3, JSON.stringify(offers));
      return offers;
    }, 15_000);
    const page = await openWidget(ctx, cust);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.server.base });
    const box = page.locator('loyalty-wallet section.offers');
    await textIs(box.locator('h2'), 'Your offers');
    const item = (o) => box.locator(`li[data-offer="${o.id}"]`);
    const by = (kind) => offers.find((o) => o.discount.kind === kind);
    await textIs(item(by('percentage')).locator('.gives'), '15% off');
    await textIs(item(by('fixed_amount')).locator('.gives'), '$10.00 off');
    await textIs(item(by('free_shipping')).locator('.gives'), 'Free shipping up to $8.00');
    await textIs(item(by('fixed_amount')).locator('.sub'), 'On orders of $50.00 or more · Expires in 3 hours');
    await textIs(item(by('percentage')).locator('.sub'), 'Expires in 2 days');
    await textIs(item(by('free_shipping')).locator('.sub'), 'Expires in 8 days');
    const o = by('percentage'), code = item(o).locator('code.c');
    assert.equal((await code.textContent()).trim(), o.code, 'the plain code is the text');
    assert.match(o.code, /^QUIZ-/);
    const copy = page.getByRole('button', { name: `Copy code ${o.code}` });
    await copy.click();
    await textIs(copy, 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), o.code);
    await shoot(page, dir, 'widget-offers');
    const other = await openWidget(ctx, none);
    await textMatches(other.locator('loyalty-wallet .balance'), /50/);
    assert.equal(await other.locator('loyalty-wallet section.offers').isVisible(), false, 'hidden when there are none');
    assert.equal(made.length, 3);
  });

  test('15.4/15.8 under the balance: points that expire next and pending points', async () => {
    await ctx.admin('PUT', '/api/v1/admin/shop', { earn_points_per_unit: '1', pending_days: 14,
      points_expiry: { kind: 'after_days', days: 90 } });
    try {
      const cust = await ctx.customer('5301', 500);
      await paidOrder(ctx, 930001, '5301', '120.00');
      const wallet = await cust.api('GET', '/api/v1/wallet');
      assert.equal(wallet.pending_points, 120, JSON.stringify(wallet));
      const page = await openWidget(ctx, cust);
      const lots = page.locator('loyalty-wallet .lots p');
      await textIs(lots.nth(0), `500 points expire on ${dayOf(wallet.expiring[0].expires_at)}.`);
      await textIs(lots.nth(1), '120 points pending, available after the returns window.');
      await shoot(page, dir, 'widget-expiring');
      const plain = await openWidget(ctx, await ctx.customer('5302'));
      await textIs(plain.locator('loyalty-wallet .balance'), '0');
      assert.equal(await plain.locator('loyalty-wallet .lots p').count(), 0, 'nothing to say: no lines');
    } finally {
      await ctx.admin('PUT', '/api/v1/admin/shop', { pending_days: 0, points_expiry: { kind: 'none' } });
    }
  });

  test('14.11 codes and history load more on demand', async () => {
    const cust = await ctx.customer('5401', 20_000);
    for (let i = 0; i < 53; i++) await cust.api('POST', '/api/v1/claims', { points: 100 });
    const { claims } = await cust.api('GET', '/api/v1/claims?limit=500');
    for (const c of claims.slice(8)) await cust.api('POST', `/api/v1/claims/${c.id}/refund`);
    const page = await openWidget(ctx, cust);
    const seen = [];
    page.on('request', (r) => { const u = new URL(r.url()); if (/transactions|claims$/.test(u.pathname)) seen.push(u.pathname + u.search); });
    const lw = (s) => page.locator(`loyalty-wallet ${s}`);
    await textIs(lw('.past summary'), 'Past codes (42)');
    await lw('.past summary').click();
    await shootEl(page, lw('.past'), dir, 'widget-past-more', lw('.past button.more'));
    await lw('.past button.more').click();
    await textIs(lw('.past summary'), 'Past codes (45)');
    assert.equal(await lw('.past button.more').count(), 0, 'no more after the last page');
    assert.equal(await lw('.codes > ul [data-claim]').count(), 8, 'the open codes');
    assert.ok(seen.some((s) => s.startsWith('/api/v1/claims?cursor=')), seen.join());
    // History is asked for only when opened: 1 grant + 53 codes + 45 cancels = 99 entries.
    assert.equal(seen.filter((s) => s.startsWith('/api/v1/transactions')).length, 0, 'not loaded before it is opened');
    await lw('details:not(.past) > summary').click();
    const rows = lw('details:not(.past) > ul > li');
    await eventually(async () => assert.equal(await rows.count(), 50));
    await shootEl(page, lw('details:not(.past) > ul > li:nth-last-child(1)'), dir, 'widget-history-more', lw('details:not(.past) button.more'));
    await lw('details:not(.past) button.more').click();
    await eventually(async () => assert.equal(await rows.count(), 99));
    await textMatches(rows.last(), /Adjustment|Welcome bonus/);
    await shoot(page, dir, 'widget-more');
  });

  test('the logged-out line comes from the message table in every language', async () => {
    const tables = await Promise.all(['en', 'de', 'fr', 'es'].map(async (l) => [l, (await import(`../../../widget/i18n/${l}.js`)).default]));
    const keys = Object.keys(tables[0][1]).sort();
    for (const [l, table] of tables) assert.deepEqual(Object.keys(table).sort(), keys, `${l} has every key`);
    assert.equal(tables[0][1].logged_out, 'Log in to use your points.');
    assert.notEqual(tables[1][1].logged_out, tables[0][1].logged_out, 'translated');
  });

  test('13.19 at the till: open codes with copy and Cancel code (points back)', async () => {
    const cust = await ctx.customer('5501', 3000);
    const online = await cust.api('POST', '/api/v1/claims', { points: 500 });
    const page = await openPos(ctx);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.server.base });
    await posClaim(page, '5501', 1000);
    const open = page.locator('#open-codes');
    await textMatches(open, new RegExp(online.code));
    await page.getByRole('button', { name: `Copy code ${online.code}` }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), online.code);
    await page.getByRole('button', { name: `Cancel code ${online.code} and give the points back` }).click();
    await shoot(page, dir, 'pos-cancel-ask');
    await page.getByRole('button', { name: 'Yes, cancel code' }).click();
    await textIs(page.locator('#codes-msg'), `${online.code} cancelled. 500 points returned.`);
    await textIs(page.locator('#balance'), '3,000');
    await textIs(open, 'No open codes.');
    assert.equal((await ctx.admin('GET', '/api/v1/admin/customers/5501')).claims[0].status, 'refunded');
    await page.getByRole('button', { name: 'Create code' }).click();
    await textMatches(page.locator('#code'), /\S{4,}/);
    const code = (await page.locator('#code').textContent()).trim();
    await page.locator('#hand-off button').click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code, 'the new code hands off by copy');
    await shoot(page, dir, 'pos-done');
    await page.getByRole('button', { name: 'Next customer' }).click();
    await posClaim(page, '5501', 100);
    await textMatches(open, new RegExp(code));
    await shoot(page, dir, 'pos-open-codes');
  });
}
