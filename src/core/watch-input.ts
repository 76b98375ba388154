// What `auth.watch(sessionId, onEnd, options)` is given, checked (TypeErrors that say what to pass), and the
// record of one watch that the hub (session-watch.ts) keeps.
import { isSessionId } from '../stores/rules/kit.js';
import type { SessionEndReason } from './types.js';

/** Every reason a watch can end with. Internal (the public, option-dependent type is `WatchReason`). */
export type WatchEnd = SessionEndReason | 'reauthenticated' | 'unconfirmed';

/** One watch, as the hub keeps it. Internal. */
export interface Watcher {
  readonly id: string;
  readonly onEnd: (reason: WatchEnd) => void;
  readonly reauth: boolean;
  readonly onUnconfirmed: ((lag: number) => void) | undefined;
  userId: string | undefined;
  authTime: number | undefined;
  /** The record's next expiry (injected clock); Infinity until it was read. */
  deadline: number;
  /** Monotonic time (performance.now) at which the last successful read started. */
  verifiedAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  reading: boolean;
  again: boolean;
  done: boolean;
  /** A `users` message named its user: a read finding the record gone says `'revoked'` without waiting for the channel. */
  userEnded: boolean;
}

const OPTION_NAMES = ['onReauthenticate', 'onUnconfirmed'];

/** A new watch of `sessionId` calling `onEnd`, from `auth.watch`'s checked arguments; throws a TypeError that says what to pass. */
export function newWatcher(sessionId: unknown, onEnd: unknown, options: unknown): Watcher {
  if (!isSessionId(sessionId)) throw new TypeError('latchkey: auth.watch(sessionId, onEnd) takes a session id (ctx.sessionId of an authenticated request).');
  if (typeof onEnd !== 'function') throw new TypeError('latchkey: auth.watch(sessionId, onEnd) takes a function, called once with the reason the session ended.');
  const { onReauthenticate, onUnconfirmed } = watchOptions(options);
  return {
    id: sessionId,
    onEnd: onEnd as Watcher['onEnd'],
    reauth: onReauthenticate,
    onUnconfirmed,
    userId: undefined,
    authTime: undefined,
    deadline: Infinity,
    // the app authenticated the session just before watching it; the hub's first read confirms it
    verifiedAt: performance.now(),
    timer: undefined,
    reading: false,
    again: false,
    done: false,
    userEnded: false,
  };
}

/** Validates `auth.watch`'s options object as every factory does: unknown keys refused. */
function watchOptions(options: unknown): { onReauthenticate: boolean; onUnconfirmed: ((lag: number) => void) | undefined } {
  if (options === undefined) return { onReauthenticate: false, onUnconfirmed: undefined };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError('latchkey: auth.watch(sessionId, onEnd, options) takes an options object such as { onReauthenticate: true }.');
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw new TypeError(`latchkey: unknown option auth.watch ${key}; expected one of ${OPTION_NAMES.join(', ')}.`);
  }
  const { onReauthenticate = false, onUnconfirmed } = options as { onReauthenticate?: unknown; onUnconfirmed?: unknown };
  if (typeof onReauthenticate !== 'boolean') throw new TypeError('latchkey: auth.watch({ onReauthenticate }) must be true or false.');
  if (onUnconfirmed !== undefined && typeof onUnconfirmed !== 'function') throw new TypeError('latchkey: auth.watch({ onUnconfirmed }) must be a function, called with the channel\'s lag in ms.');
  return { onReauthenticate, onUnconfirmed: onUnconfirmed as ((lag: number) => void) | undefined };
}
