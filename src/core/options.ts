import { parseDuration, type Duration } from './duration.js';
import { callable, checkKeys, fail, flag, positive, wholeNumber } from './option-kit.js';
import type { AuthOptions, ResolvedOptions } from './option-types.js';
import { resolveTokens } from './options-tokens.js';

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

/** `session.cache`: `false`, or bounds (each a whole number) and the revocation bound. */
function resolveSessionCache(cache: unknown, defaultDelay: number): ResolvedOptions['sessionCache'] {
  const defaults = { max: 10_000, maxBytes: 16 * 1024 * 1024, maxRevocationDelay: defaultDelay };
  if (cache === false) return { cookies: false, ...defaults };
  if (cache === undefined) return { cookies: true, ...defaults };
  if (typeof cache !== 'object' || cache === null || Array.isArray(cache)) fail('session.cache must be false (read the store on every request) or an object such as { max: 10000, maxBytes: 16777216 }.');
  checkKeys(cache, ['max', 'maxBytes', 'maxRevocationDelay'], 'session.cache');
  const { max, maxBytes, maxRevocationDelay } = cache as { max?: unknown; maxBytes?: unknown; maxRevocationDelay?: Duration };
  const off = '; pass session.cache: false to turn the cache off';
  return {
    cookies: true,
    max: wholeNumber(max, defaults.max, 'session.cache.max', { min: 1, unit: 'records', hint: off }),
    maxBytes: wholeNumber(maxBytes, defaults.maxBytes, 'session.cache.maxBytes', { min: 4096, unit: 'bytes', hint: off }),
    maxRevocationDelay: maxRevocationDelay === undefined ? defaultDelay : positive(maxRevocationDelay, '2s', 'session.cache.maxRevocationDelay'),
  };
}

/** Validates `createAuth` options and fills in defaults; every message says what to change. */
export function resolveOptions(options: AuthOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('createAuth expects an options object.');
  checkKeys(options, ['keys', 'issuer', 'audience', 'store', 'accessToken', 'refreshToken', 'session', 'cookies', 'csrf', 'onEvent', 'now'], 'options');
  checkKeys(options.accessToken, ['ttl', 'clockTolerance', 'checkSession', 'claims', 'cacheSize', 'clientId', 'maxRevocationDelay'], 'accessToken');
  checkKeys(options.refreshToken, ['ttl', 'reuseGrace', 'secret', 'path'], 'refreshToken');
  checkKeys(options.session, ['idleTimeout', 'absoluteTimeout', 'touchEvery', 'maxIdleTimeout', 'maxAbsoluteTimeout', 'maxPerUser', 'overLimit', 'cache'], 'session');
  checkKeys(options.cookies, ['secure', 'sameSite', 'name', 'domain'], 'cookies');
  checkKeys(options.csrf, ['trustedOrigins'], 'csrf');

  const now = callable(options.now, Date.now, 'now', 'returning milliseconds since the epoch');
  if (options.onEvent !== undefined) callable(options.onEvent, options.onEvent, 'onEvent');

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

  const maxPerUser = session.maxPerUser === false ? false : wholeNumber(session.maxPerUser, 100, 'session.maxPerUser', { min: 1, unit: 'sessions', hint: ', or false for no cap' });
  const overLimit = session.overLimit ?? 'evict';
  if (overLimit !== 'evict' && overLimit !== 'refuse') fail(`session.overLimit must be 'evict' or 'refuse' (got ${JSON.stringify(overLimit)}).`);

  const tokens = resolveTokens(options);
  const sessionCache = resolveSessionCache(session.cache, tokens?.maxRevocationDelay ?? 2000);

  const cookies = options.cookies ?? {};
  const secure = flag(cookies.secure, true, 'cookies.secure');
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
    tokens,
    idleTimeout,
    absoluteTimeout,
    maxIdleTimeout,
    maxAbsoluteTimeout,
    touchEvery,
    sessionCache,
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

export type { AuthOptions, Duration, ResolvedOptions };
export { parseDuration };
