// Issue 30 (third walk), the shopper's side: points 1, 5–10, 16 and 17 in the
// storefront widget, at phone (390×844) and desktop (1280×900) sizes where
// layout matters. Screenshots go to artifacts/walk3/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textIs, textMatches, eventually, program } from '../lib/helpers.mjs';
import { axeProblems } from '../lib/axe.mjs';
import { SIZES, PHONE, DESK, overflow, assertCodeAsIs, smallTargets, visibleH1, focusShows, snap } from '../lib/walk3.mjs';

const lw = (page, s) => page.locator(`loyalty-wallet ${s}`);

async function open(ctx, cust, size, { query = '', name = `walk3 widget ${cust.id}`, allow } = {}) {
  const page = await ctx.b.open(ctx.url('index.html', cust.token) + query, { name, ...size, allow });
  await textMatches(lw(page, '.balance'), /\d/);
  return page;
}

const campaign = (name, discount, hours, extra = {}) => ({
  name, enabled: true, trigger: { kind: 'custom', event: name.replace(/\W/g, '_').toLowerCase() }, discount,
  code: { template: 'BIG-{RANDOM}', random_length: 8 }, expires_after_hours: hours, ...extra,
});

// Posts the campaign's event for the customer and waits until the binary's issuer made the offer active.
async function offerFor(ctx, cust, c) {
  await ctx.admin('POST', '/api/v1/admin/events', { customer_id: cust.id, kind: 'custom', name: c.trigger.event });
  return eventually(async () => {
    const { offers } = await cust.api('GET', '/api/v1/offers');
    const o = offers.find((x) => x.status === 'active' && x.campaign === c.name);
    assert.ok(o, JSON.stringify(offers));
    return o;
  }, 15_000);
}

async function createCode(page, points) {
  await page.getByLabel('Points to use', { exact: true }).fill(String(points));
  await textMatches(lw(page, 'output.value'), /\d/);
  await lw(page, 'button.primary').click();
  await textMatches(lw(page, '.result .code'), /\S{4,}/);
  return (await lw(page, '.result .code').textContent()).trim();
}

