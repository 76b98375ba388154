import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuth, exportKey, generateKey, importKey, SIGNING_ALGORITHMS, type KeyInput } from '../src/entries/index.js';
import { AUDIENCE, authFailure, ISSUER, testClock } from './support/core.js';

function tokenAuth(keys: readonly KeyInput[], now = testClock().now) {
  return createAuth({ keys, issuer: ISSUER, audience: AUDIENCE, now });
}

describe('generateKey', () => {
  it.each(SIGNING_ALGORITHMS)('generates a %s key with a kid that signs and verifies its own tokens', async (alg) => {
    const key = await generateKey(alg);
    expect(key.alg).toBe(alg);
    expect(typeof key.kid).toBe('string');
    expect(key.kid.length).toBeGreaterThan(0);
    expect(key.signingKey).toBeDefined();
    const auth = tokenAuth([key]);
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg, kid: key.kid, typ: 'at+jwt' });
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u1' });
  });

  it('gives every generated key its own kid, or the one asked for', async () => {
    const a = await generateKey('EdDSA');
    const b = await generateKey('EdDSA');
    expect(a.kid).not.toBe(b.kid);
    expect((await generateKey('ES256', { kid: 'mine' })).kid).toBe('mine');
  });

  it('refuses an unknown algorithm', async () => {
    await expect(generateKey('none' as never)).rejects.toThrow(/unsupported algorithm "none"/);
  });

  it('does not serialise private material when the key object is stringified', async () => {
    const key = await generateKey('HS256');
    const { jwk } = await exportKey(key);
    expect(JSON.stringify(key)).not.toContain(jwk.k);
  });
});

