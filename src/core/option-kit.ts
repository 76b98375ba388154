// The option checks every factory runs once, when it is called (createAuth, memoryStore, redisStore,
// postgresStore): unknown keys refused with the list of known ones, durations in the one `Duration` form,
// and messages `latchkey: <option> <what to change>`. `name` is the option as the user wrote it, with its
// factory where that is not createAuth: 'session.idleTimeout', 'memoryStore sweepInterval'.
import { fail, parseDuration, type Duration } from './duration.js';

const DAY = 86_400_000;

/** How `checkKeys` words a refusal; the default is `unknown option <name>.<key>; expected one of <known>.` */
export type UnknownOption = (key: string, known: readonly string[]) => string;

/**
 * Refuses a value that is not an options object, and every key of it not in `known`.
 * @example
 * checkKeys(options.session, ['idleTimeout', 'absoluteTimeout'], 'session');
 */
export function checkKeys(value: object | undefined, known: readonly string[], name: string, unknown?: UnknownOption): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${name} must be an object.`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(unknown ? unknown(key, known) : `unknown option ${name}.${key}; expected one of ${known.join(', ')}.`);
  }
}

/** Bounds of a duration option, in ms; without `min` it must be above zero. */
export interface DurationBounds {
  min?: number;
  max?: number;
}

/**
 * A duration option in ms (`fallback` when absent): above zero, or within `bounds`. A number past `max`
 * that would fit as milliseconds is taken for a slip (a number is seconds) and the message says so.
 * @example
 * positive(options.heartbeat, '500ms', 'redisStore heartbeat', { max: 60_000 });
 */
export function positive(value: unknown, fallback: Duration, name: string, bounds: DurationBounds = {}): number {
  const ms = parseDuration(value ?? fallback, name);
  if (bounds.min !== undefined ? ms < bounds.min : ms <= 0) fail(bounds.min !== undefined ? `${name} must be at least ${describe(bounds.min)}.` : `${name} must be greater than zero.`);
  if (bounds.max !== undefined && ms > bounds.max) {
    if (typeof value === 'number' && value <= bounds.max) fail(`${name} is ${ms / 1000} s; a number is seconds, as in createAuth: write '${value}ms' for milliseconds.`);
    fail(`${name} must be at most ${describe(bounds.max)}.`);
  }
  return ms;
}

/** Bounds of a whole-number option; `unit` and `hint` make the message say what to change. */
export interface WholeNumberRule {
  min: number;
  max?: number;
  /** What is counted, e.g. 'records': "a whole number of records". */
  unit?: string;
  /** Said after the bounds, e.g. '; pass session.cache: false to turn the cache off'. */
  hint?: string;
}

/**
 * A whole-number option (`fallback` when absent).
 * @example
 * wholeNumber(options.pruneBatch, 16, 'postgresStore pruneBatch', { min: 0, max: 10_000 });
 */
export function wholeNumber(value: unknown, fallback: number, name: string, rule: WholeNumberRule): number {
  const n = value ?? fallback;
  if (Number.isInteger(n) && (n as number) >= rule.min && (rule.max === undefined || (n as number) <= rule.max)) return n as number;
  const what = rule.unit ? `a whole number of ${rule.unit}` : rule.min === 1 && rule.max === undefined ? 'a positive whole number' : 'a whole number';
  const bounds = rule.max !== undefined ? ` from ${rule.min} to ${rule.max}` : rule.unit ? ` (at least ${rule.min})` : '';
  return fail(`${name} must be ${what}${bounds}${rule.hint ?? ''}.`);
}

/**
 * A true/false option (`fallback` when absent).
 * @example
 * flag(options.createTable, false, 'postgresStore createTable');
 */
export function flag(value: unknown, fallback: boolean, name: string): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') fail(`${name} must be true or false.`);
  return v;
}

/**
 * A function option (`fallback` when absent); `what` says what it must do, e.g. 'returning milliseconds since the epoch'.
 * @example
 * callable(options.now, Date.now, 'memoryStore now', 'returning milliseconds since the epoch');
 */
export function callable<F extends (...args: never[]) => unknown>(value: unknown, fallback: F, name: string, what?: string): F {
  const v = value ?? fallback;
  if (typeof v !== 'function') fail(`${name} must be a function${what ? ` ${what}` : ''}.`);
  return v as F;
}

/** A bound as a person writes it: '10ms', '1m', '24 days'. */
function describe(ms: number): string {
  if (ms >= DAY) return `${Math.floor(ms / DAY)} days`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export { fail };