export function walk3WidgetTests(ctx, dir) {
  test('30.1 widget: new code, Your codes and Your offers show each code exactly as it is (phone and desktop)', async () => {
    await ctx.admin('PUT', '/api/v1/admin/programs/online', program({ code_prefix: 'WELCOME-ALEX' }));
    try {
      const cust = await ctx.customer('30101', 5000);
      const offer = await offerFor(ctx, cust, await ctx.admin('POST', '/api/v1/admin/campaigns',
        campaign('Walk3 big', { kind: 'percentage', value: '10' }, 48)));
      assert.match(offer.code, /^BIG-[2-9A-HJKMNP-Z]{8}$/);
      for (const [name, size] of Object.entries(SIZES)) {
        const page = await open(ctx, cust, size);
        const code = await createCode(page, 500);
        assert.match(code, /^WELCOME-ALEX-[2-9A-HJKMNP-Z]{10}$/);
        const big = await assertCodeAsIs(lw(page, '.result .code'), code, `new code @${name}`);
        if (name === 'phone') assert.ok(big.lines.length > 1, `the long code wraps on a phone: ${big.lines}`);
        await assertCodeAsIs(lw(page, `.codes [data-claim] .c`).first(), code, `Your codes @${name}`);
        await assertCodeAsIs(lw(page, `[data-offer="${offer.id}"] .c`), offer.code, `Your offers @${name}`);
        assert.equal(await overflow(page), 0, `no sideways scrolling @${name}`);
        await snap(page, dir, `30.1-widget-${name}`);
      }
    } finally {
      await ctx.admin('PUT', '/api/v1/admin/programs/online', program());
    }
  });

  test('30.5 lang="de"/"fr": dates and money in the widget’s language, in the shop’s currency', async () => {
    await ctx.admin('PUT', '/api/v1/admin/shop', { currency: 'EUR', earn_points_per_unit: '1', locale: 'en-US',
      points_expiry: { kind: 'after_days', days: 90 } });
    try {
      const cust = await ctx.customer('30501', 300);
      const c = await ctx.admin('POST', '/api/v1/admin/campaigns', campaign('Walk3 euro', { kind: 'fixed_amount', value: '3.50' }, 48));
      const offer = await offerFor(ctx, cust, c);
      const wallet = await cust.api('GET', '/api/v1/wallet');
      const at = new Date(wallet.expiring[0].expires_at);
      const date = (l) => at.toLocaleDateString(l, { day: 'numeric', month: 'long', timeZone: 'UTC',
        year: at.getFullYear() === new Date().getFullYear() ? undefined : 'numeric' });
      const de = await open(ctx, cust, DESK, { query: '&lang=de' });
      await textIs(lw(de, '.lots p'), `300 Punkte verfallen am ${date('de')}.`);
      assert.doesNotMatch(await lw(de, '.lots p').textContent(), /January|February|March|April|May|June|July|August|September|October|November|December/);
      await textMatches(lw(de, `[data-offer="${offer.id}"] .gives`), /^3,50\s€ Rabatt$/);
      await de.getByLabel('Einzulösende Punkte', { exact: true }).fill('250');
      await textMatches(lw(de, 'output.value'), /^2,50\s€$/);
      await snap(de, dir, '30.5-widget-de');
      const fr = await open(ctx, cust, DESK, { query: '&lang=fr' });
      await textMatches(lw(fr, `[data-offer="${offer.id}"] .gives`), /^3,50\s€/);
      await textMatches(lw(fr, '.lots p'), new RegExp(date('fr')));
    } finally {
      await ctx.admin('PUT', '/api/v1/admin/shop', { currency: 'USD', earn_points_per_unit: '1', locale: 'en-US', points_expiry: { kind: 'none' } });
    }
  });

  test('30.6 the offer’s title in the widget: the merchant’s title, else the campaign name; the code as is', async () => {
    const cust = await ctx.customer('30601', 50);
    const titled = await offerFor(ctx, cust, await ctx.admin('POST', '/api/v1/admin/campaigns',
      campaign('Walk3 quiz internal', { kind: 'percentage', value: '15' }, 48, { title: 'Thanks for the quiz' })));
    const plain = await offerFor(ctx, cust, await ctx.admin('POST', '/api/v1/admin/campaigns',
      campaign('Walk3 Birthday treat', { kind: 'percentage', value: '5' }, 48)));
    assert.equal(titled.title, 'Thanks for the quiz', 'the API gives the title');
    assert.equal(plain.title, 'Walk3 Birthday treat', 'no title: the campaign name');
    for (const [name, size] of Object.entries(SIZES)) {
      const page = await open(ctx, cust, size);
      await textIs(lw(page, `[data-offer="${titled.id}"] .title`), 'Thanks for the quiz');
      await textIs(lw(page, `[data-offer="${plain.id}"] .title`), 'Walk3 Birthday treat');
      await assertCodeAsIs(lw(page, `[data-offer="${titled.id}"] .c`), titled.code, `offer @${name}`);
      assert.equal(await overflow(page), 0);
      await snap(page, dir, `30.6-offers-${name}`);
    }
  });

  test('30.7 cancelling a code: a visible “points returned” line, and “No open codes” above the past ones', async () => {
    for (const [name, size] of Object.entries(SIZES)) {
      const cust = await ctx.customer(`3070${name.length}`, 3000);
      const page = await open(ctx, cust, size);
      const code = await createCode(page, 500);
      await page.getByRole('button', { name: `Cancel code ${code} and get the points back` }).click();
      await page.getByRole('button', { name: 'Yes, cancel code' }).click();
      const done = lw(page, '.codes [role=status]');
      await textIs(done, `${code} cancelled. 500 points returned.`);
      const box = await done.boundingBox();
      assert.ok(box && box.width > 100 && box.height > 10, `shown, not only to screen readers: ${JSON.stringify(box)}`);
      await textIs(lw(page, '.codes > ul.list'), 'No open codes.');
      await textIs(lw(page, '.past summary'), 'Past codes (1)');
      await textIs(lw(page, '.balance'), '3,000');
      await snap(page, dir, `30.7-cancelled-${name}`);
    }
  });

  test('30.8 letters in the points field: “Enter a whole number”, the slider stays put', async () => {
    const cust = await ctx.customer('30801', 5000);
    for (const [name, size] of Object.entries(SIZES)) {
      const page = await open(ctx, cust, size);
      const input = page.getByLabel('Points to use', { exact: true }), range = lw(page, 'input[type=range]');
      await input.fill('700');
      await textIs(lw(page, 'output.value'), '$7.00');
      await input.click();
      await input.press('End');
      await page.keyboard.type('x');
      await textIs(lw(page, '.msg'), 'Enter a whole number of points.');
      assert.equal(await input.inputValue(), '700x', 'what was typed stays visible');
      assert.equal(await range.inputValue(), '700', 'the slider did not jump');
      assert.equal(await input.getAttribute('aria-invalid'), '');
      await textIs(lw(page, 'output.value'), '–');
      await input.fill('');
      await page.keyboard.type('abc');
      await textIs(lw(page, '.msg'), 'Enter a whole number of points.');
      assert.equal(await range.inputValue(), '700');
      await snap(page, dir, `30.8-letters-${name}`);
    }
  });

  test('30.9 wording: “1 point per $1.00”, minutes under an hour, hours under two days; switched off is info', async () => {
    await ctx.admin('PUT', '/api/v1/admin/shop', { currency: 'USD', earn_points_per_unit: '1' });
    const cust = await ctx.customer('30901', 40);
    const soon = await offerFor(ctx, cust, await ctx.admin('POST', '/api/v1/admin/campaigns',
      campaign('Walk3 soon', { kind: 'percentage', value: '10' }, 0.475)));
    const later = await offerFor(ctx, cust, await ctx.admin('POST', '/api/v1/admin/campaigns',
      campaign('Walk3 later', { kind: 'percentage', value: '10' }, 47.5)));
    const page = await open(ctx, cust, DESK);
    await textMatches(lw(page, '.earn'), /^You earn 1 point per \$1\.00 spent\.$/);
    await textMatches(lw(page, `[data-offer="${soon.id}"] .sub`), /^Expires in 2[78] minutes$/);
    await textIs(lw(page, `[data-offer="${later.id}"] .sub`), 'Expires in 47 hours');
    await ctx.admin('PUT', '/api/v1/admin/shop', { earn_points_per_unit: '2' });
    const two = await open(ctx, cust, DESK);
    await textIs(lw(two, '.earn'), 'You earn 2 points per $1.00 spent.');
    await ctx.admin('PUT', '/api/v1/admin/shop', { earn_points_per_unit: '1' });
    await ctx.admin('PUT', '/api/v1/admin/programs/online', program({ enabled: false }));
    try {
      const off = await open(ctx, await ctx.customer('30902', 500), DESK);
      const notice = lw(off, '.notice');
      await textIs(notice, 'Redeeming points is switched off at the moment.');
      assert.equal(await notice.getAttribute('data-kind'), 'info');
      assert.equal(await notice.getAttribute('role'), 'status', 'not an alert');
      const color = await notice.evaluate((el) => getComputedStyle(el).color);
      assert.notEqual(color, 'rgb(180, 35, 24)', 'not in the error colour');
      await snap(off, dir, '30.9-switched-off');
    } finally {
      await ctx.admin('PUT', '/api/v1/admin/programs/online', program());
    }
  });

  test('30.10 one name, “Cancelled”, and who did it: you, the shop, the till', async () => {
    const cust = await ctx.customer('31001', 3000);
    const mine = await cust.api('POST', '/api/v1/claims', { points: 100 });
    const shop = await cust.api('POST', '/api/v1/claims', { points: 200 });
    const till = await cust.api('POST', '/api/v1/claims', { points: 300 });
    await cust.api('POST', `/api/v1/claims/${mine.id}/refund`);
    await ctx.admin('POST', `/api/v1/admin/claims/${shop.id}/refund`);
    await ctx.server.api(ctx.posToken)('POST', `/api/v1/pos/claims/${till.id}/refund`);
    const page = await open(ctx, cust, PHONE);
    await lw(page, '.past summary').click();
    const item = (c) => lw(page, `.past [data-claim="${c.id}"]`);
    await textIs(item(mine).locator('.badge'), 'Cancelled');
    await textMatches(item(mine).locator('.by'), /^Cancelled by you$/);
    await textMatches(item(shop).locator('.by'), /^Cancelled by the shop$/);
    await textMatches(item(till).locator('.by'), /^Cancelled at the till$/);
    assert.equal(await overflow(page), 0);
    await snap(page, dir, '30.10-who-cancelled');
  });

  test('30.16 widget: touch targets ≥ 44 px on a phone, one h1, focus visible, axe-core clean', async () => {
    const cust = await ctx.customer('31601', 5000);
    await offerFor(ctx, cust, await ctx.admin('POST', '/api/v1/admin/campaigns',
      campaign('Walk3 targets', { kind: 'fixed_amount', value: '5.00' }, 48)));
    const page = await open(ctx, cust, PHONE);
    const code = await createCode(page, 500);
    await page.getByRole('button', { name: `Cancel code ${code} and get the points back` }).waitFor();
    await lw(page, 'details:not(.past) > summary').click();
    await lw(page, 'details:not(.past) ul li').first().waitFor();
    assert.deepEqual(await smallTargets(page), [], 'every target ≥ 44 × 44 px at 390 px');
    assert.deepEqual(await visibleH1(page), ['Your rewards'], 'one h1 on the page');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await focusShows(page), 'visible');
    assert.deepEqual(await axeProblems(page), []);
    await page.getByRole('button', { name: `Cancel code ${code} and get the points back` }).click();
    assert.deepEqual(await smallTargets(page), [], 'the confirm step too');
    assert.deepEqual(await axeProblems(page), []);
    await snap(page, dir, '30.16-widget-phone');
    const desk = await open(ctx, cust, DESK);
    assert.deepEqual(await axeProblems(desk), []);
  });

  test('30.17 the whole balance’s worth and how to earn more, under the balance', async () => {
    await ctx.admin('PUT', '/api/v1/admin/shop', { currency: 'USD', earn_points_per_unit: '1' });
    const cust = await ctx.customer('31701', 2750);
    const wallet = await cust.api('GET', '/api/v1/wallet');
    assert.equal(wallet.points_value, '27.50', 'the API says what the balance is worth');
    for (const [name, size] of Object.entries(SIZES)) {
      const page = await open(ctx, cust, size);
      await textIs(lw(page, '.head .worth'), 'Worth $27.50');
      await textIs(lw(page, '.earn'), 'You earn 1 point per $1.00 spent.');
      assert.equal(await overflow(page), 0);
      await snap(page, dir, `30.17-worth-${name}`);
    }
    await ctx.admin('PUT', '/api/v1/admin/shop', { earn_points_per_unit: '0' });
    const none = await open(ctx, cust, DESK);
    await textIs(lw(none, '.earn'), 'Points are added after qualifying orders.');
    await ctx.admin('PUT', '/api/v1/admin/shop', { earn_points_per_unit: '1' });
  });
}
