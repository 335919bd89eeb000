// Codes list and points history for the widget and admin; `words` = the wording.
import { h, fill } from './dom.js';
import { money, points, signed, when, STATUS, KIND, refundable } from './format.js';

export const MERCHANT = {
  ask: () => 'Refund',
  label: (c) => `Refund code ${c.code}`,
  question: (c) => `Cancel ${c.code} and return ${points(c.points)} points?`,
  yes: () => 'Yes, refund',
  no: () => 'Keep code',
  none: () => 'No codes yet.',
  noActivity: () => 'No activity yet.',
  status: (s) => STATUS[s] || s,
  kind: (k) => KIND[k] || k,
  expires: (at) => ` · expires ${when(at)}`,
  balance: (n) => ` · balance ${points(n)}`,
  pts: (n) => `${points(n)} points`,
};

export function renderCodes(ul, claims, onRefund, opts = {}) {
  const w = opts.words || MERCHANT;
  fill(ul, claims.length ? claims.map((c) => codeItem(c, onRefund, w, opts)) : h('li', { class: 'empty' }, w.none()));
}

export function renderHistory(ul, entries, w = MERCHANT) {
  fill(ul, entries.length ? entries.map((e) => entryItem(e, w)) : h('li', { class: 'empty' }, w.noActivity()));
}

function codeItem(c, onRefund, w, opts) {
  const actions = h('div', { class: 'actions' });
  const item = h('li', { class: 'item', 'data-claim': c.id, 'data-status': c.status },
    h('div', { class: 'main' },
      opts.code ? opts.code(c) : h('code', { class: 'c' }, c.code),
      h('span', { class: `badge s-${c.status}` }, w.status(c.status))),
    h('div', { class: 'sub' }, `${money(c.value, c.currency)} · ${w.pts(c.points)} · ${when(c.created_at)}`,
      c.expires_at && refundable(c) ? w.expires(c.expires_at) : ''),
    actions);
  const extra = opts.extra?.(c, item);
  if (onRefund && refundable(c)) askButton(actions, c, onRefund, w, extra);
  else if (extra) actions.append(extra);
  return item;
}

function askButton(box, c, onRefund, w, extra) {
  const ask = h('button', { type: 'button', class: 'link', 'aria-label': w.label(c) }, w.ask());
  ask.onclick = () => confirmRefund(box, c, onRefund, w, extra);
  fill(box, extra, ask);
  return ask;
}

function confirmRefund(box, c, onRefund, w, extra) {
  const yes = h('button', { type: 'button', class: 'danger' }, w.yes());
  const no = h('button', { type: 'button', class: 'link' }, w.no());
  yes.onclick = () => onRefund(c, yes);
  no.onclick = () => askButton(box, c, onRefund, w, extra).focus();
  fill(box, h('span', { class: 'confirm' }, w.question(c)), yes, no);
  yes.focus();
}

function entryItem(e, w) {
  return h('li', { class: 'item' },
    h('div', { class: 'main' },
      h('span', {}, w.kind(e.kind)),
      e.delta || !e.pending_delta ? h('span', { class: e.delta < 0 ? 'neg' : 'pos' }, signed(e.delta))
        : h('span', { class: 'sub' }, signed(e.pending_delta))),
    h('div', { class: 'sub' }, when(e.created_at), e.reason ? ` · ${e.reason}` : '', w.balance(e.balance_after)));
}
