// Property-based: whatever a client puts in any credential slot, latchkey answers null, a context,
// or an AuthError with a 4xx status. Never a 500-class error, never a TypeError, never a crash.
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAuth, generateKey, isAuthError, type Auth, type SigningKey } from '../src/entries/index.js';
import { AUDIENCE, ISSUER, testClock } from './support/core.js';

const SESSION = '__Host-latchkey.session';
const REFRESH = '__Secure-latchkey.refresh';

let auth: Auth<true>;
let checked: Auth<true>;
let key: SigningKey;
let genuine: { accessToken: string; refreshToken: string; sessionToken: string };

beforeAll(async () => {
  const clock = testClock();
  key = await generateKey('EdDSA');
  const options = { keys: [key], issuer: ISSUER, audience: AUDIENCE, now: clock.now, csrf: { trustedOrigins: ['https://app.example.com'] } };
  auth = createAuth(options);
  checked = createAuth({ ...options, accessToken: { checkSession: true } });
  const signedIn = await auth.signIn({ userId: 'u1' });
  genuine = { accessToken: signedIn.accessToken, refreshToken: signedIn.refreshToken, sessionToken: signedIn.sessionToken };
  await checked.signIn({ userId: 'u1' });
});

/** Fails the property unless the call gave a value or a 4xx AuthError. */
async function only4xx(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isAuthError(error)) throw new Error(`non-AuthError escaped: ${String(error)}`);
    if (error.status < 400 || error.status >= 500) throw new Error(`AuthError with status ${error.status} (${error.code})`);
  }
}

/** Like only4xx, for calls that must never succeed on random input either. */
async function nullOr4xx(call: () => Promise<unknown>): Promise<void> {
  let result: unknown;
  try {
    result = await call();
  } catch (error) {
    if (!isAuthError(error)) throw new Error(`non-AuthError escaped: ${String(error)}`);
    if (error.status < 400 || error.status >= 500) throw new Error(`AuthError with status ${error.status} (${error.code})`);
    return;
  }
  if (result !== null) throw new Error(`random input authenticated: ${JSON.stringify(result)}`);
}

