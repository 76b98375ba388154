// Observability without a dependency: node:diagnostics_channel tracing channels, one per operation and one
// for every store call. Nothing is built and nothing is published while nobody subscribes: every caller
// checks `hasSubscribers` first and takes its ordinary path otherwise (no closure, no context, no promise).
//
// What a subscriber sees. Every traced call publishes `start`, then `end` once the synchronous part has run,
// then `asyncStart` and `asyncEnd` once the outcome is known; `error` comes before `asyncStart` when the call
// failed or refused (before `end` when it threw synchronously). That is `tracePromise`'s order, with one
// difference: every call, even one latchkey answered synchronously (a cookie on the memory store, a cached
// token), publishes `asyncStart`/`asyncEnd`, so a subscriber ends its span at `asyncEnd` and never leaks one.
// `start` runs the call inside `start.runStores(context)`, so an AsyncLocalStorage bound with
// `bindStore` follows it (store calls then see the operation that made them).
//
// What the context carries, and what it never carries. Identifiers only, the policy of the audit events
// (`onEvent`): the operation, `via`, the store `method`, the `outcome` and the error `code`, and once the
// operation has checked them the `userId` and `sessionId`; `error` is the error the caller receives. Never a
// secret, a token, a cookie, a hash or session data: there is no `result` (tracePromise would put the
// tokens of a sign-in there), and test/security/tracing.test.ts scans every payload for them.
import { tracingChannel, type TracingChannel } from 'node:diagnostics_channel';
import { isAuthError, toStoreError, type AuthErrorCode } from './errors.js';
import { settledValue } from '../lib/settled.js';
import type { SessionStore } from '../stores/contract.js';

/** What a traced call was. */
export type TracedOperation = 'authenticate' | 'sign-in' | 'refresh' | 'sign-out' | 'store';

/** How a traced call ended: `anonymous` is an authenticate without a credential, `refused` an AuthError under 500, `failed` any other error. */
export type TraceOutcome = 'ok' | 'anonymous' | 'refused' | 'failed';

/**
 * The context object every latchkey tracing channel publishes (the same object at every event of one call).
 * @example
 * import { tracingChannel } from 'node:diagnostics_channel';
 * tracingChannel('latchkey:authenticate').subscribe({ asyncEnd: (c) => console.log(c.via, c.outcome, c.code) });
 */
export interface TraceContext {
  readonly operation: TracedOperation;
  /** The credential the request presented, where known: a session cookie or a Bearer access token (authenticate), the refresh cookie (refresh). */
  via?: 'cookie' | 'bearer';
  /** The store method (`latchkey:store` only): `get`, `create`, `update`, `advanceRefresh`, `touch`, `delete`, `listByUser`, `deleteByUser`. */
  method?: string;
  /** Set once the call has ended. */
  outcome?: TraceOutcome;
  /** The AuthError's code when the call refused or failed with one (`store_unavailable` for any store failure). */
  code?: AuthErrorCode;
  /** The user, once the operation has checked it (an identifier, as in the audit events). */
  userId?: string;
  /** The session, once the operation has checked it (an identifier, as in the audit events). */
  sessionId?: string;
  /** Sessions ended (sign-out). */
  count?: number;
  /** The error the caller receives (published with `error`). */
  error?: unknown;
}

/**
 * The names of latchkey's tracing channels, for `diagnostics_channel.tracingChannel(name)`.
 * @example
 * tracingChannel(traceChannels.store).subscribe({ start() {}, end() {}, asyncStart() {}, asyncEnd(c) { record(c.method) }, error() {} });
 */
export const traceChannels = Object.freeze({
  authenticate: 'latchkey:authenticate',
  signIn: 'latchkey:sign-in',
  refresh: 'latchkey:refresh',
  signOut: 'latchkey:sign-out',
  store: 'latchkey:store',
} as const);

/** One tracing channel of latchkey. Internal. */
export type Tracer = TracingChannel<unknown, TraceContext>;

/** The channels, made once per process (diagnostics_channel hands every copy of latchkey the same ones). Internal. */
export const tracers: { readonly [K in keyof typeof traceChannels]: Tracer } = {
  authenticate: tracingChannel(traceChannels.authenticate),
  signIn: tracingChannel(traceChannels.signIn),
  refresh: tracingChannel(traceChannels.refresh),
  signOut: tracingChannel(traceChannels.signOut),
  store: tracingChannel(traceChannels.store),
};

