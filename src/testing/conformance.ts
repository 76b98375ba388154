// The store conformance suite: every rule a SessionStore must keep, one file of cases per rule or concern
// (cases/), assembled here into named cases for any test runner.
import { randomBytes, randomUUID } from 'node:crypto';
import type { SessionRecord } from '../core/types.js';
import type { SessionStore } from '../stores/contract.js';
import { activityCases } from './cases/activity.js';
import { advanceRefreshCases } from './cases/advance-refresh.js';
import { broadcastCases } from './cases/broadcast.js';
import { evictionCases } from './cases/eviction.js';
import { livenessCases } from './cases/liveness.js';
import { recordCases } from './cases/records.js';
import { refreshStepCases } from './cases/refresh-step.js';
import { DAY, HOUR, sleep, type StoreCaseKit, type StoreWith } from './case-kit.js';
import { findRunner, type ConformanceCase, type TestRunner } from './runner.js';

export type { ConformanceCase, TestRunner } from './runner.js';

/** Options for `runStoreConformance`. */
export interface StoreConformanceOptions {
  /** The clock the store reads, in ms since the epoch; record times are built from it. Default `Date.now`. */
  now?: () => number;
  /** Moves that clock forward by `ms`. Default: really waits, for stores on the wall clock (Redis, SQL TTLs). */
  advance?: (ms: number) => Promise<void>;
  /** How far ahead short-lived records expire in the expiry tests, in ms. Default `300`. */
  shortTtl?: number;
  /** How many ids the store's per-user index holds for `userId`, expired ones included: checks lists stay bounded. */
  indexSize?: (store: SessionStore, userId: string) => Promise<number>;
  /**
   * Deletes expired records now, as the store's pruning job would; the prune-racing case runs it while touches
   * are in flight. Default: the store's own `prune()` when it has one, else nothing (expiry on read only).
   */
  prune?: (store: SessionStore) => Promise<unknown>;
  /**
   * The test runner's `describe` and `it`, e.g. `import { describe, it } from 'node:test'`. Default: the
   * runner's globals (Jest, Mocha, Vitest with `globals`), or Vitest's own API when running under Vitest.
   */
  runner?: TestRunner;
}

/**
 * Registers the conformance suite every `SessionStore` must pass, as one `describe` block of your runner.
 * `makeStore` is called for every test (and `close()` after it); tests are independent and use unique user ids.
 * @example
 * import { describe, it } from 'node:test';            // or nothing under Vitest, Jest or Mocha
 * runStoreConformance('my store', () => myStore({ url: process.env.DB_URL }), { runner: { describe, it } });
 */
export function runStoreConformance(name: string, makeStore: () => SessionStore | Promise<SessionStore>, options: StoreConformanceOptions = {}): void {
  const { describe, it } = findRunner(options.runner);
  const cases = storeConformanceCases(makeStore, options);
  describe(`SessionStore conformance: ${name}`, () => {
    // rest parameters: Mocha and Jest take a declared first parameter for a `done` callback
    for (const c of cases) it(c.name, (...args: unknown[]) => c.run(() => (args[0] as { skip?: () => void } | undefined)?.skip?.()));
  });
}

/**
 * The conformance suite as named cases for any runner: register each `run` as a test. `run(skip)` calls
 * `skip` (then returns) when the store lacks the optional method a case is about.
 * @example
 * for (const c of storeConformanceCases(() => myStore())) test(c.name, () => c.run(() => {}));
 */
export function storeConformanceCases(makeStore: () => SessionStore | Promise<SessionStore>, options: StoreConformanceOptions = {}): ConformanceCase[] {
  const now = options.now ?? Date.now;
  const advance = options.advance ?? sleep;
  const shortTtl = options.shortTtl ?? 300;
  const cases: ConformanceCase[] = [];
  const open: SessionStore[] = [];
  const it = (name: string, body: (ctx: { skip(): void }) => Promise<void>): void => {
    cases.push({
      name,
      async run(skip) {
        try {
          await body({ skip });
        } finally {
          await Promise.all(open.splice(0).map((s) => s.close?.()));
        }
      },
    });
  };

  async function store(): Promise<SessionStore> {
    const made = await makeStore();
    open.push(made);
    return made;
  }

  async function storeWith<K extends keyof SessionStore>(ctx: { skip(): void }, ...methods: K[]): Promise<StoreWith<K> | null> {
    const s = await store();
    if (methods.every((m) => Boolean(s[m]))) return s as StoreWith<K>;
    ctx.skip();
    return null;
  }

  const user = (): string => `conformance-${randomUUID()}`;

  function record(s: SessionStore, userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
    const t = now();
    const id = s.newId ? s.newId(userId) : randomBytes(16).toString('base64url');
    return {
      id,
      userId,
      version: 1,
      secretHash: randomBytes(32).toString('base64url'),
      refresh: { generation: 0, previous: -1, rotatedAt: t, expiresAt: t + DAY },
      data: {},
      createdAt: t,
      authTime: t,
      lastSeenAt: t,
      idleExpiresAt: t + HOUR,
      absoluteExpiresAt: t + DAY,
      expiresAt: t + HOUR,
      meta: {},
      ...overrides,
    };
  }

  async function untilLive(s: SessionStore, userId: string, heard: ReadonlySet<string>): Promise<void> {
    const warmUntil = Date.now() + 5000;
    for (;;) {
      const probe = record(s, userId);
      await s.create(probe);
      await s.delete(probe.id);
      await sleep(25);
      if (heard.has(probe.id)) return;
      if (Date.now() > warmUntil) throw new Error('the subscription never went live');
    }
  }

  function shortLived(s: SessionStore, userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
    const t = now();
    return record(s, userId, { idleExpiresAt: t + shortTtl, expiresAt: t + shortTtl, ...overrides });
  }

  async function pruneNow(s: SessionStore): Promise<void> {
    if (options.prune) await options.prune(s);
    else await (s as SessionStore & { prune?: () => Promise<unknown> }).prune?.();
  }

  async function created(s: SessionStore, userId: string, overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
    const r = record(s, userId, overrides);
    await s.create(r);
    return r;
  }

  const kit: StoreCaseKit = { it, store, storeWith, record, created, shortLived, user, now, advance, shortTtl, untilLive, pruneNow, ...(options.indexSize && { indexSize: options.indexSize }) };
  recordCases(kit);
  advanceRefreshCases(kit);
  activityCases(kit);
  livenessCases(kit);
  evictionCases(kit);
  refreshStepCases(kit);
  broadcastCases(kit);
  return cases;
}
