// The store kit's rules that no single store test isolates: the refresh retry after a late rotation, and
// the per-user eviction order.
import type { SessionRecord } from '../../src/entries/index.js';
import { applyRefreshStep, pickEvictions } from '../../src/entries/store.js';
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
const step = (from: number, at: number, retry = false) => ({ from, at, refreshExpiresAt: at + HOUR, idleExpiresAt: at + HOUR, retry });

describe('applyRefreshStep: retries after a late rotation', () => {
  it('a rotation answered in time can never be retried', () => {
    const rotated = applyRefreshStep(record(), step(0, 10))!;
    expect(rotated.refresh).toEqual({ generation: 1, rotatedAt: 10, expiresAt: HOUR });
    expect(applyRefreshStep(rotated, step(0, 20, true))).toBeNull();
  });

  it('a late rotation may be retried once; the re-sent generation gets no retry of its own and its next rotation marks it', () => {
    const late = applyRefreshStep(record(), step(0, 10), { late: true })!;
    expect(late.refresh).toMatchObject({ generation: 1, unacknowledged: true });
    const retried = applyRefreshStep(late, step(0, 20, true))!;
    expect(retried.refresh).toEqual({ generation: 1, rotatedAt: 10, expiresAt: HOUR, retried: true });
    expect(retried.version).toBe(late.version + 1);
    expect(applyRefreshStep(retried, step(0, 30, true))).toBeNull(); // a second retry: two holders, theft
    const next = applyRefreshStep(retried, step(1, 40), { late: true })!;
    expect(next.refresh).toMatchObject({ generation: 2, unacknowledged: true, previousRetried: true });
    expect(applyRefreshStep(next, step(1, 50, true))).toBeNull(); // the re-sent generation may have two holders
  });

  it('a retry never reaches back further than the previous generation', () => {
    const one = applyRefreshStep(record(), step(0, 10), { late: true })!;
    const two = applyRefreshStep(one, step(1, 20), { late: true })!;
    expect(applyRefreshStep(two, step(0, 30, true))).toBeNull();
  });
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
