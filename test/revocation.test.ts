// The checkSession cache hands each request its own copy of the session data: an app that changes
// `ctx.data` on one request never changes what the next request (or another route) sees.
import { createAuth, generateKey, memoryStore, type SessionStore } from '../src/entries/index.js';
import { describe, expect, it } from 'vitest';

/** A memory store that says it broadcasts (and that its broadcast is confirmed), so checkSession caches. */
function broadcastingStore(): SessionStore {
  return { ...memoryStore(), subscribe: () => () => {}, broadcastLag: () => 0 };
}

describe('checkSession cache', () => {
  it('a request that mutates its bearer context data does not change the next request\'s data', async () => {
    const auth = createAuth({ keys: [await generateKey('Ed25519')], issuer: 'https://api.example.com', audience: 'web', store: broadcastingStore(), accessToken: { checkSession: true } });
    const { accessToken } = await auth.signIn({ userId: 'u1', data: { role: 'user', tags: ['a'] } });
    const request = { method: 'GET', headers: { authorization: `Bearer ${accessToken}` } };
    for (let i = 0; i < 3; i++) {
      const ctx = await auth.authenticate(request);
      expect(ctx?.data).toEqual({ role: 'user', tags: ['a'] });
      (ctx!.data as { role: string; tags: string[] }).role = 'admin';
      (ctx!.data as { role: string; tags: string[] }).tags.push('injected');
    }
    await auth.close();
  });
});
