// createVerifier's options: checked once, when the verifier is made, with messages that say what to change
// (unknown names refused, one Duration form, the core's defaults where the core has the same option).
import { fail, parseDuration, type Duration } from '../core/duration.js';
import { callable, checkKeys, positive } from '../core/option-kit.js';
import { parseMaxAge, type MaxAge } from '../core/freshness.js';
import type { JSONWebKeySet } from '../core/tokens.js';
import type { VerifierKey } from './jwk.js';
import type { RevocationStore } from './revocation.js';

/** Options of `createVerifier`. */
export interface VerifierOptions {
  /** The issuer's `issuer` (the `iss` every token must carry). */
  issuer: string;
  /** The audience this server accepts (`aud` must contain one of them). */
  audience: string | readonly string[];
  /** Where the keys come from: the issuer's JWKS URL (fetched and cached), a JWKS object, or keys (JWKs or `generateKey` keys). */
  jwks: URL | string | JSONWebKeySet | readonly VerifierKey[];
  /** When set, the token's RFC 9068 `client_id` must equal it. */
  clientId?: string;
  /** Allowed clock skew for `exp`/`nbf`. Default `'5s'`, as `accessToken.clockTolerance`. */
  clockTolerance?: Duration;
  /** Step-up for every call: a sign-in (`auth_time`) older than this is refused with `reauthentication_required`. */
  maxAge?: Duration;
  /** Verified tokens kept (0 turns the cache off). Default `10000`, as `accessToken.cacheSize`. */
  cacheSize?: number;
  /** Least time between two JWKS fetches, whatever prompts them (unknown kids included). Default `'30s'`. */
  jwksCooldown?: Duration;
  /** A fetched JWKS is refetched once older than this; past it, an unreachable JWKS fails closed (503). Default `'10m'`. */
  jwksMaxAge?: Duration;
  /** Longest wait for one JWKS fetch. Default `'5s'`. */
  jwksTimeout?: Duration;
  /** The `fetch` used for the JWKS URL (a service binding, a proxy agent). Default `globalThis.fetch`. */
  fetch?: (input: URL, init: RequestInit) => Promise<Response>;
  /** The issuer's session store (Node): refuse tokens of revoked sessions. Read and subscribed to, never written. */
  store?: RevocationStore;
  /** With `store`: how stale the revocation channel may be before every check reads the store. Default `'2s'`, as `accessToken.maxRevocationDelay`. */
  maxRevocationDelay?: Duration;
  /** With `store`: how long a session read as live is trusted while the channel is confirmed. Default `'1m'`, as `session.touchEvery`. */
  recheckEvery?: Duration;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** The options after validation (durations in milliseconds). */
export interface ResolvedVerifierOptions {
  issuer: string;
  audience: string | string[];
  jwks: { url: URL } | { keys: readonly VerifierKey[] };
  clientId: string | undefined;
  clockTolerance: number;
  maxAge: MaxAge | undefined;
  cacheSize: number;
  jwksCooldown: number;
  jwksMaxAge: number;
  jwksTimeout: number;
  fetch: (input: URL, init: RequestInit) => Promise<Response>;
  store: RevocationStore | undefined;
  maxRevocationDelay: number;
  recheckEvery: number;
  now: () => number;
}

const KNOWN = ['issuer', 'audience', 'jwks', 'clientId', 'clockTolerance', 'maxAge', 'cacheSize', 'jwksCooldown', 'jwksMaxAge', 'jwksTimeout', 'fetch', 'store', 'maxRevocationDelay', 'recheckEvery', 'now'];

function jwksOf(jwks: unknown): ResolvedVerifierOptions['jwks'] {
  if (jwks instanceof URL || typeof jwks === 'string') {
    let url: URL;
    try {
      url = new URL(jwks);
    } catch {
      return fail(`createVerifier({ jwks }) must be an absolute URL such as 'https://auth.example.com/.well-known/jwks.json' (got ${JSON.stringify(String(jwks))}).`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('createVerifier({ jwks }) must be an https: (or http:) URL.');
    return { url };
  }
  if (Array.isArray(jwks)) return { keys: jwks as readonly VerifierKey[] };
  if (typeof jwks === 'object' && jwks !== null && Array.isArray((jwks as JSONWebKeySet).keys)) return { keys: (jwks as JSONWebKeySet).keys as readonly VerifierKey[] };
  return fail('createVerifier({ jwks }) must be the issuer\'s JWKS URL, a JWKS object ({ keys: [...] }, e.g. await auth.jwks()), or an array of keys.');
}

/**
 * Validates `createVerifier` options; throws a TypeError that says what to change.
 * @example
 * const resolved = resolveVerifierOptions({ issuer, audience: 'web', jwks: new URL(jwksUrl) });
 */
export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) fail("createVerifier needs options, e.g. createVerifier({ issuer, audience: 'web', jwks: new URL('https://auth.example.com/.well-known/jwks.json') }).");
  checkKeys(options, KNOWN, 'createVerifier', (key, known) => `unknown createVerifier option ${key}; expected one of ${known.join(', ')}.`);
  if (typeof options.issuer !== 'string' || options.issuer === '') fail("createVerifier({ issuer }) is required: the issuer's `issuer`, e.g. 'https://api.example.com'.");
  const audiences = typeof options.audience === 'string' ? [options.audience] : Array.isArray(options.audience) ? [...options.audience] : [];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) fail("createVerifier({ audience }) is required: the audience this server accepts, e.g. 'web'.");
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId === '')) fail("createVerifier({ clientId }) must be a non-empty string, e.g. 'web-app'.");
  const cacheSize = options.cacheSize ?? 10_000;
  if (!Number.isInteger(cacheSize) || cacheSize < 0) fail('createVerifier({ cacheSize }) must be a whole number of entries (0 turns the cache off).');
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('createVerifier({ fetch }) must be a fetch function.');
  const store = options.store;
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.get !== 'function')) fail('createVerifier({ store }) must be the issuer\'s SessionStore, e.g. redisStore({ client }).');
  if (store === undefined && (options.maxRevocationDelay !== undefined || options.recheckEvery !== undefined)) fail('maxRevocationDelay and recheckEvery apply with createVerifier({ store }) only.');
  const jwksCooldown = positive(options.jwksCooldown, '30s', 'createVerifier({ jwksCooldown })');
  const jwksMaxAge = positive(options.jwksMaxAge, '10m', 'createVerifier({ jwksMaxAge })');
  if (jwksMaxAge < jwksCooldown) fail('createVerifier({ jwksMaxAge }) must be at least jwksCooldown: a JWKS cannot be refetched more often than the cooldown.');
  return {
    issuer: options.issuer,
    audience: audiences.length === 1 ? audiences[0]! : audiences,
    jwks: jwksOf(options.jwks),
    clientId: options.clientId,
    clockTolerance: parseDuration(options.clockTolerance ?? '5s', 'createVerifier({ clockTolerance })'),
    maxAge: options.maxAge === undefined ? undefined : parseMaxAge(options.maxAge, 'createVerifier({ maxAge })'),
    cacheSize,
    jwksCooldown,
    jwksMaxAge,
    jwksTimeout: positive(options.jwksTimeout, '5s', 'createVerifier({ jwksTimeout })'),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    store,
    maxRevocationDelay: positive(options.maxRevocationDelay, '2s', 'createVerifier({ maxRevocationDelay })'),
    recheckEvery: parseDuration(options.recheckEvery ?? '1m', 'createVerifier({ recheckEvery })'),
    now: callable(options.now, Date.now, 'createVerifier({ now })', 'returning ms since the epoch'),
  };
}
