// Access-token attacks, each sent as `Authorization: Bearer` to a requireAuth route on every adapter.
// Every forged token carries otherwise perfect claims for a live session, so only the defence under
// test can refuse it; a control test proves the same route accepts the genuine token.
import { createPublicKey } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuth, generateKey, importKey, memoryStore, type Auth, type SigningKey } from '../../src/entries/index.js';
import { AUDIENCE, FRAMEWORKS, ISSUER, MINUTE, SECOND, clock, login, send, setup, startApp, type App, type Clock, type Login } from './support.js';
import { hs256, signed, tokenAttacks, type Attack, type AttackGroup } from './token-attacks.js';

describe.each(FRAMEWORKS)('access-token attacks through %s', (framework) => {
  let auth: Auth<true>;
  let time: Clock;
  let key: SigningKey;
  let app: App;
  let user: Login;
  let attacks: Attack[];

  const claims = (over: JWTPayload = {}): JWTPayload => {
    const iat = Math.floor(time.now() / 1000);
    return { sub: '50', sid: user.sessionId, iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 900, jti: 'forged-jti-0001', ...over };
  };
  const header = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...over });
  const bearer = (token: string) => send(app, 'GET', '/me', { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    ({ auth, clock: time, key } = await setup());
    app = await startApp(framework, auth);
    user = await login(app, auth);
    attacks = await tokenAttacks({ key, claims, genuine: user.accessToken });
  });
  afterAll(() => app.close());

  /** Sends every forgery of `group` (test/security/token-attacks.ts): each is refused with 401 (and its code where pinned). */
  const refusesAll = async (group: AttackGroup): Promise<void> => {
    const list = attacks.filter((attack) => attack.group === group);
    expect(list.length).toBeGreaterThan(0);
    for (const attack of list) {
      const res = await bearer(attack.token);
      expect(res.status, attack.label).toBe(401);
      if (attack.code) expect(res.json, attack.label).toEqual({ error: attack.code });
    }
  };

  test('control: a genuine access token and a token re-signed with the real key and same claims are accepted', async () => {
    expect((await bearer(user.accessToken)).status).toBe(200);
    const resigned = await signed(header(), claims(), key.signingKey!);
    const res = await bearer(resigned);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ userId: '50', via: 'bearer' });
  });

  test('alg "none" (unsigned token with a valid kid and claims) is refused', async () => {
    await refusesAll('alg-none');
  });

  test('HS256 signed with the EdDSA public key (PEM, JWK JSON or raw bytes) as HMAC secret is refused', async () => {
    await refusesAll('hs256-with-public-key');
  });

  test('a token signed by another key that claims this key\'s kid is refused', async () => {
    await refusesAll('other-key-same-kid');
  });

  test('kid injection (path traversal, SQL-ish, prototype names, empty, non-string, unknown) is refused without a 5xx', async () => {
    await refusesAll('kid-injection');
  });

  test('an unknown critical header ("crit") is refused even when the signature is genuine', async () => {
    await refusesAll('crit');
  });

  test('typ substitution: a JWT with typ "JWT", no typ, or another token type signed by the same key is refused', async () => {
    await refusesAll('typ-substitution');
  });

  test('an id-token-like JWT (typ JWT, nonce, same iss/aud, same key) cannot be used as an access token', async () => {
    await refusesAll('id-token');
  });

  test('the refresh token or the session cookie value sent as a bearer token is refused', async () => {
    const refreshToken = user.refreshCookie.split('=')[1]!;
    const sessionToken = user.sessionCookie.split('=')[1]!;
    for (const token of [refreshToken, sessionToken]) {
      const res = await bearer(token);
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: 'token_invalid' });
    }
  });

  test('a genuine token with its payload tampered (sub changed to another user) is refused', async () => {
    await refusesAll('tampered-payload');
  });

  test('a genuine token with a tampered header (alg or kid swapped) is refused', async () => {
    await refusesAll('tampered-header');
  });

  test('a token with the wrong issuer or audience, signed by the real key, is refused', async () => {
    await refusesAll('wrong-issuer-or-audience');
  });

  test('a token missing sid, sub, exp or jti is refused', async () => {
    await refusesAll('missing-claim');
  });

  test('a not-yet-valid token (nbf in the future) is refused until its nbf', async () => {
    const nbf = Math.floor(time.now() / 1000) + 120;
    const token = await signed(header(), claims({ nbf }), key.signingKey!);
    const early = await bearer(token);
    expect(early.status).toBe(401);
    expect(early.json).toEqual({ error: 'token_invalid' });
    time.advance(125 * SECOND);
    try {
      expect((await bearer(token)).status).toBe(200);
    } finally {
      time.advance(-125 * SECOND);
    }
  });
});

