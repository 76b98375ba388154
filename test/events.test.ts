import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, type AuthEvent } from '../src/entries/index.js';
import { AUDIENCE, ISSUER, SECOND, testClock, T0 } from './support/core.js';

async function setup(onEvent?: (event: AuthEvent) => void | Promise<void>) {
  const clock = testClock();
  const events: AuthEvent[] = [];
  const auth = createAuth({
    keys: [await generateKey('EdDSA')],
    issuer: ISSUER,
    audience: AUDIENCE,
    now: clock.now,
    onEvent: onEvent ?? ((event) => void events.push(event)),
  });
  return { auth, clock, events };
}

describe('audit events', () => {
  it('emits sign_in with the device meta and the injected time', async () => {
    const { auth, events } = await setup();
    const { session } = await auth.signIn({ userId: 'u1', meta: { userAgent: 'Firefox', ip: '10.0.0.1' } });
    expect(events).toEqual([{ type: 'sign_in', at: T0, userId: 'u1', sessionId: session.id, meta: { userAgent: 'Firefox', ip: '10.0.0.1' } }]);
  });

  it('emits refresh with the new generation', async () => {
    const { auth, events, clock } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    clock.advance(SECOND);
    await auth.refresh({ refreshToken: first.refreshToken });
    expect(events.at(-1)).toEqual({ type: 'refresh', at: T0 + SECOND, userId: 'u1', sessionId: first.session.id, generation: 1 });
  });

  it('emits refresh_reused when an old generation is replayed', async () => {
    const { auth, events, clock } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    const second = await auth.refresh({ refreshToken: first.refreshToken });
    await auth.refresh({ refreshToken: second.refreshToken });
    clock.advance(60 * SECOND);
    await expect(auth.refresh({ refreshToken: first.refreshToken })).rejects.toMatchObject({ code: 'refresh_reused' });
    expect(events.at(-1)).toEqual({ type: 'refresh_reused', at: T0 + 60 * SECOND, userId: 'u1', sessionId: first.session.id, generation: 0, currentGeneration: 2 });
  });

  it('emits sign_out only when a session really ended', async () => {
    const { auth, events } = await setup();
    const { session } = await auth.signIn({ userId: 'u1' });
    await auth.signOut(session.id);
    await auth.signOut(session.id);
    expect(events.filter((e) => e.type === 'sign_out')).toEqual([{ type: 'sign_out', at: T0, userId: 'u1', sessionId: session.id }]);
  });

  it('emits sign_out_everywhere with the count and the session kept', async () => {
    const { auth, events } = await setup();
    const kept = await auth.signIn({ userId: 'u1' });
    await auth.signIn({ userId: 'u1' });
    await auth.signIn({ userId: 'u1' });
    await auth.signOutEverywhere('u1', { except: kept.session.id });
    expect(events.at(-1)).toEqual({ type: 'sign_out_everywhere', at: T0, userId: 'u1', count: 2, except: kept.session.id });
  });

  it('emits elevate with the new and previous session ids', async () => {
    const { auth, events } = await setup();
    const old = await auth.signIn({ userId: 'u1' });
    const next = await auth.elevate(old.session.id);
    expect(events.at(-1)).toEqual({ type: 'elevate', at: T0, userId: 'u1', sessionId: next.session.id, previousSessionId: old.session.id });
  });

  it('events never carry a secret or a token', async () => {
    const { auth, events } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    const second = await auth.refresh({ refreshToken: first.refreshToken });
    await auth.elevate(first.session.id);
    const json = JSON.stringify(events);
    for (const secret of [first.sessionToken.split('.')[1]!, first.refreshToken.split('.')[2]!, second.refreshToken.split('.')[2]!, first.accessToken, second.accessToken]) {
      expect(json).not.toContain(secret);
    }
  });

  it('a throwing onEvent does not break the call', async () => {
    const { auth, clock } = await setup(() => {
      throw new Error('audit sink down');
    });
    const first = await auth.signIn({ userId: 'u1' });
    const second = await auth.refresh({ refreshToken: first.refreshToken });
    await expect(auth.elevate(first.session.id)).resolves.toBeTruthy();
    clock.advance(60 * SECOND);
    await expect(auth.refresh({ refreshToken: first.refreshToken })).rejects.toMatchObject({ code: 'session_invalid' });
    await expect(auth.signOutEverywhere('u1')).resolves.toBe(1);
    expect(second.refreshToken).toBeTruthy();
  });

  it('a rejecting async onEvent does not break the call nor leak an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { auth } = await setup(async () => {
        throw new Error('audit sink down');
      });
      const { session } = await auth.signIn({ userId: 'u1' });
      await expect(auth.signOut(session.id)).resolves.toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
