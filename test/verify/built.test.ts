// The built latchkey/verify holds no Node API: no `node:` import and no `Buffer`, in dist/verify.js or in any
// chunk it loads (tsup shares chunks between entries, so a shared one could bring node:crypto along).
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtVerifyFiles, entry, root } from './built.js';

describe('the latchkey/verify build', () => {
  const files = builtVerifyFiles();

  it('imports only its own chunks and jose: no node: module, no bare Node built-in, no require', () => {
    expect(files.size).toBeGreaterThan(1); // the entry and the chunks it shares with the root: the walk follows imports
    for (const [file, code] of files) {
      const specifiers = [...code.matchAll(/(?:from|import)\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const specifier of specifiers) expect(specifier.startsWith('./') || specifier === 'jose', `${relative(root, file)} imports ${specifier}`).toBe(true);
      expect(code, relative(root, file)).not.toMatch(/\bnode:/);
      expect(code, relative(root, file)).not.toMatch(/\brequire\s*\(/);
    }
  });

  it('never names Buffer or process', () => {
    for (const [file, code] of files) {
      expect(code, relative(root, file)).not.toMatch(/\bBuffer\b/);
      expect(code, relative(root, file)).not.toMatch(/\bprocess\./);
    }
  });

  it('shares one AuthError class with the built root entry (one brand, one instanceof)', async () => {
    const verify = (await import(/* @vite-ignore */ pathToFileURL(entry).href)) as typeof import('latchkey/verify');
    const core = (await import(/* @vite-ignore */ pathToFileURL(`${root}dist/index.js`).href)) as typeof import('latchkey');
    expect(verify.AuthError).toBe(core.AuthError);
    const error = await verify.createVerifier({ issuer: 'https://a.example', audience: 'web', jwks: [(await core.generateKey()).publicJwk!] }).verifyToken('x').catch((e: unknown) => e);
    expect(core.isAuthError(error) && error instanceof core.AuthError && error.code === 'token_invalid').toBe(true);
  });
});
