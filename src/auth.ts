import { clearingCookies, readCookie, refreshCookie, sessionCookie } from './cookies.js';
import { createCore, type Core } from './core.js';
import { checkCsrf } from './csrf.js';
import { AuthError, isAuthError } from './errors.js';
import type { KeyInput } from './keys.js';
import { header } from './lib/request.js';
import { resolveOptions, type AuthOptions } from './options.js';
import { firstRefreshToken, newRefreshState, rotate, verifyRefreshToken } from './refresh.js';
import { activityAt, checkSessionToken, cleanMeta, isSessionId, loadLive, newSecret, newSessionId, toInfo, touch } from './sessions.js';
import { memoryStore, type MemoryStore } from './stores/memory.js';
import { checkStore, type SessionStore } from './stores/store.js';
import { RESERVED_CLAIMS, TokenService } from './tokens.js';
import type { Auth, RefreshResult, SignInResult } from './auth-types.js';
import { createSessionCheck } from './revocation.js';
import type { AccessTokenClaims, AppClaims, AuthContext, AuthRequest, SessionData, SessionMeta, SessionRecord } from './types.js';

const MAX_USER_ID = 256;
const MAX_DATA_BYTES = 64 * 1024;
/** Each lost compare-and-set means another writer won, so N concurrent writers need at most N attempts. */
const MAX_UPDATE_ATTEMPTS = 64;

/** A short random pause before retrying a lost compare-and-set, so contenders stop colliding in lockstep. */
function jitter(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(2 ** attempt, 20))));
}

function checkUserId(userId: unknown, where: string): asserts userId is string {
  if (typeof userId !== 'string' || userId === '' || userId.length > MAX_USER_ID) {
    throw new TypeError(`latchkey: ${where} needs userId as a non-empty string of at most ${MAX_USER_ID} characters.`);
  }
}

function checkData(data: unknown): void {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    json = undefined;
  }
  if (json === undefined || typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError('latchkey: session data must be a JSON object (it is stored as JSON).');
  }
  if (json.length > MAX_DATA_BYTES) throw new TypeError(`latchkey: session data is ${json.length} bytes; keep it under ${MAX_DATA_BYTES}.`);
}

