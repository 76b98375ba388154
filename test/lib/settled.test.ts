// A step that lets the request go on at once says so (settledValue), so adapters skip the microtask;
// every other outcome is an ordinary promise, read as before.
import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, type AuthContext } from '../../src/entries/index.js';
import { adapterKit, settledValue, type Binding } from '../../src/entries/adapter.js';

interface Exchange {
  headers: Record<string, string>;
  user?: AuthContext | null;
}

const binding: Binding<Exchange> = {
  request: (ex) => ({ method: 'GET', headers: ex.headers }),
  appendCookies: () => {},
  setAuth: (ex, auth) => void (ex.user = auth),
  ip: () => undefined,
};

describe('settledValue on the kit steps', () => {
  it('a session cookie on the memory store is authenticated before the step returns: settledValue is null and the AuthContext is already set', async () => {
    const auth = createAuth();
    const { setCookies } = await auth.signIn({ userId: 'u1' });
    const kit = adapterKit(auth, binding);
    const ex: Exchange = { headers: { cookie: setCookies.map((line) => line.split(';')[0]).join('; ') } };
    const outcome = kit.authenticate(ex);
    expect(settledValue(outcome)).toBeNull();
    expect(ex.user).toMatchObject({ userId: 'u1', via: 'cookie' });
    expect(settledValue(kit.requireAuth()(ex))).toBeNull();
    expect(await outcome).toBeNull();
  });

  it('requireAuth alone on a route (no authenticate() before it) admits a cookie and a cached bearer token before the step returns', async () => {
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web' });
    const { setCookies, accessToken } = await auth.signIn({ userId: 'u3' });
    const kit = adapterKit(auth, binding);
    const guard = kit.requireAuth();
    const byCookie: Exchange = { headers: { cookie: setCookies.map((line) => line.split(';')[0]).join('; ') } };
    expect(settledValue(guard(byCookie))).toBeNull();
    expect(byCookie.user).toMatchObject({ userId: 'u3', via: 'cookie' });
    expect(await guard({ headers: { authorization: `Bearer ${accessToken}` } })).toBeNull(); // verified once, then cached
    const byToken: Exchange = { headers: { authorization: `Bearer ${accessToken}` } };
    expect(settledValue(guard(byToken))).toBeNull();
    expect(byToken.user).toMatchObject({ userId: 'u3', via: 'bearer' });
    const nobody: Exchange = { headers: {} };
    expect(await guard(nobody)).toMatchObject({ status: 401, body: { error: 'credentials_missing' } });
  });

  it('a refused cookie is not settled at once: the step still answers 401 through its promise', async () => {
    const kit = adapterKit(createAuth(), binding);
    const ex: Exchange = { headers: { cookie: '__Host-latchkey.session=abc.def' } };
    const guarded = kit.requireAuth()(ex);
    expect(settledValue(guarded)).toBeUndefined();
    expect(await guarded).toMatchObject({ status: 401, body: { error: 'session_invalid' } });
  });

  it('a bearer token is verified through a promise the first time, and answered at once once cached', async () => {
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web' });
    const { accessToken } = await auth.signIn({ userId: 'u2' });
    const kit = adapterKit(auth, binding);
    const first: Exchange = { headers: { authorization: `Bearer ${accessToken}` } };
    const outcome = kit.authenticate(first);
    expect(settledValue(outcome)).toBeUndefined();
    expect(await outcome).toBeNull();
    const again: Exchange = { headers: { authorization: `Bearer ${accessToken}` } };
    expect(settledValue(kit.authenticate(again))).toBeNull();
    expect(again.user).toMatchObject({ userId: 'u2', via: 'bearer' });
  });

  it('any other promise has no settled value', () => {
    expect(settledValue(Promise.resolve(null))).toBeUndefined();
  });
});
