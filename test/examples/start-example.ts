// Starts an example server (examples/<framework>/server.mjs) as a child process on a free loopback port.
// The examples import 'latchkey' and 'latchkey/<framework>', which resolve to the built dist/ through the
// package's self-reference: `npm test` builds first (pretest); a direct vitest run needs `npx tsup`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Framework = 'express' | 'fastify' | 'koa' | 'hono' | 'nestjs';

export interface RunningExample {
  /** `http://localhost:<port>`: localhost, so Secure and __Host- cookies work over plain http. */
  readonly url: string;
  readonly port: number;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();

// Whatever happens to the test run, no example outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The demo account the examples print at start. */
export const DEMO = { username: 'demo', password: 'latchkey-demo' } as const;

function newest(path: string): number {
  const stat = statSync(path);
  return stat.isDirectory() ? Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name)))) : stat.mtimeMs;
}

/** The examples run the built package: refuse to test a missing or stale build rather than test old code. */
function checkBuild(framework: Framework): void {
  const sources = newest(join(root, 'src'));
  for (const entry of ['index.js', `${framework}.js`]) {
    const file = join(root, 'dist', entry);
    if (!existsSync(file)) throw new Error(`dist/${entry} is missing: run \`npx tsup\` (npm test builds first).`);
    if (statSync(file).mtimeMs < sources) throw new Error(`dist/${entry} is older than src/: run \`npx tsup\` (npm test builds first).`);
  }
}

export async function startExample(framework: Framework, env: Record<string, string> = {}): Promise<RunningExample> {
  checkBuild(framework);
  const child = spawn(process.execPath, [`${root}examples/${framework}/server.mjs`], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', REDIS_URL: '', DATABASE_URL: '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${framework} example did not start within 15 s:\n${output}`)), 15_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /listening on http:\/\/localhost:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${framework} example exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
    return { url: `http://localhost:${port}`, port, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
