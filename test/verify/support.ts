// Shared harness for the latchkey/verify tests: an issuer (createAuth on a manual clock) and its JWKS served over
// HTTP on 127.0.0.1 by a server that counts fetches. Not a test file itself.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import { createAuth, generateKey, memoryStore, type Auth, type AuthOptions, type SigningKey } from '../../src/entries/index.js';
import { isAuthError } from '../../src/entries/verify.js';

export const ISSUER = 'https://api.example.com';
export const AUDIENCE = 'web';
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/** A manual clock (test/support/core.ts): tests move time with `advance`, never by sleeping. */
import { testClock as clock, T0, type TestClock } from '../support/core.js';

export { clock, T0 };
export type Clock = Pick<TestClock, 'now' | 'advance'>;

/** An issuer: an Auth with an Ed25519 key on a manual clock. */
export interface Issuer {
  auth: Auth<true>;
  key: SigningKey;
  clock: Clock;
  /** Perfect claims for `sessionId`, with `over` applied (for forged tokens). */
  claims(sessionId: string, over?: JWTPayload): JWTPayload;
}

export async function issuer(options: Partial<AuthOptions> & { key?: SigningKey; clock?: Clock } = {}): Promise<Issuer> {
  const { key: given, clock: givenClock, ...rest } = options;
  const c = givenClock ?? clock();
  const key = given ?? (await generateKey('Ed25519'));
  const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store: memoryStore({ now: c.now }), now: c.now, ...rest } as AuthOptions & { keys: SigningKey[] });
  await auth.ready();
  return {
    auth,
    key,
    clock: c,
    claims(sessionId, over = {}) {
      const iat = Math.floor(c.now() / 1000);
      return { sub: '50', sid: sessionId, iss: ISSUER, aud: AUDIENCE, iat, exp: iat + 900, jti: 'forged-jti-0001', client_id: AUDIENCE, ...over };
    },
  };
}

/** The issuer's JWKS over HTTP: `fetches` counts the requests it answered. */
export interface JWKSServer {
  url: URL;
  fetches: number;
  /** When set, the next requests answer this status instead of the JWKS. */
  failWith: number | null;
  close(): Promise<void>;
}

export async function serveJWKS(auth: Pick<Auth, 'jwks'>): Promise<JWKSServer> {
  const state: { fetches: number; failWith: number | null } = { fetches: 0, failWith: null };
  const server: Server = createServer((req, res) => {
    const serve = (): void => void auth.jwks().then((jwks) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
    if (req.url === '/moved') return serve(); // where a 3xx failure points: a verifier that followed it would get the JWKS
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    state.fetches++;
    if (state.failWith !== null) return void res.writeHead(state.failWith, state.failWith < 400 ? { location: '/moved' } : {}).end();
    serve();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    get fetches() {
      return state.fetches;
    },
    set fetches(n) {
      state.fetches = n;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(status) {
      state.failWith = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `'ok'` or the AuthError code a call settled with; anything else is rethrown, so a crash never passes for a refusal. */
export async function codeOf(call: Promise<unknown> | (() => Promise<unknown>)): Promise<string> {
  try {
    await (typeof call === 'function' ? call() : call);
    return 'ok';
  } catch (error) {
    if (isAuthError(error)) return error.code;
    throw error;
  }
}

export const bearer = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });
