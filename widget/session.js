// <loyalty-wallet session-url="/apps/loyalty/session">: the token comes from
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