/** Records a failure on the context and publishes `error`. */
function failed(tracer: Tracer, context: TraceContext, error: unknown): void {
  context.error = error;
  if (isAuthError(error)) {
    context.code = error.code;
    context.outcome = error.status < 500 ? 'refused' : 'failed';
  } else {
    context.outcome = 'failed';
  }
  tracer.error.publish(context);
}

/** Publishes the end of the asynchronous part. */
function settle(tracer: Tracer, context: TraceContext): void {
  tracer.asyncStart.publish(context);
  tracer.asyncEnd.publish(context);
}

/** Applies `finish` to a value and publishes `error` when it recorded one (a refusal answered as a value). */
function finished<T>(tracer: Tracer, context: TraceContext, value: T, finish: (context: TraceContext, value: T) => void): void {
  finish(context, value);
  if (context.error !== undefined) tracer.error.publish(context);
}

/**
 * Runs `run` as one traced call: `start` (around it, with its bound stores), `end`, then `error` if it
 * failed and `asyncStart`/`asyncEnd`. Returns what `run` returns: a value stays a value, and a promise made
 * by `settled()` is returned as is and finished at once, so tracing adds no promise turn. `finish` fills
 * the context from the value. Call it only when `tracer.hasSubscribers`. Internal.
 */
export function trace<T>(tracer: Tracer, context: TraceContext, run: () => T, finish: (context: TraceContext, value: Awaited<T>) => void): T {
  let result: T;
  try {
    result = tracer.start.runStores(context, run);
  } catch (error) {
    failed(tracer, context, error);
    tracer.end.publish(context);
    settle(tracer, context);
    throw error;
  }
  if (!(result instanceof Promise)) {
    finished(tracer, context, result as Awaited<T>, finish);
    tracer.end.publish(context);
    settle(tracer, context);
    return result;
  }
  tracer.end.publish(context);
  const now = settledValue(result) as Awaited<T> | undefined;
  if (now !== undefined) {
    finished(tracer, context, now, finish);
    settle(tracer, context);
    return result;
  }
  return result.then(
    (value: Awaited<T>) => {
      finished(tracer, context, value, finish);
      settle(tracer, context);
      return value;
    },
    (error: unknown) => {
      failed(tracer, context, error);
      settle(tracer, context);
      throw error;
    },
  ) as T;
}

/** Marks a call that ended well. */
function ok(context: TraceContext): void {
  context.outcome = 'ok';
}

/**
 * One store call on `latchkey:store`; a failure is published (and thrown) as the caller sees it, `store_unavailable`.
 * Call it only when `tracers.store.hasSubscribers`. Internal.
 */
export function traceStore<T>(method: string, run: () => T): T {
  return trace(tracers.store, { operation: 'store', method }, () => mapStoreFailure(run), ok);
}

/** `run()`, its failures (thrown or rejected) mapped as `ctx.io` maps them. */
function mapStoreFailure<T>(run: () => T): T {
  let result: T;
  try {
    result = run();
  } catch (error) {
    throw toStoreError(error);
  }
  if (!(result instanceof Promise)) return result;
  return result.catch((error: unknown) => {
    throw toStoreError(error);
  }) as T;
}

const tracedStores = new WeakMap<SessionStore, SessionStore>();

/**
 * The store with each of its methods traced on `latchkey:store` (made once per store): what `ctx.io` hands
 * its call while someone subscribes, so every call site stays `ctx.io((s) => s.get(id))`. A proxy rather
 * than a list of methods, so a store method a later flow calls is traced (and present) without a change here.
 * Internal.
 */
export function tracedStore(store: SessionStore): SessionStore {
  let traced = tracedStores.get(store);
  if (traced) return traced;
  // keyed by the method itself, so a method replaced on the store later is traced as it is now
  const wrappers = new WeakMap<object, unknown>();
  traced = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      let wrapper = wrappers.get(value);
      if (wrapper === undefined) {
        const call = value as (...args: unknown[]) => unknown;
        wrapper = (...args: unknown[]) => traceStore(property, () => call.apply(target, args));
        wrappers.set(value, wrapper);
      }
      return wrapper;
    },
  });
  tracedStores.set(store, traced);
  return traced;
}
