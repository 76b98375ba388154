// Property-based fuzzing with fast-check through real Express, Fastify and Koa servers: cookies,
// Authorization headers, forged access tokens and refresh tokens, with CSRF headers mixed in.
// Properties: every answer is a 4xx (200 on the public route, 204 on sign-out), never a 5xx or a
// dropped connection; and the session signed in before fuzzing still works afterwards.
import { createHmac, createPublicKey } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Auth, SigningKey } from '../../src/entries/index.js';
import { AUDIENCE, FRAMEWORKS, ISSUER, TRUSTED_ORIGIN, cookieValue, login, send, setup, startApp, type App, type Framework, type Login, type Reply } from './support.js';

/** Requests per batch (sent concurrently) and batches per property per framework. */
const BATCH = 8;
const RUNS = 200;
const SEED = Number(process.env.LATCHKEY_FUZZ_SEED ?? 20301);

const B64 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const base64url = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...B64), minLength: min, maxLength: max });
/** Any byte an HTTP/1.1 header value may carry (visible ASCII, space, tab, obs-text). */
const headerChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c));
const headerText = (max: number) => fc.string({ unit: headerChar, maxLength: max });

interface Mutation {
  op: 'flip' | 'insert' | 'delete' | 'truncate' | 'dot';
  pos: number;
  ch: string;
}
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('flip', 'insert', 'delete', 'truncate', 'dot'),
  pos: fc.nat(),
  ch: fc.constantFrom(...B64),
});

/**
 * Changes a credential so that it decodes to different bytes: only positions that are not the last
 * character of a dot-separated part are touched (a base64url tail can hide unused bits).
 */
function mutate(value: string, m: Mutation): string {
  const positions: number[] = [];
  for (let i = 0; i < value.length - 1; i++) if (value[i] !== '.' && value[i + 1] !== '.') positions.push(i);
  const i = positions[m.pos % positions.length]!;
  const other = m.ch === value[i] ? (m.ch === 'A' ? 'B' : 'A') : m.ch;
  switch (m.op) {
    case 'flip':
      return `${value.slice(0, i)}${other}${value.slice(i + 1)}`;
    case 'insert':
      return `${value.slice(0, i)}${other}${value.slice(i)}`;
    case 'delete':
      return `${value.slice(0, i)}${value.slice(i + 1)}`;
    case 'truncate':
      return value.slice(0, i);
    case 'dot':
      return `${value.slice(0, i)}.${value.slice(i)}`;
  }
}

type Route = readonly [method: string, path: string];
const ROUTES: readonly Route[] = [
  ['GET', '/me'],
  ['POST', '/write'],
  ['POST', '/auth/refresh'],
  ['POST', '/auth/logout'],
  ['GET', '/public'],
];

function acceptable(path: string, status: number): boolean {
  const clientError = status >= 400 && status < 500;
  if (path === '/public') return status === 200 || clientError;
  if (path === '/auth/logout') return status === 204 || clientError;
  return clientError;
}

interface Target {
  framework: Framework;
  auth: Auth<true>;
  key: SigningKey;
  app: App;
  user: Login;
}

interface Case {
  route: Route;
  headers: OutgoingHttpHeaders;
}

