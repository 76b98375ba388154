// The Redis store's broadcast: one subscriber connection per store, opened at the first listener and
// closed at the last, with a heartbeat published through the channel and seen back, so `lag()` says how
// long ago delivery was last *confirmed* end to end (Infinity while it is not).
//
// Why a heartbeat and our own connection. A connection can die silently (an idle-timeout NAT keeps the
// socket open and drops the data), a SUBSCRIBE can be refused (an ACL user without &channel rights), and
// ioredis' Cluster moves its own subscriber to another node without any event. Messages published while
// that happens are lost, and no connection event says so. So: (1) the subscriber is a plain connection
// we own (on a Cluster, to one node we pick), so every drop is a `close` we see, and after any drop every
// cached answer is dropped; (2) every `heartbeat` ms the store publishes `~h:<nonce>:<seq>` through the
// main client and the lag is the age of the newest heartbeat seen back, so a silent death shows as a
// growing lag; (3) a missing sequence number means messages were lost on a live connection: drop all.
// Times are monotonic (performance.now), so a wall-clock step cannot make a dead broadcast look fresh.
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { StoreBroadcast } from '../contract.js';
import { splitReason } from '../end-reason.js';

/**
 * What a message on the channel carries; `~` never starts a session id, so revocations stay bare ids, with the
 * reason they ended as a last `~<reason>` element when the sender knew it (stores/end-reason.ts).
 */
export const MESSAGE = { changed: '~c:', user: '~u:', heartbeat: '~h:' } as const;

/** Decodes one channel message; `null` for a heartbeat or an empty message. */
export function decode(message: string): StoreBroadcast | null {
  if (message.startsWith(MESSAGE.user)) return { revoked: [], changed: [], users: [message.slice(MESSAGE.user.length)] };
  const changed = message.startsWith(MESSAGE.changed);
  if (!changed && message.startsWith('~')) return null;
  const { ids, reason } = splitReason((changed ? message.slice(MESSAGE.changed.length) : message).split(','));
  if (ids.length === 0) return null;
  if (changed) return { revoked: [], changed: ids };
  return reason ? { revoked: ids, changed: [], reason } : { revoked: ids, changed: [] };
}

/** Options of the broadcast. */
export interface BroadcastOptions {
  client: Redis | Cluster;
  channel: string;
  /** Heartbeat period in ms. */
  heartbeat: number;
  /** Publishes on the main client, bounded by the command timeout. */
  publish(message: string): Promise<unknown>;
}

/** The store's side of `subscribe` / `broadcastLag`. */
export interface Broadcast {
  subscribe(listener: (message: StoreBroadcast | null) => void): () => void;
  lag(): number;
  close(): void;
}

type Listener = (message: StoreBroadcast | null) => void;

/** The broadcast of one store: listeners are counted, the connection lives while one is registered. */
export function redisBroadcast(options: BroadcastOptions): Broadcast {
  const { client, channel, heartbeat, publish } = options;
  const listeners = new Set<Listener>();
  const nonce = randomBytes(9).toString('base64url');
  let sub: Redis | null = null;
  let subscribed = false;
  let confirmedAt = -Infinity;
  let seq = 0;
  let lastSeen = 0;
  const sent = new Map<number, number>();
  let beat: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;
  let attempts = 0;
  let warned = false;

  function notify(message: StoreBroadcast | null): void {
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  function lost(): void {
    const was = subscribed || confirmedAt !== -Infinity;
    subscribed = false;
    confirmedAt = -Infinity;
    if (was) notify(null); // messages may be missed until we are back: drop every cached answer
  }

  function sendBeat(): void {
    seq += 1;
    sent.set(seq, performance.now());
    if (sent.size > 64) sent.delete(sent.keys().next().value as number);
    publish(`${MESSAGE.heartbeat}${nonce}:${seq}`).catch(() => {});
  }

  function onHeartbeat(body: string): void {
    const [from, n] = body.split(':');
    if (from !== nonce || !subscribed) return;
    const at = sent.get(Number(n));
    if (at === undefined || Number(n) <= lastSeen) return;
    if (Number(n) > lastSeen + 1) notify(null); // a heartbeat went missing, and with it maybe a revocation
    lastSeen = Number(n);
    confirmedAt = Math.max(confirmedAt, at);
    for (const k of sent.keys()) if (k <= lastSeen) sent.delete(k);
  }

  /** A connection of our own: a duplicate of the client, or on a Cluster of one of its nodes. */
  function connection(): Redis | null {
    const base = client.isCluster ? pick((client as Cluster).nodes('all')) : (client as Redis);
    if (!base) return null;
    return base.duplicate({ enableOfflineQueue: true, autoResubscribe: false, retryStrategy: () => null, lazyConnect: false });
  }

  function schedule(): void {
    if (closed || listeners.size === 0 || retry) return;
    const delay = Math.min(50 * 2 ** attempts, 2000);
    attempts += 1;
    retry = setTimeout(() => {
      retry = null;
      start();
    }, delay);
    retry.unref?.();
  }

  function start(): void {
    if (closed || sub || listeners.size === 0) return;
    const conn = connection();
    if (!conn) return schedule();
    sub = conn;
    conn.on('error', () => {}); // reconnecting is ours (schedule); callers see store_unavailable from their own calls
    conn.on('ready', () => {
      const askedAt = performance.now();
      conn.subscribe(channel).then(
        () => {
          if (sub !== conn) return;
          attempts = 0;
          subscribed = true;
          lastSeen = seq; // heartbeats sent before the subscription may or may not come back
          confirmedAt = askedAt; // everything published after SUBSCRIBE was processed reaches us
          notify(null); // revocations sent while we were away were missed
        },
        (error: unknown) => {
          // e.g. NOPERM: never "up"; every check then reads Redis. Try again later (the ACL may change).
          if (!warned) process.emitWarning(`latchkey: redisStore could not subscribe to ${channel} (${error instanceof Error ? error.message : 'error'}); accessToken.checkSession reads Redis on every request until it can.`, { code: 'LATCHKEY_REDIS_SUBSCRIBE' });
          warned = true;
          conn.disconnect();
        },
      );
    });
    conn.on('close', lost);
    conn.on('end', () => {
      if (sub === conn) sub = null;
      lost();
      schedule();
    });
    conn.on('message', (from: string, message: string) => {
      if (from !== channel || sub !== conn) return;
      if (message.startsWith(MESSAGE.heartbeat)) return onHeartbeat(message.slice(MESSAGE.heartbeat.length));
      const decoded = decode(message);
      if (decoded) notify(decoded);
    });
    if (!beat) {
      beat = setInterval(() => subscribed && sendBeat(), heartbeat);
      beat.unref?.();
    }
    client.off('end', onClientEnd);
    client.once('end', onClientEnd);
  }

  function stop(): void {
    if (beat) clearInterval(beat);
    if (retry) clearTimeout(retry);
    beat = null;
    retry = null;
    client.off('end', onClientEnd);
    const conn = sub;
    sub = null;
    subscribed = false;
    confirmedAt = -Infinity;
    conn?.disconnect();
  }

  // the app ended its client (client.quit() at shutdown): end what the store opened, so the process can exit
  function onClientEnd(): void {
    closed = true;
    stop();
  }

  return {
    subscribe(listener) {
      const wrapped: Listener = (message) => listener(message);
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
      return subscribed ? Math.max(0, performance.now() - confirmedAt) : Infinity;
    },
    close() {
      closed = true;
      stop();
    },
  };
}

function pick<T>(items: readonly T[]): T | undefined {
  return items[Math.floor(Math.random() * items.length)];
}
