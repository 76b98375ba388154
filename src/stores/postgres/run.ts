// Every PostgreSQL call the store makes, bounded: waiting for a pooled connection and running the statement
// share one deadline. Past it the call fails with store_unavailable (503, fail closed), the statement is
// cancelled on the server (so a write we reported as failed cannot land later), and its connection is
// destroyed rather than returned to the pool mid-statement. A connection that arrives after the deadline
// goes straight back to the pool unused: an exhausted pool costs a caller the timeout, never minutes.
//
// Any default isolation level. Each call is one autocommit statement (or one transaction), so when
// PostgreSQL aborts it with a serialization failure (40001: REPEATABLE READ or SERIALIZABLE meeting a
// concurrent write) or as a deadlock victim (40P01), nothing of it happened: the runner runs it again on the
// same connection, with a fresh snapshot, until it goes through or the call's deadline passes. A statement
// whose correctness needs read committed's fresh snapshot per statement (the capped create) asks for it
// itself; see postgres-store.ts.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { AuthError } from '../../core/errors.js';
import { createDeadlines } from '../deadline.js';

/** What a cancel request needs to know about a connection (node-postgres clients carry these, untyped). */
interface BackendKey {
  host?: string;
  port?: number;
  processID?: number | null;
  secretKey?: number | null;
}

/**
 * Sends PostgreSQL's out-of-band CancelRequest (protocol message 80877102) for the statement `client` is
 * running, on a short-lived socket of its own: what psql does on Ctrl-C. Best effort; errors are ignored.
 */
function cancelStatement(client: PoolClient, timeout: number): void {
  const { host, port, processID, secretKey } = client as unknown as BackendKey;
  if (typeof processID !== 'number' || typeof secretKey !== 'number' || typeof port !== 'number') return;
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  const socket = host?.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host ?? 'localhost');
  socket.setTimeout(timeout, () => socket.destroy());
  socket.on('error', () => {});
  socket.on('connect', () => socket.end(message));
}

/** Runs statements for the store. */
export interface Runner {
  /** One statement on a pooled connection, within the deadline. */
  query<R extends QueryResultRow>(text: string, values: readonly unknown[]): Promise<R[]>;
  /**
   * Several statements on one connection in a transaction, within one deadline. `begin` is sent as one
   * simple query (no parameters): `BEGIN` plus what must run first, such as taking an advisory lock.
   */
  transaction<T>(begin: string, body: (run: <R extends QueryResultRow>(text: string, values?: readonly unknown[]) => Promise<R[]>) => Promise<T>): Promise<T>;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** A PostgreSQL error reduced to its SQLSTATE and message: never the statement, its arguments or `detail`. */
export function sanitize(error: unknown): Error {
  if (error instanceof AuthError) return error;
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'unknown';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const clean = new Error(`PostgreSQL error ${code}: ${message}`);
  (clean as Error & { code: string }).code = code;
  return clean;
}

/** The store_unavailable error a failed or late call ends in; `cause` keeps the sanitised reason for logs. */
export function unavailable(cause: unknown): AuthError {
  return cause instanceof AuthError ? cause : new AuthError('store_unavailable', undefined, { cause: sanitize(cause) });
}

/** SQLSTATEs after which PostgreSQL has rolled the whole transaction back and running it again is safe. */
const RETRYABLE = new Set(['40001', '40P01']);

/** True for a serialization failure or a deadlock: the transaction did nothing and may simply run again. */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** A short random pause before attempt `attempt` (1, 2, …): contenders that collided do not collide again in step. */
function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 8)));
}

/** True for an error PostgreSQL answered (the connection is fine); false for a broken connection. */
function answeredByServer(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SQLSTATE.test(code);
}

/**
 * Makes a runner over `pool` with a deadline of `timeout` ms per call. With `prepared`, each statement with
 * parameters is a named prepared statement (named by a hash of its text): PostgreSQL parses and plans it once
 * per connection instead of on every call.
 */
export function createRunner(pool: Pool, timeout: number, prepared = false): Runner {
  const names = new Map<string, string>();
  const nameOf = (text: string): string => {
    let name = names.get(text);
    if (name === undefined) {
      name = `latchkey_${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  const deadlines = createDeadlines(timeout); // one timer for every pending call (deadline.ts), as the Redis store
  function withClient<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let held: PoolClient | null = null;
      const deadline = deadlines.start(() => {
        settled = true;
        if (held) {
          cancelStatement(held, timeout);
          held.release(new Error('latchkey: statement cancelled at the store deadline'));
          held = null;
        }
        reject(unavailable(new Error(`PostgreSQL did not answer within ${timeout} ms`)));
      });
      pool.connect().then(
        (client) => {
          if (settled) return client.release();
          held = client;
          // A checked-out client that loses its connection emits 'error' besides failing its query: the query's
          // rejection is what we report, and an unheard 'error' event would crash the process.
          const onError = (): void => {};
          client.on('error', onError);
          const done = (): void => {
            client.off('error', onError);
          };
          const attempt = async (): Promise<T> => {
            for (let n = 1; ; n++) {
              try {
                return await body(client);
              } catch (error) {
                if (settled || !isRetryable(error)) throw error;
                await backoff(n);
                if (settled) throw error;
              }
            }
          };
          attempt().then(
            (value) => {
              if (settled) return;
              settled = true;
              deadlines.settle(deadline);
              held = null;
              done();
              client.release();
              resolve(value);
            },
            (error: unknown) => {
              if (settled) return;
              settled = true;
              deadlines.settle(deadline);
              held = null;
              done();
              client.release(answeredByServer(error) ? undefined : sanitize(error));
              reject(unavailable(error));
            },
          );
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          deadlines.settle(deadline);
          reject(unavailable(error));
        },
      );
    });
  }

  const rows = async <R extends QueryResultRow>(client: PoolClient, text: string, values: readonly unknown[] = []): Promise<R[]> =>
    (await client.query<R>(prepared && values.length > 0 ? { name: nameOf(text), text, values: values as unknown[] } : { text, values: values as unknown[] })).rows;

  return {
    query(text, values) {
      return withClient((client) => rows(client, text, values));
    },
    transaction(begin, body) {
      return withClient(async (client) => {
        await client.query(begin);
        try {
          const result = await body((text, values) => rows(client, text, values));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      });
    },
  };
}
