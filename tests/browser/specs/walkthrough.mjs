// Issue 13: what a shopper saw in a browser walk-through, item by item.
// Each test also saves screenshots (artifacts/issue13/) at 1280, 375 and 320 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { textIs, textMatches, eventually, program } from '../lib/helpers.mjs';
import { widget, openWidget } from './widget.mjs';
import { overflow } from './screens.mjs';

export const SIZES = [1280, 375, 320];

// Saves one screenshot per width of the same view (the page is resized).
export async function shoot(page, dir, name) {
  mkdirSync(dir, { recursive: true });
  for (const width of SIZES) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
    assert.equal(await overflow(page), 0, `${name} scrolls sideways at ${width} px`);
  }
}

// The shadow root's focused element, described.
const focused = (page) => page.evaluate(() => {
  const a = document.querySelector('loyalty-wallet').shadowRoot.activeElement;
  return a ? `${a.tagName.toLowerCase()}.${a.className}` : 'none';
});

function watch(page, path) {
  const seen = [];
  page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname === path) seen.push(r.method() + u.search); });
  return seen;
}

export function walkthroughTests(ctx, dir) {
  test('13.1 below the minimum: progress to the first reward, the earn rate, no error, no button', async () => {
    await ctx.admin('PUT', '/api/v1/admin/shop', { currency: 'USD', earn_points_per_unit: '2' });
    const cust = await ctx.customer('4101', 40);
    const page = await openWidget(ctx, cust);
    const lw = (s) => page.locator(`loyalty-wallet ${s}`);
    await textIs(lw('.goal'), '60 more points to your first reward.');
    assert.equal(await lw('progress').getAttribute('value'), '40');
    assert.equal(await lw('progress').getAttribute('max'), '100');
    await textMatches(lw('.earn'), /2 points per \$1\.00/);
    await textMatches(lw('.progress'), /At 100 points .*\$1\.00 off/);
    assert.equal(await lw('form').isVisible(), false, 'no form, no button');
    assert.equal(await lw('.notice').isVisible(), false, 'no error');
    assert.equal(await lw('s, del, [data-invalid]').count(), 0, 'nothing struck through');
    await shoot(page, dir, 'widget-below-minimum');
    await ctx.admin('PUT', '/api/v1/admin/shop', { currency: 'USD', earn_points_per_unit: '1' });
  });

  test('13.2 typing 0 is refused locally, in our words, with aria-invalid and no request', async () => {
    const cust = await ctx.customer('4102', 3000);
    const page = await openWidget(ctx, cust);
    const w = widget(page), quotes = watch(page, '/api/v1/quote');
    await w.input.fill('500');
    await textIs(w.value, '$5.00');
    await w.input.fill('0');
    await textIs(w.msg, 'Enter a whole number of points.');
    await textIs(w.value, '–');
    assert.equal(await w.value.getAttribute('data-invalid'), null, 'no struck-through old value');
    assert.equal(await w.input.getAttribute('aria-invalid'), '');
    await page.waitForTimeout(400);
    assert.ok(!quotes.some((q) => q.includes('points=0')), `no quote for 0: ${quotes}`);
    await w.input.fill('5000');
    await textMatches(w.msg, /^You have 3,000 points/);
    await w.input.fill('700');
    await textIs(w.value, '$7.00');
    assert.equal(await w.input.getAttribute('aria-invalid'), null);
    await textIs(w.msg, '');
  });

  test('13.3 + 13.4 after a code the form resets, Enter makes no second code, focus lands on the code', async () => {
    const cust = await ctx.customer('4103', 3000);
    const page = await openWidget(ctx, cust);
    const w = widget(page), posts = watch(page, '/api/v1/claims');
    await w.input.fill('500');
    await textIs(w.value, '$5.00');
    await w.input.press('Enter');
    await textMatches(w.code, /\S{4,}/);
    await eventually(async () => assert.equal(await focused(page), 'section.result'));
    assert.equal(await w.input.inputValue(), '', 'amount cleared');
    await w.input.focus();
    await w.input.press('Enter');
    await page.waitForTimeout(400);
    assert.equal(posts.filter((p) => p.startsWith('POST')).length, 1, 'one code only');
    await textIs(w.msg, 'Enter a whole number of points.');
    assert.equal((await cust.api('GET', '/api/v1/claims')).claims.length, 1);
    const levels = await page.evaluate(() => [...document.querySelectorAll('h1,h2,h3,h4'),
      ...document.querySelector('loyalty-wallet').shadowRoot.querySelectorAll('h1,h2,h3,h4')].map((e) => Number(e.tagName[1])));
    assert.deepEqual(levels.filter((l) => l > 2), [], `headings h1 then h2 only: ${levels}`);
    await shoot(page, dir, 'widget-new-code');
  });

  test('13.4 focus stays put while creating and goes to the list after a cancel', async () => {
    const cust = await ctx.customer('4104', 3000);
    const claim = await cust.api('POST', '/api/v1/claims', { points: 600 });
    const page = await openWidget(ctx, cust);
    await page.route('**/api/v1/claims', async (route) => { await new Promise((r) => setTimeout(r, 600)); await route.continue(); });
    const w = widget(page);
    await w.input.fill('300');
    await textIs(w.value, '$3.00');
    await w.create.click();
    await textIs(w.create, 'Creating…');
    assert.equal(await focused(page), 'button.primary', 'focus stays on the working button');
    await textMatches(w.code, /\S{4,}/);
    await page.getByRole('button', { name: `Cancel code ${claim.code} and get the points back` }).click();
    await page.getByRole('button', { name: 'Yes, cancel code' }).click();
    await textIs(w.balance, '2,700');
    await eventually(async () => assert.equal(await focused(page), 'ul.list'));
  });

  test('13.5 the slider is a large target and steps by 0.50 worth of points', async () => {
    const cust = await ctx.customer('4105', 5000);
    const page = await openWidget(ctx, cust, { width: 375 });
    const w = widget(page), range = page.locator('loyalty-wallet input[type=range]');
    await textIs(w.value, '$1.00');
    const box = await range.boundingBox();
    assert.ok(box.height >= 24, `slider ${box.height} px tall`);
    await range.focus();
    await range.press('ArrowRight');
    assert.equal(await w.input.inputValue(), '150');
    await range.press('ArrowRight');
    assert.equal(await w.input.inputValue(), '200');
    await textIs(w.value, '$2.00');
  });

  test('13.6 copying: a visible change, copy buttons in the list, codes shown as they are', async () => {
    const cust = await ctx.customer('4106', 3000);
    const old = await cust.api('POST', '/api/v1/claims', { points: 200 });
    const page = await openWidget(ctx, cust);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ctx.server.base });
    const w = widget(page);
    await w.input.fill('400');
    await textIs(w.value, '$4.00');
    await w.create.click();
    await textMatches(w.code, /\S{4,}/);
    const code = (await w.code.textContent()).trim();
    assert.equal(await w.code.textContent(), code, 'the code as it is (issue 30.1: no groups)');
    const copy = page.locator('loyalty-wallet .result button.copy');
    await copy.click();
    await textIs(copy, 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code, 'the plain code, no spaces');
    // A phone that refuses the clipboard: the code is selected and the button says so.
    await page.evaluate(() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); });
    const listCopy = page.getByRole('button', { name: `Copy code ${old.code}` });
    await listCopy.click();
    await textIs(listCopy, 'Selected: tap Copy');
    assert.equal(await page.evaluate(() => getSelection().toString().replace(/\s/g, '')), old.code, 'the code is selected');
    await shoot(page, dir, 'widget-copy');
  });

  test('13.7 the new code states its rules; cancelled codes move to a collapsed Past codes list', async () => {
    await ctx.admin('PUT', '/api/v1/admin/programs/online', program({ code_lifetime_hours: 48,
      combines_with: { order: false, product: true, shipping: true } }));
    const cust = await ctx.customer('4107', 3000);
    const page = await openWidget(ctx, cust);
    const w = widget(page);
    await w.input.fill('500');
    await textIs(w.value, '$5.00');
    await w.create.click();
    await textMatches(w.code, /\S{4,}/);
    const result = page.locator('loyalty-wallet .result');
    await textMatches(result, /Valid until /);
    await textMatches(result, /For a one-time purchase\./);
    await textMatches(result, /Can be combined with product and shipping discounts\./);
    const code = (await w.code.textContent()).trim();
    await page.getByRole('button', { name: `Cancel code ${code} and get the points back` }).click();
    await page.getByRole('button', { name: 'Yes, cancel code' }).click();
    await textIs(w.balance, '3,000');
    await textIs(page.locator('loyalty-wallet .past summary'), 'Past codes (1)');
    assert.equal(await page.locator('loyalty-wallet .past').getAttribute('open'), null, 'collapsed');
    await textMatches(page.locator('loyalty-wallet .past li'), new RegExp(`${code}[\\s\\S]*Cancelled`));
    await textIs(page.locator('loyalty-wallet ul.list').first(), 'No open codes.');
    assert.equal(await page.getByRole('button', { name: /refund/i }).count(), 0, 'no merchant word');
    await page.locator('loyalty-wallet .past summary').click();
    await shoot(page, dir, 'widget-past-codes');
    await ctx.admin('PUT', '/api/v1/admin/programs/online', program());
  });

  test('13.8 expired and invalid tokens: two different messages, one clean state', async () => {
    const expired = ctx.server.mint('customer', '4108', null, -600);
    const page = await ctx.b.open(ctx.url('index.html', expired), { name: 'widget (expired)' });
    const notice = page.locator('loyalty-wallet .notice');
    await textMatches(notice, /session has ended/);
    assert.equal(await page.locator('loyalty-wallet .shell').isVisible(), false, 'no empty shell');
    assert.doesNotMatch(await notice.textContent(), /reload/i);
    await shoot(page, dir, 'widget-expired');
    const bad = await ctx.b.open(ctx.url('index.html', 'not-a-token'), { name: 'widget (invalid)' });
    await textMatches(bad.locator('loyalty-wallet .notice'), /couldn’t confirm your account/);
    assert.equal(await bad.locator('loyalty-wallet .shell').isVisible(), false);
    // Signed by someone else: the server refuses it; same clean state.
    const forged = ctx.server.mint('customer', '4108').replace(/\.[^.]+$/, '.AAAA');
    const f = await ctx.b.open(ctx.url('index.html', forged), { name: 'widget (forged)', allow: [/401/] });
    await textMatches(f.locator('loyalty-wallet .notice'), /couldn’t confirm your account/);
    assert.equal(await f.locator('loyalty-wallet .shell').isVisible(), false);
  });

  test('13.21 landing page, HTML error pages, /widget redirect', async () => {
    const page = await ctx.b.open(`${ctx.server.base}/`, { name: 'landing' });
    await textIs(page.locator('h1'), 'Loyalty wallet');
    await shoot(page, dir, 'landing');
    const missing = await ctx.b.open(`${ctx.server.base}/nope`, { name: 'not found page', allow: [/404/] });
    await textIs(missing.locator('h1'), '404 Not Found');
    await missing.getByRole('link', { name: 'Start page' }).click();
    await textIs(missing.locator('h1'), 'Loyalty wallet');
    await shoot(missing, dir, 'not-found');
    const slash = await ctx.b.open(`${ctx.server.base}/widget`, { name: 'widget no slash' });
    assert.equal(new URL(slash.url()).pathname, '/widget/');
    await textIs(slash.locator('h1'), 'Your rewards');
    const api = await fetch(`${ctx.server.base}/nope`, { headers: { Accept: 'application/json' } });
    assert.equal((await api.json()).error.code, 'not_found');
    const head = await fetch(`${ctx.server.base}/widget/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
}

export function localeTests(ctx, dir) {
  test('13.9 lang="de" uses the German table; numbers and money follow the shop locale; messages override', async () => {
    await ctx.admin('PUT', '/api/v1/admin/shop', { currency: 'EUR', earn_points_per_unit: '1', locale: 'de-DE' });
    try {
      const cust = await ctx.customer('4109', 5400);
      const page = await ctx.b.open(ctx.url('index.html', cust.token, '') + '&lang=de', { name: 'widget (de)' });
      const w = { ...widget(page), input: page.getByLabel('Einzulösende Punkte', { exact: true }) };
      await textIs(w.balance, '5.400');
      await textIs(page.locator('loyalty-wallet .head h2'), 'Ihre Punkte');
      await w.input.fill('2500');
      await textMatches(w.value, /^25,00\s€$/);
      await textIs(page.locator('loyalty-wallet #limits'), '100 bis 5.400 Punkte einlösen.');
      await w.input.fill('0');
      await textIs(w.msg, 'Geben Sie eine ganze Zahl an Punkten ein.');
      await shoot(page, dir, 'widget-de');
      const custom = await ctx.b.open(ctx.url('index.html', cust.token, '') + `&messages=${encodeURIComponent('{"create":"Get my code"}')}`, { name: 'widget (messages)' });
      await textIs(widget(custom).create, 'Get my code');
      await textIs(custom.locator('loyalty-wallet .head h2'), 'Your points');
    } finally {
      await ctx.admin('PUT', '/api/v1/admin/shop', { currency: 'USD', earn_points_per_unit: '1', locale: 'en-US' });
    }
  });
}
