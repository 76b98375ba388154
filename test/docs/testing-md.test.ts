// docs/testing.md's recipes run as written: each `node:test` block is saved inside the package (so 'latchkey'
// resolves to the built dist/ by self-reference, as an installed copy would) and run with `node --test`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(root, 'docs/testing.md'), 'utf8');
const scratch = join(root, '.tmp', `docs-testing-${process.pid}`);
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every recipe: its heading and its ```js block that imports node:test. */
const recipes = [...doc.matchAll(/^## (.+)\n[\s\S]*?```js\n([\s\S]*?)```/gm)].map(([, heading, code]) => ({ heading: heading!, code: code! }));

describe('docs/testing.md', () => {
  it('has the five recipes (Express, Fastify, Koa, Hono, a Next.js route handler), each a node:test file', () => {
    expect(recipes.map((recipe) => recipe.heading.split(' ')[0])).toEqual(['Express', 'Fastify', 'Koa', 'Hono', 'A']);
    for (const recipe of recipes) expect(recipe.code).toContain("from 'node:test'");
  });

  for (const [index, recipe] of recipes.entries()) {
    it(`runs the ${recipe.heading} recipe as written, and its tests pass`, () => {
      const file = join(scratch, `recipe-${index}.mjs`);
      writeFileSync(file, recipe.code);
      const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(run.stdout + run.stderr).toMatch(/# pass [1-9]/);
      expect(run.stdout).toMatch(/# fail 0/);
      expect(run.status).toBe(0);
    }, 70_000);
  }
});
