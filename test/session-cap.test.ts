// session.maxPerUser: a per-user cap applied atomically by the store at sign-in (ASVS V7.1.2).
import { createAuth, memoryStore, type AuthEvent } from '../src/entries/index.js';
import { describe, expect, it } from 'vitest';

const cookie = (name: string, token: string): { method: string; headers: Record<string, string> } => ({ method: 'GET', headers: { cookie: `${name}=${token}` } });

describe('session.maxPerUser', () => {
  it('defaults to 100: the 101st sign-in ends the least recently active session, with a session_evicted event', async () => {
    let t = Date.UTC(2030, 0, 1);
    const events: AuthEvent[] = [];
    const auth = createAuth({ now: () => t, onEvent: (e) => void events.push(e) });
    const first = await auth.signIn({ userId: 'many' });
    const rest = [];
    for (let i = 0; i < 99; i++) {
      t += 1000;
      rest.push(await auth.signIn({ userId: 'many' }));
    }
    t += 1000;
    await auth.authenticate(cookie(auth.cookies.session, first.sessionToken)); // still within touchEvery: not "active" yet
    t += 61_000;
    await auth.authenticate(cookie(auth.cookies.session, first.sessionToken)); // now the most recently active
    const newest = await auth.signIn({ userId: 'many' });
    expect(await auth.sessions.list('many')).toHaveLength(100);
    const evicted = events.filter((e) => e.type === 'session_evicted');
    expect(evicted).toEqual([{ type: 'session_evicted', at: t, userId: 'many', sessionId: rest[0]!.session.id, bySessionId: newest.session.id, reason: 'max_per_user' }]);
    await expect(auth.authenticate(cookie(auth.cookies.session, rest[0]!.sessionToken))).rejects.toMatchObject({ code: 'session_invalid' });
    expect(await auth.authenticate(cookie(auth.cookies.session, first.sessionToken))).toMatchObject({ userId: 'many' });
  });

  it("overLimit 'refuse' answers 403 session_limit and stores nothing; another user is not affected", async () => {
    const auth = createAuth({ session: { maxPerUser: 2, overLimit: 'refuse' } });
    await auth.signIn({ userId: 'capped' });
    await auth.signIn({ userId: 'capped' });
    await expect(auth.signIn({ userId: 'capped' })).rejects.toMatchObject({ code: 'session_limit', status: 403 });
    expect(await auth.sessions.list('capped')).toHaveLength(2);
    expect((await auth.signIn({ userId: 'other' })).session.userId).toBe('other');
  });

  it('20 parallel sign-ins of one user leave exactly the cap (memory store)', async () => {
    const auth = createAuth({ store: memoryStore(), session: { maxPerUser: 5 } });
    await Promise.all(Array.from({ length: 20 }, () => auth.signIn({ userId: 'burst' })));
    expect(await auth.sessions.list('burst')).toHaveLength(5);
  });

  it('is validated: a whole number of at least 1, or false; overLimit evict or refuse', () => {
    expect(() => createAuth({ session: { maxPerUser: 0 } })).toThrow(/session.maxPerUser must be a whole number/);
    expect(() => createAuth({ session: { maxPerUser: 2.5 } })).toThrow(/session.maxPerUser/);
    expect(() => createAuth({ session: { overLimit: 'drop' as 'evict' } })).toThrow(/session.overLimit must be 'evict' or 'refuse'/);
    expect(() => createAuth({ session: { maxPerUser: false } })).not.toThrow();
  });
});
