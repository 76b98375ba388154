export { createAuth } from './auth.js';
export type { Auth, RefreshResult, Resolution, SessionsAPI, SessionUpdate, SignInInput, SignInResult, TokenFields } from './auth-types.js';
export { AuthError, ERROR_STATUS, isAuthError } from './errors.js';
export type { AuthErrorCode } from './errors.js';
export type { AuthEvent, AuthEventBase, AuthEventType } from './events.js';
export { exportKey, generateKey, importKey, SIGNING_ALGORITHMS } from './keys.js';
export type { KeyInput, KeyOptions, SigningAlgorithm, SigningKey } from './keys.js';
export { parseDuration } from './options.js';
export type { AuthOptions, Duration } from './options.js';
export { errorResponse, refreshResponse, requireAuthOptions, requireContext, signOutResponse } from './http.js';
export type { ErrorResponse, RequireAuthOptions, SuccessResponse } from './http.js';
export { memoryStore } from './stores/memory.js';
export type { MemoryStore, MemoryStoreOptions } from './stores/memory.js';
export { applyRefreshStep, checkStore } from './stores/store.js';
export type { RefreshAdvance, RefreshStep, SessionActivity, SessionStore } from './stores/store.js';
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
  SessionData,
  SessionInfo,
  SessionMeta,
  SessionRecord,
} from './types.js';
