// One program's settings (online or POS): every setting of the API, inline
// validation that mirrors the server's, a live example table using the
// server's floor rounding, and save. The server re-checks everything; its
// per-field errors land on the same fields.
import { h, fill } from './dom.js';
import { money, points, when } from './format.js';
import { picker } from './admin-picker.js';
import { track } from './admin-savebar.js';
import { toast } from './admin-shell.js';
import { validateProgram, valueFor, minorDigits, examplePoints, PPU_PATTERN } from './program-rules.js';

const whole = (v) => (/^-?\d+$/.test(v.trim()) ? Number(v) : v.trim() === '' ? null : NaN);
const radios = (name, value, options) => h('div', { class: 'choices', role: 'radiogroup' },
  options.map(([v, label]) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name, value: v, checked: v === value || null, 'data-v': v }), label)));
const check = (label) => { const c = h('input', { type: 'checkbox' }); return [c, h('label', { class: 'choice' }, c, label)]; };

export function programPanel(root, call, channel, shop) {
  const id = (s) => `${channel}-${s}`;
  const c = {}; // controls
  const errs = {}; // field name → { control, out }
  const touched = new Set();
  let submitted = false, saved = null, guard = null;

  const field = (name, label, control, hint) => {
    const out = h('p', { class: 'err', id: id(`${name}-err`) });
    const hintEl = hint && h('p', { class: 'hint', id: id(`${name}-hint`) }, hint);
    control.id ||= id(name);
    control.setAttribute('aria-describedby', [hintEl && hintEl.id, out.id].filter(Boolean).join(' '));
    control.addEventListener('input', () => touched.add(name));
    errs[name] = { control, out };
    return h('div', { class: 'field', 'data-field': name }, h('label', { for: control.id }, label), control, hintEl, out);
  };

  [c.enabled, c.enabledLabel] = check(channel === 'pos' ? 'Staff can create codes at the till' : 'Shoppers can turn points into codes');
  c.ppu = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', class: 'num' });
  c.min = h('input', { type: 'number', min: '1', step: '1', class: 'num' });
  c.max = h('input', { type: 'number', min: '1', max: '1000000000', step: '1', class: 'num' });
  c.purchase = radios(id('purchase'), 'one_time', [['one_time', 'One-time purchases'], ['subscription', 'Subscriptions'], ['both', 'Both']]);
  c.applies = h('select', {}, h('option', { value: 'first_payment' }, 'First payment only'),
    h('option', { value: 'recurring' }, 'A number of payments'), h('option', { value: 'all_payments' }, 'All payments'));
  c.cycles = h('input', { type: 'number', min: '1', max: '1000', step: '1', class: 'num' });
  c.elig = radios(id('elig'), 'all', [['all', 'All customers'], ['customers', 'Listed customers'], ['segments', 'Customer segments']]);
  const combos = ['order', 'product', 'shipping'].map((k) => [k, ...check(`${k[0].toUpperCase()}${k.slice(1)} discounts`)]);
  c.prefix = h('input', { type: 'text', maxlength: '12', autocomplete: 'off', class: 'num' });
  c.lifetime = h('input', { type: 'number', min: '1', max: '8760', step: '1', class: 'num' });
  c.save = h('button', { type: 'submit', class: 'primary' }, 'Save program');
  c.status = h('p', { class: 'status', role: 'status' });
  c.examples = h('tbody');
  c.unit = h('span', {}, shop.currency);

  const subBox = h('div', { class: 'sub-settings' }, field('subscription.applies_to', 'Code applies to', c.applies),
    field('subscription.cycles', 'Number of payments', c.cycles, 'Only for “a number of payments”.'));
  // The listed customers (or segments) as chips, found with the customer search.
  const finder = picker(channel, call, () => c.elig.querySelector('input:checked')?.dataset.v, shop, () => {
    touched.add('eligibility.ids');
    refresh();
  });
  const idsErr = h('p', { class: 'err', id: id('eligibility.ids-err') });
  finder.control.setAttribute('aria-describedby', `${finder.control.getAttribute('aria-describedby')} ${idsErr.id}`);
  errs['eligibility.ids'] = { control: finder.control, out: idsErr };
  const idsBox = h('div', { class: 'field', 'data-field': 'eligibility.ids' }, finder.el, idsErr);
  const form = h('form', { class: 'program', novalidate: true, 'aria-label': `${channel === 'pos' ? 'POS' : 'Online'} program` },
    h('div', { class: 'settings' },
      h('fieldset', {}, h('legend', {}, 'Status'), c.enabledLabel),
      h('fieldset', {}, h('legend', {}, 'Value and limits'),
        field('points_per_unit', h('span', {}, 'Points per 1 ', c.unit), c.ppu, 'How many points buy one unit of the shop’s currency, e.g. 100.'),
        h('div', { class: 'pair' }, field('min_points', 'Minimum points per code', c.min), field('max_points', 'Maximum points per code', c.max))),
      h('fieldset', {}, h('legend', {}, 'Purchases'), c.purchase, subBox),
      h('fieldset', {}, h('legend', {}, 'Who can redeem'), c.elig, idsBox),
      h('fieldset', {}, h('legend', {}, 'Codes combine with'), h('div', { class: 'choices' }, combos.map((x) => x[2]))),
      h('fieldset', {}, h('legend', {}, 'Codes'), h('div', { class: 'pair' },
        field('code_prefix', 'Code prefix', c.prefix, 'Optional. A–Z, 0–9 and -, up to 12; codes then read PREFIX-XXXX.'),
        field('code_lifetime_hours', 'Code lifetime (hours)', c.lifetime, 'Empty: codes never expire.'))),
      h('div', { class: 'actions' }, c.save, c.status)),
    h('aside', { class: 'examples', 'aria-label': 'Example values' },
      h('h3', {}, 'What points are worth'),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Points'), h('th', { scope: 'col' }, 'Discount'), h('th', { scope: 'col' }, 'Note'))), c.examples),
      h('p', { class: 'hint' }, 'Rounded down to the smallest coin. New settings apply to new codes only.')));

  const pick = (group) => group.querySelector('input:checked')?.dataset.v;
  const set = (group, v) => group.querySelectorAll('input').forEach((r) => { r.checked = r.dataset.v === v; });

  function read() {
    const purchase = pick(c.purchase), kind = pick(c.elig), applies = c.applies.value;
    return {
      enabled: c.enabled.checked,
      points_per_unit: c.ppu.value.trim(),
      min_points: whole(c.min.value),
      max_points: whole(c.max.value),
      purchase_type: purchase,
      subscription: purchase === 'one_time' ? null : { applies_to: applies, cycles: applies === 'recurring' ? whole(c.cycles.value) : null },
      eligibility: { kind, ids: kind === 'all' ? [] : finder.ids() },
      combines_with: Object.fromEntries(combos.map(([k, box]) => [k, box.checked])),
      code_prefix: c.prefix.value.trim() || null,
      code_lifetime_hours: whole(c.lifetime.value),
    };
  }

  function write(p) {
    saved = p;
    c.enabled.checked = p.enabled;
    c.ppu.value = p.points_per_unit;
    c.min.value = p.min_points;
    c.max.value = p.max_points;
    set(c.purchase, p.purchase_type);
    c.applies.value = p.subscription?.applies_to || 'first_payment';
    c.cycles.value = p.subscription?.cycles ?? '';
    set(c.elig, p.eligibility?.kind || 'all');
    finder.set(p.eligibility?.kind || 'all', p.eligibility?.ids || []);
    for (const [k, box] of combos) box.checked = !!p.combines_with?.[k];
    c.prefix.value = p.code_prefix || '';
    c.lifetime.value = p.code_lifetime_hours ?? '';
    c.status.textContent = `Version ${p.version}${p.updated_at ? `, saved ${when(p.updated_at)}` : ''}.`;
  }

  function showErrors(fields) {
    for (const [name, { control, out }] of Object.entries(errs)) {
      const msg = submitted || touched.has(name) ? fields[name] || '' : '';
      out.textContent = msg;
      control.toggleAttribute('aria-invalid', !!msg);
    }
  }

  function renderExamples(b) {
    const ok = PPU_PATTERN.test(b.points_per_unit) && /[1-9]/.test(b.points_per_unit) && Number.isInteger(b.min_points) && Number.isInteger(b.max_points) && b.min_points <= b.max_points;
    if (!ok) return fill(c.examples, h('tr', {}, h('td', { colspan: '3', class: 'hint' }, 'Fix the settings to see examples.')));
    const digits = minorDigits(shop.currency);
    fill(c.examples, examplePoints(b.min_points, b.max_points).map((n) => h('tr', {},
      h('td', {}, points(n)), h('td', {}, money(valueFor(n, b.points_per_unit, digits), shop.currency)),
      h('td', { class: 'hint' }, n === b.min_points ? 'minimum' : n === b.max_points ? 'maximum' : ''))));
  }

  // A segments rule needs a platform that knows segments (Shopify).
  const segWarn = h('p', { class: 'warn', role: 'status', id: id('seg-warn') });
  const segmentsImpossible = (b) => b.eligibility.kind === 'segments' && shop.platform?.kind !== 'shopify';

  function refresh() {
    const b = read();
    if (!segWarn.isConnected) idsBox.after(segWarn);
    segWarn.textContent = segmentsImpossible(b)
      ? 'This shop has no Shopify connection, so segments cannot be checked: every shopper would be refused. Choose all or listed customers.' : '';
    subBox.hidden = b.purchase_type === 'one_time';
    c.cycles.disabled = c.applies.value !== 'recurring';
    idsBox.hidden = b.eligibility.kind === 'all';
    finder.sync();
    c.prefix.value = c.prefix.value.toUpperCase();
    showErrors(validateProgram(b));
    renderExamples(b);
  }

  async function save(e) {
    e.preventDefault();
    submitted = true;
    const body = read(), fields = validateProgram(body);
    // Said first: no segment can be picked on a shop without Shopify.
    if (segmentsImpossible(body)) { c.status.textContent = 'Not saved: a segments rule cannot work on this shop (no Shopify connection).'; return; }
    showErrors(fields);
    const first = Object.keys(fields)[0];
    if (first) { errs[first].control.focus(); c.status.textContent = 'Please fix the highlighted settings.'; toast('Program not saved: fix the highlighted settings', true); return; }
    c.save.disabled = true;
    c.status.textContent = 'Saving…';
    try {
      const p = await call('PUT', `/api/v1/admin/programs/${channel}`, { body });
      write(p);
      refresh();
      guard.clean();
      c.status.textContent = `Saved. Version ${p.version} applies to new codes from now on.`;
      toast(`${channel === 'pos' ? 'POS' : 'Online'} program saved`);
    } catch (err) {
      const fields = err.details?.fields || {};
      showErrors(fields);
      const other = Object.entries(fields).filter(([k]) => !errs[k]).map(([k, m]) => `${k}: ${m}`);
      c.status.textContent = `Not saved: ${[err.message, ...other].join(' · ')}`;
      toast('Program not saved', true);
    } finally {
      c.save.disabled = false;
    }
  }

  form.addEventListener('input', refresh);
  form.addEventListener('change', refresh);
  form.addEventListener('submit', save);
  fill(root, h('p', { class: 'hint' }, 'Loading…'));
  return {
    async load() {
      write(await call('GET', `/api/v1/admin/programs/${channel}`));
      fill(root, form);
      refresh();
      // Unsaved edits: the save bar, and Discard puts the loaded settings back.
      guard ||= track(form, { discard: () => { submitted = false; touched.clear(); write(saved); refresh(); guard.clean(); } });
      guard.clean();
    },
    setCurrency(cur) { shop.currency = cur; c.unit.textContent = cur; refresh(); },
  };
}
