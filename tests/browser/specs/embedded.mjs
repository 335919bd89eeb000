// The admin inside Shopify admin (issue 26 point 1–2, issue 30 points 12
// and 19). A server of its own runs in embedded mode with a client secret
// unlike the app secret, its Shopify calls going to lib/shopify-stub.mjs;
// Chromium gets lib/app-bridge-stub.js in place of Shopify's CDN script and
// opens the page exactly as Shopify does (no token; embedded, host, shop,
// id_token …). Outside Shopify the same page runs on the suite's server.
import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startServer } from '../lib/server.mjs';
import { startShopifyStub, signJwt, verifyJwt } from '../lib/shopify-stub.mjs';
import { eventually, textMatches, program } from '../lib/helpers.mjs';

const APP_BRIDGE = 'https://cdn.shopify.com/shopifycloud/app-bridge.js';
const STUB = readFileSync(new URL('../lib/app-bridge-stub.js', import.meta.url), 'utf8');
const CLIENT_ID = 'embedded-tests';
const CLIENT_SECRET = 'embedded-client-secret-not-the-app-secret-0123';
const SHOP = 'embedded-a.myshopify.com';
const OLD_SHOP = 'embedded-old.myshopify.com';
const STRANGER = 'not-installed.myshopify.com';
const SCOPES = 'write_discounts,read_customers,read_orders,write_app_proxy,write_store_credit_account_transactions';
const OLD_SCOPES = 'write_discounts,read_customers,read_orders';
const PPU = '#online-points_per_unit';
// 401s the tests cause on purpose show up as console errors.
const ALLOW_401 = [/status of 401/];

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core's serious and critical WCAG A/AA violations inside `selectors` only
// (the new pieces: save bar, discard dialog, scopes notice).
async function axeWithin(page, selectors) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: AXE });
  const r = await page.evaluate((include) => window.axe.run({ include: include.map((s) => [s]) },
    { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }), selectors);
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`);
}

const payload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

function blockStorage() {
  for (const name of ['sessionStorage', 'localStorage']) {
    Object.defineProperty(window, name, { configurable: true, get() { throw new DOMException(`${name} is blocked`, 'SecurityError'); } });
  }
}

// The URL Shopify admin opens the app at (its parameters, sorted).
function shopifyUrl(base, shop, { idToken, omit = [] } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const token = idToken ?? signJwt({ iss: `https://${shop}/admin`, dest: `https://${shop}`, aud: CLIENT_ID, sub: '74',
    exp: now + 60, nbf: now - 5, iat: now, jti: 'url-token', sid: 'url-session' }, CLIENT_SECRET);
  const q = { embedded: '1', hmac: 'not-checked', host: Buffer.from(`admin.shopify.com/store/${shop.split('.')[0]}`).toString('base64url'),
    id_token: token, locale: 'en', session: 'abc', shop, timestamp: String(now) };
  for (const k of omit) delete q[k];
  return `${base}/widget/admin.html?${new URLSearchParams(q)}`;
}

