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
