import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, type AuthOptions } from '../src/entries/index.js';
import { parse } from 'cookie';
import { cookieValue as scan } from '../src/core/cookies.js';
import { AUDIENCE, cookieValue, DAY, ISSUER, MINUTE, testClock } from './support/core.js';

function attributes(line: string): Map<string, string | true> {
  const [, ...parts] = line.split(/;\s*/);
  return new Map<string, string | true>(
    parts.map((p): [string, string | true] => {
      const eq = p.indexOf('=');
      return eq === -1 ? [p.toLowerCase(), true] : [p.slice(0, eq).toLowerCase(), p.slice(eq + 1)];
    }),
  );
}

async function tokenAuth(cookies: AuthOptions['cookies'] = {}, extra: { refreshPath?: string } = {}) {
  const clock = testClock();
  return createAuth({
    keys: [await generateKey('EdDSA')],
    issuer: ISSUER,
    audience: AUDIENCE,
    now: clock.now,
    cookies,
    session: { absoluteTimeout: '30d' },
    refreshToken: { ttl: '7d', ...(extra.refreshPath ? { path: extra.refreshPath } : {}) },
  });
}

describe('Set-Cookie lines', () => {
  it('the session cookie is __Host-, HttpOnly, Secure, SameSite=Lax, Path=/ with no Domain, and lives until the absolute expiry', async () => {
    const auth = await tokenAuth();
    const { setCookies, sessionToken } = await auth.signIn({ userId: 'u1' });
    const line = setCookies.find((l) => l.startsWith('__Host-latchkey.session='))!;
    expect(cookieValue(setCookies, '__Host-latchkey.session')).toBe(sessionToken);
    const attrs = attributes(line);
    expect(attrs.get('httponly')).toBe(true);
    expect(attrs.get('secure')).toBe(true);
    expect(attrs.get('samesite')).toBe('Lax');
    expect(attrs.get('path')).toBe('/');
    expect(attrs.has('domain')).toBe(false);
    expect(attrs.get('max-age')).toBe(String((30 * DAY) / 1000));
  });

  it('the refresh cookie is __Secure-, HttpOnly, scoped to the refresh path, and lives as long as the refresh token', async () => {
    const auth = await tokenAuth({}, { refreshPath: '/api/token' });
    const { setCookies, refreshToken } = await auth.signIn({ userId: 'u1' });
    expect(cookieValue(setCookies, '__Secure-latchkey.refresh')).toBe(refreshToken);
    const attrs = attributes(setCookies.find((l) => l.startsWith('__Secure-latchkey.refresh='))!);
    expect(attrs.get('path')).toBe('/api/token');
    expect(attrs.get('httponly')).toBe(true);
    expect(attrs.get('secure')).toBe(true);
    expect(attrs.get('max-age')).toBe(String((7 * DAY) / 1000));
    expect(auth.cookies).toEqual({ session: '__Host-latchkey.session', refresh: '__Secure-latchkey.refresh', refreshPath: '/api/token' });
  });

  it('secure: false drops the Secure attribute and the prefixes (plain-http development)', async () => {
    const auth = await tokenAuth({ secure: false });
    const { setCookies } = await auth.signIn({ userId: 'u1' });
    expect(setCookies.map((l) => l.split('=')[0])).toEqual(['latchkey.session', 'latchkey.refresh']);
    for (const line of setCookies) expect(attributes(line).has('secure')).toBe(false);
  });

  it('a domain makes the session cookie __Secure- with that Domain (a __Host- cookie may not name one)', async () => {
    const auth = await tokenAuth({ domain: 'example.com', name: 'app', sameSite: 'strict' });
    const { setCookies } = await auth.signIn({ userId: 'u1' });
    const session = setCookies.find((l) => l.startsWith('__Secure-app.session='))!;
    expect(attributes(session).get('domain')).toBe('example.com');
    expect(attributes(session).get('samesite')).toBe('Strict');
  });

  it("sameSite 'none' with secure sets SameSite=None", async () => {
    const auth = await tokenAuth({ sameSite: 'none' });
    const { setCookies } = await auth.signIn({ userId: 'u1' });
    for (const line of setCookies) expect(attributes(line).get('samesite')).toBe('None');
  });

  it('clearCookies deletes both cookies with the same name, path and Max-Age=0', async () => {
    const auth = await tokenAuth();
    const lines = auth.clearCookies();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^__Host-latchkey\.session=;/);
    expect(lines[1]).toMatch(/^__Secure-latchkey\.refresh=;/);
    expect(attributes(lines[1]!).get('path')).toBe('/auth/refresh');
    for (const line of lines) expect(attributes(line).get('max-age')).toBe('0');
  });

  it('refuses to build a Set-Cookie line over 4096 bytes', async () => {
    const auth = createAuth({ cookies: { name: 'n'.repeat(4100) } });
    await expect(auth.signIn({ userId: 'u1' })).rejects.toThrow(/browsers drop cookies over 4096/);
  });

  it('a rotated refresh cookie Max-Age is capped by what is left of the session', async () => {
    const clock = testClock();
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, now: clock.now, session: { idleTimeout: false, absoluteTimeout: '2d' }, refreshToken: { ttl: '1d' } });
    const first = await auth.signIn({ userId: 'u1' });
    clock.advance(DAY - MINUTE);
    const second = await auth.refresh({ refreshToken: first.refreshToken });
    expect(attributes(second.setCookies[0]!).get('max-age')).toBe(String(DAY / 1000));
    clock.advance(DAY / 2);
    const third = await auth.refresh({ refreshToken: second.refreshToken });
    expect(attributes(third.setCookies[0]!).get('max-age')).toBe(String((DAY / 2 + MINUTE) / 1000));
  });
});

