// The context every session primitive takes (options, store, clock, events), before the checkSession cache
// is attached: its own file so that the primitives and the context that wires them import it without a circle.
import type { LRU } from '../lib/lru.js';
import type { SessionStore } from '../stores/contract.js';
import type { AuthEvent } from './events.js';
import type { ResolvedOptions } from './option-types.js';
import type { SessionEndReason } from './types.js';

/** What every flow shares, before the checkSession cache is attached. Internal. */
export interface BaseContext {
  readonly options: ResolvedOptions;
  readonly store: SessionStore;
  readonly now: () => number;
  /** Session ids revoked recently (locally or by broadcast), kept for an access token's lifetime. */
  readonly revoked: LRU<string, number>;
  emit(event: AuthEvent): void;
  /** Runs a store call; any failure becomes `store_unavailable` (fail closed). */
  io<T>(call: (store: SessionStore) => Promise<T>): Promise<T>;
  /**
   * Records revocations (local, or heard on the channel) so checkSession refuses them at once, and ends their
   * watches with `reason` (default `'revoked'`: ended from elsewhere, cause not known).
   */
  markRevoked(sessionIds: readonly string[], reason?: SessionEndReason): void;
}

