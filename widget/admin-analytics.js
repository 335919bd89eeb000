// Analytics: headline numbers and inline SVG charts for a chosen period.
import { h, fill } from './dom.js';
import { money, points } from './format.js';
import { barChart, splitBar } from './charts.js';

const PERIODS = [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days'], ['', 'All time']];
const STATUS_COLORS = { open: '#2f5bea', used: '#067647', refunded: '#b54708', expired: '#8c959f', failed: '#b42318' };
const STATUS_LABELS = { open: 'Open', used: 'Used', refunded: 'Cancelled', expired: 'Expired', failed: 'Failed' };

const kpi = (label, value, note) => h('div', { class: 'card kpi' }, h('p', { class: 'kpi-label' }, label), h('p', { class: 'kpi-value' }, value), note && h('p', { class: 'hint' }, note));
const plural = (n, one, many) => `${points(n)} ${n === 1 ? one : many}`;

// The first day of the day / week (Monday) / month holding time t (UTC ms).
const startOf = (t, period) => {
  const d = new Date(t);
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  if (period === 'week') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
};
const next = (t, period) => {
  const d = new Date(t);
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return t + (period === 'week' ? 7 : 1) * 864e5;
};

// The server lists only periods with claims; the chart shows every period
// (from the first claim, for "all time"), zeros included.
export function everyPeriod(rows, from, to, period = 'day') {
  const byDate = new Map(rows.map((d) => [d.date, d]));
  const first = from ? from.slice(0, 10) : rows.map((d) => d.date).sort()[0];
  if (!first) return [];
  const out = [], last = Date.parse((to || new Date().toISOString()).slice(0, 10) + 'T00:00:00Z');
  for (let t = startOf(Date.parse(`${first}T00:00:00Z`), period); t <= last && out.length < 400; t = next(t, period)) {
    const date = new Date(t).toISOString().slice(0, 10);
    out.push(byDate.get(date) || { date, count: 0, points: 0 });
  }
  return out;
}

const shortDate = (d, period) => new Date(`${d}T00:00:00Z`).toLocaleDateString(undefined,
  period === 'month' ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { month: 'short', day: 'numeric', timeZone: 'UTC' });
const PER = { day: 'day', week: 'week', month: 'month' };

export function analyticsPanel(root, call) {
  const period = h('select', { id: 'an-period' }, PERIODS.map(([v, l]) => h('option', { value: v, selected: v === '30' || null }, l)));
  const body = h('div', { class: 'analytics', 'aria-live': 'polite' });
  fill(root, h('div', { class: 'inline toolbar' }, h('label', { for: 'an-period' }, 'Period'), period), body);

  // Periods chosen in quick succession load at once: only the newest choice may fill the panel.
  let newest = 0;
  async function load() {
    const mine = ++newest;
    const days = Number(period.value), qs = new URLSearchParams();
    // "Last n days" is today and the n − 1 days before it, from midnight (UTC,
    // the chart's days); no `from` would mean the server's default window,
    // so "all time" asks from the epoch.
    const from = days ? new Date(startOf(Date.now(), 'day') - (days - 1) * 864e5).toISOString().replace(/\.\d+Z$/, 'Z') : '1970-01-01T00:00:00Z';
    qs.set('from', from);
    let a;
    try {
      a = await call('GET', `/api/v1/admin/analytics?${qs}`);
    } catch (e) {
      if (mine === newest) throw e;
      return;
    }
    if (mine !== newest) return;
    const cur = a.currency, per = a.period || 'day';
    const dist = a.distribution.map((b) => ({ label: b.max != null && b.max !== b.min ? `${points(b.min)}–${points(b.max)}` : `${points(b.min)}+`, value: b.count }));
    const rows = everyPeriod(a.claims_per_day, days ? from : null, a.to, per);
    const perDay = rows.map((d) => ({ label: shortDate(d.date, per), value: d.count, tip: `${per === 'day' ? '' : `${PER[per]} of `}${d.date}: ${d.count} codes, ${points(d.points)} points` }));
    const parts = Object.keys(STATUS_LABELS).map((k) => ({ label: STATUS_LABELS[k], value: a.status[k] || 0, color: STATUS_COLORS[k] }));
    const ch = a.by_channel || {}, split = [['online', 'Online', '#2f5bea'], ['pos', 'POS', '#b54708']]
      .map(([k, label, color]) => ({ label, value: ch[k]?.count || 0, color }));
    const refunded = a.refunded || { count: 0, points: 0 }, orders = a.orders;
    fill(body,
      h('div', { class: 'kpis' },
        kpi('Codes created', points(a.claims_count), refunded.count ? `of which ${points(refunded.count)} cancelled` : null),
        kpi('Points redeemed (net of cancelled codes)', points(a.net_points_redeemed ?? a.points_redeemed),
          `${points(refunded.points)} points returned`),
        kpi('Average per code kept', `${points(Math.round(Number(a.average_points_per_net_claim ?? a.average_points_per_claim)))} pts`,
          `over ${plural(a.net_claims_count ?? a.claims_count, 'code', 'codes')} not cancelled`),
        kpi('Codes per customer', Number(a.claims_per_customer.average).toFixed(1), plural(a.claims_per_customer.customers, 'customer', 'customers')),
        kpi('Average order with a code', orders.count ? money(orders.average_value, cur) : 'No orders yet',
          orders.count ? `${plural(orders.count, 'order', 'orders')} · ${money(orders.total_value, cur)} total` : 'Shown once a code is used')),
      h('div', { class: 'charts' },
        barChart('Points per code', `Distribution of points per code across ${dist.length} ranges`, dist, { head: ['Points per code', 'Codes'] }),
        barChart(`Codes per ${PER[per]}`, `Codes created per ${PER[per]}, ${perDay.length} ${PER[per]}s`, perDay,
          { color: '#6941c6', head: [per === 'day' ? 'Day' : `${per === 'week' ? 'Week' : 'Month'} starting`, 'Codes'] }),
        splitBar('Used, cancelled and open codes', parts.map((p) => `${p.label} ${p.value}`).join(', '), parts, ['Status', 'Codes']),
        splitBar('Online and POS codes (not cancelled)', split.map((p) => `${p.label} ${p.value}`).join(', '), split, ['Channel', 'Codes'])));
  }

  period.onchange = () => load().catch(() => fill(body, h('p', { class: 'err', role: 'alert' }, 'Could not load the analytics for this period. Try again.')));
  return { load };
}