/** CSRF-relevant headers a browser (or an attacker) may add. */
const browserHeaders: fc.Arbitrary<OutgoingHttpHeaders> = fc.record(
  {
    origin: fc.oneof(fc.constantFrom('null', TRUSTED_ORIGIN, 'https://app.example.com.evil.test', 'https://evil.test', 'http://127.0.0.1'), headerText(60)),
    'sec-fetch-site': fc.oneof(fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none'), headerText(20)),
  },
  { requiredKeys: [] },
);

function arbitraries(t: Target) {
  const { auth, user, key } = t;
  const sessionValue = user.sessionCookie.split('=')[1]!;
  const refreshValue = user.refreshCookie.split('=')[1]!;
  const [sid] = sessionValue.split('.') as [string];
  const pem = createPublicKey({ key: key.publicJwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
  const genuine = user.accessToken.split('.') as [string, string, string];

  const anyId = fc.oneof(fc.constant(sid), base64url(22, 22), base64url(0, 30));
  const sessionShaped = fc.tuple(anyId, base64url(0, 50)).map(([id, secret]) => `${id}.${secret}`);
  const refreshShaped = fc
    .tuple(anyId, fc.oneof(fc.nat({ max: 20 }).map(String), fc.constantFrom('-1', '00', '1e3', '999999999', '9999999999', ''), headerText(6)), base64url(0, 50))
    .map(([id, generation, secret]) => `${id}.${generation}.${secret}`);
  const cookieName = fc.constantFrom(auth.cookies.session, auth.cookies.refresh, 'latchkey.session', '__host-latchkey.session', 'other');
  const cookiePair = fc.oneof(
    mutation.map((m) => `${auth.cookies.session}=${mutate(sessionValue, m)}`),
    mutation.map((m) => `${auth.cookies.refresh}=${mutate(refreshValue, m)}`),
    fc.tuple(cookieName, fc.oneof(sessionShaped, refreshShaped)).map(([n, v]) => `${n}=${v}`),
    fc.tuple(cookieName, headerText(120)).map(([n, v]) => `${n}=${v}`),
    headerText(200),
  );
  const cookie = fc.array(cookiePair, { minLength: 1, maxLength: 6 }).map((pairs) => pairs.join('; '));

  const forgedHeader = fc.record(
    {
      alg: fc.constantFrom('none', 'EdDSA', 'HS256', 'RS256', 'ES256', 'eddsa', 'NONE', ''),
      kid: fc.oneof(fc.constant(key.kid), fc.string({ maxLength: 40 }), fc.constantFrom('../../etc/passwd', "' OR 1=1 --", '__proto__')),
      typ: fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt', 'refresh+jwt'),
      crit: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );
  const now = Math.floor(Date.UTC(2030, 0, 1, 12) / 1000);
  const forgedPayload = fc.oneof(
    fc.record(
      {
        sub: fc.oneof(fc.constant('50'), fc.string({ maxLength: 10 })),
        sid: fc.oneof(fc.constant(sid), fc.string({ maxLength: 30 })),
        iss: fc.oneof(fc.constant(ISSUER), fc.string({ maxLength: 30 })),
        aud: fc.oneof(fc.constant(AUDIENCE), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })),
        iat: fc.integer({ min: now - 10_000, max: now + 10_000 }),
        exp: fc.oneof(fc.integer({ min: now - 10_000, max: now + 10_000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.double()),
        nbf: fc.integer({ min: now - 10_000, max: now + 10_000 }),
        jti: fc.string({ maxLength: 22 }),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const forgedToken = fc
    .tuple(fc.oneof(forgedHeader, fc.jsonValue({ maxDepth: 2 })), forgedPayload, fc.constantFrom('genuine', 'random', 'empty', 'hs-public'), base64url(0, 120))
    .map(([header, payload, sigMode, random]) => {
      const input = `${b64(header)}.${b64(payload)}`;
      if (sigMode === 'genuine') return `${input}.${genuine[2]}`;
      if (sigMode === 'empty') return `${input}.`;
      if (sigMode === 'hs-public') return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
      return `${input}.${random}`;
    });
  const authorization = fc.oneof(
    mutation.map((m) => `Bearer ${mutate(user.accessToken, m)}`),
    forgedToken.map((token) => `Bearer ${token}`),
    fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearer\t', 'Token', 'Bearer Bearer', ''), headerText(200)).map(([scheme, v]) => `${scheme} ${v}`),
    fc.constantFrom(`Bearer ${refreshValue}`, `Bearer ${sessionValue}`, `Bearer ${genuine[0]}.${genuine[1]}`, `Bearer ${genuine[0]}..${genuine[2]}`),
    headerText(300),
  );

  const route = fc.constantFrom(...ROUTES);
  const withBrowser = <T extends OutgoingHttpHeaders>(arb: fc.Arbitrary<T>) =>
    fc.tuple(route, arb, browserHeaders).map(([r, h, b]): Case => ({ route: r, headers: { ...b, ...h } }));
  return {
    cookies: withBrowser(cookie.map((c) => ({ cookie: c }))),
    authorization: withBrowser(authorization.map((a) => ({ authorization: a }))),
    accessTokens: withBrowser(forgedToken.map((token) => ({ authorization: `Bearer ${token}` }))),
    refreshTokens: fc
      .tuple(fc.oneof(refreshShaped, mutation.map((m) => mutate(refreshValue, m))), browserHeaders, fc.constantFrom<Route>(['POST', '/auth/refresh'], ['POST', '/auth/logout']))
      .map(([token, b, r]): Case => ({ route: r, headers: { ...b, cookie: `${auth.cookies.refresh}=${token}` } })),
    mixed: withBrowser(fc.record({ cookie, authorization }, { requiredKeys: [] })),
  };
}

const totals = { requests: 0, byFramework: {} as Record<string, number>, statuses: {} as Record<number, number>, started: 0 };

describe.each(FRAMEWORKS)('fuzzing through %s', (framework) => {
  let target: Target;

  beforeAll(async () => {
    totals.started ||= performance.now();
    const { auth, key } = await setup({ refreshToken: { reuseGrace: '10s' } });
    const app = await startApp(framework, auth);
    const user = await login(app, auth);
    target = { framework, auth, key, app, user };
  });
  afterAll(() => target.app.close());

  async function run(arb: fc.Arbitrary<Case>, offset: number): Promise<void> {
    await fc.assert(
      fc.asyncProperty(fc.array(arb, { minLength: BATCH, maxLength: BATCH }), async (cases) => {
        const replies: Reply[] = await Promise.all(cases.map((c) => send(target.app, c.route[0], c.route[1], c.headers)));
        replies.forEach((reply, i) => {
          const path = cases[i]!.route[1];
          totals.requests++;
          totals.byFramework[framework] = (totals.byFramework[framework] ?? 0) + 1;
          totals.statuses[reply.status] = (totals.statuses[reply.status] ?? 0) + 1;
          if (!acceptable(path, reply.status)) {
            throw new Error(`${cases[i]!.route.join(' ')} answered ${reply.status} ${reply.text.slice(0, 200)} for ${JSON.stringify(cases[i]!.headers)}`);
          }
        });
      }),
      { numRuns: RUNS, seed: SEED + offset, endOnFailure: true },
    );
  }

  const names = ['cookies', 'authorization', 'accessTokens', 'refreshTokens', 'mixed'] as const;
  for (const [index, name] of names.entries()) {
    test(`fuzzed ${name} only ever get 4xx (200 public, 204 sign-out), never 5xx or a dropped connection`, async () => {
      await run(arbitraries(target)[name], index * 7 + FRAMEWORKS.indexOf(framework));
    }, 60_000);
  }

  test('the session signed in before fuzzing still works: cookie, bearer, then refresh', async () => {
    const { app, user, auth } = target;
    const byCookie = await send(app, 'GET', '/me', { cookie: user.sessionCookie });
    expect(byCookie.status).toBe(200);
    expect(byCookie.json).toMatchObject({ userId: '50', sessionId: user.sessionId });
    expect((await send(app, 'GET', '/me', { authorization: `Bearer ${user.accessToken}` })).status).toBe(200);
    expect((await send(app, 'POST', '/write', { cookie: user.sessionCookie, origin: TRUSTED_ORIGIN })).status).toBe(200);
    const refreshed = await send(app, 'POST', '/auth/refresh', { cookie: user.refreshCookie });
    expect(refreshed.status).toBe(200);
    expect(cookieValue(refreshed.setCookies, auth.cookies.refresh)).toMatch(new RegExp(`^${user.sessionId}\\.1\\.`));
    expect(await auth.sessions.get(user.sessionId)).not.toBeNull();
  });
});

afterAll(() => {
  const seconds = ((performance.now() - totals.started) / 1000).toFixed(1);
  console.log(`latchkey fuzz: ${totals.requests} requests in ${seconds}s`, totals.byFramework, 'statuses', totals.statuses);
  expect(totals.requests).toBeGreaterThanOrEqual(FRAMEWORKS.length * 5 * RUNS * BATCH);
});
