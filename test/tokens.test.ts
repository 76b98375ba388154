import { decodeJwt, decodeProtectedHeader, SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { createAuth, generateKey, type SigningKey } from '../src/entries/index.js';
import { AUDIENCE, authFailure, bearerRequest, ISSUER, MINUTE, SECOND, testClock, type TestClock } from './support/core.js';

async function build(options: { checkSession?: boolean; claims?: (s: { userId: string; data: Record<string, unknown> }) => Record<string, unknown>; key?: SigningKey } = {}) {
  const clock = testClock();
  const key = options.key ?? (await generateKey('EdDSA'));
  const auth = createAuth({
    keys: [key],
    issuer: ISSUER,
    audience: AUDIENCE,
    now: clock.now,
    accessToken: { ttl: '15m', clockTolerance: '5s', ...(options.checkSession === undefined ? {} : { checkSession: options.checkSession }), ...(options.claims ? { claims: options.claims } : {}) },
  });
  return { clock, key, auth };
}

/** Signs a token with the app's real key, with claims and header chosen by the test (a forger holding the key, or a bug). */
async function craft(key: SigningKey, clock: TestClock, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const iat = Math.floor(clock.now() / 1000);
  return new SignJWT({ sub: 'u1', sid: 'A'.repeat(22), iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 600, jti: 'j1', ...payload })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(key.signingKey!);
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function refusedWith(promise: Promise<unknown>): Promise<string> {
  const error = await authFailure(promise);
  expect(error.status).toBe(401);
  return error.code;
}

describe('access tokens', () => {
  it('carry sub, sid, iat, exp, iss, aud, jti and the at+jwt type', async () => {
    const { auth, clock, key } = await build();
    const { accessToken, session, expiresIn } = await auth.signIn({ userId: 'u1' });
    const header = decodeProtectedHeader(accessToken);
    expect(header).toEqual({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' });
    const claims = decodeJwt(accessToken);
    const iat = Math.floor(clock.now() / 1000);
    expect(claims).toMatchObject({ sub: 'u1', sid: session.id, iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 900 });
    expect(typeof claims.jti).toBe('string');
    expect(expiresIn).toBe(900);
    const other = await auth.signIn({ userId: 'u1' });
    expect(decodeJwt(other.accessToken).jti).not.toBe(claims.jti);
  });

  it('verifyAccessToken returns the verified claims', async () => {
    const { auth } = await build();
    const { accessToken, session } = await auth.signIn({ userId: 'u1' });
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u1', sid: session.id });
  });

  it('authenticate reads a bearer token and answers without session data unless checkSession is on', async () => {
    const { auth } = await build();
    const { accessToken, session } = await auth.signIn({ userId: 'u1', data: { role: 'admin' } });
    const ctx = await auth.authenticate(bearerRequest(accessToken));
    expect(ctx).toMatchObject({ via: 'bearer', userId: 'u1', sessionId: session.id, data: null });
    expect(ctx?.claims?.sub).toBe('u1');
  });

  it('the bearer scheme is case-insensitive and accepts a Headers object', async () => {
    const { auth } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    const ctx = await auth.authenticate({ method: 'GET', headers: new Headers({ Authorization: `bEaReR ${accessToken}` }) });
    expect(ctx?.userId).toBe('u1');
  });

  it('the app claims hook adds claims to access tokens', async () => {
    const { auth } = await build({ claims: (s) => ({ role: s.data.role, tenant: 't1' }) });
    const { accessToken } = await auth.signIn({ userId: 'u1', data: { role: 'editor' } });
    expect(decodeJwt(accessToken)).toMatchObject({ role: 'editor', tenant: 't1', sub: 'u1' });
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ role: 'editor' });
  });

  it.each(['sub', 'sid', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti'])('the app claims hook cannot override the reserved claim %s (sign-in fails, nothing is stored)', async (claim) => {
    const { auth } = await build({ claims: () => ({ [claim]: 'evil' }) });
    await expect(auth.signIn({ userId: 'u1' })).rejects.toThrow(new RegExp(`may not set the registered claim "${claim}"`));
    await expect(auth.sessions.list('u1')).resolves.toEqual([]);
  });
});

describe('access-token verification refuses', () => {
  it('(baseline: a token crafted with the real key and default claims is accepted, so each refusal below is about the one change)', async () => {
    const { auth, clock, key } = await build();
    await expect(auth.verifyAccessToken(await craft(key, clock, {}))).resolves.toMatchObject({ sub: 'u1' });
  });

  it('a kid that is no longer configured, with a cause that names the kid (and nothing of the token)', async () => {
    const { auth } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    const { kid } = decodeProtectedHeader(accessToken);
    await auth.setKeys([await generateKey('EdDSA', { kid: 'next-key' })]);
    let error: { code?: string; cause?: unknown } = {};
    try {
      await auth.verifyAccessToken(accessToken);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error.code).toBe('token_invalid');
    const cause = error.cause as Error;
    expect(cause.message).toBe(`no configured key has the kid "${kid}"`);
    expect(cause.message).not.toContain(accessToken.split('.')[1]!);
  });

  it('a tampered payload', async () => {
    const { auth } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    const [h, p, s] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as JWTPayload;
    const tampered = `${h}.${b64({ ...claims, sub: 'admin' })}.${s}`;
    expect(await refusedWith(auth.verifyAccessToken(tampered))).toBe('token_invalid');
    expect(await refusedWith(auth.authenticate(bearerRequest(tampered)))).toBe('token_invalid');
  });

  it('a tampered signature', async () => {
    const { auth } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    const last = accessToken.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${accessToken.slice(0, -2)}${last}${accessToken.slice(-1)}`;
    expect(await refusedWith(auth.verifyAccessToken(tampered))).toBe('token_invalid');
  });

  it('an unsigned alg:none token', async () => {
    const { auth, clock, key } = await build();
    const iat = Math.floor(clock.now() / 1000);
    const payload = { sub: 'u1', sid: 'A'.repeat(22), iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 600, jti: 'j' };
    const unsigned = `${b64({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64(payload)}.`;
    const withJunkSignature = `${b64({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64(payload)}.AAAA`;
    expect(await refusedWith(auth.verifyAccessToken(unsigned))).toBe('token_invalid');
    expect(await refusedWith(auth.verifyAccessToken(withJunkSignature))).toBe('token_invalid');
  });

  it('an HS256 token signed with the public key (algorithm confusion), even when an HS256 key is also configured', async () => {
    const clock = testClock();
    const rsa = await generateKey('RS256');
    const hs = await generateKey('HS256');
    const auth = createAuth({ keys: [rsa, hs], issuer: ISSUER, audience: AUDIENCE, now: clock.now });
    const publicJwk = (await auth.jwks()).keys[0]!;
    const { createPublicKey } = await import('node:crypto');
    const publicPem = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
    const iat = Math.floor(clock.now() / 1000);
    for (const secret of [new TextEncoder().encode(publicPem), new TextEncoder().encode(JSON.stringify(publicJwk)), Buffer.from(publicJwk.n!, 'base64url')]) {
      const forged = await new SignJWT({ sub: 'admin', sid: 'A'.repeat(22), jti: 'j' })
        .setProtectedHeader({ alg: 'HS256', kid: rsa.kid, typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 600)
        .sign(secret);
      expect(await refusedWith(auth.verifyAccessToken(forged))).toBe('token_invalid');
    }
  });

  it('a token signed by a foreign key, even one reusing our kid', async () => {
    const { auth, clock, key } = await build();
    const foreign = await generateKey('EdDSA', { kid: key.kid });
    expect(await refusedWith(auth.verifyAccessToken(await craft(foreign, clock, {})))).toBe('token_invalid');
    const stranger = await generateKey('EdDSA');
    expect(await refusedWith(auth.verifyAccessToken(await craft(stranger, clock, {})))).toBe('token_invalid');
    // a real server with a different key set
    const other = await build();
    const { accessToken } = await other.auth.signIn({ userId: 'u1' });
    expect(await refusedWith(auth.verifyAccessToken(accessToken))).toBe('token_invalid');
  });

  it('a token for another audience', async () => {
    const { auth, clock, key } = await build();
    expect(await refusedWith(auth.verifyAccessToken(await craft(key, clock, { aud: 'mobile' })))).toBe('token_invalid');
  });

  it('a token from another issuer', async () => {
    const { auth, clock, key } = await build();
    expect(await refusedWith(auth.verifyAccessToken(await craft(key, clock, { iss: 'https://evil.example.com' })))).toBe('token_invalid');
  });

  it('a token that is not typed at+jwt (e.g. an ID token, typ JWT) or has no typ', async () => {
    const { auth, clock, key } = await build();
    expect(await refusedWith(auth.verifyAccessToken(await craft(key, clock, {}, { typ: 'JWT' })))).toBe('token_invalid');
    expect(await refusedWith(auth.verifyAccessToken(await craft(key, clock, {}, { typ: undefined })))).toBe('token_invalid');
  });

  it('a token with an unknown critical header', async () => {
    const { auth, clock, key } = await build();
    const iat = Math.floor(clock.now() / 1000);
    const payload = b64({ sub: 'u1', sid: 'A'.repeat(22), iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 600, jti: 'j' });
    const signRaw = async (header: Record<string, unknown>): Promise<string> => {
      const input = `${b64(header)}.${payload}`;
      const signature = await crypto.subtle.sign('Ed25519', key.signingKey!, new TextEncoder().encode(input));
      return `${input}.${Buffer.from(signature).toString('base64url')}`;
    };
    await expect(auth.verifyAccessToken(await signRaw({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' }))).resolves.toMatchObject({ sub: 'u1' });
    const token = await signRaw({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt', crit: ['x-unknown'], 'x-unknown': true });
    expect(await refusedWith(auth.verifyAccessToken(token))).toBe('token_invalid');
  });

  it('a token missing sid, or with a non-string sid', async () => {
    const { auth, clock, key } = await build();
    expect(await refusedWith(auth.verifyAccessToken(await craft(key, clock, { sid: undefined })))).toBe('token_invalid');
    expect(await refusedWith(auth.verifyAccessToken(await craft(key, clock, { sid: 42 })))).toBe('token_invalid');
  });

  it('a token that is not valid yet (nbf beyond tolerance) but accepts one within it', async () => {
    const { auth, clock, key } = await build();
    const nowS = Math.floor(clock.now() / 1000);
    expect(await refusedWith(auth.verifyAccessToken(await craft(key, clock, { nbf: nowS + 60 })))).toBe('token_invalid');
    await expect(auth.verifyAccessToken(await craft(key, clock, { nbf: nowS + 3 }))).resolves.toMatchObject({ sub: 'u1' });
  });

  it('non-JWS input of any shape', async () => {
    const { auth } = await build();
    for (const junk of ['', 'abc', 'a.b', 'a.b.c.d.e', 'x'.repeat(9000), '..', 'Zm9v.YmFy.YmF6']) {
      expect(await refusedWith(auth.verifyAccessToken(junk))).toBe('token_invalid');
    }
  });
});

describe('expiry and clock tolerance', () => {
  it('accepts an expired token within the clock tolerance and refuses it beyond with token_expired', async () => {
    const { auth, clock } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    clock.advance(15 * MINUTE + 4 * SECOND);
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u1' });
    clock.advance(2 * SECOND);
    expect(await refusedWith(auth.verifyAccessToken(accessToken))).toBe('token_expired');
    expect(await refusedWith(auth.authenticate(bearerRequest(accessToken)))).toBe('token_expired');
  });

  it('refuses a never-verified token beyond tolerance (the jose path, not the cache)', async () => {
    const { auth, clock } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    clock.advance(20 * MINUTE);
    expect(await refusedWith(auth.verifyAccessToken(accessToken))).toBe('token_expired');
  });

  it('the verified-token cache re-checks exp on every hit', async () => {
    const { auth, clock } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    await auth.verifyAccessToken(accessToken); // cached now
    clock.advance(10 * MINUTE);
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u1' }); // cache hit, still valid
    clock.advance(6 * MINUTE);
    expect(await refusedWith(auth.verifyAccessToken(accessToken))).toBe('token_expired');
  });

  it('a token carrying a cached token\'s signature over other claims is refused, never answered from the cache', async () => {
    const { auth } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    const other = (await auth.signIn({ userId: 'u2' })).accessToken;
    await auth.verifyAccessToken(accessToken); // cached now, keyed on its signature
    const [header, , signature] = accessToken.split('.');
    const forged = `${header}.${other.split('.')[1]}.${signature}`;
    expect(await refusedWith(auth.verifyAccessToken(forged))).toBe('token_invalid');
    expect(await refusedWith(auth.authenticate(bearerRequest(forged)))).toBe('token_invalid');
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u1' });
  });

  it('thirty concurrent checks of a token not seen before check its signature once, and all thirty pass', async () => {
    const { auth } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      const copies = Array.from({ length: 30 }, () => Buffer.from(accessToken).toString());
      const results = await Promise.all(copies.map((token) => auth.verifyAccessToken(token)));
      expect(results.map((claims) => claims.sub)).toEqual(Array(30).fill('u1'));
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it('a forged token presented thirty times at once is refused thirty times, and checked afresh when presented again', async () => {
    const { auth } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    const forged = `${accessToken.slice(0, -4)}${accessToken.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      const codes = await Promise.all(Array.from({ length: 30 }, () => refusedWith(auth.verifyAccessToken(forged))));
      expect(codes).toEqual(Array(30).fill('token_invalid'));
      expect(verify).toHaveBeenCalledTimes(1);
      expect(await refusedWith(auth.verifyAccessToken(forged))).toBe('token_invalid');
      expect(verify).toHaveBeenCalledTimes(2); // a refusal is not remembered: nothing about it is cached
    } finally {
      verify.mockRestore();
    }
  });

  it('a check that joins one already running still applies its own clock: a token expired by then is refused', async () => {
    const { auth, clock } = await build();
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    const first = auth.verifyAccessToken(accessToken); // the signature check starts now, while the token is valid
    clock.advance(16 * MINUTE); // past exp (15 minutes) and the 5 s tolerance
    const joined = auth.verifyAccessToken(Buffer.from(accessToken).toString());
    await expect(first).resolves.toMatchObject({ sub: 'u1' });
    expect(await refusedWith(joined)).toBe('token_expired');
  });

  it('with the cache off, expiry is still enforced', async () => {
    const clock = testClock();
    const auth = createAuth({ keys: [await generateKey('ES256')], issuer: ISSUER, audience: AUDIENCE, now: clock.now, accessToken: { cacheSize: 0 } });
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    await auth.verifyAccessToken(accessToken);
    clock.advance(16 * MINUTE);
    expect(await refusedWith(auth.verifyAccessToken(accessToken))).toBe('token_expired');
  });

  it('never issues an access token that outlives the session absolute timeout', async () => {
    const clock = testClock();
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, now: clock.now, session: { idleTimeout: false, absoluteTimeout: '10m' }, refreshToken: { ttl: '15m' } });
    const { accessToken, expiresIn } = await auth.signIn({ userId: 'u1' });
    expect(expiresIn).toBe(600);
    expect(decodeJwt(accessToken).exp).toBe(Math.floor(clock.now() / 1000) + 600);
  });
});

describe('checkSession', () => {
  it('without checkSession an access token lives until exp after signOut', async () => {
    const { auth } = await build({ checkSession: false });
    const { accessToken, session } = await auth.signIn({ userId: 'u1' });
    await auth.signOut(session.id);
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ sid: session.id });
  });

  it('with checkSession an access token dies at signOut', async () => {
    const { auth } = await build({ checkSession: true });
    const { accessToken, session } = await auth.signIn({ userId: 'u1', data: { role: 'x' } });
    await expect(auth.authenticate(bearerRequest(accessToken))).resolves.toMatchObject({ data: { role: 'x' } });
    await auth.signOut(session.id);
    expect(await refusedWith(auth.verifyAccessToken(accessToken))).toBe('session_invalid');
    expect(await refusedWith(auth.authenticate(bearerRequest(accessToken)))).toBe('session_invalid');
  });

  it('with checkSession an access token dies when another instance sharing the store signs the session out', async () => {
    const clock = testClock();
    const key = await generateKey('EdDSA');
    const { memoryStore } = await import('../src/entries/index.js');
    const store = memoryStore({ now: clock.now });
    const options = { keys: [key], issuer: ISSUER, audience: AUDIENCE, now: clock.now, store, accessToken: { checkSession: true } } as const;
    const a = createAuth(options);
    const b = createAuth(options);
    const { accessToken, session } = await a.signIn({ userId: 'u1' });
    await expect(b.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u1' });
    await a.signOutEverywhere('u1');
    expect(await refusedWith(b.verifyAccessToken(accessToken))).toBe('session_invalid');
    expect(session.id).toBeTruthy();
  });

  it('with checkSession an access token dies at the idle timeout', async () => {
    const clock = testClock();
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, now: clock.now, accessToken: { checkSession: true, ttl: '15m' }, session: { idleTimeout: '10m' } });
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    clock.advance(11 * MINUTE);
    const code = await refusedWith(auth.verifyAccessToken(accessToken));
    expect(['session_expired', 'session_invalid']).toContain(code);
  });
});
