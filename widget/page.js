// Shared start-up for the demo, admin and POS pages: take the token from
// ?token=, then strip it from the address bar so it does not end up in
// history, bookmarks or a screenshot. sessionStorage keeps it for a reload
// where the browser allows it: inside another site's frame, or with
// storage blocked, reading it throws, and the page goes on without it.
export const saved = {
  get(key) {
    try { return sessionStorage.getItem(key); } catch { return null; }
  },
  set(key, value) {
    try { sessionStorage.setItem(key, value); } catch { /* storage blocked: nothing kept */ }
  },
};

export function takeToken(name) {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    saved.set(`lw-token-${name}`, fromUrl);
  }
  return fromUrl || saved.get(`lw-token-${name}`);
}
