import type { KeyInput } from './keys.js';
import type { JSONWebKeySet } from './tokens.js';
import type { AccessTokenClaims, AuthContext, AuthRequest, SessionData, SessionEndReason, SessionInfo, SessionMeta } from './types.js';
import type { AuthError } from './errors.js';
import type { SessionLifetime } from './lifetime.js';
import type { Duration } from './duration.js';

/** What `signIn` needs: who signed in, their session data, and device facts. */
export interface SignInInput {
  userId: string;
  data?: SessionData;
  meta?: SessionMeta;
  /** This session's lifetime ("remember me"), within createAuth's `session.maxIdleTimeout` / `maxAbsoluteTimeout`. */
  lifetime?: SessionLifetime;
  /** How the user authenticated (RFC 8176, e.g. `['pwd', 'otp']`): on the record, the context and the token. */
  amr?: string[];
  /**
   * The sign-in request (method and headers). When given, sign-in gets the CSRF check cookie-authenticated
   * requests get (login CSRF: a cross-site form must not sign the browser in to the attacker's account).
   * Every adapter passes it.
   */
  request?: AuthRequest;
}

/** Options of `reauthenticate`. */
export interface ReauthenticateOptions {
  /** How the user just re-authenticated (RFC 8176, e.g. `['hwk']`); replaces the session's previous `amr`. */
  amr?: string[];
  /** Restart the session's absolute lifetime from now. Default `false`: step-up never makes a session live longer. */
  extendAbsolute?: boolean;
}

/** Token fields of a result: present when the Auth issues tokens (`keys` configured). */
export type TokenFields<Tokens extends boolean> = Tokens extends true
  ? { accessToken: string; refreshToken: string; /** Seconds until the access token expires. */ expiresIn: number }
  : { accessToken?: undefined; refreshToken?: undefined; expiresIn?: undefined };

/** What `signIn` and `elevate` return. Send `setCookies` as Set-Cookie headers. */
export type SignInResult<Tokens extends boolean = true> = {
  session: SessionInfo;
  /** The session cookie's value, `<sessionId>.<secret>`. */
  sessionToken: string;
  setCookies: string[];
} & TokenFields<Tokens>;

/** What `refresh` returns: a new access token, the rotated refresh token, and its cookie. */
export interface RefreshResult {
  session: SessionInfo;
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  setCookies: string[];
  /**
   * How the refresh token came: `'cookie'` (the refresh cookie), or `'token'` (`{ refreshToken }`, a JSON body, or
   * `Authorization: Refresh <token>`: a client without a cookie jar, which gets the rotated token in the answer's body).
   */
  via: 'cookie' | 'token';
}

/** How `authenticate` went, for middleware that must not fail on a stale credential. */
export interface Resolution {
  auth: AuthContext | null;
  /** The 401 that explains `auth: null` when a credential was presented but refused. */
  error: AuthError | null;
  setCookies: readonly string[];
  /** The Auth's clock (ms) when the request was resolved: what `requireAuth({ maxAge })` measures against. */
  at: number;
}

/** A partial data object merged into the session, or a function from old data to new. */
export type SessionUpdate = Partial<SessionData> | ((data: SessionData) => SessionData | Promise<SessionData>);

/** The session API: list, read and update a user's sessions. */
export interface SessionsAPI {
  /** The user's live sessions ("my devices"), oldest first. */
  list(userId: string): Promise<SessionInfo[]>;
  /** One live session, or `null`. */
  get(sessionId: string): Promise<SessionInfo | null>;
  /** Updates session data with compare-and-set, retrying on conflict; concurrent updates are never lost. */
  update(sessionId: string, update: SessionUpdate): Promise<SessionInfo>;
}

/** What `auth.health()` reports, for a readiness probe. */
export interface Health {
  /** `'up'` when a read of the store answered within the probe's bound; `'down'` when it failed or timed out. */
  store: 'up' | 'down';
  /**
   * Milliseconds since the store's revocation channel was last confirmed to deliver (`Infinity` while it is
   * not, e.g. just after start or on a dead subscriber connection); `null` when this Auth listens to no channel
   * (a store without one, such as the memory store, or `accessToken.checkSession` off).
   */
  revocationLag: number | null;
}

/** Options of `auth.health()`. */
export interface HealthOptions {
  /** Bound of the store probe; a store's own timeout may end it sooner. Default `'1s'`. */
  timeout?: Duration;
}

/** Options of `auth.watch`. */
export interface WatchOptions {
  /**
   * Also end the watch, with `'reauthenticated'`, when the session is re-authenticated (`auth.reauthenticate`, on
   * any instance): for a connection that must be opened again to carry the new `authTime`. Default `false`.
   */
  onReauthenticate?: boolean;
  /**
   * Called (once per episode) by the time the store's channel has been silent for `maxRevocationDelay`, with its
   * lag in ms (`Infinity`: down), so an end elsewhere may go unheard; the watch goes on, and each such session is
   * read again once the channel is confirmed. Without it, the watch ends with `'unconfirmed'` instead (fail closed).
   */
  onUnconfirmed?: (lag: number) => void;
}

/**
 * The reason `auth.watch` reports, given its options: a `SessionEndReason`; `'unconfirmed'` (the store's channel
 * was silent for `maxRevocationDelay`) unless `onUnconfirmed` is given; `'reauthenticated'` with `onReauthenticate: true`.
 */