function bearerToken(request: AuthRequest): string | undefined {
  const value = header(request, 'authorization');
  if (value === undefined) return undefined;
  // `Bearer`, any case, then nothing or [ \t]+ and the token; compared without a regex on the hot path.
  const trimmed = value.trim();
  if (trimmed.length < 6 || trimmed.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  if (trimmed.length === 6) return '';
  const gap = trimmed.charCodeAt(6);
  return gap === 32 || gap === 9 ? trimmed.slice(7).trim() : undefined;
}

/**
 * Creates the latchkey engine. Bad options throw here with a message that says what to change.
 * @example
 * const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web' });
 * const { setCookies, accessToken } = await auth.signIn({ userId: '42', data: { role: 'admin' } });
 */
export function createAuth(options: AuthOptions & { keys: readonly KeyInput[] }): Auth<true>;
export function createAuth(options?: AuthOptions & { keys?: undefined }): Auth<false>;
export function createAuth(options?: AuthOptions): Auth<boolean>;
export function createAuth(options: AuthOptions = {}): Auth<boolean> {
  const resolved = resolveOptions(options);
  let store: SessionStore;
  if (options.store === undefined) {
    store = memoryStore({ now: resolved.now });
  } else {
    checkStore(options.store);
    store = options.store;
    // An injected clock must govern a memory store's TTLs too, or records vanish (or linger) by the wall clock.
    const clocked = store as Partial<Pick<MemoryStore, 'useClock'>>;
    if (options.now !== undefined && typeof clocked.useClock === 'function') clocked.useClock(resolved.now);
  }
  const tokens = resolved.tokens ? new TokenService(resolved.tokens, resolved.now) : null;
  const core = createCore(resolved, store, tokens);
  const config = resolved.cookies;

  const sessionCheck = createSessionCheck(core);

  function requireTokens(): TokenService {
    if (!tokens) throw new TypeError('latchkey: this Auth issues no tokens; pass keys, issuer and audience to createAuth.');
    return tokens;
  }

  async function appClaims(record: SessionRecord): Promise<AppClaims> {
    const hook = resolved.tokens?.claims;
    if (!hook) return {} as AppClaims;
    const claims = await hook(toInfo(record));
    if (typeof claims !== 'object' || claims === null) throw new TypeError('latchkey: accessToken.claims must return an object.');
    for (const name of Object.keys(claims)) {
      if (RESERVED_CLAIMS.has(name)) throw new TypeError(`latchkey: accessToken.claims may not set the registered claim "${name}".`);
    }
    return claims;
  }

  async function accessFor(record: SessionRecord): Promise<{ accessToken: string; expiresIn: number }> {
    const signed = await requireTokens().sign({ userId: record.userId, sessionId: record.id, claims: await appClaims(record), notAfter: record.absoluteExpiresAt });
    return { accessToken: signed.token, expiresIn: Math.max(0, signed.exp - Math.floor(core.now() / 1000)) };
  }

  function refreshCookieFor(record: SessionRecord, token: string): string {
    return refreshCookie(config, token, (record.refresh!.expiresAt - core.now()) / 1000);
  }

  async function issue(record: SessionRecord, secret: string): Promise<SignInResult<boolean>> {
    const sessionToken = `${record.id}.${secret}`;
    const setCookies = [sessionCookie(config, sessionToken, (record.absoluteExpiresAt - core.now()) / 1000)];
    if (!tokens) return { session: toInfo(record), sessionToken, setCookies };
    const [{ accessToken, expiresIn }, refreshToken] = await Promise.all([accessFor(record), firstRefreshToken(core, record.id)]);
    setCookies.push(refreshCookieFor(record, refreshToken));
    return { session: toInfo(record), sessionToken, accessToken, refreshToken, expiresIn, setCookies };
  }

  async function newRecord(userId: string, data: SessionData, meta: SessionMeta): Promise<{ record: SessionRecord; secret: string }> {
    if (tokens) await tokens.ready();
    const now = core.now();
    const absoluteExpiresAt = now + resolved.absoluteTimeout;
    const { secret, hash } = newSecret();
    const id = newSessionId(store, userId);
    const record: SessionRecord = {
      id,
      userId,
      version: 1,
      secretHash: hash,
      refresh: tokens ? newRefreshState(core, now, absoluteExpiresAt) : null,
      data,
      createdAt: now,
      authTime: now,
      ...activityAt(core, now, absoluteExpiresAt),
      absoluteExpiresAt,
      meta,
    };
    return { record, secret };
  }

  async function createSession(userId: string, data: SessionData, meta: SessionMeta): Promise<SignInResult<boolean>> {
    const { record, secret } = await newRecord(userId, data, meta);
    const result = await issue(record, secret); // sign first: a failing claims hook leaves nothing stored
    await core.io((s) => s.create(record));
    return result;
  }

  async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    const claims = await requireTokens().verify(token);
    if (resolved.tokens!.checkSession) await sessionCheck.live(claims.sid);
    return claims;
  }

  async function authenticate(request: AuthRequest): Promise<AuthContext | null> {
    const bearer = tokens ? bearerToken(request) : undefined;
    if (bearer !== undefined) {
      const claims = await tokens!.verify(bearer);
      const data = resolved.tokens!.checkSession ? await sessionCheck.live(claims.sid) : null;
      return { via: 'bearer', userId: claims.sub, sessionId: claims.sid, claims, data };
    }
    const cookie = readCookie(request, config.sessionName);
    if (cookie === undefined) return null;
    checkCsrf(request, resolved.trustedOrigins);
    let record: SessionRecord;
    try {
      record = await checkSessionToken(core, cookie);
    } catch (error) {
      if (isAuthError(error) && error.status === 401) throw error.withCookies(clearingCookies(config));
      throw error;
    }
    await touch(core, record);
    return { via: 'cookie', userId: record.userId, sessionId: record.id, data: record.data };
  }

  async function refreshWith(token: string): Promise<RefreshResult> {
    requireTokens();
    try {
      const { record, refreshToken } = await rotate(core, token);
      const { accessToken, expiresIn } = await accessFor(record);
      return { session: toInfo(record), accessToken, refreshToken, expiresIn, setCookies: [refreshCookieFor(record, refreshToken)] };
    } catch (error) {
      if (isAuthError(error) && ['session_invalid', 'session_expired', 'token_expired', 'refresh_reused'].includes(error.code)) {
        throw error.withCookies(clearingCookies(config));
      }
      throw error;
    }
  }

  const auth: Auth<boolean> = {
    async signIn(input) {
      checkUserId(input?.userId, 'signIn');
      const data = (input.data ?? {}) as SessionData;
      checkData(data);
      const meta = cleanMeta(input.meta);
      const result = await createSession(input.userId, data, meta);
      core.emit({ type: 'sign_in', at: core.now(), userId: input.userId, sessionId: result.session.id, meta });
      return result;
    },

    authenticate,

    async resolve(request) {
      try {
        return { auth: await authenticate(request), error: null, setCookies: [] };
      } catch (error) {
        if (isAuthError(error) && error.status === 401) return { auth: null, error, setCookies: error.setCookies };
        throw error;
      }
    },

    async refresh(input) {
      if (input && typeof (input as { refreshToken?: unknown }).refreshToken === 'string') {
        return refreshWith((input as { refreshToken: string }).refreshToken);
      }
      const request = input as AuthRequest;
      const token = readCookie(request, config.refreshName);
      if (token === undefined) throw new AuthError('credentials_missing');
      checkCsrf(request, resolved.trustedOrigins);
      return refreshWith(token);
    },

    async signOut(sessionId) {
      if (!isSessionId(sessionId)) return false;
      // the read only names the user in the audit event: without an event hook, sign-out is one round trip
      const record = resolved.onEvent ? await core.io((s) => s.get(sessionId)) : null;
      const existed = await core.io((s) => s.delete(sessionId));
      sessionCheck.revoke([sessionId]);
      if (existed && record) core.emit({ type: 'sign_out', at: core.now(), userId: record.userId, sessionId });
      return existed;
    },

    async signOutRequest(request) {
      const setCookies = clearingCookies(config);
      let sessionId: string | null = null;
      const bearer = tokens ? bearerToken(request) : undefined;
      const cookie = readCookie(request, config.sessionName);
      const refresh = tokens ? readCookie(request, config.refreshName) : undefined;
      // Checked even when no cookie came: a browser withholds SameSite cookies from a cross-site form POST
      // but still applies the clearing Set-Cookie lines of the answer, which would sign the user out.
      if (bearer === undefined) checkCsrf(request, resolved.trustedOrigins);
      // Every credential presented, in turn, until one names a session: a stale or foreign bearer token
      // must not leave a live cookie session behind a 204 that cleared the browser's cookies.
      const ambient = (): void => {
        if (bearer !== undefined) checkCsrf(request, resolved.trustedOrigins);
      };
      const attempts: (() => Promise<string | null>)[] = [];
      if (bearer !== undefined) attempts.push(async () => (await tokens!.verifyIgnoringExpiry(bearer)).sid);
      if (cookie !== undefined) attempts.push(async () => (ambient(), (await checkSessionToken(core, cookie)).id));
      if (refresh !== undefined) attempts.push(async () => (ambient(), (await verifyRefreshToken(core, refresh))?.sessionId ?? null));
      for (const attempt of attempts) {
        try {
          sessionId = await attempt();
        } catch (error) {
          if (!isAuthError(error) || error.status !== 401) throw error;
        }
        if (sessionId !== null) break;
      }
      if (sessionId !== null) await auth.signOut(sessionId);
      return { sessionId, setCookies };
    },

    async signOutEverywhere(userId, opts = {}) {
      checkUserId(userId, 'signOutEverywhere');
      const count = await core.io((s) => s.deleteByUser(userId, opts.except === undefined ? {} : { except: opts.except }));
      sessionCheck.clear();
      core.emit({ type: 'sign_out_everywhere', at: core.now(), userId, count, ...(opts.except === undefined ? {} : { except: opts.except }) });
      return count;
    },

    async elevate(sessionId, opts = {}) {
      if (!isSessionId(sessionId)) throw new AuthError('session_invalid');
      const old = await loadLive(core, sessionId);
      const data = (opts.data ?? old.data) as SessionData;
      checkData(data);
      const result = await createSession(old.userId, data, old.meta);
      await core.io((s) => s.delete(sessionId));
      sessionCheck.revoke([sessionId]);
      core.emit({ type: 'elevate', at: core.now(), userId: old.userId, sessionId: result.session.id, previousSessionId: sessionId });
      return result;
    },

    verifyAccessToken,

    async jwks() {
      return requireTokens().jwks();
    },

    async setKeys(keys) {
      await requireTokens().setKeys(keys);
    },

    clearCookies() {
      return clearingCookies(config);
    },

    async ready() {
      if (tokens) await tokens.ready();
    },

    async close() {
      sessionCheck.close();
      await store.close?.();
    },

    sessions: {
      async list(userId) {
        checkUserId(userId, 'sessions.list');
        const now = core.now();
        const records = await core.io((s) => s.listByUser(userId));
        return records.filter((r) => now < r.idleExpiresAt && now < r.absoluteExpiresAt).map(toInfo);
      },
      async get(sessionId) {
        if (!isSessionId(sessionId)) return null;
        try {
          return toInfo(await loadLive(core, sessionId));
        } catch (error) {
          if (isAuthError(error) && error.status === 401) return null;
          throw error;
        }
      },
      async update(sessionId, update) {
        for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
          if (attempt > 0) await jitter(attempt);
          if (!isSessionId(sessionId)) throw new AuthError('session_invalid');
          const record = await loadLive(core, sessionId);
          const current = structuredClone(record.data);
          const data = typeof update === 'function' ? await update(current) : ({ ...current, ...update } as SessionData);
          checkData(data);
          const next: SessionRecord = { ...record, data, version: record.version + 1 };
          if (await core.io((s) => s.update(next, record.version))) {
            sessionCheck.forget(sessionId);
            return toInfo(next);
          }
        }
        throw new AuthError('session_conflict');
      },
    },

    cookies: { session: config.sessionName, refresh: config.refreshName, refreshPath: config.refreshPath },
  };

  return auth;
}

