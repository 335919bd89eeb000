// A tiny stand-in for the Shopify endpoints the embedded admin's first open
// reaches (the browser suite's server points LOYALTY_SHOPIFY_BASE_URL here):
// the token exchange at /admin/oauth/access_token (the session token must
// verify under the client secret and name a known shop, as Shopify checks)
// and webhookSubscriptionCreate, which connecting a shop sends.
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// Verifies an HS256 JWT; returns its claims or throws.
export function verifyJwt(token, secret) {
  const [head, body, sig] = String(token).split('.');
  const want = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const got = Buffer.from(sig || '', 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  if (!(claims.exp > Date.now() / 1000)) throw new Error('expired');
  return claims;
}

export function signJwt(claims, secret) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${b64url(createHmac('sha256', secret).update(`${head}.${body}`).digest())}`;
}

// shops: { 'a.myshopify.com': 'write_discounts,…' } — the shops the app is
// installed on, each with the scope Shopify grants it.
export async function startShopifyStub({ clientId, clientSecret, shops }) {
  const stats = { exchanges: [], refused: [], graphql: 0 };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      const send = (status, body) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.method === 'POST' && req.url === '/admin/oauth/access_token') return send(...exchange(JSON.parse(raw || '{}')));
      if (req.method === 'POST' && /^\/admin\/api\/[^/]+\/graphql\.json$/.test(req.url)) {
        stats.graphql++;
        return send(200, { data: { webhookSubscriptionCreate: { webhookSubscription: { id: `gid://shopify/WebhookSubscription/${stats.graphql}`, topic: 'X' }, userErrors: [] } } });
      }
      send(404, { errors: 'Not Found' });
    });
  });
  function exchange(b) {
    const refuse = (why) => { stats.refused.push(why); return [400, { error: 'invalid_subject_token', error_description: why }]; };
    if (b.client_id !== clientId || b.client_secret !== clientSecret) return [400, { error: 'invalid_client' }];
    let claims;
    try { claims = verifyJwt(b.subject_token, clientSecret); } catch (e) { return refuse(e.message); }
    const shop = String(claims.dest || '').replace('https://', '');
    if (!(shop in shops)) return refuse(`the app is not installed on ${shop}`);
    stats.exchanges.push(shop);
    return [200, { access_token: `shpat_${shop.split('.')[0]}`, scope: shops[shop] }];
  }
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, stats, stop: () => new Promise((ok) => server.close(ok)) };
}
