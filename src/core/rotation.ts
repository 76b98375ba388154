import type { TokenContext } from './context.js';
import { advanceByUpdate, type PreparedAdvance } from './cas.js';
import { AuthError } from './errors.js';
import { hmac, safeEqual } from '../lib/crypto.js';
import { applyRefreshStep, refreshVerdict } from '../stores/rules/refresh-step.js';
import type { RefreshStep } from '../stores/contract.js';
import { assertLive } from './sessions.js';
import type { RefreshState, SessionRecord } from './types.js';

/** `<sessionId>.<generation>.<secret>`. */
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,8})\.([A-Za-z0-9_-]{43})$/;

/** A parsed refresh token; `null` when the shape is wrong. */
export function parseRefreshToken(value: string): { sessionId: string; generation: number; secret: string } | null {
  const match = REFRESH_TOKEN.exec(value);
  return match ? { sessionId: match[1]!, generation: Number(match[2]), secret: match[3]! } : null;
}

/**
 * The secret of generation `g` of a session: HMAC(server key, id | g). Any generation can be recomputed
 * without reading the store, so replay of every earlier generation is detected exactly with O(1) storage,
 * a forged token is refused before any store I/O, and a store dump yields no usable token.
 */
function secretFor(key: Uint8Array, sessionId: string, generation: number): string {
  return hmac(key, `latchkey.refresh.v1|${sessionId}|${generation}`);
}

function tokenFor(key: Uint8Array, sessionId: string, generation: number): string {
  return `${sessionId}.${generation}.${secretFor(key, sessionId, generation)}`;
}

/** The refresh token of the first generation of a family (0 for a new session), under the key for new sessions. */
export async function firstRefreshToken(ctx: TokenContext, sessionId: string, generation = 0): Promise<string> {
  const [key] = await ctx.tokens.refreshKeys();
  if (!key) throw new TypeError('latchkey: no key can derive refresh tokens; set refreshToken.secret or give a private key.');
  return tokenFor(key, sessionId, generation);
}

/** The key under which a presented refresh token verifies (compared in constant time), or `null` for a forgery. */
export async function verifyRefreshToken(ctx: TokenContext, presented: string): Promise<{ sessionId: string; generation: number; key: Uint8Array } | null> {
  const parsed = parseRefreshToken(presented);
  if (!parsed) return null;
  let found: Uint8Array | null = null;
  for (const key of await ctx.tokens.refreshKeys()) {
    if (safeEqual(parsed.secret, secretFor(key, parsed.sessionId, parsed.generation))) found = key;
  }
  return found ? { sessionId: parsed.sessionId, generation: parsed.generation, key: found } : null;
}

/** Fresh refresh state for a new session: generation 0. */
export function newRefreshState(ctx: TokenContext, now: number, absoluteExpiresAt: number): RefreshState {
  return { generation: 0, previous: -1, rotatedAt: now, expiresAt: Math.min(now + ctx.tokenOptions.refreshTtl, absoluteExpiresAt) };
}

/** Outcome of presenting a refresh token. */
export interface Rotation<P = never> {
  record: SessionRecord;
  refreshToken: string;
  /** True when this caller performed the rotation; false when it joined one within the grace window. */
  rotated: boolean;
  /** What `prepare` made for the rotated record before the rotation was committed, when it ran. */
  prepared?: P;
}

/** Work to do on the record as it will be after the step, before the step is committed (see `rotate`). */
type Prepare<P> = ((next: SessionRecord) => Promise<P>) | undefined;

type Advance<P> = PreparedAdvance<P>;

/** `advanceRefresh` for stores without it: get, prepare, then compare-and-set update (no extra read). */
function advanceWithUpdate<P>(ctx: TokenContext, sessionId: string, step: RefreshStep, prepare: Prepare<P>): Promise<Advance<P>> {
  return advanceByUpdate(() => ctx.io((s) => s.get(sessionId)), (next, expected) => ctx.io((s) => s.update(next, expected)), step, prepare);
}

