// The theme block as a storefront shows it: extensions/loyalty-widget/blocks/wallet.liquid
// with its few Liquid expressions filled in as Shopify fills them, on a store
// origin; the extension's assets (the esbuild bundle of scripts/build-extension.sh)
// from a CDN origin, as Shopify serves an extension's assets; /apps/loyalty/session
// answered by the service's real /proxy/session with a query signed as Shopify
// signs it. The widget must find its API (api_base), its stylesheet, its
// message tables and its on-demand "Your offers" module in the bundle alone:
// nothing may load from the service's /widget/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac } from 'node:crypto';
import { SHOP } from '../lib/server.mjs';
import { textIs, eventually } from '../lib/helpers.mjs';
import { SECRET } from './session.mjs';

const EXTENSION = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'extensions', 'loyalty-widget');
const STORE = `https://${SHOP}`;
const CDN = 'https://cdn.shopify.com/extensions/0193c2a4-7d1e-7c3a-9f51-loyalty00001/1.0.0/assets';
const TYPES = { js: 'text/javascript', css: 'text/css' };

function signedQuery(customer) {
  const q = { shop: SHOP, logged_in_customer_id: customer, path_prefix: '/apps/loyalty', timestamp: String(Math.floor(Date.now() / 1000)) };
  const message = Object.keys(q).sort().map((k) => `${k}=${q[k]}`).join('');
  return new URLSearchParams({ ...q, signature: createHmac('sha256', SECRET).update(message).digest('hex') }).toString();
}

const dig = (table, key) => key.split('.').reduce((t, k) => t?.[k], table);

