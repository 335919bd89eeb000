// Analytics: headline numbers and inline SVG charts for a chosen period.
import { h, fill } from './dom.js';
import { money, points } from './format.js';
import { barChart, splitBar } from './charts.js';

const PERIODS = [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days'], ['', 'All time']];
const STATUS_COLORS = { open: '#2f5bea', used: '#067647', refunded: '#b54708', expired: '#8c959f', failed: '#b42318' };
const STATUS_LABELS = { open: 'Open', used: 'Used', refunded: 'Refunded', expired: 'Expired', failed: 'Failed' };

const kpi = (label, value, note) => h('div', { class: 'card kpi' }, h('p', { class: 'kpi-label' }, label), h('p', { class: 'kpi-value' }, value), note && h('p', { class: 'hint' }, note));
// The server lists only days with claims; the chart shows every day of the
// period (from the first claim, for "all time"), zeros included.
function everyDay(rows, from, to) {
  const byDate = new Map(rows.map((d) => [d.date, d]));
  const first = from ? from.slice(0, 10) : rows.map((d) => d.date).sort()[0];
  const last = (to || new Date().toISOString()).slice(0, 10);
  if (!first) return [];
  const out = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`) && out.length < 400; t += 864e5) {
    const date = new Date(t).toISOString().slice(0, 10);
    out.push(byDate.get(date) || { date, count: 0, points: 0 });
  }
  return out;
}

const shortDate = (d) => new Date(`${d}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

export function analyticsPanel(root, call) {
  const period = h('select', { id: 'an-period' }, PERIODS.map(([v, l]) => h('option', { value: v, selected: v === '30' || null }, l)));
  const body = h('div', { class: 'analytics', 'aria-live': 'polite' });
  fill(root, h('div', { class: 'inline toolbar' }, h('label', { for: 'an-period' }, 'Period'), period), body);

  async function load() {
    const days = Number(period.value), qs = new URLSearchParams();
    // No `from` would mean the server's default window, so "all time" asks from the epoch.
    const from = days ? new Date(Date.now() - days * 864e5).toISOString().replace(/\.\d+Z$/, 'Z') : '1970-01-01T00:00:00Z';
    qs.set('from', from);
    const a = await call('GET', `/api/v1/admin/analytics?${qs}`);
    const cur = a.currency;
    const dist = a.distribution.map((b) => ({ label: b.max != null && b.max !== b.min ? `${points(b.min)}–${points(b.max)}` : `${points(b.min)}+`, value: b.count }));
    const perDay = everyDay(a.claims_per_day, days ? from : null, a.to).map((d) => ({ label: shortDate(d.date), value: d.count, tip: `${d.date}: ${d.count} codes, ${points(d.points)} points` }));
    const parts = Object.keys(STATUS_LABELS).map((k) => ({ label: STATUS_LABELS[k], value: a.status[k] || 0, color: STATUS_COLORS[k] }));
    fill(body,
      h('div', { class: 'kpis' },
        kpi('Codes created', points(a.claims_count)),
        kpi('Points redeemed', points(a.points_redeemed)),
        kpi('Average per code', `${points(Math.round(Number(a.average_points_per_claim)))} pts`),
        kpi('Codes per customer', Number(a.claims_per_customer.average).toFixed(1), `${points(a.claims_per_customer.customers)} customers`),
        kpi('Average order with a code', money(a.orders.average_value, cur), `${points(a.orders.count)} orders · ${money(a.orders.total_value, cur)} total`)),
      h('div', { class: 'charts' },
        barChart('Points per code', `Distribution of points per code across ${dist.length} ranges`, dist),
        barChart('Codes per day', `Codes created per day, ${perDay.length} days`, perDay, { color: '#6941c6' }),
        splitBar('Used, refunded and open codes', parts.map((p) => `${p.label} ${p.value}`).join(', '), parts)));
  }

  period.onchange = () => load().catch((e) => fill(body, h('p', { class: 'err', role: 'alert' }, e.message)));
  return { load };
}
