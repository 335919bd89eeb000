// A tiny element builder shared by every page. Children are appended as text
// nodes, never parsed as HTML, so codes, ids and reasons cannot inject markup.
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...kids.flat(9).filter((k) => k != null && k !== false));
  return el;
}

// Replace an element's children in one go (lists are re-rendered from state).
export const fill = (el, ...kids) => el.replaceChildren(...kids.flat(9).filter((k) => k != null && k !== false));
