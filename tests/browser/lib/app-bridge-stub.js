// Stands in for https://cdn.shopify.com/shopifycloud/app-bridge.js in the
// browser tests (the real script needs Shopify admin around the frame). An
// init script sets window.__appBridgeTest = {clientSecret, tokenShop?,
// expiredFirst?}. It gives the page what App Bridge gives: window.shopify
// with idToken() — HS256 session tokens minted with WebCrypto as Shopify
// mints them (iss https://{shop}/admin, dest, aud = the page's
// shopify-api-key, sub, exp one minute, nbf, iat, jti, sid) — toast.show,
// saveBar.show/hide (drawn in the page as a bar the test can click, with
// the discard confirmation), and the ui-* elements. window.__appBridgeLog
// records what the page asked of it.
(() => {
  const cfg = window.__appBridgeTest || {};
  const apiKey = document.querySelector('meta[name="shopify-api-key"]')?.content;
  const shop = cfg.tokenShop || new URLSearchParams(location.search).get('shop');
  const log = (window.__appBridgeLog = { apiKey, tokens: [], toasts: [], saveBar: [] });
  const enc = new TextEncoder();
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const json64 = (o) => b64url(enc.encode(JSON.stringify(o)));
  let key = null, minted = 0;

  async function idToken() {
    key ||= await crypto.subtle.importKey('raw', enc.encode(cfg.clientSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const now = Math.floor(Date.now() / 1000);
    const expired = cfg.expiredFirst && minted === 0;
    minted++;
    const claims = { iss: `https://${shop}/admin`, dest: `https://${shop}`, aud: apiKey, sub: '74', exp: expired ? now - 300 : now + 60,
      nbf: expired ? now - 400 : now - 5, iat: expired ? now - 360 : now, jti: crypto.randomUUID(), sid: 'stub-session-1' };
    const unsigned = `${json64({ alg: 'HS256', typ: 'JWT' })}.${json64(claims)}`;
    const token = `${unsigned}.${b64url(await crypto.subtle.sign('HMAC', key, enc.encode(unsigned)))}`;
    log.tokens.push(token);
    return token;
  }

  function toast(message, opts) {
    log.toasts.push({ message, isError: !!opts?.isError });
    const el = document.createElement('div');
    el.className = 'stub-toast';
    el.textContent = message;
    el.style.cssText = 'position:fixed;bottom:8px;left:8px;padding:4px 8px;background:#222;color:#fff;z-index:99';
    document.body.append(el);
    setTimeout(() => el.remove(), 3000);
  }

  // Shopify draws the save bar in the admin; here a bar the test can click.
  function showBar(id) {
    log.saveBar.push(['show', id]);
    const source = document.getElementById(id);
    if (!source || document.getElementById('stub-save-bar')) return;
    const bar = document.createElement('div');
    bar.id = 'stub-save-bar';
    bar.style.cssText = 'position:fixed;top:0;left:0;right:0;padding:4px;background:#303030;color:#fff;z-index:99';
    const [save, discard] = ['button[variant=primary]', 'button:not([variant])'].map((s) => source.querySelector(s));
    const add = (label, onclick) => { const b = document.createElement('button'); b.textContent = label; b.onclick = onclick; bar.append(b); };
    add('Stub save', () => save.click());
    add('Stub discard', () => {
      if (!source.hasAttribute('discardconfirmation')) return discard.click();
      add('Stub confirm discard', () => discard.click());
    });
    document.body.append(bar);
  }
  function hideBar(id) {
    log.saveBar.push(['hide', id]);
    document.getElementById('stub-save-bar')?.remove();
  }

  for (const name of ['ui-title-bar', 'ui-nav-menu', 'ui-save-bar']) {
    customElements.define(name, class extends HTMLElement {
      show() { showBar(this.id); }
      hide() { hideBar(this.id); }
    });
  }
  window.shopify = { config: { apiKey, shop }, idToken, toast: { show: toast },
    saveBar: { show: async (id) => showBar(id), hide: async (id) => hideBar(id), toggle: async () => {} } };
})();
