// Widget pieces: a code's rules in words, the below-minimum state, the earn
// rate, the slider step, and "Your offers" (the till shows offers the same way).
import { h, fill } from './dom.js';
import { points as pts, money, when, codeText } from './format.js';
import { t, speech } from './messages.js';
import { copyButton } from './wallet-items.js';

export function rulesText(claim, p) {
  const s = p.subscription, c = p.combines_with || {};
  const scope = claim.purchase_type !== 'subscription' ? t('rule_one_time')
    : s?.applies_to === 'first_payment' || (s?.applies_to === 'recurring' && (s.cycles ?? 1) === 1) ? t('rule_sub_first')
      : s?.applies_to === 'recurring' ? t('rule_sub_n', { n: pts(s.cycles) }) : t('rule_sub_all');
  const kinds = ['product', 'order', 'shipping'].filter((k) => c[k]).map((k) => t(`kind_${k}`));
  const list = kinds.length && new Intl.ListFormat(speech).format(kinds);
  return [
    claim.expires_at ? t('valid_until', { when: when(claim.expires_at) }) : t('no_expiry'),
    scope,
    list ? t('combines', { list }) : t('combines_none'),
  ];
}

export function progressView(box, w, value) {
  box.hidden = !w;
  if (!w) return;
  const p = w.program;
  fill(box,
    h('p', { class: 'goal' }, t('to_first', { n: pts(p.min_points - w.points_balance) })),
    h('progress', { max: p.min_points, value: Math.max(0, w.points_balance), 'aria-label': t('progress') }),
    value ? h('p', { class: 'hint' }, t('first_reward', { min: pts(p.min_points), value })) : null);
}

// How to earn more: the shop's rate, "1 point per $1.00" in the table's plural.
export function earnText(w) {
  const rate = Number(w.earn_points_per_unit);
  return rate > 0 ? t('earn_rate', { count: rate, n: pts(rate), unit: money('1', w.currency) }) : t('earn_later');
}

export function sliderStep(p, lo, hi) {
  const ppu = Number(p.points_per_unit);
  for (const units of [0.5, 1, 5, 10, 50, 100]) {
    const s = ppu * units;
    if (Number.isInteger(s) && s >= 1 && (hi - lo) / s <= 200) return s;
  }
  return Math.max(1, Math.round((hi - lo) / 100));
}

export function gives(d) {
  const m = (v) => money(v, d.currency);
  return d.kind === 'percentage' ? t('offer_pct', { n: pts(d.value) })
    : d.kind === 'fixed_amount' ? t('offer_off', { value: m(d.value) })
      : d.max_shipping ? t('offer_ship_max', { value: m(d.max_shipping) }) : t('offer_ship');
}

// Time left, rounded down: minutes under an hour, hours under two days, then days.
export function left(iso, now = Date.now()) {
  const min = Math.max(1, Math.floor((Date.parse(iso) - now) / 6e4));
  const f = new Intl.RelativeTimeFormat(speech, { numeric: 'always' });
  return min < 60 ? f.format(min, 'minute') : min < 2880 ? f.format(Math.floor(min / 60), 'hour') : f.format(Math.floor(min / 1440), 'day');
}

// One offer: its title, what it gives, the code with a copy button, minimum and time left.
export function offerItem(o, say) {
  const d = o.discount || {}, code = codeText('code', { class: 'c' }, o.code);
  const sub = [d.min_subtotal && t('offer_min', { value: money(d.min_subtotal, d.currency) }),
    o.expires_at && t('offer_ends', { when: left(o.expires_at) })];
  return h('li', { class: 'item', 'data-offer': o.id },
    h('div', { class: 'main' }, h('strong', { class: 'title' }, o.title || o.campaign), h('strong', { class: 'gives' }, gives(d))),
    h('div', { class: 'main' }, code,
      copyButton(o.code, code, say, { class: 'link copy', 'aria-label': t('copy_label', { code: o.code }) })),
    h('div', { class: 'sub' }, sub.filter(Boolean).join(' · ')));
}

export function renderOffers(box, offers, say) {
  fill(box, h('h2', { id: 'offers-h' }, t('your_offers')), h('ul', { class: 'list' }, offers.map((o) => offerItem(o, say))));
  box.hidden = false;
}
