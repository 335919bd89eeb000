// The widget's one message table ({name} filled by t()); see README: Widget.
import { points as pts } from './format.js';

export const EN = {
  your_points: 'Your points',
  pts: 'pts',
  points_to_use: 'Points to use',
  slider: 'Points to use (slider)',
  limits: 'Use {min} to {max} points.',
  worth: 'Worth',
  use_on: 'Use the code on',
  one_time_option: 'A one-time purchase',
  subscription_option: 'A subscription',
  create: 'Create code',
  creating: 'Creating…',
  new_code: 'Your new code',
  code_worth: 'Worth {value} · {points} points. Enter it at checkout.',
  created: 'Code {code} created, worth {value}.',
  copy: 'Copy code',
  copied: 'Copied',
  copied_sr: 'Code copied.',
  select_copy: 'Selected: tap Copy',
  select_copy_sr: 'Code selected. Use your device’s Copy to copy it.',
  copy_label: 'Copy code {code}',
  valid_until: 'Valid until {when}.',
  no_expiry: 'Valid until used or cancelled.',
  rule_one_time: 'For a one-time purchase.',
  rule_sub_first: 'For a subscription: the first payment only.',
  rule_sub_n: 'For a subscription: the first {n} payments.',
  rule_sub_all: 'For a subscription: every payment.',
  combines: 'Can be combined with {list} discounts.',
  combines_none: 'Can’t be combined with other discounts.',
  kind_product: 'product',
  kind_order: 'order',
  kind_shipping: 'shipping',
  and: ' and ',
  your_codes: 'Your codes',
  past_codes: 'Past codes ({n})',
  no_codes: 'No codes yet.',
  n_points: '{n} points',
  history: 'Points history',
  no_activity: 'No activity yet.',
  expires: ' · expires {when}',
  balance_after: ' · balance {n}',
  cancel_code: 'Cancel code (points back)',
  cancel_label: 'Cancel code {code} and get the points back',
  cancel_ask: 'Cancel {code} and get {points} points back?',
  cancel_yes: 'Yes, cancel code',
  cancel_no: 'Keep code',
  cancel_pending: 'Cancelling {code}; the points come back shortly.',
  cancelled: '{code} cancelled. {points} points returned.',
  cancel_failed: 'Couldn’t cancel {code}. Please try again.',
  to_first: '{n} more points to your first reward.',
  first_reward: 'At {min} points you can turn them into {value} off.',
  progress: 'Points collected towards the first reward',
  earn_rate: 'You earn {n} points per {unit} spent.',
  earn_later: 'Points are added after qualifying orders.',
  signin: 'Sign in to your account to see your points.',
  expired: 'Your session has ended. Sign in to your account again to see your points.',
  bad_token: 'We couldn’t confirm your account. Open your rewards again from your account page.',
  load_failed: 'Couldn’t load your points. Check the connection and try again.',
  retry: 'Try again',
  status_pending: 'Pending',
  status_active: 'Ready to use',
  status_used: 'Used',
  status_refund_pending: 'Cancelling',
  status_refunded: 'Cancelled',
  status_failed: 'Failed',
  status_expired: 'Expired',
  entry_earn: 'Earned',
  entry_redeem: 'Code created',
  entry_refund: 'Points back',
  entry_adjust: 'Adjustment',
  entry_expire: 'Expired',
  invalid: 'Enter a whole number of points.',
  below_minimum: 'The minimum is {min} points.',
  above_maximum: 'The maximum is {max} points per code.',
  insufficient_points: 'You have {bal} points; that is not enough for this amount.',
  not_eligible: 'This account can’t redeem points at the moment.',
  program_disabled: 'Redeeming points is switched off at the moment.',
  segments_unavailable: 'Redeeming points is unavailable right now. Please try again later.',
  zero_value: 'That many points isn’t worth a discount yet. Try more.',
  purchase_type_not_allowed: 'Codes can’t be used on that kind of purchase.',
  unauthorized: 'Your session has ended. Sign in to your account again to see your points.',
  network: 'Could not reach the server. Check the connection and try again.',
  generic: 'Something went wrong. Please try again.',
};

let table = EN;
const BUILT_IN = ['de', 'fr', 'es'];
export async function loadMessages(lang, json) {
  const base = String(lang || '').toLowerCase().slice(0, 2);
  const built = BUILT_IN.includes(base) ? (await import(`./i18n/${base}.js`).catch(() => ({}))).default : null;
  let extra = null;
  try { extra = json ? JSON.parse(json) : null; } catch { /* ignored: English stays */ }
  useMessages(built, extra);
}
export const useMessages = (...layers) => { table = Object.assign({}, EN, ...layers); };

export const t = (key, vars = {}) =>
  String(table[key] ?? EN[key] ?? key).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));

export function message(code, _serverText, program = {}, balance = 0) {
  if (!code) return '';
  if (!(code in EN) || code === 'generic') return t('generic');
  return t(code, { min: pts(program.min_points ?? 0), max: pts(program.max_points ?? 0), bal: pts(balance) });
}

export function localError(n, program, balance) {
  if (n == null || n <= 0) return 'invalid';
  if (n < program.min_points) return 'below_minimum';
  if (n > program.max_points) return 'above_maximum';
  if (n > balance) return 'insufficient_points';
  return null;
}

const REFUSALS = ['not_eligible', 'program_disabled', 'segments_unavailable'];
export const closedReason = (p) =>
  REFUSALS.includes(p.ineligible_reason) ? p.ineligible_reason : p.enabled ? 'not_eligible' : 'program_disabled';

export const parsePoints = (v) => (/^\d+$/.test(String(v).trim()) ? Number(v) : null);
