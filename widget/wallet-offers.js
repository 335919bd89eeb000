// "Your offers" (campaign codes); imported only when there are some. The
// till lists a customer's offers with the same pieces.
import { h, fill } from './dom.js';
import { money, points as pts, codeText } from './format.js';
import { t, speech } from './messages.js';
import { copyButton } from './copy.js';

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
