// The broadcast hub both shared stores plug into: the listener set, the one connection opened at the first
// listener and ended at the last, the heartbeat timer, the lag, and reconnecting with backoff after a drop.
// A backend brings only its transport (how a connection is opened, ended and sent a heartbeat) and its wire
// format (it decodes its own messages and hands the hub a StoreBroadcast).
//
// What the hub promises every listener, whatever the backend: `null` whenever messages may have been missed
// (the connection went down after it was up, it came up again, or the backend saw a gap), so every cached
// answer is dropped; and `lag()` is the age of the newest heartbeat confirmed end to end, Infinity while the
// connection is not up. Times are monotonic (performance.now), so a wall-clock step cannot make a dead
// broadcast look fresh.
import type { StoreBroadcast } from './contract.js';

/** A function registered with `subscribe`: a message, or `null` when messages may have been missed. */
export type BroadcastListener = (message: StoreBroadcast | null) => void;

/** The store's side of `subscribe` / `broadcastLag` / `close`. */
export interface BroadcastHub {
  subscribe(listener: BroadcastListener): () => void;
  /** Milliseconds since delivery was last confirmed; Infinity while the connection is not up. */
  lag(): number;
  /** Ends the connection and the timers for good. */
  close(): void;
}

/** What a transport reports to the hub about one of its connections (reports about an old one are ignored). */
export interface BroadcastLink<C> {
  /** The connection listens: messages from now on reach us. `confirmedAt`: a time delivery is known good from. */
  up(connection: C, confirmedAt?: number): boolean;
  /** The connection is gone or unusable. */
  lost(connection: C): void;
  /** A decoded message, or `null` when the backend knows messages were missed. */
  deliver(connection: C, message: StoreBroadcast | null): void;
  /** A heartbeat sent at `sentAt` (performance.now) came back through the channel. */
  confirm(connection: C, sentAt: number): void;
}

/** A backend's transport: only its connection and its heartbeat. */
export interface BroadcastTransport<C> {
  /** Opens a connection and wires its (asynchronous) events to the link; `null` when none can be opened now. */
  open(): C | null;
  /** Ends a connection the hub no longer uses. */
  end(connection: C): void;
  /** Sends one heartbeat through a connection that is up (every `heartbeat` ms). */
  beat(connection: C): void;
  /** The hub stopped: no listener is left, or it was closed. */
  stopped?(): void;
}

/** Options of the hub. */
export interface BroadcastHubOptions {
  /** Heartbeat period in ms. */
  heartbeat: number;
  /** The first reconnect delay in ms; each failure doubles it, up to 2 s. */
  firstRetry: number;
}

const MAX_RETRY = 2000;

/** Makes a hub over the transport made for its link; it opens nothing until the first `subscribe`. */
export function broadcastHub<C>(options: BroadcastHubOptions, makeTransport: (link: BroadcastLink<C>) => BroadcastTransport<C>): BroadcastHub {
  const listeners = new Set<BroadcastListener>();
  let connection: C | null = null;
  let live = false;
  let confirmedAt = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  let attempts = 0;
  let closed = false;

  function notify(message: StoreBroadcast | null): void {
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  const link: BroadcastLink<C> = {
    up(from, at) {
      if (from !== connection) return false;
      live = true;
      attempts = 0;
      if (at !== undefined) confirmedAt = at;
      notify(null); // whatever was broadcast while we were not listening is lost to us
      return true;
    },
    lost(from) {
      if (from !== connection) return;
      connection = null;
      const wasLive = live;
      live = false;
      confirmedAt = -Infinity;
      transport.end(from);
      if (wasLive) notify(null); // messages may be missed until we are back: drop every cached answer
      schedule();
    },
    deliver(from, message) {
      if (from === connection) notify(message);
    },
    confirm(from, sentAt) {
      if (from === connection && live) confirmedAt = Math.max(confirmedAt, sentAt);
    },
  };
  const transport = makeTransport(link);

  function schedule(): void {
    if (closed || listeners.size === 0 || retry) return;
    const delay = Math.min(options.firstRetry * 2 ** attempts, MAX_RETRY);
    attempts += 1;
    retry = setTimeout(() => {
      retry = null;
      start();
    }, delay);
    retry.unref?.();
  }

  function start(): void {
    if (closed || connection !== null || retry || listeners.size === 0) return;
    const opened = transport.open();
    if (opened === null) return schedule();
    connection = opened;
    if (!timer) {
      timer = setInterval(() => {
        if (connection !== null && live) transport.beat(connection);
      }, options.heartbeat);
      timer.unref?.();
    }
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    if (retry) clearTimeout(retry);
    timer = null;
    retry = null;
    const was = connection;
    connection = null;
    live = false;
    confirmedAt = -Infinity;
    if (was !== null) transport.end(was);
    transport.stopped?.();
  }

  return {
    subscribe(listener) {
      const wrapped: BroadcastListener = (message) => listener(message); // the same function twice counts twice
      listeners.add(wrapped);
      start();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        listeners.delete(wrapped);
        if (listeners.size === 0) stop();
      };
    },
    lag() {
      return live ? Math.max(0, performance.now() - confirmedAt) : Infinity;
    },
    close() {
      closed = true;
      listeners.clear();
      stop();
    },
  };
}
