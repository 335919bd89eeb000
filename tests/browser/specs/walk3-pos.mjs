// Issue 30 (third walk), the clerk's side and the codes the merchant reads:
// points 1 (POS, admin, preview), 8, 10 and 15 at the till, 16 for the POS
// screen. Phone 390×844 and desktop 1280×900. Screenshots: artifacts/walk3/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textIs, textMatches, eventually, program } from '../lib/helpers.mjs';
import { axeProblems } from '../lib/axe.mjs';
import { SIZES, PHONE, DESK, overflow, assertCodeAsIs, smallTargets, visibleH1, focusShows, snap } from '../lib/walk3.mjs';

const openPos = (ctx, size, name = 'walk3 pos') => ctx.b.open(ctx.url('pos.html', ctx.posToken), { name, ...size });
const openAdmin = (ctx, hash, size) => ctx.b.open(ctx.url('admin.html', ctx.adminToken, hash), { name: `walk3 admin ${hash}`, ...size });

async function findAndOpen(page, id) {
  await page.locator('#q').fill(id);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('button', { name: new RegExp(`Customer ${id}`) }).click();
  await page.locator('#step-redeem').waitFor();
}

async function tillCode(page, points) {
  await page.locator('#points').fill(String(points));
  await textMatches(page.locator('#value'), /\d/);
  await page.getByRole('button', { name: 'Create code' }).click();
  await textMatches(page.locator('#code'), /\S{4,}/);
  return (await page.locator('#code').textContent()).trim();
}

async function adminCustomer(page, id) {
  await page.locator('#cust-q').fill(id);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('button', { name: id, exact: true }).click();
  await page.locator('.detail [data-claim]').first().waitFor();
}

