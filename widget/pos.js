// POS screen: find a customer, enter points with the live value, create the
// code and show it large enough to read across a counter (with a copy button
// and an undo); the customer's open codes, each with copy and "Cancel code",
// and their campaign offers, to read or copy.
import { h, fill } from './dom.js';
import { client, newKey, enc, tokenProblem } from './api.js';
import { money, points, codeText } from './format.js';
import { takeToken } from './page.js';
import { message, localError, closedReason, parsePoints, loadMessages } from './messages.js';
import { renderCodes, MERCHANT } from './wallet-lists.js';
import { offerItem } from './wallet-rules.js';
import { copyButton } from './wallet-items.js';

const $ = (id) => document.getElementById(id);
const token = takeToken('pos');
const call = client('', token);
let wallet = null, intent = null, timer, abort, who = null, made = null;
const refundKeys = new Map();
await loadMessages('en');

// The clerk's words: the merchant's ("Cancel code"), for open codes only.
const WORDS = { ...MERCHANT, none: () => 'No open codes.' };
const copy = (code, target, props) => copyButton(code, target, (s) => { $('codes-msg').textContent = s; }, props);

const show = (step) => ['find', 'redeem', 'done'].forEach((s) => { $(`step-${s}`).hidden = s !== step; });
const say = (el, code, fallback) => { el.textContent = message(code, fallback, wallet?.program, wallet?.points_balance); };

async function search(e) {
  e.preventDefault();
  const q = $('q').value.trim();
  say($('find-msg'));
  // An empty search lists no one (the server agrees): ask for something.
  if (!q) { fill($('results')); $('find-msg').textContent = 'Type a name, e-mail or customer number.'; return $('q').focus(); }
  try {
    const r = await call('GET', `/api/v1/pos/customers?query=${enc(q)}`);
    fill($('results'), r.customers.length ? r.customers.map((c) => h('li', {},
      h('button', { type: 'button', class: 'pick', onclick: () => { who = c; open(c.id); } },
        h('span', { class: 'who' }, `Customer ${c.id}`, c.display_name || c.email ? h('small', {}, ` · ${c.display_name || c.email}`) : null),
        h('span', {}, `${points(c.points_balance)} pts`))))
      : h('li', { class: 'hint' }, 'No customer found. Check the spelling or ask for the e-mail.'));
  } catch (err) {
    $('find-msg').textContent = err.code === 'unauthorized' ? EXPIRED : message(err.code);
  }
}

async function open(id, keepFocus) {
  let codes, offers;
  try {
    [wallet, { claims: codes }, { offers }] = await Promise.all([call('GET', `/api/v1/pos/customers/${enc(id)}/wallet`),
      call('GET', `/api/v1/pos/customers/${enc(id)}/claims`), call('GET', `/api/v1/pos/customers/${enc(id)}/offers`).catch(() => ({ offers: [] }))]);
  } catch (err) {
    return say($('find-msg'), err.code, err.message);
  }
  const list = $('open-codes');
  renderCodes(list, codes, cancel,
    { words: WORDS, extra: (c, li) => copy(c.code, li.querySelector('.c'), { class: 'link', 'aria-label': `Copy code ${c.code}` }) });
  // Campaign offers too: the shopper may ask for one at the till (they give no points back: no cancel).
  const live = offers.filter((o) => o.code && (o.status === 'active' || o.status === 'pending'));
  if (live.length && !codes.length) list.replaceChildren();
  list.append(...live.map((o) => offerItem(o, (s) => { $('codes-msg').textContent = s; })));
  const p = wallet.program;
  $('who').textContent = `Customer ${wallet.customer_id}`;
  $('who-name').textContent = name(id);
  $('balance').textContent = points(wallet.points_balance);
  const closed = !p.enabled || !p.eligible;
  $('claim-form').hidden = closed;
  say($('closed'), closed ? closedReason(p) : '');
  const hi = Math.min(p.max_points, wallet.points_balance);
  $('limits').textContent = `${points(p.min_points)} to ${points(Math.max(hi, 0))} points`;
  const quick = [p.min_points, 500, 1000, hi].filter((n, i, a) => n >= p.min_points && n <= hi && a.indexOf(n) === i);
  fill($('quick'), quick.map((n) => h('button', { type: 'button', onclick: () => setPoints(n) }, n === hi ? `${hi < wallet.points_balance ? 'Max' : 'All'} ${points(n)}` : points(n))));
  setPoints(p.min_points);
  show('redeem');
  if (!keepFocus) $('points').focus();
}