// The block's markup as Shopify renders it with the schema's default settings.
// Only the Liquid the block uses is known here: anything else fails the test.
export function renderBlock(lang = 'en') {
  const liquid = readFileSync(join(EXTENSION, 'blocks', 'wallet.liquid'), 'utf8');
  const schema = JSON.parse(liquid.match(/{%\s*schema\s*%}([\s\S]*?){%\s*endschema\s*%}/)[1]);
  const settings = Object.fromEntries(schema.settings.map((s) => [s.id, s.default]));
  const strings = JSON.parse(readFileSync(join(EXTENSION, 'locales', 'en.default.json'), 'utf8'));
  const values = {
    'block.shopify_attributes': 'data-shopify-editor-block="{}"',
    'block.settings.heading | escape': settings.heading,
    'block.settings.accent_color': settings.accent_color,
    'routes.account_login_url': '/account/login',
  };
  const html = liquid
    .replace(/{%\s*comment\s*%}[\s\S]*?{%\s*endcomment\s*%}/g, '')
    .replace(/{%\s*schema\s*%}[\s\S]*?{%\s*endschema\s*%}/g, '')
    .replace(/{%-?\s*if block\.settings\.heading != blank\s*-?%}|{%-?\s*endif\s*-?%}/g, '')
    .replace(/{{-?\s*'([^']+)'\s*\|\s*asset_url\s*-?}}/g, (_, file) => `${CDN}/${file}`)
    .replace(/{{-?\s*'([^']+)'\s*\|\s*t\s*-?}}/g, (_, key) => dig(strings, key) ?? `translation missing: ${key}`)
    .replace(/{{-?\s*(.+?)\s*-?}}/g, (_, expr) => {
      if (!(expr in values)) throw new Error(`the test cannot render {{ ${expr} }}`);
      return values[expr];
    });
  assert.doesNotMatch(html, /{[{%]/, 'every Liquid tag of the block is rendered');
  return `<!doctype html><html lang="${lang}"><meta charset="utf-8"><title>Shop</title><body>${html}</body></html>`;
}

async function storefront(ctx, customer, lang) {
  const base = ctx.server.base;
  const context = await ctx.b.browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
  // The service listens on loopback here (a real app host is public): Chromium
  // asks before a page it cannot place calls a loopback address, so grant it.
  await context.grantPermissions(['local-network-access'], { origin: STORE });
  const page = await context.newPage();
  const problems = [], requests = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('request', (r) => requests.push(r.url()));
  await page.route(`${STORE}/`, (route) => route.fulfill({ contentType: 'text/html', body: renderBlock(lang) }));
  await page.route(`${STORE}/apps/loyalty/session`, async (route) => {
    const res = await fetch(`${base}/proxy/session?${signedQuery(customer)}`);
    await route.fulfill({ status: res.status, contentType: 'application/json', body: await res.text() });
  });
  // Shopify's CDN answers module requests with CORS (a module script from another origin needs it).
  await page.route(`${CDN}/*`, (route) => {
    const file = new URL(route.request().url()).pathname.split('/').pop();
    let body;
    try { body = readFileSync(join(EXTENSION, 'assets', file)); } catch { return route.fulfill({ status: 404, body: 'no such asset' }); }
    return route.fulfill({ body, contentType: TYPES[file.split('.').pop()] || 'application/octet-stream',
      headers: { 'Access-Control-Allow-Origin': '*' } });
  });
  await page.goto(`${STORE}/`);
  return { page, problems, requests, base, close: () => context.close() };
}

async function customerWithOffer(ctx, id) {
  await ctx.admin('POST', '/api/v1/admin/campaigns', { name: `Theme block ${id}`, enabled: true,
    trigger: { kind: 'custom', event: `block_${id}` }, discount: { kind: 'percentage', value: '20' },
    code: { template: 'BLOCK-{RANDOM}', random_length: 8 }, expires_after_hours: 48 });
  const cust = await ctx.customer(id, 1500);
  await ctx.admin('POST', '/api/v1/admin/events', { customer_id: id, kind: 'custom', name: `block_${id}` });
  await eventually(async () => {
    const { offers } = await cust.api('GET', '/api/v1/offers');
    assert.equal(offers.filter((o) => o.status === 'active').length, 1, JSON.stringify(offers));
  }, 15_000);
  return cust;
}

export function extensionTests(ctx) {
  test('theme block: the bundled widget alone shows the wallet, its offers and its styles, with the API from the proxy session', async () => {
    await customerWithOffer(ctx, '5601');
    const s = await storefront(ctx, '5601', 'en');
    try {
      const w = s.page.locator('loyalty-wallet');
      await textIs(w.locator('.balance'), '1,500');
      await textIs(w.locator('section.offers h2'), 'Your offers');
      await textIs(w.locator('section.offers .gives'), '20% off');
      await textIs(s.page.locator('.loyalty-wallet-block__heading'), 'Your points');
      const sheet = await w.evaluate((el) => el.shadowRoot.querySelector('link[rel=stylesheet]').href);
      assert.equal(sheet, `${CDN}/loyalty-wallet.css`, 'the stylesheet comes from beside the module');
      // The stylesheet applied, with the block's accent colour (#1a73e8).
      const look = await w.locator('button.primary').evaluate((b) => getComputedStyle(b).backgroundColor);
      assert.equal(look, 'rgb(26, 115, 232)');
      const fromCdn = s.requests.filter((u) => u.startsWith(CDN)).map((u) => u.slice(CDN.length + 1)).sort();
      assert.deepEqual(fromCdn, ['loyalty-wallet.css', 'loyalty-wallet.js'], 'one module, one stylesheet');
      assert.deepEqual(s.requests.filter((u) => u.includes('/widget/')), [], 'nothing from the service\'s /widget/');
      assert.ok(s.requests.some((u) => u.startsWith(`${s.base}/api/v1/wallet`)), 'the API at api_base');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });

  test('theme block: a German storefront gets the German table from the bundle', async () => {
    await customerWithOffer(ctx, '5602');
    const s = await storefront(ctx, '5602', 'de');
    try {
      const w = s.page.locator('loyalty-wallet');
      await textIs(w.locator('.head h2'), 'Ihre Punkte');
      await textIs(w.locator('section.offers h2'), 'Ihre Angebote');
      assert.deepEqual(s.problems, []);
    } finally {
      await s.close();
    }
  });
}
