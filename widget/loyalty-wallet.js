// <loyalty-wallet token|session-url lang messages api-base>
import { h, fill } from './dom.js';
import { client, newKey, enc, session, tokenProblem } from './api.js';
import { money, points as pts, when, day, refundable, setLocale, codeText } from './format.js';
import { renderCodes, renderHistory, copyButton } from './wallet-items.js';
import { t, message, localError, closedReason, parsePoints, loadMessages, speech } from './messages.js';
import { rulesText, progressView, sliderStep, earnText, renderOffers } from './wallet-rules.js';

const CSS = new URL('./loyalty-wallet.css', import.meta.url).href;
const QUOTE_DELAY_MS = 250;

const WORDS = {
  ask: () => t('cancel_code'),
  label: (c) => t('cancel_label', { code: c.code }),
  question: (c) => t('cancel_ask', { code: c.code, points: pts(c.points) }),
  yes: () => t('cancel_yes'),
  no: () => t('cancel_no'),
  noActivity: () => t('no_activity'),
  status: (s) => t(`status_${s}`),
  kind: (k) => t(`entry_${k}`),
  // A deletion at Shopify is the shop's doing.
  by: (b) => b !== 'expiry' && t(`by_${b === 'platform' ? 'merchant' : b}`),
  expires: (at) => t('expires', { when: when(at) }),
  balance: (n) => t('balance_after', { n: pts(n) }),
  pts: (n) => t('n_points', { count: n, n: pts(n) }),
};

class LoyaltyWallet extends HTMLElement {
  static observedAttributes = ['token', 'api-base', 'session-url'];
  #ui; #call; #wallet; #timer; #abort; #intent = null; #busy = false; #shown = null; #lang;
  #refundKeys = new Map(); #claims = []; #entries = [];

