// Issue 30, the admin on a phone and its small slips (points 13, 14, 16):
// stacked table rows with every action visible, keyboard-reachable scrolling
// regions, no sideways scrolling; "Last 7 days" draws 7 days, a cancelled
// currency change restores the old currency, a disabled field looks
// disabled; one h1, no empty <th>, 44 px touch targets on phones and
// axe-core clean (serious, critical) on every admin screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, program } from '../lib/helpers.mjs';
import { axeProblems } from '../lib/axe.mjs';
import { openAdmin } from './walk3-admin.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const TABS = ['online', 'pos', 'customers', 'campaigns', 'analytics', 'shop'];

// Sideways overflow of the page, in px.
const sideways = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

// Visible controls smaller than 44 × 44 px (labels of radios and checkboxes
// count for their inputs; text inputs need the height only).
const smallTargets = (page) => page.evaluate(() => {
  const seen = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const small = [];
  for (const el of document.querySelectorAll('button, select, summary, [role=tab], label.choice, input:not([type=checkbox]):not([type=radio]):not([type=hidden])')) {
    if (!seen(el)) continue;
    const r = el.getBoundingClientRect(), wide = el.matches('button, [role=tab]');
    if (r.height < 43.5 || (wide && r.width < 43.5)) small.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} “${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}” ${Math.round(r.width)}×${Math.round(r.height)}`);
  }
  return small;
});

// Regions that scroll sideways without a way in by keyboard.
const unreachableScrollers = (page) => page.evaluate(() => [...document.querySelectorAll('body *')].filter((el) => {
  const s = getComputedStyle(el);
  return /auto|scroll/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1 && !(el.tabIndex >= 0 && el.getAttribute('aria-label'));
}).map((el) => el.id || el.className));

async function screenChecks(page, label, phone) {
  assert.equal(await page.locator('h1').count(), 1, `${label}: one h1`);
  const empty = await page.locator('th').evaluateAll((ths) => ths.filter((t) => !t.textContent.trim()).length);
  assert.equal(empty, 0, `${label}: no empty <th>`);
  assert.deepEqual(await axeProblems(page), [], `${label}: axe serious/critical`);
  assert.ok(await sideways(page) <= 0, `${label}: scrolls sideways`);
  assert.deepEqual(await unreachableScrollers(page), [], `${label}: a scrolling region needs tabindex and a label`);
  if (phone) assert.deepEqual(await smallTargets(page), [], `${label}: touch targets under 44 px`);
}

export function walk3AdminLayoutTests(ctx) {
  test('30.16 + 30.13 every admin tab: one h1, no empty th, axe clean, no sideways scroll, 44 px targets on a phone', async () => {
    for (const [size, phone] of [[DESKTOP, false], [PHONE, true]]) {
      const page = await openAdmin(ctx, '#online', `admin (a11y ${size.width})`, size);
      for (const tab of TABS) {
        await page.locator(`#tab-${tab}`).click();
        await page.locator(`#panel-${tab} > *`).first().waitFor();
        await page.waitForTimeout(400);
        await page.locator(`#panel-${tab} details`).evaluateAll((ds) => ds.forEach((d) => { d.open = true; }));
        await screenChecks(page, `${tab} at ${size.width}`, phone);
      }
      // The screens behind the tabs: a customer, a campaign's form and page.
      await page.locator('#tab-customers').click();
      await page.locator('#cust-q').fill('30201');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('#cust-results tbody button.link').first().click();
      await page.locator('#cust-title').waitFor();
      await screenChecks(page, `customer at ${size.width}`, phone);
      await page.locator('#tab-campaigns').click();
      await page.getByRole('button', { name: 'New campaign' }).click();
      await page.locator('#cf-name').waitFor();
      await screenChecks(page, `campaign form at ${size.width}`, phone);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('#camp-list tbody button.link').first().click();
      await page.locator('#cp-report .kpis').first().waitFor();
      await screenChecks(page, `campaign page at ${size.width}`, phone);
    }
  });

  test('30.13 campaign rows stack on a phone: names, counts and every action fully visible', async () => {
    const page = await openAdmin(ctx, '#campaigns', 'admin (phone rows)', PHONE);
    const rows = page.locator('#camp-list tbody tr[data-id]');
    await eventually(async () => assert.ok(await rows.count() > 0));
    await eventually(async () => assert.doesNotMatch(await rows.first().innerText(), /…/), 15000);
    for (const row of await rows.all()) {
      for (const cell of await row.locator('td').all()) {
        const box = await cell.boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width + 0.5, `a cell runs off the screen: ${await cell.innerText()}`);
      }
      for (const b of await row.locator('button').all()) {
        const fits = await b.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && el.getBoundingClientRect().right <= window.innerWidth);
        assert.ok(fits, `button cut off: ${await b.innerText()}`);
      }
      // Each count is on screen with its column's name in front of it.
      const counts = await row.locator('td.n').evaluateAll((tds) => tds.map((td) => ({
        shown: td.getBoundingClientRect().height > 0, name: getComputedStyle(td, '::before').content, text: td.textContent })));
      assert.deepEqual(counts.map((c) => c.name), ['"Issued"', '"Refused"', '"Held out"']);
      assert.ok(counts.every((c) => c.shown && /^\d+$/.test(c.text)), JSON.stringify(counts));
    }
  });

  test('30.14 "Last 7 days" draws 7 days', async () => {
    const page = await openAdmin(ctx, '#analytics', 'admin (7 days)');
    await page.locator('#panel-analytics .kpi').first().waitFor();
    await page.locator('#an-period').selectOption({ label: 'Last 7 days' });
    const days = page.locator('#panel-analytics figure').nth(1).locator('tbody tr');
    await eventually(async () => assert.equal(await days.count(), 7));
    const last = await days.last().locator('th').textContent();
    assert.equal(last, new Date().toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }), 'ending today');
  });

  test('30.14 cancelling the currency change puts the old currency back', async () => {
    const page = await openAdmin(ctx, '#shop', 'admin (currency cancel)');
    const before = await page.locator('#shop-currency').inputValue();
    await page.locator('#shop-currency').selectOption('EUR');
    await page.getByRole('button', { name: 'Save shop' }).click();
    await page.locator('#cur-confirm').waitFor();
    await page.locator('#cur-confirm').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.locator('#shop-currency').inputValue(), before);
    assert.equal((await ctx.admin('GET', '/api/v1/admin/shop')).currency, before);
  });

  test('30.14 a disabled "Number of payments" looks disabled', async () => {
    await ctx.admin('PUT', '/api/v1/admin/programs/online', program({ purchase_type: 'both', subscription: { applies_to: 'first_payment', cycles: null } }));
    const page = await openAdmin(ctx, '#online', 'admin (disabled field)');
    const cycles = page.locator('[id="online-subscription.cycles"]'), ppu = page.locator('#online-points_per_unit');
    await cycles.waitFor();
    assert.equal(await cycles.isDisabled(), true);
    const look = (l) => l.evaluate((el) => { const s = getComputedStyle(el); return `${s.backgroundColor} ${s.borderStyle} ${s.color}`; });
    assert.notEqual(await look(cycles), await look(ppu), 'the disabled field is drawn differently');
    await ctx.admin('PUT', '/api/v1/admin/programs/online', program());
  });
}
