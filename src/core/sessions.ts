import type { BaseContext } from './base-context.js';
import { AuthError, toStoreError } from './errors.js';
import { randomToken, safeEqual, sha256 } from '../lib/crypto.js';
import { idleOf } from './lifetime.js';
import { readShared, sharedReads, type SharedReads, type SharedRecord } from '../stores/fast-read.js';
import { isSessionId } from '../stores/rules/kit.js';
import { isLive } from '../stores/rules/liveness.js';
import type { SessionCache } from './session-cache.js';
import type { SessionStore } from '../stores/contract.js';
import type { SessionInfo, SessionMeta, SessionRecord } from './types.js';
import { traceStore, tracers } from './tracing.js';

const META_LIMIT = 512;

/** A fresh session id: from the store's `newId` hook when it has one (checked for shape), else 128 random bits. */
export function newSessionId(store?: Pick<SessionStore, 'newId'>, userId?: string): string {
  if (store?.newId && userId !== undefined) {
    const id = store.newId(userId);
    if (!isSessionId(id)) throw new TypeError('latchkey: store.newId must return 22 base64url characters.');
    return id;
  }
  return randomToken(16);
}

/** A fresh 256-bit secret and the hash the store keeps of it. */
export function newSecret(): { secret: string; hash: string } {
  const secret = randomToken(32);
  return { secret, hash: sha256(secret) };
}

/** The record without its secret material: what the app sees. */
export function toInfo<D>(record: SessionRecord<D>): SessionInfo<D> {
  const { id, userId, data, createdAt, authTime, amr, lastSeenAt, idleExpiresAt, absoluteExpiresAt, meta } = record;
  return { id, userId, data, createdAt, authTime, ...(amr ? { amr: [...amr] } : {}), lastSeenAt, idleExpiresAt, absoluteExpiresAt, meta: { ...meta } };
}

/** Idle and overall expiry for activity at `at`, under the session's own idle timeout when it has one. */
export function activityAt(ctx: BaseContext, at: number, record: Pick<SessionRecord, 'absoluteExpiresAt' | 'idleTimeout'>): { lastSeenAt: number; idleExpiresAt: number; expiresAt: number } {
  const { absoluteExpiresAt } = record;
  const idle = idleOf(ctx.options, record);
  const idleExpiresAt = idle === null ? absoluteExpiresAt : Math.min(at + idle, absoluteExpiresAt);
  return { lastSeenAt: at, idleExpiresAt, expiresAt: Math.min(idleExpiresAt, absoluteExpiresAt) };
}

/** Keeps only short strings in device meta, so a hostile User-Agent cannot bloat the store. */
export function cleanMeta(meta: SessionMeta | undefined): SessionMeta {
  const out: SessionMeta = {};
  for (const key of ['userAgent', 'ip', 'label'] as const) {
    const value = meta?.[key];
    if (typeof value === 'string' && value !== '') out[key] = value.slice(0, META_LIMIT);
  }
  return out;
}

/** Throws `session_expired` when the idle or absolute timeout has passed at `now`. */
export function assertLive(record: SessionRecord, now: number): void {
  if (!isLive(record, now)) throw new AuthError('session_expired');
}

/** Loads a record and enforces both timeouts; an expired record is deleted. Throws session_invalid / session_expired. */
export async function loadLive(ctx: BaseContext, id: string): Promise<SessionRecord> {
  const record = await ctx.io((s) => s.get(id));
  if (!record) throw new AuthError('session_invalid');
  try {
    assertLive(record, ctx.now());
  } catch (error) {
    await ctx.io((s) => s.delete(id, { reason: 'expired' })).catch(() => {});
    ctx.markRevoked([id], 'expired');
    throw error;
  }
  return record;
}

/** Refusals of a cookie whose session is live but whose secret is not the current one; see `isStaleCopy`. */
const staleCopies = new WeakSet<object>();

/**
 * True when a session cookie was refused because it is the copy from before `reauthenticate` (its secret is
 * the previous one). Its answer clears no cookies: a request in flight during the step-up must not wipe the
 * cookie the step-up's response just set. Any other wrong secret is refused and cleared as usual.
 */
export function isStaleCopy(error: unknown): boolean {
  return typeof error === 'object' && error !== null && staleCopies.has(error);
}

/** The store's read-only read (no copy; the memory store's needs no promise); a failure becomes `store_unavailable`. */
function readWithoutCopy(store: SharedReads, id: string): SharedRecord | null | Promise<SharedRecord | null> {
  try {
    return store[readShared](id);
  } catch (error) {
    throw toStoreError(error);
  }
}

/** The context of the cookie check: the primitives' context and, when the Auth has one, its session cache. */
export type CookieContext = BaseContext & { readonly cache?: SessionCache };

