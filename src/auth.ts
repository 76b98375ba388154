// createAuth: validates the options, wires the store, the token service and the context, and returns
// the Auth object whose methods are the flows in src/flows/.
import type { Auth } from './core/auth-api.js';
import { createContext, withTokens, type TokenContext } from './core/context.js';
import { clearingCookies } from './core/cookies.js';
import { verifyAccessToken } from './flows/authenticate.js';
import { health } from './flows/health.js';
import { reauthenticate } from './flows/reauthenticate.js';
import { sessionsAPI } from './flows/sessions-api.js';
import { elevate } from './flows/sign-in.js';
import { tracedAuthenticate, tracedRefresh, tracedResolve, tracedSignIn, tracedSignOut, tracedSignOutEverywhere, tracedSignOutRequest } from './flows/traced-flows.js';
import type { KeyInput } from './core/keys.js';
import { resolveOptions, type AuthOptions } from './core/options.js';
import { checkStore } from './stores/rules/kit.js';
import { followClock, memoryStore } from './stores/memory.js';
import type { SessionStore } from './stores/contract.js';
import { TokenService } from './core/tokens.js';

/**
 * Creates the latchkey engine. Bad options throw here with a message that says what to change.
 * @example
 * const auth = createAuth({ keys: [await generateKey('Ed25519')], issuer: 'https://api.example.com', audience: 'web' });
 * const { setCookies, accessToken } = await auth.signIn({ userId: '42', data: { role: 'admin' } });
 */
export function createAuth(options: AuthOptions & { keys: readonly KeyInput[] }): Auth<true>;
export function createAuth(options?: AuthOptions & { keys?: undefined }): Auth<false>;
export function createAuth(options?: AuthOptions): Auth<boolean>;
export function createAuth(options: AuthOptions = {}): Auth<boolean> {
  const resolved = resolveOptions(options);
  let store: SessionStore;
  const ownsStore = options.store === undefined;
  if (options.store === undefined) {
    store = memoryStore({ now: resolved.now });
  } else {
    checkStore(options.store);
    store = options.store;
    // An injected clock must govern a memory store's TTLs too, or records vanish (or linger) by the wall clock.
    if (options.now !== undefined) followClock(store, resolved.now);
  }
  const ctx = createContext(resolved, store);
  const tk = resolved.tokens ? withTokens(ctx, new TokenService(resolved.tokens, resolved.now), resolved.tokens) : null;

  function requireTokens(): TokenContext {
    if (!tk) throw new TypeError('latchkey: this Auth issues no tokens; pass keys, issuer and audience to createAuth.');
    return tk;
  }

  return {
    // the flows that publish on latchkey's tracing channels (src/core/tracing.ts): the bare flow while nobody listens
    signIn: (input) => tracedSignIn(ctx, tk, input),
    authenticate: (request) => tracedAuthenticate(ctx, tk, request),
    resolve: (request) => tracedResolve(ctx, tk, request),
    refresh: async (input) => tracedRefresh(requireTokens(), input),
    signOut: (sessionId) => tracedSignOut(ctx, sessionId),
    signOutRequest: (request) => tracedSignOutRequest(ctx, tk, request),
    signOutEverywhere: (userId, opts) => tracedSignOutEverywhere(ctx, userId, opts),
    elevate: (sessionId, opts) => elevate(ctx, tk, sessionId, opts),
    reauthenticate: (sessionId, opts) => reauthenticate(ctx, tk, sessionId, opts),
    verifyAccessToken: async (token) => verifyAccessToken(requireTokens(), token),
    jwks: async () => requireTokens().tokens.jwks(),
    setKeys: async (keys) => requireTokens().tokens.setKeys(keys),
    clearCookies: () => clearingCookies(resolved.cookies),
    health: (opts) => health(ctx, opts),
    watch: (sessionId: unknown, onEnd: unknown, opts?: unknown) => ctx.watch.watch(sessionId, onEnd, opts),
    async ready() {
      await tk?.tokens.ready();
    },
    async close() {
      // Releases what this Auth took: its broadcast listener, and the store only if it made it. A store the
      // app passed may be shared with other Auth instances; it closes its connections with its last listener.
      ctx.watch.close();
      ctx.check.close();
      if (ownsStore) await store.close?.();
    },
    sessions: sessionsAPI(ctx),
    cookies: { session: resolved.cookies.sessionName, refresh: resolved.cookies.refreshName, refreshPath: resolved.cookies.refreshPath },
  } as Auth<boolean>;
}
