// examples/nextjs-middleware: the middleware called as Next.js calls it, with a NextRequest, against an issuer's
// JWKS served on 127.0.0.1 (the example reads its settings from the environment, set before it is loaded).
import { NextRequest } from 'next/server.js';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, issuer, serveJWKS, type Issuer, type JWKSServer } from './support.js';

type Middleware = (request: NextRequest) => Promise<Response>;

describe('the Next.js middleware example', () => {
  let iss: Issuer;
  let jwks: JWKSServer;
  let middleware: Middleware;

  beforeAll(async () => {
    iss = await issuer({ clock: { now: () => Date.now(), advance: () => {} } }); // the example keeps real time
    jwks = await serveJWKS(iss.auth);
    process.env.LATCHKEY_ISSUER = ISSUER;
    process.env.LATCHKEY_AUDIENCE = AUDIENCE;
    process.env.LATCHKEY_JWKS_URL = jwks.url.href;
    ({ middleware } = (await import(/* @vite-ignore */ new URL('../../examples/nextjs-middleware/middleware.ts', import.meta.url).href)) as { middleware: Middleware });
  });
  afterAll(async () => {
    await jwks.close();
    await iss.auth.close();
  });

  const request = (headers: Record<string, string>): NextRequest => new NextRequest('http://localhost:3000/api/orders', { headers });

  it('lets a valid token through, handing the user id to the route as x-user-id (a client-sent one is overwritten)', async () => {
    const { accessToken } = await iss.auth.signIn({ userId: 'user-7' });
    const response = await middleware(request({ authorization: `Bearer ${accessToken}`, 'x-user-id': 'admin' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(response.headers.get('x-middleware-request-x-user-id')).toBe('user-7');
  });

  it('answers 401 with the RFC 6750 challenge to no token and to a bad one, never reaching the route', async () => {
    const none = await middleware(request({}));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
    expect(none.headers.get('x-middleware-next')).toBeNull();
    const bad = await middleware(request({ authorization: 'Bearer a.b.c' }));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'token_invalid' });
  });
});

it('type-checks as a Next.js app compiles it (its own tsconfig: bundler resolution, as next build uses)', async () => {
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const project = fileURLToPath(new URL('../../examples/nextjs-middleware/tsconfig.json', import.meta.url));
  const output = await new Promise<string>((resolve) => execFile(process.execPath, [tsc, '-p', project], (error, stdout, stderr) => resolve(error ? `${stdout}${stderr}` || String(error) : '')));
  expect(output).toBe('');
});
