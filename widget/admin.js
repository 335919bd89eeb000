// Merchant admin: tabs for the online and POS programs, customers, analytics
// and shop settings. Each tab's panel loads the first time it is shown. The
// token comes from Shopify (App Bridge) or ?token= (admin-auth.js).
import { h, fill } from './dom.js';
import { client } from './api.js';
import { adminAuth, noTokenHelp } from './admin-auth.js';
import { shell } from './admin-shell.js';
import { programPanel } from './admin-program.js';
import { customersPanel } from './admin-customers.js';
import { analyticsPanel } from './admin-analytics.js';
import { shopPanel } from './admin-shop.js';
import { campaignsPanel } from './admin-campaigns.js';

const TABS = [['online', 'Online program'], ['pos', 'POS program'], ['customers', 'Customers'], ['campaigns', 'Campaigns'], ['analytics', 'Analytics'], ['shop', 'Shop']];
const main = document.getElementById('app');
const development = document.querySelector('meta[name="loyalty-development"]')?.content === '1';
const auth = adminAuth();
const chrome = shell(auth, TABS);

const card = (kind, ...kids) => fill(main, h('div', { class: `card ${kind}`, role: kind === 'err' ? 'alert' : null }, kids));

function fail(e) {
  if (e.status !== 401) return card('err', h('p', {}, `Could not load: ${e.message}`));
  if (auth.mode === 'shopify') {
    return card('err', h('h2', {}, 'Shopify’s sign-in was not accepted'),
      h('p', {}, e.message),
      h('p', {}, 'Reload the app from your Shopify admin (Apps → Loyalty Wallet). If this keeps happening, the app may not be installed on this store any more, or the service’s client secret (LOYALTY_CLIENT_SECRET) and embedded mode (LOYALTY_SHOPIFY_EMBEDDED=1) are not set as the README says.'));
  }
  const help = noTokenHelp(development);
  return card('err', h('p', {}, 'Your session has expired or the token is not valid.'), h('p', {}, help.text),
    help.link && h('p', {}, h('a', { href: help.link[0] }, help.link[1])));
}

async function start() {
  if (auth.problem) return card('err', h('p', {}, auth.problem));
  if (!auth.token) {
    const help = noTokenHelp(development);
    return card('', h('h2', {}, 'Open the admin from your store'), h('p', {}, help.text),
      help.link && h('p', {}, h('a', { href: help.link[0] }, help.link[1])));
  }
  const call = client('', auth.token);
  const shop = await call('GET', '/api/v1/admin/shop');
  if (auth.mode === 'shopify' && auth.shop && shop.shop !== auth.shop) {
    return card('err', h('h2', {}, 'Signed in to another store'),
      h('p', {}, `Shopify’s session is for ${shop.shop}, but this page was opened for ${auth.shop}. Reload the app from the store’s admin.`));
  }
  document.getElementById('shop-name').textContent = shop.shop;
  const panels = {}, loaded = new Set();
  const tabs = TABS.map(([id, label]) => h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}` }, label));
  const views = TABS.map(([id]) => h('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, tabindex: '0', hidden: true }));
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Admin sections' }, tabs);
  fill(main, scopesNotice(shop), list, views);
  const programs = ['online', 'pos'].map((ch) => (panels[ch] = programPanel(views[TABS.findIndex((t) => t[0] === ch)], call, ch, { ...shop })));
  panels.customers = customersPanel(views[2], call, auth.token);
  const view = (id) => views[TABS.findIndex((t) => t[0] === id)];
  panels.campaigns = campaignsPanel(view('campaigns'), call, shop);
  panels.analytics = analyticsPanel(view('analytics'), call);
  // After a currency change the programs are re-read (their ratios may have been converted).
  panels.shop = shopPanel(view('shop'), call, shop, (cur) => programs.forEach((p, i) => {
    p.setCurrency(cur);
    if (loaded.has(['online', 'pos'][i])) p.load().catch(() => {});
  }));

  function show(i, focus) {
    tabs.forEach((t, j) => { t.setAttribute('aria-selected', String(i === j)); t.tabIndex = i === j ? 0 : -1; views[j].hidden = i !== j; });
    if (focus) tabs[i].focus();
    const id = TABS[i][0];
    chrome.title(TABS[i][1]);
    if (location.hash !== `#${id}`) history.replaceState(history.state, '', `#${id}`);
    if (!loaded.has(id)) {
      loaded.add(id);
      panels[id].load().catch((e) => fill(views[i], h('p', { class: 'err', role: 'alert' }, `Could not load: ${e.message}`)));
    }
  }
  tabs.forEach((t, i) => { t.onclick = () => show(i); });
  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  list.onkeydown = (e) => {
    const i = tabs.indexOf(document.activeElement), n = tabs.length;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1 + n, Home: 0, End: n - 1 }[e.key];
    if (to === undefined || i < 0) return;
    e.preventDefault();
    show(to % n, true);
  };
  // App Bridge's navigation menu links to #tab addresses.
  const fromHash = () => Math.max(0, TABS.findIndex((t) => `#${t[0]}` === location.hash));
  addEventListener('hashchange', () => show(fromHash()));
  show(fromHash());
}

// A Shopify shop installed with fewer scopes than the app now asks for.
function scopesNotice(shop) {
  const s = shop.scopes;
  if (!s || !s.reauthorize_url) return null;
  const text = s.missing
    ? `This store has not granted the app ${s.missing.join(', ')}. Until it does, the features that need ${s.missing.length > 1 ? 'them' : 'it'} cannot work.`
    : `The scopes this store granted are not on record. If the app was installed from Shopify, re-authorize to make sure it has ${s.required.join(', ')}.`;
  return h('div', { class: 'warn scopes', id: 'scopes-notice', role: 'status' }, h('p', {}, text),
    h('p', {}, h('a', { href: s.reauthorize_url, target: '_top', id: 'reauthorize' }, 'Re-authorize the app in Shopify')));
}

start().catch(fail);
