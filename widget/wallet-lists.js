// The codes list and points history, shared by the storefront widget and the
// admin's customer view. A refund always asks first, inline, so it works with
// the keyboard and a screen reader (no window.confirm).
import { h, fill } from './dom.js';
import { money, points, signed, when, STATUS, KIND, refundable } from './format.js';

export function renderCodes(ul, claims, onRefund) {
  fill(ul, claims.length ? claims.map((c) => codeItem(c, onRefund)) : h('li', { class: 'empty' }, 'No codes yet.'));
}

export function renderHistory(ul, entries) {
  fill(ul, entries.length ? entries.map(entryItem) : h('li', { class: 'empty' }, 'No activity yet.'));
}

function codeItem(c, onRefund) {
  const actions = h('div', { class: 'actions' });
  if (onRefund && refundable(c)) askButton(actions, c, onRefund);
  return h('li', { class: 'item', 'data-claim': c.id, 'data-status': c.status },
    h('div', { class: 'main' },
      h('code', { class: 'c' }, c.code),
      h('span', { class: `badge s-${c.status}` }, STATUS[c.status] || c.status)),
    h('div', { class: 'sub' }, `${money(c.value, c.currency)} · ${points(c.points)} points · ${when(c.created_at)}`,
      c.expires_at && refundable(c) ? ` · expires ${when(c.expires_at)}` : ''),
    actions);
}

function askButton(box, c, onRefund) {
  const ask = h('button', { type: 'button', class: 'link', 'aria-label': `Refund code ${c.code}` }, 'Refund');
  ask.onclick = () => confirmRefund(box, c, onRefund);
  fill(box, ask);
  return ask;
}

function confirmRefund(box, c, onRefund) {
  const yes = h('button', { type: 'button', class: 'danger' }, 'Yes, refund');
  const no = h('button', { type: 'button', class: 'link' }, 'Keep code');
  yes.onclick = () => onRefund(c, yes);
  no.onclick = () => askButton(box, c, onRefund).focus();
  fill(box, h('span', { class: 'confirm' }, `Cancel ${c.code} and return ${points(c.points)} points?`), yes, no);
  yes.focus();
}

function entryItem(e) {
  return h('li', { class: 'item' },
    h('div', { class: 'main' },
      h('span', {}, KIND[e.kind] || e.kind),
      h('span', { class: e.delta < 0 ? 'neg' : 'pos' }, signed(e.delta))),
    h('div', { class: 'sub' }, when(e.created_at), e.reason ? ` · ${e.reason}` : '', ` · balance ${points(e.balance_after)}`));
}
