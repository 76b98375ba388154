// Issuance: a new session record, and the credentials for it (session cookie, access token, refresh token).
import type { SignInResult } from '../core/auth-api.js';
import type { Context, TokenContext } from '../core/context.js';
import { refreshCookie, sessionCookie } from '../core/cookies.js';
import { AuthError } from '../core/errors.js';
import { firstRefreshToken, newRefreshState } from '../core/rotation.js';
import { absoluteOf, type RecordShape } from '../core/lifetime.js';
import { activityAt, newSecret, newSessionId, toInfo } from '../core/sessions.js';
import { RESERVED_CLAIMS } from '../core/tokens.js';
import type { CreateOptions, CreateOutcome } from '../stores/contract.js';
import type { AppClaims, SessionData, SessionMeta, SessionRecord } from '../core/types.js';

/** The app's claims for a session from `accessToken.claims`, checked: an object without registered claims. */
async function appClaims(tk: TokenContext, record: SessionRecord): Promise<AppClaims> {
  const hook = tk.tokenOptions.claims;
  if (!hook) return {} as AppClaims;
  const claims = await hook(toInfo(record));
  if (typeof claims !== 'object' || claims === null) throw new TypeError('latchkey: accessToken.claims must return an object.');
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(name)) throw new TypeError(`latchkey: accessToken.claims may not set the registered claim "${name}".`);
  }
  const { scope } = claims as { scope?: unknown };
  if (scope !== undefined && (typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(scope))) {
    throw new TypeError("latchkey: accessToken.claims may set scope only as space-separated scope tokens (RFC 6749 3.3), e.g. 'read write'.");
  }
  return claims;
}

/** A signed access token for the session, and the seconds until it expires. */
export async function accessFor(tk: TokenContext, record: SessionRecord): Promise<{ accessToken: string; expiresIn: number }> {
  const claims = await appClaims(tk, record);
  const signed = await tk.tokens.sign({ userId: record.userId, sessionId: record.id, claims, notAfter: record.absoluteExpiresAt, authTime: record.authTime, ...(record.amr ? { amr: record.amr } : {}) });
  return { accessToken: signed.token, expiresIn: Math.max(0, signed.exp - Math.floor(tk.now() / 1000)) };
}

/** The refresh cookie line for `token`, living as long as the session's refresh state (a browser-session cookie when the session is not persistent). */
export function refreshCookieFor(tk: TokenContext, record: SessionRecord, token: string): string {
  return refreshCookie(tk.options.cookies, token, record.persistent === false ? null : (record.refresh!.expiresAt - tk.now()) / 1000);
}

/** Every credential for a record with a fresh secret (and refresh family): the session cookie and, with tokens, an access and a refresh token. */
export async function issue(ctx: Context, tk: TokenContext | null, record: SessionRecord, secret: string): Promise<SignInResult<boolean>> {
  const sessionToken = `${record.id}.${secret}`;
  const setCookies = [sessionCookie(ctx.options.cookies, sessionToken, record.persistent === false ? null : (record.absoluteExpiresAt - ctx.now()) / 1000)];
  if (!tk) return { session: toInfo(record), sessionToken, setCookies };
  const family = record.refresh?.firstGeneration ?? 0;
  const [{ accessToken, expiresIn }, refreshToken] = await Promise.all([accessFor(tk, record), firstRefreshToken(tk, record.id, family)]);
  setCookies.push(refreshCookieFor(tk, record, refreshToken));
  return { session: toInfo(record), sessionToken, accessToken, refreshToken, expiresIn, setCookies };
}

/** A new record (new id, new secret, generation 0) for `userId`, shaped by `shape` (lifetime, amr); nothing is stored yet. */
async function newRecord(ctx: Context, tk: TokenContext | null, userId: string, data: SessionData, meta: SessionMeta, shape: RecordShape): Promise<{ record: SessionRecord; secret: string }> {
  if (tk) await tk.tokens.ready();
  const now = ctx.now();
  const { absoluteExpiresAt: kept, ...fields } = shape;
  const absoluteExpiresAt = kept ?? now + absoluteOf(ctx.options, shape);
  const { secret, hash } = newSecret();
  const record: SessionRecord = {
    id: newSessionId(ctx.store, userId),
    userId,
    version: 1,
    secretHash: hash,
    refresh: tk ? newRefreshState(tk, now, absoluteExpiresAt) : null,
    data,
    createdAt: now,
    authTime: now,
    ...fields,
    ...activityAt(ctx, now, { absoluteExpiresAt, ...fields }),
    absoluteExpiresAt,
    meta,
  };
  return { record, secret };
}

/** A new record and its credentials, signed (a failing claims hook throws here, before anything is stored). */
export async function prepareSession(ctx: Context, tk: TokenContext | null, userId: string, data: SessionData, meta: SessionMeta, shape: RecordShape = {}): Promise<{ record: SessionRecord; result: SignInResult<boolean> }> {
  const { record, secret } = await newRecord(ctx, tk, userId, data, meta, shape);
  return { record, result: await issue(ctx, tk, record, secret) };
}

/** Creates and stores a new session and returns its credentials. Signs first: a failing claims hook leaves nothing stored. */
export async function createSession(ctx: Context, tk: TokenContext | null, userId: string, data: SessionData, meta: SessionMeta, shape: RecordShape = {}): Promise<SignInResult<boolean>> {
  const { record, result } = await prepareSession(ctx, tk, userId, data, meta, shape);
  await storeRecord(ctx, record);
  return result;
}

/**
 * Stores a new record under the per-user cap (atomic in the store): evicted sessions are revoked and audited; a
 * refusal is 403 `session_limit`. `options.replaces` (only for a store with `replaceOnCreate`) names the session
 * the record replaces: the store ends it in the same step and does not count it.
 */
export async function storeRecord(ctx: Context, record: SessionRecord, options: Pick<CreateOptions, 'replaces'> = {}): Promise<CreateOutcome | void> {
  const { maxPerUser, overLimit } = ctx.options;
  const createOptions: CreateOptions = maxPerUser === null ? { ...options } : { maxPerUser, overLimit, ...options };
  const outcome = await ctx.io((s) => s.create(record, createOptions));
  if (!outcome) return outcome;
  if (outcome.refused) throw new AuthError('session_limit');
  if (outcome.evicted.length === 0) return outcome;
  ctx.check.revoke(outcome.evicted, 'evicted');
  for (const sessionId of outcome.evicted) {
    ctx.emit({ type: 'session_evicted', at: ctx.now(), userId: record.userId, sessionId, bySessionId: record.id, reason: 'max_per_user' });
  }
  return outcome;
}