export type WatchReason<O extends WatchOptions = {}> =
  | SessionEndReason
  | (O extends { onReauthenticate: true } ? 'reauthenticated' : never)
  | (O extends { onUnconfirmed: (lag: number) => void } ? never : 'unconfirmed');

/** The latchkey engine returned by `createAuth`: plain values in, plain values out. */
export interface Auth<Tokens extends boolean = true> {
  /** Creates a new session (never reuses one) and issues its credentials. */
  signIn(input: SignInInput): Promise<SignInResult<Tokens>>;
  /** Authenticates a request by Bearer token or session cookie; `null` when none is presented. */
  authenticate(request: AuthRequest): Promise<AuthContext | null>;
  /** Like `authenticate`, but a refused credential yields `auth: null` with the error; throws only 403 and 503. */
  resolve(request: AuthRequest): Promise<Resolution>;
  /**
   * Rotates the refresh token from the request's refresh cookie (CSRF-checked), or, without one, from
   * `Authorization: Refresh <token>` or a JSON body `{ refreshToken }` (`request.body`), or from `{ refreshToken }`.
   */
  refresh(input: AuthRequest | { refreshToken: string }): Promise<RefreshResult>;
  /** Ends one session; its cookie and refresh token die at once. `true` if it existed. */
  signOut(sessionId: string): Promise<boolean>;
  /** Ends the session the request presents (CSRF-checked) and returns the cookie-clearing lines. */
  signOutRequest(request: AuthRequest): Promise<{ sessionId: string | null; setCookies: string[] }>;
  /** Ends every session of a user, except `except`; returns how many ended. */
  signOutEverywhere(userId: string, options?: { except?: string }): Promise<number>;
  /** Re-issues a session's credentials under a new id (after a privilege change); the old id dies; the lifetime is kept. */
  elevate(sessionId: string, options?: { data?: SessionData; amr?: string[] }): Promise<SignInResult<Tokens>>;
  /**
   * Records a fresh authentication on the same session (after the app re-checked a password or passkey):
   * new `authTime`, new cookie secret and refresh family (copies taken before are dead), same id and data.
   */
  reauthenticate(sessionId: string, options?: ReauthenticateOptions): Promise<SignInResult<Tokens>>;
  /** Verifies an access token (and, with `checkSession`, that its session is live); returns its claims. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims>;
  /** The public keys as a JWKS document (`/.well-known/jwks.json`). */
  jwks(): Promise<JSONWebKeySet>;
  /** Replaces the key set (rotation): the first key signs; tokens of removed keys stop verifying. */
  setKeys(keys: readonly KeyInput[]): Promise<void>;
  /** Set-Cookie lines that delete both latchkey cookies. */
  clearCookies(): string[];
  /**
   * The store's state by one bounded probe (a `get` of an id nobody holds) and the revocation channel's lag;
   * never rejects for a store failure (that is `store: 'down'`). For readiness routes; see docs/observability.md.
   * @example
   * const { store, revocationLag } = await auth.health();
   * const ready = store === 'up' && (revocationLag === null || revocationLag <= 5000);
   */
  health(options?: HealthOptions): Promise<Health>;
  /**
   * Calls `onEnd` once, with the reason, when the session ends on any instance (or its channel goes unconfirmed); returns the stop function.
   * @example
   * const stop = auth.watch(ctx.sessionId, (reason) => ws.close(4401, reason)); // 'signed_out' | 'expired' | 'revoked' | 'refresh_reused' | 'evicted' | 'unconfirmed'
   * ws.on('close', stop);
   */
  watch(sessionId: string, onEnd: (reason: WatchReason) => void, options?: WatchOptions & { onReauthenticate?: false; onUnconfirmed?: undefined }): () => void;
  /** As above; with `onReauthenticate: true` it also ends with `'reauthenticated'`. */
  watch(sessionId: string, onEnd: (reason: WatchReason<{ onReauthenticate: true }>) => void, options: WatchOptions & { onReauthenticate: true; onUnconfirmed?: undefined }): () => void;
  /** As above; with `onUnconfirmed` the channel's silence goes there, never to `onEnd`. */
  watch(sessionId: string, onEnd: (reason: WatchReason<{ onUnconfirmed: (lag: number) => void }>) => void, options: WatchOptions & { onReauthenticate?: false; onUnconfirmed: (lag: number) => void }): () => void;
  /** As above, with both options. */
  watch(sessionId: string, onEnd: (reason: WatchReason<{ onReauthenticate: true; onUnconfirmed: (lag: number) => void }>) => void, options: WatchOptions & { onReauthenticate: true; onUnconfirmed: (lag: number) => void }): () => void;
  /** As above, with options known only at run time, so every reason is possible. */
  watch(sessionId: string, onEnd: (reason: WatchReason<{ onReauthenticate: true }>) => void, options?: WatchOptions): () => void;
  /** Resolves when every key is imported; rejects with the import error. */
  ready(): Promise<void>;
  /** Releases what this Auth took: its revocation listener, and the default store it made. A store you passed stays open for others sharing it (it closes its connections with its last listener, or when its client ends). */
  close(): Promise<void>;
  readonly sessions: SessionsAPI;
  /** The cookie names and refresh path in use. */
  readonly cookies: { readonly session: string; readonly refresh: string; readonly refreshPath: string };
}
