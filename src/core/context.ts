// The small typed context every flow is a function of: options, the store, the clock, events, and the
// checkSession cache; `TokenContext` adds the token service for the flows that issue or verify tokens.
import { emit } from './events.js';
import { toStoreError } from './errors.js';
import { LRU } from '../lib/lru.js';
import type { SessionStore } from '../stores/contract.js';
import type { BaseContext } from './base-context.js';
import type { ResolvedOptions, TokenOptions } from './option-types.js';
import { createSessionCache, type SessionCache } from './session-cache.js';
import { createSessionCheck, type SessionCheck } from './session-check.js';
import { createSessionWatch, type SessionWatch } from './session-watch.js';
import type { TokenService } from './tokens.js';
import { tracedStore, tracers } from './tracing.js';

/** What every flow shares. Internal. */
export interface Context extends BaseContext {
  /** The `accessToken.checkSession` cache (revoked ids, recently checked sessions). */
  readonly check: SessionCheck;
  /** The records recently read, trusted while the store's channel is confirmed (cookie and bearer checks). */
  readonly cache: SessionCache;
  /** `auth.watch`: connections told when their session ends, here or on another instance. */
  readonly watch: SessionWatch;
}

/** The context of an Auth that issues tokens. Internal. */
export interface TokenContext extends Context {
  readonly tokens: TokenService;
  readonly tokenOptions: TokenOptions;
}

/** Builds the shared context (and its checkSession cache) for one Auth. */
export function createContext(options: ResolvedOptions, store: SessionStore): Context {
  const revoked = new LRU<string, number>(100_000);
  const now = options.now;
  let cache: SessionCache | undefined;
  let watch: SessionWatch | undefined;
  const base: BaseContext = {
    options,
    store,
    now,
    revoked,
    emit: (event) => emit(options.onEvent, event),
    async io(call) {
      try {
        // while someone listens on latchkey:store, the call gets the store with every method traced
        return await call(tracers.store.hasSubscribers ? tracedStore(store) : store);
      } catch (error) {
        throw toStoreError(error);
      }
    },
    markRevoked(sessionIds, reason = 'revoked') {
      const until = now() + (options.tokens ? options.tokens.accessTtl + options.tokens.clockTolerance : 0);
      for (const id of sessionIds) revoked.set(id, until);
      cache?.forget(sessionIds, true);
      watch?.ended(sessionIds, reason);
    },
  };
  const { cookies, max, maxBytes } = options.sessionCache;
  cache = createSessionCache(base, { cookies, max, maxBytes, wanted: cookies || options.tokens?.checkSession === true });
  watch = createSessionWatch(base, cache);
  return { ...base, cache, watch, check: createSessionCheck(base, cache) };
}

/** The token context of an Auth with keys: the same context plus the token service and its options. */
export function withTokens(context: Context, tokens: TokenService, tokenOptions: TokenOptions): TokenContext {
  return { ...context, tokens, tokenOptions };
}
