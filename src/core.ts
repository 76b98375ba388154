import { emit, type AuthEvent } from './events.js';
import { toStoreError } from './errors.js';
import { LRU } from './lib/lru.js';
import type { ResolvedOptions } from './options.js';
import type { SessionStore } from './stores/store.js';
import type { TokenService } from './tokens.js';

/** What every core module shares: options, the store, the token service, the clock. Internal. */
export interface Core {
  readonly options: ResolvedOptions;
  readonly store: SessionStore;
  readonly tokens: TokenService | null;
  readonly now: () => number;
  /** Session ids revoked recently (locally or by broadcast), kept for an access token's lifetime. */
  readonly revoked: LRU<string, number>;
  emit(event: AuthEvent): void;
  /** Runs a store call; any failure becomes `store_unavailable` (fail closed). */
  io<T>(call: (store: SessionStore) => Promise<T>): Promise<T>;
  /** Records local revocations so checkSession refuses them at once. */
  markRevoked(sessionIds: readonly string[]): void;
}

/** Builds the shared core context. */
export function createCore(options: ResolvedOptions, store: SessionStore, tokens: TokenService | null): Core {
  const revoked = new LRU<string, number>(100_000);
  const now = options.now;
  return {
    options,
    store,
    tokens,
    now,
    revoked,
    emit: (event) => emit(options.onEvent, event),
    async io(call) {
      try {
        return await call(store);
      } catch (error) {
        throw toStoreError(error);
      }
    },
    markRevoked(sessionIds) {
      const until = now() + (options.tokens ? options.tokens.accessTtl + options.tokens.clockTolerance : 0);
      for (const id of sessionIds) revoked.set(id, until);
    },
  };
}
