import { fail, parseDuration, positive, type Duration } from './duration.js';
import type { AuthEvent } from './events.js';
import type { KeyInput } from './keys.js';
import { resolveTokens } from './options-tokens.js';
import type { SessionStore } from './stores/store.js';
import type { AppClaims, SessionInfo } from './types.js';


/** Options for `createAuth`. Only `keys` + `issuer` + `audience` are needed for token pairs; nothing for cookie sessions. */
export interface AuthOptions {
  /** Signing keys: the first signs, all verify. Omit for session cookies only (no tokens). */
  keys?: readonly KeyInput[];
  /** `iss` of every access token; required when `keys` are given. */
  issuer?: string;
  /** `aud` of every access token; required when `keys` are given. */
  audience?: string | readonly string[];
  /** Where session records live. Default: `memoryStore()` (one process only). */
  store?: SessionStore;
  accessToken?: {
    /** Lifetime of an access JWT. Default `'15m'`. */
    ttl?: Duration;
    /** Leeway for `exp`/`nbf` between machines. Default `'5s'`. */
    clockTolerance?: Duration;
    /** Look the session up on every bearer request so sign-out revokes access tokens at once. Default `false`. */
    checkSession?: boolean;
    /** App claims to add to each access token, computed at sign-in and refresh. */
    claims?: (session: SessionInfo) => AppClaims | Promise<AppClaims>;
    /** Verified-token cache size (entries); `0` turns it off. Default `10000`. */
    cacheSize?: number;
    /** RFC 9068 `client_id` of every access token: the client the tokens are issued to. Default: the (first) `audience`. */
    clientId?: string;
    /**
     * With `checkSession` and a broadcasting store (Redis): the longest a session revoked on another instance
     * can still pass here. The local cache answers only while the store confirmed its broadcast within this
     * bound (a heartbeat seen back); otherwise every check reads the store (and fails closed when it is down).
     * Default `'2s'`.
     */
    maxRevocationDelay?: Duration;
  };
  refreshToken?: {
    /** Lifetime of each refresh token (capped by the absolute session timeout). Default `'30d'`. */
    ttl?: Duration;
    /** How long after a rotation the previous token still returns the new one (concurrent tabs). Default `'10s'`. */
    reuseGrace?: Duration;
    /** A 32+ byte server secret for refresh-token derivation; default: derived from the key that signed at sign-in. */
    secret?: string | Uint8Array;
    /** Path the refresh cookie is scoped to. Default `'/auth/refresh'`. */
    path?: string;
  };
  session?: {
    /** Sign out after this long without activity; `false` for none. Default `'30m'`. */
    idleTimeout?: Duration | false;
    /** Sign out this long after sign-in, whatever happens. Default `'30d'`. */
    absoluteTimeout?: Duration;
    /** Write activity to the store at most this often per session. Default `'1m'`. */
    touchEvery?: Duration;
    /** The longest idle timeout `signIn({ lifetime: { idle } })` may ask for; `false`: no bound. Default `'30d'` (or `idleTimeout` if longer; none without one). */
    maxIdleTimeout?: Duration | false;
    /** The longest absolute lifetime `signIn({ lifetime: { absolute } })` may ask for ("remember me"). Default `'90d'` (or `absoluteTimeout` if longer). */
    maxAbsoluteTimeout?: Duration;
    /** Most live sessions one user may hold (ASVS V7.1.2), applied atomically by the store at sign-in; `false` for none. Default `100`. */
    maxPerUser?: number | false;
    /** At the cap: `'evict'` ends the least recently active session (event `session_evicted`), `'refuse'` fails sign-in with 403 `session_limit`. Default `'evict'`. */
    overLimit?: 'evict' | 'refuse';
  };
  cookies?: {
    /** Send cookies only over https. Default `true`; turn off only for plain-http development. */
    secure?: boolean;
    /** Default `'lax'`. `'none'` requires `secure`. */
    sameSite?: 'strict' | 'lax' | 'none';
    /** Base name; the session cookie is `__Host-<name>.session`, the refresh cookie `__Secure-<name>.refresh`. Default `'latchkey'`. */
    name?: string;
    /** Share cookies with subdomains. Makes the session cookie `__Secure-` (a `__Host-` cookie may not name a Domain). */
    domain?: string;
  };
  csrf?: {
    /** Origins allowed to send cookie-authenticated unsafe requests besides the server's own. `'*'` is refused. */
    trustedOrigins?: readonly string[];
  };
  /** Receives audit events (sign-in, refresh, reuse detected, sign-out, ...). Errors thrown here are ignored. */
  onEvent?: (event: AuthEvent) => void | Promise<void>;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. A `memoryStore()` passed as `store` follows it too. */
  now?: () => number;
}

