// Browser tests: the real server binary on a free port with a fresh SQLite
// file, driven through Debian's Chromium. Exits non-zero on any failure.
//   node tests/browser/run.mjs                   all scenarios + screenshots
//   node tests/browser/run.mjs --screenshots-only  regenerate docs/img only
// Env: LOYALTY_BIN (default target/debug/loyalty-wallet), CHROMIUM (default /usr/bin/chromium).
import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/server.mjs';
import { launch } from './lib/browser.mjs';
import { seed } from './lib/helpers.mjs';
import { widgetTests } from './specs/widget.mjs';
import { adminTests } from './specs/admin.mjs';
import { posTests } from './specs/pos.mjs';
import { screenshotTests } from './specs/screens.mjs';
import { docImages } from './specs/docs.mjs';
import { ruleTests } from './specs/rules.mjs';
import { walkthroughTests, localeTests } from './specs/walkthrough.mjs';
import { walkthroughAdminTests } from './specs/walkthrough-admin.mjs';
import { sessionTests } from './specs/session.mjs';
import { widgetMoreTests } from './specs/widget-more.mjs';
import { adminUiTests } from './specs/admin-ui.mjs';
import { embeddedTests } from './specs/embedded.mjs';
import { extensionTests } from './specs/extension.mjs';
import { walk3WidgetTests } from './specs/walk3-widget.mjs';
import { walk3PosTests } from './specs/walk3-pos.mjs';
import { walk3AdminTests } from './specs/walk3-admin.mjs';
import { walk3AdminLayoutTests } from './specs/walk3-admin-layout.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ctx = {};

async function setUp() {
  ctx.server = await startServer();
  ctx.b = await launch();
  await seed(ctx);
}

async function tearDown() {
  await ctx.b?.close();
  await ctx.server?.stop();
}

if (process.argv.includes('--screenshots-only')) {
  try {
    await setUp();
    await docImages(ctx, join(here, '..', '..', 'docs', 'img'));
  } finally {
    await tearDown();
  }
} else {
  describe('loyalty-wallet in Chromium', () => {
    before(setUp);
    after(tearDown);
    ruleTests();
    widgetTests(ctx);
    sessionTests(ctx);
    extensionTests(ctx);
    posTests(ctx);
    adminTests(ctx);
    walkthroughTests(ctx, join(here, 'artifacts', 'issue13'));
    walkthroughAdminTests(ctx, join(here, 'artifacts', 'issue13'));
    localeTests(ctx, join(here, 'artifacts', 'issue13'));
    widgetMoreTests(ctx, join(here, 'artifacts', 'widget-ui'));
    adminUiTests(ctx, join(here, 'artifacts', 'admin-ui'));
    embeddedTests(ctx);
    walk3WidgetTests(ctx, join(here, 'artifacts', 'walk3'));
    walk3PosTests(ctx, join(here, 'artifacts', 'walk3'));
    walk3AdminTests(ctx, join(here, 'artifacts', 'walk3-admin'));
    walk3AdminLayoutTests(ctx);
    screenshotTests(ctx, join(here, 'artifacts'));
    test('no console errors on any page', () => {
      assert.deepEqual(ctx.b.problems, []);
    });
  });
}