export function walk3PosTests(ctx, dir) {
  test('30.1 till, admin and the campaign preview show codes exactly as they are (phone and desktop)', async () => {
    // A part that starts with a digit (UAX 14 allows no break after "-" there; <wbr> does).
    await ctx.admin('PUT', '/api/v1/admin/programs/pos', program({ code_prefix: 'WELCOME-2026' }));
    try {
      await ctx.customer('30111', 9000);
      for (const [name, size] of Object.entries(SIZES)) {
        const page = await openPos(ctx, size);
        await findAndOpen(page, '30111');
        const code = await tillCode(page, 1000);
        const big = await assertCodeAsIs(page.locator('#code'), code, `till code @${name}`);
        if (name === 'phone') assert.ok(big.lines.length > 1, `wraps on a phone: ${big.lines}`);
        assert.equal(await overflow(page), 0);
        await snap(page, dir, `30.1-pos-done-${name}`);
        await page.getByRole('button', { name: 'Next customer' }).click();
        await findAndOpen(page, '30111');
        await assertCodeAsIs(page.locator(`#open-codes .c`).first(), code, `till open codes @${name}`);
        const admin = await openAdmin(ctx, '#customers', size);
        await adminCustomer(admin, '30111');
        await assertCodeAsIs(admin.locator('.detail [data-claim] .c').first(), code, `admin codes @${name}`);
        await snap(admin, dir, `30.1-admin-codes-${name}`);
      }
      const admin = await openAdmin(ctx, '#campaigns', DESK);
      await admin.getByRole('button', { name: 'New campaign' }).click();
      await admin.locator('[id="cf-code.template"]').fill('WELCOME-{FIRST_NAME}-{RANDOM}');
      await textMatches(admin.locator('#cf-sample'), /^WELCOME-ALEX-[2-9A-HJKMNP-Z]{8}$/);
      const sample = (await admin.locator('#cf-sample').textContent()).trim();
      await assertCodeAsIs(admin.locator('#cf-sample'), sample, 'admin sample code');
      await assertCodeAsIs(admin.locator('#cf-shopper .c'), sample, 'admin shopper preview');
    } finally {
      await ctx.admin('PUT', '/api/v1/admin/programs/pos', program());
    }
  });

  test('30.6 the admin preview shows what the widget shows: the title (or name), what it gives, the code as is', async () => {
    const admin = await openAdmin(ctx, '#campaigns', DESK);
    await admin.getByRole('button', { name: 'New campaign' }).click();
    await admin.locator('#cf-name').fill('Internal: quiz wave 2');
    await textIs(admin.locator('#cf-shopper .title'), 'Internal: quiz wave 2');
    await admin.getByLabel(/Title shoppers see/).fill('Thanks for the quiz');
    await textIs(admin.locator('#cf-shopper .title'), 'Thanks for the quiz');
    await textMatches(admin.locator('#cf-shopper .gives'), /10% off/);
    await snap(admin, dir, '30.6-admin-preview');
  });

  test('30.8 letters in the till’s points field: “Enter a whole number”', async () => {
    await ctx.customer('30811', 3000);
    const page = await openPos(ctx, PHONE);
    await findAndOpen(page, '30811');
    await page.locator('#points').fill('500');
    await textIs(page.locator('#value'), '$5.00');
    await page.locator('#points').press('End');
    await page.keyboard.type('x');
    await textIs(page.locator('#msg'), 'Enter a whole number of points.');
    assert.equal(await page.locator('#points').inputValue(), '500x');
    await textIs(page.locator('#value'), '–');
  });

  test('30.9 till: a switched-off program is information, not an error', async () => {
    await ctx.customer('30911', 3000);
    await ctx.admin('PUT', '/api/v1/admin/programs/pos', program({ enabled: false }));
    try {
      const page = await openPos(ctx, PHONE);
      await findAndOpen(page, '30911');
      const closed = page.locator('#closed');
      await textIs(closed, 'Redeeming points is switched off at the moment.');
      assert.equal(await closed.getAttribute('role'), 'status');
      assert.notEqual(await closed.evaluate((el) => getComputedStyle(el).color), 'rgb(180, 35, 24)', 'not the error colour');
    } finally {
      await ctx.admin('PUT', '/api/v1/admin/programs/pos', program());
    }
  });

  test('30.10 one name at the till and in the admin: “Cancel code” / “Cancelled”, with who did it; in the export too', async () => {
    const cust = await ctx.customer('31011', 3000);
    const mine = await cust.api('POST', '/api/v1/claims', { points: 100 });
    const open = await cust.api('POST', '/api/v1/claims', { points: 200 });
    await cust.api('POST', `/api/v1/claims/${mine.id}/refund`);
    const admin = await openAdmin(ctx, '#customers', DESK);
    await adminCustomer(admin, '31011');
    const item = (c) => admin.locator(`.detail [data-claim="${c.id}"]`);
    await textIs(item(mine).locator('.badge'), 'Cancelled');
    await textIs(item(mine).locator('.by'), 'Cancelled by the shopper');
    assert.equal(await admin.getByRole('button', { name: /refund/i }).count(), 0, 'no second name for it');
    await admin.getByRole('button', { name: `Cancel code ${open.code} and give the points back` }).click();
    await admin.getByRole('button', { name: 'Yes, cancel code' }).click();
    await textIs(item(open).locator('.by'), 'Cancelled by the merchant');
    await textMatches(admin.locator('.detail .status'), new RegExp(`${open.code} cancelled\\. 200 points returned\\.`));
    const till = await openPos(ctx, DESK);
    const another = await cust.api('POST', '/api/v1/claims', { points: 300 });
    await findAndOpen(till, '31011');
    await textIs(till.getByRole('button', { name: `Cancel code ${another.code} and give the points back` }), 'Cancel code');
    await till.getByRole('button', { name: `Cancel code ${another.code} and give the points back` }).click();
    await till.getByRole('button', { name: 'Yes, cancel code' }).click();
    await textIs(till.locator('#codes-msg'), `${another.code} cancelled. 300 points returned.`);
    const csv = await (await fetch(`${ctx.server.base}/api/v1/admin/export/ledger.csv`, { headers: { Authorization: `Bearer ${ctx.adminToken}` } })).text();
    const header = csv.split('\r\n')[0].split(',');
    const by = header.indexOf('cancelled_by');
    assert.ok(by > 0, header.join());
    const refundRow = (c) => csv.split('\r\n').find((l) => l.includes(`,refund,`) && l.includes(c.id))?.split(',');
    assert.equal(refundRow(mine)[by], 'shopper');
    assert.equal(refundRow(open)[by], 'merchant');
    assert.equal(refundRow(another)[by], 'clerk');
  });

  test('30.15 till: campaign offers among the open codes; the done screen names the customer and can undo', async () => {
    const cust = await ctx.customer('31511', 3000);
    const c = await ctx.admin('POST', '/api/v1/admin/campaigns', {
      name: 'Walk3 till offer', title: 'Welcome gift', enabled: true, trigger: { kind: 'custom', event: 'walk3_till' },
      discount: { kind: 'fixed_amount', value: '5.00' }, code: { template: 'GIFT-{RANDOM}', random_length: 8 }, expires_after_hours: 48 });
    await ctx.admin('POST', '/api/v1/admin/events', { customer_id: '31511', kind: 'custom', name: 'walk3_till' });
    const offer = await eventually(async () => {
      const o = (await cust.api('GET', '/api/v1/offers')).offers.find((x) => x.status === 'active' && x.campaign === c.name);
      assert.ok(o);
      return o;
    }, 15_000);
    for (const [name, size] of Object.entries(SIZES)) {
      const page = await openPos(ctx, size);
      await findAndOpen(page, '31511');
      const row = page.locator(`#open-codes [data-offer="${offer.id}"]`);
      await textMatches(row, /Welcome gift/);
      await textMatches(row, /\$5\.00 off/);
      await assertCodeAsIs(row.locator('.c'), offer.code, `offer at the till @${name}`);
      assert.equal(await row.getByRole('button', { name: /cancel/i }).count(), 0, 'an offer gives no points back');
      const code = await tillCode(page, 1000);
      await textMatches(page.locator('#done-who'), /Customer 31511/);
      await snap(page, dir, `30.15-pos-done-${name}`);
      await page.getByRole('button', { name: 'Undo: cancel this code' }).click();
      await textIs(page.locator('#codes-msg'), `${code} cancelled. 1,000 points returned.`);
      await textIs(page.locator('#balance'), '3,000');
      const claim = (await ctx.admin('GET', '/api/v1/admin/customers/31511')).claims.find((x) => x.code === code);
      assert.equal(claim.status, 'refunded');
      assert.equal(claim.cancelled_by, 'clerk');
      assert.equal(await overflow(page), 0);
    }
  });

  test('30.16 till: touch targets ≥ 44 px on a phone, one h1 per step, focus visible, axe-core clean', async () => {
    const cust = await ctx.customer('31611', 3000);
    await cust.api('POST', '/api/v1/claims', { points: 200 });
    const page = await openPos(ctx, PHONE);
    assert.deepEqual(await visibleH1(page), ['Find the customer']);
    assert.deepEqual(await axeProblems(page), []);
    await page.locator('#q').fill('31611');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: /Customer 31611/ }).waitFor();
    assert.deepEqual(await smallTargets(page), [], 'find step');
    await page.getByRole('button', { name: /Customer 31611/ }).click();
    await page.locator('#open-codes [data-claim]').first().waitFor();
    assert.deepEqual(await visibleH1(page), ['Customer 31611']);
    assert.deepEqual(await smallTargets(page), [], 'redeem step');
    assert.equal(await focusShows(page), 'visible');
    assert.deepEqual(await axeProblems(page), []);
    await tillCode(page, 500);
    assert.deepEqual(await visibleH1(page), ['Discount code']);
    assert.deepEqual(await smallTargets(page), [], 'done step');
    assert.deepEqual(await axeProblems(page), []);
    await snap(page, dir, '30.16-pos-phone');
  });
}
