// Shared checks of the third walk (issue 30): a code drawn exactly as it is,
// touch targets, one h1, and the two sizes every layout check runs at.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const PHONE = { width: 390, height: 844 };
export const DESK = { width: 1280, height: 900 };
export const SIZES = { phone: PHONE, desktop: DESK };

export const overflow = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

// How a code element is drawn: its text, the lines it breaks into (from the
// position of each character), the distance from one character to the next
// on each line, and its font. Works inside the widget's open shadow root.
export function drawn(locator) {
  return locator.evaluate((el) => {
    const chars = [];
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      for (let i = 0; i < n.length; i++) {
        const r = document.createRange();
        r.setStart(n, i);
        r.setEnd(n, i + 1);
        const b = r.getBoundingClientRect();
        chars.push({ ch: n.data[i], top: b.top, left: b.left, h: b.height });
      }
    }
    const lines = [];
    for (const c of chars) {
      const line = lines.at(-1);
      if (line && Math.abs(c.top - line.top) < c.h / 2) line.chars.push(c);
      else lines.push({ top: c.top, chars: [c] });
    }
    return {
      text: el.textContent,
      lines: lines.map((l) => l.chars.map((c) => c.ch).join('')),
      steps: lines.map((l) => l.chars.slice(1).map((c, i) => c.left - l.chars[i].left)),
      font: getComputedStyle(el).fontFamily,
    };
  });
}

// A code shown exactly as it is: the same characters, monospace, evenly
// spaced (no gaps that read as spaces), broken only right after its own hyphens.
export async function assertCodeAsIs(locator, code, where) {
  const d = await drawn(locator);
  assert.equal(d.text, code, `${where}: the text is the code`);
  assert.equal(d.lines.join(''), code, `${where}: every character drawn once`);
  d.lines.slice(0, -1).forEach((line) => assert.ok(line.endsWith('-'), `${where}: broken inside a part: ${JSON.stringify(d.lines)}`));
  assert.match(d.font, /mono|menlo|consolas/i, `${where}: monospace`);
  for (const steps of d.steps) {
    if (steps.length < 2) continue;
    const spread = Math.max(...steps) - Math.min(...steps);
    assert.ok(spread < 1.5, `${where}: uneven spacing (${steps.map((s) => s.toFixed(1)).join(' ')}) in ${JSON.stringify(d.lines)}`);
  }
  return d;
}

// Interactive elements smaller than 44 × 44 CSS px (WCAG 2.5.5), visible ones
// only, in the document and in open shadow roots.
export function smallTargets(page, min = 44) {
  return page.evaluate((min) => {
    const out = [];
    const visit = (root) => {
      for (const el of root.querySelectorAll('button, a[href], input:not([type=hidden]), select, summary, textarea')) {
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
        if (r.width < min || r.height < min) out.push(`${el.tagName.toLowerCase()} “${(el.textContent || el.getAttribute('aria-label') || el.type || '').trim().slice(0, 30)}” ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
      for (const host of root.querySelectorAll('*')) if (host.shadowRoot) visit(host.shadowRoot);
    };
    visit(document);
    return out;
  }, min);
}

// Visible h1 elements of the page (shadow roots included).
export function visibleH1(page) {
  return page.evaluate(() => {
    const out = [];
    const visit = (root) => {
      for (const el of root.querySelectorAll('h1')) if (el.getClientRects().length) out.push(el.textContent.trim());
      for (const host of root.querySelectorAll('*')) if (host.shadowRoot) visit(host.shadowRoot);
    };
    visit(document);
    return out;
  });
}

// Whether the element that has focus shows an outline or a ring.
export function focusShows(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    if (!a || a === document.body) return 'nothing focused';
    const s = getComputedStyle(a);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none' ? 'visible' : `invisible on ${a.tagName}`;
  });
}

export async function snap(page, dir, name) {
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
