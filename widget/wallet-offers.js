// "Your offers" (campaign codes); imported only when there are some.
import { h, fill } from './dom.js';
import { money, points as pts } from './format.js';
import { t, speech } from './messages.js';
import { copyButton, groupedCode } from './copy.js';

export function gives(d) {
  const m = (v) => money(v, d.currency);
  return d.kind === 'percentage' ? t('offer_pct', { n: pts(d.value) })
    : d.kind === 'fixed_amount' ? t('offer_off', { value: m(d.value) })
      : d.max_shipping ? t('offer_ship_max', { value: m(d.max_shipping) }) : t('offer_ship');
}

export function left(iso, now = Date.now()) {
  const ms = Date.parse(iso) - now, days = Math.floor(ms / 864e5);
  const f = new Intl.RelativeTimeFormat(speech, { numeric: 'always' });
  return days > 0 ? f.format(days, 'day') : f.format(Math.max(1, Math.floor(ms / 36e5)), 'hour');
}

export function renderOffers(box, offers, say) {
  fill(box, h('h2', { id: 'offers-h' }, t('your_offers')), h('ul', { class: 'list' }, offers.map((o) => {
    const d = o.discount || {}, code = groupedCode('code', { class: 'c' }, o.code);
    const sub = [d.min_subtotal && t('offer_min', { value: money(d.min_subtotal, d.currency) }),
      o.expires_at && t('offer_ends', { when: left(o.expires_at) })];
    return h('li', { class: 'item', 'data-offer': o.id },
      h('div', { class: 'main' }, code, h('strong', { class: 'gives' }, gives(d))),
      h('div', { class: 'sub' }, sub.filter(Boolean).join(' · ')),
      h('div', { class: 'actions' },
        copyButton(o.code, code, say, { class: 'link copy', 'aria-label': t('copy_label', { code: o.code }) })));
  })));
  box.hidden = false;
}
