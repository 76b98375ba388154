// Compare-and-set on a session record's `version`, retried: the one loop behind every read-modify-write the
// core does through `store.update` (a refresh step on a store without `advanceRefresh`, a step-up, a data
// update) and the conformance suite's driver of the refresh step.
import type { RefreshAdvance, RefreshStep } from '../stores/contract.js';
import { applyRefreshStep } from '../stores/rules/refresh-step.js';
import { AuthError } from './errors.js';
import type { SessionRecord } from './types.js';

/**
 * How many times a compare-and-set is tried before `session_conflict`. Each lost attempt means another writer
 * won, so N writers racing on one record need at most N attempts: 64 covers any realistic burst (tabs,
 * retries, a few servers) while bounding the work a pathological store can cause.
 */
export const CAS_ATTEMPTS = 64;

/** The longest pause before a retry, in ms. */
const MAX_PAUSE = 20;

/**
 * What `apply` decided on the record read: write `write` in place of the version `expected` (and answer
 * `result` once written), or answer `done` without writing.
 */
export type CASDecision<T> = { done: T } | { write: SessionRecord; expected: number; result: T };

/**
 * Reads, decides and writes until the write lands: `read` the current state (it may throw, e.g.
 * `session_invalid`), `apply` the change to it, `write` the new record if the stored version is still the one
 * read. A lost write starts over from a fresh read after a short random pause (up to 2^attempt ms, at most
 * 20 ms), so contenders stop colliding in lockstep. Throws `session_conflict` when every attempt lost.
 *
 * @example
 * const info = await retryCompareAndSet(
 *   () => loadLive(ctx, id),
 *   (record) => ({ write: { ...record, data, version: record.version + 1 }, expected: record.version, result: record.id }),
 *   (next, expected) => ctx.io((s) => s.update(next, expected)),
 * );
 */
export async function retryCompareAndSet<C, T>(
  read: () => Promise<C>,
  apply: (current: C) => CASDecision<T> | Promise<CASDecision<T>>,
  write: (next: SessionRecord, expected: number) => Promise<boolean>,
): Promise<T> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    if (attempt > 0) await pause(attempt);
    const decision = await apply(await read());
    if ('done' in decision) return decision.done;
    if (await write(decision.write, decision.expected)) return decision.result;
  }
  throw new AuthError('session_conflict');
}

function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(2 ** attempt, MAX_PAUSE))));
}

/** A refresh step's outcome, with what `prepare` made for the rotated record when it ran. */
export type PreparedAdvance<P> = (RefreshAdvance & { prepared?: { value: P } }) | null;

/**
 * One refresh step on a store without `advanceRefresh`, as the core takes it (and the conformance suite drives
 * it): `read` the record, apply rule "refresh step", compare-and-set `write` the result; `prepare` runs on the
 * rotated record before it is written. `null` when there is no record.
 * @example
 * const outcome = await advanceByUpdate(() => store.get(id), (next, v) => store.update(next, v), step);
 */
export function advanceByUpdate<P = never>(
  read: () => Promise<SessionRecord | null>,
  write: (next: SessionRecord, expected: number) => Promise<boolean>,
  step: RefreshStep,
  prepare?: (next: SessionRecord) => Promise<P>,
): Promise<PreparedAdvance<P>> {
  return retryCompareAndSet<SessionRecord | null, PreparedAdvance<P>>(
    read,
    async (record) => {
      if (!record) return { done: null };
      const next = applyRefreshStep(record, step);
      if (!next) return { done: { advanced: false, record } };
      const prepared = prepare && { value: await prepare(next) };
      return { write: next, expected: record.version, result: { advanced: true, record: next, ...(prepared && { prepared }) } };
    },
    write,
  );
}