export function embeddedTests(ctx) {
  describe('embedded admin (App Bridge, session tokens, scopes)', () => {
    const e = {};
    before(async () => {
      e.stub = await startShopifyStub({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, shops: { [SHOP]: SCOPES, [OLD_SHOP]: OLD_SCOPES } });
      e.server = await startServer({ env: { LOYALTY_CLIENT_ID: CLIENT_ID, LOYALTY_CLIENT_SECRET: CLIENT_SECRET, LOYALTY_SHOPIFY_EMBEDDED: '1',
        LOYALTY_SHOPIFY_BASE_URL: e.stub.base, LOYALTY_ALLOW_LOOPBACK_URLS: '1' } });
    });
    after(async () => { await e.server?.stop(); await e.stub?.stop(); });

    // A fresh browser context as Shopify's iframe would be, with every
    // backend call recorded (path, status, Authorization, retry header, body).
    async function open(url, { expiredFirst = false, tokenShop, storage = true, allow = [], name = 'embedded' } = {}) {
      const context = await ctx.b.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
      await context.route(APP_BRIDGE, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: STUB }));
      await context.addInitScript((cfg) => { window.__appBridgeTest = cfg; }, { clientSecret: CLIENT_SECRET, expiredFirst, tokenShop });
      if (!storage) await context.addInitScript(blockStorage);
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('console', (m) => { if (m.type() === 'error' && !allow.some((re) => re.test(m.text()))) ctx.b.problems.push(`${name}: console: ${m.text()}`); });
      page.on('pageerror', (err) => ctx.b.problems.push(`${name}: page error: ${err.message}`));
      const calls = [];
      page.on('response', async (res) => {
        const req = res.request(), path = new URL(req.url()).pathname;
        if (!path.startsWith('/api/')) return;
        const call = { path, url: req.url(), method: req.method(), status: res.status(), auth: req.headers().authorization, retry: res.headers()['x-shopify-retry-invalid-session-request'] };
        calls.push(call);
        if (call.status >= 400) call.body = await res.json().catch(() => null);
      });
      const doc = await page.goto(url);
      return { page, calls, doc, close: () => context.close() };
    }

    const log = (page) => page.evaluate(() => window.__appBridgeLog);
    // Error bodies are read after the response event: wait until all are in.
    const settled = (calls) => eventually(() => calls.forEach((c) => assert.ok(c.status < 400 || 'body' in c, c.path)));
    const programLoaded = (page) => page.locator(PPU).waitFor();

    // Shopify-shaped: verifies under the client secret, iss/dest the shop, aud the client id, sid, no role, ≤ 60 s.
    function assertSessionToken(auth, shop) {
      assert.match(auth || '', /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, 'a bearer JWT');
      const jwt = auth.slice(7), c = payload(jwt);
      verifyJwt(jwt, CLIENT_SECRET);
      assert.equal(c.iss, `https://${shop}/admin`);
      assert.equal(c.dest, `https://${shop}`);
      assert.equal(c.aud, CLIENT_ID);
      assert.ok(c.sid && c.jti && !('role' in c), JSON.stringify(c));
      assert.ok(c.exp - c.iat <= 60, 'one minute');
      return c;
    }

    test('Shopify opens the admin: App Bridge first, frame-ancestors, token exchange, the program; each call a fresh session token', async () => {
      const { page, calls, doc, close } = await open(shopifyUrl(e.server.base, SHOP));
      try {
        assert.equal(doc.headers()['content-security-policy'], `frame-ancestors https://${SHOP} https://admin.shopify.com`);
        const head = await page.evaluate(() => {
          const s = document.head.querySelector('script');
          return { src: s.src, type: s.type, async: s.async, defer: s.defer, key: document.querySelector('meta[name="shopify-api-key"]')?.content };
        });
        assert.deepEqual(head, { src: APP_BRIDGE, type: '', async: false, defer: false, key: CLIENT_ID }, 'App Bridge is the first script, blocking');
        await programLoaded(page);
        assert.equal(await page.locator('#shop-name').textContent(), SHOP);
        assert.deepEqual(e.stub.stats.exchanges, [SHOP], 'the first open exchanged the session token once');
        await page.getByRole('tab', { name: 'Customers' }).click();
        await page.locator('#cust-q').waitFor();
        await eventually(() => assert.ok(calls.some((c) => c.path === '/api/v1/admin/customers')));
        // The CSV export: fetched with a fresh session token in the header, saved as a file.
        const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#export-customers').click()]);
        assert.equal(file.suggestedFilename(), 'customers.csv');
        assert.ok(calls.some((c) => c.path === '/api/v1/admin/export/customers.csv'), 'the export went through the API with the header');
        assert.ok(!calls.some((c) => /token=/.test(c.url)), 'no token in any URL');
        assert.ok(calls.length >= 3, JSON.stringify(calls));
        const jtis = calls.map((c) => { assert.equal(c.status, 200, c.path); return assertSessionToken(c.auth, SHOP).jti; });
        assert.equal(new Set(jtis).size, jtis.length, 'a fresh token for every call');
        assert.ok((await log(page)).tokens.length >= calls.length);
        const nav = await page.locator('ui-nav-menu a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('rel'), a.textContent]));
        assert.deepEqual(nav[0], ['/widget/admin.html', 'home', 'Loyalty wallet']);
        assert.ok(nav.some(([href, , text]) => href === '/widget/admin.html#customers' && text === 'Customers'), JSON.stringify(nav));
        assert.equal(await page.locator('ui-title-bar').getAttribute('title'), 'Customers');
        assert.equal(await page.locator('header.bar').isVisible(), false, 'Shopify shows the title; the page does not repeat it');
        await page.evaluate(() => { location.hash = '#shop'; });
        await page.locator('#shop-currency').waitFor();
        assert.equal(await page.locator('#scopes-notice').count(), 0, 'every scope granted: no notice');
      } finally { await close(); }
    });

    test('a program save inside Shopify admin: the save bar (discard asks first), a toast, and it survives a reload', async () => {
      const url = shopifyUrl(e.server.base, SHOP);
      const { page, close } = await open(url);
      try {
        await programLoaded(page);
        const before = await page.locator(PPU).inputValue();
        await page.locator(PPU).fill('250');
        await page.locator('#stub-save-bar').waitFor();
        assert.deepEqual((await log(page)).saveBar.at(-1), ['show', 'lw-save-bar']);
        await page.getByRole('button', { name: 'Stub discard' }).click();
        await page.getByRole('button', { name: 'Stub confirm discard' }).click();
        assert.equal(await page.locator(PPU).inputValue(), before, 'discard put the saved value back');
        assert.equal(await page.locator('#stub-save-bar').count(), 0);
        await page.locator(PPU).fill('250');
        await page.getByRole('button', { name: 'Stub save' }).click();
        await textMatches(page.locator('#panel-online .status[role=status]'), /^Saved\. Version \d+/);
        assert.deepEqual((await log(page)).toasts.at(-1), { message: 'Online program saved', isError: false });
        assert.equal(await page.locator('#stub-save-bar').count(), 0, 'saved: the bar goes');
        await page.goto(url);
        await programLoaded(page);
        assert.equal(await page.locator(PPU).inputValue(), '250', 'the save survives a reload');
        const admin = e.server.api(e.server.mint('admin', 'check', null, null, SHOP));
        assert.equal((await admin('GET', '/api/v1/admin/programs/online')).points_per_unit, '250');
      } finally { await close(); }
    });

    test('an expired id_token and an expired first session token: one 401 with the retry header, then the page recovers', async () => {
      const now = Math.floor(Date.now() / 1000);
      const stale = signJwt({ iss: `https://${SHOP}/admin`, dest: `https://${SHOP}`, aud: CLIENT_ID, sub: '74', exp: now - 600, nbf: now - 700, iat: now - 660, jti: 'old', sid: 's' }, CLIENT_SECRET);
      const { page, calls, close } = await open(shopifyUrl(e.server.base, SHOP, { idToken: stale }), { expiredFirst: true, allow: ALLOW_401 });
      try {
        await programLoaded(page);
        await settled(calls);
        const refused = calls.filter((c) => c.status === 401);
        assert.equal(refused.length, 1, JSON.stringify(calls));
        assert.equal(refused[0].retry, '1');
        assert.equal(refused[0].body?.error?.code, 'unauthorized', JSON.stringify(refused[0].body));
        assert.ok(calls.filter((c) => c.status !== 401).every((c) => c.status === 200));
      } finally { await close(); }
    });

    test('a session token for a shop without the app: 401 envelope, one retry, then a clear message and no data', async () => {
      const { page, calls, close } = await open(shopifyUrl(e.server.base, SHOP), { tokenShop: STRANGER, allow: ALLOW_401 });
      try {
        await page.getByRole('heading', { name: 'Shopify’s sign-in was not accepted' }).waitFor();
        await textMatches(page.locator('[role=alert]'), /not installed on not-installed\.myshopify\.com/);
        await settled(calls);
        assert.equal(calls.length, 2, 'the first try and one retry with a fresh token');
        for (const c of calls) {
          assert.deepEqual([c.path, c.status, c.retry, c.body?.error?.code], ['/api/v1/admin/shop', 401, '1', 'unauthorized']);
          assertSessionToken(c.auth, STRANGER);
        }
        assert.notEqual(calls[0].auth, calls[1].auth);
        assert.equal(await page.getByRole('tablist').count(), 0, 'no data shown');
        assert.ok(e.stub.stats.refused.length >= 1);
      } finally { await close(); }
    });

    test('third-party storage blocked: the embedded page and a ?token= page both work', async () => {
      const embedded = await open(shopifyUrl(e.server.base, SHOP), { storage: false, name: 'embedded, storage blocked' });
      try { await programLoaded(embedded.page); } finally { await embedded.close(); }
      const token = e.server.mint('admin', 'staff-7', null, null, SHOP);
      const plain = await open(`${e.server.base}/widget/admin.html?token=${token}`, { storage: false, name: 'token, storage blocked' });
      try {
        await programLoaded(plain.page);
        assert.ok(!plain.page.url().includes('token='), 'the token left the address bar');
      } finally { await plain.close(); }
    });

    test('Shopify parameters without shop or host: a page that says how to open the app', async () => {
      for (const omit of [['shop'], ['host']]) {
        const { page, doc, close } = await open(shopifyUrl(e.server.base, SHOP, { omit }), { allow: [/status of 400/] });
        try {
          assert.equal(doc.status(), 400);
          await page.getByRole('heading', { name: 'Open the app from Shopify admin' }).waitFor();
          await textMatches(page.locator('body'), new RegExp(`not ${omit[0] === 'shop' ? 'a valid shop' : 'host'}`));
        } finally { await close(); }
      }
    });

    test('a shop installed with fewer scopes is told, with a re-authorize link to Shopify’s consent for the new scopes', async () => {
      const { page, close } = await open(shopifyUrl(e.server.base, OLD_SHOP));
      try {
        await programLoaded(page);
        const notice = page.locator('#scopes-notice');
        await textMatches(notice, /has not granted the app write_app_proxy, write_store_credit_account_transactions/);
        assert.deepEqual(await axeWithin(page, ['#scopes-notice']), []);
      const link = page.locator('#reauthorize');
        assert.equal(await link.getAttribute('target'), '_top', 'Shopify’s consent screen cannot open in a frame');
        const res = await fetch(await link.getAttribute('href'), { redirect: 'manual' });
        assert.equal(res.status, 302);
        const to = new URL(res.headers.get('location'));
        assert.equal(`${to.origin}${to.pathname}`, `${e.stub.base}/admin/oauth/authorize`);
        assert.equal(to.searchParams.get('scope'), SCOPES);
        assert.equal(to.searchParams.get('client_id'), CLIENT_ID);
      } finally { await close(); }
    });

    test('first load in Chromium: LCP ≤ 2.5 s and CLS ≤ 0.1 (performance entries, loopback)', async () => {
      const { page, close } = await open(shopifyUrl(e.server.base, SHOP));
      try {
        await programLoaded(page);
        const m = await page.evaluate(() => new Promise((resolve) => {
          let lcp = 0, cls = 0;
          new PerformanceObserver((l) => { for (const x of l.getEntries()) lcp = Math.max(lcp, x.renderTime || x.loadTime || x.startTime); })
            .observe({ type: 'largest-contentful-paint', buffered: true });
          new PerformanceObserver((l) => { for (const x of l.getEntries()) if (!x.hadRecentInput) cls += x.value; })
            .observe({ type: 'layout-shift', buffered: true });
          setTimeout(() => resolve({ lcp, cls }), 1000);
        }));
        console.log(`embedded admin first load: LCP ${m.lcp.toFixed(0)} ms, CLS ${m.cls.toFixed(4)}`);
        assert.ok(m.lcp > 0 && m.lcp <= 2500, `LCP ${m.lcp}`);
        assert.ok(m.cls <= 0.1, `CLS ${m.cls}`);
      } finally { await close(); }
    });

    test('a bookmarked admin without a token: outside development, how to open it from Shopify admin', async () => {
      const { page, close } = await open(`${e.server.base}/widget/admin.html`);
      try {
        await page.getByRole('heading', { name: 'Open the admin from your store' }).waitFor();
        await textMatches(page.locator('#app'), /Open the app from your Shopify admin: Apps → Loyalty Wallet/);
        assert.equal(await page.getByRole('link', { name: 'Open the start page' }).count(), 0);
      } finally { await close(); }
    });
  });

  test('a bookmarked admin without a token in development mode points to the start page', async () => {
    const dev = await startServer({ env: { LOYALTY_APP_SECRET: null } });
    try {
      const page = await ctx.b.open(`${dev.base}/widget/admin.html`, { name: 'dev bookmark' });
      await page.getByRole('heading', { name: 'Open the admin from your store' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Open the start page' }).getAttribute('href'), '/');
      await page.context().close();
    } finally { await dev.stop(); }
  });

  test('outside Shopify: unsaved program edits show a save bar; Discard asks and restores; Save saves', async () => {
    const page = await ctx.b.open(ctx.url('admin.html', ctx.adminToken), { name: 'save bar' });
    try {
      await page.locator(PPU).waitFor();
      const before = await page.locator(PPU).inputValue();
      const bar = page.locator('#savebar');
      assert.equal(await bar.isVisible(), false);
      await page.locator(PPU).fill('150');
      await bar.waitFor();
      assert.deepEqual(await axeWithin(page, ['#savebar']), []);
      await bar.getByRole('button', { name: 'Discard' }).click();
      const dialog = page.locator('#discard-confirm');
      await dialog.getByRole('heading', { name: 'Discard unsaved changes?' }).waitFor();
      assert.deepEqual(await axeWithin(page, ['#discard-confirm']), []);
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Keep editing', 'the safe choice has focus');
      await dialog.getByRole('button', { name: 'Keep editing' }).click();
      assert.equal(await page.locator(PPU).inputValue(), '150', 'kept');
      await bar.getByRole('button', { name: 'Discard' }).click();
      await dialog.getByRole('button', { name: 'Discard changes' }).click();
      assert.equal(await page.locator(PPU).inputValue(), before, 'restored');
      await eventually(async () => assert.equal(await bar.isVisible(), false));
      await page.locator(PPU).fill('150');
      await bar.getByRole('button', { name: 'Save' }).click();
      await textMatches(page.locator('#panel-online .status[role=status]'), /^Saved\. Version \d+/);
      await eventually(async () => assert.equal(await bar.isVisible(), false));
      assert.equal((await ctx.admin('GET', '/api/v1/admin/programs/online')).points_per_unit, '150');
    } finally {
      await ctx.admin('PUT', '/api/v1/admin/programs/online', program());
      await page.context().close();
    }
  });

  test('outside Shopify on a phone (390 px): the save bar fits and its buttons are 44 px tap targets', async () => {
    const page = await ctx.b.open(ctx.url('admin.html', ctx.adminToken), { name: 'save bar phone', width: 390, height: 844 });
    try {
      await page.locator(PPU).fill('120');
      const bar = page.locator('#savebar');
      await bar.waitFor();
      for (const name of ['Discard', 'Save']) {
        const box = await bar.getByRole('button', { name }).boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.height >= 44, `${name}: ${JSON.stringify(box)}`);
      }
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no sideways scrolling');
    } finally { await page.context().close(); }
  });

  test('outside Shopify: New campaign on a half-filled form asks before wiping it; leaving the page warns', async () => {
    const page = await ctx.b.open(ctx.url('admin.html', ctx.adminToken, '#campaigns'), { name: 'campaign guard' });
    await page.getByRole('button', { name: 'New campaign' }).click();
    await page.locator('#cf-name').fill('Half done');
    await page.getByRole('button', { name: 'New campaign' }).click();
    const dialog = page.locator('#discard-confirm');
    await dialog.getByRole('button', { name: 'Keep editing' }).click();
    assert.equal(await page.locator('#cf-name').inputValue(), 'Half done', 'not silently wiped');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await dialog.getByRole('button', { name: 'Keep editing' }).click();
    assert.equal(await page.locator('#cf-name').inputValue(), 'Half done');
    const asked = new Promise((ok) => page.once('dialog', (d) => { ok(d.type()); d.dismiss(); }));
    await page.close({ runBeforeUnload: true });
    assert.equal(await asked, 'beforeunload', 'reloading or leaving with edits warns');
    await page.getByRole('button', { name: 'New campaign' }).click();
    await dialog.getByRole('button', { name: 'Discard changes' }).click();
    assert.equal(await page.locator('#cf-name').inputValue(), '', 'a fresh form after discarding');
    await page.context().close();
  });
}
