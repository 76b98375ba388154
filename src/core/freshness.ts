// Step-up: whether a request's sign-in is recent enough (RFC 9470 max_age), decided from the context alone.
import { fail, parseDuration, type Duration } from './duration.js';
import { AuthError } from './errors.js';
import type { AuthContext } from './types.js';

/** A `maxAge` option checked once: milliseconds, and the whole seconds the challenge names. */
export interface MaxAge {
  readonly ms: number;
  readonly seconds: number;
}

/**
 * Parses a `maxAge` option (`requireAuth({ maxAge })` unless `name` says which); throws a TypeError that says what to write.
 * @example
 * const fiveMinutes = parseMaxAge('5m'); // { ms: 300000, seconds: 300 }
 */
export function parseMaxAge(value: Duration, name = 'requireAuth({ maxAge })'): MaxAge {
  const ms = parseDuration(value, name);
  if (ms < 1000) fail(`${name} must be at least '1s' (RFC 9470 counts whole seconds), e.g. maxAge: '5m'.`);
  return { ms, seconds: Math.floor(ms / 1000) };
}

/**
 * Throws `reauthentication_required` (401, carrying `max_age`) when the request's last real authentication
 * is older than `maxAge` at `now`. A context without a known authentication time (`authTime: 0`) is stale.
 * @example
 * assertFresh(ctx, parseMaxAge('5m'), Date.now());
 */
export function assertFresh(auth: Pick<AuthContext, 'authTime'>, maxAge: MaxAge, now: number): void {
  if (!(auth.authTime > 0) || now - auth.authTime > maxAge.ms) {
    throw new AuthError('reauthentication_required', undefined, { maxAge: maxAge.seconds });
  }
}
