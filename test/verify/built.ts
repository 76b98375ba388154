// The built latchkey/verify, as published: dist/verify.js and every chunk it imports, read from disk (run
// `npx tsup` first; `npm test` builds). Not a test file itself.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const entry = join(root, 'dist/verify.js');

function newest(path: string): number {
  const stat = statSync(path);
  return stat.isDirectory() ? Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name)))) : stat.mtimeMs;
}

/** The files dist/verify.js loads, itself first, following relative imports; throws when the build is missing or older than src/verify. */
export function builtVerifyFiles(): Map<string, string> {
  if (!existsSync(entry)) throw new Error('dist/verify.js is missing: run `npx tsup` (npm test builds first).');
  if (statSync(entry).mtimeMs < newest(join(root, 'src/verify'))) throw new Error('dist/verify.js is older than src/verify: run `npx tsup`.');
  const files = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const code = readFileSync(file, 'utf8');
    files.set(file, code);
    for (const match of code.matchAll(/(?:from|import)\s*['"](\.[^'"]+)['"]/g)) visit(join(dirname(file), match[1]!));
  };
  visit(entry);
  return files;
}
