// A user's `declare module 'latchkey' { interface Register { ... } }` must flow into req.auth (Express),
// request.auth (Fastify) and ctx.state.auth (Koa), from the sources and from the built .d.ts files.
// An augmentation applies to a whole TypeScript program, so this one cannot live in a .test-d.ts file of
// this project (test/types.test-d.ts declares the project's own); each case compiles an app in a program
// of its own with the TypeScript compiler API.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const appFile = join(root, 'test/adapters/register-app.virtual.ts');

const AUGMENTATION = `
declare module 'latchkey' {
  interface Register { data: { role: 'admin' | 'user' }; claims: { role: string } }
}`;

const APP = `
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { expectTypeOf } from 'vitest';
import type { Auth } from 'latchkey';
import { latchkey as expressLatchkey } from 'latchkey/express';
import { latchkey as fastifyLatchkey } from 'latchkey/fastify';
import { latchkey as koaLatchkey } from 'latchkey/koa';

declare const auth: Auth<true>;

const lk = expressLatchkey(auth);
express().get('/me', lk.requireAuth(), async (req, res) => {
  if (req.auth?.via === 'cookie') expectTypeOf(req.auth.data.role).toEqualTypeOf<'admin' | 'user'>();
  if (req.auth?.via === 'bearer') expectTypeOf(req.auth.claims.role).toEqualTypeOf<string>();
  // @ts-expect-error data holds only what Register declares
  req.auth?.data?.missing;
  // @ts-expect-error signIn data must match Register['data']
  await lk.signIn(req, res, { userId: '1', data: { role: 'root' } });
  res.end();
});

const app = Fastify();
await app.register(fastifyLatchkey, { auth });
app.get('/me', { preHandler: app.requireAuth({ check: (a) => a.via === 'cookie' && a.data.role === 'admin' }) }, async (request, reply) => {
  if (request.auth?.via === 'cookie') expectTypeOf(request.auth.data.role).toEqualTypeOf<'admin' | 'user'>();
  // @ts-expect-error signIn data must match Register['data']
  await reply.signIn({ userId: '1', data: { role: 'root' } });
  return null;
});

new Koa().use(koaLatchkey(auth).authenticate()).use((ctx) => {
  if (ctx.state.auth?.via === 'cookie') expectTypeOf(ctx.state.auth.data.role).toEqualTypeOf<'admin' | 'user'>();
  if (ctx.state.auth?.via === 'bearer') expectTypeOf(ctx.state.auth.claims.role).toEqualTypeOf<string>();
});
`;

