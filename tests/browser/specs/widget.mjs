// The storefront widget, driven as a shopper would, checked against the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textIs, textMatches, program } from '../lib/helpers.mjs';

// Locators inside <loyalty-wallet>'s open shadow root (Playwright pierces it).
export const widget = (page) => ({
  balance: page.locator('loyalty-wallet .balance'),
  input: page.getByLabel('Points to use', { exact: true }),
  value: page.locator('loyalty-wallet output.value'),
  msg: page.locator('loyalty-wallet .msg'),
  create: page.locator('loyalty-wallet button.primary'),
  code: page.locator('loyalty-wallet .result .code'),
  codes: page.locator('loyalty-wallet ul.list').first(),
});

export async function openWidget(ctx, cust, opts = {}) {
  const page = await ctx.b.open(ctx.url('index.html', cust.token), { name: `widget (customer ${cust.id})`, ...opts });
  await textMatches(widget(page).balance, /\d/);
  return page;
}

// Every POST to the claims endpoint this page sends, with its key.
function watchClaims(page) {
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/claims') posts.push(r.headers()['idempotency-key']);
  });
  return posts;
}

export function widgetTests(ctx) {
  test('shopper redeems points and sees the code and the new balance', async () => {
    const cust = await ctx.customer('1001', 5000);
    const page = await openWidget(ctx, cust);
    const w = widget(page);
    await textIs(w.balance, '5,000');
    assert.equal(page.url().includes('token='), false, 'token stripped from the address bar');
    await w.input.fill('500');
    await textIs(w.value, '$5.00');
    await w.create.click();
    await textMatches(w.code, /\S{4,}/);
    await textIs(w.balance, '4,500');
    const { claims } = await cust.api('GET', '/api/v1/claims');
    assert.equal(claims.length, 1);
    assert.equal((await w.code.textContent()).trim(), claims[0].code);
    assert.equal(claims[0].points, 500);
    await textMatches(page.locator('loyalty-wallet .result'), /\$5\.00/);
    await textMatches(w.codes, new RegExp(claims[0].code));
    const { entries } = await cust.api('GET', '/api/v1/transactions');
    assert.equal(entries[0].kind, 'redeem');
    assert.equal(entries[0].delta, -500);
  });

  test('a double click yields one code', async () => {
    const cust = await ctx.customer('1002', 2000);
    const page = await openWidget(ctx, cust);
    const posts = watchClaims(page), w = widget(page);
    await w.input.fill('300');
    await textIs(w.value, '$3.00');
    await w.create.dblclick();
    await textMatches(w.code, /\S{4,}/);
    await textIs(w.balance, '1,700');
    const { claims } = await cust.api('GET', '/api/v1/claims');
    assert.equal(claims.length, 1, 'exactly one claim');
    assert.ok(posts.length >= 1 && new Set(posts).size === 1, `one idempotency key, saw ${JSON.stringify(posts)}`);
  });

  test('a retry after a lost response reuses the key: still one code', async () => {
    const cust = await ctx.customer('1007', 2000);
    const page = await openWidget(ctx, cust, { allow: [/ERR_FAILED/] });
    const posts = watchClaims(page), w = widget(page);
    // The first claim reaches the server, but its answer is lost on the way back.
    await page.route('**/api/v1/claims', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await route.fetch();
      await route.abort('failed');
    }, { times: 1 });
    await w.input.fill('400');
    await textIs(w.value, '$4.00');
    await w.create.click();
    await textMatches(w.msg, /reach the server/);
    await w.create.click();
    await textMatches(w.code, /\S{4,}/);
    const { claims } = await cust.api('GET', '/api/v1/claims');
    assert.equal(claims.length, 1, 'the retry replayed the first claim');
    assert.equal((await w.code.textContent()).trim(), claims[0].code);
    assert.equal(posts.length, 2);
    assert.equal(posts[0], posts[1], 'same Idempotency-Key on the retry');
    await textIs(w.balance, '1,600');
  });

  test('a refund returns the points', async () => {
    const cust = await ctx.customer('1003', 1000);
    const claim = await cust.api('POST', '/api/v1/claims', { points: 600 });
    const page = await openWidget(ctx, cust);
    const w = widget(page);
    await textIs(w.balance, '400');
    await page.getByRole('button', { name: `Cancel code ${claim.code} and get the points back` }).click();
    // The confirmation takes the focus, so the keyboard alone can finish.
    await page.getByRole('button', { name: 'Yes, cancel code' }).waitFor();
    assert.equal(await page.evaluate(() => document.querySelector('loyalty-wallet').shadowRoot.activeElement?.textContent), 'Yes, cancel code');
    await page.keyboard.press('Enter');
    await textIs(w.balance, '1,000');
    await textMatches(page.locator(`loyalty-wallet li[data-claim="${claim.id}"] .badge`), /Cancelled/);
    const { claims } = await cust.api('GET', '/api/v1/claims');
    assert.equal(claims[0].status, 'refunded');
    assert.equal((await cust.api('GET', '/api/v1/wallet')).points_balance, 1000);
  });

  test('below the minimum shows the message and sends no claim', async () => {
    const cust = await ctx.customer('1004', 1000);
    const page = await openWidget(ctx, cust);
    const posts = watchClaims(page), w = widget(page);
    await w.input.fill('50');
    await textMatches(w.msg, /minimum is 100 points/);
    await w.create.click();
    await w.input.press('Enter');
    await page.waitForTimeout(500);
    assert.equal(posts.length, 0, 'no claim request sent');
    await textMatches(w.msg, /minimum is 100 points/);
    assert.equal((await cust.api('GET', '/api/v1/claims')).claims.length, 0);
  });

  test('merchant changes the ratio in admin and the widget preview follows', async () => {
    const cust = await ctx.customer('1005', 1000);
    const page = await openWidget(ctx, cust);
    const w = widget(page);
    await w.input.fill('500');
    await textIs(w.value, '$5.00');
    const admin = await ctx.b.open(ctx.url('admin.html', ctx.adminToken, '#online'), { name: 'admin (ratio)' });
    const ppu = admin.locator('#online-points_per_unit');
    await ppu.fill('50');
    await textMatches(admin.locator('#panel-online .examples'), /500\s*\$10\.00/);
    await admin.locator('#panel-online button[type=submit]').click();
    await textMatches(admin.locator('#panel-online .status'), /Saved/);
    assert.equal((await ctx.admin('GET', '/api/v1/admin/programs/online')).points_per_unit.replace(/\.0+$/, ''), '50');
    await w.input.fill('600');
    await textIs(w.value, '$12.00');
    await w.input.fill('500');
    await textIs(w.value, '$10.00');
    await ctx.admin('PUT', '/api/v1/admin/programs/online', program());
  });
}