/** Options after validation and defaults, all durations in milliseconds. */
export interface ResolvedOptions {
  tokens: {
    keys: readonly KeyInput[];
    issuer: string;
    audience: string | string[];
    clientId: string;
    accessTtl: number;
    clockTolerance: number;
    checkSession: boolean;
    claims: ((session: SessionInfo) => AppClaims | Promise<AppClaims>) | undefined;
    cacheSize: number;
    refreshTtl: number;
    reuseGrace: number;
    refreshSecret: Uint8Array | undefined;
    maxRevocationDelay: number;
  } | null;
  idleTimeout: number | null;
  absoluteTimeout: number;
  /** Bounds of a per-session lifetime (`null`: no bound on idle). */
  maxIdleTimeout: number | null;
  maxAbsoluteTimeout: number;
  touchEvery: number;
  /** Per-user cap: `null` for none. */
  maxPerUser: number | null;
  overLimit: 'evict' | 'refuse';
  cookies: {
    secure: boolean;
    sameSite: 'strict' | 'lax' | 'none';
    sessionName: string;
    refreshName: string;
    refreshPath: string;
    domain: string | undefined;
  };
  trustedOrigins: ReadonlySet<string>;
  onEvent: ((event: AuthEvent) => void | Promise<void>) | undefined;
  now: () => number;
}

function checkKeys<T extends object>(value: T | undefined, allowed: readonly string[], name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${name} must be an object.`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`unknown option ${name}.${key}; expected one of ${allowed.join(', ')}.`);
  }
}

const DAY = 86_400_000;
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
/** What a Set-Cookie Domain / Path may hold (RFC 6265 4.1.1), checked here so no sign-in fails later. */
const COOKIE_DOMAIN = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const COOKIE_PATH = /^\/[\x21-\x2b\x2d-\x3a\x3c-\x7e]*$/;

function normalizeOrigin(origin: unknown): string {
  if (origin === '*' || (typeof origin === 'string' && origin.includes('*'))) {
    fail(`csrf.trustedOrigins cannot contain a wildcard (${JSON.stringify(origin)}); list each origin, e.g. 'https://app.example.com'.`);
  }
  if (typeof origin !== 'string') fail(`csrf.trustedOrigins entries must be strings such as 'https://app.example.com'.`);
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return fail(`csrf.trustedOrigins entry ${JSON.stringify(origin)} is not a URL origin such as 'https://app.example.com'.`);
  }
  if (parsed.origin === 'null' || parsed.origin !== origin.replace(/\/$/, '').toLowerCase()) {
    fail(`csrf.trustedOrigins entry ${JSON.stringify(origin)} must be a bare origin (scheme://host[:port], no path), e.g. '${parsed.origin}'.`);
  }
  return parsed.origin;
}

