// Key rotation as docs/key-rotation.md describes it: add a new key (it signs, the old one still
// verifies), let old tokens expire, retire the old key (its tokens are refused), and check the JWKS
// a resource server would fetch at each step. Refresh tokens across rotation, with and without
// refreshToken.secret.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, test } from 'vitest';
import { createAuth, generateKey, importKey, memoryStore, type Auth, type SigningKey } from '../../src/entries/index.js';
import { AUDIENCE, FRAMEWORKS, ISSUER, MINUTE, clock, login, send, startApp, type Clock } from './support.js';

/** 'accepted', or the error code a verification ended with. */
const outcomeOf = (verification: Promise<unknown>): Promise<string> => verification.then(
  () => 'accepted',
  (error: { code?: string }) => String(error.code),
);

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;

async function makeAuth(keys: SigningKey[], time: Clock, refreshSecret?: string): Promise<Auth<true>> {
  const auth = createAuth({
    keys,
    issuer: ISSUER,
    audience: AUDIENCE,
    store: memoryStore({ now: time.now }),
    now: time.now,
    accessToken: { ttl: '15m' },
    session: { idleTimeout: '2h', absoluteTimeout: '30d' },
    ...(refreshSecret ? { refreshToken: { secret: refreshSecret } } : {}),
  });
  await auth.ready();
  return auth;
}

