// What can be told about a token without the server: unreadable, or past
// its `exp`. Only a hint for the message shown; the server still decides.
export function tokenProblem(token, now = Date.now()) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part));
    return typeof claims.exp === 'number' && claims.exp * 1000 <= now ? 'expired' : null;
  } catch {
    return 'invalid';
  }
}
