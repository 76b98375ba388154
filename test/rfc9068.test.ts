import { createPrivateKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuth, exportKey, generateKey, importKey, type AuthOptions, type KeyInput } from '../src/entries/index.js';
import { AUDIENCE, authFailure, ISSUER, testClock } from './support/core.js';

function tokenAuth(keys: readonly KeyInput[], accessToken: AuthOptions['accessToken'] = {}, audience: string | string[] = AUDIENCE) {
  return createAuth({ keys, issuer: ISSUER, audience, now: testClock().now, ...(accessToken ? { accessToken } : {}) });
}

describe('RFC 9068 claims', () => {
  it('every access token carries client_id: by default the audience, or accessToken.clientId', async () => {
    const key = await generateKey();
    const byDefault = await tokenAuth([key]).signIn({ userId: 'u1' });
    expect(decodeJwt(byDefault.accessToken)).toMatchObject({ client_id: AUDIENCE, aud: AUDIENCE, iss: ISSUER, sub: 'u1' });
    const firstAudience = await tokenAuth([key], {}, ['web', 'mobile']).signIn({ userId: 'u1' });
    expect(decodeJwt(firstAudience.accessToken).client_id).toBe('web');
    const named = tokenAuth([key], { clientId: 'web-app' });
    const { accessToken } = await named.signIn({ userId: 'u1' });
    expect(decodeJwt(accessToken).client_id).toBe('web-app');
    await expect(named.verifyAccessToken(accessToken)).resolves.toMatchObject({ client_id: 'web-app' });
  });

  it('carries scope when the claims hook returns one, and refuses a scope that is not space-separated scope tokens', async () => {
    const key = await generateKey();
    const scoped = tokenAuth([key], { claims: () => ({ scope: 'profile orders:read' }) });
    expect(decodeJwt((await scoped.signIn({ userId: 'u1' })).accessToken).scope).toBe('profile orders:read');
    for (const scope of [['profile'], 'a  b', ' a', 'quote"d', '']) {
      const bad = tokenAuth([key], { claims: () => ({ scope }) });
      await expect(bad.signIn({ userId: 'u1' }), JSON.stringify(scope)).rejects.toThrow(/scope only as space-separated scope tokens/);
    }
  });

  it('client_id, auth_time and amr are latchkey\'s: the claims hook may not set them, and clientId must be a non-empty string', async () => {
    const key = await generateKey();
    for (const name of ['client_id', 'auth_time', 'amr']) {
      await expect(tokenAuth([key], { claims: () => ({ [name]: 'x' }) }).signIn({ userId: 'u1' })).rejects.toThrow(`registered claim "${name}"`);
    }
    expect(() => tokenAuth([key], { clientId: '' })).toThrow(/accessToken\.clientId must be a non-empty string/);
    expect(() => tokenAuth([key], { clientId: 42 as never })).toThrow(/accessToken\.clientId/);
  });
});

describe('RFC 9864 Ed25519', () => {
  it('generateKey() makes an Ed25519 key that signs with the fully-specified name and publishes it in the JWKS', async () => {
    const key = await generateKey();
    expect(key.alg).toBe('Ed25519');
    const auth = tokenAuth([key]);
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    expect(decodeProtectedHeader(accessToken)).toEqual({ alg: 'Ed25519', kid: key.kid, typ: 'at+jwt' });
    expect((await auth.jwks()).keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'Ed25519', kid: key.kid, use: 'sig' })]);
    await expect(auth.verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: 'u1' });
  });

  it('EdDSA keys keep signing as EdDSA, and one key set verifies both', async () => {
    const [modern, legacy] = [await generateKey('Ed25519'), await generateKey('EdDSA')];
    const legacyToken = (await tokenAuth([legacy]).signIn({ userId: 'u1' })).accessToken;
    expect(decodeProtectedHeader(legacyToken).alg).toBe('EdDSA');
    const both = tokenAuth([modern, legacy]);
    await expect(both.verifyAccessToken(legacyToken)).resolves.toMatchObject({ sub: 'u1' });
    await expect(both.verifyAccessToken((await both.signIn({ userId: 'u2' })).accessToken)).resolves.toMatchObject({ sub: 'u2' });
  });

  it('the algorithm stays pinned to the key: the same Ed25519 key material under the other name is refused', async () => {
    const key = await generateKey('Ed25519');
    const auth = tokenAuth([key]);
    const { jwk } = await exportKey(key);
    const now = Math.floor(testClock().now() / 1000);
    const relabelled = await new SignJWT({ sid: 'A'.repeat(22), client_id: AUDIENCE })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('u1').setIssuedAt(now).setExpirationTime(now + 600).setJti('j1')
      .sign(await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA'));
    expect((await authFailure(auth.verifyAccessToken(relabelled))).code).toBe('token_invalid');
  });

  it('imports Ed25519 material under the name it declares; a bare PEM keeps EdDSA unless told', async () => {
    const key = await generateKey('Ed25519');
    const { jwk, pem } = await exportKey(key);
    expect(jwk.alg).toBe('Ed25519');
    expect((await importKey(jwk)).alg).toBe('Ed25519');
    expect((await importKey({ ...jwk, alg: 'EdDSA' })).alg).toBe('EdDSA');
    expect((await importKey(pem!)).alg).toBe('EdDSA');
    expect((await importKey(pem!, { alg: 'Ed25519' })).alg).toBe('Ed25519');
    expect((await importKey(createPrivateKey(pem!).export({ format: 'pem', type: 'pkcs8' }).toString(), { alg: 'Ed25519' })).kid).toBe(key.kid);
    await expect(importKey({ ...jwk, alg: 'ES256' })).rejects.toThrow(/the key is EdDSA material but declares alg "ES256"/);
  });
});
