// A native app's refresh token in the body, on every stack: a body the framework or latchkey cannot read (malformed,
// oversized, not JSON) answers 4xx, never 500. Not in the parity table: Express, Fastify and Koa refuse a malformed
// body with their parser's 400 before latchkey runs, the Web-standard adapters with latchkey's 401.
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { createAuth, generateKey } from '../../src/entries/index.js';
import { startExpress, startExpressOn } from './apps/express.js';
import { startFastify } from './apps/fastify.js';
import { startFetch } from './apps/fetch.js';
import { startHono } from './apps/hono.js';
import { startKoa } from './apps/koa.js';
import type { StartApp } from './scenarios.js';

const stacks: Record<string, StartApp> = {
  express: startExpress,
  'express 4': startExpressOn(express4 as unknown as Parameters<typeof startExpressOn>[0]),
  fastify: startFastify,
  koa: startKoa,
  hono: startHono,
  fetch: startFetch,
};

const bodies: [string, string][] = [
  ['malformed JSON', '{"refreshToken": '],
  ['JSON that is not an object', '"a string"'],
  ['a 200 KB body', JSON.stringify({ refreshToken: 'A'.repeat(200 * 1024) })],
  ['null', 'null'],
];

describe.each(Object.entries(stacks))('%s: refresh and sign-out with an unreadable JSON body', (_name, start) => {
  it('refresh answers 4xx and sign-out 204 or 4xx (nothing named a session), never 500', async () => {
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.latchkey.test', audience: 'web' });
    const server = await start(auth);
    try {
      for (const [label, body] of bodies) {
        for (const path of ['/auth/refresh', '/auth/logout']) {
          const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          await res.arrayBuffer();
          if (path === '/auth/logout' && res.status === 204) continue; // sign-out is idempotent: nothing to end
          expect.soft(res.status, `${path} with ${label}`).toBeGreaterThanOrEqual(400);
          expect.soft(res.status, `${path} with ${label}`).toBeLessThan(500);
        }
      }
    } finally {
      await server.close();
      await auth.close();
    }
  });
});
