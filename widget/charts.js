// Inline SVG charts with no library: drawn at the container's real width
// (so text stays readable at 360 px) and redrawn when it changes. Each chart
// has a text summary for screen readers and a data table behind <details>.
import { h } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const s = (tag, attrs, ...kids) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  el.append(...kids);
  return el;
};
const title = (text) => s('title', {}, text);

// A figure that redraws its SVG whenever its width changes.
// height: a number, or a function of the width (legends wrap when narrow).
// head: the data table's two column headers.
function figure(caption, summary, rows, draw, height = 200, head = ['Item', 'Value']) {
  const box = h('div', { class: 'chart' });
  const table = h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, head[0]), h('th', { scope: 'col', class: 'n' }, head[1]))),
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'n' }, v)))));
  const fig = h('figure', { class: 'card fig' }, h('figcaption', {}, caption), box, h('details', {}, h('summary', {}, 'Show data'), table));
  let last = 0;
  new ResizeObserver(([e]) => {
    const w = Math.floor(e.contentRect.width);
    if (w && w !== last) {
      last = w;
      const hgt = typeof height === 'function' ? height(w) : height;
      box.replaceChildren(s('svg', { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': summary }, ...draw(w, hgt)));
    }
  }).observe(box);
  return fig;
}

// Vertical bars: items [{label, value, tip}], labels thinned to fit.
// Up to ROTATE_MAX bars, labels that do not fit side by side are slanted
// (every bar keeps its label); beyond that every n-th label is shown.
const ROTATE_MAX = 16;
export function barChart(caption, summary, items, { color = 'var(--accent)', format = String, head } = {}) {
  const rows = items.map((d) => [d.label, format(d.value)]);
  const labelW = (t) => String(t).length * 6.5 + 10;
  const widest = Math.max(...items.map((d) => labelW(d.label)), 0);
  const slant = (w) => items.length <= ROTATE_MAX && widest > (w - 36) / Math.max(1, items.length);
  const height = (w) => (slant(w) ? 200 + widest * 0.6 : 200);
  return figure(caption, summary, rows, (w, hgt) => {
    const rotate = slant(w), top = 12, bottom = rotate ? 28 + widest * 0.6 : 28, plot = hgt - top - bottom;
    const left = rotate ? Math.max(36, widest * 0.75) : 36;
    const max = Math.max(1, ...items.map((d) => d.value));
    const step = (w - left) / Math.max(1, items.length);
    // Show every n-th label so that none overlap (≈6.5 px a character at 11 px).
    const every = rotate ? 1 : Math.max(1, Math.ceil(widest / step));
    const out = [
      s('line', { x1: left, x2: w, y1: top + plot, y2: top + plot, class: 'axis' }),
      s('text', { x: left - 6, y: top + 4, 'text-anchor': 'end', class: 'tick' }, format(max)),
      s('text', { x: left - 6, y: top + plot, 'text-anchor': 'end', class: 'tick' }, '0'),
      s('line', { x1: left, x2: w, y1: top, y2: top, class: 'grid' }),
    ];
    let lastRight = -Infinity;
    items.forEach((d, i) => {
      const bh = (d.value / max) * plot, x = left + i * step;
      const bw = Math.max(1, Math.min(step * 0.7, 56));
      out.push(s('rect', { x: x + (step - bw) / 2, y: top + plot - bh, width: bw, height: bh, rx: 2, style: `fill:${color}` },
        title(d.tip || `${d.label}: ${format(d.value)}`)));
      // Labels at the edges are pulled in so they are never clipped.
      const lw = labelW(d.label) / 2, cx = Math.min(Math.max(x + step / 2, lw), w - lw);
      if (rotate) {
        const tx = x + step / 2 + 4, ty = top + plot + 12;
        out.push(s('text', { x: tx, y: ty, 'text-anchor': 'end', transform: `rotate(-40 ${tx} ${ty})`, class: 'tick' }, d.label));
      } else if (i % every === 0 && cx - lw > lastRight + 4) {
        lastRight = cx + lw;
        out.push(s('text', { x: cx, y: hgt - 8, 'text-anchor': 'middle', class: 'tick' }, d.label));
      }
    });
    return out;
  }, height, head);
}

// One horizontal bar split into parts, with a legend: parts [{label, value, color}].
export function splitBar(caption, summary, parts, head = ['Item', 'Codes']) {
  const rows = parts.map((p) => [p.label, String(p.value)]);
  const perRow = (w) => Math.max(1, Math.floor(w / 130));
  const height = (w) => 80 + Math.ceil(parts.length / perRow(w)) * 28;
  return figure(caption, summary, rows, (w) => {
    const total = parts.reduce((a, p) => a + p.value, 0);
    const out = [];
    let x = 0;
    if (!total) out.push(s('rect', { x: 0, y: 20, width: w, height: 36, rx: 6, class: 'empty-bar' }));
    for (const p of parts) {
      const pw = total ? (p.value / total) * w : 0;
      if (pw) out.push(s('rect', { x, y: 20, width: pw, height: 36, style: `fill:${p.color}` }, title(`${p.label}: ${p.value}`)));
      x += pw;
    }
    parts.forEach((p, i) => {
      const lx = (i % perRow(w)) * 130, ly = 90 + Math.floor(i / perRow(w)) * 28;
      out.push(s('rect', { x: lx, y: ly - 11, width: 12, height: 12, rx: 2, style: `fill:${p.color}` }),
        s('text', { x: lx + 18, y: ly, class: 'legend' }, `${p.label} ${p.value}`));
    });
    return out;
  }, height, head);
}

// A gauge: how much of a cap is used. parts: used and cap as numbers,
// labels already formatted. No cap: an empty track and the used figure.
export function gauge(caption, used, cap, { usedLabel, capLabel, summary }) {
  const share = cap > 0 ? Math.min(1, used / cap) : 0;
  const rows = [['Reserved', usedLabel], ['Cap', capLabel || 'none']];
  return figure(caption, summary, rows, (w) => {
    const color = share >= 0.9 ? '#b42318' : share >= 0.7 ? '#b25e09' : 'var(--accent)';
    return [
      s('rect', { x: 0, y: 8, width: w, height: 24, rx: 6, class: 'empty-bar' }),
      share ? s('rect', { x: 0, y: 8, width: Math.max(4, share * w), height: 24, rx: 6, style: `fill:${color}` }, title(summary)) : '',
      s('text', { x: 0, y: 52, class: 'legend' }, cap > 0 ? `${usedLabel} of ${capLabel} (${Math.round(share * 100)} %)` : `${usedLabel} · no cap`),
    ];
  }, 62, ['Budget', 'Amount']);
}

// Treatment vs control conversion rates as bars, and the absolute lift with
// its 95 % interval as an error bar on an axis through zero.
// r: {treatment: {rate, customers}, control: {rate, customers}, lift: {absolute, ci95}}
export function liftChart(caption, summary, r, { method = '95 % confidence interval' } = {}) {
  const pct = (x) => (x == null ? '–' : `${(x * 100).toFixed(1)} %`);
  const lo = r.lift?.ci95?.[0], hi = r.lift?.ci95?.[1], abs = r.lift?.absolute;
  const rows = [['Treatment rate', pct(r.treatment.rate)], ['Control rate', pct(r.control.rate)],
    ['Lift (points)', pct(abs)], ['95 % interval', lo == null ? '–' : `${pct(lo)} to ${pct(hi)}`]];
  return figure(caption, summary, rows, (w) => {
    const left = 84, right = 12, plot = w - left - right;
    const max = Math.max(0.01, r.treatment.rate || 0, r.control.rate || 0);
    const out = [];
    [['Treatment', r.treatment.rate, 'var(--accent)'], ['Control', r.control.rate, '#8c959f']].forEach(([label, rate, color], i) => {
      const y = 10 + i * 34;
      out.push(s('text', { x: 0, y: y + 16, class: 'legend' }, label),
        s('rect', { x: left, y, width: Math.max(1, ((rate || 0) / max) * (plot - 56)), height: 22, rx: 2, style: `fill:${color}` }, title(`${label}: ${pct(rate)}`)),
        s('text', { x: left + ((rate || 0) / max) * (plot - 56) + 6, y: y + 16, class: 'tick' }, pct(rate)));
    });
    if (abs == null || lo == null) {
      out.push(s('text', { x: 0, y: 100, class: 'tick' }, 'Lift: not enough data yet.'));
      return out;
    }
    // The lift axis spans the interval and zero, with a little margin.
    const a = Math.min(0, lo, abs), b = Math.max(0, hi, abs), pad = (b - a) * 0.1 || 0.01;
    const x = (v) => left + ((v - a + pad) / (b - a + 2 * pad)) * plot, y = 104;
    out.push(s('text', { x: 0, y: y + 4, class: 'legend' }, 'Lift'),
      s('line', { x1: left, x2: left + plot, y1: y, y2: y, class: 'grid' }),
      s('line', { x1: x(0), x2: x(0), y1: y - 14, y2: y + 14, class: 'axis' }),
      Math.min(Math.abs(x(0) - x(lo)), Math.abs(x(0) - x(hi))) > 30 ? s('text', { x: x(0), y: y + 28, 'text-anchor': 'middle', class: 'tick' }, '0') : '',
      s('line', { x1: x(lo), x2: x(hi), y1: y, y2: y, class: 'ci', 'stroke-width': 2 }),
      s('line', { x1: x(lo), x2: x(lo), y1: y - 7, y2: y + 7, class: 'ci', 'stroke-width': 2 }),
      s('line', { x1: x(hi), x2: x(hi), y1: y - 7, y2: y + 7, class: 'ci', 'stroke-width': 2 }),
      s('text', { x: Math.max(x(lo), left + 22), y: y + 28, 'text-anchor': 'middle', class: 'tick' }, pct(lo)),
      s('text', { x: Math.min(x(hi), w - 24), y: y + 28, 'text-anchor': 'middle', class: 'tick' }, pct(hi)),
      s('circle', { cx: x(abs), cy: y, r: 5, style: 'fill:var(--accent)' }, title(`Lift ${pct(abs)}, ${method}: ${pct(lo)} to ${pct(hi)}`)),
      s('text', { x: Math.min(Math.max(x(abs), left + 40), w - 40), y: y - 12, 'text-anchor': 'middle', class: 'tick' }, `${abs >= 0 ? '+' : ''}${pct(abs)}`));
    return out;
  }, 140, ['Figure', 'Value']);
}
