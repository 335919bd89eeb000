// Issue 30, the merchant's walk (points 2, 3, 4, 11, 18): customers found by
// name and e-mail (admin and POS), webhook deliveries with retry, every
// incremental figure with its interval, campaign states in plain words, and
// listed customers picked as chips. Each test fails on the screens before
// issue 30. Screenshots at 1280/375/320 go to artifacts/walk3-admin/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { textIs, textMatches, eventually, program } from '../lib/helpers.mjs';
import { startServer } from '../lib/server.mjs';
import { shoot } from './walkthrough.mjs';

const PHONE = { width: 390, height: 844 };
const allow = [/status of (404|409|422)/];
export const openAdmin = (ctx, hash, name, size = {}) => ctx.b.open(ctx.url('admin.html', ctx.adminToken, hash), { name, allow, ...size });
const event = (ctx, customer_id, kind, data = {}, name) => ctx.admin('POST', '/api/v1/admin/events', { customer_id, kind, name, data });

const CAMPAIGN = (over = {}) => ({
  name: 'Walk three', enabled: true, trigger: { kind: 'custom', event: 'walk3', delay_minutes: 0 },
  discount: { kind: 'fixed_amount', value: '10.00', purchase_type: 'one_time', combines_with: { order: false, product: true, shipping: true } },
  code: { template: 'W3-{RANDOM}', random_length: 8 }, expires_after_hours: 48, holdout_percent: 0, ...over,
});

// A port nothing listens on: deliveries to it fail at once ("no answer").
const closedPort = () => new Promise((ok) => {
  const srv = createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => ok(port)); });
});

async function issued(ctx, id, n) {
  return eventually(async () => {
    const r = await ctx.admin('GET', `/api/v1/admin/campaigns/${id}/report`);
    assert.equal(r.issued + r.held_out + Object.values(r.refused).reduce((a, b) => a + b, 0), n);
    return r;
  }, 20000);
}

