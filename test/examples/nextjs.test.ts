// The Next.js App Router example without a Next.js server: its route handlers are imported and called
// with real Web `Request` objects, as Next.js calls them, and its Server Component page is rendered with
// the request's cookies (next/headers stands in for the request scope Next.js provides).
import type { ReactElement } from 'react';
import { describe, expect, it, vi } from 'vitest';

const jar = vi.hoisted(() => ({ cookie: '' }));
vi.mock('next/headers', () => ({ cookies: async () => ({ toString: () => jar.cookie }) }));

// The example type-checks under its own tsconfig (Next.js's); loaded by path, it stays out of this project's program.
type Handler = (request: Request) => Promise<Response>;
const load = <T>(path: string): Promise<T> => import(/* @vite-ignore */ new URL(`../../examples/nextjs/${path}`, import.meta.url).href) as Promise<T>;
const { POST: signIn } = await load<{ POST: Handler }>('app/api/auth/sign-in/route.ts');
const { POST: refresh } = await load<{ POST: Handler }>('app/api/auth/refresh/route.ts');
const { POST: signOut } = await load<{ POST: Handler }>('app/api/auth/sign-out/route.ts');
const { GET: me } = await load<{ GET: Handler }>('app/api/me/route.ts');
const { default: Home } = await load<{ default: () => Promise<ReactElement> }>('app/page.tsx');
const { renderToStaticMarkup } = (await import(/* @vite-ignore */ 'react-dom/server' as string)) as { renderToStaticMarkup(element: ReactElement): string };

const ORIGIN = 'http://localhost:3000';
const SAME_ORIGIN = { origin: ORIGIN, 'sec-fetch-site': 'same-origin' };

function post(path: string, init: { json?: unknown; form?: Record<string, string>; body?: string; headers?: Record<string, string> } = {}): Request {
  const headers: Record<string, string> = { ...SAME_ORIGIN, ...init.headers };
  let body: string | undefined = init.body;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  return new Request(ORIGIN + path, { method: 'POST', headers, body });
}

/** The Cookie header a browser sends to `path` after these Set-Cookie lines. */
function cookieFor(lines: string[], path: string): string {
  return lines
    .filter((line) => !/Max-Age=0/i.test(line))
    .filter((line) => path.startsWith(/; Path=([^;]+)/i.exec(line)?.[1] ?? '/'))
    .map((line) => line.split(';', 1)[0])
    .join('; ');
}

async function signedIn(): Promise<{ lines: string[]; accessToken: string }> {
  const response = await signIn(post('/api/auth/sign-in', { json: { username: 'demo', password: 'latchkey-demo' } }));
  expect(response.status).toBe(200);
  const { accessToken } = (await response.json()) as { accessToken: string };
  return { lines: response.headers.getSetCookie(), accessToken };
}

describe('the Next.js example route handlers, called with real Request objects', () => {
  it('sign-in sets the __Host- session cookie and a refresh cookie scoped to the refresh route, and answers the access token', async () => {
    const { lines, accessToken } = await signedIn();
    expect(lines.map((line) => line.split('=')[0])).toEqual(['__Host-latchkey.session', '__Secure-latchkey.refresh']);
    expect(lines[0]).toMatch(/; Path=\/; .*HttpOnly/);
    expect(lines[1]).toMatch(/; Path=\/api\/auth\/refresh(;|$)/);
    expect(accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('sign-in refuses a wrong password with 401 and a body that is not JSON or a form with 400, setting no cookie', async () => {
    for (const [request, status] of [
      [post('/api/auth/sign-in', { json: { username: 'demo', password: 'nope' } }), 401],
      [post('/api/auth/sign-in', { body: '{"username":', headers: { 'content-type': 'application/json' } }), 400],
      [post('/api/auth/sign-in', { json: ['demo'] }), 401],
      [post('/api/auth/sign-in', { json: null }), 400],
      [post('/api/auth/sign-in', { body: 'username=demo', headers: { 'content-type': 'text/plain' } }), 400],
    ] as const) {
      const response = await signIn(request);
      expect(response.status).toBe(status);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it('the protected API answers the session cookie and the Bearer token, and 401 with WWW-Authenticate to nobody', async () => {
    const { lines, accessToken } = await signedIn();
    const byCookie = await me(new Request(`${ORIGIN}/api/me`, { headers: { cookie: cookieFor(lines, '/api/me') } }));
    expect(await byCookie.json()).toEqual({ userId: 'user-1', name: 'demo', via: 'cookie' });
    const byBearer = await me(new Request(`${ORIGIN}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } }));
    expect(await byBearer.json()).toMatchObject({ userId: 'user-1', via: 'bearer' });
    const nobody = await me(new Request(`${ORIGIN}/api/me`));
    expect(nobody.status).toBe(401);
    expect(nobody.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
  });

  it('refresh rotates the refresh cookie; replaying the old one after the grace window is refused', async () => {
    const { lines } = await signedIn();
    const first = await refresh(post('/api/auth/refresh', { headers: { cookie: cookieFor(lines, '/api/auth/refresh') } }));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ accessToken: expect.any(String), expiresIn: 900 });
    const rotated = first.headers.getSetCookie();
    expect(rotated).toHaveLength(1);
    expect(cookieFor(rotated, '/api/auth/refresh')).not.toBe(cookieFor(lines, '/api/auth/refresh'));
    expect((await refresh(post('/api/auth/refresh'))).status).toBe(401);
  });

  it('sign-out from the form redirects to / clearing both cookies, and the session is gone; a cross-site sign-out is refused', async () => {
    const { lines } = await signedIn();
    const cookie = cookieFor(lines, '/');
    const crossSite = await signOut(post('/api/auth/sign-out', { form: {}, headers: { cookie, origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' } }));
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    const out = await signOut(post('/api/auth/sign-out', { form: {}, headers: { cookie } }));
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/');
    expect(out.headers.getSetCookie().every((line) => /Max-Age=0/.test(line))).toBe(true);
    expect(out.headers.getSetCookie()).toHaveLength(2);
    expect((await me(new Request(`${ORIGIN}/api/me`, { headers: { cookie } }))).status).toBe(401);
  });
});

describe('the Next.js example Server Component page', () => {
  it('reads the session through cookies(): the sign-in form for nobody, the user name when signed in', async () => {
    jar.cookie = '';
    expect(renderToStaticMarkup(await Home())).toContain('action="/api/auth/sign-in"');
    const { lines } = await signedIn();
    jar.cookie = cookieFor(lines, '/');
    expect(renderToStaticMarkup(await Home())).toContain('Signed in as demo');
    jar.cookie = '__Host-latchkey.session=forged.value';
    expect(renderToStaticMarkup(await Home())).toContain('action="/api/auth/sign-in"');
  });
});
