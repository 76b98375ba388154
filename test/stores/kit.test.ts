// The store rules as pure functions: each rule's case table (the same tables run on every store through the
// conformance suite), and the per-user eviction order.
import type { SessionRecord } from '../../src/entries/index.js';
import {
  ACTIVITY_CASES,
  applyRefreshStep,
  EVICTION_CASES,
  isLive,
  LIVENESS_CASES,
  mergeActivity,
  pickEvictions,
  previousGeneration,
  REFRESH_STEP_CASES,
  refreshVerdict,
  touchApplies,
} from '../../src/entries/store.js';
import { describe, expect, it } from 'vitest';

const HOUR = 3_600_000;
const record = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  id: 'AAAAAAAAAAAAAAAAAAAAAA',
  userId: 'u',
  version: 1,
  secretHash: 'h',
  refresh: { generation: 0, rotatedAt: 0, expiresAt: HOUR },
  data: {},
  createdAt: 0,
  authTime: 0,
  lastSeenAt: 0,
  idleExpiresAt: HOUR,
  absoluteExpiresAt: HOUR,
  expiresAt: HOUR,
  meta: {},
  ...overrides,
});
describe('applyRefreshStep: the evidence rule, pure (the same table runs on every store through the conformance suite)', () => {
  for (const c of REFRESH_STEP_CASES) {
    it(c.name, () => {
      const rotatedAt = 1_000_000;
      const at = rotatedAt + c.after;
      const { expiresIn, ...state } = c.state;
      const refresh = { ...state, rotatedAt, expiresAt: rotatedAt + (expiresIn ?? HOUR) };
      const before = record({ refresh, lastSeenAt: rotatedAt, idleExpiresAt: at + HOUR, absoluteExpiresAt: at + HOUR, expiresAt: at + HOUR });
      expect(refreshVerdict(refresh, c.present, at, c.reuseGrace)).toBe(c.verdict);
      const next = applyRefreshStep(before, { from: c.present, at, refreshExpiresAt: at + HOUR, idleExpiresAt: at + HOUR, reuseGrace: c.reuseGrace });
      expect(next !== null).toBe(c.advanced);
      const held = (next ?? before).refresh!;
      expect({ generation: held.generation, previous: previousGeneration(held) }).toEqual(c.expect);
      if (next) expect(next.version).toBe(before.version + 1);
    });
  }
});

describe('pickEvictions', () => {
  it('evicts the soonest to expire first, then the oldest, and only as many as make room', () => {
    const live = [
      { id: 'c', expiresAt: 30, createdAt: 1 },
      { id: 'a', expiresAt: 10, createdAt: 5 },
      { id: 'b', expiresAt: 10, createdAt: 2 },
    ];
    expect(pickEvictions(live, 3).map((r) => r.id)).toEqual(['b']);
    expect(pickEvictions(live, 2).map((r) => r.id)).toEqual(['b', 'a']);
    expect(pickEvictions(live, 4)).toEqual([]);
  });
});

const MINUTE = 60_000;

describe('isLive: the liveness table', () => {
  for (const c of LIVENESS_CASES) {
    it(c.name, () => {
      const now = 10 * HOUR;
      const [idleExpiresAt, absoluteExpiresAt] = [now + c.idleIn * MINUTE, now + c.absoluteIn * MINUTE];
      expect(isLive({ idleExpiresAt, absoluteExpiresAt, expiresAt: Math.min(idleExpiresAt, absoluteExpiresAt) }, now)).toBe(c.live);
    });
  }
  it('at the instant of expiry a record is no longer live', () => {
    expect(isLive({ idleExpiresAt: 5, absoluteExpiresAt: 9, expiresAt: 5 }, 5)).toBe(false);
  });
});

describe('touchApplies and mergeActivity: the activity table', () => {
  for (const c of ACTIVITY_CASES) {
    it(c.name, () => {
      const stored = record({ lastSeenAt: HOUR, idleExpiresAt: 2 * HOUR, expiresAt: 2 * HOUR });
      const t = HOUR + c.delta;
      const incoming = { ...stored, version: 2, lastSeenAt: t, idleExpiresAt: t + HOUR, expiresAt: t + HOUR, data: { updated: true } };
      expect(touchApplies(stored, incoming)).toBe(c.touchApplies);
      const kept = c.updateKeeps === 'incoming' ? incoming : stored;
      expect(mergeActivity(stored, incoming)).toEqual({ ...incoming, lastSeenAt: kept.lastSeenAt, idleExpiresAt: kept.idleExpiresAt, expiresAt: kept.expiresAt });
    });
  }
});

describe('pickEvictions: the eviction table', () => {
  for (const c of EVICTION_CASES) {
    it(c.name, () => {
      const live = c.live.map((l) => ({ id: `id-${l.idRank}`, name: l.name, expiresAt: l.expiresIn * MINUTE, createdAt: -l.createdAgo * MINUTE }));
      expect(pickEvictions(live, c.maxPerUser).map((r) => r.name)).toEqual(c.evicted);
    });
  }
});
