// Shopify's Theme Check (the linter `shopify app deploy` and `shopify theme
// check` run) over a theme app extension, with its theme-app-extension rules:
// valid block tags and schema, assets that exist, translation keys that
// exist, asset sizes. Any offense fails. It first lints a copy with a planted
// missing asset and must find it, so a check that finds nothing has looked.
//   node scripts/extension/theme-check.mjs extensions/loyalty-widget
import { check } from '@shopify/theme-check-node';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONFIG = join(dirname(fileURLToPath(import.meta.url)), 'theme-check.yml');
const root = resolve(process.argv[2] || 'extensions/loyalty-widget');

const lint = async (dir) => (await check(dir, CONFIG)).map((o) =>
  `${o.check} ${o.uri.slice(o.uri.indexOf(dir) + dir.length + 1)}:${(o.start?.line ?? 0) + 1}: ${o.message}`);

const planted = mkdtempSync(join(tmpdir(), 'lw-theme-check-'));
try {
  cpSync(root, planted, { recursive: true });
  const block = join(planted, 'blocks', 'wallet.liquid');
  writeFileSync(block, readFileSync(block, 'utf8').replace("'loyalty-wallet.js' | asset_url", "'planted-missing.js' | asset_url"));
  const found = await lint(planted);
  if (!found.some((o) => o.startsWith('MissingAsset'))) {
    console.error(`theme-check: a planted missing asset went unseen (${found.join('; ') || 'no offenses'})`);
    process.exit(2);
  }
} finally {
  rmSync(planted, { recursive: true, force: true });
}

const offenses = await lint(root);
for (const o of offenses) console.error(`theme-check: ${o}`);
if (offenses.length) process.exit(1);
console.log(`theme-check: ${root.slice(process.cwd().length + 1) || root}: 0 offenses (Shopify Theme Check, theme app extension rules)`);
