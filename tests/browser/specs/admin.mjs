// Merchant admin: validation that blocks a bad save, customers, analytics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textIs, textMatches } from '../lib/helpers.mjs';

export function adminTests(ctx) {
  test('admin: invalid limits are flagged inline and never sent', async () => {
    const page = await ctx.b.open(ctx.url('admin.html', ctx.adminToken, '#pos'), { name: 'admin (validation)' });
    const puts = [];
    page.on('request', (r) => { if (r.method() === 'PUT') puts.push(r.url()); });
    await page.locator('#pos-min_points').fill('500');
    await page.locator('#pos-max_points').fill('100');
    await textMatches(page.locator('#pos-max_points-err'), /below the minimum/);
    await page.locator('#pos-points_per_unit').fill('0');
    await textMatches(page.locator('#pos-points_per_unit-err'), /above 0/);
    await page.locator('#panel-pos button[type=submit]').click();
    await textMatches(page.locator('#panel-pos .status'), /fix/);
    assert.equal(await page.locator('#pos-points_per_unit').getAttribute('aria-invalid'), '');
    assert.deepEqual(puts, []);
  });

  test('admin: find a customer and adjust points with a reason', async () => {
    await ctx.customer('2001', 300);
    const page = await ctx.b.open(ctx.url('admin.html', ctx.adminToken, '#customers'), { name: 'admin (customers)' });
    await page.getByLabel('Find a customer by id').fill('2001');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: '2001', exact: true }).click();
    await textIs(page.locator('.detail .balance'), '300');
    await page.getByLabel('Points (+ to add, − to remove)').fill('250');
    await page.getByRole('button', { name: 'Apply' }).click();
    await textMatches(page.locator('.adjust .status'), /reason/);
    await page.getByLabel('Reason').fill('Late delivery');
    await page.getByRole('button', { name: 'Apply' }).click();
    await textIs(page.locator('.detail .balance'), '550');
    const d = await ctx.admin('GET', '/api/v1/admin/customers/2001');
    assert.equal(d.wallet.points_balance, 550);
    assert.equal(d.entries[0].reason, 'Late delivery');
    assert.equal(d.entries[0].delta, 250);
  });

  test('admin: analytics draws its charts from the API numbers', async () => {
    const a = await ctx.admin('GET', '/api/v1/admin/analytics');
    const page = await ctx.b.open(ctx.url('admin.html', ctx.adminToken, '#analytics'), { name: 'admin (analytics)' });
    await page.locator('#panel-analytics .kpi').first().waitFor();
    await textMatches(page.locator('#panel-analytics .kpi').first(), new RegExp(`Codes created\\s*${a.claims_count}`));
    assert.ok(a.claims_count > 0, 'earlier tests created codes');
    assert.equal(await page.locator('#panel-analytics figure svg').count(), 4, 'points, per period, status, channel');
    assert.ok(await page.locator('#panel-analytics figure svg rect').count() > 3, 'bars drawn');
  });
}
