// Issue 13, merchant admin and POS items, with screenshots at 1280/375/320.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textIs, textMatches, eventually, program } from '../lib/helpers.mjs';
import { sleep } from '../lib/server.mjs';
import { shoot } from './walkthrough.mjs';

const openAdmin = (ctx, hash, name) => ctx.b.open(ctx.url('admin.html', ctx.adminToken, hash), { name });

export function walkthroughAdminTests(ctx, dir) {
  test('13.10 + 13.11 + 13.16 every period works; net figures; four charts with headed tables', async () => {
    const page = await openAdmin(ctx, '#analytics', 'admin (periods)');
    await page.locator('#panel-analytics .kpi').first().waitFor();
    for (const label of ['Last 7 days', 'Last 90 days', 'All time']) {
      await page.locator('#an-period').selectOption({ label });
      await eventually(async () => assert.equal(await page.locator('#panel-analytics .err').count(), 0));
      await page.locator('#panel-analytics .kpi').first().waitFor();
    }
    const a = await ctx.admin('GET', '/api/v1/admin/analytics?from=1970-01-01T00:00:00Z');
    assert.equal(a.period, 'month');
    await textMatches(page.locator('#panel-analytics .kpi', { hasText: 'net of cancelled codes' }),
      new RegExp(`${a.net_points_redeemed.toLocaleString('en-US')}`));
    assert.equal(await page.locator('#panel-analytics figure svg').count(), 4);
    assert.equal(await page.locator('#panel-analytics figure thead th').count(), 8, 'each data table has headers');
    await textMatches(page.locator('#panel-analytics figcaption').nth(1), /Codes per month/);
    await shoot(page, dir, 'admin-analytics-all-time');
  });

  test('13.10 a slow answer for an earlier period never replaces the newest choice', async () => {
    const page = await openAdmin(ctx, '#analytics', 'admin (period race)');
    await page.locator('#panel-analytics .kpi').first().waitFor();
    const analytics = (url) => url.pathname === '/api/v1/admin/analytics';
    // Every answer but "all time"'s arrives 1.5 s late.
    await page.route(analytics, async (route) => {
      if (!route.request().url().includes('from=1970')) await sleep(1500);
      await route.continue();
    });
    await page.locator('#an-period').selectOption({ label: 'Last 7 days' });
    await page.locator('#an-period').selectOption({ label: 'All time' });
    const caption = page.locator('#panel-analytics figcaption').nth(1);
    await textMatches(caption, /Codes per month/);
    await sleep(2500);
    await textMatches(caption, /Codes per month/, 200);
    await page.unroute(analytics);
  });

  test('13.12 the shop tab shows the connection and warns about earn rate 0; a segments rule on a native shop is not saved', async () => {
    const page = await openAdmin(ctx, '#shop', 'admin (shop)');
    await textMatches(page.locator('#shop-connection'), /Native/);
    await page.locator('#shop-earn').fill('0');
    await textMatches(page.locator('#shop-earn-warn'), /earn no points/);
    await shoot(page, dir, 'admin-shop');
    const prog = await openAdmin(ctx, '#online', 'admin (segments)');
    const puts = [];
    prog.on('request', (r) => { if (r.method() === 'PUT') puts.push(r.url()); });
    await prog.locator('#panel-online input[value=segments]').check();
    await textMatches(prog.locator('#online-seg-warn'), /no Shopify connection/);
    await prog.locator('#panel-online button[type=submit]').click();
    await textMatches(prog.locator('#panel-online .status'), /Not saved/);
    assert.deepEqual(puts, []);
  });

  test('13.18 + 13.19 + 13.20 POS: empty search lists no one, Max label, expired token said at once', async () => {
    await ctx.admin('PUT', '/api/v1/admin/programs/pos', program({ max_points: 5000 }));
    await ctx.customer('4201', 12000);
    const page = await ctx.b.open(ctx.url('pos.html', ctx.posToken), { name: 'pos (walk-through)' });
    const searches = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/v1/pos/customers') searches.push(r.url()); });
    await page.getByRole('button', { name: 'Find' }).click();
    await textMatches(page.locator('#find-msg'), /Type a name/);
    assert.equal(searches.length, 0);
    assert.equal(await page.getByLabel('Name, e-mail or customer number').getAttribute('inputmode'), null, 'full keyboard');
    await page.getByLabel('Name, e-mail or customer number').fill('4201');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: /Customer 4201/ }).click();
    await textIs(page.locator('#quick button').last(), 'Max 5,000');
    await shoot(page, dir, 'pos-max');
    await ctx.admin('PUT', '/api/v1/admin/programs/pos', program());
    const expired = ctx.server.mint('pos', 'staff-9', 'loc-1', -600);
    const old = await ctx.b.open(ctx.url('pos.html', expired), { name: 'pos (expired)' });
    await textMatches(old.locator('#find-msg'), /session has ended/);
  });
}