const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'));
const b64url = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},${max}}$`));
/** Random strings of every kind, plus strings shaped like each credential so parsing reaches the deep paths. */
const junk = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  bytes,
  fc.constantFrom('', ' ', '.', '..', '...', 'null', 'undefined', 'Bearer', '%', '%00', '\u0000', 'x'.repeat(10_000)),
  fc.tuple(b64url(22, 22), b64url(43, 43)).map(([id, secret]) => `${id}.${secret}`),
  fc.tuple(b64url(22, 22), fc.nat(), b64url(43, 43)).map(([id, g, secret]) => `${id}.${g}.${secret}`),
  fc.tuple(b64url(2, 60), b64url(2, 200), b64url(2, 100)).map(([h, p, s]) => `${h}.${p}.${s}`),
);
/** A genuine credential with one character replaced, inserted or removed. */
function mutated(of: () => string) {
  return fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })).map(([at, how, ch]) => {
    const value = of();
    const i = at % value.length;
    if (how === 'replace') return value.slice(0, i) + ch + value.slice(i + 1);
    if (how === 'insert') return value.slice(0, i) + ch + value.slice(i);
    return value.slice(0, i) + value.slice(i + 1);
  });
}
const method = fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE', 'put', 'OPTIONS', undefined), fc.string({ maxLength: 10 }));
const oddValue = fc.oneof(junk, fc.array(junk, { maxLength: 4 }), fc.anything({ maxDepth: 2 }));

const RUNS = 700;

describe('random input in every credential slot ends in null or a 4xx AuthError', () => {
  it('Authorization header (Node header record)', async () => {
    await fc.assert(
      fc.asyncProperty(junk, fc.constantFrom('Bearer ', 'bearer ', 'Bearer\t', '', 'Basic ', 'Bearer  '), method, async (value, scheme, m) => {
        await nullOr4xx(() => auth.authenticate({ method: m, headers: { authorization: scheme + value } }));
        await nullOr4xx(() => checked.authenticate({ method: m, headers: { authorization: scheme + value } }));
      }),
      { numRuns: RUNS },
    );
  });

  it('Authorization header (web Headers object)', async () => {
    await fc.assert(
      fc.asyncProperty(junk, async (value) => {
        let headers: Headers;
        try {
          headers = new Headers({ authorization: `Bearer ${value}` });
        } catch {
          return; // not a legal header value: a Headers object can never carry it
        }
        await nullOr4xx(() => auth.authenticate({ method: 'GET', headers }));
      }),
      { numRuns: RUNS },
    );
  });

  it('session cookie value and whole Cookie header', async () => {
    await fc.assert(
      fc.asyncProperty(junk, junk, method, async (value, raw, m) => {
        await nullOr4xx(() => auth.authenticate({ method: m, headers: { cookie: `${SESSION}=${value}` } }));
        await nullOr4xx(() => auth.authenticate({ method: m, headers: { cookie: raw } }));
        await only4xx(() => auth.signOutRequest({ method: m, headers: { cookie: `${SESSION}=${value}; ${REFRESH}=${raw}` } }));
      }),
      { numRuns: RUNS },
    );
  });

  it('refresh cookie and refreshToken input', async () => {
    await fc.assert(
      fc.asyncProperty(junk, method, async (value, m) => {
        await nullOr4xx(() => auth.refresh({ method: m, headers: { cookie: `${REFRESH}=${value}` } }));
        await nullOr4xx(() => auth.refresh({ refreshToken: value }));
      }),
      { numRuns: RUNS },
    );
  });

  it('verifyAccessToken input of any type', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(junk, fc.anything({ maxDepth: 2 })), async (value) => {
        await nullOr4xx(() => auth.verifyAccessToken(value as string));
        await nullOr4xx(() => checked.verifyAccessToken(value as string));
      }),
      { numRuns: RUNS },
    );
  });

  it('header records with arrays and values of odd types in every header latchkey reads', async () => {
    await fc.assert(
      fc.asyncProperty(oddValue, oddValue, oddValue, oddValue, oddValue, method, async (authorization, cookie, origin, site, host, m) => {
        const headers = { authorization, cookie, origin, 'sec-fetch-site': site, host } as unknown as Record<string, string>;
        await only4xx(() => auth.authenticate({ method: m, headers }));
        await only4xx(() => auth.resolve({ method: m, headers }));
        await only4xx(() => auth.refresh({ method: m, headers }));
        await only4xx(() => auth.signOutRequest({ method: m, headers }));
      }),
      { numRuns: RUNS },
    );
  });

  it('a headers value that is not a header collection at all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 2 }), method, async (headers, m) => {
        const request = { method: m, headers } as unknown as { method: string; headers: Record<string, string> };
        await nullOr4xx(() => auth.authenticate(request));
        await only4xx(() => auth.refresh(request));
        await only4xx(() => auth.signOutRequest(request));
      }),
      { numRuns: RUNS },
    );
  });

  it('genuine credentials with one character changed', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(() => genuine.accessToken), mutated(() => genuine.sessionToken), mutated(() => genuine.refreshToken), async (access, session, refresh) => {
        await only4xx(() => auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${access}` } }));
        await only4xx(() => auth.authenticate({ method: 'GET', headers: { cookie: `${SESSION}=${session}` } }));
        // refresh with a mutated token must never rotate the genuine session's token away or revoke it
        await only4xx(() => auth.verifyAccessToken(access));
        if (refresh !== genuine.refreshToken) await nullOr4xx(() => auth.refresh({ refreshToken: refresh }));
      }),
      { numRuns: RUNS },
    );
    // after all that, the genuine session is still alive
    await expect(auth.authenticate({ method: 'GET', headers: { cookie: `${SESSION}=${genuine.sessionToken}` } })).resolves.toMatchObject({ userId: 'u1' });
    await expect(auth.refresh({ refreshToken: genuine.refreshToken })).resolves.toMatchObject({ session: { userId: 'u1' } });
  });

  it('correctly signed tokens with random headers and claims (typ, alg, kid, exp, aud of odd types)', async () => {
    const claim = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(ISSUER, AUDIENCE, 'u1', 0, -1, 1e308, Number.MAX_SAFE_INTEGER, 2_000_000_000));
    await fc.assert(
      fc.asyncProperty(
        fc.record({ sub: claim, sid: claim, iss: claim, aud: claim, exp: claim, nbf: claim, iat: claim, jti: claim }, { requiredKeys: [] }),
        fc.record({ typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt'), fc.string({ maxLength: 8 })), kid: fc.oneof(fc.constant(key.kid), fc.string({ maxLength: 8 })) }, { requiredKeys: [] }),
        async (payload, header) => {
          const token = await new SignJWT(payload as Record<string, unknown>).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(key.signingKey!);
          await nullOr4xx(() => auth.verifyAccessToken(token));
          await nullOr4xx(() => checked.authenticate({ method: 'GET', headers: { authorization: `Bearer ${token}` } }));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
