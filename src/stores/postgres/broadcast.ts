// The revocation broadcast of the PostgreSQL store: LISTEN on one dedicated connection (never a pooled one:
// a pool would hand it to someone else, and PgBouncer in transaction mode cannot LISTEN at all), opened on
// the first subscriber. Health: a heartbeat NOTIFY on a channel only this instance listens to, sent every
// `heartbeat` ms through the same connection and seen coming back; `lag()` is the time since the last one
// that came back (Infinity while not listening), so a silently dead connection turns the cache off by itself.
// Heartbeats carry and compare the monotonic clock (performance.now()): a wall-clock step cannot make a dead
// broadcast look fresh. Only this process listens on its heartbeat channel, so no other clock is involved.
import { randomBytes } from 'node:crypto';
import type { Client, ClientConfig, Notification } from 'pg';
import type { StoreBroadcast } from '../contract.js';
import { splitReason } from '../end-reason.js';
import { quoteIdent } from './sql.js';

/** What the listener needs from the store. */
export interface ListenOptions {
  /** Makes the dedicated connection (not yet connected). */
  connect: () => Client;
  /** The broadcast channel the store's statements `pg_notify`. */
  channel: string;
  /** Heartbeat period in ms. */
  heartbeat: number;
}

/** The broadcast side of the store. */
export interface Listener {
  subscribe(listener: (message: StoreBroadcast | null) => void): () => void;
  lag(): number;
  close(): Promise<void>;
}

/**
 * Parses one payload, `r:<id>,<id>…` (revoked, perhaps ending with its reason `,~<reason>`: stores/end-reason.ts)
 * or `c:<id>,…` (changed); null for anything else.
 */
export function parsePayload(payload: string | undefined): StoreBroadcast | null {
  const kind = payload?.slice(0, 2);
  if (payload === undefined || (kind !== 'r:' && kind !== 'c:')) return null;
  const { ids, reason } = splitReason(payload.slice(2).split(','));
  if (kind === 'c:') return { revoked: [], changed: ids };
  return reason ? { revoked: ids, changed: [], reason } : { revoked: ids, changed: [] };
}

/** Makes the listener; it opens nothing until the first `subscribe`. */
export function createListener(options: ListenOptions): Listener {
  const listeners = new Set<(message: StoreBroadcast | null) => void>();
  const beat = `${options.channel}:hb:${randomBytes(9).toString('base64url')}`;
  let client: Client | null = null;
  let live = false;
  let confirmedAt = -Infinity;
  let beatSentAt = 0;
  let beating = false;
  let timer: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;
  let failures = 0;

  function notify(message: StoreBroadcast | null): void {
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  function onNotification(message: Notification): void {
    if (message.channel === beat) {
      const sent = Number(message.payload);
      if (Number.isFinite(sent) && sent > confirmedAt) confirmedAt = sent;
      return;
    }
    if (message.channel !== options.channel) return;
    const parsed = parsePayload(message.payload);
    if (parsed) notify(parsed);
  }

  /** The connection is gone or unusable: stop trusting the cache, drop it, and reconnect while anyone listens. */
  function lost(from: Client): void {
    if (from !== client) return;
    client = null;
    const wasLive = live;
    live = false;
    beating = false;
    confirmedAt = -Infinity;
    from.end().catch(() => {});
    if (wasLive) notify(null);
    if (listeners.size > 0 && retry === null) {
      const delay = Math.min(100 * 2 ** failures++, 2000);
      retry = setTimeout(() => {
        retry = null;
        if (listeners.size > 0) open();
      }, delay);
      retry.unref();
    }
  }

  function open(): void {
    const c = options.connect();
    client = c;
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    c.on('notification', onNotification);
    c.connect()
      .then(() => c.query(`LISTEN ${quoteIdent(options.channel)}; LISTEN ${quoteIdent(beat)}`))
      .then(
        () => {
          if (client !== c) return;
          live = true;
          failures = 0;
          notify(null); // whatever was broadcast while we were not listening is lost to us
          sendBeat();
        },
        () => lost(c),
      );
  }

  function sendBeat(): void {
    const c = client;
    if (!c || !live) return;
    if (beating) {
      // the last heartbeat has not even been acknowledged: a frozen server or a dead link
      if (performance.now() - beatSentAt > Math.max(5 * options.heartbeat, 2000)) lost(c);
      return;
    }
    beating = true;
    beatSentAt = performance.now();
    c.query('SELECT pg_notify($1, $2)', [beat, String(beatSentAt)]).then(
      () => {
        if (client === c) beating = false;
      },
      () => lost(c),
    );
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    if (retry) clearTimeout(retry);
    timer = null;
    retry = null;
    const c = client;
    client = null;
    live = false;
    beating = false;
    confirmedAt = -Infinity;
    c?.end().catch(() => {});
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (client === null && retry === null) {
        open();
        timer = setInterval(sendBeat, options.heartbeat);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    lag() {
      return live ? Math.max(0, performance.now() - confirmedAt) : Infinity;
    },
    async close() {
      listeners.clear();
      stop();
    },
  };
}