/**
 * Validates a session cookie value (`id.secret`, secret compared in constant time against its stored hash)
 * and returns the live record read-only: it may be the store's own frozen object, so never change it.
 */
export async function checkSessionToken(ctx: CookieContext, value: string): Promise<SharedRecord> {
  return checkSessionTokenNow(ctx, value);
}

/**
 * `checkSessionToken` without a promise when the answer needs no I/O: the memory store, or a record in the
 * session cache while the store's channel is confirmed (see session-cache.ts); throws synchronously then.
 * Either way the presented secret is hashed and compared with the record's hash, and both timeouts are
 * checked against the clock. A cached copy past its idle expiry is read again before the refusal (another
 * instance's touch moves the idle expiry without a broadcast); past its absolute expiry it is refused as is.
 */
export function checkSessionTokenNow(ctx: CookieContext, value: string): SharedRecord | Promise<SharedRecord> {
  if (value.length !== 66 || value.charCodeAt(22) !== 0x2e) throw new AuthError('session_invalid');
  // A cookie value is `<sessionId>.<secret>` (a 128-bit id and a 256-bit secret, both base64url). Only the id
  // reaches the store, so only the id is checked character by character: no other secret hashes to the stored hash.
  const id = value.slice(0, 22);
  if (!isSessionId(id)) throw new AuthError('session_invalid');
  const cache = ctx.cache?.forCookies ? ctx.cache : undefined;
  let mark = -1;
  if (cache) {
    if (cache.ended(id)) throw new AuthError('session_invalid');
    cache.listen();
    const trusted = cache.trusted(ctx.options.sessionCache.maxRevocationDelay);
    if (trusted) {
      const now = ctx.now();
      const hit = cache.get(id, now, ctx.options.touchEvery);
      if (hit && isLive(hit, now)) return checkSecret(value, hit);
      if (hit && now >= hit.absoluteExpiresAt) {
        ctx.markRevoked([id], 'expired'); // ended for good (and out of the cache); the store expires it by itself: no call needed
        throw new AuthError('session_expired');
      }
    }
    mark = cache.mark(trusted);
  }
  const shared = sharedReads(ctx.store);
  const read = shared ? (tracers.store.hasSubscribers ? traceStore('get', () => shared[readShared](id)) : readWithoutCopy(shared, id)) : ctx.io((s) => s.get(id));
  if (!(read instanceof Promise)) return checkRecord(ctx, value, read, mark);
  // one promise for the read's outcome, failures mapped as ctx.io maps them
  return read.then(
    (record) => checkRecord(ctx, value, record, mark),
    (error: unknown) => {
      throw toStoreError(error);
    },
  );
}

/** The record of a cookie value once read: live, and its secret's hash matches (else the AuthError). Kept in the cache from `mark`. */
function checkRecord(ctx: CookieContext, value: string, record: SharedRecord | null, mark: number): SharedRecord | Promise<never> {
  if (!record) throw new AuthError('session_invalid');
  const now = ctx.now();
  if (!isLive(record, now)) {
    const id = value.slice(0, 22);
    ctx.markRevoked([id], 'expired'); // ended for good: its cookie and its tokens are refused here without I/O from now on
    return ctx.io((s) => s.delete(id, { reason: 'expired' })).catch(() => {}).then(() => {
      throw new AuthError('session_expired');
    });
  }
  if (mark >= 0) ctx.cache?.remember(record, mark, now);
  return checkSecret(value, record);
}

/** The record when the cookie's secret hashes to its `secretHash` (constant-time comparison); else `session_invalid`. */
function checkSecret(value: string, record: SharedRecord): SharedRecord {
  const presented = sha256(value.slice(23));
  if (!safeEqual(presented, record.secretHash)) {
    const error = new AuthError('session_invalid');
    if (record.previousSecretHash !== undefined && safeEqual(presented, record.previousSecretHash)) staleCopies.add(error);
    throw error;
  }
  return record;
}

/**
 * Records activity at most once per `touchEvery` (per instance, with the session cache): reads stay reads
 * (`null`: nothing to write). A failed touch never fails the request.
 */
export function touch(ctx: CookieContext, record: SharedRecord): Promise<void> | null {
  const now = ctx.now();
  if (now - record.lastSeenAt < ctx.options.touchEvery) return null;
  const activity = activityAt(ctx, now, record);
  // the cached copy moves now, so the requests that follow do not touch again; a failed touch drops it
  const cache = ctx.cache;
  cache?.touched(record.id, activity);
  return ctx.io((s) => s.touch(record.id, activity)).catch(() => cache?.forget([record.id], false));
}