describe('importKey', () => {
  it.each(['EdDSA', 'ES256', 'RS256'] as const)('imports a %s private key from its exported JWK and PEM with the same kid', async (alg) => {
    const original = await generateKey(alg);
    const { jwk, pem } = await exportKey(original);
    const fromJWK = await importKey(jwk);
    const fromPEM = await importKey(pem!, { kid: original.kid });
    expect(fromJWK.kid).toBe(original.kid);
    expect(fromJWK.alg).toBe(alg);
    expect(fromPEM.alg).toBe(alg);
    // tokens signed by the original verify under either import
    const { accessToken } = await tokenAuth([original]).signIn({ userId: 'u' });
    await expect(tokenAuth([fromJWK]).verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u' });
    await expect(tokenAuth([fromPEM]).verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u' });
  });

  it("imports an HS256 secret from a string with { alg: 'HS256' }, bytes or an oct JWK, all interchangeable", async () => {
    const text = 'x'.repeat(40);
    const bytes = new TextEncoder().encode(text);
    const fromString = await importKey(text, { alg: 'HS256' });
    const fromBytes = await importKey(bytes);
    const fromJWK = await importKey({ kty: 'oct', k: Buffer.from(bytes).toString('base64url') });
    expect(fromString.alg).toBe('HS256');
    expect(fromBytes.kid).toBe(fromString.kid);
    expect(fromJWK.kid).toBe(fromString.kid);
    const { accessToken } = await tokenAuth([bytes]).signIn({ userId: 'u' });
    await expect(tokenAuth([fromJWK]).verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u' });
  });

  it('imports a public key (JWK or SPKI PEM) as verify-only', async () => {
    const key = await generateKey('ES256');
    const publicJwk = (await tokenAuth([key]).jwks()).keys[0]!;
    const fromJWK = await importKey(publicJwk);
    expect(fromJWK.signingKey).toBeUndefined();
    expect(fromJWK.kid).toBe(key.kid);
    const { createPublicKey } = await import('node:crypto');
    const spki = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
    const fromPEM = await importKey(spki);
    expect(fromPEM.signingKey).toBeUndefined();
    await expect(exportKey(fromPEM)).rejects.toThrow(/public \(verify-only\) key has no private material/);
  });

  it('refuses an unparseable PEM, an unsupported curve and a short RSA key', async () => {
    await expect(importKey('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----')).rejects.toThrow(/PEM could not be parsed/);
    await expect(importKey({ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' })).rejects.toThrow(/unsupported key type EC\/P-384/);
    await expect(importKey({ kty: 'RSA', n: Buffer.alloc(128, 1).toString('base64url'), e: 'AQAB' })).rejects.toThrow(/at least 2048 bits/);
  });
});

describe('key sets', () => {
  it('publishes public keys only: no private members, no HS256 secrets', async () => {
    const keys = [await generateKey('EdDSA'), await generateKey('ES256'), await generateKey('RS256'), await generateKey('HS256')];
    const jwks = await tokenAuth(keys).jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual(keys.slice(0, 3).map((k) => k.kid));
    for (const jwk of jwks.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(jwk).not.toHaveProperty(member);
      expect(jwk.use).toBe('sig');
      expect(jwk.alg).toBeDefined();
    }
    const hsSecret = (await exportKey(keys[3]!)).jwk.k!;
    expect(JSON.stringify(jwks)).not.toContain(hsSecret);
  });

  it('a published JWK verifies the tokens with plain jose (what a resource server does)', async () => {
    const auth = tokenAuth([await generateKey('EdDSA')]);
    const { accessToken } = await auth.signIn({ userId: 'u' });
    const jwk = (await auth.jwks()).keys[0]!;
    const { payload } = await jwtVerify(accessToken, await importJWK(jwk), { issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(testClock().now()) });
    expect(payload.sub).toBe('u');
  });

  it('the first key signs and every key verifies', async () => {
    const oldKey = await generateKey('EdDSA');
    const newKey = await generateKey('ES256');
    const before = await tokenAuth([oldKey]).signIn({ userId: 'u' });
    const rotated = tokenAuth([newKey, oldKey]);
    const after = await rotated.signIn({ userId: 'u' });
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKey.kid);
    await expect(rotated.verifyAccessToken(before.accessToken)).resolves.toMatchObject({ sub: 'u' });
    await expect(rotated.verifyAccessToken(after.accessToken)).resolves.toMatchObject({ sub: 'u' });
  });

  it('setKeys rotates the signer and flushes the verified-token cache, so a removed key stops verifying at once', async () => {
    const oldKey = await generateKey('EdDSA');
    const newKey = await generateKey('EdDSA');
    const auth = tokenAuth([oldKey]);
    const { accessToken } = await auth.signIn({ userId: 'u' });
    await auth.verifyAccessToken(accessToken); // now cached
    await auth.setKeys([newKey]);
    expect((await authFailure(auth.verifyAccessToken(accessToken))).code).toBe('token_invalid');
    const fresh = await auth.signIn({ userId: 'u' });
    expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(newKey.kid);
    expect((await auth.jwks()).keys.map((k) => k.kid)).toEqual([newKey.kid]);
  });

  it('refuses setKeys with an empty list and keeps the old keys', async () => {
    const key = await generateKey('EdDSA');
    const auth = tokenAuth([key]);
    await expect(auth.setKeys([])).rejects.toThrow(/non-empty array/);
    const { accessToken } = await auth.signIn({ userId: 'u' });
    expect(decodeProtectedHeader(accessToken).kid).toBe(key.kid);
  });

  it('refuses two keys sharing a kid', async () => {
    const auth = tokenAuth([await generateKey('EdDSA', { kid: 'same' }), await generateKey('ES256', { kid: 'same' })]);
    await expect(auth.ready()).rejects.toThrow(/two keys share the kid "same"/);
  });

  it('refuses a verify-only public key as the signing key at createAuth (JWK, PEM or imported)', async () => {
    const signer = await generateKey('EdDSA');
    const publicJwk = (await tokenAuth([signer]).jwks()).keys[0]!;
    const { createPublicKey } = await import('node:crypto');
    const spki = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
    for (const verifyOnly of [publicJwk, spki, await importKey(publicJwk)]) {
      expect(() => tokenAuth([verifyOnly])).toThrow(/keys\[0\] signs tokens, so it must be a private key or a secret/);
    }
    // after a signing key, public keys are fine: they verify tokens of another issuer instance
    await expect(tokenAuth([signer, await importKey(spki, { kid: 'old' })]).ready()).resolves.toBeUndefined();
  });
});
