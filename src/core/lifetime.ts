// Per-session lifetime and authentication facts: what `signIn({ lifetime, amr })` and `reauthenticate`
// may ask for, checked against the bounds set in createAuth, as the fields a new record carries.
import { parseDuration, type Duration } from './duration.js';
import type { ResolvedOptions } from './option-types.js';

/** This session's lifetime, within `createAuth`'s `session.maxIdleTimeout` / `session.maxAbsoluteTimeout`. */
export interface SessionLifetime {
  /** Sign out after this long without activity. Default: `session.idleTimeout`. */
  idle?: Duration;
  /** Sign out this long after sign-in, whatever happens. Default: `session.absoluteTimeout`. */
  absolute?: Duration;
  /** `false`: the cookies carry no Max-Age and end when the browser closes ("remember me" unticked). Default `true`. */
  persistent?: boolean;
}

/** The per-session fields of a new record (absent: the Auth's defaults apply). Internal. */
export interface RecordShape {
  amr?: string[];
  idleTimeout?: number;
  absoluteTimeout?: number;
  persistent?: false;
  /** Keep this absolute expiry (elevate) instead of starting a new one. */
  absoluteExpiresAt?: number;
}

const MAX_AMR = 16;
const AMR_VALUE = /^[\x21-\x7e]{1,64}$/;

function fail(where: string, message: string): never {
  throw new TypeError(`latchkey: ${where}: ${message}`);
}

/** Checks authentication methods (RFC 8176 values such as 'pwd', 'otp', 'hwk'); returns a copy. */
export function checkAMR(amr: unknown, where: string): string[] | undefined {
  if (amr === undefined) return undefined;
  if (!Array.isArray(amr) || amr.length === 0 || amr.length > MAX_AMR || !amr.every((v) => typeof v === 'string' && AMR_VALUE.test(v))) {
    fail(where, `amr must be a non-empty array of up to ${MAX_AMR} method names such as ['pwd', 'otp'] (RFC 8176).`);
  }
  return [...new Set(amr as string[])];
}

/** The session's own idle timeout in ms: the record's, else the Auth's (`null`: none). */
export function idleOf(options: Pick<ResolvedOptions, 'idleTimeout'>, record: { idleTimeout?: number }): number | null {
  return typeof record.idleTimeout === 'number' ? record.idleTimeout : options.idleTimeout;
}

/** The session's own absolute lifetime in ms: the record's, else the Auth's. */
export function absoluteOf(options: Pick<ResolvedOptions, 'absoluteTimeout'>, record: { absoluteTimeout?: number }): number {
  return typeof record.absoluteTimeout === 'number' ? record.absoluteTimeout : options.absoluteTimeout;
}

/** Checks `signIn({ lifetime })` against the bounds of createAuth; throws a TypeError that says what to change. */
export function resolveLifetime(options: ResolvedOptions, lifetime: SessionLifetime | undefined): RecordShape {
  const where = 'signIn({ lifetime })';
  if (lifetime === undefined) return {};
  if (typeof lifetime !== 'object' || lifetime === null) fail(where, "lifetime must be an object such as { idle: '2h', absolute: '90d' }.");
  for (const key of Object.keys(lifetime)) {
    if (!['idle', 'absolute', 'persistent'].includes(key)) fail(where, `unknown key ${key}; expected idle, absolute, persistent.`);
  }
  const shape: RecordShape = {};
  const { maxIdleTimeout, maxAbsoluteTimeout, touchEvery } = options;
  if (lifetime.absolute !== undefined) {
    const absolute = parseDuration(lifetime.absolute, 'lifetime.absolute');
    if (absolute <= 0 || absolute > maxAbsoluteTimeout) fail(where, `absolute must be above zero and at most session.maxAbsoluteTimeout (${maxAbsoluteTimeout / 1000}s); raise that bound in createAuth to allow longer sessions.`);
    shape.absoluteTimeout = absolute;
  }
  if (lifetime.idle !== undefined) {
    const idle = parseDuration(lifetime.idle, 'lifetime.idle');
    if (maxIdleTimeout !== null && idle > maxIdleTimeout) fail(where, `idle must be at most session.maxIdleTimeout (${maxIdleTimeout / 1000}s); raise that bound in createAuth to allow longer idle times.`);
    if (idle <= touchEvery) fail(where, `idle must be longer than session.touchEvery (${touchEvery / 1000}s), or activity would never keep the session alive.`);
    if (idle > absoluteOf(options, shape)) fail(where, 'idle cannot be longer than the absolute lifetime.');
    shape.idleTimeout = idle;
  }
  if (lifetime.persistent !== undefined) {
    if (typeof lifetime.persistent !== 'boolean') fail(where, 'persistent must be true or false.');
    if (!lifetime.persistent) shape.persistent = false;
  }
  return shape;
}
