// How the admin gets its bearer token, in each way it can be opened:
// - by Shopify admin (its parameters embedded/host/id_token in the address;
//   the server then puts App Bridge first in <head>): a fresh
//   `await shopify.idToken()` for every call, nothing kept;
// - with ?token= (development links, the CLI): that token, kept for a reload
//   where the browser allows storage;
// - neither (a bookmark): no token, and the page says how to open it.
import { takeToken } from './page.js';

export const SHOPIFY_PARAMS = ['embedded', 'host', 'id_token'];

export function adminAuth(loc = location, bridge = window.shopify) {
  const q = new URLSearchParams(loc.search);
  if (!SHOPIFY_PARAMS.some((k) => q.get(k))) {
    const token = takeToken('admin');
    return { mode: token ? 'token' : 'none', token };
  }
  const shop = q.get('shop');
  if (!bridge || typeof bridge.idToken !== 'function') {
    return { mode: 'shopify', shop, problem: 'Shopify’s App Bridge did not load, so the app cannot sign in to your store. Check that cdn.shopify.com is not blocked, then reload the app from Shopify admin.' };
  }
  return { mode: 'shopify', shop, bridge, token: () => bridge.idToken() };
}

// What the page says when it has no token (issue 30 point 19).
export function noTokenHelp(development) {
  return development
    ? { text: 'This page needs an admin token. In development mode the start page has ready-made links.', link: ['/', 'Open the start page'] }
    : { text: 'Open the app from your Shopify admin: Apps → Loyalty Wallet. Shopify signs you in there; a bookmarked address cannot.', link: null };
}
