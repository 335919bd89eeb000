// Merchant admin: tabs for the online and POS programs, customers, analytics
// and shop settings. Each tab's panel loads the first time it is shown.
import { h, fill } from './dom.js';
import { client } from './api.js';
import { takeToken } from './page.js';
import { programPanel } from './admin-program.js';
import { customersPanel } from './admin-customers.js';
import { analyticsPanel } from './admin-analytics.js';
import { shopPanel } from './admin-shop.js';
import { campaignsPanel } from './admin-campaigns.js';

const TABS = [['online', 'Online program'], ['pos', 'POS program'], ['customers', 'Customers'], ['campaigns', 'Campaigns'], ['analytics', 'Analytics'], ['shop', 'Shop']];
const main = document.getElementById('app');
const token = takeToken('admin');

function fail(e) {
  const text = e.status === 401 ? 'Your session has expired. Open the admin from your store again.' : `Could not load: ${e.message}`;
  fill(main, h('p', { class: 'card err', role: 'alert' }, text));
}

async function start() {
  if (!token) return fill(main, h('p', { class: 'card' }, 'Open this page with ?token= and an admin token.'));
  const call = client('', token);
  const shop = await call('GET', '/api/v1/admin/shop');
  document.getElementById('shop-name').textContent = shop.shop;
  const panels = {}, loaded = new Set();
  const tabs = TABS.map(([id, label]) => h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}` }, label));
  const views = TABS.map(([id]) => h('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, tabindex: '0', hidden: true }));
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Admin sections' }, tabs);
  fill(main, list, views);
  const programs = ['online', 'pos'].map((ch) => (panels[ch] = programPanel(views[TABS.findIndex((t) => t[0] === ch)], call, ch, { ...shop })));
  panels.customers = customersPanel(views[2], call, token);
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
    history.replaceState(null, '', `#${id}`);
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
  const start = TABS.findIndex((t) => `#${t[0]}` === location.hash);
  show(Math.max(0, start));
}

start().catch(fail);
