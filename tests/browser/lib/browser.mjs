// Debian's Chromium through playwright-core (no browser download), plus a
// record of every console error and page error, per page, for the final check.
import { chromium } from 'playwright-core';

export const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
  const problems = [];
  // name: a label for the report; allow: console texts this page expects
  // (e.g. the network failure a test injects on purpose).
  async function open(url, { name = url, width = 1280, height = 900, allow = [] } = {}) {
    const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US', timezoneId: 'UTC' });
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
