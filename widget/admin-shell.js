// Inside Shopify admin the page uses App Bridge's own chrome: the title bar,
// the navigation menu (one link per tab; App Bridge draws it in the admin's
// sidebar) and toasts for saved / failed. Outside, nothing of it is made:
// the page's own header and tabs do the same, and each panel's status line
// says saved or failed in both.
import { h } from './dom.js';

let bridge = null;

export function shell(auth, tabs) {
  if (auth.mode !== 'shopify' || !auth.bridge) return { title() {} };
  bridge = auth.bridge;
  document.documentElement.classList.add('embedded');
  const page = '/widget/admin.html';
  const bar = h('ui-title-bar', { title: 'Loyalty wallet' });
  const nav = h('ui-nav-menu', {}, h('a', { href: page, rel: 'home' }, 'Loyalty wallet'),
    tabs.map(([id, label]) => h('a', { href: `${page}#${id}` }, label)));
  document.body.prepend(bar, nav);
  return { title(text) { bar.setAttribute('title', text); } };
}

export const embedded = () => bridge !== null;
export const appBridge = () => bridge;

// A short message for saved / failed (App Bridge's toast in Shopify admin).
export function toast(message, isError = false) {
  try {
    bridge?.toast?.show(message, isError ? { isError: true } : undefined);
  } catch { /* a toast is a courtesy: the status line says the same */ }
}
