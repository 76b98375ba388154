// Sign-in and elevation: each creates a new session record (never reuses one).
import type { SignInInput, SignInResult } from '../core/auth-api.js';
import type { Context, TokenContext } from '../core/context.js';
import { checkCsrf } from '../core/csrf.js';
import { AuthError } from '../core/errors.js';
import { checkData, checkUserId } from '../core/input.js';
import { checkAMR, resolveLifetime, type RecordShape } from '../core/lifetime.js';
import { cleanMeta, loadLive } from '../core/sessions.js';
import { isSessionId } from '../stores/rules/kit.js';
import type { SessionData } from '../core/types.js';
import { createSession, storeSession } from './issue.js';

/** Creates a new session for `input.userId` and issues its credentials (CSRF-checked when `input.request` is given); emits `sign_in`. */
export async function signIn(ctx: Context, tk: TokenContext | null, input: SignInInput): Promise<SignInResult<boolean>> {
  checkUserId(input?.userId, 'signIn');
  if (input.request !== undefined) checkCsrf(input.request, ctx.options);
  const data = (input.data ?? {}) as SessionData;
  checkData(data);
  const meta = cleanMeta(input.meta);
  const amr = checkAMR(input.amr, 'signIn');
  const shape: RecordShape = { ...resolveLifetime(ctx.options, input.lifetime), ...(amr ? { amr } : {}) };
  const result = await createSession(ctx, tk, input.userId, data, meta, shape);
  ctx.emit({ type: 'sign_in', at: ctx.now(), userId: input.userId, sessionId: result.session.id, meta });
  return result;
}

/** Deletes a session this call created and must not hand out (best effort: its credentials never left us). */
async function discard(ctx: Context, sessionId: string): Promise<void> {
  await ctx.io((s) => s.delete(sessionId)).catch(() => {});
  ctx.check.revoke([sessionId]);
}

/**
 * Re-issues a live session's credentials under a new id (a privilege change); the old id dies. The session
 * keeps its lifetime (absolute expiry, own idle timeout, persistence); `authTime` is now. Emits `elevate`.
 * All or nothing: the new session is created first, then the old one is ended, and the elevation stands only
 * if this call is what ended it. A sign-out (or sign-out everywhere) that got there first wins (`session_invalid`),
 * and a store failure (`store_unavailable`) leaves the new session deleted, so no orphan outlives the error.
 */
export async function elevate(ctx: Context, tk: TokenContext | null, sessionId: string, options: { data?: SessionData; amr?: string[] } = {}): Promise<SignInResult<boolean>> {
  if (!isSessionId(sessionId)) throw new AuthError('session_invalid');
  const old = await loadLive(ctx, sessionId);
  const data = (options.data ?? old.data) as SessionData;
  checkData(data);
  const amr = checkAMR(options.amr, 'elevate');
  const kept: RecordShape = { absoluteExpiresAt: old.absoluteExpiresAt };
  if (amr ?? old.amr) kept.amr = amr ?? old.amr;
  if (old.idleTimeout !== undefined) kept.idleTimeout = old.idleTimeout;
  if (old.absoluteTimeout !== undefined) kept.absoluteTimeout = old.absoluteTimeout;
  if (old.persistent === false) kept.persistent = false;
  const { result, outcome } = await storeSession(ctx, tk, old.userId, data, old.meta, kept);
  let ended: boolean;
  try {
    ended = (outcome?.evicted.includes(sessionId) ?? false) || (await ctx.io((s) => s.delete(sessionId)));
  } catch (error) {
    await discard(ctx, result.session.id);
    throw error;
  }
  ctx.check.revoke([sessionId]);
  if (!ended) {
    await discard(ctx, result.session.id);
    throw new AuthError('session_invalid');
  }
  ctx.emit({ type: 'elevate', at: ctx.now(), userId: old.userId, sessionId: result.session.id, previousSessionId: sessionId });
  return result;
}
