// Every PostgreSQL call the store makes, bounded: waiting for a pooled connection and running the statement
// share one deadline. Past it the call fails with store_unavailable (503, fail closed), the statement is
// cancelled on the server (so a write we reported as failed cannot land later), and its connection is
// destroyed rather than returned to the pool mid-statement. A connection that arrives after the deadline
// goes straight back to the pool unused: an exhausted pool costs a caller the timeout, never minutes.
import type { Client, ClientConfig, Pool, PoolClient, QueryResultRow } from 'pg';
import { AuthError } from 'latchkey';

/** The pg pool as node-postgres builds it: its client class is reachable for cancel requests. */
interface PoolWithClient extends Pool {
  Client?: new (config: ClientConfig) => Client;
}

/** The parts of a node-postgres client a cancel request needs (present on pg 8, not in its types). */
interface Cancellable {
  activeQuery?: unknown;
  cancel?(client: unknown, query: unknown): void;
  connection?: { on(event: string, listener: () => void): unknown; end?(): void };
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

/** True for an error PostgreSQL answered (the connection is fine); false for a broken connection. */
function answeredByServer(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SQLSTATE.test(code);
}

/** Makes a runner over `pool` with a deadline of `timeout` ms per call. */
export function createRunner(pool: Pool, timeout: number): Runner {
  /** Sends PostgreSQL's out-of-band cancel request for the statement `client` is running. */
  function cancel(client: PoolClient): void {
    const ClientClass = (pool as PoolWithClient).Client;
    const target = client as unknown as Cancellable;
    if (!ClientClass || target.activeQuery === undefined) return;
    try {
      const canceller = new ClientClass(pool.options) as unknown as Cancellable;
      canceller.connection?.on('error', () => {});
      canceller.cancel?.(client, target.activeQuery);
      setTimeout(() => canceller.connection?.end?.(), timeout).unref();
    } catch {
      // best effort: the connection is destroyed below in any case
    }
  }

  function withClient<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let held: PoolClient | null = null;
      const timer = setTimeout(() => {
        settled = true;
        if (held) {
          cancel(held);
          held.release(new Error('latchkey: statement cancelled at the store deadline'));
          held = null;
        }
        reject(unavailable(new Error(`PostgreSQL did not answer within ${timeout} ms`)));
      }, timeout);
      pool.connect().then(
        (client) => {
          if (settled) return client.release();
          held = client;
          body(client).then(
            (value) => {
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              held = null;
              client.release();
              resolve(value);
            },
            (error: unknown) => {
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              held = null;
              client.release(answeredByServer(error) ? undefined : sanitize(error));
              reject(unavailable(error));
            },
          );
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(unavailable(error));
        },
      );
    });
  }

  const rows = async <R extends QueryResultRow>(client: PoolClient, text: string, values: readonly unknown[] = []): Promise<R[]> =>
    (await client.query<R>(text, values as unknown[])).rows;

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
