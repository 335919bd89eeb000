// One campaign's page: the budget gauges (reserved / cap, from the report's
// outstanding and total value and the campaign's limits), refusals by
// reason, the lift chart (treatment vs control with the 95 % interval of
// the difference as an error bar) from GET …/campaigns/{id}/report, and the
// campaign's offers, paged with next_cursor.
import { h, fill } from './dom.js';
import { money, when, codeText } from './format.js';
import { gauge, liftChart } from './charts.js';

export const REASONS = {
  limit_reached: 'A limit was reached', budget_exhausted: 'Budget used up', customer_blocked: 'Customer blocked',
  campaign_inactive: 'Campaign off or outside its schedule', campaign_paused: 'Campaign paused itself (a safety limit tripped)',
  not_eligible: 'Customer not eligible', too_soon: 'Too soon after another offer',
};
const STATUS_WORDS = {
  scheduled: 'Scheduled', pending: 'Being created', active: 'Ready to use', used: 'Used', expired: 'Expired', held_out: 'Held out (control)',
  refused: 'Refused', cancelled: 'Cancelled', deleted: 'Deleted', failed: 'Failed',
};
const STATUSES = ['scheduled', 'pending', 'active', 'used', 'expired', 'held_out', 'refused', 'cancelled', 'deleted', 'failed'];
// The interval's method, as the report's domain function names it.
export const CI_METHOD = 'Newcombe’s hybrid score interval (Wilson) for a difference of two proportions';
const pct = (x) => (x == null ? '–' : `${(x * 100).toFixed(1)} %`);

export const report = (call, id) => call('GET', `/api/v1/admin/campaigns/${id}/report`);

