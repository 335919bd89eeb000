// Campaigns tab: the list (status, schedule, counts), enable / disable /
// resume, the form for a new or edited campaign, and each campaign's page
// (budget, refusals, lift, offers) from admin-campaign-page.js.
import { h, fill } from './dom.js';
import { when } from './format.js';
import { campaignForm, bodyOf } from './admin-campaign-form.js';
import { campaignPage, counts } from './admin-campaign-page.js';
import { TRIGGERS } from './admin-campaign-rules.js';
import { track } from './admin-savebar.js';
import { toast } from './admin-shell.js';

const TRIGGER = Object.fromEntries(TRIGGERS);

// Why a campaign paused itself, in words (paused_reason is the server's record).
export function pauseWords(reason) {
  if (/max_codes_per_hour|codes in an hour|hourly/i.test(reason)) return 'hourly limit';
  if (/stop_loss/.test(reason)) return 'losing money';
  if (/daily_cost_cap/.test(reason)) return 'daily cost limit';
  return 'safety limit';
}

// What one more code reserves against the money caps (the server's rule:
// a fixed amount's value, else limits.assumed_value, or free shipping's cap).
const reserve = (v) => Number(v.discount.kind === 'fixed_amount' ? v.discount.value
  : v.limits.assumed_value ?? (v.discount.kind === 'free_shipping' ? v.discount.max_shipping : 0) ?? 0) || 0;

// True when the report shows a money cap cannot hold one more code.
export function budgetUsedUp(v, r) {
  if (!r || r.total_value == null) return false;
  const next = reserve(v), full = (used, cap) => cap != null && Number(used) + next > Number(cap);
  return full(r.total_value, v.limits.max_total_value) || full(r.outstanding_value, v.limits.max_outstanding_value);
}

// The campaign's state as a badge in plain words: Active, Paused — why,
// Budget used up, Scheduled, Ended or Disabled; r (the report) may be null.
export function stateOf(v, r, now = Date.now()) {
  const start = v.starts_at && Date.parse(v.starts_at), end = v.ends_at && Date.parse(v.ends_at);
  if (!v.enabled && v.paused_reason) return { label: `Paused — ${pauseWords(v.paused_reason)}`, tone: 'warn' };
  if (!v.enabled) return { label: 'Disabled', tone: 'off' };
  if (end && end <= now) return { label: 'Ended', tone: 'off' };
  if (start && start > now) return { label: 'Scheduled', tone: 'info' };
  if (budgetUsedUp(v, r)) return { label: 'Budget used up', tone: 'warn' };
  return { label: 'Active', tone: 'ok' };
}

// The schedule window under the badge.
export function scheduleOf(v, now = Date.now()) {
  const start = v.starts_at && new Date(v.starts_at), end = v.ends_at && new Date(v.ends_at);
  if (end && end <= now) return `Ended ${when(v.ends_at)}`;
  if (start && start > now) return `From ${when(v.starts_at)}${end ? ` to ${when(v.ends_at)}` : ''}`;
  return end ? `Until ${when(v.ends_at)}` : '';
}

export const badge = (state) => h('span', { class: `badge tone-${state.tone}` }, state.label);

