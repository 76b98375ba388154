// The README's commands are the ones CI runs, and the quick-start docs show the README's quick starts. The quick
// starts themselves (core, Express 5 and 4, Fastify, Koa, Hono, their unhappy paths) and the Next.js route handler
// of docs/nextjs.md run from the packed tarball, installed in a scratch app: test/package/pack.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeBlock, readmeBlock } from './support/markdown.js';

const root = fileURLToPath(new URL('../', import.meta.url));

describe('README', () => {
  it('gives the install-and-test command that .ci/run runs exactly', () => {
    const commands = readmeBlock(root, '# latchkey', 'sh');
    expect(commands).toContain('npm install && npm test');
    expect(commands).toContain('npm install && npm run demo');
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    expect(ci.trimEnd().split('\n').at(-1)).toBe('npm install && npm test');
  });

  for (const framework of ['Express', 'Fastify', 'Koa']) {
    it(`docs/quickstart-${framework.toLowerCase()}.md shows the README's quick start, which test/package/pack.test.ts runs`, () => {
      const doc = readFileSync(join(root, `docs/quickstart-${framework.toLowerCase()}.md`), 'utf8');
      expect(/```js\n([\s\S]*?)```/.exec(doc)?.[1]).toBe(readmeBlock(root, `## Quick start: ${framework}`, 'js'));
    });
  }

  it('test/package/pack.test.ts runs every quick start of the README and the Next.js route handler of docs/nextjs.md', () => {
    const pack = readFileSync(join(root, 'test/package/pack.test.ts'), 'utf8');
    const headings = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/^## (Quick start\b.*)$/gm)].map(([, heading]) => heading!);
    expect(headings.length).toBeGreaterThanOrEqual(5);
    for (const heading of headings) expect(pack).toContain(heading.startsWith('Quick start: ') ? `'${heading.slice('Quick start: '.length)}'` : `'## ${heading}'`);
    expect(codeBlock(join(root, 'docs/nextjs.md'), '# Next.js', 'ts')).toContain('export const POST = lk.handler(');
    expect(pack).toContain("'docs/nextjs.md'");
  });
});
