// The browser build of latchkey/client as published: within its size budget (min+gzip, as the build prints it),
// self-contained (no import, no require, no Node built-in), and loadable as a plain ES module.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLIENT_BUDGET } from '../../tsup.config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const file = join(root, 'dist/client.js');

function newest(path: string): number {
  const stat = statSync(path);
  return stat.isDirectory() ? Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name)))) : stat.mtimeMs;
}

function built(): Buffer {
  if (!existsSync(file)) throw new Error('dist/client.js is missing: run `npx tsup` (npm test builds first).');
  if (statSync(file).mtimeMs < newest(join(root, 'src/client'))) throw new Error('dist/client.js is older than src/client: run `npx tsup`.');
  return readFileSync(file);
}

describe('the latchkey/client browser build', () => {
  it(`is at most ${CLIENT_BUDGET} bytes minified and gzipped`, () => {
    const size = gzipSync(built()).length;
    console.log(`latchkey/client: ${size} B min+gzip (budget ${CLIENT_BUDGET} B)`);
    expect(size).toBeGreaterThan(500); // the real module, not an empty file
    expect(size).toBeLessThanOrEqual(CLIENT_BUDGET);
  });

  it('imports nothing: no import or require, no Node built-in, no dependency', () => {
    const code = built().toString('utf8').replace(/\/\/# sourceMappingURL=\S*/g, '');
    expect(code).not.toMatch(/\bimport\s*[{*"'(]|\bimport\s+\w+\s+from\b/);
    expect(code).not.toMatch(/\brequire\s*\(/);
    expect(code).not.toMatch(/node:|process\.|Buffer\b/);
    expect(code.trimEnd()).toMatch(/export\s*\{\s*\w+ as createClient\s*\}/);
  });

  it('loads as a plain ES module and exports createClient', async () => {
    const module = (await import(pathToFileURL(file).href)) as { createClient?: unknown };
    expect(Object.keys(module)).toEqual(['createClient']);
    expect(typeof module.createClient).toBe('function');
  });
});