// The name the search showed for this customer, if any.
const name = (id) => (who?.id === id ? who.display_name || who.email || '' : '');

async function cancel(c, btn) {
  if (btn.disabled) return;
  btn.disabled = true;
  if (!refundKeys.has(c.id)) refundKeys.set(c.id, newKey());
  try {
    const r = await call('POST', `/api/v1/pos/claims/${enc(c.id)}/refund`, { key: refundKeys.get(c.id) });
    await open(c.customer_id, true);
    show('redeem');
    $('codes-msg').textContent = r.claim.status === 'refund_pending'
      ? `Cancelling ${c.code}; the points come back shortly.` : `${c.code} cancelled. ${points(r.points_refunded)} points returned.`;
    $('open-codes').focus();
  } catch (err) {
    btn.disabled = false;
    $('codes-msg').textContent = err.code === 'claim_not_refundable'
      ? `${c.code} can't be cancelled: it was used or cancelled already.` : message(err.code);
  }
}

function setPoints(n) {
  $('points').value = n;
  schedule();
}

function schedule() {
  clearTimeout(timer);
  abort?.abort();
  $('value').dataset.pending = '';
  timer = setTimeout(quote, 250);
}

async function quote() {
  const n = parsePoints($('points').value), out = $('value');
  if (n == null) { out.textContent = '–'; delete out.dataset.pending; return say($('msg'), 'invalid'); }
  const ctl = (abort = new AbortController());
  try {
    const q = await call('GET', `/api/v1/pos/quote?customer_id=${enc(wallet.customer_id)}&points=${n}`, { signal: ctl.signal });
    out.textContent = money(q.value, q.currency);
    out.toggleAttribute('data-invalid', !q.valid);
    say($('msg'), q.error?.code, q.error?.message);
  } catch (err) {
    if (err.name === 'AbortError') return;
    say($('msg'), err.code, err.message);
  }
  if (!ctl.signal.aborted) delete out.dataset.pending;
}

async function claim(e) {
  e.preventDefault();
  const btn = $('claim');
  if (btn.disabled) return;
  const n = parsePoints($('points').value);
  const local = localError(n, wallet.program, wallet.points_balance);
  if (local) { say($('msg'), local); return $('points').focus(); }
  const body = { customer_id: wallet.customer_id, points: n };
  // A retry of the same claim (same customer and points) reuses its key.
  if (intent?.body !== JSON.stringify(body)) intent = { body: JSON.stringify(body), key: newKey() };
  btn.disabled = true;
  btn.textContent = 'Creating…';
  try {
    const c = await call('POST', '/api/v1/pos/claims', { body, key: intent.key });
    intent = null;
    made = c;
    $('undo').disabled = false;
    fill($('code'), codeText('span', {}, c.code));
    const n = name(c.customer_id);
    $('done-who').textContent = `For Customer ${c.customer_id}${n ? ` · ${n}` : ''}`;
    $('code-value').textContent = `${money(c.value, c.currency)} off · ${points(c.points)} points`;
    $('new-balance').textContent = `New balance: ${points(wallet.points_balance - c.points)} points`;
    fill($('hand-off'), copy(c.code, $('code')));
    show('done');
    $('done-title').focus();
  } catch (err) {
    if (err.final) intent = null;
    say($('msg'), err.code, err.message);
  } finally {
    btn.disabled = false;
    btn.textContent = 'Create code';
  }
}

function reset() {
  wallet = null;
  $('codes-msg').textContent = '';
  $('q').value = '';
  fill($('results'));
  show('find');
  $('q').focus();
}

const EXPIRED = 'This POS session has ended. Open the loyalty screen again from the POS to sign in.';
// Said at once, not after the first search.
if (!token) $('find-msg').textContent = 'Open this page from the POS (it needs a POS token).';
else if (tokenProblem(token)) $('find-msg').textContent = tokenProblem(token) === 'expired' ? EXPIRED : 'This link is not valid. Open the loyalty screen again from the POS.';
$('find-form').onsubmit = search;
$('claim-form').onsubmit = claim;
$('points').oninput = schedule;
$('back').onclick = reset;
$('next').onclick = reset;
// A code made for the wrong customer or amount: cancel it at once, points back.
$('undo').onclick = (e) => cancel(made, e.currentTarget);
