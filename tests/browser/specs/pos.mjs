// The POS screen: find the customer, enter points, claim, read the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textIs, textMatches } from '../lib/helpers.mjs';

export const openPos = (ctx, opts = {}) => ctx.b.open(ctx.url('pos.html', ctx.posToken), { name: 'pos', ...opts });

export async function posClaim(page, id, points) {
  await page.getByLabel('Customer number').fill(id);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('button', { name: new RegExp(`Customer ${id}`) }).click();
  await page.getByLabel('Points to use').fill(String(points));
}

export function posTests(ctx) {
  test('a POS claim', async () => {
    await ctx.customer('1006', 3000);
    const page = await openPos(ctx);
    await posClaim(page, '1006', 1000);
    await textIs(page.locator('#balance'), '3,000');
    await textIs(page.locator('#value'), '$10.00');
    await page.getByRole('button', { name: 'Create code' }).click();
    await textMatches(page.locator('#code'), /\S{4,}/);
    const d = await ctx.admin('GET', '/api/v1/admin/customers/1006');
    assert.equal(d.claims.length, 1);
    assert.equal(d.claims[0].channel, 'pos');
    assert.equal(d.claims[0].points, 1000);
    assert.equal((await page.locator('#code').textContent()).trim(), d.claims[0].code);
    assert.equal(d.wallet.points_balance, 2000);
    await textMatches(page.locator('#code-value'), /\$10\.00/);
  });
}
