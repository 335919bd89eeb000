// Shared start-up for the demo, admin and POS pages: take the token from
// ?token=, then strip it from the address bar so it does not end up in
// history, bookmarks or a screenshot. sessionStorage keeps it for a reload.
export function takeToken(name) {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    sessionStorage.setItem(`lw-token-${name}`, fromUrl);
  }
  return fromUrl || sessionStorage.getItem(`lw-token-${name}`);
}
