import type { Core } from './core.js';
import { AuthError } from './errors.js';
import { hmac, randomToken, safeEqual } from './lib/crypto.js';
import { activityAt, assertLive } from './sessions.js';
import type { RefreshState, SessionRecord } from './types.js';

/** `<sessionId>.<generation>.<secret>`. */
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,8})\.([A-Za-z0-9_-]{43})$/;
const MAX_ROTATION_ATTEMPTS = 5;

/** A parsed refresh token; `null` when the shape is wrong. */
export function parseRefreshToken(value: string): { sessionId: string; generation: number; secret: string } | null {
  const match = REFRESH_TOKEN.exec(value);
  return match ? { sessionId: match[1]!, generation: Number(match[2]), secret: match[3]! } : null;
}

/**
 * The secret of generation `g` of a session: HMAC(server key, seed | id | g). Any generation can be
 * recomputed, so replay of every earlier generation is detected exactly with O(1) storage, and a
 * forged token (no server key) can never pass as an earlier generation.
 */
async function secretFor(core: Core, sessionId: string, state: RefreshState, generation: number): Promise<string> {
  const key = await core.tokens!.refreshKey(state.kid);
  if (!key) throw new AuthError('session_invalid'); // the key that derived this session's tokens was retired
  return hmac(key, `latchkey.refresh.v1|${sessionId}|${state.seed}|${generation}`);
}

/** The refresh token string for the session's current generation. */
export async function currentRefreshToken(core: Core, record: SessionRecord): Promise<string> {
  const state = record.refresh!;
  return `${record.id}.${state.generation}.${await secretFor(core, record.id, state, state.generation)}`;
}

/** Fresh refresh state for a new session: generation 0 from a new random seed. */
export async function newRefreshState(core: Core, now: number, absoluteExpiresAt: number): Promise<RefreshState> {
  const key = core.options.tokens!.refreshSecret ? undefined : (await core.tokens!.signingKey()).kid;
  return {
    seed: randomToken(32),
    ...(key === undefined ? {} : { kid: key }),
    generation: 0,
    rotatedAt: now,
    expiresAt: Math.min(now + core.options.tokens!.refreshTtl, absoluteExpiresAt),
  };
}

/** Outcome of presenting a refresh token. */
export interface Rotation {
  record: SessionRecord;
  refreshToken: string;
  /** True when this caller performed the rotation; false when it joined one within the grace window. */
  rotated: boolean;
}

/**
 * Rotates a refresh token. The current generation rotates (compare-and-set); the previous one within
 * `reuseGrace` of the rotation gets the same new token; any other earlier generation is a replay:
 * the session is revoked and `refresh_reused` is emitted. A token that does not verify changes nothing.
 */
export async function rotate(core: Core, presented: string): Promise<Rotation> {
  const parsed = parseRefreshToken(presented);
  if (!parsed) throw new AuthError('token_invalid');
  const { sessionId, generation } = parsed;
  for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
    const record = await core.io((s) => s.get(sessionId));
    if (!record || !record.refresh) throw new AuthError('session_invalid');
    const state = record.refresh;
    if (generation > state.generation) throw new AuthError('token_invalid');
    const expected = await secretFor(core, sessionId, state, generation);
    if (!safeEqual(parsed.secret, expected)) throw new AuthError('token_invalid');
    const now = core.now();
    if (generation < state.generation) {
      const inGrace = generation === state.generation - 1 && now - state.rotatedAt <= core.options.tokens!.reuseGrace;
      if (inGrace) {
        assertLive(record, now);
        return { record, refreshToken: await currentRefreshToken(core, record), rotated: false };
      }
      await core.io((s) => s.delete(sessionId));
      core.markRevoked([sessionId]);
      core.emit({ type: 'refresh_reused', at: now, userId: record.userId, sessionId, generation, currentGeneration: state.generation });
      throw new AuthError('refresh_reused');
    }
    try {
      assertLive(record, now);
      if (now >= state.expiresAt) throw new AuthError('token_expired');
    } catch (error) {
      await core.io((s) => s.delete(sessionId)).catch(() => {});
      throw error;
    }
    const next: SessionRecord = {
      ...record,
      ...activityAt(core, now, record.absoluteExpiresAt),
      version: record.version + 1,
      refresh: {
        ...state,
        generation: state.generation + 1,
        rotatedAt: now,
        expiresAt: Math.min(now + core.options.tokens!.refreshTtl, record.absoluteExpiresAt),
      },
    };
    if (await core.io((s) => s.update(next, record.version))) {
      core.emit({ type: 'refresh', at: now, userId: record.userId, sessionId, generation: next.refresh!.generation });
      return { record: next, refreshToken: await currentRefreshToken(core, next), rotated: true };
    }
    // Lost a race: read again; if the winner rotated our generation we are now inside the grace window.
  }
  throw new AuthError('session_conflict');
}
