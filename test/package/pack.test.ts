/**
 * The published package, as a user gets it: `npm pack`, then install the tarball into scratch apps and use
 * it from ESM, CJS and TypeScript (nodenext and commonjs/node10); publint and @arethetypeswrong/cli check the
 * tarball. Packing happens in a staged copy of the repo, so this file never rebuilds the dist/ other test
 * files read while they run: it packs the dist/ `npm test` just built (pretest) when that is fresh, and
 * otherwise lets prepack build it in the copy. The README's quick starts (and their unhappy paths), the Next.js route
 * handler of docs/nextjs.md and a shipped example run in the scratch app too, from the installed tarball.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlock, readmeBlock } from '../support/markdown.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const repoModules = join(root, 'node_modules');
const tsc = join(repoModules, 'typescript/bin/tsc');

/** Every subpath the package documents, with its source file and the optional peers it loads. */
const SUBPATHS = {
  adapter: { source: 'src/entries/adapter.ts', exportName: 'adapterKit', peers: [] },
  express: { source: 'src/entries/express.ts', exportName: 'latchkey', peers: ['express', '@types/express'] },
  fastify: { source: 'src/entries/fastify.ts', exportName: 'latchkey', peers: ['fastify', 'fastify-plugin'] },
  fetch: { source: 'src/entries/fetch.ts', exportName: 'latchkey', peers: [] },
  hono: { source: 'src/entries/hono.ts', exportName: 'latchkey', peers: ['hono'] },
  koa: { source: 'src/entries/koa.ts', exportName: 'latchkey', peers: ['koa', '@types/koa'] },
  nestjs: { source: 'src/entries/nestjs.ts', exportName: 'LatchkeyModule', peers: ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'] },
  redis: { source: 'src/entries/redis.ts', exportName: 'redisStore', peers: ['ioredis'] },
  postgres: { source: 'src/entries/postgres.ts', exportName: 'postgresStore', peers: ['pg', '@types/pg'] },
  store: { source: 'src/entries/store.ts', exportName: 'applyRefreshStep', peers: [] },
  testing: { source: 'src/entries/testing.ts', exportName: 'runStoreConformance', peers: ['vitest'] },
  client: { source: 'src/entries/client.ts', exportName: 'createClient', peers: [] },
  verify: { source: 'src/entries/verify.ts', exportName: 'createVerifier', peers: [] },
} as const;
type Subpath = keyof typeof SUBPATHS;
/** What the README's quick starts and the shipped examples import besides latchkey and the subpaths' peers. */
const APP_PEERS = ['@koa/router', '@koa/bodyparser', '@hono/node-server', '@fastify/formbody', 'express4'];
const ALL_SUBPATHS = Object.keys(SUBPATHS) as Subpath[];
// Subpaths land one milestone at a time; every check below covers the ones whose source exists.
const present = ALL_SUBPATHS.filter((name) => existsSync(join(root, SUBPATHS[name].source)));

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function sh(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 150_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

async function ok(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await sh(command, args, cwd, env);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

const npm = (args: readonly string[], cwd: string): Promise<string> => ok('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd);
const node = (args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> => ok(process.execPath, args, cwd, env);

/** Links a package the repo already has (a peer, or @types/node) into a scratch app, as if installed. */
function linkFromRepo(app: string, name: string): void {
  const target = join(repoModules, name);
  if (!existsSync(target)) throw new Error(`${name} is not installed in the repo; run npm install`);
  mkdirSync(join(app, 'node_modules', ...name.split('/').slice(0, -1)), { recursive: true });
  symlinkSync(target, join(app, 'node_modules', name), 'dir');
}

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

const SKIP_IN_STAGE = new Set(['node_modules', '.git', 'dist', 'coverage', 'test-results', '.tmp']);

/** The app every user writes first: sign in, authenticate by session cookie and by Bearer token, sign out. */
const SCENARIO = `
async function scenario({ createAuth, generateKey, importKey, isAuthError }) {
  const key = process.env.LATCHKEY_JWK ? await importKey(JSON.parse(process.env.LATCHKEY_JWK)) : await generateKey('EdDSA');
  const auth = createAuth({ keys: [key], issuer: 'https://api.example.com', audience: 'web' });
  const signedIn = await auth.signIn({ userId: '42', data: { role: 'admin' } });
  const cookie = signedIn.setCookies.map((line) => line.split(';')[0]).find((pair) => pair.startsWith('__Host-'));
  const byCookie = await auth.authenticate({ method: 'GET', headers: { cookie } });
  const byBearer = await auth.authenticate({ method: 'GET', headers: new Headers({ authorization: 'Bearer ' + signedIn.accessToken }) });
  await auth.signOut(signedIn.session.id);
  let afterSignOut;
  try {
    afterSignOut = await auth.authenticate({ method: 'GET', headers: { cookie } });
  } catch (error) {
    afterSignOut = isAuthError(error) ? error.code : 'not an AuthError: ' + error;
  }
  return {
    kid: key.kid,
    sessionId: signedIn.session.id,
    byCookie: byCookie && { userId: byCookie.userId, sessionId: byCookie.sessionId, via: byCookie.via, role: byCookie.data.role },
    byBearer: byBearer && { userId: byBearer.userId, sessionId: byBearer.sessionId, via: byBearer.via },
    afterSignOut,
  };
}
`;

const subpathImports = present.map((name) => `import type * as ${name}Module from 'latchkey/${name}';`).join('\n');
const subpathUses = present.map((name) => `export const ${name}IsTyped: IsAny<typeof ${name}Module.${SUBPATHS[name].exportName}> = false;`).join('\n');
const typed = (withSubpaths: boolean): string => `import { createAuth, generateKey, isAuthError, type AuthContext } from 'latchkey';
${withSubpaths ? subpathImports : ''}

declare module 'latchkey' {
  interface Register {
    data: { role: string };
  }
}

${withSubpaths ? `type IsAny<T> = 0 extends 1 & T ? true : false;\n${subpathUses}\n` : ''}
export async function main(): Promise<string> {
  const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web' });
  const { sessionToken, accessToken } = await auth.signIn({ userId: '42', data: { role: 'admin' } });
  // @ts-expect-error the augmented Register says role is a string
  await auth.signIn({ userId: '42', data: { role: 1 } });
  // @ts-expect-error the types are real, not any: jwks() resolves to a key set
  const wrong: number = await auth.jwks();
  void wrong;
  try {
    const ctx: AuthContext | null = await auth.authenticate({ method: 'GET', headers: { cookie: '__Host-latchkey.session=' + sessionToken } });
    const viaBearer = await auth.authenticate({ method: 'GET', headers: { authorization: 'Bearer ' + accessToken } });
    if (ctx?.via === 'cookie') {
      const role: string = ctx.data.role;
      return role + (viaBearer?.userId ?? '');
    }
    return 'none';
  } catch (error) {
    if (isAuthError(error)) return error.code;
    throw error;
  }
}
`;

// A strict server app: no DOM lib, @types/node. The core project checks latchkey's declarations too (skipLibCheck
// off); the subpath projects skip lib checks, which would otherwise check all of @types/express, fastify, vitest...
const compilerOptions = { target: 'ES2022', lib: ['ES2022'], strict: true, noEmit: true, esModuleInterop: true, types: ['node'] };
const nodenext = { ...compilerOptions, module: 'nodenext', moduleResolution: 'nodenext' };

/** The core app: no peers installed. */
function appFiles(): Record<string, string> {
  return {
    'esm.mjs': `import { createAuth, generateKey, importKey, isAuthError } from 'latchkey';\n${SCENARIO}\n` +
      `console.log(JSON.stringify({ resolved: import.meta.resolve('latchkey'), ...(await scenario({ createAuth, generateKey, importKey, isAuthError })) }));\n`,
    'cjs.cjs': `const { createAuth, generateKey, importKey, isAuthError } = require('latchkey');\n${SCENARIO}\n` +
      `scenario({ createAuth, generateKey, importKey, isAuthError }).then((result) => console.log(JSON.stringify({ resolved: require.resolve('latchkey'), ...result })));\n`,
    'dual.cjs': `const cjs = require('latchkey');
import('latchkey').then(async (esm) => {
  // a key made through either entry drives an Auth made through the other
  const cross = async (make, use) => {
    const auth = use.createAuth({ keys: [await make.generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web' });
    const { accessToken } = await auth.signIn({ userId: '42' });
    return (await auth.verifyAccessToken(accessToken)).sub;
  };
  console.log(JSON.stringify({
    sameModule: esm.createAuth === cjs.createAuth,
    cjsSeesEsm: cjs.isAuthError(new esm.AuthError('forbidden')),
    esmSeesCjs: esm.isAuthError(new cjs.AuthError('forbidden')),
    plainError: cjs.isAuthError(new Error('forbidden')) || esm.isAuthError({ code: 'forbidden' }),
    esmKeyInCjs: await cross(esm, cjs),
    cjsKeyInEsm: await cross(cjs, esm),
  }));
});
`,
    'ts-nodenext/esm.mts': typed(false),
    'ts-nodenext/cjs.cts': typed(false),
    'ts-nodenext/tsconfig.json': JSON.stringify({ compilerOptions: { ...nodenext, skipLibCheck: false }, files: ['esm.mts', 'cjs.cts'] }),
    // A CommonJS app (package.json without "type": "module"), module node16, every declaration checked
    'ts-node16-cjs/package.json': JSON.stringify({ private: true }),
    'ts-node16-cjs/app.ts': typed(false),
    'ts-node16-cjs/tsconfig.json': JSON.stringify({ compilerOptions: { ...compilerOptions, module: 'node16', moduleResolution: 'node16', skipLibCheck: false }, files: ['app.ts'] }),
  };
}

// vitest refuses require() outright, so from CJS latchkey/testing is only resolved; ESM loads it.
const requirable = present.filter((name) => name !== 'testing');

/** The app with the optional peers: subpaths at run time, and the TypeScript projects. */
function peersFiles(): Record<string, string> {
  return {
    'subpaths.cjs': `const core = require('latchkey');
const exported = {};
for (const name of ${JSON.stringify(requirable)}) exported[name] = Object.keys(require('latchkey/' + name));
// require(esm): each CommonJS entry is the very ESM module import() gives, so there is one core (the browser
// client is a build of its own that holds no core state)
(async () => {
  const same = core === (await import('latchkey')) && (await Promise.all(${JSON.stringify(requirable.filter((name) => name !== 'client'))}.map(async (name) => require('latchkey/' + name) === (await import('latchkey/' + name))))).every(Boolean);
  console.log(JSON.stringify({ exported, same, testing: ${JSON.stringify(present.includes('testing'))} ? require.resolve('latchkey/testing') : null }));
})();
`,
    'subpaths.mjs': `const out = {};
for (const name of ${JSON.stringify(present)}) out[name] = { resolved: import.meta.resolve('latchkey/' + name), exports: Object.keys(await import('latchkey/' + name)) };
console.log(JSON.stringify(out));
`,
    // The ESM file only: a program that loads both the .d.ts and the .d.cts of latchkey/fastify sees its
    // `declare module 'fastify'` augmentation twice, with two distinct types (TS2717).
    'ts-subpaths/esm.mts': typed(true),
    'ts-subpaths/tsconfig.json': JSON.stringify({ compilerOptions: { ...nodenext, skipLibCheck: true }, files: ['esm.mts'] }),
    'ts-node10/app.ts': typed(true),
    'ts-node10/tsconfig.json': JSON.stringify({ compilerOptions: { ...compilerOptions, skipLibCheck: true, module: 'commonjs', moduleResolution: 'node10' }, files: ['app.ts'] }),
  };
}

function mtimes(path: string): number[] {
  const stat = statSync(path);
  return stat.isDirectory() ? readdirSync(path).flatMap((name) => mtimes(join(path, name))) : [stat.mtimeMs];
}

/** Whether dist/ holds every entry and the CLI, built after the last change to anything the build reads. */
function distIsFresh(): boolean {
  const expected = ['cli.cjs', ...['index', ...present].flatMap((entry) => ['.js', '.cjs', '.d.ts', '.d.cts'].map((ext) => `${entry}${ext}`))];
  if (!expected.every((file) => existsSync(join(root, 'dist', file)))) return false;
  const inputs = ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json'].flatMap((path) => mtimes(join(root, path)));
  return Math.min(...expected.map((file) => statSync(join(root, 'dist', file)).mtimeMs)) > Math.max(...inputs);
}

let work: string;
let tarball: string;
let packedFiles: string[];
let app: string; // latchkey and its dependencies only: no peers
let peersApp: string; // plus the optional peers and their types

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'latchkey-pack-'));
  const stage = join(work, 'stage');
  cpSync(root, stage, {
    recursive: true,
    filter: (source) => !relative(root, source).split(sep).some((part) => SKIP_IN_STAGE.has(part)) && !source.endsWith('.tgz'),
  });
  symlinkSync(repoModules, join(stage, 'node_modules'), 'dir');
  if (distIsFresh()) {
    // `npm test` has just built dist/ with the same command prepack runs (pretest); pack that build.
    cpSync(join(root, 'dist'), join(stage, 'dist'), { recursive: true });
    await npm(['pack', '--ignore-scripts', '--pack-destination', work], stage);
  } else {
    await npm(['pack', '--pack-destination', work], stage); // prepack builds
  }
  const name = readdirSync(work).find((file) => file.endsWith('.tgz'));
  if (name === undefined) throw new Error('npm pack wrote no tarball');
  tarball = join(work, name);
  packedFiles = (await ok('tar', ['-tzf', tarball], work)).split('\n').filter(Boolean).map((file) => file.replace(/^package\//, ''));

  app = join(work, 'app');
  peersApp = join(work, 'peers');
  write(app, { 'package.json': JSON.stringify({ name: 'scratch-app', private: true, version: '0.0.0' }) });
  write(peersApp, { 'package.json': JSON.stringify({ name: 'scratch-peers', private: true, version: '0.0.0' }) });
  // jose and cookie come from the npm cache (or the registry); the optional peers are not installed.
  await Promise.all([app, peersApp].map((dir) => npm(['install', tarball, '--prefer-offline'], dir)));
  linkFromRepo(app, '@types/node');
  for (const peer of new Set(['@types/node', ...present.flatMap((entry) => SUBPATHS[entry].peers), ...APP_PEERS])) linkFromRepo(peersApp, peer);
  write(app, appFiles());
  write(peersApp, peersFiles());
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

interface ScenarioResult {
  resolved: string;
  kid: string;
  sessionId: string;
  byCookie: { userId: string; sessionId: string; via: string; role: string } | null;
  byBearer: { userId: string; sessionId: string; via: string } | null;
  afterSignOut: unknown;
}

function expectSignedInAndOut(result: ScenarioResult): void {
  expect(result.byCookie).toEqual({ userId: '42', sessionId: result.sessionId, via: 'cookie', role: 'admin' });
  expect(result.byBearer).toEqual({ userId: '42', sessionId: result.sessionId, via: 'bearer' });
  expect(result.afterSignOut).toBe('session_invalid');
}


describe('the packed tarball', () => {
  it('holds the ESM, CJS, type declarations and CLI of every entry, and no sources or tests', () => {
    for (const entry of ['index', ...present]) {
      for (const ext of ['.js', '.cjs', '.d.ts', '.d.cts']) expect(packedFiles).toContain(`dist/${entry}${ext}`);
    }
    expect(packedFiles).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/cli.cjs']));
    // npm publish builds first, so a stale dist/ is never published.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepack).toBe('npm run build');
    // examples/ ships because the docs send readers there (runnable apps); sources, tests and bench/ (scripts that
    // import dev-only packages and ../dist) stay in the repository
    expect(packedFiles.filter((file) => /^(src|test|bench)\//.test(file) || file.endsWith('.tgz'))).toEqual([]);
    expect(packedFiles).toEqual(expect.arrayContaining(['examples/express/server.mjs', 'examples/shared/setup.mjs']));
  });

  it('each built .js file ends with one sourceMappingURL comment, not two', () => {
    const twice = packedFiles
      .filter((file) => /^dist\/.*\.js$/.test(file))
      .filter((file) => (readFileSync(join(app, 'node_modules/latchkey', file), 'utf8').match(/sourceMappingURL=/g) ?? []).length !== 1);
    expect(twice).toEqual([]);
  });

  it('no published declaration imports jose (ESM-only: a CommonJS TypeScript app cannot read it, TS1479)', () => {
    const withJose = packedFiles.filter((file) => /\.d\.c?ts$/.test(file) && /from ['"]jose['"]|import\(["']jose["']\)/.test(readFileSync(join(app, 'node_modules/latchkey', file), 'utf8')));
    expect(withJose).toEqual([]);
  });

  it('the shipped docs link only to files that ship, and name examples/ and bench/ files only when they ship', () => {
    const missing: string[] = [];
    const ships = (path: string): boolean => packedFiles.includes(path) || packedFiles.some((file) => file.startsWith(path.endsWith('/') ? path : `${path}/`));
    for (const doc of packedFiles.filter((file) => file.endsWith('.md') && file !== 'CHANGELOG.md')) {
      const lines = readFileSync(join(root, doc), 'utf8').split('\n');
      lines.forEach((line, index) => {
        for (const [, target] of line.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
          if (/^[a-z]+:/i.test(target!)) continue;
          const path = posix.normalize(posix.join(posix.dirname(doc), target!));
          if (!ships(path)) missing.push(`${doc}:${index + 1} links to ${target}`);
        }
        // a path mentioned in text: it ships, or the line says it stays in the repository
        for (const [path] of line.matchAll(/(?<![\w./])(?:examples|bench)\/[\w./-]*/g)) {
          if (!ships(path) && !/repository/.test(line)) missing.push(`${doc}:${index + 1} names ${path}`);
        }
      });
    }
    expect(missing).toEqual([]);
  });

  it('every documented subpath (adapter, express, fastify, fetch, hono, koa, nestjs, redis, store, testing, client) has its source and is published', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './package.json', ...ALL_SUBPATHS.map((entry) => `./${entry}`)].sort());
    expect(ALL_SUBPATHS.filter((entry) => !present.includes(entry))).toEqual([]);
    for (const entry of ALL_SUBPATHS) expect(packedFiles).toContain(`dist/${entry}.js`);
  });

  it('publint finds nothing to report, not even a suggestion', async () => {
    const bytes = readFileSync(tarball);
    const tarballBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const { messages, pkg } = await publint({ pack: { tarball: tarballBuffer }, level: 'suggestion' });
    // Files of subpaths still being written are reported missing; the test above fails for those.
    const pending = new Set<string>(ALL_SUBPATHS.filter((entry) => !present.includes(entry)).map((entry) => `./${entry}`));
    const relevant = messages.filter((message) => !(message.path[0] === 'exports' && pending.has(String(message.path[1]))));
    expect(relevant.map((message) => `${message.type}: ${formatMessage(message, pkg) ?? message.code}`)).toEqual([]);
  });

  it('@arethetypeswrong/cli finds no problem for node10, node16 (CJS and ESM) and bundlers', async () => {
    // The default "strict" profile with no ignored rules; --entrypoints lists the subpaths that exist so far.
    const entrypoints = ['.', ...present.map((entry) => `./${entry}`), './package.json'];
    const result = await sh(join(repoModules, '.bin/attw'), [tarball, '--format', 'json', '--entrypoints', ...entrypoints], work);
    const report = JSON.parse(result.stdout) as { analysis: { entrypoints: Record<string, unknown>; problems: unknown[] } };
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([...entrypoints].sort());
    expect(report.analysis.problems).toEqual([]);
    expect(result.status).toBe(0);
  });
});

describe('an app that installs the tarball', () => {
  it('ESM: import from latchkey signs in, authenticates by cookie and by bearer, and signs out', async () => {
    const result = JSON.parse(await node(['esm.mjs'], app)) as ScenarioResult;
    expect(result.resolved).toMatch(/\/node_modules\/latchkey\/dist\/index\.js$/);
    expectSignedInAndOut(result);
  });

  it('CJS: require(latchkey) loads the ESM build (require(esm)), with no bundled jose, and does the same', async () => {
    const result = await sh(process.execPath, ['cjs.cjs'], app);
    expect(result.stderr).toBe('');
    const parsed = JSON.parse(result.stdout) as ScenarioResult;
    expect(parsed.resolved).toMatch(/\/node_modules\/latchkey\/dist\/index\.cjs$/);
    expectSignedInAndOut(parsed);
    // jose is the app's dependency, updated with it: no latchkey file carries a copy of its sources
    const dist = join(app, 'node_modules/latchkey/dist');
    const withJose = readdirSync(dist).filter((file) => /\.(c?js|map)$/.test(file) && /class JOSEError|node_modules\/jose\//.test(readFileSync(join(dist, file), 'utf8')));
    expect(withJose).toEqual([]);
  });

  it('require and import give one copy of the core: keys made through either entry work with the other, AuthError is shared', async () => {
    expect(JSON.parse(await node(['dual.cjs'], app))).toEqual({ sameModule: true, cjsSeesEsm: true, esmSeesCjs: true, plainError: false, esmKeyInCjs: '42', cjsKeyInEsm: '42' });
  });

  it('npx latchkey keygen runs the installed bin, and the key it prints drives the app', async () => {
    const printed = JSON.parse(await ok(join(app, 'node_modules/.bin/latchkey'), ['keygen', '--alg', 'ES256', '--kid', 'prod-1', '--json'], app)) as {
      privateJwk: { kid: string; alg: string };
    };
    expect(printed.privateJwk).toMatchObject({ kid: 'prod-1', alg: 'ES256' });
    const result = JSON.parse(await node(['esm.mjs'], app, { LATCHKEY_JWK: JSON.stringify(printed.privateJwk) })) as ScenarioResult;
    expect(result.kid).toBe('prod-1');
    expectSignedInAndOut(result);
  });

  it.runIf(present.length > 0)('CJS subpaths load the core once: each require is the module import gives', async () => {
    const result = JSON.parse(await node(['subpaths.cjs'], peersApp)) as {
      exported: Record<string, string[]>;
      same: boolean;
      testing: string | null;
    };
    for (const entry of requirable) expect(result.exported[entry]).toContain(SUBPATHS[entry].exportName);
    expect(result.same).toBe(true);
    if (present.includes('testing')) expect(result.testing).toBe(join(peersApp, 'node_modules/latchkey/dist/testing.cjs'));
  });

  it.runIf(present.length > 0)('ESM subpaths import and export their documented functions', async () => {
    const result = JSON.parse(await node(['subpaths.mjs'], peersApp)) as Record<string, { resolved: string; exports: string[] }>;
    for (const entry of present) {
      expect(result[entry]?.resolved).toMatch(new RegExp(`/node_modules/latchkey/dist/${entry}\\.js$`));
      expect(result[entry]?.exports).toContain(SUBPATHS[entry].exportName);
    }
  });
});

/** tsc's errors, leaving out those inside other packages' declarations (not ours to fix). */
async function typeErrors(cwd: string, project: string): Promise<string[]> {
  const result = await sh(process.execPath, [tsc, '-p', project, '--pretty', 'false'], cwd);
  const errors = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '' && !/^\s/.test(line));
  return errors.filter((line) => !/node_modules[\\/](?!latchkey[\\/])/.test(line.split('(')[0] ?? ''));
}

describe.concurrent('TypeScript apps type-check against the tarball', () => {
  it('module nodenext: an .mts (ESM) and a .cts (CJS) file augment Register and use it, with no peer types and skipLibCheck off', async () => {
    expect(await typeErrors(app, 'ts-nodenext')).toEqual([]);
  }, 120_000);

  it('module node16 from CommonJS, skipLibCheck off: the .d.cts declarations read without TS1479', async () => {
    expect(await typeErrors(app, 'ts-node16-cjs')).toEqual([]);
  }, 120_000);

  it('module commonjs + moduleResolution node10 (types + typesVersions): the core and every subpath are typed', async () => {
    expect(await typeErrors(peersApp, 'ts-node10')).toEqual([]);
  }, 120_000);

  it.runIf(present.length > 0)('module nodenext from ESM: every subpath is typed', async () => {
    expect(await typeErrors(peersApp, 'ts-subpaths')).toEqual([]);
  }, 120_000);
});

describe('docs/packaging.md, from the installed tarball', () => {
  it("the CommonJS build relies on require(esm): under --no-experimental-require-module, require('latchkey') fails", async () => {
    const result = await sh(process.execPath, ['--no-experimental-require-module', 'cjs.cjs'], app);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/ERR_REQUIRE_ESM|require\(\) of ES Module/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Started {
  /** `http://localhost:<port>`, as the server printed it. */
  base: string;
  output: () => string;
  stop: () => void;
}

/** Runs `node ...args` in `cwd` and waits (15 s at most) until it prints the `http://localhost:<port>` it serves on. */
async function startServer(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'test', ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = (): void => void child.kill('SIGKILL');
  const deadline = Date.now() + 15_000;
  let base: string | undefined;
  while ((base = /http:\/\/localhost:\d+/.exec(output)?.[0]) === undefined && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (base === undefined || base.endsWith(':0')) {
    stop();
    throw new Error(`node ${args.join(' ')} printed no URL:\n${output}`);
  }
  return { base, output: () => output, stop };
}

/** The README's quick starts: the heading, the file name, and an edit to its source (Express 4 imports express4). */
const QUICK_STARTS: [framework: string, name: string, edit: (source: string) => string][] = [
  ['Express', 'express', (source) => source],
  ['Express', 'express4', (source) => source.replace("from 'express'", "from 'express4'")],
  ['Fastify', 'fastify', (source) => source],
  ['Koa', 'koa', (source) => source],
  ['Hono', 'hono', (source) => source],
];

const credentials = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ada', password: 'lovelace' }) };
const crossSite = { ...credentials, headers: { ...credentials.headers, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } };
// A store that answers nothing until its 300 ms deadline, then fails closed as the Redis and PostgreSQL stores do;
// loaded before a quick start (--import), it hands createAuth its options through a global the edit below reads.
const FROZEN_STORE = `import { AuthError } from 'latchkey';
const frozen = () => new Promise((_, reject) => setTimeout(() => reject(new AuthError('store_unavailable')), 300));
globalThis.__quickStartOptions = { store: Object.fromEntries(['create', 'get', 'update', 'touch', 'delete', 'listByUser', 'deleteByUser'].map((name) => [name, frozen])) };
`;
const withOptions = (source: string): string => source.replace('createAuth({', 'createAuth({ ...globalThis.__quickStartOptions,');

describe('the README quick starts run as written from the installed tarball (the app installs latchkey and the peers)', () => {
  beforeAll(() => write(peersApp, { 'quick-starts/frozen-store.mjs': FROZEN_STORE }));

  it("'## Quick start (core)' runs and prints who signed in", async () => {
    write(peersApp, { 'quick-starts/core.mjs': readmeBlock(root, '## Quick start (core)', 'js') });
    const result = await sh(process.execPath, ['quick-starts/core.mjs'], peersApp);
    expect(result.stdout + result.stderr).toContain('42 bearer');
    expect(result.status).toBe(0);
  });

  /** Writes the quick start of `framework` (edited) on a free port and starts it, `preload` first. */
  async function startQuickStart(framework: string, name: string, edit: (source: string) => string, preload?: string): Promise<Started> {
    const port = String(await freePort());
    const source = readmeBlock(root, `## Quick start: ${framework}`, 'js');
    expect(source).toContain('3000');
    write(peersApp, { [`quick-starts/${name}.mjs`]: edit(source).replaceAll('3000', port) });
    return startServer([...(preload ? ['--import', preload] : []), `quick-starts/${name}.mjs`], peersApp);
  }

  for (const [framework, name, edit] of QUICK_STARTS) {
    it(`${name}: sign-in, /me by bearer and by cookie, 401 with WWW-Authenticate; a cross-site sign-in answers 403 JSON and the server keeps running; a frozen store answers 503 JSON with Retry-After`, async () => {
      const server = await startQuickStart(framework, name, edit);
      try {
        const login = await fetch(`${server.base}/login`, credentials);
        expect(login.status).toBe(200);
        const { accessToken } = (await login.json()) as { accessToken: string };
        const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
        expect(await (await fetch(`${server.base}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).json()).toEqual({ userId: '1', via: 'bearer' });
        expect(await (await fetch(`${server.base}/me`, { headers: { cookie } })).json()).toEqual({ userId: '1', via: 'cookie' });
        const anonymous = await fetch(`${server.base}/me`);
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');

        const refused = await fetch(`${server.base}/login`, crossSite);
        expect(refused.status).toBe(403);
        expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await refused.json()).toEqual({ error: 'csrf_rejected' });
        expect((await fetch(`${server.base}/login`, credentials)).status).toBe(200); // still running
      } finally {
        server.stop();
      }
      const frozen = await startQuickStart(framework, `${name}-frozen`, (source) => withOptions(edit(source)), './quick-starts/frozen-store.mjs');
      try {
        const unavailable = await fetch(`${frozen.base}/login`, credentials);
        expect(unavailable.status).toBe(503);
        expect(unavailable.headers.get('retry-after')).toBe('1');
        expect(await unavailable.json()).toEqual({ error: 'store_unavailable' });
        expect(frozen.output()).not.toMatch(/AuthError|at .*\.js/); // no stack trace on the console either
      } finally {
        frozen.stop();
      }
    }, 60_000);
  }

  it("'docs/nextjs.md': the route handler answers a cross-site sign-in with 403 JSON and a frozen store with 503 JSON (a plain Request)", async () => {
    // lib/auth.ts and the sign-in route, as the page shows them (the rest of the block is other files and JSX)
    const snippet = codeBlock(join(root, 'docs/nextjs.md'), '# Next.js', 'ts').split('// app/api/auth/refresh/')[0]!;
    expect(snippet).toContain('export const POST = lk.handler(');
    const javascript = ts.transpileModule(withOptions(snippet), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    write(peersApp, {
      // checkPassword is "yours" in the doc
      'quick-starts/nextjs-route.mjs': `const checkPassword = async (request) => ((await request.json()).username === 'ada' ? '1' : null);\n${javascript}`,
      'quick-starts/nextjs.mjs': `const request = (headers) => new Request('https://app.example.com/api/auth/sign-in', {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username: 'ada', password: 'lovelace' }) });
const sameSite = { origin: 'https://app.example.com', 'sec-fetch-site': 'same-origin' };
const answer = async (response) => ({ status: response.status, type: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'),
  cookies: response.headers.getSetCookie().length, body: await response.json() });
const plain = await import('./nextjs-route.mjs?plain');
const signedIn = await answer(await plain.POST(request(sameSite)));
const crossSite = await answer(await plain.POST(request({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })));
await import('./frozen-store.mjs');
const frozen = await import('./nextjs-route.mjs?frozen');
const unavailable = await answer(await frozen.POST(request(sameSite)));
console.log(JSON.stringify({ signedIn: { ...signedIn, body: Object.keys(signedIn.body) }, crossSite, unavailable }));
`,
    });
    const result = await sh(process.execPath, ['quick-starts/nextjs.mjs'], peersApp, { LATCHKEY_SECRET: 'x'.repeat(43) });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      signedIn: { status: 200, type: expect.stringMatching(/^application\/json/), retryAfter: null, cookies: 2, body: ['accessToken', 'expiresIn'] },
      crossSite: { status: 403, type: expect.stringMatching(/^application\/json/), retryAfter: null, cookies: 0, body: { error: 'csrf_rejected' } },
      unavailable: { status: 503, type: expect.stringMatching(/^application\/json/), retryAfter: '1', cookies: 0, body: { error: 'store_unavailable' } },
    });
  });
});

describe('the shipped examples run from node_modules (docs/running.md)', () => {
  /** The demo's sign-in: the form, then the account page through the session cookie. */
  async function signInThroughTheForm(base: string): Promise<void> {
    const form = await fetch(`${base}/login`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('<form');
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ username: 'demo', password: 'latchkey-demo' }).toString(),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/account');
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    expect((await fetch(`${base}/account`, { headers: { cookie } })).status).toBe(200);
    const client = await fetch(`${base}/latchkey-client.js`); // the installed dist/client.js, found through latchkey's exports
    expect(client.status).toBe(200);
    expect(await client.text()).toContain('createClient');
  }

  it('in place: node node_modules/latchkey/examples/express/server.mjs', async () => {
    const server = await startServer(['node_modules/latchkey/examples/express/server.mjs'], peersApp, { PORT: '0', HOST: '127.0.0.1' });
    try {
      await signInThroughTheForm(server.base);
    } finally {
      server.stop();
    }
  });

  it('copied out: cp -r node_modules/latchkey/examples/{hono,shared} into the app, then node hono/server.mjs', async () => {
    for (const dir of ['hono', 'shared']) cpSync(join(peersApp, 'node_modules/latchkey/examples', dir), join(peersApp, 'demo', dir), { recursive: true });
    const server = await startServer(['demo/hono/server.mjs'], peersApp, { PORT: '0', HOST: '127.0.0.1' });
    try {
      await signInThroughTheForm(server.base);
    } finally {
      server.stop();
    }
  });
});