/** What a resource server that only has the JWKS document decides about a token. */
async function jwksAccepts(auth: Auth<true>, token: string, time: Clock): Promise<boolean> {
  try {
    await jwtVerify(token, createLocalJWKSet(await auth.jwks()), { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', currentDate: new Date(time.now()) });
    return true;
  } catch {
    return false;
  }
}

describe('key rotation', () => {
  test('add a new key: it signs new tokens, old tokens keep verifying, and JWKS publishes both', async () => {
    const time = clock();
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], time);
    const before = await auth.signIn({ userId: '50' });
    expect(kidOf(before.accessToken)).toBe(oldKey.kid);
    expect((await auth.jwks()).keys.map((k) => k.kid)).toEqual([oldKey.kid]);

    await auth.setKeys([newKey, oldKey]);
    const after = await auth.signIn({ userId: '51' });
    expect(kidOf(after.accessToken)).toBe(newKey.kid);
    expect((await auth.verifyAccessToken(before.accessToken)).sub).toBe('50');
    expect((await auth.verifyAccessToken(after.accessToken)).sub).toBe('51');
    expect((await auth.jwks()).keys.map((k) => k.kid)).toEqual([newKey.kid, oldKey.kid]);
    expect(await jwksAccepts(auth, before.accessToken, time)).toBe(true);
    expect(await jwksAccepts(auth, after.accessToken, time)).toBe(true);
  });

  test('old tokens keep verifying until they expire, then are refused as expired', async () => {
    const time = clock();
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], time);
    const { accessToken } = await auth.signIn({ userId: '50' });
    await auth.setKeys([newKey, oldKey]);
    time.advance(14 * MINUTE);
    expect((await auth.verifyAccessToken(accessToken)).sub).toBe('50');
    time.advance(2 * MINUTE);
    await expect(auth.verifyAccessToken(accessToken)).rejects.toMatchObject({ code: 'token_expired' });
  });

  test('retire the old key: its still-unexpired tokens are refused and JWKS no longer lists it', async () => {
    const time = clock();
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], time);
    const old = await auth.signIn({ userId: '50' });
    expect((await auth.verifyAccessToken(old.accessToken)).sub).toBe('50'); // cached as valid
    await auth.setKeys([newKey, oldKey]);
    const fresh = await auth.signIn({ userId: '51' });
    await auth.setKeys([newKey]);
    await expect(auth.verifyAccessToken(old.accessToken)).rejects.toMatchObject({ code: 'token_invalid' });
    expect((await auth.verifyAccessToken(fresh.accessToken)).sub).toBe('51');
    expect((await auth.jwks()).keys.map((k) => k.kid)).toEqual([newKey.kid]);
    expect(await jwksAccepts(auth, old.accessToken, time)).toBe(false);
    expect(await jwksAccepts(auth, fresh.accessToken, time)).toBe(true);
  });

  test('a verification in flight while the old key is retired does not leave its token cached as valid', async () => {
    const time = clock();
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], time);
    for (let i = 0; i < 10; i++) {
      await auth.setKeys([oldKey]);
      const { accessToken } = await auth.signIn({ userId: `u${i}` });
      const inFlight = auth.verifyAccessToken(accessToken).catch(() => null);
      await auth.setKeys([newKey]);
      await inFlight;
      await expect(auth.verifyAccessToken(accessToken)).rejects.toMatchObject({ code: 'token_invalid' });
    }
  });

  /** Ten rounds of: sign in under `oldKey`, start verifying the token, retire `oldKey`; `after` gives each round's outcome. */
  async function retireDuringVerification(after: (auth: Auth<true>, token: string, inFlight: Promise<string>) => Promise<string>): Promise<string[]> {
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], clock());
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      await auth.setKeys([oldKey]);
      const { accessToken } = await auth.signIn({ userId: `u${i}` });
      const inFlight = outcomeOf(auth.verifyAccessToken(accessToken));
      await auth.setKeys([newKey]);
      outcomes.push(await after(auth, accessToken, inFlight));
    }
    return outcomes;
  }

  test('a verification in flight when setKeys retires its key fails (10 of 10 runs)', async () => {
    const outcomes = await retireDuringVerification((_auth, _token, inFlight) => inFlight);
    expect(outcomes).toEqual(Array(10).fill('token_invalid'));
  });

  test('a request presenting the token after setKeys retired its key is refused, also while the first verification still runs (10 of 10 runs)', async () => {
    // the same token again (a copy, as the next request brings it): it may join the check still running
    const outcomes = await retireDuringVerification(async (auth, token, inFlight) => {
      const again = await outcomeOf(auth.verifyAccessToken(Buffer.from(token).toString()));
      await inFlight;
      return again;
    });
    expect(outcomes).toEqual(Array(10).fill('token_invalid'));
  });

  test('a verification in flight when setKeys keeps its key still succeeds', async () => {
    const time = clock();
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], time);
    const { accessToken } = await auth.signIn({ userId: 'kept' });
    const inFlight = auth.verifyAccessToken(accessToken);
    await auth.setKeys([newKey, oldKey]);
    await expect(inFlight).resolves.toMatchObject({ sub: 'kept' });
  });

  test('JWKS never publishes private members or HS256 secrets, at any step', async () => {
    const time = clock();
    const keys = [await generateKey('EdDSA'), await generateKey('ES256'), await generateKey('RS256'), await generateKey('HS256')];
    const auth = await makeAuth(keys, time);
    const jwks = await auth.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual(keys.slice(0, 3).map((k) => k.kid));
    for (const jwk of jwks.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(jwk).not.toHaveProperty(member);
      expect(jwk).toMatchObject({ use: 'sig' });
    }
  });

  test('refresh tokens keep working across rotation while the sign-in key is still configured', async () => {
    const time = clock();
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], time);
    const signedIn = await auth.signIn({ userId: '50' });
    await auth.setKeys([newKey, oldKey]);
    time.advance(MINUTE);
    const next = await auth.refresh({ refreshToken: signedIn.refreshToken });
    expect(kidOf(next.accessToken)).toBe(newKey.kid);
    time.advance(MINUTE);
    expect((await auth.refresh({ refreshToken: next.refreshToken })).session.id).toBe(signedIn.session.id);
  });

  test('without refreshToken.secret, retiring the key that signed at sign-in ends refresh for that session (401 token_invalid, nothing revoked)', async () => {
    const time = clock();
    const events: string[] = [];
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = createAuth({ keys: [oldKey], issuer: ISSUER, audience: AUDIENCE, store: memoryStore({ now: time.now }), now: time.now, onEvent: (e) => void events.push(e.type) });
    const signedIn = await auth.signIn({ userId: '50' });
    await auth.setKeys([newKey, oldKey]);
    const later = await auth.signIn({ userId: '51' }); // signed in under the new key
    await auth.setKeys([newKey]);
    time.advance(MINUTE);
    // the old session's refresh token now verifies under no key: it is refused like a forgery
    await expect(auth.refresh({ refreshToken: signedIn.refreshToken })).rejects.toMatchObject({ code: 'token_invalid', status: 401 });
    expect(events).not.toContain('refresh_reused');
    // the session itself (and its cookie) is untouched; sessions of the new key keep refreshing
    const cookie = { method: 'GET', headers: { cookie: `${auth.cookies.session}=${signedIn.sessionToken}` } };
    expect(await auth.authenticate(cookie)).toMatchObject({ userId: '50' });
    expect((await auth.refresh({ refreshToken: later.refreshToken })).session.userId).toBe('51');
  });

  test('keeping only the old public key (verify-only) keeps its access tokens valid but not its sessions\' refresh tokens', async () => {
    const time = clock();
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], time);
    const signedIn = await auth.signIn({ userId: '50' });
    await auth.setKeys([newKey, await importKey(oldKey.publicJwk!)]);
    expect((await auth.verifyAccessToken(signedIn.accessToken)).sub).toBe('50');
    await expect(auth.refresh({ refreshToken: signedIn.refreshToken })).rejects.toMatchObject({ code: 'token_invalid' });
  });

  test('with refreshToken.secret, refresh tokens survive retiring every signing key', async () => {
    const time = clock();
    const secret = 'r'.repeat(16) + 'S'.repeat(16) + '-refresh-secret';
    const [k1, k2, k3] = [await generateKey('EdDSA'), await generateKey('EdDSA'), await generateKey('ES256')];
    const auth = await makeAuth([k1], time, secret);
    const signedIn = await auth.signIn({ userId: '50' });
    await auth.setKeys([k2]);
    time.advance(MINUTE);
    const a = await auth.refresh({ refreshToken: signedIn.refreshToken });
    await auth.setKeys([k3]);
    time.advance(MINUTE);
    const b = await auth.refresh({ refreshToken: a.refreshToken });
    expect(kidOf(b.accessToken)).toBe(k3.kid);
    // replay detection still works after the rotations
    time.advance(MINUTE);
    await expect(auth.refresh({ refreshToken: signedIn.refreshToken })).rejects.toMatchObject({ code: 'refresh_reused' });
  });
});

describe.each(FRAMEWORKS)('key rotation through %s', (framework) => {
  test('a bearer token of a retired key is refused with 401 by a running app; the new key\'s token is accepted', async () => {
    const time = clock();
    const [oldKey, newKey] = [await generateKey('EdDSA'), await generateKey('EdDSA')];
    const auth = await makeAuth([oldKey], time);
    const app = await startApp(framework, auth);
    try {
      const before = await login(app, auth);
      await auth.setKeys([newKey, oldKey]);
      const after = await login(app, auth, '51');
      expect((await send(app, 'GET', '/me', { authorization: `Bearer ${before.accessToken}` })).status).toBe(200);
      await auth.setKeys([newKey]);
      const refused = await send(app, 'GET', '/me', { authorization: `Bearer ${before.accessToken}` });
      expect(refused.status).toBe(401);
      expect(refused.json).toEqual({ error: 'token_invalid' });
      expect((await send(app, 'GET', '/me', { authorization: `Bearer ${after.accessToken}` })).status).toBe(200);
      // the session cookie does not depend on signing keys at all
      expect((await send(app, 'GET', '/me', { cookie: before.sessionCookie })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
