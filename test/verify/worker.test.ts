// The built latchkey/verify in a real Cloudflare Worker: dist/verify.js bundled with esbuild into a Worker
// script (jose included, nothing else) and run by workerd through Miniflare 4. Inside the Worker there is no
// Buffer and no process; a token verifies against a JWKS object and against the issuer's JWKS URL, and a bad one
// answers its AuthError code and the 401 challenge.
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, issuer, serveJWKS, type Issuer, type JWKSServer } from './support.js';
import { builtVerifyFiles, entry } from './built.js';

// The Worker: `?jwks=object` verifies against the JWKS binding, `?jwks=url` against the JWKS URL binding.
const WORKER = `
import { createVerifier, authErrorResponse, isAuthError } from ${JSON.stringify(entry)};
let verifiers;
export default {
  async fetch(request, env) {
    verifiers ??= {
      object: createVerifier({ issuer: env.ISSUER, audience: env.AUDIENCE, jwks: JSON.parse(env.JWKS) }),
      url: createVerifier({ issuer: env.ISSUER, audience: env.AUDIENCE, jwks: new URL(env.JWKS_URL) }),
    };
    const runtime = { buffer: typeof Buffer, process: typeof process, subtle: typeof crypto.subtle };
    const mode = new URL(request.url).searchParams.get('jwks');
    try {
      const claims = await verifiers[mode].verify(request);
      return Response.json({ runtime, ok: true, sub: claims.sub });
    } catch (error) {
      if (!isAuthError(error)) return Response.json({ runtime, crash: String(error) }, { status: 500 });
      const answer = authErrorResponse(error);
      return Response.json({ runtime, ok: false, code: error.code, status: answer.status, challenge: answer.headers.get('www-authenticate') });
    }
  },
};`;

interface WorkerAnswer {
  runtime: { buffer: string; process: string; subtle: string };
  ok?: boolean;
  sub?: string;
  code?: string;
  status?: number;
  challenge?: string;
  crash?: string;
}

describe('latchkey/verify in workerd (Miniflare 4)', () => {
  let iss: Issuer;
  let jwks: JWKSServer;
  let mf: Miniflare;
  let script: string;

  beforeAll(async () => {
    builtVerifyFiles(); // fails when dist/ is missing or stale
    iss = await issuer({ clock: { now: () => Date.now(), advance: () => {} } }); // workerd keeps real time
    jwks = await serveJWKS(iss.auth);
    const bundled = await build({ stdin: { contents: WORKER, resolveDir: process.cwd(), loader: 'js' }, bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', write: false, logLevel: 'silent' });
    script = bundled.outputFiles[0]!.text;
    mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: '2025-01-01',
      bindings: { ISSUER, AUDIENCE, JWKS: JSON.stringify(await iss.auth.jwks()), JWKS_URL: jwks.url.href },
    });
  });
  afterAll(async () => {
    await mf?.dispose();
    await jwks?.close();
    await iss?.auth.close();
  });

  const call = async (mode: 'object' | 'url', authorization?: string): Promise<WorkerAnswer> => {
    const response = await mf.dispatchFetch(`http://worker.example/?jwks=${mode}`, { headers: authorization ? { authorization } : {} });
    return (await response.json()) as WorkerAnswer;
  };

  it('the Worker bundle of latchkey/verify (jose included) holds no node: import and no Buffer', async () => {
    // the library alone: the Worker above names Buffer itself, to report whether the runtime has one
    const library = await build({ stdin: { contents: `export * from ${JSON.stringify(entry)};`, resolveDir: process.cwd(), loader: 'js' }, bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
    const code = library.outputFiles[0]!.text;
    expect(code).toContain('createVerifier');
    expect(code).not.toMatch(/\bnode:/);
    expect(code).not.toMatch(/\bBuffer\b/);
    expect(script).not.toMatch(/\bnode:/);
  });

  it('runs without Buffer or process, and verifies a genuine token against a JWKS object and the JWKS URL', async () => {
    const { accessToken } = await iss.auth.signIn({ userId: 'worker-user' });
    for (const mode of ['object', 'url'] as const) {
      const answer = await call(mode, `Bearer ${accessToken}`);
      expect(answer.runtime).toEqual({ buffer: 'undefined', process: 'undefined', subtle: 'object' });
      expect(answer, mode).toMatchObject({ ok: true, sub: 'worker-user' });
    }
    expect(jwks.fetches).toBe(1);
  });

  it('answers the AuthError code and the RFC 6750 challenge for a bad token, a tampered one, and none', async () => {
    const { accessToken } = await iss.auth.signIn({ userId: 'worker-user' });
    const [h, p, s] = accessToken.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${s.slice(0, -3)}${s.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    for (const mode of ['object', 'url'] as const) {
      expect(await call(mode, 'Bearer not-a-token')).toMatchObject({ ok: false, code: 'token_invalid', status: 401, challenge: 'Bearer realm="latchkey", error="invalid_token", error_description="token_invalid"' });
      expect(await call(mode, `Bearer ${tampered}`)).toMatchObject({ ok: false, code: 'token_invalid', status: 401 });
      expect(await call(mode)).toMatchObject({ ok: false, code: 'credentials_missing', status: 401, challenge: 'Bearer realm="latchkey"' });
      expect(await call(mode, `Bearer ${'A'.repeat(20_000)}`)).toMatchObject({ ok: false, code: 'token_invalid' });
    }
  });
});
