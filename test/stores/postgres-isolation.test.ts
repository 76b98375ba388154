// The PostgreSQL store under every default isolation level a database can be set to (ALTER DATABASE … SET
// default_transaction_isolation): the per-user cap holds, concurrent refreshes and compare-and-set updates
// answer without a 503, and the whole conformance suite passes. One throwaway cluster, one database per level.
import pg from 'pg';
import { createAuth, generateKey, isAuthError } from '../../src/entries/index.js';
import { postgresStore, type PostgresStore } from '../../src/entries/postgres.js';
import { runStoreConformance } from '../../src/entries/testing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';
import { AUDIENCE, ISSUER } from '../support/core.js';

const LEVELS = ['read committed', 'repeatable read', 'serializable'] as const;

describe.skipIf(!postgresAvailable)('postgres store under each default isolation level', () => {
  let server: PostgresServer;
  const pools = new Map<string, pg.Pool>();
  const stores: PostgresStore[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startPostgres();
    const admin = new pg.Client(server.config);
    await admin.connect();
    for (const level of LEVELS) {
      const database = `iso_${level.replace(' ', '_')}`;
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.query(`ALTER DATABASE ${database} SET default_transaction_isolation = '${level}'`);
      pools.set(level, new pg.Pool({ ...server.config, database, max: 10 }));
    }
    await admin.end();
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await Promise.all([...pools.values()].map((p) => p.end()));
    server?.stop();
  });

  const make = (level: string, options: Partial<Parameters<typeof postgresStore>[0]> = {}): PostgresStore => {
    const s = postgresStore({ pool: pools.get(level)!, createTable: true, table: `sessions_${++n}`, channel: `iso_${n}`, ...options });
    stores.push(s);
    return s;
  };

  for (const level of LEVELS) {
    describe(level, () => {
      it('the database really defaults to this level', async () => {
        const { rows } = await pools.get(level)!.query<{ level: string }>('SELECT current_setting($1) AS level', ['transaction_isolation']);
        expect(rows[0]!.level).toBe(level);
      });

      it('20 concurrent sign-ins at maxPerUser 3 leave exactly 3 live sessions (evict), and 3 signed in (refuse)', async () => {
        const key = await generateKey('EdDSA');
        for (const overLimit of ['evict', 'refuse'] as const) {
          const store = make(level);
          const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store, session: { maxPerUser: 3, overLimit } });
          const results = await Promise.allSettled(Array.from({ length: 20 }, () => auth.signIn({ userId: 'capped' })));
          const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : isAuthError(r.reason) ? r.reason.code : String(r.reason)));
          expect(codes.filter((c) => c !== 'ok' && c !== 'session_limit')).toEqual([]);
          if (overLimit === 'refuse') expect(codes.filter((c) => c === 'ok')).toHaveLength(3);
          expect(await store.listByUser('capped')).toHaveLength(3);
          await auth.close();
        }
      });

      it('20 concurrent refreshes of one token all answer, with one rotation: every caller gets the same new token', async () => {
        const store = make(level);
        const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, store });
        const signedIn = await auth.signIn({ userId: 'tabs' });
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => auth.refresh({ refreshToken: signedIn.refreshToken })));
        const failures = results.flatMap((r) => (r.status === 'rejected' ? [isAuthError(r.reason) ? r.reason.code : String(r.reason)] : []));
        expect(failures).toEqual([]);
        const tokens = new Set(results.map((r) => (r as PromiseFulfilledResult<{ refreshToken: string }>).value.refreshToken));
        expect(tokens.size).toBe(1);
        expect(tokens.has(signedIn.refreshToken)).toBe(false);
        expect((await store.get(signedIn.session.id))?.refresh?.generation).toBe(1);
        await auth.close();
      });

      // The read-committed database is the conformance suite's own (postgres.conformance.test.ts).
      if (level !== 'read committed') {
        runStoreConformance(`postgres, default ${level}`, () => make(level), {
          indexSize: async (_store, userId) => {
            const { rows } = await pools.get(level)!.query<{ n: number }>(`SELECT count(*)::int AS n FROM public."sessions_${n}" WHERE user_id = $1`, [userId]);
            return rows[0]!.n;
          },
        });
      }
    });
  }
});
