// The revocation broadcast of the PostgreSQL store, on the shared hub (../broadcast-hub.ts): LISTEN on one
// dedicated connection (never a pooled one: a pool would hand it to someone else, and PgBouncer in
// transaction mode cannot LISTEN at all), opened on the first subscriber. Health: a heartbeat NOTIFY on a channel only this instance listens to, sent every
// `heartbeat` ms through the same connection and seen coming back; `lag()` is the time since the last one
// that came back (Infinity while not listening), so a silently dead connection turns the cache off by itself.
// Heartbeats carry and compare the monotonic clock (performance.now()): a wall-clock step cannot make a dead
// broadcast look fresh. Only this process listens on its heartbeat channel, so no other clock is involved.
import { randomBytes } from 'node:crypto';
import type { Client, Notification } from 'pg';
import { broadcastHub, type BroadcastHub } from '../broadcast-hub.js';
import type { StoreBroadcast } from '../contract.js';
import { broadcastOf } from '../end-reason.js';
import { quoteIdent } from './sql.js';

/** What the broadcast needs from the store. */
export interface PostgresBroadcastOptions {
  /** Makes the dedicated connection (not yet connected). */
  connect: () => Client;
  /** The broadcast channel the store's statements `pg_notify`. */
  channel: string;
  /** Heartbeat period in ms. */
  heartbeat: number;
}

/**
 * Parses one payload, `r:<id>,<id>…` (revoked, perhaps ending with its reason `,~<reason>`: stores/end-reason.ts)
 * or `c:<id>,…` (changed); null for anything else.
 */
export function parsePayload(payload: string | undefined): StoreBroadcast | null {
  const kind = payload?.slice(0, 2);
  if (payload === undefined || (kind !== 'r:' && kind !== 'c:')) return null;
  return broadcastOf(kind === 'c:' ? 'changed' : 'revoked', payload.slice(2).split(','));
}

/** Makes the broadcast: the hub over one LISTEN connection; it opens nothing until the first `subscribe`. */
export function postgresBroadcast(options: PostgresBroadcastOptions): BroadcastHub {
  const beat = `${options.channel}:hb:${randomBytes(9).toString('base64url')}`;
  let beatSentAt = 0;
  let beating: Client | null = null; // the connection whose last heartbeat is not yet acknowledged

  return broadcastHub<Client>({ heartbeat: options.heartbeat, firstRetry: 100 }, (link) => {
    function sendBeat(c: Client): void {
      if (beating === c) {
        // the last heartbeat has not even been acknowledged: a frozen server or a dead link
        if (performance.now() - beatSentAt > Math.max(5 * options.heartbeat, 2000)) link.lost(c);
        return;
      }
      beating = c;
      beatSentAt = performance.now();
      c.query('SELECT pg_notify($1, $2)', [beat, String(beatSentAt)]).then(
        () => {
          if (beating === c) beating = null;
        },
        () => link.lost(c),
      );
    }

    return {
      open() {
        const c = options.connect();
        c.on('error', () => link.lost(c));
        c.on('end', () => link.lost(c));
        c.on('notification', (message: Notification) => {
          if (message.channel === beat) {
            const sent = Number(message.payload);
            if (Number.isFinite(sent)) link.confirm(c, sent);
            return;
          }
          if (message.channel !== options.channel) return;
          const parsed = parsePayload(message.payload);
          if (parsed) link.deliver(c, parsed);
        });
        c.connect()
          .then(() => c.query(`LISTEN ${quoteIdent(options.channel)}; LISTEN ${quoteIdent(beat)}`))
          .then(
            () => {
              if (link.up(c)) sendBeat(c);
            },
            () => link.lost(c),
          );
        return c;
      },
      end(c) {
        c.end().catch(() => {});
      },
      beat: sendBeat,
    };
  });
}
