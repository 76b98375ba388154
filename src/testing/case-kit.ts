// What every file of conformance cases (cases/*.ts) gets from the suite that registers it: the way to register
// a case, a fresh store per case, record builders on the suite's clock, and the suite's options.
import type { SessionRecord } from '../core/types.js';
import type { SessionActivity, SessionStore } from '../stores/contract.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Activity at `t`: last seen then, idle and store expiry an hour later. */
export function activityAt(t: number): SessionActivity {
  return { lastSeenAt: t, idleExpiresAt: t + HOUR, expiresAt: t + HOUR };
}

/** Waits `ms` of real time (broadcast deliveries, stores on the wall clock). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A store with the optional members `K`. */
export type StoreWith<K extends keyof SessionStore> = SessionStore & Required<Pick<SessionStore, K>>;

/** The suite's side of every case file. */
export interface StoreCaseKit {
  /** Registers one case; `ctx.skip()` when the store lacks what it checks. */
  it(name: string, body: (ctx: { skip(): void }) => Promise<void>): void;
  /** A fresh store, closed after the case. */
  store(): Promise<SessionStore>;
  /** A fresh store when it has every one of `methods`; else the case is skipped and this is `null`. */
  storeWith<K extends keyof SessionStore>(ctx: { skip(): void }, ...methods: K[]): Promise<StoreWith<K> | null>;
  /** A record of `userId` created now (an hour idle, a day absolute, refresh generation 0), with `overrides`. */
  record(s: SessionStore, userId: string, overrides?: Partial<SessionRecord>): SessionRecord;
  /** `record(s, userId, overrides)`, created in the store (the arrange step most cases share). */
  created(s: SessionStore, userId: string, overrides?: Partial<SessionRecord>): Promise<SessionRecord>;
  /** A record that expires `shortTtl` from now. */
  shortLived(s: SessionStore, userId: string, overrides?: Partial<SessionRecord>): SessionRecord;
  /** A user id no other case uses. */
  user(): string;
  /** The store's clock, and how to move it forward. */
  now(): number;
  advance(ms: number): Promise<void>;
  /** How far ahead short-lived records expire, in ms. */
  shortTtl: number;
  /** Waits until a subscription is live: deletes throwaway records until one is heard in `heard`. */
  untilLive(s: SessionStore, userId: string, heard: ReadonlySet<string>): Promise<void>;
  /** Deletes expired records now, as the store's pruning job would. */
  pruneNow(s: SessionStore): Promise<void>;
  /** The ids the store's per-user index holds for a user, when the suite was told how to count them. */
  indexSize?: (store: SessionStore, userId: string) => Promise<number>;
}