export function walk3AdminTests(ctx, dir) {
  test('30.2 the Customers tab finds shoppers by first name and e-mail, and opens one known only from events', async () => {
    await event(ctx, '30201', 'customer', { first_name: 'Alex', last_name: 'Walker', email: 'alex.walker@example.com', phone: '+1 555 0101' });
    await event(ctx, '30202', 'custom', {}, 'browsed');
    for (const size of [{}, PHONE]) {
      const page = await openAdmin(ctx, '#customers', `admin (search by name ${size.width || 1280})`, size);
      await page.locator('#cust-q').fill('alex');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('button', { name: 'Alex Walker' }).click();
      await textIs(page.locator('#cust-title'), 'Alex Walker');
      await textMatches(page.locator('#cust-profile'), /alex\.walker@example\.com/);
      await page.locator('#cust-q').fill('ALEX.WALKER@EXAMPLE');
      await page.getByRole('button', { name: 'Search' }).click();
      await textMatches(page.locator('#cust-results tbody'), /Alex Walker/);
      if (!size.width) await shoot(page, dir, 'customer-by-name');
    }
    const page = await openAdmin(ctx, '#customers', 'admin (known from events)');
    await page.locator('#cust-q').fill('30202');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: '30202' }).click();
    await textIs(page.locator('#cust-title'), 'Customer 30202');
    await textIs(page.locator('.detail .balance'), '0');
  });

  test('30.2 the POS finds a shopper by name with the same search', async () => {
    const page = await ctx.b.open(ctx.url('pos.html', ctx.posToken), { name: 'pos (search by name)', ...PHONE });
    await page.getByLabel('Name, e-mail or customer number').fill('Alex W');
    await page.getByRole('button', { name: 'Find' }).click();
    await textMatches(page.locator('#results'), /Alex Walker/);
  });

  test('30.3 the Shop tab lists webhook deliveries, warns when they fail, retries a dead one; the log says WARN', async () => {
    const server = await startServer({ env: { LOYALTY_ALLOW_LOOPBACK_URLS: '1', LOYALTY_NOTIFY_RETRY_WINDOW_SECS: '1', LOYALTY_NOTIFY_RETRY_MAX_MS: '100' } });
    try {
      const token = server.mint('admin', 'staff-1'), admin = server.api(token);
      await admin('PUT', '/api/v1/admin/shop', { notify: { url: `http://127.0.0.1:${await closedPort()}/hook`, secret: 'walk-three-secret-0123456789' } });
      await admin('PUT', '/api/v1/admin/programs/online', program());
      await admin('POST', '/api/v1/admin/customers/30301/adjustments', { points: 1000, reason: 'Welcome' });
      const shopper = server.api(server.mint('customer', '30301'));
      for (const points of [100, 200]) await shopper('POST', '/api/v1/claims', { points });
      await eventually(async () => assert.equal((await admin('GET', '/api/v1/admin/notifications/summary')).dead, 2), 20000);
      assert.match(server.log(), /WARN.*dead-lettered|dead-lettered.*WARN/, 'a dead letter is a WARN line');
      const page = await ctx.b.open(`${server.base}/widget/admin.html?token=${encodeURIComponent(token)}#shop`, { name: 'admin (deliveries)', allow });
      await textMatches(page.locator('#shop-notify-warn'), /Deliveries to your webhook are failing: 2 given up\. Last answer: “no answer”/);
      const rows = page.locator('#dl-list tbody tr');
      await eventually(async () => assert.equal(await rows.count(), 2));
      await textMatches(rows.first(), /claim\.created[\s\S]*Given up\s*[3-9]\s*no answer/);
      await shoot(page, dir, 'deliveries');
      await rows.first().getByRole('button', { name: /Retry/ }).click();
      await textMatches(page.locator('#dl-status'), /queued again/);
      await textMatches(rows.first(), /Waiting|Retrying|Given up/);
      const list = await admin('GET', '/api/v1/admin/notifications?status=pending');
      const dead = await admin('GET', '/api/v1/admin/notifications?status=dead');
      assert.ok(list.notifications.length + dead.notifications.length === 2, 'the retried one went back to the queue');
    } finally {
      await server.stop();
    }
  });

  test('30.4 every incremental figure has its 95 % interval and says when it is not significant; no control group is said', async () => {
    const c = await ctx.admin('POST', '/api/v1/admin/campaigns', CAMPAIGN({ name: 'Holdout half', holdout_percent: 50 }));
    const ids = Array.from({ length: 30 }, (_, i) => `304${String(i).padStart(2, '0')}`);
    for (const id of ids) await event(ctx, id, 'custom', {}, 'walk3');
    await issued(ctx, c.id, 30);
    for (const [i, id] of ids.entries()) {
      if (i % 3 === 0) await event(ctx, id, 'order', { order_id: `o-${id}`, subtotal: `${40 + i}.00` });
    }
    const r = await ctx.admin('GET', `/api/v1/admin/campaigns/${c.id}/report`);
    assert.ok(r.treatment.customers >= 2 && r.control.customers >= 2, JSON.stringify(r));
    assert.equal(r.incremental_revenue_ci95.length, 2, 'the report gives the interval');
    const page = await openAdmin(ctx, '#campaigns', 'admin (incremental)');
    await page.locator(`#camp-list tr[data-id="${c.id}"] button.link`).click();
    const money = (x) => Number(x).toLocaleString('en-US', { style: 'currency', currency: 'USD' }).replace('-', '−');
    await textMatches(page.locator('#cp-revenue-kpi'), new RegExp(`95 % interval`));
    const revenue = await page.locator('#cp-revenue-kpi').textContent();
    for (const bound of r.incremental_revenue_ci95) assert.ok(revenue.includes(money(bound).replace('−', '-')) || revenue.includes(money(bound)), `${revenue} shows ${bound}`);
    const sig = r.incremental_revenue_significant ? /Significant/ : /Not significant yet/;
    await textMatches(page.locator('#cp-revenue-kpi'), sig);
    await textMatches(page.locator('#cp-lift-kpi'), /95 % interval .+ to .+/);
    await textMatches(page.locator('#cp-lift-kpi'), r.lift.significant ? /Significant/ : /Not significant yet/);
    await shoot(page, dir, 'campaign-incremental');
    // One arm, no holdout: no empty lift chart, and the page says why.
    const one = await ctx.admin('POST', '/api/v1/admin/campaigns', CAMPAIGN({ name: 'No control', trigger: { kind: 'custom', event: 'walk3-none', delay_minutes: 0 } }));
    await page.reload();
    await page.locator(`#camp-list tr[data-id="${one.id}"] button.link`).click();
    await textMatches(page.locator('#cp-incremental'), /no control group/);
    assert.equal(await page.locator('#cp-lift').count(), 0, 'no lift chart without a control group');
  });

  test('30.11 campaign states in plain words; refusals after an automatic pause say why; no internal names', async () => {
    const paused = await ctx.admin('POST', '/api/v1/admin/campaigns', CAMPAIGN({ name: 'Hourly capped', trigger: { kind: 'custom', event: 'w3-hour', delay_minutes: 0 }, limits: { max_codes_per_hour: 1 } }));
    for (const id of ['30501', '30502', '30503']) await event(ctx, id, 'custom', {}, 'w3-hour');
    await issued(ctx, paused.id, 3);
    const spent = await ctx.admin('POST', '/api/v1/admin/campaigns', CAMPAIGN({ name: 'Small budget', trigger: { kind: 'custom', event: 'w3-budget', delay_minutes: 0 }, limits: { max_total_value: '10.00' } }));
    await event(ctx, '30511', 'custom', {}, 'w3-budget');
    await issued(ctx, spent.id, 1);
    const soon = await ctx.admin('POST', '/api/v1/admin/campaigns', CAMPAIGN({ name: 'Next month', starts_at: new Date(Date.now() + 30 * 864e5).toISOString() }));
    const over = await ctx.admin('POST', '/api/v1/admin/campaigns', CAMPAIGN({ name: 'Last month', ends_at: new Date(Date.now() - 864e5).toISOString() }));
    const page = await openAdmin(ctx, '#campaigns', 'admin (states)');
    const state = (c) => page.locator(`#camp-list tr[data-id="${c.id}"] .camp-state`);
    await textIs(state(paused), 'Paused — hourly limit');
    await textIs(state(spent), 'Budget used up');
    await textIs(state(soon), 'Scheduled');
    await textIs(state(over), 'Ended');
    const offers = await ctx.admin('GET', `/api/v1/admin/campaigns/${paused.id}/offers?status=refused`);
    assert.ok(offers.offers.length >= 1 && offers.offers.every((o) => o.reason === 'campaign_paused'), JSON.stringify(offers));
    await page.locator(`#camp-list tr[data-id="${paused.id}"] button.link`).click();
    await textMatches(page.locator('#cp-refused'), /Campaign paused itself/);
    await textMatches(page.locator('#cp-offers'), /Campaign paused itself/);
    const words = await page.locator('#app').innerText();
    for (const internal of ['max_codes_per_hour', 'budget_exhausted', 'campaign_paused', 'campaign_inactive', 'Campaign off or outside']) {
      assert.ok(!words.includes(internal), `“${internal}” shown on the campaign page`);
    }
    await shoot(page, dir, 'campaign-states');
    const shop = await openAdmin(ctx, '#shop', 'admin (shop words)');
    await shop.locator('#shop-gap').waitFor();
    assert.ok(!(await shop.locator('#app').innerText()).includes('At most 8784'));
    for (const c of [paused, spent, soon, over]) await ctx.admin('PUT', `/api/v1/admin/campaigns/${c.id}`, { ...CAMPAIGN({ name: c.name, trigger: c.trigger }), enabled: false });
  });

  test('30.18 listed customers are picked as chips with the customer search; a space in a template reads plainly', async () => {
    const page = await openAdmin(ctx, '#online', 'admin (chips)');
    await page.locator('#panel-online input[value=customers]').check();
    assert.equal(await page.locator('#panel-online textarea').count(), 0, 'no textarea of ids');
    await page.locator('#online-pick-q').fill('alex walker');
    await page.locator('#online-picker').getByRole('button', { name: 'Find' }).click();
    await page.locator('#online-picker').getByRole('button', { name: /Add Alex Walker/ }).click();
    await textMatches(page.locator('#online-chips .chip'), /Alex Walker/);
    await page.locator('#panel-online button[type=submit]').click();
    await textMatches(page.locator('#panel-online .status'), /Saved/);
    assert.deepEqual((await ctx.admin('GET', '/api/v1/admin/programs/online')).eligibility, { kind: 'customers', ids: ['30201'] });
    await page.reload();
    await textMatches(page.locator('#online-chips .chip'), /Alex Walker/);
    await shoot(page, dir, 'picker-chips');
    await page.getByRole('button', { name: /Remove Alex Walker/ }).click();
    assert.equal(await page.locator('#online-chips .chip').count(), 0);
    await page.locator('#panel-online button[type=submit]').click();
    await textMatches(page.locator('[id="online-eligibility.ids-err"]'), /Pick at least one|at least one/i);
    await ctx.admin('PUT', '/api/v1/admin/programs/online', program());
    // The template rule, in the form and from the server.
    const form = await openAdmin(ctx, '#campaigns', 'admin (template space)');
    await form.getByRole('button', { name: 'New campaign' }).click();
    await form.locator('[id="cf-code.template"]').fill('WELCOME {RANDOM}');
    await textIs(form.locator('[id="cf-code.template-err"]'), "Spaces aren't allowed in a code.");
    const res = await fetch(`${ctx.server.base}/api/v1/admin/campaigns`, { method: 'POST',
      headers: { Authorization: `Bearer ${ctx.adminToken}`, 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
      body: JSON.stringify(CAMPAIGN({ code: { template: 'WELCOME {RANDOM}', random_length: 8 } })) });
    assert.equal(res.status, 422);
    assert.equal((await res.json()).error.details.fields['code.template'], "Spaces aren't allowed in a code");
  });
}
