// The shapes of createAuth's options: as the app writes them, and after validation (all durations in ms).
import type { Duration } from './duration.js';
import type { AuthEvent } from './events.js';
import type { KeyInput } from './keys.js';
import type { SessionStore } from '../stores/contract.js';
import type { AppClaims, SessionInfo } from './types.js';

/** Options for `createAuth`. Only `keys` + `issuer` + `audience` are needed for token pairs; nothing for cookie sessions. */
export interface AuthOptions {
  /** Signing keys: the first signs, all verify. Omit for session cookies only (no tokens). */
  keys?: readonly KeyInput[];
  /** `iss` of every access token; required when `keys` are given. */
  issuer?: string;
  /** `aud` of every access token; required when `keys` are given. */
  audience?: string | readonly string[];
  /** Where session records live. Default: `memoryStore()` (one process only). */
  store?: SessionStore;
  accessToken?: {
    /** Lifetime of an access JWT. Default `'15m'`. */
    ttl?: Duration;
    /** Leeway for `exp`/`nbf` between machines. Default `'5s'`. */
    clockTolerance?: Duration;
    /** Look the session up on every bearer request so sign-out revokes access tokens at once. Default `false`. */
    checkSession?: boolean;
    /** App claims to add to each access token, computed at sign-in and refresh. */
    claims?: (session: SessionInfo) => AppClaims | Promise<AppClaims>;
    /** Verified-token cache size (entries); `0` turns it off. Default `10000`. */
    cacheSize?: number;
    /** RFC 9068 `client_id` of every access token: the client the tokens are issued to. Default: the (first) `audience`. */
    clientId?: string;
    /**
     * With `checkSession` and a broadcasting store (Redis): the longest a session revoked on another instance
     * can still pass here. The local cache answers only while the store confirmed its broadcast within this
     * bound (a heartbeat seen back); otherwise every check reads the store (and fails closed when it is down).
     * Default `'2s'`.
     */
    maxRevocationDelay?: Duration;
  };
  refreshToken?: {
    /** Lifetime of each refresh token (capped by the absolute session timeout). Default `'30d'`. */
    ttl?: Duration;
    /** How long after a rotation the previous token still returns the new one (concurrent tabs). Default `'10s'`. */
    reuseGrace?: Duration;
    /** A 32+ byte server secret for refresh-token derivation; default: derived from the key that signed at sign-in. */
    secret?: string | Uint8Array;
    /** Path the refresh cookie is scoped to. Default `'/auth/refresh'`. */
    path?: string;
  };
  session?: {
    /** Sign out after this long without activity; `false` for none. Default `'30m'`. */
    idleTimeout?: Duration | false;
    /** Sign out this long after sign-in, whatever happens. Default `'30d'`. */
    absoluteTimeout?: Duration;
    /** Write activity to the store at most this often per session. Default `'1m'`. */
    touchEvery?: Duration;
    /** The longest idle timeout `signIn({ lifetime: { idle } })` may ask for; `false`: no bound. Default `'30d'` (or `idleTimeout` if longer; none without one). */
    maxIdleTimeout?: Duration | false;
    /** The longest absolute lifetime `signIn({ lifetime: { absolute } })` may ask for ("remember me"). Default `'90d'` (or `absoluteTimeout` if longer). */
    maxAbsoluteTimeout?: Duration;
    /** Most live sessions one user may hold (ASVS V7.1.2), applied atomically by the store at sign-in; `false` for none. Default `100`. */
    maxPerUser?: number | false;
    /** At the cap: `'evict'` ends the least recently active session (event `session_evicted`), `'refuse'` fails sign-in with 403 `session_limit`. Default `'evict'`. */
    overLimit?: 'evict' | 'refuse';
    /**
     * The session cache of a store with a broadcast channel (Redis, PostgreSQL): each instance answers cookie
     * checks from the records it recently read, while the store's channel is confirmed within
     * `maxRevocationDelay`, so a browser request costs no store round trip. Sign-outs, updates, step-ups and
     * evictions on any instance reach it through the channel; a record is read again at least every
     * `touchEvery`. `false` reads the store on every request. Default on: 10000 records, 16 MiB.
     * A memory store needs none (it is the store).
     */
    cache?: false | {
      /** Most records held. Default `10000`. */
      max?: number;
      /** Most memory held, by an estimate of each record's heap size (twice its JSON length). Default `16777216` (16 MiB). */
      maxBytes?: number;
      /** The longest a session ended on another instance can still pass here. Default: `accessToken.maxRevocationDelay`, else `'2s'`. */
      maxRevocationDelay?: Duration;
    };
  };
  cookies?: {
    /** Send cookies only over https. Default `true`; turn off only for plain-http development. */
    secure?: boolean;
    /** Default `'lax'`. `'none'` requires `secure`. */
    sameSite?: 'strict' | 'lax' | 'none';
    /** Base name; the session cookie is `__Host-<name>.session`, the refresh cookie `__Secure-<name>.refresh`. Default `'latchkey'`. */
    name?: string;
    /** Share cookies with subdomains. Makes the session cookie `__Secure-` (a `__Host-` cookie may not name a Domain). */
    domain?: string;
  };
  csrf?: {
    /** Origins allowed to send cookie-authenticated unsafe requests besides the server's own. `'*'` is refused. */
    trustedOrigins?: readonly string[];
  };
  /** Receives audit events (sign-in, refresh, reuse detected, sign-out, ...). Errors thrown here are ignored. */
  onEvent?: (event: AuthEvent) => void | Promise<void>;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. A `memoryStore()` passed as `store` follows it too. */
  now?: () => number;
}

/** Options after validation and defaults, all durations in milliseconds. */
export interface ResolvedOptions {
  tokens: {
    keys: readonly KeyInput[];
    issuer: string;
    audience: string | string[];
    clientId: string;
    accessTtl: number;
    clockTolerance: number;
    checkSession: boolean;
    claims: ((session: SessionInfo) => AppClaims | Promise<AppClaims>) | undefined;
    cacheSize: number;
    refreshTtl: number;
    reuseGrace: number;
    refreshSecret: Uint8Array | undefined;
    maxRevocationDelay: number;
  } | null;
  idleTimeout: number | null;
  absoluteTimeout: number;
  /** Bounds of a per-session lifetime (`null`: no bound on idle). */
  maxIdleTimeout: number | null;
  maxAbsoluteTimeout: number;
  touchEvery: number;
  /** The session cache (session-cache.ts): `cookies` false when `session.cache` is false (bearer checks may still use it). */
  sessionCache: { cookies: boolean; max: number; maxBytes: number; maxRevocationDelay: number };
  /** Per-user cap: `null` for none. */
  maxPerUser: number | null;
  overLimit: 'evict' | 'refuse';
  cookies: {
    secure: boolean;
    sameSite: 'strict' | 'lax' | 'none';
    sessionName: string;
    refreshName: string;
    refreshPath: string;
    domain: string | undefined;
  };
  trustedOrigins: ReadonlySet<string>;
  onEvent: ((event: AuthEvent) => void | Promise<void>) | undefined;
  now: () => number;
}

/** Token options after validation: present whenever the Auth issues tokens. */
export type TokenOptions = NonNullable<ResolvedOptions['tokens']>;
