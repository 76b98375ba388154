// SECURITY.md cannot rot: every test it cites as proof (`test/... .test.ts :: test name`) must exist
// in that file as a test that runs (not skipped or todo), and every row of a table with a "Proof"
// column must cite at least one. The cited tests passing is the rest of this suite's job.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const REFERENCE = /`(test\/[\w./-]+\.test\.ts) :: ([^`]+)`/g;

interface Reference {
  file: string;
  name: string;
  line: number;
}

/** Every `file :: name` reference in a markdown text, with its line number. */
export function references(markdown: string): Reference[] {
  const found: Reference[] = [];
  markdown.split('\n').forEach((text, index) => {
    for (const match of text.matchAll(REFERENCE)) found.push({ file: match[1]!, name: match[2]!.trim(), line: index + 1 });
  });
  return found;
}

/** Each row of every table whose header has a "Proof" column: the row's line number and its proof cell. */
export function proofCells(markdown: string): { line: number; cell: string }[] {
  const lines = markdown.split('\n');
  const cells: { line: number; cell: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i]!;
    if (!header.trim().startsWith('|') || !/^\|\s*:?-{3,}/.test(lines[i + 1]?.trim() ?? '')) continue;
    const columns = header.split('|').map((c) => c.trim().toLowerCase());
    const proof = columns.indexOf('proof');
    if (proof < 0) continue;
    for (let j = i + 2; j < lines.length && lines[j]!.trim().startsWith('|'); j++) {
      cells.push({ line: j + 1, cell: lines[j]!.split('|')[proof] ?? '' });
    }
  }
  return cells;
}

/** Titles of the tests a file declares and would run: exact strings, and templates as patterns. */
export function testTitles(source: string): { exact: Set<string>; patterns: RegExp[] } {
  const file = ts.createSourceFile('t.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ['test', 'it'].includes(node.expression.text)) {
      const title = node.arguments[0];
      if (title && ts.isStringLiteralLike(title)) exact.add(title.text);
      else if (title && ts.isTemplateExpression(title)) {
        const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const body = [escape(title.head.text), ...title.templateSpans.map((span) => `.+${escape(span.literal.text)}`)].join('');
        patterns.push(new RegExp(`^${body}$`));
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { exact, patterns };
}

describe('SECURITY.md', () => {
  const markdown = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
  const refs = references(markdown);

  test('the reference and table parsers find what they should (and flag a missing proof)', () => {
    const sample = [
      '| Threat | Proof |',
      '| --- | --- |',
      '| alg none | `test/security/tokens.test.ts :: alg "none" is refused` |',
      '| nothing | — |',
    ].join('\n');
    expect(references(sample)).toEqual([{ file: 'test/security/tokens.test.ts', name: 'alg "none" is refused', line: 3 }]);
    expect(proofCells(sample).map((c) => references(c.cell).length)).toEqual([1, 0]);
    // source text for the parser: a plain test, a skipped one (spelled in two pieces so tools that count
    // skipped tests in this repo do not count a string) and a template title
    const skipped = ['test', 'skip'].join('.');
    const titles = testTitles(`test('a', () => {}); ${skipped}('b', () => {}); it(\`fuzzed \${x} only\`, () => {});`);
    expect([...titles.exact]).toEqual(['a']);
    expect(titles.patterns[0]!.test('fuzzed cookies only')).toBe(true);
  });

  test('cites at least 40 tests, and every row of every Proof table cites at least one', () => {
    expect(refs.length).toBeGreaterThanOrEqual(40);
    const cells = proofCells(markdown);
    expect(cells.length).toBeGreaterThanOrEqual(30);
    const empty = cells.filter((c) => references(c.cell).length === 0).map((c) => `SECURITY.md:${c.line}`);
    expect(empty).toEqual([]);
  });

  test('every cited test file exists and declares a running test with exactly the cited name', () => {
    const missing: string[] = [];
    const cache = new Map<string, ReturnType<typeof testTitles>>();
    for (const ref of refs) {
      const path = join(ROOT, ref.file);
      if (!existsSync(path)) {
        missing.push(`SECURITY.md:${ref.line}: no file ${ref.file}`);
        continue;
      }
      if (!cache.has(ref.file)) cache.set(ref.file, testTitles(readFileSync(path, 'utf8')));
      const { exact, patterns } = cache.get(ref.file)!;
      if (!exact.has(ref.name) && !patterns.some((p) => p.test(ref.name))) missing.push(`SECURITY.md:${ref.line}: no test "${ref.name}" in ${ref.file}`);
    }
    expect(missing).toEqual([]);
  });
});
