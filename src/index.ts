// latchkey: the operations an app calls and the types it uses (re-exports only).
// Adapter plumbing lives in `latchkey/adapter`, store-author rules in `latchkey/store`.
export { createAuth } from './auth.js';
export type { Auth, ReauthenticateOptions, RefreshResult, Resolution, SessionsAPI, SessionUpdate, SignInInput, SignInResult, TokenFields } from './auth-api.js';
export { AuthError, ERROR_STATUS, isAuthError } from './errors.js';
export type { AuthErrorCode } from './errors.js';
export type { AuthEvent, AuthEventBase, AuthEventType } from './events.js';
export { assertFresh, parseMaxAge } from './freshness.js';
export type { MaxAge } from './freshness.js';
export { exportKey, generateKey, importKey, SIGNING_ALGORITHMS } from './keys.js';
export type { KeyInput, KeyOptions, SigningAlgorithm, SigningKey } from './keys.js';
export type { SessionLifetime } from './lifetime.js';
export { parseDuration } from './options.js';
export type { AuthOptions, Duration } from './options.js';
export { memoryStore } from './stores/memory.js';
export type { MemoryStore, MemoryStoreOptions } from './stores/memory.js';
export type { SessionStore } from './stores/store.js';
export type { JSONWebKeySet } from './tokens.js';
export type {
  AccessTokenClaims,
  AppClaims,
  AuthContext,
  AuthRequest,
  BearerAuthContext,
  CookieAuthContext,
  JSONValue,
  RefreshState,
  Register,
  RegisteredClaims,
  RegisteredTokens,
  SessionData,
  SessionInfo,
  SessionMeta,
  SessionRecord,
} from './types.js';

// Deprecated root re-exports, kept for one minor version (0.2.x) so 0.1 code keeps working.
// (each alias in deprecated.ts carries its own @deprecated tag, which survives into the built .d.ts)
export { errorResponse, refreshResponse, requireAuthOptions, requireContext, signOutResponse } from './deprecated.js';
export type { ErrorResponse, RequireAuthOptions, SuccessResponse } from './deprecated.js';
/** @deprecated Import from `latchkey/store`; the root re-export goes in 0.3. */
export { applyRefreshStep, checkStore } from './stores/kit.js';
/** @deprecated Import from `latchkey/store`; the root re-export goes in 0.3. */
export type { RefreshAdvance, RefreshStep, SessionActivity } from './stores/store.js';
