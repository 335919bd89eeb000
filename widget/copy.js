// Copy a code: clipboard, else select it and say so.
import { h } from './dom.js';
import { t } from './messages.js';

export function copyButton(code, target, say, props = {}) {
  const btn = h('button', { type: 'button', class: 'secondary copy', ...props }, t('copy'));
  btn.onclick = async () => {
    try {
      await navigator.clipboard.writeText(code);
      btn.textContent = t('copied');
      say(t('copied_sr'));
    } catch {
      getSelection().selectAllChildren(target);
      btn.textContent = t('select_copy');
      say(t('select_copy_sr'));
    }
    btn.dataset.done = '';
    setTimeout(() => { btn.textContent = t('copy'); delete btn.dataset.done; }, 4000);
  };
  return btn;
}
