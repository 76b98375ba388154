// Sign-in and elevation: each creates a new session record (never reuses one); elevation replaces one.
import type { SignInInput, SignInResult } from '../core/auth-api.js';
import type { Context, TokenContext } from '../core/context.js';
import { checkCsrf } from '../core/csrf.js';
import { AuthError, isAuthError } from '../core/errors.js';
import { checkData, checkUserId } from '../core/input.js';
import { checkAMR, resolveLifetime, type RecordShape } from '../core/lifetime.js';
import { cleanMeta, loadLive } from '../core/sessions.js';
import { isSessionId } from '../stores/rules/kit.js';
import type { SessionData, SessionRecord } from '../core/types.js';
import type { CreateOutcome } from '../stores/contract.js';
import { createSession, prepareSession, storeRecord } from './issue.js';

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
 * A replacement, never an extra session: it never evicts another of the user's sessions nor is refused at
 * `maxPerUser`. All or nothing: the elevation stands only if this call is what ended the old session, so a
 * sign-out (or sign-out everywhere) that got there first wins (`session_invalid`), and a store failure
 * (`store_unavailable`) leaves no elevated orphan behind.
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
  // signed before anything is written: a failing claims hook leaves the old session as it was
  const { record, result } = await prepareSession(ctx, tk, old.userId, data, old.meta, kept);
  if (ctx.store.replaceOnCreate === true) await replaceInOneStep(ctx, record, sessionId);
  else if (ctx.options.maxPerUser === null) await createThenEnd(ctx, record, sessionId);
  else await endThenCreate(ctx, record, sessionId);
  ctx.check.revoke([sessionId], 'evicted'); // replaced by the elevated session
  ctx.emit({ type: 'elevate', at: ctx.now(), userId: old.userId, sessionId: record.id, previousSessionId: sessionId });
  return result;
}

/** A store with `replaceOnCreate`: the insert ends the old session in the same atomic step, or writes nothing. */
async function replaceInOneStep(ctx: Context, record: SessionRecord, sessionId: string): Promise<void> {
  let outcome: CreateOutcome | void;
  try {
    outcome = await storeRecord(ctx, record, { replaces: sessionId });
  } catch (error) {
    // a late write may still land: delete what would be an orphan (a refusal wrote nothing, the old session stands)
    if (!(isAuthError(error) && error.code === 'session_limit')) await discard(ctx, record.id);
    throw error;
  }
  if (outcome?.replaced !== true) {
    if (outcome?.replaced !== false) await discard(ctx, record.id); // a store that said it replaces, and did not say
    throw new AuthError('session_invalid');
  }
}

/** Any other store, no cap: the new session first, then the old one ended; the new one is undone if that fails. */
async function createThenEnd(ctx: Context, record: SessionRecord, sessionId: string): Promise<void> {
  const outcome = await storeRecord(ctx, record);
  let ended: boolean;
  try {
    ended = (outcome?.evicted.includes(sessionId) ?? false) || (await ctx.io((s) => s.delete(sessionId, { reason: 'evicted' })));
  } catch (error) {
    await discard(ctx, record.id);
    throw error;
  }
  if (!ended) {
    await discard(ctx, record.id);
    throw new AuthError('session_invalid');
  }
}

/**
 * Any other store under `maxPerUser`: the old session ends first, so old and new never count twice against the
 * cap (creating first would evict another device, or be refused at the cap). The record ended is the one read
 * just before; when the create fails or is refused it is put back (under the cap, refusing rather than evicting).
 */
async function endThenCreate(ctx: Context, record: SessionRecord, sessionId: string): Promise<void> {
  const current = await ctx.io((s) => s.get(sessionId));
  if (!current || !(await ctx.io((s) => s.delete(sessionId, { reason: 'evicted' })))) throw new AuthError('session_invalid');
  try {
    await storeRecord(ctx, record);
  } catch (error) {
    const { maxPerUser } = ctx.options;
    await ctx.io((s) => s.create(current, maxPerUser === null ? {} : { maxPerUser, overLimit: 'refuse' })).catch(() => {});
    throw error;
  }
}