/** The store's one-call `advanceRefresh`; with `prepare`, the record is read first so `prepare` runs before the commit. */
async function advanceAtomically<P>(ctx: TokenContext, sessionId: string, step: RefreshStep, prepare: Prepare<P>): Promise<Advance<P>> {
  let prepared: { value: P } | undefined;
  if (prepare) {
    const current = await ctx.io((s) => s.get(sessionId));
    const next = current && applyRefreshStep(current, step);
    if (next) prepared = { value: await prepare(next) };
  }
  const outcome = await ctx.io((s) => s.advanceRefresh!(sessionId, step));
  return outcome && prepared ? { ...outcome, prepared } : outcome;
}

/**
 * Rotates a refresh token in one store call, deciding theft by evidence (stores/rules/refresh-step.ts): the
 * newest generation rotates; the one it was rotated from (the last one used) is a retry, never theft: within
 * `reuseGrace` it gets the same newest token (concurrent tabs), after it a fresh one that replaces the unused
 * newest (an answer lost in the network, or late from the store); any other earlier generation is a replay:
 * the session is revoked and `refresh_reused` is emitted. A token that does not verify is refused before the
 * store is touched and changes nothing.
 *
 * With `prepare` (work on our side that may fail, such as the app's claims hook), `prepare` runs on the
 * record as it will be after the step, before the step is committed (stores with `advanceRefresh` pay one
 * read for it): a failure there leaves the generation unspent, so the client's retry is never taken for a replay.
 */
export async function rotate<P = never>(ctx: TokenContext, presented: string, prepare?: (next: SessionRecord) => Promise<P>): Promise<Rotation<P>> {
  const verified = await verifyRefreshToken(ctx, presented);
  if (!verified) throw new AuthError('token_invalid');
  const { sessionId, generation, key } = verified;
  const now = ctx.now();
  const { refreshTtl, reuseGrace } = ctx.tokenOptions;
  // A session's own idle timeout (signIn lifetime) is on its record; the store applies it (applyRefreshStep).
  const idle = ctx.options.idleTimeout;
  const step: RefreshStep = { from: generation, at: now, refreshExpiresAt: now + refreshTtl, idleExpiresAt: idle === null ? Number.MAX_SAFE_INTEGER : now + idle, reuseGrace };
  const outcome = ctx.store.advanceRefresh ? await advanceAtomically(ctx, sessionId, step, prepare) : await advanceWithUpdate(ctx, sessionId, step, prepare);
  if (!outcome?.record.refresh) throw new AuthError('session_invalid');
  const prepared = outcome.prepared;
  const { record } = outcome;
  const state = outcome.record.refresh;
  if (outcome.advanced) {
    ctx.emit({ type: 'refresh', at: now, userId: record.userId, sessionId, generation: state.generation });
    return { record, refreshToken: tokenFor(key, sessionId, state.generation), rotated: true, ...(prepared && { prepared: prepared.value }) };
  }
  switch (refreshVerdict(state, generation, now, reuseGrace)) {
    // A token of a family that `reauthenticate` ended, or one never issued: dead, but no replay (no revocation).
    case 'foreign':
      throw new AuthError('token_invalid');
    case 'join':
      assertLive(record, now);
      return { record, refreshToken: tokenFor(key, sessionId, state.generation), rotated: false };
    case 'rotate':
    case 'replace':
      // the step would have applied but did not: the session or its refresh token has expired
      try {
        assertLive(record, now);
      } catch (error) {
        await ctx.io((s) => s.delete(sessionId, { reason: 'expired' })).catch(() => {});
        ctx.markRevoked([sessionId], 'expired');
        throw error;
      }
      throw new AuthError('token_expired');
    case 'theft':
      break;
  }
  await ctx.io((s) => s.delete(sessionId, { reason: 'refresh_reused' }));
  ctx.markRevoked([sessionId], 'refresh_reused');
  ctx.emit({ type: 'refresh_reused', at: now, userId: record.userId, sessionId, generation, currentGeneration: state.generation });
  throw new AuthError('refresh_reused');
}
