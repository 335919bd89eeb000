// The campaign form: every field of API.md's campaign body, inline
// validation mirroring src/domain/campaign_parse.rs, a live preview of a
// sample code and of the offer as the shopper will see it, and save (POST a
// new campaign or PUT a new version). A server 422's details.fields land
// next to the field they name.
import { h, fill } from './dom.js';
import { newKey } from './api.js';
import { codeText } from './format.js';
import { loadMessages } from './messages.js';
import { offerItem } from './wallet-rules.js';
import { picker } from './admin-picker.js';
import { toast } from './admin-shell.js';
import { TRIGGERS, DISCOUNTS, validateCampaign, renderCode, randomSymbols } from './admin-campaign-rules.js';

const whole = (v) => (/^-?\d+$/.test(v.trim()) ? Number(v) : v.trim() === '' ? null : NaN);
const text = (v) => (v.trim() === '' ? null : v.trim());
const select = (options) => h('select', {}, options.map(([v, label]) => h('option', { value: v }, label)));
const num = (attrs = {}) => h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', class: 'num', ...attrs });
const dec = () => h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', class: 'num' });
// datetime-local (the browser's time zone) ↔ RFC 3339 UTC.
const toLocal = (iso) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
};
const fromLocal = (v) => (v ? new Date(v).toISOString() : null);

export const SAMPLE_NAME = 'Alex';

// The body a stored campaign view is saved back with.
export function bodyOf(v) {
  const { currency, ...discount } = v.discount;
  return {
    name: v.name, title: v.title, enabled: v.enabled, trigger: v.trigger, discount, code: v.code,
    expires_after_hours: v.expires_after_hours, starts_at: v.starts_at, ends_at: v.ends_at,
    eligibility: v.eligibility, limits: v.limits, holdout_percent: v.holdout_percent,
  };
}

