// Widget pieces: a code's rules in words, the below-minimum state, the earn
// rate, the slider step.
import { h, fill } from './dom.js';
import { points as pts, money, when } from './format.js';
import { t } from './messages.js';

export function rulesText(claim, p) {
  const s = p.subscription, c = p.combines_with || {};
  const scope = claim.purchase_type !== 'subscription' ? t('rule_one_time')
    : s?.applies_to === 'first_payment' || (s?.applies_to === 'recurring' && (s.cycles ?? 1) === 1) ? t('rule_sub_first')
      : s?.applies_to === 'recurring' ? t('rule_sub_n', { n: pts(s.cycles) }) : t('rule_sub_all');
  const kinds = ['product', 'order', 'shipping'].filter((k) => c[k]).map((k) => t(`kind_${k}`));
  const list = kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')}${t('and')}${kinds.at(-1)}` : kinds[0];
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
