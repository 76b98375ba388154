// The Redis store's broadcast on the shared hub (../broadcast-hub.ts): one subscriber connection per store,
// opened at the first listener and closed at the last, with a heartbeat published through the channel and seen back, so `lag()` says how
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
import { broadcastHub, type BroadcastHub } from '../broadcast-hub.js';
import type { StoreBroadcast } from '../contract.js';
import { broadcastOf } from '../end-reason.js';

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
  const broadcast = broadcastOf(changed ? 'changed' : 'revoked', (changed ? message.slice(MESSAGE.changed.length) : message).split(','));
  return broadcast.revoked.length + broadcast.changed.length === 0 ? null : broadcast;
}

/** Options of the Redis broadcast. */
export interface RedisBroadcastOptions {
  client: Redis | Cluster;
  channel: string;
  /** Heartbeat period in ms. */
  heartbeat: number;
  /** Publishes on the main client, bounded by the command timeout. */
  publish(message: string): Promise<unknown>;
}

/** The broadcast of one store: the hub, over a subscriber connection of our own and heartbeats numbered per instance. */
export function redisBroadcast(options: RedisBroadcastOptions): BroadcastHub {
  const { client, channel, heartbeat, publish } = options;
  const nonce = randomBytes(9).toString('base64url');
  let seq = 0;
  let lastSeen = 0;
  const sent = new Map<number, number>();
  let warned = false;

  /** A connection of our own: a duplicate of the client, or on a Cluster of one of its nodes. */
  function connection(): Redis | null {
    const base = client.isCluster ? pick((client as Cluster).nodes('all')) : (client as Redis);
    if (!base) return null;
    return base.duplicate({ enableOfflineQueue: true, autoResubscribe: false, retryStrategy: () => null, lazyConnect: false });
  }

  // the app ended its client (client.quit() at shutdown): end what the store opened, so the process can exit
  function onClientEnd(): void {
    hub.close();
  }

  const hub = broadcastHub<Redis>({ heartbeat, firstRetry: 50 }, (link) => {
    function onHeartbeat(conn: Redis, body: string): void {
      const [from, n] = body.split(':');
      if (from !== nonce) return;
      const at = sent.get(Number(n));
      if (at === undefined || Number(n) <= lastSeen) return;
      if (Number(n) > lastSeen + 1) link.deliver(conn, null); // a heartbeat went missing, and with it maybe a revocation
      lastSeen = Number(n);
      link.confirm(conn, at);
      for (const k of sent.keys()) if (k <= lastSeen) sent.delete(k);
    }

    return {
      open() {
        const conn = connection();
        if (!conn) return null;
        conn.on('error', () => {}); // reconnecting is the hub's; callers see store_unavailable from their own calls
        conn.on('ready', () => {
          const askedAt = performance.now();
          conn.subscribe(channel).then(
            () => {
              // everything published after SUBSCRIBE was processed reaches us; heartbeats sent before may or may not come back
              if (link.up(conn, askedAt)) lastSeen = seq;
            },
            (error: unknown) => {
              // e.g. NOPERM: never "up"; every check then reads Redis. Try again later (the ACL may change).
              if (!warned) process.emitWarning(`latchkey: redisStore could not subscribe to ${channel} (${error instanceof Error ? error.message : 'error'}); accessToken.checkSession reads Redis on every request until it can.`, { code: 'LATCHKEY_REDIS_SUBSCRIBE' });
              warned = true;
              conn.disconnect();
            },
          );
        });
        conn.on('close', () => link.lost(conn));
        conn.on('end', () => link.lost(conn));
        conn.on('message', (from: string, message: string) => {
          if (from !== channel) return;
          if (message.startsWith(MESSAGE.heartbeat)) return onHeartbeat(conn, message.slice(MESSAGE.heartbeat.length));
          const decoded = decode(message);
          if (decoded) link.deliver(conn, decoded);
        });
        client.off('end', onClientEnd);
        client.once('end', onClientEnd);
        return conn;
      },
      end(conn) {
        conn.disconnect();
      },
      beat() {
        seq += 1;
        sent.set(seq, performance.now());
        if (sent.size > 64) sent.delete(sent.keys().next().value as number);
        publish(`${MESSAGE.heartbeat}${nonce}:${seq}`).catch(() => {});
      },
      stopped() {
        client.off('end', onClientEnd);
      },
    };
  });
  return hub;
}

function pick<T>(items: readonly T[]): T | undefined {
  return items[Math.floor(Math.random() * items.length)];
}
