// <loyalty-wallet session-url="/apps/loyalty/session">: the token comes from
// the shop's app proxy, fetched again a minute before it ends.
const EARLY_MS = 60000;

export function session(url) {
  let current = null, pending = null;
  const load = async () => {
    const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`The session could not be loaded (${res.status}).`);
    const s = await res.json();
    return (current = { ...s, until: Date.parse(s.expires_at || 0) - EARLY_MS });
  };
  const get = () => (current && (!current.logged_in || Date.now() < current.until)
    ? Promise.resolve(current)
    : (pending ||= load().finally(() => { pending = null; })));
  return { get, token: async () => (await get()).token };
}

// A token's problem readable without the server (a hint only).
export function tokenProblem(token, now = Date.now()) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part));
    return typeof claims.exp === 'number' && claims.exp * 1000 <= now ? 'expired' : null;
  } catch {
    return 'invalid';
  }
}
