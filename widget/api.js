// The one way the pages talk to the server: bearer token, JSON both ways, and
// every failure as an ApiError with the envelope's code and message.
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    Object.assign(this, { status, code, details: details || {} });
  }
  get final() {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

// `token` is a string or a function giving a fresh one (App Bridge's
// shopify.idToken()); with a function, a 401 that asks for it
// (X-Shopify-Retry-Invalid-Session-Request) is tried once more.
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
      if (res.status === 401 && typeof token === 'function' && res.headers.get('X-Shopify-Retry-Invalid-Session-Request') === '1') res = await send();
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
