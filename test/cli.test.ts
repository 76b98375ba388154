import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { importJWK, jwtVerify, type JWK } from 'jose';
import { createAuth, importKey, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../src/entries/index.js';
import pg from 'pg';
import { postgresStore } from '../src/entries/postgres.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli.cjs');
const run = promisify(execFile);

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI the way `npx latchkey` does: node on dist/cli.cjs, which loads the built core. */
async function latchkey(...args: string[]): Promise<Result> {
  return latchkeyWith({}, ...args);
}

/** The CLI with extra environment variables. */
async function latchkeyWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root, timeout: 20_000, env: { ...process.env, ...env } });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

// `npm test` builds first (pretest); when this file runs on its own against a stale or missing build, build now.
beforeAll(() => {
  const built = [cli, join(root, 'dist/index.cjs')];
  const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'tsup.config.ts')), newestMtime(join(root, 'package.json')));
  const stale = built.some((file) => !existsSync(file) || statSync(file).mtimeMs < sources);
  if (stale) execFileSync(join(root, 'node_modules/.bin/tsup'), { cwd: root, stdio: 'ignore', timeout: 120_000 });
}, 150_000);

const issuer = 'https://api.example.com';
const audience = 'web';

/** Proves a private key signs access tokens that its public JWK (as printed) verifies. */
async function signAndVerify(privateKey: Awaited<ReturnType<typeof importKey>>, verifyWith: JWK | Uint8Array): Promise<void> {
  const auth = createAuth({ keys: [privateKey], issuer, audience });
  const { accessToken } = await auth.signIn({ userId: 'cli-user' });
  expect((await auth.verifyAccessToken(accessToken)).sub).toBe('cli-user');
  const verifier = verifyWith instanceof Uint8Array ? verifyWith : await importJWK(verifyWith, privateKey.alg);
  const { payload, protectedHeader } = await jwtVerify(accessToken, verifier, { issuer, audience, algorithms: [privateKey.alg] });
  expect(payload.sub).toBe('cli-user');
  expect(protectedHeader.kid).toBe(privateKey.kid);
}

interface KeygenJSON {
  alg: SigningAlgorithm;
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK | null;
  pem: string | null;
}

describe('latchkey keygen', () => {
  it('the package bin points at the built CLI, which starts with a node shebang', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.latchkey).toBe('./dist/cli.cjs');
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it.each(SIGNING_ALGORITHMS)('--alg %s --json prints a key that importKey takes back and that signs and verifies', async (alg) => {
    const result = await latchkey('keygen', '--alg', alg, '--kid', `test-${alg}`, '--json');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout) as KeygenJSON;
    expect(printed).toMatchObject({ alg, kid: `test-${alg}`, privateJwk: { kid: `test-${alg}`, alg } });

    const key = await importKey(printed.privateJwk);
    expect(key.alg).toBe(alg);
    expect(key.kid).toBe(`test-${alg}`);

    if (alg === 'HS256') {
      expect(printed.publicJwk).toBeNull();
      expect(printed.pem).toBeNull();
      const secret = new Uint8Array(Buffer.from(String(printed.privateJwk.k), 'base64url'));
      expect(secret.byteLength).toBe(32);
      await signAndVerify(key, secret);
      return;
    }
    // The public JWK holds no private member and verifies what the private key signed.
    expect(printed.publicJwk).not.toBeNull();
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(printed.publicJwk).not.toHaveProperty(member);
    expect(printed.publicJwk).toMatchObject({ kid: `test-${alg}`, alg });
    await signAndVerify(key, printed.publicJwk!);
    // The PEM is the same private key.
    expect(printed.pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n?$/);
    const fromPem = await importKey(printed.pem!, { kid: `test-${alg}` });
    await signAndVerify(fromPem, printed.publicJwk!);
  });

  it('prints the private JWK, the PEM and the public JWK with guidance on where to keep them', async () => {
    const result = await latchkey('keygen', '--alg', 'EdDSA');
    expect(result.status).toBe(0);
    const jsonLines = result.stdout.split('\n').filter((line) => line.startsWith('{'));
    expect(jsonLines).toHaveLength(2);
    const [privateJwk, publicJwk] = jsonLines.map((line) => JSON.parse(line) as JWK);
    expect(privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(typeof privateJwk!.d).toBe('string');
    expect(publicJwk).not.toHaveProperty('d');
    expect(result.stdout).toContain('-----BEGIN PRIVATE KEY-----');
    expect(result.stdout).toMatch(/secret manager/);
    expect(result.stdout).toMatch(/environment variable/);
    await signAndVerify(await importKey(privateJwk!), publicJwk!);
  });

  it('HS256 prints a secret JWK and says there is no public key', async () => {
    const result = await latchkey('keygen', '--alg', 'HS256');
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('BEGIN PRIVATE KEY');
    expect(result.stdout).toMatch(/no public key/);
    const jsonLines = result.stdout.split('\n').filter((line) => line.startsWith('{'));
    expect(jsonLines).toHaveLength(1);
    expect((await importKey(JSON.parse(jsonLines[0]!) as JWK)).alg).toBe('HS256');
  });

  it('defaults to Ed25519 (RFC 9864) and makes a different key every time', async () => {
    const [a, b] = await Promise.all([latchkey('keygen', '--json'), latchkey('keygen', '--json')]);
    const [first, second] = [JSON.parse(a.stdout) as KeygenJSON, JSON.parse(b.stdout) as KeygenJSON];
    expect(first.alg).toBe('Ed25519');
    expect(first.privateJwk.d).not.toBe(second.privateJwk.d);
    expect(first.kid).not.toBe(second.kid);
  });

  it('--help prints the usage and exits 0', async () => {
    for (const args of [['--help'], ['keygen', '--help']]) {
      const result = await latchkey(...args);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('Usage: latchkey keygen');
    }
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /missing command/],
    [['keygen', '--alg', 'none'], /unknown algorithm "none".*EdDSA, ES256, RS256, HS256/],
    [['keygen', '--alg', 'HS512'], /unknown algorithm "HS512"/],
    [['keygen', '--alg'], /--alg/],
    [['keygen', '--bogus'], /--bogus/],
    [['keygen', 'extra'], /extra/],
    [['keygen', '--kid', 'has space'], /--kid/],
  ])('a usage error (%j) exits 2 with a clear message and prints no key', async (args, message) => {
    const result = await latchkey(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: latchkey keygen');
    expect(result.stdout).toBe('');
  });
});

