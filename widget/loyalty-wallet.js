// <loyalty-wallet token="JWT" api-base=""> or <loyalty-wallet session-url="/apps/loyalty/session">
// (token through Shopify's app proxy, renewed before expiry): the storefront widget. Shows the
// balance, turns points into a discount code and lists codes and history.
// The server's quote is the authority on value; local checks only spare a
// request that is certain to be refused.
import { h, fill } from './dom.js';
import { client, newKey, enc } from './api.js';
import { session } from './session.js';
import { money, points as pts } from './format.js';
import { renderCodes, renderHistory } from './wallet-lists.js';
import { message, localError, closedReason, parsePoints } from './messages.js';

const CSS = new URL('./loyalty-wallet.css', import.meta.url).href;
const QUOTE_DELAY_MS = 250;

class LoyaltyWallet extends HTMLElement {
  static observedAttributes = ['token', 'api-base', 'session-url'];
  #ui; #call; #wallet; #timer; #abort; #intent = null; #busy = false; #shown = null;
  #refundKeys = new Map();

  connectedCallback() {
    if (!this.#ui) this.#build();
    document.addEventListener('visibilitychange', this.#onVisible);
    this.#load();
  }

  disconnectedCallback() {
    document.removeEventListener('visibilitychange', this.#onVisible);
  }

  // Back to the tab: balance, program and quote may have changed meanwhile.
  #onVisible = () => {
    if (document.visibilityState === 'visible' && this.#wallet && !this.#busy) this.#refresh().catch(() => {});
  };

  attributeChangedCallback() {
    if (this.#ui && this.isConnected) this.#load();
  }

  #build() {
    const ui = (this.#ui = {});
    const sync = (from, to) => () => { to.value = from.value; this.#schedule(); };
    ui.balance = h('strong', { class: 'balance', part: 'balance' }, '–');
    ui.input = h('input', { id: 'pts', type: 'number', inputmode: 'numeric', step: '1', 'aria-describedby': 'limits msg' });
    ui.range = h('input', { type: 'range', step: '1', 'aria-label': 'Points to use (slider)' });
    ui.input.oninput = sync(ui.input, ui.range);
    ui.range.oninput = sync(ui.range, ui.input);
    ui.limits = h('p', { id: 'limits', class: 'hint' });
    ui.value = h('output', { class: 'value', for: 'pts' }, '–');
    ui.msg = h('p', { id: 'msg', class: 'msg', 'aria-live': 'polite' });
    ui.type = h('select', { id: 'ptype' },
      h('option', { value: 'one_time' }, 'A one-time purchase'), h('option', { value: 'subscription' }, 'A subscription'));
    ui.typeRow = h('p', { class: 'row', hidden: true }, h('label', { for: 'ptype' }, 'Use the code on'), ui.type);
    ui.button = h('button', { type: 'submit', class: 'primary', part: 'button' }, 'Create code');
    ui.form = h('form', { class: 'redeem', novalidate: true, hidden: true },
      h('label', { for: 'pts' }, 'Points to use'),
      h('div', { class: 'pick' }, ui.input, ui.range),
      ui.limits, h('p', { class: 'preview' }, 'Worth ', ui.value), ui.msg, ui.typeRow, ui.button);
    ui.form.onsubmit = (e) => { e.preventDefault(); this.#create(); };
    ui.notice = h('p', { class: 'notice', role: 'alert', hidden: true });
    ui.result = h('section', { class: 'result', part: 'result', hidden: true, 'aria-label': 'Your new code' });
    ui.codes = h('ul', { class: 'list' });
    ui.history = h('ul', { class: 'list' });
    // Announcements for screen readers; what they say is also visible elsewhere.
    ui.live = h('p', { class: 'sr', role: 'status' });
    this.attachShadow({ mode: 'open' }).append(
      h('link', { rel: 'stylesheet', href: CSS }),
      h('div', { class: 'lw', part: 'container' },
        h('p', { class: 'head' }, h('span', {}, 'Your points'), ui.balance),
        ui.notice, ui.form, ui.result, ui.live,
        h('section', { 'aria-label': 'Your codes' }, h('h3', {}, 'Your codes'), ui.codes),
        h('details', {}, h('summary', {}, 'Points history'), ui.history)));
  }

  async #load() {
    let token = this.getAttribute('token'), base = this.getAttribute('api-base');
    const url = this.getAttribute('session-url');
    if (!token && !url) return this.#notice('Sign in to see your points.');
    try {
      if (!token) {
        const s = session(url), first = await s.get();
        if (!first.logged_in) return this.#loggedOut();
        base ??= first.api_base;
        token = s.token;
      }
      this.#call = client(base, token);
      await this.#refresh(true);
    } catch (e) {
      this.#notice(e.code === 'unauthorized' ? message(e.code) : `Couldn’t load your points. ${e.message}`);
    }
  }

  async #refresh(first) {
    const [wallet, { claims }, { entries }] = await Promise.all([
      this.#call('GET', '/api/v1/wallet'), this.#call('GET', '/api/v1/claims'), this.#call('GET', '/api/v1/transactions')]);
    this.#wallet = wallet;
    this.#renderWallet(first);
    renderCodes(this.#ui.codes, claims, (c, btn) => this.#refund(c, btn));
    renderHistory(this.#ui.history, entries);
  }

  #renderWallet(first) {
    const ui = this.#ui, w = this.#wallet, p = w.program;
    ui.balance.textContent = pts(w.points_balance);
    const closed = !p.enabled || !p.eligible;
    ui.form.hidden = closed;
    this.#notice(closed ? message(closedReason(p)) : '');
    if (closed) return;
    const hi = Math.min(p.max_points, w.points_balance);
    for (const el of [ui.input, ui.range]) Object.assign(el, { min: p.min_points, max: Math.max(hi, p.min_points) });
    ui.range.disabled = hi < p.min_points;
    ui.limits.textContent = hi < p.min_points
      ? `You need at least ${pts(p.min_points)} points to create a code.`
      : `Use ${pts(p.min_points)} to ${pts(hi)} points.`;
    ui.typeRow.hidden = p.purchase_types.length < 2;
    if (first) ui.input.value = ui.range.value = p.min_points;
    this.#schedule(0);
  }

  // The app proxy knows no shopper: invite them to log in.
  #loggedOut() {
    const n = this.#ui.notice, link = h('a', { href: this.getAttribute('login-url') || '/account/login' }, 'Log in');
    fill(n, link, ' to use your points.');
    n.hidden = false;
    this.dataset.state = 'logged-out';
  }

  #notice(text) {
    this.#ui.notice.textContent = text;
    this.#ui.notice.hidden = !text;
  }

  #say(text) { this.#ui.live.textContent = text; }

  #message(code, fallback) {
    const w = this.#wallet;
    this.#ui.msg.textContent = message(code, fallback, w?.program, w?.points_balance);
  }

  #points() { return parsePoints(this.#ui.input.value); }

  #schedule(delay = QUOTE_DELAY_MS) {
    clearTimeout(this.#timer);
    this.#abort?.abort();
    this.#ui.value.dataset.pending = '';
    this.#timer = setTimeout(() => this.#quote(), delay);
  }

  async #quote() {
    const n = this.#points(), out = this.#ui.value;
    if (n == null) {
      out.textContent = '–';
      delete out.dataset.pending;
      return this.#message('invalid');
    }
    const ctl = (this.#abort = new AbortController());
    try {
      const q = await this.#call('GET', `/api/v1/quote?points=${enc(n)}`, { signal: ctl.signal });
      out.textContent = money(q.value, q.currency);
      out.toggleAttribute('data-invalid', !q.valid);
      this.#message(q.error?.code, q.error?.message);
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.#message(e.code, e.message);
    }
    if (!ctl.signal.aborted) delete out.dataset.pending;
  }

  async #create() {
    if (this.#busy || !this.#wallet) return;
    const w = this.#wallet, n = this.#points(), ui = this.#ui;
    const local = localError(n, w.program, w.points_balance);
    if (local) { this.#message(local); ui.input.focus(); return; }
    const body = { points: n };
    if (!ui.typeRow.hidden) body.purchase_type = ui.type.value;
    // Same intent (points + purchase type) retried → same key → one code.
    const intent = JSON.stringify(body);
    if (this.#intent?.intent !== intent) this.#intent = { intent, key: newKey() };
    this.#setBusy(true);
    try {
      const claim = await this.#call('POST', '/api/v1/claims', { body, key: this.#intent.key });
      this.#intent = null;
      this.#showCode(claim);
      await this.#refresh();
    } catch (e) {
      if (e.final) this.#intent = null;
      this.#message(e.code, e.message);
    } finally {
      this.#setBusy(false);
    }
  }

  #setBusy(on) {
    this.#busy = on;
    const b = this.#ui.button;
    b.disabled = on;
    b.textContent = on ? 'Creating…' : 'Create code';
  }

  #showCode(claim) {
    const value = money(claim.value, claim.currency), r = this.#ui.result;
    const code = h('p', { class: 'code', part: 'code' }, claim.code);
    const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy code');
    copy.onclick = () => this.#copy(claim.code, code, copy);
    fill(r, h('h3', {}, 'Your new code'), code,
      h('p', {}, `Worth ${value} · ${pts(claim.points)} points. Enter it at checkout.`), copy);
    r.hidden = false;
    this.#shown = claim.id;
    this.#say(`Code ${claim.code} created, worth ${value}.`);
  }

  async #copy(text, el, btn) {
    try {
      await navigator.clipboard.writeText(text);
      btn.textContent = 'Copied';
      this.#say('Code copied.');
    } catch {
      // No clipboard permission: select the code so Ctrl+C works.
      getSelection().selectAllChildren(el);
      this.#say('Code selected. Press Ctrl+C to copy it.');
    }
  }

  async #refund(claim, btn) {
    btn.disabled = true;
    const keys = this.#refundKeys;
    if (!keys.has(claim.id)) keys.set(claim.id, newKey());
    try {
      const r = await this.#call('POST', `/api/v1/claims/${enc(claim.id)}/refund`, { key: keys.get(claim.id) });
      if (this.#shown === claim.id) this.#ui.result.hidden = true;
      this.#say(r.claim?.status === 'refund_pending'
        ? `Refund of ${claim.code} is on its way.`
        : `${claim.code} cancelled. ${pts(r.points_refunded)} points returned.`);
      await this.#refresh();
    } catch (e) {
      btn.disabled = false;
      btn.parentElement.append(h('span', { class: 'err' }, e.message));
      this.#say(`Couldn’t refund ${claim.code}: ${e.message}`);
    }
  }
}

if (!customElements.get('loyalty-wallet')) customElements.define('loyalty-wallet', LoyaltyWallet);
