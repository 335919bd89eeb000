// Changing the shop's currency reprices every point. Before it is saved the
// merchant confirms, and may convert both programs' points-per-unit with an
// exchange rate they enter (we fetch no rates): new ratio = old ÷ rate.
import { h } from './dom.js';

const PROGRAM_KEYS = ['enabled', 'points_per_unit', 'min_points', 'max_points', 'purchase_type', 'subscription',
  'eligibility', 'combines_with', 'code_prefix', 'code_lifetime_hours'];

// points per 1 old unit ÷ (new units per old unit), at most 6 decimals,
// rounded to nearest; never 0.
export function convertRatio(ppu, rate) {
  const v = Number(ppu) / Number(rate);
  if (!(v > 0) || !Number.isFinite(v)) return null;
  const s = v.toFixed(6).replace(/\.?0+$/, '');
  return Number(s) > 0 ? s : '0.000001';
}

// Resolves 'convert' (with the rate), 'keep' or null (cancelled).
export function confirmCurrency(from, to, programs) {
  return new Promise((resolve) => {
    const rate = h('input', { id: 'cur-rate', type: 'text', inputmode: 'decimal', autocomplete: 'off', class: 'num', 'aria-describedby': 'cur-rate-err cur-rate-hint' });
    const err = h('p', { class: 'err', id: 'cur-rate-err' });
    const preview = h('ul', { class: 'hint', id: 'cur-preview' });
    const showPreview = () => {
      preview.replaceChildren(...programs.map((p) => {
        const next = convertRatio(p.points_per_unit, rate.value.trim());
        return h('li', {}, `${p.label}: ${p.points_per_unit} points per 1 ${from}`, next ? ` → ${next} points per 1 ${to}` : '');
      }));
    };
    const convert = h('button', { type: 'button', class: 'primary' }, 'Change and convert ratios');
    const keep = h('button', { type: 'button', class: 'secondary' }, 'Change, keep ratios');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const example = programs[0] ? `${(10000).toLocaleString()} points buy ${10000 / Number(programs[0].points_per_unit)} ${from} today and would buy ${10000 / Number(programs[0].points_per_unit)} ${to} after the change` : '';
    const dlg = h('dialog', { id: 'cur-confirm', 'aria-labelledby': 'cur-title' },
      h('form', { method: 'dialog', class: 'confirm' },
        h('h2', { id: 'cur-title' }, `Change the currency from ${from} to ${to}?`),
        h('p', {}, `Points are priced in the shop’s currency. Without converting, ${example || 'every point changes its value'}.`),
        h('div', { class: 'field' }, h('label', { for: 'cur-rate' }, `1 ${from} = how many ${to}?`), rate,
          h('p', { class: 'hint', id: 'cur-rate-hint' }, 'The rate is yours: it is what you enter here; we do not look rates up.'), err),
        preview,
        h('div', { class: 'actions' }, convert, keep, cancel)));
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    rate.oninput = () => { err.textContent = ''; rate.removeAttribute('aria-invalid'); showPreview(); };
    convert.onclick = () => {
      const r = rate.value.trim();
      if (!/^\d+(\.\d+)?$/.test(r) || !(Number(r) > 0)) {
        err.textContent = 'Enter the exchange rate, a number above 0 (e.g. 150.25).';
        rate.setAttribute('aria-invalid', '');
        return rate.focus();
      }
      done({ action: 'convert', rate: r });
    };
    keep.onclick = () => done({ action: 'keep' });
    cancel.onclick = () => done(null);
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(null); });
    document.body.append(dlg);
    showPreview();
    dlg.showModal();
    rate.focus();
  });
}

// PUTs both programs with their points-per-unit converted.
export async function convertPrograms(call, rate) {
  const out = [];
  for (const ch of ['online', 'pos']) {
    const p = await call('GET', `/api/v1/admin/programs/${ch}`);
    const body = Object.fromEntries(PROGRAM_KEYS.map((k) => [k, p[k] ?? null]));
    body.points_per_unit = convertRatio(p.points_per_unit, rate);
    const saved = await call('PUT', `/api/v1/admin/programs/${ch}`, { body });
    out.push(`${ch === 'pos' ? 'POS' : 'Online'} ${p.points_per_unit} → ${saved.points_per_unit}`);
  }
  return out;
}

export const loadPrograms = async (call) => Promise.all(['online', 'pos'].map(async (ch) => ({
  label: ch === 'pos' ? 'POS program' : 'Online program', points_per_unit: (await call('GET', `/api/v1/admin/programs/${ch}`)).points_per_unit,
})));
