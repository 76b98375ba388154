// createVerifier({ jwks: URL }): the issuer's JWKS fetched over HTTP, cached, refetched for an unknown kid at most
// once per cooldown, refetched past its max age (a retired key then stops verifying), failing closed when stale.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/entries/index.js';
import { createVerifier, type Verifier } from '../../src/entries/verify.js';
import { signed } from '../security/token-attacks.js';
import { AUDIENCE, ISSUER, MINUTE, SECOND, codeOf, issuer, serveJWKS, type Issuer, type JWKSServer } from './support.js';

let iss: Issuer;
let jwks: JWKSServer;
let verifier: Verifier;

beforeEach(async () => {
  iss = await issuer();
  jwks = await serveJWKS(iss.auth);
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwks.url, jwksCooldown: '30s', jwksMaxAge: '10m', now: iss.clock.now });
});
afterEach(async () => {
  await jwks.close();
  await iss.auth.close();
});

/** `n` tokens signed by the real key under made-up kids, as a flood of forgeries looks. */
async function forgedKids(n: number, sessionId: string): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => signed({ alg: iss.key.alg, kid: `forged-${i}-${Math.random().toString(36).slice(2)}`, typ: 'at+jwt' }, iss.claims(sessionId), iss.key.signingKey!)));
}

describe('a verifier on the issuer\'s JWKS URL', () => {
  it('fetches the JWKS once for many tokens, and verifies them', async () => {
    const tokens = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await iss.auth.signIn({ userId: `u${i}` })).accessToken));
    const codes = await Promise.all(tokens.map((t) => codeOf(verifier.verifyToken(t))));
    expect(codes).toEqual(tokens.map(() => 'ok'));
    expect(jwks.fetches).toBe(1);
  });

  it('a flood of 200 tokens with random kids at once costs at most one fetch per cooldown', async () => {
    const { accessToken, session } = await iss.auth.signIn({ userId: '50' });
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('ok');
    expect(jwks.fetches).toBe(1);
    // within the cooldown of the first fetch: no fetch at all
    let codes = await Promise.all((await forgedKids(200, session.id)).map((t) => codeOf(verifier.verifyToken(t))));
    expect(new Set(codes)).toEqual(new Set(['token_invalid']));
    expect(jwks.fetches).toBe(1);
    // past the cooldown: the unknown kids start exactly one fetch, which all 200 share
    iss.clock.advance(31 * SECOND);
    codes = await Promise.all((await forgedKids(200, session.id)).map((t) => codeOf(verifier.verifyToken(t))));
    expect(new Set(codes)).toEqual(new Set(['token_invalid']));
    expect(jwks.fetches).toBe(2);
    // and the next flood, a moment later, none
    iss.clock.advance(SECOND);
    await Promise.all((await forgedKids(200, session.id)).map((t) => codeOf(verifier.verifyToken(t))));
    expect(jwks.fetches).toBe(2);
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('ok');
  });

  it('a new signing key is picked up by its unknown kid once the cooldown has passed', async () => {
    const old = await iss.auth.signIn({ userId: '50' });
    expect(await codeOf(verifier.verifyToken(old.accessToken))).toBe('ok');
    const next = await generateKey('Ed25519');
    await iss.auth.setKeys([next, iss.key]);
    const { accessToken } = await iss.auth.signIn({ userId: '50' });
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('token_invalid'); // within the cooldown
    iss.clock.advance(30 * SECOND);
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('ok');
    expect(await codeOf(verifier.verifyToken(old.accessToken))).toBe('ok');
    expect(jwks.fetches).toBe(2);
  });

  it('a retired key stops verifying once the JWKS is past its max age and refetched, cached tokens included', async () => {
    const old = await iss.auth.signIn({ userId: '50' });
    expect(await codeOf(verifier.verifyToken(old.accessToken))).toBe('ok'); // cached as valid
    const next = await generateKey('Ed25519');
    await iss.auth.setKeys([next]); // the old key is retired
    iss.clock.advance(9 * MINUTE);
    expect(await codeOf(verifier.verifyToken(old.accessToken))).toBe('ok'); // the JWKS is still within its max age
    iss.clock.advance(MINUTE);
    expect(await codeOf(verifier.verifyToken(old.accessToken))).toBe('token_invalid');
    expect(jwks.fetches).toBe(2);
    const { accessToken } = await iss.auth.signIn({ userId: '50' });
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('ok');
  });

  it('fails closed with store_unavailable (503) when the JWKS cannot be fetched and no fresh set is held, retrying once per cooldown', async () => {
    const { accessToken } = await iss.auth.signIn({ userId: '50' });
    jwks.failWith = 302; // a redirect is never followed
    const error = await verifier.verifyToken(accessToken).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'store_unavailable', status: 503 });
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('store_unavailable');
    expect(jwks.fetches).toBe(1);
    jwks.failWith = null;
    iss.clock.advance(30 * SECOND);
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('ok');
    // past the max age with the JWKS down: the stale set is not used
    iss.clock.advance(10 * MINUTE);
    jwks.failWith = 503;
    expect(await codeOf(verifier.verifyToken(accessToken))).toBe('store_unavailable');
    expect(jwks.fetches).toBe(3);
  });

  it('skips what a JWKS may hold but must not verify with: HMAC secrets, encryption keys, alg none', async () => {
    const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
    const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
    const hs = await signed({ alg: 'HS256', kid: 'shared', typ: 'at+jwt' }, iss.claims('AAAAAAAAAAAAAAAAAAAAAA'), await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));
    const published = { keys: [{ kty: 'oct', kid: 'shared', k: b64(secret) }, { ...(await iss.auth.jwks()).keys[0], kid: 'enc', use: 'enc' }, { ...(await iss.auth.jwks()).keys[0], kid: 'none', alg: 'none' }] };
    const custom = await serveJWKS({ jwks: async () => published as never });
    try {
      const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: custom.url, now: iss.clock.now });
      expect(await codeOf(v.verifyToken(hs))).toBe('token_invalid');
      for (const kid of ['enc', 'none']) {
        const t = await signed({ alg: iss.key.alg, kid, typ: 'at+jwt' }, iss.claims('AAAAAAAAAAAAAAAAAAAAAA'), iss.key.signingKey!);
        expect(await codeOf(v.verifyToken(t)), kid).toBe('token_invalid');
      }
    } finally {
      await custom.close();
    }
  });
});
