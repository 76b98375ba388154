import { describe, expect, it } from 'vitest';
import { createAuth } from '../src/entries/index.js';
import { authFailure } from './support/core.js';

const COOKIE = '__Host-latchkey.session';

async function setup() {
  const auth = createAuth({ csrf: { trustedOrigins: ['https://app.example.com'] } });
  const { sessionToken } = await auth.signIn({ userId: 'u1' });
  const request = (method: string, extra: Record<string, string> = {}) => ({ method, headers: { cookie: `${COOKIE}=${sessionToken}`, host: 'api.example.com', ...extra } });
  return { auth, request };
}

describe('CSRF checks on cookie-authenticated requests', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('refuses a cross-site %s with 403 csrf_rejected', async (method) => {
    const { auth, request } = await setup();
    const error = await authFailure(auth.authenticate(request(method, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })));
    expect(error).toMatchObject({ code: 'csrf_rejected', status: 403 });
  });

  it('counts a request without a method as unsafe: a cross-site cookie request is refused, a plain one passes', async () => {
    const { auth, request } = await setup();
    const { method: _ignored, ...crossSite } = request('POST', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect((await authFailure(auth.authenticate(crossSite))).code).toBe('csrf_rejected');
    const { method: _also, ...plain } = request('POST');
    await expect(auth.authenticate(plain)).resolves.toMatchObject({ userId: 'u1' });
  });

  it('refuses a cross-site POST identified by Origin alone (older browsers send no Sec-Fetch-Site)', async () => {
    const { auth, request } = await setup();
    expect((await authFailure(auth.authenticate(request('POST', { origin: 'https://evil.example' })))).code).toBe('csrf_rejected');
    expect((await authFailure(auth.authenticate(request('POST', { origin: 'null' })))).code).toBe('csrf_rejected');
  });

  it('allows a same-site POST (Fetch Metadata resource isolation policy, as of commit cb5483c)', async () => {
    const { auth, request } = await setup();
    await expect(auth.authenticate(request('POST', { origin: 'https://blog.example.com', 'sec-fetch-site': 'same-site' }))).resolves.toMatchObject({ userId: 'u1' });
  });

  it('allows same-origin unsafe requests, by Sec-Fetch-Site or by Origin matching Host', async () => {
    const { auth, request } = await setup();
    await expect(auth.authenticate(request('POST', { 'sec-fetch-site': 'same-origin', origin: 'https://api.example.com' }))).resolves.toMatchObject({ userId: 'u1' });
    await expect(auth.authenticate(request('POST', { origin: 'https://api.example.com' }))).resolves.toMatchObject({ userId: 'u1' });
  });

  it('compares the scheme too: with Secure cookies an http:// Origin naming our host is refused without Sec-Fetch-Site', async () => {
    const { auth, request } = await setup();
    expect((await authFailure(auth.authenticate(request('POST', { origin: 'http://api.example.com' })))).code).toBe('csrf_rejected');
    expect((await authFailure(auth.authenticate(request('POST', { origin: 'http://API.example.com' })))).code).toBe('csrf_rejected');
    await expect(auth.authenticate(request('POST', { origin: 'https://api.example.com' }))).resolves.toMatchObject({ userId: 'u1' });
  });

  it('without Secure cookies both http:// and https:// count as the own origin; loopback http always does', async () => {
    const plain = createAuth({ cookies: { secure: false } });
    const { sessionToken } = await plain.signIn({ userId: 'u1' });
    const post = (origin: string, host = 'api.example.com') => ({ method: 'POST', headers: { cookie: `latchkey.session=${sessionToken}`, host, origin } });
    await expect(plain.authenticate(post('http://api.example.com'))).resolves.toMatchObject({ userId: 'u1' });
    await expect(plain.authenticate(post('https://api.example.com'))).resolves.toMatchObject({ userId: 'u1' });
    expect((await authFailure(plain.authenticate(post('http://evil.example')))).code).toBe('csrf_rejected');
    const { auth, request } = await setup();
    for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'app.localhost:3000']) {
      await expect(auth.authenticate(request('POST', { origin: `http://${host}`, host }))).resolves.toMatchObject({ userId: 'u1' });
    }
  });

  it('allows a trusted origin, case-insensitively', async () => {
    const { auth, request } = await setup();
    await expect(auth.authenticate(request('POST', { origin: 'https://APP.example.com', 'sec-fetch-site': 'same-site' }))).resolves.toMatchObject({ userId: 'u1' });
  });

  it('allows non-browser clients that send neither Origin nor Sec-Fetch-Site', async () => {
    const { auth, request } = await setup();
    await expect(auth.authenticate(request('POST'))).resolves.toMatchObject({ userId: 'u1' });
  });

  it('never checks safe methods: a cross-site GET still authenticates', async () => {
    const { auth, request } = await setup();
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get']) {
      await expect(auth.authenticate(request(method, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }))).resolves.toMatchObject({ userId: 'u1' });
    }
  });

  it('does not apply to bearer-token requests (no ambient credential)', async () => {
    const { generateKey } = await import('../src/entries/index.js');
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web' });
    const { accessToken } = await auth.signIn({ userId: 'u1' });
    await expect(auth.authenticate({ method: 'POST', headers: { authorization: `Bearer ${accessToken}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })).resolves.toMatchObject({ via: 'bearer' });
  });

  it('a refused CSRF check reads as an error, not as signed-out, through resolve()', async () => {
    const { auth, request } = await setup();
    await expect(auth.resolve(request('POST', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }))).rejects.toMatchObject({ code: 'csrf_rejected' });
  });
});

describe('login CSRF: signIn with the request runs the same check', () => {
  const post = (headers: Record<string, string>) => ({ method: 'POST', headers: { host: 'api.example.com', ...headers } });

  it('refuses a cross-site sign-in form (403 csrf_rejected) before anything is stored', async () => {
    const auth = createAuth({ csrf: { trustedOrigins: ['https://app.example.com'] } });
    for (const headers of <Record<string, string>[]>[
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example' },
      { origin: 'http://api.example.com' },
      { origin: 'null' },
    ]) {
      const error = await authFailure(auth.signIn({ userId: 'victim-login', request: post(headers) }));
      expect(error, JSON.stringify(headers)).toMatchObject({ code: 'csrf_rejected', status: 403 });
    }
    await expect(auth.sessions.list('victim-login')).resolves.toEqual([]);
  });

  it('lets same-origin, same-site, trusted and non-browser sign-ins through, and no request means no check', async () => {
    const auth = createAuth({ csrf: { trustedOrigins: ['https://app.example.com'] } });
    for (const headers of <Record<string, string>[]>[
      { origin: 'https://api.example.com', 'sec-fetch-site': 'same-origin' },
      { origin: 'https://api.example.com' },
      { origin: 'https://blog.example.com', 'sec-fetch-site': 'same-site' },
      { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' },
      {},
    ]) {
      await expect(auth.signIn({ userId: 'u1', request: post(headers) }), JSON.stringify(headers)).resolves.toMatchObject({ session: { userId: 'u1' } });
    }
    await expect(auth.signIn({ userId: 'u1' })).resolves.toMatchObject({ session: { userId: 'u1' } });
  });
});