describe.skipIf(!postgresAvailable)('latchkey postgres-schema and postgres-prune', () => {
  let server: PostgresServer;
  let pool: pg.Pool;
  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool(server.config);
  });
  afterAll(async () => {
    await pool?.end();
    server?.stop();
  });

  it('postgres-schema prints SQL that creates a table the store then uses without createTable', async () => {
    const result = await latchkey('postgres-schema', '--schema', 'auth', '--table', 'my sessions');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('CREATE TABLE IF NOT EXISTS "auth"."my sessions"');
    await pool.query(result.stdout);
    await pool.query(result.stdout); // a migration may run twice
    const store = postgresStore({ pool, schema: 'auth', table: 'my sessions', listen: false });
    const auth = createAuth({ store, cookies: { secure: false } });
    const signedIn = await auth.signIn({ userId: 'cli-schema' });
    expect((await auth.sessions.list('cli-schema')).map((s) => s.id)).toEqual([signedIn.session.id]);
  });

  it('postgres-prune deletes expired rows from DATABASE_URL and keeps live ones; without DATABASE_URL it exits 2', async () => {
    const schema = await latchkey('postgres-schema', '--table', 'prune_cli');
    await pool.query(schema.stdout);
    const t = Date.now();
    await pool.query(`INSERT INTO prune_cli SELECT 'exp' || lpad(g::text, 19, '0'), 'u', 1, $1::bigint, $1, $1, $1, $1 - 1, null, null, null, '{}' FROM generate_series(1, 1500) g`, [t]);
    const auth = createAuth({ store: postgresStore({ pool, table: 'prune_cli', listen: false, pruneBatch: 0 }), cookies: { secure: false } });
    const live = await auth.signIn({ userId: 'cli-live' });
    const result = await latchkeyWith({ DATABASE_URL: server.url }, 'postgres-prune', '--table', 'prune_cli', '--batch', '500');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/pruned 1500 expired sessions/);
    expect((await pool.query('SELECT id FROM prune_cli')).rows.map((r) => r.id)).toEqual([live.session.id]);
    const missing = await latchkeyWith({ DATABASE_URL: '' }, 'postgres-prune');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/DATABASE_URL/);
  });
});
