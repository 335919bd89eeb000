// The widget's words: t(key, vars) over the one loaded table (i18n/*.js); see README: Widget.
import { points as pts } from './format.js';

// One table loads (i18n/en.js unless lang names a built-in one): all have every key.
let table = {};
export let speech;
export async function loadMessages(lang, json) {
  const base = String(lang || '').toLowerCase().slice(0, 2);
  const load = (l) => import(`./i18n/${l}.js`).then((m) => m.default);
  const built = ['de', 'fr', 'es'].includes(base) ? await load(base).catch(() => null) : null;
  speech = built ? base : 'en';
  let extra = null;
  try { extra = json ? JSON.parse(json) : null; } catch { /* ignored: the table stays */ }
  table = { ...(built || (await load('en'))), ...extra };
}

// `count` picks the plural form, `key_one` beside `key` (Intl.PluralRules of the table's language).
export const t = (key, vars = {}) => {
  const one = vars.count != null && new Intl.PluralRules(speech).select(vars.count) === 'one' && table[`${key}_one`];
  return String(one || (table[key] ?? key)).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
};

// Our words for every code the table knows (server refusals included); others are generic.
export const message = (code, _serverText, program = {}, balance = 0) => code
  ? t(code === 'unauthorized' ? 'expired' : code in table ? code : 'generic', { min: pts(program.min_points ?? 0), max: pts(program.max_points ?? 0), bal: pts(balance) }) : '';

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
