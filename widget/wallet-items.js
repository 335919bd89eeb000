// Codes list and points history, drawn in the caller's `words` (the widget's
// tables, or the merchant's words of wallet-lists.js for the admin and till),
// and the copy button every code has.
import { h, fill } from './dom.js';
import { money, signed, when, codeText, refundable } from './format.js';
import { t } from './messages.js';

export function renderCodes(ul, claims, onRefund, opts) {
  const w = opts.words;
  fill(ul, claims.length ? claims.map((c) => codeItem(c, onRefund, w, opts)) : h('li', { class: 'empty' }, w.none()));
}

export function renderHistory(ul, entries, w) {
  fill(ul, entries.length ? entries.map((e) => entryItem(e, w)) : h('li', { class: 'empty' }, w.noActivity()));
}

function codeItem(c, onRefund, w, opts) {
  const actions = h('div', { class: 'actions' }), by = c.cancelled_by && w.by(c.cancelled_by);
  const item = h('li', { class: 'item', 'data-claim': c.id, 'data-status': c.status },
    h('div', { class: 'main' },
      codeText('code', { class: 'c' }, c.code),
      h('span', { class: `badge s-${c.status}` }, w.status(c.status))),
    h('div', { class: 'sub' }, `${money(c.value, c.currency)} · ${w.pts(c.points)} · ${when(c.created_at)}`,
      c.expires_at && refundable(c) ? w.expires(c.expires_at) : ''),
    by && h('div', { class: 'sub by' }, by),
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

// Copy a code: clipboard, else select it and say so.
export function copyButton(code, target, say, props = {}) {
  const btn = h('button', { type: 'button', class: 'secondary copy', ...props }, t('copy'));
  btn.onclick = async () => {
    try {
      await navigator.clipboard.writeText(code);
      btn.textContent = t('copied');
      say(t('copied_sr'));
    } catch {
      getSelection().selectAllChildren(target);
      btn.textContent = t('select_copy');
      say(t('select_copy_sr'));
    }
    btn.dataset.done = '';
    setTimeout(() => { btn.textContent = t('copy'); delete btn.dataset.done; }, 4000);
  };
  return btn;
}
