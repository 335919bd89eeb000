// Server calls (bearer token, JSON, failures as ApiError) and the storefront's session.
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    Object.assign(this, { status, code, details: details || {} });
  }
  get final() {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

// token: a string, or a function for a fresh one (App Bridge): a 401 is tried
// once more with a fresh token.
export const bearer = async (token) => (typeof token === 'function' ? token() : token);

export function client(base, token) {
  const root = (base || '').replace(/\/$/, '');
  return async (method, path, { body, key, signal } = {}) => {
    const send = async () => {
      const headers = { Authorization: `Bearer ${await bearer(token)}`, Accept: 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (key) headers['Idempotency-Key'] = key;
      return fetch(root + path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    };
    let res;
    try {
      res = await send();
      if (res.status === 401 && typeof token === 'function') res = await send();
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
    }
    const data = await res.json().catch(() => null);
    if (res.ok) return data;
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || `Request failed (${res.status})`, err.details);
  };
}

export const newKey = () =>
  crypto.randomUUID ? crypto.randomUUID() : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');

export const enc = encodeURIComponent;

// session-url: the token from the app proxy, fetched again a minute before it ends.
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

// A hint only: the token's problem as read without the server.
export function tokenProblem(token, now = Date.now()) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part));
    return typeof claims.exp === 'number' && claims.exp * 1000 <= now ? 'expired' : null;
  } catch {
    return 'invalid';
  }
}
