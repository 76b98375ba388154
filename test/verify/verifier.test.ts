// createVerifier with a fixed key set: the Bearer rules of the core, the error codes, step-up, options.
import fc from 'fast-check';
import { CompactSign } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError as CoreAuthError, createAuth, generateKey, isAuthError as coreIsAuthError } from '../../src/entries/index.js';
import { AuthError, createVerifier, isAuthError, type Verifier } from '../../src/entries/verify.js';
import { AUDIENCE, ISSUER, MINUTE, SECOND, bearer, codeOf, issuer, type Issuer } from './support.js';

let iss: Issuer;
let verifier: Verifier;
let token: string;
let sessionId: string;

beforeAll(async () => {
  iss = await issuer({ accessToken: { ttl: '5m', clockTolerance: '5s' } });
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: await iss.auth.jwks(), now: iss.clock.now });
  const signedIn = await iss.auth.signIn({ userId: '50' });
  token = signedIn.accessToken;
  sessionId = signedIn.session.id;
});

describe('verify(request)', () => {
  it('accepts a token the issuer signed, from a Request, a Headers object or a Node header record', async () => {
    for (const request of [new Request('https://rs.example/x', { headers: { authorization: `Bearer ${token}` } }), { headers: new Headers({ Authorization: `bearer\t${token}` }) }, bearer(token)]) {
      const claims = await verifier.verify(request);
      expect(claims).toMatchObject({ sub: '50', sid: sessionId, iss: ISSUER, aud: AUDIENCE, client_id: AUDIENCE });
    }
    expect((await verifier.verifyToken(token)).sub).toBe('50');
  });

  it('answers credentials_missing when no Bearer token is presented, whatever the headers hold', async () => {
    const requests: unknown[] = [{ headers: {} }, { headers: { authorization: 'Basic dXNlcjpwdw==' } }, { headers: { authorization: 'Bearerx abc' } }, { headers: { authorization: 42 } }, { headers: 'authorization: Bearer x' }, { headers: null }, {}, null, undefined, 'Bearer x', { headers: { get: () => { throw new Error('boom'); } } }];
    for (const request of requests) {
      const error = await verifier.verify(request as never).catch((e: unknown) => e);
      expect(isAuthError(error), String(request)).toBe(true);
      expect(error).toMatchObject({ code: 'credentials_missing', status: 401 });
    }
  });

  it('answers token_invalid (401, never a crash) for a bare scheme, garbage, a huge token or repeated headers', async () => {
    const values = ['Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer not a token', `Bearer ${'A'.repeat(8193)}`, `Bearer ${'eyJ'.repeat(400_000)}`, `Bearer ${token}.x`, `Bearer ${token.replace(/\./g, '..')}`, 'Bearer \u0000\u0001', `Bearer ${'.'.repeat(100)}`];
    for (const authorization of values) expect(await codeOf(verifier.verify({ headers: { authorization } })), authorization.slice(0, 30)).toBe('token_invalid');
    expect(await codeOf(verifier.verify({ headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } }))).toBe('token_invalid');
    for (const raw of [undefined, null, 42, {}, ['a'], '']) expect(await codeOf(verifier.verifyToken(raw as never))).toBe('token_invalid');
  });

  it('fuzz: any Authorization value or header shape ends in a 401 AuthError, never another error', async () => {
    const b64 = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);
    const value = fc.oneof(fc.string({ maxLength: 300 }), fc.tuple(b64, b64, b64).map((parts) => `Bearer ${parts.join('.')}`), fc.string().map((s) => `Bearer ${s}`), fc.constant(`Bearer ${token.slice(0, -1)}`));
    await fc.assert(
      fc.asyncProperty(value, fc.boolean(), async (authorization, asHeaders) => {
        const headers = asHeaders ? (() => { try { return new Headers({ authorization }); } catch { return { authorization }; } })() : { authorization };
        const error = await verifier.verify({ headers }).then(() => null, (e: unknown) => e);
        if (error === null) return; // only the genuine token could pass
        expect(isAuthError(error) && (error as AuthError).status === 401).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an expired token with token_expired, also once cached as valid, after the clock tolerance', async () => {
    const { accessToken } = await iss.auth.signIn({ userId: '51' });
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('ok'); // now cached
    iss.clock.advance(5 * MINUTE + 4 * SECOND);
    try {
      expect(await codeOf(verifier.verifyToken(accessToken))).toBe('ok');
      iss.clock.advance(2 * SECOND);
      const error = await verifier.verifyToken(accessToken).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'token_expired', status: 401 });
    } finally {
      iss.clock.advance(-(5 * MINUTE + 6 * SECOND));
    }
  });

  it('refuses a token whose nbf is still ahead, until it is reached', async () => {
    const nbf = Math.floor(iss.clock.now() / 1000) + 120;
    const early = await new CompactSign(new TextEncoder().encode(JSON.stringify(iss.claims(sessionId, { nbf }))))
      .setProtectedHeader({ alg: iss.key.alg, kid: iss.key.kid, typ: 'at+jwt' })
      .sign(iss.key.signingKey!);
    expect(await codeOf(verifier.verifyToken(early))).toBe('token_invalid');
    iss.clock.advance(125 * SECOND);
    try {
      expect(await codeOf(verifier.verifyToken(early))).toBe('ok');
    } finally {
      iss.clock.advance(-125 * SECOND);
    }
  });

  it('refuses tokens of another issuer or for another audience, signed by the same key', async () => {
    const other = createAuth({ keys: [iss.key], issuer: 'https://other.example.com', audience: AUDIENCE, now: iss.clock.now });
    const mobile = createAuth({ keys: [iss.key], issuer: ISSUER, audience: 'mobile', now: iss.clock.now });
    for (const auth of [other, mobile]) {
      const { accessToken } = await auth.signIn({ userId: '50' });
      expect(await codeOf(verifier.verifyToken(accessToken))).toBe('token_invalid');
      await auth.close();
    }
  });

  it('with clientId, refuses a token issued to another client', async () => {
    const forWeb = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: [iss.key], clientId: 'web', now: iss.clock.now });
    const forApp = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: [iss.key], clientId: 'web-app', now: iss.clock.now });
    expect(await codeOf(forWeb.verifyToken(token))).toBe('ok');
    expect(await codeOf(forApp.verifyToken(token))).toBe('token_invalid');
  });

  it('step-up: maxAge refuses a sign-in older than it with reauthentication_required carrying max_age, as requireAuth({ maxAge }) does', async () => {
    const strict = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: [iss.key], maxAge: '10m', now: iss.clock.now });
    const { accessToken, session } = await iss.auth.signIn({ userId: '52' });
    expect(await codeOf(strict.verifyToken(accessToken))).toBe('ok');
    iss.clock.advance(4 * MINUTE);
    try {
      const error = await verifier.verifyToken(accessToken, { maxAge: '3m' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'reauthentication_required', status: 401, maxAge: 180 });
      expect(await codeOf(verifier.verifyToken(accessToken, { maxAge: '5m' }))).toBe('ok');
      const { accessToken: fresh } = await iss.auth.reauthenticate(session.id);
      expect(await codeOf(verifier.verify(bearer(fresh), { maxAge: '3m' }))).toBe('ok');
    } finally {
      iss.clock.advance(-4 * MINUTE);
    }
    await expect(verifier.verifyToken(accessToken, { maxAge: '500ms' })).rejects.toThrow(/at least '1s'/);
  });

  it('throws the core AuthError: one class and one brand across latchkey and latchkey/verify', async () => {
    const error = await verifier.verifyToken('x').catch((e: unknown) => e);
    expect(AuthError).toBe(CoreAuthError);
    expect(error).toBeInstanceOf(CoreAuthError);
    expect(coreIsAuthError(error)).toBe(true);
  });

  it('accepts HS256 with the shared secret given as an oct JWK under the core\'s kid, or as the core\'s key', async () => {
    const secret = await generateKey('HS256');
    const auth = createAuth({ keys: [secret], issuer: ISSUER, audience: AUDIENCE });
    const { accessToken } = await auth.signIn({ userId: '50' });
    const { exportKey } = await import('../../src/entries/index.js');
    const { jwk } = await exportKey(secret);
    const { kid: _kid, ...withoutKid } = jwk;
    for (const jwks of [[secret], [jwk], [withoutKid]]) {
      expect(await codeOf(createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks }).verifyToken(accessToken))).toBe('ok');
    }
    await auth.close();
  });
});

