// An internal, optional store method for the per-request cookie check: the record as stored, read-only,
// without the copy `get` makes for callers that may change it. The memory store answers synchronously
// with its own frozen record; the Redis store reads Redis as `get` does and reuses its last parse of the
// same JSON (shared-decode.ts). Other stores fall back to `get`.
import type { SessionRecord } from '../core/types.js';
import type { SessionStore } from './contract.js';

/**
 * A record handed out without a copy: deeply frozen by the store; read it, never change it. Its version and
 * refresh state are not part of it (the cookie check reads neither, and the Redis store does not fetch them).
 */
export type SharedRecord = Readonly<Omit<SessionRecord, 'version' | 'refresh'>>;

/** The key of the read-only read (a registered symbol, so two copies of latchkey agree on it). */
export const readShared = Symbol.for('latchkey.store.readShared');

/** A store that can hand out a live record read-only; `null` when absent or expired, like `get`. */
export interface SharedReads {
  [readShared](id: string): SharedRecord | null | Promise<SharedRecord | null>;
}

/** The store's read-only read, when it has one. */
export function sharedReads(store: SessionStore): SharedReads | null {
  return typeof (store as Partial<SharedReads>)[readShared] === 'function' ? (store as SessionStore & SharedReads) : null;
}
