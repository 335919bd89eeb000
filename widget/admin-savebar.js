// Unsaved changes (issue 30 point 12). A form that edits saved settings is
// tracked: while any differs from what was last loaded or saved, a save bar
// offers Save and Discard — App Bridge's <ui-save-bar> inside Shopify admin
// (its Discard asks first, `discardConfirmation`), an in-page bar outside
// (whose Discard asks in a dialog). Replacing a changed form (New campaign,
// Edit, Cancel) asks first; leaving or reloading the page warns.
import { h } from './dom.js';
import { appBridge } from './admin-shell.js';

const BAR_ID = 'lw-save-bar';
const tracked = new Map(); // form → { snapshot, discard }
let shown = false, bar = null;

// What a form holds now (search boxes of the pickers are not settings).
const state = (form) => JSON.stringify([...form.elements]
  .filter((e) => !['submit', 'button', 'search', 'fieldset'].includes(e.type) && e.tagName !== 'FIELDSET')
  .map((e) => (e.type === 'checkbox' || e.type === 'radio' ? e.checked : e.value)));

export const dirtyForms = () => [...tracked.entries()]
  .filter(([form, t]) => form.isConnected && state(form) !== t.snapshot).map(([form]) => form);

function saveAll() {
  for (const form of dirtyForms()) form.requestSubmit();
}

function discardAll() {
  for (const form of dirtyForms()) tracked.get(form).discard();
  update();
}

// Shopify's bar: App Bridge shows it in the admin and clicks these buttons.
function shopifyBar() {
  return document.getElementById(BAR_ID) || document.body.appendChild(h('ui-save-bar', { id: BAR_ID, discardConfirmation: true },
    h('button', { variant: 'primary', id: `${BAR_ID}-save`, onclick: saveAll }, 'Save'),
    h('button', { id: `${BAR_ID}-discard`, onclick: discardAll }, 'Discard')));
}

function pageBar() {
  bar ||= document.body.appendChild(h('div', { class: 'savebar', id: 'savebar', role: 'region', 'aria-label': 'Unsaved changes', hidden: true },
    h('p', {}, 'Unsaved changes'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: async () => { if (await ask('Your changes will be lost.')) discardAll(); } }, 'Discard'),
      h('button', { type: 'button', class: 'primary', onclick: saveAll }, 'Save'))));
  return bar;
}

function update() {
  const dirty = dirtyForms().length > 0;
  if (dirty === shown) return;
  shown = dirty;
  const bridge = appBridge();
  if (bridge?.saveBar) {
    shopifyBar();
    bridge.saveBar[dirty ? 'show' : 'hide'](BAR_ID);
  } else {
    pageBar().hidden = !dirty;
  }
}

// The discard prompt: resolves true to discard, false to keep editing.
export function ask(detail) {
  return new Promise((resolve) => {
    const keep = h('button', { type: 'button', class: 'secondary', value: 'keep' }, 'Keep editing');
    const drop = h('button', { type: 'button', class: 'danger', value: 'discard' }, 'Discard changes');
    const dlg = h('dialog', { id: 'discard-confirm', 'aria-labelledby': 'discard-title' },
      h('div', { class: 'confirm' }, h('h2', { id: 'discard-title' }, 'Discard unsaved changes?'), h('p', {}, detail),
        h('div', { class: 'actions' }, keep, drop)));
    const done = (answer) => { dlg.close(); dlg.remove(); resolve(answer); };
    keep.onclick = () => done(false);
    drop.onclick = () => done(true);
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
    keep.focus();
  });
}

// Tracks `form`; `discard` puts back what was loaded (or closes the form).
export function track(form, { discard }) {
  const t = { snapshot: state(form), discard };
  tracked.set(form, t);
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  const stop = () => { tracked.delete(form); update(); };
  return {
    clean() { t.snapshot = state(form); update(); },
    stop,
    dirty: () => form.isConnected && state(form) !== t.snapshot,
    // Before the form is replaced: true when it may go (asked if changed).
    async leave() {
      if (form.isConnected && state(form) !== t.snapshot && !(await ask('The form you are editing has changes that are not saved.'))) return false;
      stop();
      return true;
    },
  };
}

addEventListener('beforeunload', (e) => {
  if (!dirtyForms().length) return;
  e.preventDefault();
  e.returnValue = '';
});
