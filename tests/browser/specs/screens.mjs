// Screenshots of every page at desktop width, 375 and 320 px, each also
// checked for sideways scrolling (the pages must fit a small phone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { textMatches } from '../lib/helpers.mjs';
import { widget, openWidget } from './widget.mjs';
import { openPos, posClaim } from './pos.mjs';

const WIDTHS = [1280, 375, 320];

// Each view: name → (ctx, width) → page showing the state worth seeing.
const VIEWS = {
  async widget(ctx, width) {
    const cust = await ctx.customer(`31${width}`, 4200);
    const page = await openWidget(ctx, cust, { width, name: `widget @${width}` });
    const w = widget(page);
    await w.input.fill('750');
    await textMatches(w.value, /\$7\.50/);
    await w.create.click();
    await textMatches(w.code, /\S{4,}/);
    await page.locator('loyalty-wallet summary', { hasText: 'Points history' }).click();
    return page;
  },
  'admin-online': (ctx, width) => openAdmin(ctx, width, '#online', '#online-points_per_unit'),
  'admin-pos': (ctx, width) => openAdmin(ctx, width, '#pos', '#pos-points_per_unit'),
  async 'admin-customers'(ctx, width) {
    const page = await openAdmin(ctx, width, '#customers', '#cust-q');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: '1001', exact: true }).click();
    await page.locator('.detail .balance').waitFor();
    return page;
  },
  'admin-analytics': (ctx, width) => openAdmin(ctx, width, '#analytics', '#panel-analytics figure svg'),
  'admin-shop': (ctx, width) => openAdmin(ctx, width, '#shop', '#shop-currency'),
  async pos(ctx, width) {
    await ctx.customer(`32${width}`, 2500);
    const page = await openPos(ctx, { width, name: `pos @${width}` });
    await posClaim(page, `32${width}`, 1200);
    await textMatches(page.locator('#value'), /\$12\.00/);
    return page;
  },
  async 'pos-code'(ctx, width) {
    await ctx.customer(`33${width}`, 2500);
    const page = await openPos(ctx, { width, name: `pos code @${width}` });
    await posClaim(page, `33${width}`, 1500);
    await textMatches(page.locator('#value'), /\$15\.00/);
    await page.getByRole('button', { name: 'Create code' }).click();
    await textMatches(page.locator('#code'), /\S{4,}/);
    return page;
  },
};

async function openAdmin(ctx, width, hash, ready) {
  const page = await ctx.b.open(ctx.url('admin.html', ctx.adminToken, hash), { width, name: `admin ${hash} @${width}` });
  await page.locator(ready).first().waitFor();
  await page.waitForTimeout(200); // let ResizeObserver-drawn charts settle
  return page;
}

export async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export function screenshotTests(ctx, dir) {
  mkdirSync(dir, { recursive: true });
  for (const [name, view] of Object.entries(VIEWS)) {
    for (const width of WIDTHS) {
      test(`screenshot ${name} at ${width} px fits without sideways scrolling`, async () => {
        const page = await view(ctx, width);
        await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
        assert.equal(await overflow(page), 0, `${name} scrolls sideways at ${width} px`);
      });
    }
  }
}
