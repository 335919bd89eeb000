// The server's program rules, mirrored so the admin form can say what is
// wrong before saving (the server checks again and has the last word), and
// its rounding: value = points ÷ points-per-unit, rounded DOWN to the
// currency's minor unit, in exact integer arithmetic (BigInt, never floats).

const MAX_POINTS = 1_000_000_000;
const int = (v) => (typeof v === 'number' ? v : NaN);
const isInt = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;

export const PPU_PATTERN = /^\d+(\.\d{1,6})?$/;
// 1–12 of A–Z, 0–9 and -, not ending in - (the server adds its own separator).
export const PREFIX_PATTERN = /^[A-Z0-9-]{0,11}[A-Z0-9]$/;

// Field name (dotted, as the server's details.fields) → message.
export function validateProgram(b) {
  const f = {};
  const ppu = String(b.points_per_unit ?? '').trim();
  if (!PPU_PATTERN.test(ppu) || !/[1-9]/.test(ppu)) f.points_per_unit = 'Enter a number above 0, with at most 6 decimals.';
  if (!isInt(int(b.min_points), 1, MAX_POINTS)) f.min_points = 'Enter a whole number of at least 1.';
  if (!isInt(int(b.max_points), 1, MAX_POINTS)) f.max_points = 'Enter a whole number up to 1,000,000,000.';
  else if (!f.min_points && b.max_points < b.min_points) f.max_points = 'The maximum can’t be below the minimum.';
  if (b.purchase_type !== 'one_time' && b.subscription?.applies_to === 'recurring' && !isInt(int(b.subscription.cycles), 1, 1000)) {
    f['subscription.cycles'] = 'Enter how many payments, 1 to 1000.';
  }
  if (b.eligibility.kind !== 'all' && !b.eligibility.ids.length) f['eligibility.ids'] = 'List at least one id.';
  if (b.code_prefix != null && !PREFIX_PATTERN.test(b.code_prefix)) f.code_prefix = '1–12 characters: A–Z, 0–9 and -, not ending in -.';
  if (b.code_lifetime_hours != null && !isInt(int(b.code_lifetime_hours), 1, 8760)) f.code_lifetime_hours = 'Enter 1 to 8760 hours, or leave empty.';
  return f;
}

// Minor digits of a currency as Intl knows them (USD 2, JPY 0, KWD 3).
export const minorDigits = (currency) =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;

// points ÷ ppu rounded down to `digits` decimals, as a decimal string.
export function valueFor(points, ppu, digits) {
  const [whole, frac = ''] = String(ppu).trim().split('.');
  const divisor = BigInt(whole + frac);
  if (divisor === 0n) return null;
  const minor = (BigInt(points) * 10n ** BigInt(frac.length + digits)) / divisor;
  if (!digits) return minor.toString();
  const s = minor.toString().padStart(digits + 1, '0');
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

// Rows for the live example table: min, a couple of round numbers, max.
export function examplePoints(min, max) {
  const picks = [min, 500, 1000, 5000, max].filter((n) => Number.isInteger(n) && n >= min && n <= max);
  return [...new Set(picks)].sort((a, b) => a - b);
}
