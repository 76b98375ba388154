// The README's commands and quick starts run as written: each code block is taken from README.md,
// saved inside the package (so 'latchkey' resolves to the built dist/ by self-reference) and run.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const readme = `\n${readFileSync(join(root, 'README.md'), 'utf8')}`;
const scratch = join(root, '.tmp', `readme-${process.pid}`);
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The body of the first fenced block of `lang` under the heading that starts with `heading`. */
function block(heading: string, lang: string): string {
  const start = readme.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`README has no heading "${heading}"`);
  const rest = readme.slice(start + heading.length + 1);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  if (!match) throw new Error(`README section "${heading}" has no \`\`\`${lang} block`);
  return match[1]!;
}

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

interface Run {
  output: () => string;
  exited: Promise<number | null>;
  kill: () => void;
}

function run(file: string, preload?: string): Run {
  const child = spawn(process.execPath, [...(preload ? ['--import', preload] : []), file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'test' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { output: () => output, exited, kill: () => child.kill('SIGKILL') };
}

describe('README', () => {
  it('gives the install-and-test command that .ci/run runs exactly', () => {
    const commands = block('# latchkey', 'sh');
    expect(commands).toContain('npm install && npm test');
    expect(commands).toContain('npm install && npm run demo');
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    expect(ci.trimEnd().split('\n').at(-1)).toBe('npm install && npm test');
  });

  it('core quick start runs as written and prints who signed in', async () => {
    const file = join(scratch, 'core.mjs');
    writeFileSync(file, block('## Quick start (core)', 'js'));
    const started = run(file);
    const timer = setTimeout(started.kill, 15_000);
    const code = await started.exited;
    clearTimeout(timer);
    expect(started.output()).toContain('42 bearer');
    expect(code).toBe(0);
  });

  /** Starts a quick start (`edit` changes its source first, `preload` runs before it); resolves with its base URL. */
  async function start(framework: string, name: string, edit: (source: string) => string = (source) => source, preload?: string): Promise<{ base: string; server: Run }> {
    const port = await freePort();
    const file = join(scratch, `${name}.mjs`);
    const source = block(`## Quick start: ${framework}`, 'js');
    expect(source).toContain('3000');
    writeFileSync(file, edit(source).replaceAll('3000', String(port)));
    const server = run(file, preload);
    const deadline = Date.now() + 15_000;
    while (!server.output().includes(`localhost:${port}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(server.output()).toContain(`localhost:${port}`);
    return { base: `http://localhost:${port}`, server };
  }

  const credentials = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ada', password: 'lovelace' }) };
  const crossSite = { ...credentials, headers: { ...credentials.headers, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } };
  // A store that answers nothing until its 300 ms deadline, then fails closed as the Redis and PostgreSQL stores do.
  const frozenStore = join(scratch, 'frozen-store.mjs');
  writeFileSync(
    frozenStore,
    `import { AuthError } from 'latchkey';
const frozen = () => new Promise((_, reject) => setTimeout(() => reject(new AuthError('store_unavailable')), 300));
globalThis.__quickStartOptions = { store: Object.fromEntries(['create', 'get', 'update', 'touch', 'delete', 'listByUser', 'deleteByUser'].map((name) => [name, frozen])) };
`,
  );
  const withOptions = (source: string): string => source.replace('createAuth({', 'createAuth({ ...globalThis.__quickStartOptions,');
  const stacks: [string, string, (source: string) => string][] = [
    ['Express', 'express', (source) => source],
    ['Express', 'express4', (source) => source.replace("from 'express'", "from 'express4'")],
    ['Fastify', 'fastify', (source) => source],
    ['Koa', 'koa', (source) => source],
    ['Hono', 'hono', (source) => source],
  ];

  for (const [framework, name, edit] of stacks) {
    it(`${name} quick start: a cross-site sign-in answers 403 JSON and the server keeps running; a frozen store answers 503 JSON with Retry-After`, async () => {
      const { base, server } = await start(framework, `${name}-unhappy`, edit);
      try {
        const refused = await fetch(`${base}/login`, crossSite);
        expect(refused.status).toBe(403);
        expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await refused.json()).toEqual({ error: 'csrf_rejected' });
        expect((await fetch(`${base}/login`, credentials)).status).toBe(200); // still running
      } finally {
        server.kill();
      }
      const frozen = await start(framework, `${name}-frozen`, (source) => withOptions(edit(source)), frozenStore);
      try {
        const unavailable = await fetch(`${frozen.base}/login`, credentials);
        expect(unavailable.status).toBe(503);
        expect(unavailable.headers.get('retry-after')).toBe('1');
        expect(await unavailable.json()).toEqual({ error: 'store_unavailable' });
        expect(frozen.server.output()).not.toMatch(/AuthError|at .*\.js/); // no stack trace on the console either
      } finally {
        frozen.server.kill();
      }
    });
  }

  for (const framework of ['Express', 'Fastify', 'Koa']) {
    it(`docs/quickstart-${framework.toLowerCase()}.md shows the README's quick start, which the tests above run`, () => {
      const doc = readFileSync(join(root, `docs/quickstart-${framework.toLowerCase()}.md`), 'utf8');
      expect(/```js\n([\s\S]*?)```/.exec(doc)?.[1]).toBe(block(`## Quick start: ${framework}`, 'js'));
    });
  }

  for (const framework of ['Express', 'Fastify', 'Koa', 'Hono']) {
    it(`${framework} quick start runs as written: login, then /me by bearer token and by cookie`, async () => {
      const { base, server } = await start(framework, framework.toLowerCase());
      try {
        const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ada', password: 'lovelace' }) });
        expect(login.status).toBe(200);
        const { accessToken } = (await login.json()) as { accessToken: string };
        const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
        const byBearer = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
        expect(await byBearer.json()).toEqual({ userId: '1', via: 'bearer' });
        const byCookie = await fetch(`${base}/me`, { headers: { cookie } });
        expect(await byCookie.json()).toEqual({ userId: '1', via: 'cookie' });
        const anonymous = await fetch(`${base}/me`);
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
      } finally {
        server.kill();
      }
    });
  }
});
