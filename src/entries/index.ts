// latchkey: the operations an app calls and the types it uses (re-exports only).
// Adapter plumbing lives in `latchkey/adapter`, store-author rules in `latchkey/store`.
export { createAuth } from '../auth.js';
export type { Auth, Health, HealthOptions, ReauthenticateOptions, RefreshResult, Resolution, SessionsAPI, SessionUpdate, SignInInput, SignInResult, TokenFields, WatchOptions, WatchReason } from '../core/auth-api.js';
export { AuthError, ERROR_STATUS, isAuthError } from '../core/errors.js';
export type { AuthErrorCode } from '../core/errors.js';
export type { AuthEvent, AuthEventBase, AuthEventType } from '../core/events.js';
export { assertFresh, parseMaxAge } from '../core/freshness.js';
export type { MaxAge } from '../core/freshness.js';
export { exportKey, generateKey, importKey, SIGNING_ALGORITHMS } from '../core/keys.js';
export type { KeyInput, KeyOptions, SigningAlgorithm, SigningKey } from '../core/keys.js';
export type { SessionLifetime } from '../core/lifetime.js';
export { parseDuration } from '../core/options.js';
export type { AuthOptions, Duration } from '../core/options.js';
export { traceChannels } from '../core/tracing.js';
export type { TraceContext, TracedOperation, TraceOutcome } from '../core/tracing.js';
export { memoryStore } from '../stores/memory.js';
export type { MemoryStore, MemoryStoreOptions } from '../stores/memory.js';
export type { SessionStore } from '../stores/contract.js';
export type { JSONWebKeySet } from '../core/tokens.js';
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
  SessionEndReason,
  SessionInfo,
  SessionMeta,
  SessionRecord,
} from '../core/types.js';