export function campaignsPanel(root, call, shop) {
  const rows = h('tbody');
  const status = h('p', { class: 'status', role: 'status', id: 'camp-status' });
  const add = h('button', { type: 'button', class: 'primary', id: 'camp-new' }, 'New campaign');
  const listCard = h('section', { class: 'card', 'aria-labelledby': 'camp-title' },
    h('div', { class: 'detail-head' }, h('h2', { id: 'camp-title' }, 'Campaigns'), add),
    h('p', { class: 'hint' }, 'Personal, single-use codes issued when a shopper does something. Counts are since the campaign started.'),
    h('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': 'Campaigns table' }, h('table', { class: 'table stack', id: 'camp-list' },
      h('thead', {}, h('tr', {}, ['Campaign', 'Status', 'Issued', 'Refused', 'Held out', 'Actions'].map((t, i) => h('th', { scope: 'col', class: i > 1 && i < 5 ? 'n' : null }, t)))),
      rows)), status);
  const work = h('div', { class: 'camp-work', tabindex: '-1' });
  let list = [];
  // The open campaign form's unsaved-changes guard: replacing the form
  // (New campaign, Edit, a campaign's page, Cancel) asks first.
  let guard = null;
  const leave = async () => !guard || (await guard.leave());

  async function load() {
    let page = await call('GET', '/api/v1/admin/campaigns');
    list = page.campaigns;
    while (page.next_cursor) {
      page = await call('GET', `/api/v1/admin/campaigns?cursor=${encodeURIComponent(page.next_cursor)}`);
      list = list.concat(page.campaigns);
    }
    if (!list.length) return fill(rows, h('tr', {}, h('td', { colspan: '6', class: 'hint empty-row' }, 'No campaigns yet. Create one to send personal codes.')));
    fill(rows, list.map(row));
    await Promise.all(list.map((v) => counts(call, v).then((n) => {
      const tr = rows.querySelector(`[data-id="${v.id}"]`);
      if (!tr) return;
      ['issued', 'refused', 'held_out'].forEach((k, i) => { tr.children[2 + i].textContent = n[k] == null ? '–' : n[k].toLocaleString(); });
      tr.querySelector('.camp-state .badge').replaceWith(badge(stateOf(v, n.report)));
    }).catch(() => {})));
  }

  function row(v) {
    const toggle = h('button', { type: 'button', class: 'secondary small' }, v.enabled ? 'Disable' : v.paused_reason ? 'Resume' : 'Enable');
    toggle.onclick = () => setEnabled(v, !v.enabled, toggle);
    const edit = h('button', { type: 'button', class: 'secondary small' }, 'Edit');
    edit.onclick = () => openForm(v);
    const dates = scheduleOf(v);
    const cell = (label, ...kids) => h('td', { 'data-label': label, class: label === 'Issued' || label === 'Refused' || label === 'Held out' ? 'n' : null }, ...kids);
    return h('tr', { 'data-id': v.id },
      cell('Campaign', h('button', { type: 'button', class: 'link', onclick: () => openPage(v) }, v.name),
        h('div', { class: 'hint' }, `${TRIGGER[v.trigger.kind] || v.trigger.kind} · version ${v.version}`)),
      cell('Status', h('div', { class: 'camp-state' }, badge(stateOf(v, null))), dates ? h('div', { class: 'hint' }, dates) : null),
      cell('Issued', '…'), cell('Refused', '…'), cell('Held out', '…'),
      cell('Actions', h('div', { class: 'row-actions' }, toggle, edit)));
  }

  async function setEnabled(v, enabled, btn) {
    btn.disabled = true;
    try {
      const saved = await call('PUT', `/api/v1/admin/campaigns/${v.id}`, { body: { ...bodyOf(v), enabled } });
      await load();
      status.textContent = `${saved.name} ${enabled ? (v.paused_reason ? 'resumed' : 'enabled') : 'disabled'} (version ${saved.version}).`;
      rows.querySelector(`[data-id="${v.id}"] .row-actions button`)?.focus();
    } catch (e) {
      btn.disabled = false;
      status.textContent = `Not changed: ${e.message}`;
    }
  }

  async function openForm(existing) {
    if (!(await leave())) return;
    const f = campaignForm(call, shop, existing, async (v) => {
      guard?.stop();
      guard = null;
      fill(work);
      toast(`${v.name} saved`);
      await load();
      status.textContent = `${v.name} saved (version ${v.version}).`;
      rows.querySelector(`[data-id="${v.id}"] button.link`)?.focus();
    });
    const close = () => { guard?.stop(); guard = null; fill(work); };
    f.cancel.onclick = async () => { if (await leave()) { close(); add.focus(); } };
    fill(work, h('section', { class: 'card', 'aria-labelledby': 'cf-title' },
      h('h2', { id: 'cf-title' }, existing ? `Edit “${existing.name}”` : 'New campaign'), f.form));
    guard = track(f.form, { discard: close });
    f.focus();
  }

  async function openPage(v) {
    if (!(await leave())) return;
    guard = null;
    const back = () => { fill(work); rows.querySelector(`[data-id="${v.id}"] button.link`)?.focus(); };
    fill(work, campaignPage(call, v, shop, back, () => openForm(v)));
    work.focus();
  }

  add.onclick = () => openForm(null);
  fill(root, listCard, work);
  return { load };
}