describe('createVerifier options', () => {
  it('refuses bad options with a message that says what to change', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: [iss.key] };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, issuer: '' }, /issuer/],
      [{ ...base, audience: [] }, /audience/],
      [{ ...base, jwks: 'not a url' }, /absolute URL/],
      [{ ...base, jwks: 'file:///etc/jwks.json' }, /https:/],
      [{ ...base, jwks: 42 }, /JWKS URL, a JWKS object/],
      [{ ...base, jwks: [] }, /non-empty array/],
      [{ ...base, jwks: [{ kty: 'oct', k: 'c2hvcnQ' }] }, /at least 32 bytes/],
      [{ ...base, jwks: [{ ...iss.key.publicJwk, alg: 'none' }] }, /alg "none"/],
      [{ ...base, jwks: [{ ...iss.key.publicJwk, alg: 'ES256' }] }, /declares alg "ES256"/],
      [{ ...base, clockTolerance: 'soon' }, /clockTolerance/],
      [{ ...base, maxAge: '10ms' }, /at least '1s'/],
      [{ ...base, cacheSize: -1 }, /cacheSize/],
      [{ ...base, jwksCooldown: '1m', jwksMaxAge: '30s' }, /jwksMaxAge/],
      [{ ...base, maxRevocationDelay: '1s' }, /with createVerifier\(\{ store \}\)/],
      [{ ...base, store: {} }, /SessionStore/],
      [{ ...base, checkSession: true }, /unknown createVerifier option checkSession/],
    ];
    for (const [options, message] of cases) expect(() => createVerifier(options as never), JSON.stringify(options).slice(0, 80)).toThrow(message);
  });

  it('refuses two keys under one kid at the first verification', async () => {
    const twin = await generateKey('Ed25519', { kid: iss.key.kid });
    const verifierWithTwins = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: [iss.key, twin] });
    await expect(verifierWithTwins.verifyToken(token)).rejects.toThrow(/two keys share the kid/);
  });
});
