// Sign-in and elevation: each creates a new session record (never reuses one).
import type { SignInInput, SignInResult } from '../auth-api.js';
import type { Context, TokenContext } from '../context.js';
import { AuthError } from '../errors.js';
import { checkData, checkUserId } from '../input.js';
import { checkAMR, resolveLifetime, type RecordShape } from '../lifetime.js';
import { cleanMeta, loadLive } from '../sessions.js';
import { isSessionId } from '../stores/kit.js';
import type { SessionData } from '../types.js';
import { createSession } from './issue.js';

/** Creates a new session for `input.userId` and issues its credentials; emits `sign_in`. */
export async function signIn(ctx: Context, tk: TokenContext | null, input: SignInInput): Promise<SignInResult<boolean>> {
  checkUserId(input?.userId, 'signIn');
  const data = (input.data ?? {}) as SessionData;
  checkData(data);
  const meta = cleanMeta(input.meta);
  const amr = checkAMR(input.amr, 'signIn');
  const shape: RecordShape = { ...resolveLifetime(ctx.options, input.lifetime), ...(amr ? { amr } : {}) };
  const result = await createSession(ctx, tk, input.userId, data, meta, shape);
  ctx.emit({ type: 'sign_in', at: ctx.now(), userId: input.userId, sessionId: result.session.id, meta });
  return result;
}

/**
 * Re-issues a live session's credentials under a new id (a privilege change); the old id dies. The session
 * keeps its lifetime (absolute expiry, own idle timeout, persistence); `authTime` is now. Emits `elevate`.
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
  const result = await createSession(ctx, tk, old.userId, data, old.meta, kept);
  await ctx.io((s) => s.delete(sessionId));
  ctx.check.revoke([sessionId]);
  ctx.emit({ type: 'elevate', at: ctx.now(), userId: old.userId, sessionId: result.session.id, previousSessionId: sessionId });
  return result;
}