function compile(source: string, from: 'src' | 'dist'): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('cannot read tsconfig.json');
  // From 'dist', 'latchkey/*' resolves as a user's project does: through package.json "exports" (self-reference).
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, ...(from === 'dist' ? { paths: undefined, baseUrl: undefined } : {}) };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (resolve(name) === appFile ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === appFile || fileExists(name);
  const program = ts.createProgram({ rootNames: [appFile], options, host });
  // Only the app's own diagnostics: errors elsewhere in the sources are `tsc --noEmit -p .`'s to report.
  const app = program.getSourceFile(appFile);
  return [...program.getOptionsDiagnostics(), ...ts.getPreEmitDiagnostics(program, app)].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const TOKENS_APP = `
import Fastify from 'fastify';
import { expectTypeOf } from 'vitest';
import type { Auth } from 'latchkey';
import { latchkey as fastifyLatchkey } from 'latchkey/fastify';

declare const tokenAuth: Auth<true>;
declare const cookieAuth: Auth<false>;

const app = Fastify();
await app.register(fastifyLatchkey, { auth: tokenAuth });
app.post('/login', async (_request, reply) => {
  const result = await reply.signIn({ userId: '1' });
  expectTypeOf(result.accessToken).toEqualTypeOf<string>();
  expectTypeOf(result.refreshToken).toEqualTypeOf<string>();
  return { accessToken: result.accessToken };
});
expectTypeOf(app.latchkey.auth).toEqualTypeOf<Auth<true>>();
// @ts-expect-error Register says the Auth issues tokens: a cookie-only Auth does not match
await app.register(fastifyLatchkey, { auth: cookieAuth });
`;

describe("Register['tokens'] types the Fastify plugin as the Auth's type parameter types Express and Koa", () => {
  it('with tokens: true, (await reply.signIn(...)).accessToken is a string and a cookie-only Auth is refused', () => {
    expect(compile(`declare module 'latchkey' { interface Register { tokens: true } }\n${TOKENS_APP}`, 'src')).toEqual([]);
  }, 60_000);

  it('without it the same app does not compile: accessToken stays string | undefined (the check above can fail)', () => {
    const errors = compile(TOKENS_APP, 'src');
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(errors.filter((error) => /Unused '@ts-expect-error'/.test(error))).toHaveLength(1);
  }, 60_000);
});

describe('a Register augmentation types the request context of every adapter', () => {
  it('from the sources: req.auth.data, request.auth.data and ctx.state.auth.data carry the declared type', () => {
    expect(compile(AUGMENTATION + APP, 'src')).toEqual([]);
  }, 60_000);

  it('without the augmentation the same app does not compile (the checks above can fail)', () => {
    const errors = compile(APP, 'src');
    expect(errors.length).toBeGreaterThanOrEqual(8); // 5 type expectations and 3 @ts-expect-error lines
    expect(errors.filter((error) => /Unused '@ts-expect-error'/.test(error))).toHaveLength(3);
  }, 60_000);

  it.skipIf(!existsSync(join(root, 'dist/express.d.ts')))('from the built .d.ts files (npm run build), resolved through package.json exports', () => {
    expect(compile(AUGMENTATION + APP, 'dist')).toEqual([]);
  }, 60_000);
});

const WEB_APP = `
import { Hono } from 'hono';
import { expectTypeOf } from 'vitest';
import type { Auth } from 'latchkey';
import { latchkey as honoLatchkey } from 'latchkey/hono';
import { latchkey as fetchLatchkey } from 'latchkey/fetch';

declare const auth: Auth<true>;

const lk = honoLatchkey(auth);
const app = new Hono();
app.use('*', lk.authenticate());
app.get('/me', lk.requireAuth({ check: (a) => a.via === 'cookie' && a.data.role === 'admin' }), async (c) => {
  const who = c.get('auth');
  if (who?.via === 'cookie') expectTypeOf(who.data.role).toEqualTypeOf<'admin' | 'user'>();
  if (who?.via === 'bearer') expectTypeOf(who.claims.role).toEqualTypeOf<string>();
  // @ts-expect-error signIn data must match Register['data']
  await lk.signIn(c, { userId: '1', data: { role: 'root' } });
  return c.json(who);
});

const web = fetchLatchkey(auth);
export const GET = web.handler(async (_request, who) => {
  if (who?.via === 'cookie') expectTypeOf(who.data.role).toEqualTypeOf<'admin' | 'user'>();
  return Response.json(null);
});
export async function POST(request: Request): Promise<Response> {
  // @ts-expect-error signIn data must match Register['data']
  await web.signIn(request, { userId: '1', data: { role: 'root' } });
  return web.refresh(request);
}
`;

describe('a Register augmentation types c.get(\'auth\') on Hono and the AuthContext of latchkey/fetch', () => {
  it('from the sources: c.get(\'auth\').data and the handler\'s auth carry the declared type', () => {
    expect(compile(AUGMENTATION + WEB_APP, 'src')).toEqual([]);
  }, 60_000);

  it('without the augmentation the same app does not compile (the checks above can fail)', () => {
    const errors = compile(WEB_APP, 'src');
    expect(errors.length).toBeGreaterThanOrEqual(5); // 3 type expectations and 2 @ts-expect-error lines
    expect(errors.filter((error) => /Unused '@ts-expect-error'/.test(error))).toHaveLength(2);
  }, 60_000);

  it.skipIf(!existsSync(join(root, 'dist/hono.d.ts')))('from the built .d.ts files (npm run build), resolved through package.json exports', () => {
    expect(compile(AUGMENTATION + WEB_APP, 'dist')).toEqual([]);
  }, 60_000);
});

