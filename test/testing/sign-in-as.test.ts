// signInAs: credentials a test sends as they are, made by the real auth.signIn.
import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, memoryStore } from '../../src/entries/index.js';
import { signInAs } from '../../src/entries/testing.js';

describe('signInAs', () => {
  it('returns a Cookie header with the session and refresh cookies and a Bearer header, both accepted by authenticate', async () => {
    const auth = createAuth({ keys: [await generateKey('Ed25519')], issuer: 'https://api.example.com', audience: 'web' });
    const as = await signInAs(auth, { userId: '42', data: { role: 'admin' } });
    expect(as.cookie).toMatch(/^__Host-latchkey\.session=[^;]+; __Secure-latchkey\.refresh=[^;]+$/);
    expect(as.authorization).toBe(`Bearer ${as.accessToken}`);
    const byCookie = await auth.authenticate({ method: 'GET', headers: { cookie: as.cookie } });
    expect(byCookie).toMatchObject({ userId: '42', via: 'cookie', data: { role: 'admin' }, sessionId: as.session.id });
    const byBearer = await auth.authenticate({ method: 'GET', headers: { authorization: as.authorization! } });
    expect(byBearer).toMatchObject({ userId: '42', via: 'bearer', sessionId: as.session.id });
    expect((await auth.refresh({ refreshToken: as.refreshToken! })).session.id).toBe(as.session.id);
    await auth.close();
  });

  it('without keys: the session cookie only, and no authorization', async () => {
    const auth = createAuth({});
    const as = await signInAs(auth, { userId: '7' });
    expect(as.cookie).toMatch(/^__Host-latchkey\.session=[^;]+$/);
    expect(as.authorization).toBeUndefined();
    expect(as.refreshToken).toBeUndefined();
    expect((await auth.authenticate({ method: 'GET', headers: { cookie: as.cookie } }))?.userId).toBe('7');
    await auth.close();
  });

  it('goes through auth.signIn: a store that is down fails the sign-in instead of faking a session', async () => {
    const auth = createAuth({ store: { ...memoryStore(), create: () => Promise.reject(new Error('down')) } });
    await expect(signInAs(auth, { userId: '1' })).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});
