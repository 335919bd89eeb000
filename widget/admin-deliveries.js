// Webhook deliveries on the Shop tab: each delivery's status, tries, last
// answer and next try (GET /admin/notifications), a retry for those given up
// (POST …/{id}/retry), and the warning the webhook card shows while
// deliveries fail (GET /admin/notifications/summary).
import { h, fill } from './dom.js';
import { enc } from './api.js';
import { when, points } from './format.js';

const FILTERS = [['', 'All'], ['pending', 'Waiting or retrying'], ['dead', 'Given up'], ['delivered', 'Delivered']];

// A delivery's state in words, with its badge tone.
export function deliveryState(d) {
  if (d.status === 'delivered') return { label: 'Delivered', tone: 'ok' };
  if (d.status === 'dead') return { label: 'Given up', tone: 'bad' };
  return d.last_error ? { label: 'Retrying', tone: 'warn' } : { label: 'Waiting', tone: 'info' };
}

// The sentence on the webhook card while deliveries fail; '' when none do.
export function failureWarning(s) {
  if (!s || (!s.retrying && !s.dead)) return '';
  const parts = [s.retrying ? `${points(s.retrying)} waiting for another try` : '', s.dead ? `${points(s.dead)} given up` : ''].filter(Boolean);
  const last = s.last_failure ? ` Last answer: “${s.last_failure.error}” (${when(s.last_failure.at)}).` : '';
  return `Deliveries to your webhook are failing: ${parts.join(', ')}.${last} See “Webhook deliveries” below.`;
}

export function deliveriesCard(call) {
  const warning = h('p', { class: 'warn', id: 'shop-notify-warn', role: 'status' });
  const filter = h('select', { id: 'dl-filter' }, FILTERS.map(([v, l]) => h('option', { value: v }, l)));
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const status = h('p', { class: 'status', role: 'status', id: 'dl-status' });
  let cursor = null;

  function row(d) {
    const state = deliveryState(d);
    const retry = d.status === 'dead' ? h('button', { type: 'button', class: 'secondary small', 'aria-label': `Retry ${d.type} of ${when(d.created_at)}` }, 'Retry') : null;
    if (retry) retry.onclick = () => again(d, retry);
    return h('tr', { 'data-id': d.id },
      h('td', { 'data-label': 'Event' }, d.type, h('div', { class: 'hint' }, when(d.created_at))),
      h('td', { 'data-label': 'Status' }, h('span', { class: `badge tone-${state.tone}` }, state.label)),
      h('td', { class: 'n', 'data-label': 'Tries' }, String(d.attempts)),
      h('td', { class: 'delivery-err', 'data-label': 'Last answer' }, d.status === 'delivered' ? 'Accepted' : d.last_error || '–'),
      h('td', { 'data-label': 'Next try' }, d.next_attempt_at ? when(d.next_attempt_at) : '–'),
      h('td', { 'data-label': 'Actions' }, retry || h('span', { class: 'hint' }, '–')));
  }

  async function again(d, btn) {
    btn.disabled = true;
    try {
      const fresh = await call('POST', `/api/v1/admin/notifications/${enc(d.id)}/retry`);
      body.querySelector(`[data-id="${CSS.escape(d.id)}"]`)?.replaceWith(row(fresh));
      status.textContent = `${d.type} queued again: it is sent within seconds.`;
      await warn();
    } catch (e) {
      btn.disabled = false;
      status.textContent = `Not retried: ${e.message}`;
    }
  }

  async function page(append) {
    const qs = new URLSearchParams({ limit: '20' });
    if (filter.value) qs.set('status', filter.value);
    if (append && cursor) qs.set('cursor', cursor);
    const r = await call('GET', `/api/v1/admin/notifications?${qs}`);
    cursor = r.next_cursor;
    more.hidden = !cursor;
    const rows = r.notifications.map(row);
    if (append) body.append(...rows);
    else fill(body, rows.length ? rows : h('tr', {}, h('td', { colspan: '6', class: 'hint' }, 'No deliveries here.')));
  }

  async function warn() {
    warning.textContent = failureWarning(await call('GET', '/api/v1/admin/notifications/summary'));
  }

  const fail = (e) => { status.textContent = `Could not load the deliveries: ${e.message}`; };
  filter.onchange = () => page(false).catch(fail);
  more.onclick = () => page(true).catch(fail);
  const el = h('section', { class: 'card', id: 'shop-deliveries', 'aria-labelledby': 'dl-title' },
    h('div', { class: 'deliveries-tools' }, h('h2', { id: 'dl-title' }, 'Webhook deliveries'),
      h('div', { class: 'field' }, h('label', { for: 'dl-filter' }, 'Show'), filter)),
    h('p', { class: 'hint' }, 'Each event is sent until your endpoint answers 2xx, with longer waits between tries; after a day of failures it is given up, and you can retry it here.'),
    h('div', { class: 'scroll-x', tabindex: '0', role: 'region', 'aria-label': 'Webhook deliveries table' },
      h('table', { class: 'table stack', id: 'dl-list' },
        h('thead', {}, h('tr', {}, ['Event', 'Status', 'Tries', 'Last answer', 'Next try', 'Actions'].map((t) => h('th', { scope: 'col', class: t === 'Tries' ? 'n' : null }, t)))), body)),
    more, status);
  return { el, warning, load: () => Promise.all([page(false), warn()]) };
}
