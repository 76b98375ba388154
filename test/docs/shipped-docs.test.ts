// Promises the shipped docs make about themselves (issue 26, items 4, 8 and 9): a figure lives in one place, the
// packaging notes say one thing about require(esm), and the snippets a reader copies call nothing they do not define.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The bodies of a Markdown file's fenced blocks in one of `langs`, in order. */
function blocks(markdown: string, langs: readonly string[]): string[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].filter(([, lang]) => langs.includes(lang!)).map(([, , body]) => body!);
}

/** A benchmark ratio as the docs write one: `1.60x`, `**10.5x**`, `0.89x`. */
const RATIO = /\b\d+(?:\.\d+)?x\b/g;

/**
 * The names a snippet uses but never declares, as TypeScript sees them (TS2304 / TS2552 "Cannot find name"),
 * with Node's globals and types known. Imports of packages need not resolve: an unresolved import still declares
 * its name.
 */
function undefinedNames(code: string): string[] {
  const file = '/snippet.mts';
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    noEmit: true,
    strict: false,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === file ? ts.createSourceFile(name, code, languageVersion, true) : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .filter((diagnostic) => diagnostic.code === 2304 || diagnostic.code === 2552)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe('the shipped docs', () => {
  it('docs/comparison.md carries no benchmark ratio of its own: the figures live in the README (from bench/RESULTS.md) and it links there', () => {
    const comparison = read('docs/comparison.md');
    expect(comparison.match(RATIO) ?? []).toEqual([]);
    expect(comparison).toContain('](../README.md#compared-with-express-session-fastifyjwt-koa-session-iron-session)');
    expect(read('README.md')).toMatch(/^## Compared with express-session, @fastify\/jwt, koa-session, iron-session$/m);
  });

  it("the README's comparison names every framework adapter and every store latchkey ships", () => {
    const section = read('README.md').split('## Compared with')[1]!.split('\n## ')[0]!;
    const frameworks = section.split('\n').find((line) => line.startsWith('| Frameworks |'))!.split('|')[2]!;
    for (const name of ['Express', 'Fastify', 'Koa', 'Hono', 'NestJS', 'Request']) expect(frameworks).toContain(name);
    const stores = section.split('\n').find((line) => line.startsWith('| Where the login state lives |'))!.split('|')[2]!;
    for (const name of ['memory', 'Redis', 'PostgreSQL']) expect(stores).toContain(name);
  });

  it('docs/packaging.md says require(esm) one way: the CommonJS build needs it, never that it does not rely on it', () => {
    const packaging = read('docs/packaging.md');
    const sentences = packaging.replace(/\s+/g, ' ').split(/(?<=\.) /).filter((sentence) => /require\(esm\)|require-module/.test(sentence));
    expect(sentences.length).toBeGreaterThan(0);
    expect(sentences.filter((sentence) => /not rely|does not need|without `?require\(esm\)/i.test(sentence))).toEqual([]);
    // the flag that turns require(esm) off is named only as what breaks require('latchkey') (test/package/pack.test.ts runs it)
    for (const sentence of sentences.filter((s) => s.includes('--no-experimental-require-module'))) {
      expect(sentence).toMatch(/require\('latchkey'\)` (fails|needs it)/);
    }
  });

  it("docs/client.md's sign-in request sends a JSON body with content-type: application/json (the quick-start servers parse JSON)", () => {
    const snippet = blocks(read('docs/client.md'), ['js'])[0]!;
    const signIn = snippet.split('\n').find((line) => line.includes("fetch('/login'"));
    expect(signIn).toBeDefined();
    expect(signIn).toMatch(/headers: \{ 'content-type': 'application\/json' \}/);
    expect(snippet).toMatch(/const body = JSON\.stringify\(/);
  });

  for (const doc of ['docs/redis.md', 'docs/postgres.md']) {
    it(`${doc}'s snippets, read in order as one file, call nothing they do not define (no stray \`log\`)`, () => {
      const code = blocks(read(doc), ['ts', 'js']).join('\n');
      expect(code).toContain('createAuth(');
      expect(undefinedNames(code)).toEqual([]);
    }, 30_000);
  }

  it('the snippet check above does catch an undefined name', () => {
    expect(undefinedNames("import pg from 'pg';\nconst pool = new pg.Pool();\npool.on('error', (error) => log.warn({ error }, 'postgres'));\n")).toEqual([
      "Cannot find name 'log'.",
    ]);
  }, 30_000);
});
