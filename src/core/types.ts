/**
 * Augment this interface once to type session data and access-token claims everywhere:
 * the core, `req.auth` (Express), `request.auth` (Fastify) and `ctx.state.auth` (Koa). `tokens: true`
 * (or `false`) says whether the app's Auth issues tokens, for the Fastify plugin, whose reply decorations
 * cannot see the Auth it was registered with (`reply.signIn` then returns `accessToken: string`).
 * @example
 * declare module 'latchkey' {
 *   interface Register { data: { role: 'admin' | 'user' }; claims: { role: string }; tokens: true }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Register {}

/** A JSON value: what session data may hold (it round-trips through the store as JSON). */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

/** Whether the app's Auth issues tokens: `Register['tokens']` when declared, otherwise `boolean` (either). */
export type RegisteredTokens = Register extends { tokens: infer T extends boolean } ? T : boolean;

/** The session data type: `Register['data']` when declared, otherwise a JSON object. */
export type SessionData = Register extends { data: infer D } ? D : Record<string, unknown>;

/** App claims carried in access tokens: `Register['claims']` when declared, otherwise a JSON object. */
export type AppClaims = Register extends { claims: infer C } ? C : Record<string, unknown>;

/** Descriptive facts about the device a session belongs to (shown in "my devices" lists). */
export interface SessionMeta {
  userAgent?: string;
  ip?: string;
  label?: string;
}

/**
 * Refresh-token state. A generation's secret is HMAC(server key, session id | generation), so every
 * generation ever issued can be recomputed and checked: exact replay detection with O(1) storage.
 */
export interface RefreshState {
  /** The newest generation issued; presenting it rotates. Every earlier one but `previous` is a replay (theft). */
  generation: number;
  /** When the current generation was issued (ms); the grace window runs from here. */
  rotatedAt: number;
  /** When the current refresh token stops being accepted (ms). */
  expiresAt: number;
  /**
   * The first generation of the current family (absent: 0). `reauthenticate` starts a new family here, so
   * every token of the old one is refused as invalid, never mistaken for a replay of the new family.
   */
  firstGeneration?: number;
  /**
   * The generation the current one was rotated from: the last one a client actually presented (-1: none yet).
   * Presenting it again is a retry, never theft (see stores/rules/refresh-step.ts); absent in records written
   * before it existed, where it is the generation before the current one, within the family.
   */
  previous?: number;
}

/** The one server-side record per sign-in (per device). Stores persist it as JSON. */
export interface SessionRecord<D = SessionData> {
  id: string;
  userId: string;
  /** Compare-and-set version: every data or rotation write increments it. */
  version: number;
  /** SHA-256 of the session cookie's secret (base64url); the secret itself is never stored. */
  secretHash: string;
  /** SHA-256 of the secret before the last `reauthenticate`: that copy is refused without clearing cookies. */
  previousSecretHash?: string;
  /** Present when token pairs are issued. */
  refresh: RefreshState | null;
  data: D;
  createdAt: number;
  /** When the user last proved who they are (sign-in or `reauthenticate`). */
  authTime: number;
  /** How they proved it (RFC 8176 values such as `'pwd'`, `'otp'`, `'hwk'`), when the app said. */
  amr?: string[];
  /** This session's own idle timeout (ms), when `signIn({ lifetime })` set one; absent: the Auth's `session.idleTimeout`. */
  idleTimeout?: number;
  /** This session's own absolute lifetime (ms), when `signIn({ lifetime })` set one; `reauthenticate({ extendAbsolute })` restarts it. */
  absoluteTimeout?: number;
  /** `false` when the cookies end with the browser session (no Max-Age): `signIn({ lifetime: { persistent: false } })`. */
  persistent?: false;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  /** min(idleExpiresAt, absoluteExpiresAt): when a store may forget the record. */
  expiresAt: number;
  meta: SessionMeta;
}

/** What the app sees of a session: the record without its secret material. */
export interface SessionInfo<D = SessionData> {
  id: string;
  userId: string;
  data: D;
  createdAt: number;
  authTime: number;
  /** How the user last authenticated (RFC 8176), when the app said. */
  amr?: string[];
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  meta: SessionMeta;
}

/** Registered claims latchkey puts in every access token. */
export interface RegisteredClaims {
  sub: string;
  sid: string;
  iss: string;
  aud: string | string[];
  iat: number;
  exp: number;
  jti: string;
  /** RFC 9068: the client the token was issued to (`accessToken.clientId`; default: the first audience). */
  client_id?: string;
  /** Seconds since the epoch of the last real authentication (RFC 9068 / OIDC `auth_time`); absent only on tokens issued before latchkey set it. */
  auth_time?: number;
  /** Authentication methods (RFC 8176), when the app gave them at sign-in or re-authentication. */
  amr?: string[];
  /** Space-separated scopes (RFC 9068), when the `accessToken.claims` hook returns one. */
  scope?: string;
  nbf?: number;
}

/** The verified claims of an access token: registered plus app claims. */
export type AccessTokenClaims = RegisteredClaims & AppClaims;

/** Who made the request, established from a session cookie (the record was read). */
export interface CookieAuthContext {
  userId: string;
  sessionId: string;
  data: SessionData;
  claims?: undefined;
  /** When the user last proved who they are (ms since the epoch): sign-in or `reauthenticate`. */
  authTime: number;
  /** How they proved it (RFC 8176), when the app said. */
  amr?: readonly string[];
  via: 'cookie';
}

/** Who made the request, established from a bearer access token. */
export interface BearerAuthContext {
  userId: string;
  sessionId: string;
  /** Session data when the record was read (`checkSession`), otherwise `null`: no store I/O. */
  data: SessionData | null;
  claims: AccessTokenClaims;
  /** When the user last proved who they are (ms), from the token's `auth_time`; `0` for a token without one. */
  authTime: number;
  /** How they proved it (RFC 8176), from the token's `amr`. */
  amr?: readonly string[];
  via: 'bearer';
}

/** Who made the request, as latchkey established it; narrow on `via`. */
export type AuthContext = CookieAuthContext | BearerAuthContext;

/** A request as the core sees it: a method and headers (a `Headers` object or Node's header record). */
export interface AuthRequest {
  /** The HTTP method. Omitted, the request counts as unsafe (a POST) for the CSRF check: it fails closed. */
  method?: string;
  headers: Headers | Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Reads the request's parsed JSON body (`{ "refreshToken": "…" }` from a client without a cookie jar).
   * Only `refresh` and `signOutRequest` call it, and only when no latchkey cookie and no `Authorization` came.
   */
  body?: () => unknown;
}

/**
 * Why a session ended, as `auth.watch` reports it and a store's broadcast may carry it: `'signed_out'` (its own
 * sign-out), `'expired'` (idle or absolute timeout), `'revoked'` (ended from elsewhere: sign-out everywhere, an
 * admin, or a cause the store did not send), `'refresh_reused'` (an old refresh generation was replayed: theft),
 * `'evicted'` (the per-user cap made room, or `elevate` replaced it).
 */
export type SessionEndReason = 'signed_out' | 'expired' | 'revoked' | 'refresh_reused' | 'evicted';
