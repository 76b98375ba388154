// Configuration shared by the three example servers: the Auth, the demo user, and the start-up banner.
// Everything a real app would read from its environment is read here, once.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { createAuth, generateKey, isAuthError } from 'latchkey';

const scryptAsync = promisify(scrypt);

/**
 * Environment:
 *   PORT                       port to listen on (default 3000; 0 picks a free one and prints it)
 *   HOST                       interface to bind (default 127.0.0.1; the banner prints http://localhost)
 *   REDIS_URL                  use latchkey/redis on this Redis instead of the in-memory store
 *   DATABASE_URL               use latchkey/postgres on this PostgreSQL (the table is created if missing)
 *   LATCHKEY_KEYS_JWK          signing keys as a JWK or a JSON array of JWKs (first signs); default: a new EdDSA key
 *   LATCHKEY_ACCESS_TTL        access-token lifetime (default '15m'); tests use '2s'
 *   LATCHKEY_CLOCK_TOLERANCE   leeway on access-token expiry (default '5s'); tests use '0s'
 *   LATCHKEY_TRUSTED_ORIGINS   comma-separated origins allowed to POST with the cookies (e.g. a separate SPA origin)
 *   DEMO_USERNAME / DEMO_PASSWORD   the demo account (default demo / latchkey-demo)
 */
export function readConfig(env = process.env) {
  return {
    port: env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT),
    host: env.HOST || '127.0.0.1',
    redisUrl: env.REDIS_URL || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    keysJwk: env.LATCHKEY_KEYS_JWK || undefined,
    accessTtl: env.LATCHKEY_ACCESS_TTL || '15m',
    clockTolerance: env.LATCHKEY_CLOCK_TOLERANCE || '5s',
    trustedOrigins: (env.LATCHKEY_TRUSTED_ORIGINS || '').split(',').map((s) => s.trim()).filter(Boolean),
    username: env.DEMO_USERNAME || 'demo',
    password: env.DEMO_PASSWORD || 'latchkey-demo',
  };
}

async function loadKeys(keysJwk) {
  if (!keysJwk) return [await generateKey('EdDSA')];
  let parsed;
  try {
    parsed = JSON.parse(keysJwk);
  } catch {
    throw new Error('LATCHKEY_KEYS_JWK must be a private JWK or a JSON array of them (npx latchkey keygen prints one).');
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}

async function loadStore(redisUrl, databaseUrl) {
  if (databaseUrl && !redisUrl) return loadPostgres(databaseUrl);
  if (!redisUrl) return { store: undefined, label: 'memory (one process; sessions end when it stops)' };
  // Loaded only when asked for: ioredis is an optional peer.
  const [{ redisStore }, { Redis }, { once }] = await Promise.all([import('latchkey/redis'), import('ioredis'), import('node:events')]);
  // The client options docs/redis.md recommends: fail fast while Redis is down (latchkey answers 503), reconnect.
  const client = new Redis(redisUrl, { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  client.on('error', (error) => console.warn(`[redis] ${error.message}`));
  await once(client, 'ready');
  return { store: redisStore({ client }), label: `redis at ${new URL(redisUrl).host}`, client };
}

async function loadPostgres(databaseUrl) {
  // Loaded only when asked for: pg is an optional peer.
  const [{ postgresStore }, { default: pg }] = await Promise.all([import('latchkey/postgres'), import('pg')]);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  pool.on('error', (error) => console.warn(`[postgres] ${error.message}`));
  const store = postgresStore({ pool, createTable: true });
  await store.ready();
  const { host, pathname } = new URL(databaseUrl);
  return { store, label: `postgres at ${host}${pathname}`, client: { quit: () => pool.end() } };
}

/** Creates the Auth every example uses. */
export async function createDemoAuth(config = readConfig()) {
  const [keys, { store, label, client }] = await Promise.all([loadKeys(config.keysJwk), loadStore(config.redisUrl, config.databaseUrl)]);
  const auth = createAuth({
    keys,
    issuer: 'http://localhost',
    audience: 'latchkey-demo',
    ...(store ? { store } : {}),
    // checkSession: "sign out other devices" also stops those devices' access tokens at once, not at expiry.
    accessToken: { ttl: config.accessTtl, clockTolerance: config.clockTolerance, checkSession: true },
    // cookies.secure stays true (the default), also on http://localhost: browsers treat localhost as a
    // secure context, so Secure and __Host- cookies work there. See docs/running.md.
    csrf: { trustedOrigins: config.trustedOrigins },
    onEvent: (event) => {
      if (event.type === 'refresh_reused') console.warn(`[latchkey] refresh token replayed: session ${event.sessionId} revoked`);
    },
  });
  await auth.ready();
  return {
    auth,
    storeLabel: label,
    async close() {
      await auth.close();
      await client?.quit().catch(() => {});
    },
  };
}

/**
 * The demo account. A real app keeps only a password hash (scrypt, argon2, bcrypt) in its database;
 * so does this one. Both fields are always checked, and compared in constant time.
 */
export async function createDemoUser(config = readConfig()) {
  const salt = randomBytes(16);
  const hash = await scryptAsync(config.password, salt, 32);
  const username = Buffer.from(config.username);
  return {
    id: 'user-1',
    username: config.username,
    password: config.password,
    /** The user's id when the username and password match, otherwise `null`. */
    async verify(givenUsername, givenPassword) {
      if (typeof givenUsername !== 'string' || typeof givenPassword !== 'string' || givenPassword.length > 1024) return null;
      const given = await scryptAsync(givenPassword, salt, 32);
      const nameGiven = Buffer.from(givenUsername);
      // Compare equal-length buffers only; the length check leaks nothing a username list would not.
      const nameOk = nameGiven.length === username.length && timingSafeEqual(nameGiven, username);
      const passwordOk = timingSafeEqual(given, hash);
      return nameOk && passwordOk ? 'user-1' : null;
    },
  };
}

/**
 * Login CSRF: a cross-site page must not sign the browser in to someone else's account. Every adapter's
 * signIn applies latchkey's CSRF check (the one cookie-authenticated requests get, `csrf.trustedOrigins`
 * included) and refuses such a form with `csrf_rejected`; this tells that refusal apart from other errors.
 */
export function isLoginCsrf(error) {
  return isAuthError(error) && error.code === 'csrf_rejected';
}

/** Prints where the server is and how to sign in. */
export function printBanner({ framework, port, user, storeLabel, accessTtl }) {
  const url = `http://localhost:${port}`;
  console.log(
    [
      `latchkey ${framework} demo listening on ${url}`,
      `  sign in with username "${user.username}" and password "${user.password}"`,
      `  store: ${storeLabel}; access tokens live ${accessTtl}`,
      `  pages: ${url}/account  ${url}/devices  ${url}/app (SPA: latchkey/client, token in memory)`,
    ].join('\n'),
  );
}

/** Closes the server and the Auth on Ctrl-C / SIGTERM, so the process (and a Redis connection) ends cleanly. */
export function closeOnSignal(server, demo) {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.close();
    server.closeAllConnections?.();
    demo.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
