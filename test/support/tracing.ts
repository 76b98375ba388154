// A subscriber to every latchkey tracing channel that records each event with a snapshot of its context,
// and keeps the context objects themselves for the secret scan. Not a test file itself.
import { tracingChannel } from 'node:diagnostics_channel';
import { isAuthError, type TraceContext } from '../../src/entries/index.js';

export const CHANNELS = ['authenticate', 'sign-in', 'refresh', 'sign-out', 'store'] as const;
export type ChannelName = (typeof CHANNELS)[number];
export type EventName = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
const EVENTS: readonly EventName[] = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

/** One published event: the channel, the event, and the context's fields as they were then (`error` as its code or class). */
export interface Recorded {
  channel: ChannelName;
  event: EventName;
  context: Record<string, unknown>;
}

export interface Recorder {
  readonly events: Recorded[];
  /** Every context object published (the live objects, for the secret scan). */
  readonly contexts: Set<TraceContext>;
  /** The events of one channel, as `event` names in order. */
  sequence(channel: ChannelName): EventName[];
  /** The last context snapshot seen on `channel` at `event`. */
  last(channel: ChannelName, event?: EventName): Record<string, unknown> | undefined;
  clear(): void;
  unsubscribe(): void;
}

function snapshot(context: TraceContext): Record<string, unknown> {
  const { error, ...rest } = context;
  return error === undefined ? { ...rest } : { ...rest, error: isAuthError(error) ? `AuthError:${error.code}` : (error as Error)?.constructor?.name };
}

/** Subscribes to every event of every latchkey channel until `unsubscribe()`. */
export function record(): Recorder {
  const events: Recorded[] = [];
  const contexts = new Set<TraceContext>();
  const handlers = CHANNELS.map((channel) => {
    const subscribers = Object.fromEntries(
      EVENTS.map((event) => [
        event,
        (message: unknown) => {
          const context = message as TraceContext;
          contexts.add(context);
          events.push({ channel, event, context: snapshot(context) });
        },
      ]),
    ) as Record<EventName, (message: unknown) => void>;
    tracingChannel(`latchkey:${channel}`).subscribe(subscribers);
    return [channel, subscribers] as const;
  });
  return {
    events,
    contexts,
    sequence: (channel) => events.filter((e) => e.channel === channel).map((e) => e.event),
    last: (channel, event = 'asyncEnd') => events.filter((e) => e.channel === channel && e.event === event).at(-1)?.context,
    clear() {
      events.length = 0;
      contexts.clear();
    },
    unsubscribe() {
      for (const [channel, subscribers] of handlers) tracingChannel(`latchkey:${channel}`).unsubscribe(subscribers);
    },
  };
}

/** Every string reachable from the contexts: their fields, and their errors' message, stack, JSON and cause chain. */
export function payloadText(contexts: Iterable<TraceContext>): string {
  const texts: string[] = [];
  for (const context of contexts) {
    const { error, ...rest } = context;
    texts.push(JSON.stringify(rest));
    for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
      texts.push(String(e), (e as Error).message ?? '', (e as Error).stack ?? '', JSON.stringify(e) ?? '');
    }
  }
  return texts.join('\n');
}
