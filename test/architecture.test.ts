// The house plan (docs/architecture.md): floors that only look down, no import circles, and only the entry
// files name the package. Read from the sources, so a change that breaks the plan fails here.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { circles, importGraph } from './support/imports.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const graph = importGraph(root);

/** The floor of a file: a file imports files of its own floor or lower ones only. */
function floor(file: string): number {
  const path = file.replace(/^src\//, '');
  if (path.startsWith('lib/')) return 0;
  if (path.startsWith('core/') || path.startsWith('stores/')) return 1; // the primitives: core and the store contract, rules and backends
  if (path.startsWith('flows/')) return 2;
  if (path === 'auth.ts') return 3;
  if (path.startsWith('http/')) return 4;
  if (path.startsWith('adapters/') || path.startsWith('testing/') || path.startsWith('verify/')) return 5;
  if (path.startsWith('entries/')) return 6;
  if (path.startsWith('client/')) return -1; // the browser client: a house of its own
  throw new Error(`${file} is in no floor of docs/architecture.md: add its folder there and here`);
}

describe('the house plan', () => {
  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('every import goes to the same floor or one below it', () => {
    const upward: string[] = [];
    for (const [file, { relative }] of graph) {
      for (const target of relative) {
        const [from, to] = [floor(file), floor(target)];
        if (from === -1 ? to !== -1 : to === -1 ? !file.startsWith('src/entries/') : to > from) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('no file outside src/entries/ imports the package by name', () => {
    const named = [...graph].filter(([file, { bare }]) => !file.startsWith('src/entries/') && bare.some((name) => /^latchkey(\/|$)/.test(name)));
    expect(named.map(([file]) => file)).toEqual([]);
  });

  it('every entry file only re-exports', () => {
    const entries = [...graph.keys()].filter((file) => file.startsWith('src/entries/') && !/\/cli(-[a-z]+)?\.ts$/.test(file));
    expect(entries.length).toBeGreaterThan(10);
    // an entry's statements are `export … from '…'` (and comments); the CLI (cli.ts, cli-postgres.ts) is the one entry that runs code
    const bodies = entries.filter((file) => readFileSync(`${root}/${file}`, 'utf8').replace(/\/\/.*$/gm, '').replace(/export (type )?\{[^}]*\} from '[^']+';/g, '').trim() !== '');
    expect(bodies).toEqual([]);
  });

  it('every framework adapter is at most 120 lines: only its mapping onto the kit (docs/architecture.md)', () => {
    const adapters = [...graph.keys()].filter((file) => file.startsWith('src/adapters/') && file !== 'src/adapters/platforms.ts');
    expect(adapters.length).toBeGreaterThanOrEqual(6);
    const long = adapters.map((file) => `${file}: ${readFileSync(`${root}/${file}`, 'utf8').trimEnd().split('\n').length} lines`).filter((line) => Number(line.split(': ')[1]!.split(' ')[0]) > 120);
    expect(long).toEqual([]);
  });
});
