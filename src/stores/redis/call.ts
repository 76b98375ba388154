// The bounded Redis call: every store call settles within the command timeout, a failure becomes
// `store_unavailable` whose cause never carries command arguments, and the first call waits for the
// first connection instead of failing (the offline queue may be off).
import type { Cluster, Redis } from 'ioredis';
import { AuthError } from '../../core/errors.js';
import { createDeadlines } from '../deadline.js';
import type { Script } from './scripts.js';

/** What a store call may report as its cause: the error's name, message and command name, never its arguments. */
export interface SafeCause extends Error {
  command?: { name: string };
}

/** A copy of `error` without `command.args` (which hold records, hashes and session data) or any other field. */
export function safeCause(error: unknown): SafeCause {
  if (!(error instanceof Error)) return new Error(typeof error === 'string' ? error : 'Redis call failed');
  const copy: SafeCause = new Error(error.message);
  copy.name = error.name;
  const name = (error as { command?: { name?: unknown } }).command?.name;
  if (typeof name === 'string') copy.command = { name };
  return copy;
}

function unavailable(cause: unknown): AuthError {
  return new AuthError('store_unavailable', undefined, { cause: safeCause(cause) });
}

/** Runs calls on one client, each within `timeout` ms. */
export interface RedisCaller {
  /** Settles within the timeout: a late or failed answer becomes `store_unavailable`, never a hang. */
  bounded<T>(call: () => Promise<T>): Promise<T>;
  /** EVALSHA, loading the script with EVAL only when this Redis node has not seen it yet; bounded. */
  run(lua: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/** The bounded caller of a store on `client`. */
export function redisCaller(client: Redis | Cluster, timeout: number): RedisCaller {
  // Once the client has been connected, a call made while it is not (an outage) fails at once instead of
  // waiting in ioredis' offline queue, where it could still run after we reported it failed.
  let seenReady = false;
  // one timer for every pending call (see deadline.ts), instead of a setTimeout and clearTimeout per call
  const deadlines = createDeadlines(timeout);

  /**
   * Before the first connection: wait for 'ready' (at most `ms`), connecting a lazy client. Calls made while
   * it connects share one wait (one 'ready' listener however many requests arrive before Redis answers).
   */
  let connecting: Promise<void> | null = null;
  function firstConnection(ms: number): Promise<void> {
    connecting ??= new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        connecting = null;
        if (error) reject(error);
        else resolve();
      };
      const onReady = (): void => done();
      const timer = setTimeout(() => done(new Error(`Redis did not connect within ${timeout} ms`)), ms);
      client.on('ready', onReady);
      if (client.status === 'wait') client.connect().catch(() => {});
    });
    return connecting;
  }

  function bounded<T>(call: () => Promise<T>): Promise<T> {
    let ready: Promise<void> | null = null;
    if (client.status === 'ready') seenReady = true;
    else if (seenReady) return Promise.reject(unavailable(new Error(`Redis connection is ${client.status}`)));
    else if (client.status !== 'end') ready = firstConnection(timeout);
    // One promise and its two callbacks per call on the connected path (this runs on every cookie request).
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown): void => {
        settled = true;
        deadlines.settle(deadline);
        reject(unavailable(error));
      };
      const deadline = deadlines.start(() => fail(new Error(`Redis did not answer within ${timeout} ms`)));
      const started = ready
        ? ready.then(() => {
            seenReady = true;
            // too late: the caller was told it failed, so the command must not run now
            if (settled) throw new Error('Redis connected after the call timed out');
            return call();
          })
        : call();
      started.then((value) => {
        settled = true;
        deadlines.settle(deadline);
        resolve(value);
      }, fail);
    });
  }

  function run(lua: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return bounded(() =>
      client.evalsha(lua.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return client.eval(lua.source, keys.length, ...keys, ...args);
        throw error;
      }),
    );
  }

  return { bounded, run };
}
