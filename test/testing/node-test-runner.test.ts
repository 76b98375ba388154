// The conformance suite is runner-agnostic: it runs under node:test (no vitest in the process) against the
// memory store, and its failures are node:assert errors that any runner reports.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runNodeTest(source: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-node-test-'));
  try {
    const file = join(dir, 'conformance.test.mjs');
    writeFileSync(file, source);
    // run from the repo root so `latchkey` resolves to the built package (self-reference through exports)
    const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, VITEST: '', VITEST_WORKER_ID: '' } });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const header = `import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(root, 'package.json'))});
const { memoryStore } = await import(require.resolve('latchkey'));
const { runStoreConformance, storeConformanceCases } = await import(require.resolve('latchkey/testing'));
`;

describe('runStoreConformance under node:test', () => {
  it('passes every case on the memory store, with vitest nowhere in the process', () => {
    const { status, output } = runNodeTest(`${header}
runStoreConformance('memory under node:test', () => memoryStore(), { runner: { describe, it } });
process.on('exit', () => { if (Object.keys(globalThis).some((k) => k.startsWith('__vitest'))) throw new Error('vitest loaded'); });
`);
    expect(output).toMatch(/# pass [1-9]\d*/);
    expect(output).toMatch(/# fail 0/);
    expect(status).toBe(0);
  });

  it('reports a broken store as failing cases (node:assert errors), not as a crash', () => {
    const { status, output } = runNodeTest(`${header}
const broken = () => { const s = memoryStore(); return { ...s, async get() { return null; } }; };
const cases = storeConformanceCases(broken);
for (const c of cases) it(c.name, () => c.run(() => {}));
`);
    expect(output).toMatch(/# fail [1-9]\d*/);
    expect(output).toMatch(/AssertionError|ERR_ASSERTION/);
    expect(status).not.toBe(0);
  });
});
