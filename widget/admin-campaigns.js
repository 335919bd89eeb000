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

// Enabled / paused with its reason / disabled, and the schedule window.
export function statusOf(v, now = Date.now()) {
  const parts = [];
  if (v.enabled) parts.push('Enabled');
  else if (v.paused_reason) parts.push(`Paused: ${v.paused_reason}`);
  else parts.push('Disabled');
  const start = v.starts_at && new Date(v.starts_at), end = v.ends_at && new Date(v.ends_at);
  if (end && end <= now) parts.push(`ended ${when(v.ends_at)}`);
  else if (start && start > now) parts.push(`scheduled from ${when(v.starts_at)}${end ? ` to ${when(v.ends_at)}` : ''}`);
  else if (end) parts.push(`until ${when(v.ends_at)}`);
  return parts.join(' · ');
}

export function campaignsPanel(root, call, shop) {
  const rows = h('tbody');
  const status = h('p', { class: 'status', role: 'status', id: 'camp-status' });
  const add = h('button', { type: 'button', class: 'primary', id: 'camp-new' }, 'New campaign');
  const listCard = h('section', { class: 'card', 'aria-labelledby': 'camp-title' },
    h('div', { class: 'detail-head' }, h('h2', { id: 'camp-title' }, 'Campaigns'), add),
    h('p', { class: 'hint' }, 'Personal, single-use codes issued when a shopper does something. Counts are since the campaign started.'),
    h('div', { class: 'scroll-x' }, h('table', { class: 'table', id: 'camp-list' },
      h('thead', {}, h('tr', {}, ['Campaign', 'Status', 'Issued', 'Refused', 'Held out', ''].map((t, i) => h('th', { scope: 'col', class: i > 1 && i < 5 ? 'n' : null }, t)))),
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
    if (!list.length) return fill(rows, h('tr', {}, h('td', { colspan: '6', class: 'hint' }, 'No campaigns yet. Create one to send personal codes.')));
    fill(rows, list.map(row));
    await Promise.all(list.map((v) => counts(call, v).then((n) => {
      const tr = rows.querySelector(`[data-id="${v.id}"]`);
      if (!tr) return;
      ['issued', 'refused', 'held_out'].forEach((k, i) => { tr.children[2 + i].textContent = n[k] == null ? '–' : n[k].toLocaleString(); });
    }).catch(() => {})));
  }

  function row(v) {
    const toggle = h('button', { type: 'button', class: 'secondary small' }, v.enabled ? 'Disable' : v.paused_reason ? 'Resume' : 'Enable');
    toggle.onclick = () => setEnabled(v, !v.enabled, toggle);
    const edit = h('button', { type: 'button', class: 'secondary small' }, 'Edit');
    edit.onclick = () => openForm(v);
    return h('tr', { 'data-id': v.id },
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => openPage(v) }, v.name),
        h('div', { class: 'hint' }, `${TRIGGER[v.trigger.kind] || v.trigger.kind} · v${v.version}`)),
      h('td', { class: 'camp-state' }, statusOf(v)),
      h('td', { class: 'n' }, '…'), h('td', { class: 'n' }, '…'), h('td', { class: 'n' }, '…'),
      h('td', {}, h('div', { class: 'row-actions' }, toggle, edit)));
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
