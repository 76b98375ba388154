// Step-up: a fresh authentication recorded on the same session. The id, data and device stay; the proof
// of sign-in moves: a new `authTime` (and `amr`), a new cookie secret, and a new refresh family.
import type { ReauthenticateOptions, SignInResult } from '../core/auth-api.js';
import type { Context, TokenContext } from '../core/context.js';
import { retryCompareAndSet } from '../core/cas.js';
import { AuthError } from '../core/errors.js';
import { absoluteOf, checkAMR } from '../core/lifetime.js';
import { activityAt, loadLive, newSecret } from '../core/sessions.js';
import { isSessionId } from '../stores/rules/kit.js';
import type { RefreshState, SessionRecord } from '../core/types.js';
import { issue } from './issue.js';

/**
 * The refresh state of a new family. It starts one generation past the current one and remembers where it
 * started (`firstGeneration`): every token of the old family is then refused as invalid, and never counts as a
 * replay of the new one, so a copy taken before the step-up can neither refresh nor get the session revoked.
 * Generation numbers stay unique, so no token of the old family ever equals one of the new.
 */
function nextFamily(tk: TokenContext, old: RefreshState | null, now: number, absoluteExpiresAt: number): RefreshState {
  const first = old ? old.generation + 1 : 0;
  return { generation: first, firstGeneration: first, previous: -1, rotatedAt: now, expiresAt: Math.min(now + tk.tokenOptions.refreshTtl, absoluteExpiresAt) };
}

/**
 * Records a fresh authentication on a live session (the app has just re-checked the user's password or
 * passkey) and issues its new credentials, which replace every earlier copy: the cookie's secret and the
 * refresh family rotate, access tokens issued from now on carry the new `auth_time`. The absolute expiry is
 * kept unless `extendAbsolute`. Compare-and-set on the version: a concurrent rotation or sign-out is never
 * lost (a sign-out wins: `session_invalid`). Emits `reauthenticate`.
 */
export async function reauthenticate(ctx: Context, tk: TokenContext | null, sessionId: string, options: ReauthenticateOptions = {}): Promise<SignInResult<boolean>> {
  if (typeof options !== 'object' || options === null) throw new TypeError('latchkey: reauthenticate(sessionId, options) takes an options object such as { amr: [\'pwd\'] }.');
  const amr = checkAMR(options.amr, 'reauthenticate');
  if (options.extendAbsolute !== undefined && typeof options.extendAbsolute !== 'boolean') throw new TypeError('latchkey: reauthenticate({ extendAbsolute }) must be true or false.');
  if (!isSessionId(sessionId)) throw new AuthError('session_invalid');
  if (tk) await tk.tokens.ready();
  const done = await retryCompareAndSet(
    () => loadLive(ctx, sessionId),
    async (old) => {
      const now = ctx.now();
      const absoluteExpiresAt = options.extendAbsolute ? now + absoluteOf(ctx.options, old) : old.absoluteExpiresAt;
      const { secret, hash } = newSecret();
      const { amr: _previous, ...rest } = old;
      const next: SessionRecord = {
        ...rest,
        ...(amr ? { amr } : {}),
        version: old.version + 1,
        secretHash: hash,
        previousSecretHash: old.secretHash,
        refresh: tk ? nextFamily(tk, old.refresh, now, absoluteExpiresAt) : null,
        authTime: now,
        absoluteExpiresAt,
        ...activityAt(ctx, now, { ...old, absoluteExpiresAt }),
      };
      // Signed before the write: a failing claims hook leaves the session and its credentials as they were.
      const result = await issue(ctx, tk, next, secret);
      return { write: next, expected: old.version, result: { result, userId: old.userId, now } };
    },
    (next, expected) => ctx.io((s) => s.update(next, expected)),
  );
  ctx.check.forget(sessionId);
  ctx.watch.reauthenticated(sessionId);
  ctx.emit({ type: 'reauthenticate', at: done.now, userId: done.userId, sessionId, ...(amr ? { amr } : {}) });
  return done.result;
}
