// Starts the real server binary on a free port with a fresh SQLite file in a
// temp dir, mints tokens with its `token` subcommand, and offers a tiny API
// client for setting up data and checking results behind the UI's back.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';

export const SHOP = 'browser.myshopify.com';

const freePort = () => new Promise((ok, fail) => {
  const srv = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => ok(port));
  });
});

// options.env: more settings for this server (the embedded admin's suite sets
// LOYALTY_SHOPIFY_EMBEDDED, LOYALTY_CLIENT_SECRET, LOYALTY_SHOPIFY_BASE_URL; a
// short notify retry window); a null value removes a setting.
export async function startServer({ env: extraEnv = {} } = {}) {
  const bin = resolve(process.env.LOYALTY_BIN || 'target/debug/loyalty-wallet');
  if (!existsSync(bin)) throw new Error(`no server binary at ${bin}: run cargo build, or set LOYALTY_BIN`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lw-browser-'));
  const env = { ...process.env, LOYALTY_BIND: `127.0.0.1:${port}`, LOYALTY_CLIENT_ID: 'browser-tests',
    LOYALTY_APP_SECRET: 'browser-tests-secret-0123456789abcdef0123456789', ...extraEnv };
  for (const [k, v] of Object.entries(env)) if (v == null) delete env[k];
  delete env.DATABASE_URL;
  const log = [];
  const child = spawn(bin, ['serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout, child.stderr]) s.on('data', (d) => { log.push(String(d)); if (log.length > 400) log.shift(); });
  const exited = new Promise((ok) => {
    child.once('exit', (code, sig) => ok(`exited (${code ?? sig})`));
    child.once('error', (e) => ok(`failed to start (${e.message})`));
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base, exited, log);

  // ttl in seconds (negative: already expired).
  const mint = (role, sub, locationId, ttl, shop = SHOP) => execFileSync(bin,
    ['token', '--shop', shop, '--role', role, '--sub', sub, ...(locationId ? ['--location-id', locationId] : []),
      ...(ttl != null ? [`--ttl=${ttl}`] : [])],
    { cwd: dir, env, encoding: 'utf8' }).trim();

  async function stop() {
    if (child.exitCode === null) { child.kill('SIGTERM'); await Promise.race([exited, sleep(5000)]); }
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  return { base, port, env, mint, api: (token) => apiClient(base, token), stop, log: () => log.join('') };
}

async function waitReady(base, exited, log) {
  let gone = null;
  exited.then((why) => { gone = why; });
  for (let i = 0; i < 300; i++) {
    if (gone) throw new Error(`server ${gone} before ready:\n${log.join('').slice(-3000)}`);
    try { if ((await fetch(`${base}/readyz`)).status === 200) return; } catch { /* not listening yet */ }
    await sleep(100);
  }
  throw new Error(`server not ready after 30 s:\n${log.join('').slice(-3000)}`);
}

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// Returns the parsed body; throws with status + body on anything but 2xx.
export function apiClient(base, token) {
  return async (method, path, body, key) => {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (key !== null && method !== 'GET') headers['Idempotency-Key'] = key || randomUUID();
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}