describe('Cookie parsing', () => {
  it('finds the session cookie among others, whatever the spacing', async () => {
    const auth = createAuth();
    const { sessionToken } = await auth.signIn({ userId: 'u1' });
    for (const cookie of [`a=1;__Host-latchkey.session=${sessionToken}`, `a=1;   __Host-latchkey.session=${sessionToken} ; b=2`, `__Host-latchkey.session=${sessionToken}`]) {
      await expect(auth.authenticate({ method: 'GET', headers: { cookie } })).resolves.toMatchObject({ userId: 'u1' });
    }
  });

  it('reads malformed or oversized Cookie headers as no cookie (null), never throwing a non-AuthError', async () => {
    const auth = createAuth();
    const { sessionToken } = await auth.signIn({ userId: 'u1' });
    for (const cookie of [';;;', '=', '__Host-latchkey.session', '__Host-latchkey.session=', `x=${'%'.repeat(100)}`, `pad=${'x'.repeat(20_000)}; __Host-latchkey.session=${sessionToken}`]) {
      await expect(auth.authenticate({ method: 'GET', headers: { cookie } })).resolves.toBeNull();
    }
  });

  it('refuses a session cookie of the wrong shape with a 401', async () => {
    const auth = createAuth();
    for (const value of ['abc', 'a.b', `${'A'.repeat(22)}.${'B'.repeat(42)}`, '%E0%A4%A']) {
      await expect(auth.authenticate({ method: 'GET', headers: { cookie: `__Host-latchkey.session=${value}` } })).rejects.toMatchObject({ code: 'session_invalid', status: 401 });
    }
  });

  it('does not read a cookie whose name merely contains the session cookie name', async () => {
    const auth = createAuth();
    const { sessionToken } = await auth.signIn({ userId: 'u1' });
    await expect(auth.authenticate({ method: 'GET', headers: { cookie: `x__Host-latchkey.session=${sessionToken}` } })).resolves.toBeNull();
  });
});

describe('cookieValue, the one-cookie scanner', () => {
  // The per-request path reads one cookie without building an object of all of them; it must read exactly
  // what `cookie`'s parse reads, or a header could authenticate differently than a framework's cookie parser.
  const alphabet = ['a', 'b', 'sid', '__Host-sid', '=', '=', ';', ';', ' ', '\t', 'x', '"', '%20', 'é', ',', 'sid=', '; sid', ''];
  const randomHeader = (random: () => number): string =>
    Array.from({ length: Math.floor(random() * 14) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');

  it('agrees with cookie.parse (no decoding) on 20,000 fuzzed headers and every name they hold', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const raw = randomHeader(random);
      const parsed = parse(raw, { decode: (value) => value });
      for (const name of new Set([...Object.keys(parsed), 'sid', '__Host-sid', 'a', 'x'])) {
        expect([raw, name, scan(raw, name)]).toEqual([raw, name, parsed[name]]);
      }
    }
  });

  it('reads the first of two cookies of one name, trims blanks, and keeps values verbatim', () => {
    expect(scan('sid=one; sid=two', 'sid')).toBe('one');
    expect(scan(' \tsid \t=  v a l \t; other=1', 'sid')).toBe('v a l');
    expect(scan('xsid=1; sidx=2', 'sid')).toBeUndefined();
    expect(scan('a=sid=3; sid=4', 'sid')).toBe('4');
    expect(scan('junk; sid=5', 'sid')).toBe('5');
    expect(scan('sid=%41"q"', 'sid')).toBe('%41"q"');
    expect(scan('sid=', 'sid')).toBe('');
    expect(scan('', 'sid')).toBeUndefined();
  });
});