export function campaignForm(call, shop, existing, onSaved) {
  const c = {}, errs = {}, touched = new Set();
  let submitted = false, key = newKey();
  const field = (name, label, control, hint) => {
    const out = h('p', { class: 'err', id: `cf-${name}-err` });
    const hintEl = hint && h('p', { class: 'hint', id: `cf-${name}-hint` }, hint);
    control.id ||= `cf-${name}`;
    control.setAttribute('aria-describedby', [hintEl && hintEl.id, out.id].filter(Boolean).join(' '));
    control.addEventListener('input', () => touched.add(name));
    control.addEventListener('change', () => touched.add(name));
    errs[name] = { control, out };
    return h('div', { class: 'field', 'data-field': name }, h('label', { for: control.id }, label), control, hintEl, out);
  };
  const box = (label) => { const b = h('input', { type: 'checkbox' }); return [b, h('label', { class: 'choice' }, b, label)]; };

  c.name = h('input', { type: 'text', maxlength: '200', autocomplete: 'off' });
  c.title = h('input', { id: 'cf-offer-title', type: 'text', maxlength: '80', autocomplete: 'off' });
  [c.enabled, c.enabledLabel] = box('Enabled: events issue codes');
  c.kind = select(TRIGGERS);
  c.delay = num();
  c.n = num();
  c.inactive = num();
  c.tmin = dec();
  c.event = h('input', { type: 'text', maxlength: '100', autocomplete: 'off' });
  c.dkind = select(DISCOUNTS);
  c.value = dec();
  c.maxShip = dec();
  c.dmin = dec();
  c.purchase = select([['one_time', 'One-time purchases'], ['subscription', 'Subscriptions'], ['both', 'Both']]);
  const combos = ['order', 'product', 'shipping'].map((k) => [k, ...box(`${k[0].toUpperCase()}${k.slice(1)} discounts`)]);
  c.template = h('input', { type: 'text', maxlength: '40', autocomplete: 'off', spellcheck: 'false' });
  c.rlen = num();
  c.prefix = h('input', { type: 'text', maxlength: '12', autocomplete: 'off', class: 'num' });
  c.hours = dec();
  c.starts = h('input', { type: 'datetime-local' });
  c.ends = h('input', { type: 'datetime-local' });
  c.elig = select([['all', 'All customers'], ['customers', 'Listed customers'], ['segments', 'Customer segments']]);
  const lim = {};
  for (const k of ['per_customer', 'per_customer_days', 'daily_codes', 'max_codes_per_hour']) lim[k] = num();
  for (const k of ['max_outstanding_value', 'max_total_value', 'assumed_value']) lim[k] = dec();
  c.holdout = num();
  c.save = h('button', { type: 'submit', class: 'primary' }, existing ? 'Save campaign' : 'Create campaign');
  c.cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  c.status = h('p', { class: 'status', role: 'status', id: 'cf-status' });
  // Listed customers (or segments) as chips, found with the customer search.
  const pick = picker('cf', call, () => c.elig.value, shop, () => { touched.add('eligibility.ids'); refresh(); });
  const idsErr = h('p', { class: 'err', id: 'cf-eligibility.ids-err' });
  pick.control.setAttribute('aria-describedby', `${pick.control.getAttribute('aria-describedby')} ${idsErr.id}`);
  errs['eligibility.ids'] = { control: pick.control, out: idsErr };
  const idsBox = h('div', { class: 'field', 'data-field': 'eligibility.ids' }, pick.el, idsErr);
  const cur = () => shop.currency;

  const trig = {
    n: field('trigger.n', 'Which order (n)', c.n, 'E.g. 3 for the third paid order.'),
    inactive_days: field('trigger.inactive_days', 'Days without an order', c.inactive),
    min_subtotal: field('trigger.min_subtotal', 'Only orders of at least (optional)', c.tmin),
    event: field('trigger.event', 'Event name', c.event, 'The name your systems post to /api/v1/admin/events.'),
  };
  const valueField = field('discount.value', 'Value', c.value);
  const shipField = field('discount.max_shipping', 'Shipping covered up to (optional)', c.maxShip);
  const codeEl = h('code', { class: 'sample', id: 'cf-sample' }), codeAnon = h('code', { class: 'sample', id: 'cf-sample-anon' });
  const shopper = h('div', { class: 'offer-preview', id: 'cf-shopper' });

  const form = h('form', { class: 'program', novalidate: true, 'aria-label': existing ? `Edit ${existing.name}` : 'New campaign' },
    h('div', { class: 'settings' },
      h('fieldset', {}, h('legend', {}, 'Campaign'), field('name', 'Name', c.name),
        field('title', 'Title shoppers see (optional)', c.title, 'Above the offer in the widget; the name when empty.'), c.enabledLabel),
      h('fieldset', {}, h('legend', {}, 'When a code is issued'),
        h('div', { class: 'pair' }, field('trigger.kind', 'Trigger', c.kind),
          field('trigger.delay_minutes', 'Delay (minutes)', c.delay, 'Issued this long after the event; 0 = at once.')),
        ...Object.values(trig)),
      h('fieldset', {}, h('legend', {}, 'Discount'),
        h('div', { class: 'pair' }, field('discount.kind', 'Kind', c.dkind), valueField, shipField),
        h('div', { class: 'pair' }, field('discount.min_subtotal', 'Minimum subtotal (optional)', c.dmin),
          field('discount.purchase_type', 'Applies to', c.purchase)),
        h('div', { class: 'choices', role: 'group', 'aria-label': 'Combines with' }, h('span', { class: 'hint' }, 'Combines with:'), combos.map((x) => x[2]))),
      h('fieldset', {}, h('legend', {}, 'Code'),
        field('code.template', 'Template', c.template, 'Text plus {RANDOM} (required), {FIRST_NAME}, {PREFIX}. A–Z, 0–9, - and _.'),
        h('div', { class: 'pair' }, field('code.random_length', 'Random symbols', c.rlen, '8–16.'),
          field('code.prefix', 'Prefix for {PREFIX} (optional)', c.prefix),
          field('expires_after_hours', 'Expires after (hours)', c.hours, 'Fractions allowed, at least 0.01.'))),
      h('fieldset', {}, h('legend', {}, 'Schedule (your local time)'),
        h('div', { class: 'pair' }, field('starts_at', 'Starts (optional)', c.starts), field('ends_at', 'Ends (optional)', c.ends))),
      h('fieldset', {}, h('legend', {}, 'Who can get a code'), field('eligibility.kind', 'Customers', c.elig),
        idsBox),
      h('fieldset', {}, h('legend', {}, 'Limits and budget (all optional)'),
        h('div', { class: 'pair' }, field('limits.per_customer', 'Codes per customer', lim.per_customer),
          field('limits.per_customer_days', '… within days', lim.per_customer_days, 'Empty: ever.'),
          field('limits.daily_codes', 'Codes per shop day', lim.daily_codes),
          field('limits.max_codes_per_hour', 'Pause above codes per hour', lim.max_codes_per_hour, 'Kill switch: the campaign pauses itself.')),
        h('div', { class: 'pair' }, field('limits.max_outstanding_value', 'Outstanding value cap', lim.max_outstanding_value, 'Issued, unused, unexpired codes.'),
          field('limits.max_total_value', 'Total value cap', lim.max_total_value, 'Value ever issued.'),
          field('limits.assumed_value', 'Assumed value per code', lim.assumed_value, 'What a percentage or free-shipping code reserves.'))),
      h('fieldset', {}, h('legend', {}, 'Experiment'),
        field('holdout_percent', 'Control group (%)', c.holdout, '0–50: this share of eligible customers gets no code, to measure lift.')),
      h('div', { class: 'actions' }, c.save, c.cancel, c.status)),
    h('aside', { class: 'examples', 'aria-label': 'Preview' },
      h('h3', {}, 'Sample code'),
      h('p', {}, `For ${SAMPLE_NAME}: `, codeEl),
      h('p', {}, 'First name unknown: ', codeAnon),
      h('h3', {}, 'What the shopper sees'), shopper,
      h('p', { class: 'hint' }, 'Random part differs for every code. Codes are unique in the shop.')));

  function read() {
    const kind = c.kind.value, dkind = c.dkind.value;
    const trigger = { kind, delay_minutes: whole(c.delay.value) ?? 0 };
    if (kind === 'nth_order') trigger.n = whole(c.n.value);
    if (kind === 'win_back') trigger.inactive_days = whole(c.inactive.value);
    if (kind === 'order_paid') trigger.min_subtotal = text(c.tmin.value);
    if (kind === 'custom') trigger.event = c.event.value;
    const discount = { kind: dkind, min_subtotal: text(c.dmin.value), purchase_type: c.purchase.value,
      combines_with: Object.fromEntries(combos.map(([k, b]) => [k, b.checked])) };
    if (dkind === 'free_shipping') discount.max_shipping = text(c.maxShip.value);
    else discount.value = text(c.value.value);
    const limits = {};
    for (const [k, el] of Object.entries(lim)) limits[k] = k.includes('value') ? text(el.value) : whole(el.value);
    const ekind = c.elig.value;
    return {
      name: c.name.value, title: text(c.title.value), enabled: c.enabled.checked, trigger, discount,
      code: { template: c.template.value.trim().toUpperCase(), random_length: whole(c.rlen.value), prefix: text(c.prefix.value.toUpperCase()) },
      expires_after_hours: c.hours.value.trim(), starts_at: fromLocal(c.starts.value), ends_at: fromLocal(c.ends.value),
      eligibility: { kind: ekind, ids: ekind === 'all' ? [] : pick.ids() },
      limits, holdout_percent: whole(c.holdout.value) ?? 0,
    };
  }

  function write(v) {
    const t = v.trigger, d = v.discount, l = v.limits;
    c.name.value = v.name;
    c.title.value = v.title ?? '';
    c.enabled.checked = v.enabled;
    c.kind.value = t.kind;
    c.delay.value = t.delay_minutes ?? 0;
    c.n.value = t.n ?? '';
    c.inactive.value = t.inactive_days ?? '';
    c.tmin.value = t.min_subtotal ?? '';
    c.event.value = t.event ?? '';
    c.dkind.value = d.kind;
    c.value.value = d.value ?? '';
    c.maxShip.value = d.max_shipping ?? '';
    c.dmin.value = d.min_subtotal ?? '';
    c.purchase.value = d.purchase_type || 'one_time';
    for (const [k, b] of combos) b.checked = !!d.combines_with?.[k];
    c.template.value = v.code.template;
    c.rlen.value = v.code.random_length;
    c.prefix.value = v.code.prefix ?? '';
    c.hours.value = v.expires_after_hours;
    c.starts.value = toLocal(v.starts_at);
    c.ends.value = toLocal(v.ends_at);
    c.elig.value = v.eligibility.kind;
    pick.set(v.eligibility.kind, v.eligibility.ids);
    for (const [k, el] of Object.entries(lim)) el.value = l[k] ?? '';
    c.holdout.value = v.holdout_percent;
  }

  function showErrors(fields) {
    for (const [name, { control, out }] of Object.entries(errs)) {
      const msg = submitted || touched.has(name) ? fields[name] || '' : '';
      out.textContent = msg;
      control.toggleAttribute('aria-invalid', !!msg);
    }
  }

  let random = randomSymbols(16);
  function preview(b) {
    const len = Number.isInteger(b.code.random_length) && b.code.random_length >= 8 && b.code.random_length <= 16 ? b.code.random_length : 8;
    const rnd = (n) => random.slice(0, n);
    const sample = renderCode(b.code.template, len, SAMPLE_NAME, b.code.prefix, rnd);
    fill(codeEl, sample ? codeText('span', {}, sample) : '–');
    codeAnon.textContent = renderCode(b.code.template, len, null, b.code.prefix, rnd) ?? '–';
    // The widget's own offer item, so the preview is what the shopper sees (a
    // second of slack: the time left reads as at the moment of issue).
    const d = b.discount, number = (v) => (/^\d+(\.\d+)?$/.test(v ?? '') ? v : null);
    const hours = Number(b.expires_after_hours);
    const offer = { id: 'preview', title: b.title || b.name.trim() || 'Your offer', code: sample || '–',
      discount: { ...d, value: number(d.value) ?? '0', min_subtotal: number(d.min_subtotal), max_shipping: number(d.max_shipping), currency: cur() },
      expires_at: hours > 0 ? new Date(Date.now() + hours * 36e5 + 1000).toISOString() : null };
    try {
      fill(shopper, h('ul', { class: 'list' }, offerItem(offer, () => {})),
        h('p', { class: 'hint' }, `One use, only for ${SAMPLE_NAME}’s account.`));
    } catch { fill(shopper, '–'); }
  }

  function refresh() {
    const b = read();
    for (const [k, el] of Object.entries(trig)) el.hidden = !(b.trigger.kind === { n: 'nth_order', inactive_days: 'win_back', min_subtotal: 'order_paid', event: 'custom' }[k]);
    valueField.hidden = b.discount.kind === 'free_shipping';
    shipField.hidden = b.discount.kind !== 'free_shipping';
    valueField.querySelector('label').textContent = b.discount.kind === 'percentage' ? 'Percentage off (1–100)' : `Amount off (${cur()})`;
    idsBox.hidden = b.eligibility.kind === 'all';
    pick.sync();
    showErrors(validateCampaign(b, cur()));
    preview(b);
  }

  async function save(e) {
    e.preventDefault();
    submitted = true;
    const body = read(), fields = validateCampaign(body, cur());
    showErrors(fields);
    const first = Object.keys(fields)[0];
    if (first) { errs[first].control.focus(); c.status.textContent = 'Please fix the highlighted fields.'; return; }
    c.save.disabled = true;
    c.status.textContent = 'Saving…';
    try {
      const v = existing ? await call('PUT', `/api/v1/admin/campaigns/${existing.id}`, { body })
        : await call('POST', '/api/v1/admin/campaigns', { body, key });
      key = newKey();
      onSaved(v);
    } catch (err) {
      if (err.final) key = newKey();
      const server = err.details?.fields || {};
      submitted = true;
      showErrors(server);
      const other = Object.entries(server).filter(([k]) => !errs[k]).map(([k, m]) => `${k}: ${m}`);
      c.status.textContent = `Not saved: ${[err.message, ...other].join(' · ')}`;
      toast('Campaign not saved', true);
      const firstBad = Object.keys(server).find((k) => errs[k]);
      if (firstBad) errs[firstBad].control.focus();
    } finally {
      c.save.disabled = false;
    }
  }

  write(existing || {
    name: '', enabled: true, trigger: { kind: 'cart_abandoned', delay_minutes: 60 },
    discount: { kind: 'percentage', value: '10', purchase_type: 'one_time', combines_with: { order: false, product: true, shipping: true } },
    code: { template: '{FIRST_NAME}-{RANDOM}', random_length: 8, prefix: null }, expires_after_hours: 48,
    eligibility: { kind: 'all', ids: [] }, limits: {}, holdout_percent: 0,
  });
  c.template.addEventListener('input', () => { random = randomSymbols(16); });
  form.addEventListener('input', refresh);
  form.addEventListener('change', refresh);
  form.addEventListener('submit', save);
  refresh();
  loadMessages('en').then(refresh);
  return { form, cancel: c.cancel, focus: () => c.name.focus() };
}