/** Validates `createAuth` options and fills in defaults; every message says what to change. */
export function resolveOptions(options: AuthOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('createAuth expects an options object.');
  checkKeys(options, ['keys', 'issuer', 'audience', 'store', 'accessToken', 'refreshToken', 'session', 'cookies', 'csrf', 'onEvent', 'now'], 'options');
  checkKeys(options.accessToken, ['ttl', 'clockTolerance', 'checkSession', 'claims', 'cacheSize', 'clientId', 'maxRevocationDelay'], 'accessToken');
  checkKeys(options.refreshToken, ['ttl', 'reuseGrace', 'secret', 'path'], 'refreshToken');
  checkKeys(options.session, ['idleTimeout', 'absoluteTimeout', 'touchEvery', 'maxIdleTimeout', 'maxAbsoluteTimeout', 'maxPerUser', 'overLimit'], 'session');
  checkKeys(options.cookies, ['secure', 'sameSite', 'name', 'domain'], 'cookies');
  checkKeys(options.csrf, ['trustedOrigins'], 'csrf');

  const now = options.now ?? Date.now;
  if (typeof now !== 'function') fail('now must be a function returning milliseconds since the epoch.');
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') fail('onEvent must be a function.');

  const session = options.session ?? {};
  const absoluteTimeout = positive(session.absoluteTimeout, '30d', 'session.absoluteTimeout');
  const idleTimeout = session.idleTimeout === false ? null : positive(session.idleTimeout, '30m', 'session.idleTimeout');
  if (idleTimeout !== null && idleTimeout > absoluteTimeout) fail('session.idleTimeout cannot be longer than session.absoluteTimeout.');
  const touchEvery = parseDuration(session.touchEvery ?? '1m', 'session.touchEvery');
  if (idleTimeout !== null && touchEvery >= idleTimeout) fail('session.touchEvery must be shorter than session.idleTimeout, or activity would never keep a session alive.');
  // Default bounds leave room for "remember me" (90 days, 30 days idle) without the app configuring anything;
  // each sign-in still has to ask for a longer lifetime itself.
  const maxAbsoluteTimeout = session.maxAbsoluteTimeout === undefined ? Math.max(absoluteTimeout, 90 * DAY) : positive(session.maxAbsoluteTimeout, '90d', 'session.maxAbsoluteTimeout');
  if (maxAbsoluteTimeout < absoluteTimeout) fail('session.maxAbsoluteTimeout cannot be shorter than session.absoluteTimeout (the default lifetime must be allowed).');
  const defaultMaxIdle = idleTimeout === null ? null : Math.max(idleTimeout, 30 * DAY);
  const maxIdleTimeout = session.maxIdleTimeout === false ? null : session.maxIdleTimeout === undefined ? defaultMaxIdle : positive(session.maxIdleTimeout, '30d', 'session.maxIdleTimeout');
  if (maxIdleTimeout !== null && (idleTimeout === null || maxIdleTimeout < idleTimeout)) fail('session.maxIdleTimeout cannot be shorter than session.idleTimeout (or bound an Auth without one): the default idle time must be allowed.');

  const maxPerUser = session.maxPerUser ?? 100;
  if (maxPerUser !== false && (!Number.isInteger(maxPerUser) || maxPerUser < 1)) fail('session.maxPerUser must be a whole number of sessions (at least 1), or false for no cap.');
  const overLimit = session.overLimit ?? 'evict';
  if (overLimit !== 'evict' && overLimit !== 'refuse') fail(`session.overLimit must be 'evict' or 'refuse' (got ${JSON.stringify(overLimit)}).`);

  const cookies = options.cookies ?? {};
  const secure = cookies.secure ?? true;
  if (typeof secure !== 'boolean') fail('cookies.secure must be true or false.');
  const sameSite = cookies.sameSite ?? 'lax';
  if (!['strict', 'lax', 'none'].includes(sameSite)) fail(`cookies.sameSite must be 'strict', 'lax' or 'none' (got ${JSON.stringify(sameSite)}).`);
  if (sameSite === 'none' && !secure) fail("cookies.sameSite 'none' requires cookies.secure: browsers drop SameSite=None cookies that are not Secure.");
  const base = cookies.name ?? 'latchkey';
  if (typeof base !== 'string' || !COOKIE_NAME.test(base) || base.startsWith('__')) {
    fail(`cookies.name must be a plain cookie token without a __ prefix (got ${JSON.stringify(base)}); latchkey adds __Host-/__Secure- itself.`);
  }
  const domain = cookies.domain;
  if (domain !== undefined && (typeof domain !== 'string' || !COOKIE_DOMAIN.test(domain))) fail('cookies.domain must be a host name such as example.com.');

  const refresh = options.refreshToken ?? {};
  const refreshPath = refresh.path ?? '/auth/refresh';
  if (typeof refreshPath !== 'string' || !COOKIE_PATH.test(refreshPath)) {
    fail(`refreshToken.path must be an absolute path such as '/auth/refresh' (got ${JSON.stringify(refreshPath)}).`);
  }

  const origins: unknown = options.csrf?.trustedOrigins ?? [];
  if (!Array.isArray(origins)) fail("csrf.trustedOrigins must be an array of origins, e.g. ['https://app.example.com'].");
  const trustedOrigins = new Set(origins.map(normalizeOrigin));

  return {
    tokens: resolveTokens(options),
    idleTimeout,
    absoluteTimeout,
    maxIdleTimeout,
    maxAbsoluteTimeout,
    touchEvery,
    maxPerUser: maxPerUser === false ? null : maxPerUser,
    overLimit,
    cookies: {
      secure,
      sameSite,
      sessionName: secure ? `${domain ? '__Secure-' : '__Host-'}${base}.session` : `${base}.session`,
      refreshName: secure ? `__Secure-${base}.refresh` : `${base}.refresh`,
      refreshPath,
      domain,
    },
    trustedOrigins,
    onEvent: options.onEvent,
    now,
  };
}

export type { Duration };
export { parseDuration };
