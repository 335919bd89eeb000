// What each refusal means to a person, by the server's machine code. Shared
// by the storefront widget and the POS screen; the program gives the numbers.
import { points as pts } from './format.js';

const MESSAGES = {
  invalid: () => 'Enter a whole number of points.',
  below_minimum: (p) => `The minimum is ${pts(p.min_points)} points.`,
  above_maximum: (p) => `The maximum is ${pts(p.max_points)} points per code.`,
  insufficient_points: (p, bal) => `Only ${pts(bal)} points available, not enough for that.`,
  not_eligible: () => 'This account can’t redeem points at the moment.',
  program_disabled: () => 'Redeeming points is switched off at the moment.',
  segments_unavailable: () => 'Redeeming points is unavailable right now. Please try again later.',
  zero_value: () => 'That many points isn’t worth a discount yet. Try more.',
  purchase_type_not_allowed: () => 'Codes can’t be used on that kind of purchase.',
  unauthorized: () => 'The session has expired. Reload the page to continue.',
  network: () => 'Could not reach the server. Check the connection and try again.',
};

// program/balance may be absent (e.g. before the wallet loaded).
export function message(code, fallback, program = {}, balance = 0) {
  if (!code) return '';
  const f = MESSAGES[code];
  return f ? f(program, balance) : fallback || 'Something went wrong. Please try again.';
}

// The same local checks the server makes, to spare a request it must refuse.
export function localError(n, program, balance) {
  if (n == null || n <= 0) return 'invalid';
  if (n < program.min_points) return 'below_minimum';
  if (n > program.max_points) return 'above_maximum';
  if (n > balance) return 'insufficient_points';
  return null;
}

// Why a closed program is closed, as a message code.
export const closedReason = (p) =>
  MESSAGES[p.ineligible_reason] ? p.ineligible_reason : p.enabled ? 'not_eligible' : 'program_disabled';

// Whole non-negative numbers only; '' or '1.5' → null.
export const parsePoints = (v) => (/^\d+$/.test(String(v).trim()) ? Number(v) : null);
