// Revocation for a verifier given the issuer's store: the rule of `accessToken.checkSession` (core/session-check.ts),
// for a process that only reads. It subscribes to the store's revocation broadcast and never writes a session.
//
// A token's session is refused at once when the broadcast named it revoked. Otherwise its answer comes from a
// small cache of sessions this verifier read as live, for up to `recheckEvery`, but only while the channel is
// confirmed: the store's `broadcastLag()` within `maxRevocationDelay` (a store without `broadcastLag` is trusted
// while it is subscribed, as the core trusts it). When the channel is silent past that bound, or the store
// cannot broadcast at all (the memory store), every check reads the store (`store.get`, a read) and the cache is
// emptied, since messages may have been missed; a store that fails or times out then answers
// `store_unavailable` (503): fail closed, as checkSession does. Where the core deletes an expired record it
// finds, the verifier only refuses it (`session_expired`): the issuer's own sweep removes it.
import { AuthError, toStoreError } from '../core/errors.js';
import { LRU } from '../lib/lru.js';
import { isLive } from '../stores/rules/liveness.js';
import { toBroadcast, type SessionStore, type StoreBroadcast } from '../stores/contract.js';
import type { SessionRecord } from '../core/types.js';

/** What the verifier reads of the issuer's store: `get`, and the broadcast when the store has one. */
export type RevocationStore = Pick<SessionStore, 'get' | 'subscribe' | 'broadcastLag'>;

/** Settings of the revocation check, validated by the options (milliseconds). */
export interface RevocationOptions {
  store: RevocationStore;
  maxRevocationDelay: number;
  recheckEvery: number;
  now: () => number;
}

/** A verifier's view of which sessions are still live. */
export interface RevocationCheck {
  /** Resolves when the session may be used; throws `session_invalid`, `session_expired` or `store_unavailable`. */
  check(sessionId: string): Promise<void>;
  /** Milliseconds since the channel was last confirmed; `null` when the verifier is not listening (reads every time). */
  lag(): number | null;
  /** Stops listening to the broadcast (only this verifier's listener). */
  close(): void;
}

type Liveness = Pick<SessionRecord, 'userId' | 'idleExpiresAt' | 'absoluteExpiresAt' | 'expiresAt'>;

const KNOWN_SESSIONS = 10_000;
const REVOKED_SESSIONS = 100_000;

/**
 * The revocation check over a store (see the rules at the top of this file).
 * @example
 * const revocation = createRevocationCheck({ store, maxRevocationDelay: 2000, recheckEvery: 60_000, now: Date.now });
 */
export function createRevocationCheck(options: RevocationOptions): RevocationCheck {
  const { store, maxRevocationDelay, recheckEvery, now } = options;
  const known = new LRU<string, { live: Liveness; checkedAt: number }>(KNOWN_SESSIONS);
  // Session ids are never reused, so a revoked id stays refused; the bound only costs a store read for the oldest.
  const revoked = new LRU<string, true>(REVOKED_SESSIONS);
  const canListen = typeof store.subscribe === 'function';
  let unsubscribe: (() => void) | undefined;
  let listening = false;
  let closed = false;
  /** Bumped by every broadcast: a read that straddles one is not cached (the message may be about it). */
  let messages = 0;

  function listener(message: StoreBroadcast | readonly string[] | null): void {
    messages++;
    if (message === null) return known.clear();
    const { revoked: ids, changed, users = [] } = toBroadcast(message);
    for (const id of ids) {
      revoked.set(id, true);
      known.delete(id);
    }
    for (const id of changed) known.delete(id);
    if (users.length > 0) {
      const gone = new Set(users);
      for (const [id, hit] of known.entries()) if (gone.has(hit.live.userId)) known.delete(id);
    }
  }

  function listen(): void {
    if (listening || closed || !canListen) return;
    try {
      unsubscribe = store.subscribe!(listener);
      listening = true;
    } catch {
      closed = true; // as in the core: a store that cannot subscribe is never trusted, every check reads it
    }
  }

  function lag(): number | null {
    if (!listening) return null;
    return store.broadcastLag ? store.broadcastLag() : 0;
  }

  return {
    async check(sessionId) {
      listen();
      if (revoked.peek(sessionId)) throw new AuthError('session_invalid');
      const at = now();
      const currentLag = lag();
      const trusted = currentLag !== null && currentLag <= maxRevocationDelay;
      if (trusted) {
        const hit = known.get(sessionId);
        if (hit && at - hit.checkedAt < recheckEvery) {
          if (!isLive(hit.live, at)) throw new AuthError('session_expired');
          return;
        }
      } else if (known.size > 0) {
        known.clear(); // the broadcast may have missed a revocation: nothing cached can be trusted again
      }
      const before = messages;
      let record: SessionRecord | null;
      try {
        record = await store.get(sessionId);
      } catch (error) {
        throw toStoreError(error);
      }
      if (revoked.peek(sessionId) || !record) throw new AuthError('session_invalid');
      if (!isLive(record, now())) throw new AuthError('session_expired');
      // cached only when read under a confirmed channel with no message meanwhile: a revocation lost in a silent
      // gap, or sent while this read was in flight, could otherwise outlive it (the core's rule too)
      if (trusted && before === messages) {
        const { userId, idleExpiresAt, absoluteExpiresAt, expiresAt } = record;
        known.set(sessionId, { live: { userId, idleExpiresAt, absoluteExpiresAt, expiresAt }, checkedAt: at });
      }
    },
    lag,
    close() {
      closed = true;
      listening = false;
      known.clear();
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}
