// Debian's Chromium through playwright-core (no browser download), plus a
// record of every console error and page error, per page, for the final check.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

// LW_WIDGET_DIR=<dir>: the pages' files come from that directory instead of
// the server (e.g. an older commit's widget/), to see a new test fail on
// the screens as they were; the API is still the server's.
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };
async function oldScreens(context) {
  const dir = process.env.LW_WIDGET_DIR;
  if (!dir) return;
  await context.route('**/widget/**', (route) => {
    const file = join(dir, new URL(route.request().url()).pathname.replace(/^\/widget\//, ''));
    try {
      route.fulfill({ body: readFileSync(file), contentType: TYPES[extname(file)] || 'application/octet-stream' });
    } catch { route.fallback(); }
  });
}

export const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
  const problems = [];
  // name: a label for the report; allow: console texts this page expects
  // (e.g. the network failure a test injects on purpose).
  async function open(url, { name = url, width = 1280, height = 900, allow = [] } = {}) {
    const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US', timezoneId: 'UTC' });
    await oldScreens(context);
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && !allow.some((re) => re.test(m.text()))) problems.push(`${name}: console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
    page.setDefaultTimeout(10_000);
    await page.goto(url);
    return page;
  }
  return { browser, open, problems, close: () => browser.close() };
}