  async connectedCallback() {
    this.#lang = this.closest('[lang]')?.lang;
    if (!this.#ui) await loadMessages(this.#lang, this.getAttribute('messages'));
    if (!this.#ui) this.#build();
    document.addEventListener('visibilitychange', this.#onVisible);
    this.#load();
  }

  disconnectedCallback() {
    document.removeEventListener('visibilitychange', this.#onVisible);
  }

  #onVisible = () => {
    if (document.visibilityState === 'visible' && this.#wallet && !this.#busy) this.#refresh().catch(() => {});
  };

  attributeChangedCallback() {
    if (this.#ui && this.isConnected) this.#load();
  }

  #build() {
    const ui = (this.#ui = {});
    // The slider follows whole numbers only; other text gets "Enter a whole number".
    const sync = (from, to) => () => { if (parsePoints(from.value) != null) to.value = from.value; this.#schedule(); };
    ui.balance = h('strong', { class: 'balance', part: 'balance' }, '–');
    ui.input = h('input', { id: 'pts', type: 'text', inputmode: 'numeric', autocomplete: 'off', 'aria-describedby': 'limits msg' });
    ui.range = h('input', { type: 'range', step: '1', 'aria-label': t('slider') });
    ui.input.oninput = sync(ui.input, ui.range);
    ui.range.oninput = sync(ui.range, ui.input);
    ui.limits = h('p', { id: 'limits', class: 'hint' });
    ui.value = h('output', { class: 'value', for: 'pts' }, '–');
    ui.msg = h('p', { id: 'msg', class: 'msg', 'aria-live': 'polite' });
    ui.type = h('select', { id: 'ptype' },
      h('option', { value: 'one_time' }, t('one_time_option')), h('option', { value: 'subscription' }, t('subscription_option')));
    ui.typeRow = h('p', { class: 'row', hidden: true }, h('label', { for: 'ptype' }, t('use_on')), ui.type);
    ui.button = h('button', { type: 'submit', class: 'primary', part: 'button' }, t('create'));
    ui.form = h('form', { class: 'redeem', novalidate: true, hidden: true },
      h('label', { for: 'pts' }, t('points_to_use')),
      h('div', { class: 'pick' }, ui.input, ui.range),
      ui.limits, h('p', { class: 'preview' }, t('worth'), ' ', ui.value), ui.msg, ui.typeRow, ui.button);
    ui.form.onsubmit = (e) => { e.preventDefault(); this.#create(); };
    ui.notice = h('div', { class: 'notice', hidden: true });
    ui.worth = h('p', { class: 'worth' });
    ui.earn = h('p', { class: 'hint earn' });
    ui.done = h('p', { class: 'done', role: 'status' });
    ui.progress = h('section', { class: 'progress', part: 'progress', hidden: true });
    ui.result = h('section', { class: 'result', part: 'result', hidden: true, tabindex: '-1', 'aria-labelledby': 'new-code' });
    ui.codes = h('ul', { class: 'list', tabindex: '-1', 'aria-labelledby': 'codes-h' });
    ui.pastCount = h('span');
    ui.codesMore = h('div');
    ui.past = h('details', { class: 'past', hidden: true }, h('summary', {}, ui.pastCount),
      ui.pastList = h('ul', { class: 'list', tabindex: '-1' }), ui.codesMore);
    ui.history = h('ul', { class: 'list', tabindex: '-1' });
    ui.historyMore = h('div');
    ui.lots = h('div', { class: 'hint lots' });
    ui.offers = h('section', { class: 'offers', part: 'offers', hidden: true, 'aria-labelledby': 'offers-h' });
    ui.hist = h('details', {}, h('summary', {}, t('history')), ui.history, ui.historyMore);
    ui.hist.ontoggle = () => ui.hist.open && !this.#entries.length && this.#history();
    ui.live = h('p', { class: 'sr', role: 'status' });
    ui.shell = h('div', { class: 'shell', hidden: true },
      h('div', { class: 'head' }, h('h2', {}, t('your_points')), h('p', {}, ui.balance, ' ', h('span', { class: 'unit' }, t('pts'))), ui.worth),
      ui.earn, ui.lots, ui.progress, ui.form, ui.result, ui.offers,
      h('section', { class: 'codes' }, h('h2', { id: 'codes-h' }, t('your_codes')), ui.done, ui.codes, ui.past),
      ui.hist);
    this.attachShadow({ mode: 'open' }).append(
      h('link', { rel: 'stylesheet', href: CSS }),
      h('div', { class: 'lw', part: 'container' }, ui.notice, ui.shell, ui.live));
  }

  async #load() {
    let token = this.getAttribute('token'), base = this.getAttribute('api-base');
    const url = this.getAttribute('session-url');
    if (!token && !url) return this.#fail(t('signin'));
    const problem = token && tokenProblem(token);
    if (problem) return this.#fail(t(problem === 'expired' ? 'expired' : 'bad_token'));
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
      if (e.code === 'unauthorized') return this.#fail(t(/expired/i.test(e.message) ? 'expired' : 'bad_token'));
      this.#fail(t('load_failed'), () => this.#load());
    }
  }

  #fail(text, retry) {
    this.#wallet = null;
    this.#ui.shell.hidden = true;
    const again = retry && h('button', { type: 'button', class: 'secondary', onclick: retry }, t('retry'));
    this.#notice([h('p', {}, text), again], 'state');
  }

  async #refresh(first) {
    const [wallet, claims, { offers }] = await Promise.all([
      this.#call('GET', '/api/v1/wallet'), this.#call('GET', '/api/v1/claims'),
      this.#call('GET', '/api/v1/offers').catch(() => ({ offers: [] }))]);
    this.#wallet = wallet;
    // Dates and money in the widget's language (the shop's locale if it is the same language).
    setLocale([this.#lang, wallet.locale].find((l) => l?.length > 2 && l.slice(0, 2) === speech) || speech);
    this.#ui.shell.hidden = false;
    this.#renderWallet(first);
    this.#claims = [];
    this.#addCodes(claims);
    this.#renderOffers(offers.filter((o) => o.code && (o.status === 'active' || o.status === 'pending')));
    this.#entries = [];
    if (this.#ui.hist.open) await this.#history();
  }

  #renderOffers(offers) {
    const box = this.#ui.offers;
    box.hidden = !offers.length;
    if (offers.length) renderOffers(box, offers, (s) => this.#say(s));
  }

  // One more page of a list: `got` takes the page; a "Show more" button while a next page exists.
  #more(box, next, path, got, list) {
    fill(box, next && h('button', { type: 'button', class: 'link more', onclick: async (e) => {
      e.target.disabled = true;
      try { got(await this.#call('GET', `${path}?cursor=${enc(next)}`)); list.focus(); } catch { e.target.disabled = false; }
    } }, t('more')));
  }

  async #history(page) {
    page ??= await this.#call('GET', '/api/v1/transactions').catch(() => null);
    if (!page) return;
    this.#entries.push(...page.entries);
    renderHistory(this.#ui.history, this.#entries, WORDS);
    this.#more(this.#ui.historyMore, page.next_cursor, '/api/v1/transactions', (p) => this.#history(p), this.#ui.history);
  }

  #addCodes(page) {
    this.#claims.push(...page.claims);
    this.#renderCodes(this.#claims, page.next_cursor);
    this.#more(this.#ui.codesMore, page.next_cursor, '/api/v1/claims', (p) => this.#addCodes(p), this.#ui.pastList);
  }

  #renderCodes(claims, next) {
    const ui = this.#ui, open = claims.filter((c) => refundable(c) || c.status === 'refund_pending');
    const past = claims.filter((c) => !open.includes(c));
    const opts = {
      words: { ...WORDS, none: () => t(past.length || next ? 'no_open' : 'no_codes') },
      extra: (c, li) => refundable(c) && copyButton(c.code, li.querySelector('.c'), (s) => this.#say(s),
        { class: 'link copy', 'aria-label': t('copy_label', { code: c.code }) }),
    };
    renderCodes(ui.codes, open, (c, btn) => this.#refund(c, btn), opts);
    renderCodes(ui.pastList, past, null, opts);
    ui.past.hidden = !past.length && !next;
    ui.pastCount.textContent = t('past_codes', { n: pts(past.length) });
  }

  #renderWallet(first) {
    const ui = this.#ui, w = this.#wallet, p = w.program;
    ui.balance.textContent = pts(w.points_balance);
    ui.worth.textContent = `${t('worth')} ${money(w.points_value, w.currency)}`;
    ui.earn.textContent = earnText(w);
    const soon = w.expiring?.[0];
    fill(ui.lots, soon && h('p', {}, t('expiring', { n: pts(soon.points), date: day(soon.expires_at) })),
      w.pending_points > 0 && h('p', {}, t('pending', { n: pts(w.pending_points) })));
    const closed = !p.enabled || !p.eligible;
    const hi = Math.min(p.max_points, w.points_balance);
    const short = !closed && hi < p.min_points;
    ui.form.hidden = closed || short;
    this.#notice(closed && message(closedReason(p)), 'info');
    this.#renderProgress(short);
    if (closed || short) return;
    const step = sliderStep(p, p.min_points, hi);
    for (const el of [ui.input, ui.range]) Object.assign(el, { min: p.min_points, max: hi });
    ui.range.step = step;
    ui.limits.textContent = t('limits', { min: pts(p.min_points), max: pts(hi) });
    ui.typeRow.hidden = p.purchase_types.length < 2;
    if (first) ui.input.value = ui.range.value = p.min_points;
    this.#schedule(0);
  }

  async #renderProgress(short) {
    const w = this.#wallet;
    progressView(this.#ui.progress, short ? w : null);
    if (!short) return;
    const q = await this.#call('GET', `/api/v1/quote?points=${enc(w.program.min_points)}`).catch(() => null);
    if (q && this.#wallet === w) progressView(this.#ui.progress, w, money(q.value, q.currency));
  }

  #loggedOut() {
    this.#notice(h('a', { href: this.getAttribute('login-url') || '/account/login' }, t('logged_out')), 'info');
    this.#ui.shell.hidden = true;
    this.dataset.state = 'logged-out';
  }

  // A failure is an alert; "switched off" is information.
  #notice(content, kind) {
    const n = this.#ui.notice;
    fill(n, content);
    n.hidden = !content;
    n.dataset.kind = kind;
    n.setAttribute('role', kind === 'info' ? 'status' : 'alert');
  }

  #say(text) { this.#ui.live.textContent = text; }

  #message(code) {
    const w = this.#wallet, ui = this.#ui;
    ui.msg.textContent = message(code, null, w?.program, w?.points_balance);
    ui.input.toggleAttribute('aria-invalid', !!code);
  }

  #points() { return parsePoints(this.#ui.input.value); }

  #schedule(delay = QUOTE_DELAY_MS) {
    clearTimeout(this.#timer);
    this.#abort?.abort();
    this.#ui.value.dataset.pending = '';
    this.#timer = setTimeout(() => this.#quote(), delay);
  }

  async #quote() {
    const raw = this.#ui.input.value, n = this.#points(), out = this.#ui.value, w = this.#wallet;
    if (!w) return;
    const local = raw.trim() === '' ? '' : localError(n, w.program, w.points_balance);
    if (local != null) {
      out.textContent = '–';
      out.removeAttribute('data-invalid');
      delete out.dataset.pending;
      return this.#message(local);
    }
    const ctl = (this.#abort = new AbortController());
    try {
      const q = await this.#call('GET', `/api/v1/quote?points=${enc(n)}`, { signal: ctl.signal });
      out.textContent = money(q.value, q.currency);
      out.toggleAttribute('data-invalid', !q.valid);
      this.#message(q.error?.code);
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.#message(e.code);
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
    const intent = JSON.stringify(body);
    if (this.#intent?.intent !== intent) this.#intent = { intent, key: newKey() };
    this.#setBusy(true);
    try {
      const claim = await this.#call('POST', '/api/v1/claims', { body, key: this.#intent.key });
      this.#intent = null;
      this.#resetForm();
      this.#showCode(claim);
      await this.#refresh();
    } catch (e) {
      if (e.final) this.#intent = null;
      this.#message(e.code);
      ui.input.focus();
    } finally {
      this.#setBusy(false);
    }
  }

  #resetForm() {
    const ui = this.#ui;
    ui.input.value = '';
    ui.range.value = ui.range.min;
    ui.value.textContent = '–';
    ui.value.removeAttribute('data-invalid');
    this.#message('');
  }

  #setBusy(on) {
    this.#busy = on;
    const b = this.#ui.button;
    b.toggleAttribute('aria-disabled', on);
    b.textContent = t(on ? 'creating' : 'create');
  }

  #showCode(claim) {
    const value = money(claim.value, claim.currency), r = this.#ui.result, p = this.#wallet.program;
    const code = codeText('p', { class: 'code', part: 'code' }, claim.code);
    fill(r, h('h2', { id: 'new-code' }, t('new_code')), code,
      h('p', {}, t('code_worth', { value, points: pts(claim.points) })),
      h('ul', { class: 'rules' }, rulesText(claim, p).map((s) => h('li', {}, s))),
      copyButton(claim.code, code, (s) => this.#say(s)));
    r.hidden = false;
    this.#ui.done.textContent = '';
    this.#shown = claim.id;
    this.#say(t('created', { code: claim.code, value }));
    r.focus();
  }

  async #refund(claim, btn) {
    if (btn.disabled) return;
    btn.disabled = true;
    const keys = this.#refundKeys;
    if (!keys.has(claim.id)) keys.set(claim.id, newKey());
    try {
      const r = await this.#call('POST', `/api/v1/claims/${enc(claim.id)}/refund`, { key: keys.get(claim.id) });
      if (this.#shown === claim.id) this.#ui.result.hidden = true;
      this.#ui.done.textContent = r.claim?.status === 'refund_pending'
        ? t('cancel_pending', { code: claim.code })
        : t('cancelled', { code: claim.code, points: pts(r.points_refunded) });
      await this.#refresh();
      this.#ui.codes.focus();
    } catch (e) {
      btn.disabled = false;
      const text = e.code === 'network' ? message(e.code) : t('cancel_failed', { code: claim.code });
      btn.parentElement.append(h('span', { class: 'err' }, text));
      this.#say(text);
    }
  }
}

if (!customElements.get('loyalty-wallet')) customElements.define('loyalty-wallet', LoyaltyWallet);
