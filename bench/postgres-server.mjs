// One Express server for bench/postgres.mjs: `node bench/postgres-server.mjs <variant> <port> <databaseUrl>`.
// Routes: POST /login (creates the session), GET /me (protected). Prints "ready" once listening. Variants:
//   latchkey-pg        latchkey cookie session on postgresStore (pg.Pool, max 10)
//   express-session-pg express-session + connect-pg-simple (pg.Pool, max 10), their recommended settings
import pg from 'pg';
import { mountExpressSession, USER } from './express-session-app.mjs';

const [variant, portArg, url] = process.argv.slice(2);
const port = Number(portArg);
const pool = new pg.Pool({ connectionString: url, max: 10 });
const { default: createApp } = await import('express');
const app = createApp();
app.disable('x-powered-by');

if (variant === 'latchkey-pg') {
  const { createAuth } = await import('../dist/index.js');
  const { postgresStore } = await import('../dist/postgres.js');
  const { latchkey } = await import('../dist/express.js');
  const store = postgresStore({ pool, createTable: true });
  await store.ready();
  const lk = latchkey(createAuth({ store }));
  app.post('/login', async (req, res) => {
    await lk.signIn(req, res, USER);
    res.json({ ok: true });
  });
  app.get('/me', lk.requireAuth(), (req, res) => res.json({ userId: req.auth.userId }));
} else {
  const { default: session } = await import('express-session');
  const { default: pgSession } = await import('connect-pg-simple');
  const PGStore = pgSession(session);
  await mountExpressSession(app, new PGStore({ pool, createTableIfMissing: true }));
}
// CPU this process has used (µs), so the bench can compute CPU per request whatever else shares the machine.
app.get('/cpu', (req, res) => {
  const { user, system } = process.cpuUsage();
  res.json({ cpu: user + system });
});
app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