// Issued / refused / held out: from the report, or by paging through the
// offers where this server has no report.
export async function counts(call, v) {
  try {
    const r = await report(call, v.id);
    return { issued: r.issued, held_out: r.held_out, refused: Object.values(r.refused || {}).reduce((a, b) => a + b, 0), report: r };
  } catch (e) {
    if (e.status !== 404 || e.message.includes('campaign')) throw e;
  }
  const n = { issued: 0, refused: 0, held_out: 0 };
  let cursor = null;
  for (let page = 0; page < 10; page++) {
    const r = await call('GET', `/api/v1/admin/campaigns/${v.id}/offers?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    for (const o of r.offers) {
      if (o.status === 'refused') n.refused++;
      else if (o.status === 'held_out') n.held_out++;
      else if (['pending', 'active', 'used', 'expired', 'deleted'].includes(o.status)) n.issued++;
    }
    cursor = r.next_cursor;
    if (!cursor) return n;
  }
  return { issued: null, refused: null, held_out: null };
}

function budget(r, v, cur) {
  const fmt = (x) => money(x ?? 0, cur);
  const caps = [['Outstanding value', r.outstanding_value, v.limits.max_outstanding_value],
    ['Total value issued', r.total_value, v.limits.max_total_value]];
  return h('div', { class: 'charts', id: 'cp-budget' }, caps.map(([label, used, cap]) => gauge(`${label} (reserved / cap)`, Number(used ?? 0), Number(cap ?? 0),
    { usedLabel: fmt(used), capLabel: cap == null ? '' : fmt(cap), summary: `${label}: ${fmt(used)}${cap == null ? ', no cap' : ` of ${fmt(cap)}`}` })));
}

function refusals(r) {
  const entries = Object.entries(r.refused || {}).filter(([, n]) => n > 0);
  return h('section', { class: 'card', 'aria-labelledby': 'cp-refused-title' }, h('h3', { id: 'cp-refused-title' }, 'Refused, by reason'),
    entries.length ? h('table', { class: 'table', id: 'cp-refused' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Reason'), h('th', { scope: 'col', class: 'n' }, 'Events'))),
      h('tbody', {}, entries.map(([k, n]) => h('tr', {}, h('th', { scope: 'row' }, REASONS[k] || 'Other reason'), h('td', { class: 'n' }, n.toLocaleString())))))
      : h('p', { class: 'hint' }, 'No event was refused.'));
}

function kpis(r) {
  const items = [['Issued', r.issued], ['Held out', r.held_out], ['Used', r.used], ['Expired', r.expired]];
  return h('div', { class: 'kpis' }, items.map(([k, v]) => h('div', { class: 'card kpi' }, h('span', { class: 'kpi-label' }, k), h('span', { class: 'kpi-value' }, (v ?? 0).toLocaleString()))));
}

// One incremental figure with its 95 % interval, and whether it is significant.
function figure(id, label, value, ci, significant, fmt) {
  const sig = significant === true;
  return h('div', { class: 'card kpi incr', id },
    h('span', { class: 'kpi-label' }, label),
    h('span', { class: 'kpi-value' }, fmt(value)),
    ci ? h('span', { class: 'ci-text' }, `95 % interval ${fmt(ci[0])} to ${fmt(ci[1])}`) : h('span', { class: 'ci-text' }, 'Interval: not enough customers yet'),
    h('span', { class: `badge ${sig ? 'tone-ok' : 'tone-warn'}` }, sig ? 'Significant' : 'Not significant yet'),
    h('span', { class: 'hint' }, sig ? 'The interval excludes 0: the campaign made a difference.' : 'The interval includes 0: no effect is shown yet.'));
}

const signedPct = (x) => (x == null ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : ''}${(Math.abs(x) * 100).toFixed(1)} %`);

// The incremental figures against the control group, each with its
// interval; without a control group there is nothing to compare, said so.
function incremental(r, v, cur) {
  if (!r.control.customers) {
    const why = v.holdout_percent > 0 ? `The control group (${v.holdout_percent} % of customers, who get no code) is still empty, so the campaign’s effect cannot be measured yet.`
      : 'This campaign has no control group, so its effect on sales cannot be measured: every customer gets a code. Set a control group (%) to measure lift and incremental revenue.';
    return h('section', { class: 'card', id: 'cp-incremental', 'aria-labelledby': 'cp-incr-title' },
      h('h3', { id: 'cp-incr-title' }, 'Effect of the campaign'), h('p', { class: 'no-control' }, why));
  }
  const m = (x) => { try { return money(x, cur); } catch { return `${x} ${cur}`; } };
  const l = r.lift || {};
  const liftSig = l.significant ?? (l.ci95 ? l.ci95[0] > 0 || l.ci95[1] < 0 : null);
  return h('section', { class: 'card', id: 'cp-incremental', 'aria-labelledby': 'cp-incr-title' },
    h('h3', { id: 'cp-incr-title' }, 'Effect of the campaign (against the control group)'),
    h('div', { class: 'kpis' },
      figure('cp-lift-kpi', 'Conversion lift', l.absolute, l.ci95, liftSig, signedPct),
      r.incremental_revenue == null ? null
        : figure('cp-revenue-kpi', 'Incremental revenue', r.incremental_revenue, r.incremental_revenue_ci95, r.incremental_revenue_significant, (x) => (x == null ? '–' : m(x)))));
}

function lift(r) {
  const t = r.treatment, c = r.control, l = r.lift || {};
  const summary = `Treatment ${pct(t.rate)} of ${t.customers} customers converted, control ${pct(c.rate)} of ${c.customers}; `
    + (l.absolute == null ? 'lift not known yet.' : `lift ${pct(l.absolute)}, 95 % interval ${pct(l.ci95?.[0])} to ${pct(l.ci95?.[1])}.`);
  const method = l.method || CI_METHOD;
  const fig = liftChart('Conversion: treatment vs control', summary, r, { method });
  fig.id = 'cp-lift';
  fig.append(h('p', { class: 'hint' }, `The error bar is the ${method.replace(/\.$/, '')}. `,
    l.relative == null ? '' : `Relative lift ${pct(l.relative)}. `,
    'If the bar crosses 0 the campaign has not (yet) shown an effect.'));
  fig.title = method;
  return fig;
}

function offers(call, v) {
  const body = h('tbody');
  const filter = h('select', { id: 'cp-status' }, h('option', { value: '' }, 'All'), STATUSES.map((s) => h('option', { value: s }, STATUS_WORDS[s])));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const msg = h('p', { class: 'err', role: 'alert' });
  let cursor = null;
  async function page(append) {
    const qs = new URLSearchParams({ limit: '25' });
    if (filter.value) qs.set('status', filter.value);
    if (append && cursor) qs.set('cursor', cursor);
    const r = await call('GET', `/api/v1/admin/campaigns/${v.id}/offers?${qs}`);
    cursor = r.next_cursor;
    more.hidden = !cursor;
    const rows = r.offers.map((o) => h('tr', {},
      h('td', { 'data-label': 'Customer' }, o.customer_id), h('td', { 'data-label': 'Status' }, h('span', { class: `badge s-${o.status}` }, STATUS_WORDS[o.status] || o.status),
        o.reason ? h('div', { class: 'hint' }, REASONS[o.reason] || 'Other reason') : null),
      o.code ? codeText('td', { class: 'c', 'data-label': 'Code' }, o.code) : h('td', { 'data-label': 'Code' }, '–'), h('td', { 'data-label': 'Issued / due' }, when(o.issued_at || o.due_at)),
      h('td', { 'data-label': 'Expires' }, o.expires_at ? when(o.expires_at) : '–')));
    if (append) body.append(...rows);
    else fill(body, rows.length ? rows : h('tr', {}, h('td', { colspan: '5', class: 'hint' }, 'No offers yet.')));
  }
  const fail = (e) => { msg.textContent = `Could not load offers: ${e.message}`; };
  filter.onchange = () => page(false).catch(fail);
  more.onclick = () => page(true).catch(fail);
  page(false).catch(fail);
  return h('section', { class: 'card', 'aria-labelledby': 'cp-offers-title' },
    h('div', { class: 'detail-head' }, h('h3', { id: 'cp-offers-title' }, 'Offers'),
      h('div', { class: 'field' }, h('label', { for: 'cp-status' }, 'Status'), filter)), msg,
    h('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': 'Offers table' }, h('table', { class: 'table stack', id: 'cp-offers' },
      h('thead', {}, h('tr', {}, ['Customer', 'Status', 'Code', 'Issued / due', 'Expires'].map((t) => h('th', { scope: 'col' }, t)))), body)), more);
}

export function campaignPage(call, v, shop, back, edit) {
  const cur = v.currency || shop.currency;
  const reportBox = h('div', { class: 'report', id: 'cp-report' }, h('p', { class: 'hint' }, 'Loading the report…'));
  report(call, v.id).then((r) => fill(reportBox, kpis(r), incremental(r, v, cur), budget(r, v, cur),
    h('div', { class: 'charts' }, r.control.customers ? lift(r) : null, refusals(r))))
    .catch((e) => fill(reportBox, h('p', { class: 'hint', role: 'status' },
      e.status === 404 ? 'The report is not available on this server yet.' : `Could not load the report: ${e.message}`)));
  const backBtn = h('button', { type: 'button', class: 'secondary' }, '← All campaigns');
  backBtn.onclick = back;
  const editBtn = h('button', { type: 'button', class: 'secondary' }, 'Edit');
  editBtn.onclick = edit;
  return h('section', { class: 'camp-page', 'aria-labelledby': 'cp-title' },
    h('div', { class: 'detail-head' }, h('h2', { id: 'cp-title' }, v.name), h('div', { class: 'actions' }, backBtn, editBtn)),
    reportBox, offers(call, v));
}