describe.each(FRAMEWORKS)('token expiry through %s', (framework) => {
  test('an expired access token is refused with token_expired, also after it was cached as valid', async () => {
    const { auth, clock: time } = await setup({ accessToken: { ttl: '5m', clockTolerance: '5s' } });
    const app = await startApp(framework, auth);
    try {
      const user = await login(app, auth);
      const bearer = () => send(app, 'GET', '/me', { authorization: `Bearer ${user.accessToken}` });
      expect((await bearer()).status).toBe(200); // now in the verified-token cache
      time.advance(5 * MINUTE + 4 * SECOND); // inside the clock tolerance
      expect((await bearer()).status).toBe(200);
      time.advance(2 * SECOND);
      const res = await bearer();
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: 'token_expired' });
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    } finally {
      await app.close();
    }
  });
});

describe.each([
  ['RS256', () => generateKeyPair('RS256', { modulusLength: 2048, extractable: true })],
  ['ES256', () => generateKeyPair('ES256', { extractable: true })],
] as const)('algorithm confusion with an %s key', (alg, pair) => {
  test(`HS256 signed with the ${alg} public key (PEM or JWK) is refused`, async () => {
    const { privateKey, publicKey } = await pair();
    const time = clock();
    const auth = createAuth({ keys: [await exportJWK(privateKey)], issuer: ISSUER, audience: AUDIENCE, store: memoryStore({ now: time.now }), now: time.now });
    const { accessToken, session } = await auth.signIn({ userId: '50' });
    const kid = JSON.parse(Buffer.from(accessToken.split('.')[0]!, 'base64url').toString()).kid as string;
    const iat = Math.floor(time.now() / 1000);
    const payload = { sub: '1', sid: session.id, iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 600, jti: 'forged' };
    const pem = await exportSPKI(publicKey);
    const jwk = JSON.stringify(await exportJWK(publicKey));
    for (const secret of [pem, `${pem}\n`, jwk]) {
      const forged = hs256({ kid, typ: 'at+jwt' }, payload, secret);
      await expect(auth.verifyAccessToken(forged)).rejects.toMatchObject({ code: 'token_invalid' });
      await expect(auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${forged}` } })).rejects.toMatchObject({ code: 'token_invalid' });
    }
    expect((await auth.verifyAccessToken(accessToken)).sub).toBe('50');
  });
});

test('in a mixed key set, a token naming one key\'s kid but signed with another key\'s algorithm is refused', async () => {
  const ed = await generateKey('EdDSA');
  const es = await generateKey('ES256');
  const hs = await generateKey('HS256');
  const time = clock();
  const auth = createAuth({ keys: [ed, es, hs], issuer: ISSUER, audience: AUDIENCE, store: memoryStore({ now: time.now }), now: time.now });
  const { session } = await auth.signIn({ userId: '50' });
  const iat = Math.floor(time.now() / 1000);
  const payload = { sub: '50', sid: session.id, iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 600, jti: 'mixed' };
  const attempts = [
    await signed({ alg: 'ES256', kid: ed.kid, typ: 'at+jwt' }, payload, es.signingKey!), // ES256 token under the EdDSA kid
    await signed({ alg: 'EdDSA', kid: es.kid, typ: 'at+jwt' }, payload, ed.signingKey!), // EdDSA token under the ES256 kid
    await signed({ alg: 'HS256', kid: ed.kid, typ: 'at+jwt' }, payload, hs.signingKey!), // HS256 token under the EdDSA kid
    await signed({ alg: 'EdDSA', kid: hs.kid, typ: 'at+jwt' }, payload, ed.signingKey!), // EdDSA token under the HS256 kid
  ];
  for (const token of attempts) await expect(auth.verifyAccessToken(token)).rejects.toMatchObject({ code: 'token_invalid' });
  // each key, under its own kid and alg, still verifies: the refusals above are about the mismatch only
  for (const k of [ed, es, hs]) {
    expect((await auth.verifyAccessToken(await signed({ alg: k.alg, kid: k.kid, typ: 'at+jwt' }, payload, k.signingKey!))).sub).toBe('50');
  }
});

test('weak keys are refused at createAuth: RSA under 2048 bits (PEM, public PEM or JWK), short HS256 secrets, alg none', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const inputs = [
    privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privateKey.export({ format: 'jwk' }),
    'x'.repeat(31),
    new Uint8Array(16),
    { kty: 'oct', k: Buffer.from('short').toString('base64url') },
    { kty: 'oct', k: Buffer.alloc(32).toString('base64url'), alg: 'none' },
  ];
  for (const input of inputs) {
    expect(() => createAuth({ keys: [input as never], issuer: ISSUER, audience: AUDIENCE }), String(input).slice(0, 40)).toThrow(TypeError);
  }
});

test('a public key given as a string (JWK JSON, SPKI base64, a raw EC point) is never taken as an HS256 secret', async () => {
  const victim = await generateKey('EdDSA');
  const ec = await generateKey('ES256');
  const published = JSON.stringify(victim.publicJwk);
  const spki = createPublicKey({ key: victim.publicJwk as never, format: 'jwk' }).export({ format: 'der', type: 'spki' });
  const strings = [
    published,
    ` ${JSON.stringify(ec.publicJwk)}\n`,
    // an uncompressed P-256 point (0x04 ‖ x ‖ y), base64 and base64url; a lone x (32 bytes) is indistinguishable from a
    // random secret and accepted (SECURITY.md, limits; every text encoding of a key: test/security/key-confusion.test.ts)
    Buffer.concat([Buffer.from([4]), Buffer.from(String(ec.publicJwk!.x), 'base64url'), Buffer.from(String(ec.publicJwk!.y), 'base64url')]).toString('base64'),
    Buffer.concat([Buffer.from([4]), Buffer.from(String(ec.publicJwk!.x), 'base64url'), Buffer.from(String(ec.publicJwk!.y), 'base64url')]).toString('base64url'),
    spki.toString('base64'),
    spki.toString('base64url'),
  ];
  for (const value of strings) {
    let message = '';
    try {
      createAuth({ keys: [await generateKey('EdDSA'), value], issuer: ISSUER, audience: AUDIENCE });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message, value.slice(0, 30)).toMatch(/keys\[1\]: a string key is read only as a PEM, never silently as an HS256 secret/);
    expect(message).toMatch(/importKey\(secret, \{ alg: 'HS256' \}\)/);
    expect(message).not.toContain(value.trim());
    // and the explicit HS256 form refuses them too, saying what to pass instead
    await expect(importKey(value, { alg: 'HS256' })).rejects.toThrow(/refused as an HS256 secret: the string (is JSON .*JSON\.parse|is .*public key.*, and a public key only verifies)/);
  }
  // a forgotten JSON.parse names the fix
  expect(() => createAuth({ keys: [published], issuer: ISSUER, audience: AUDIENCE })).toThrow(/JSON\.parse\(value\)/);
  // no string at all becomes an HS256 key silently, however long and random
  expect(() => createAuth({ keys: ['correct horse battery staple, a long passphrase'], issuer: ISSUER, audience: AUDIENCE })).toThrow(/never silently as an HS256 secret/);
  // the explicit forms still work: bytes, an oct JWK object, or a string with { alg: 'HS256' }
  const explicit = await importKey('correct horse battery staple, a long passphrase', { alg: 'HS256' });
  const bytes = new TextEncoder().encode('correct horse battery staple, a long passphrase');
  const auth = createAuth({ keys: [bytes], issuer: ISSUER, audience: AUDIENCE });
  const { accessToken } = await auth.signIn({ userId: '50' });
  await expect(createAuth({ keys: [explicit], issuer: ISSUER, audience: AUDIENCE }).verifyAccessToken(accessToken)).resolves.toMatchObject({ sub: '50' });
});
