// latchkey/fetch and latchkey/hono with requests a client (or a careless caller) gets wrong: no headers at
// all, a body that is not JSON, a method missing. Each ends in a 4xx Response, never an exception out of
// the handler; and Set-Cookie lines reach even a Response whose headers are immutable.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, type Auth } from '../../src/entries/index.js';
import { latchkey as fetchLatchkey } from '../../src/entries/fetch.js';
import { latchkey as honoLatchkey } from '../../src/entries/hono.js';

async function tokenAuth(): Promise<Auth<true>> {
  return createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.test', audience: 'web' });
}

/** Not a Request at all: what a misuse or a hand-made object hands the adapter. */
const headerless = (method?: string): Request => ({ method, url: 'http://app.test/x' }) as unknown as Request;

describe('latchkey/fetch with bad input', () => {
  it('a request without headers answers 401 on requireAuth and refresh, 204 on sign-out (nothing to end), and handler() sees nobody', async () => {
    const lk = fetchLatchkey(await tokenAuth());
    const guard = await lk.requireAuth()(headerless('GET'));
    expect(guard).toBeInstanceOf(Response);
    expect((guard as Response).status).toBe(401);
    expect((await lk.refresh(headerless('POST'))).status).toBe(401);
    expect((await lk.signOut(headerless('POST'))).status).toBe(204);
    expect((await lk.signOut(headerless(undefined))).status).toBe(204);
    const seen = await lk.handler(async (_request, auth) => Response.json({ auth }))(headerless('GET'));
    expect(await seen.json()).toEqual({ auth: null });
  });

  it('a body that is not JSON changes nothing: refresh answers 401, sign-out 204, a protected POST 401', async () => {
    const lk = fetchLatchkey(await tokenAuth());
    const post = (body: BodyInit): Request => new Request('http://app.test/auth/refresh', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    for (const body of ['{"refreshToken":', '\u0000\u00ff garbage', new Uint8Array([0xff, 0xfe, 0x00])]) {
      expect((await lk.refresh(post(body))).status).toBe(401);
      expect((await lk.signOut(post(body))).status).toBe(204);
      expect(((await lk.requireAuth()(post(body))) as Response).status).toBe(401);
    }
  });

  it('a malformed refresh cookie answers 401 with the challenge and the body { error }', async () => {
    const lk = fetchLatchkey(await tokenAuth());
    const response = await lk.refresh(new Request('http://app.test/auth/refresh', { method: 'POST', headers: { cookie: '__Secure-latchkey.refresh=%%%; ;;==' } }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="latchkey"/);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ error: expect.any(String) });
  });

  it('signIn cookies reach a Response whose headers are immutable (Response.redirect), as a copy', async () => {
    const lk = fetchLatchkey(await tokenAuth());
    const handler = lk.handler(async (request) => {
      await lk.signIn(request, { userId: 'u1' });
      return Response.redirect('http://app.test/home', 303);
    });
    const response = await handler(new Request('http://app.test/login', { method: 'POST' }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('http://app.test/home');
    expect(response.headers.getSetCookie().map((line) => line.split('=')[0])).toEqual(['__Host-latchkey.session', '__Secure-latchkey.refresh']);
  });

  it('refuses an ip option that is not a function when the adapter is created', async () => {
    expect(() => fetchLatchkey(createAuth(), { ip: 'x' as unknown as () => string })).toThrow(/ip must be a function/);
  });
});

describe('latchkey/hono with bad input', () => {
  it('a non-JSON body and a garbage Authorization header answer 4xx through app.request, never 500', async () => {
    const lk = honoLatchkey(await tokenAuth());
    const app = new Hono();
    app.use('*', lk.authenticate());
    app.post('/write', lk.requireAuth(), (c) => c.json({ ok: true }));
    app.post('/auth/refresh', lk.refresh());
    app.post('/auth/logout', lk.signOut());
    app.onError((_error, c) => c.text('bug', 500));
    for (const [path, expected] of [['/write', 401], ['/auth/refresh', 401], ['/auth/logout', 204]] as const) {
      const response = await app.request(path, { method: 'POST', body: '{"not json', headers: { 'content-type': 'application/json', authorization: 'Bearer \u0001\u0002' } });
      expect(response.status, path).toBe(expected);
    }
  });
});
