// The README's images: the storefront widget with a fresh code, and the
// analytics page over a handful of varied claims.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { textMatches } from '../lib/helpers.mjs';
import { widget, openWidget } from './widget.mjs';

async function someHistory(ctx) {
  const sizes = [[120, 300, 500], [500, 800], [1000, 1500, 250], [2000], [600, 700, 900, 150]];
  for (const [i, list] of sizes.entries()) {
    const cust = await ctx.customer(`40${i}`, 6000);
    for (const [j, points] of list.entries()) {
      const claim = await cust.api('POST', '/api/v1/claims', { points });
      if (j === 1) await cust.api('POST', `/api/v1/claims/${claim.id}/refund`);
      // Some codes are spent at a checkout, so orders and "used" show up.
      if (j === 0) {
        await ctx.admin('POST', '/api/v1/checkout/redeem',
          { code: claim.code, customer_id: cust.id, order_id: `ord-${i}`, subtotal: `${60 + i * 17}.50` });
      }
    }
  }
}

export async function docImages(ctx, dir) {
  mkdirSync(dir, { recursive: true });
  await someHistory(ctx);
  const cust = await ctx.customer('207119551', 4200);
  await cust.api('POST', '/api/v1/claims', { points: 1000 });
  const page = await openWidget(ctx, cust, { width: 720, height: 900 });
  const w = widget(page);
  await w.input.fill('750');
  await textMatches(w.value, /\$7\.50/);
  await w.create.click();
  await textMatches(w.code, /\S{4,}/);
  await page.locator('loyalty-wallet').screenshot({ path: join(dir, 'widget.png') });
  const admin = await ctx.b.open(ctx.url('admin.html', ctx.adminToken, '#analytics'), { width: 1280, height: 900 });
  await admin.locator('#panel-analytics figure svg').first().waitFor();
  await admin.locator('#an-period').selectOption('7'); // a week reads better than 30 thin days
  await admin.locator('#panel-analytics figure svg').first().waitFor();
  await admin.waitForTimeout(300);
  await admin.screenshot({ path: join(dir, 'analytics.png'), fullPage: true });
  if (ctx.b.problems.length) throw new Error(ctx.b.problems.join('\n'));
  console.log(`wrote ${join(dir, 'widget.png')} and ${join(dir, 'analytics.png')}`);
}
