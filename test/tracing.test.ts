// The tracing channels (src/core/tracing.ts): each operation publishes start/end/asyncStart/asyncEnd (and
// error) with the documented context on latchkey:<operation>, every store call on latchkey:store, and the
// synchronous paths stay synchronous with a subscriber too.
import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore, traceChannels, type Auth, type TraceContext } from '../src/entries/index.js';
import { settledValue } from '../src/lib/settled.js';
import { brokenStore, setup, TRUSTED_ORIGIN, type Setup } from './security/support.js';
import { record, type Recorder } from './support/tracing.js';

const OK = ['start', 'end', 'asyncStart', 'asyncEnd'];
const FAILED = ['start', 'end', 'error', 'asyncStart', 'asyncEnd'];

let rec: Recorder;
beforeEach(() => {
  rec = record();
});
afterEach(() => rec.unsubscribe());

const cookieRequest = (auth: Auth<true>, token: string) => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });
const bearerRequest = (token: string) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } });

describe('latchkey:authenticate', () => {
  it('a cookie request: start/end/asyncStart/asyncEnd with via, outcome and ids; its store read nested inside', async () => {
    const { auth } = await setup();
    const user = await auth.signIn({ userId: '50' });
    rec.clear();
    await expect(auth.authenticate(cookieRequest(auth, user.sessionToken))).resolves.toMatchObject({ userId: '50' });
    expect(rec.sequence('authenticate')).toEqual(OK);
    expect(rec.events.find((e) => e.channel === 'authenticate' && e.event === 'start')!.context).toEqual({ operation: 'authenticate', via: 'cookie' });
    expect(rec.last('authenticate')).toEqual({ operation: 'authenticate', via: 'cookie', outcome: 'ok', userId: '50', sessionId: user.session.id });
    // the memory store's read-only read, between the operation's start and end
    expect(rec.events.map((e) => `${e.channel}:${e.event}`)).toEqual(['authenticate:start', 'store:start', 'store:end', 'store:asyncStart', 'store:asyncEnd', 'authenticate:end', 'authenticate:asyncStart', 'authenticate:asyncEnd']);
    expect(rec.last('store')).toEqual({ operation: 'store', method: 'get', outcome: 'ok' });
  });

  it('a bearer request: via bearer, and with checkSession the store read of its session', async () => {
    const { auth } = await setup({ accessToken: { checkSession: true } });
    const user = await auth.signIn({ userId: '50' });
    rec.clear();
    await auth.authenticate(bearerRequest(user.accessToken));
    expect(rec.sequence('authenticate')).toEqual(OK);
    expect(rec.last('authenticate')).toEqual({ operation: 'authenticate', via: 'bearer', outcome: 'ok', userId: '50', sessionId: user.session.id });
    expect(rec.sequence('store')).toEqual(OK);
    expect(rec.last('store')).toEqual({ operation: 'store', method: 'get', outcome: 'ok' });
  });

  it('no credential is anonymous; a refused one publishes error with its code, from authenticate and from resolve alike', async () => {
    const { auth } = await setup();
    await auth.authenticate({ method: 'GET', headers: {} });
    expect(rec.last('authenticate')).toEqual({ operation: 'authenticate', outcome: 'anonymous' });
    rec.clear();
    await expect(auth.authenticate(bearerRequest('not.a.token'))).rejects.toMatchObject({ code: 'token_invalid' });
    expect(rec.sequence('authenticate')).toEqual(FAILED);
    expect(rec.last('authenticate')).toEqual({ operation: 'authenticate', via: 'bearer', outcome: 'refused', code: 'token_invalid', error: 'AuthError:token_invalid' });
    rec.clear();
    const resolution = await auth.resolve(bearerRequest('not.a.token'));
    expect(resolution.error?.code).toBe('token_invalid');
    expect(rec.sequence('authenticate')).toEqual(FAILED);
    expect(rec.last('authenticate')).toEqual({ operation: 'authenticate', via: 'bearer', outcome: 'refused', code: 'token_invalid', error: 'AuthError:token_invalid' });
  });

  it('a cross-site cookie POST refused by CSRF publishes error csrf_rejected, thrown synchronously inside the flow', async () => {
    const { auth } = await setup();
    const user = await auth.signIn({ userId: '50' });
    rec.clear();
    await expect(auth.resolve({ method: 'POST', headers: { cookie: `${auth.cookies.session}=${user.sessionToken}`, origin: 'https://evil.test' } })).rejects.toMatchObject({ code: 'csrf_rejected' });
    expect(rec.sequence('authenticate')).toEqual(FAILED);
    expect(rec.last('authenticate')).toMatchObject({ via: 'cookie', outcome: 'refused', code: 'csrf_rejected' });
  });

  it('with a subscriber, a cookie on the memory store still resolves without a promise turn (settled), as without one', async () => {
    const { auth } = await setup();
    const user = await auth.signIn({ userId: '50' });
    const pending = auth.resolve(cookieRequest(auth, user.sessionToken));
    expect(settledValue(pending)?.auth?.userId).toBe('50');
    expect(rec.sequence('authenticate')).toEqual(OK); // all four published before resolve returned
    rec.unsubscribe();
    expect(settledValue(auth.resolve(cookieRequest(auth, user.sessionToken)))?.auth?.userId).toBe('50');
  });

  it('an unsubscribed channel publishes nothing more', async () => {
    const { auth } = await setup();
    const user = await auth.signIn({ userId: '50' });
    rec.unsubscribe();
    const count = rec.events.length;
    expect(count).toBeGreaterThan(0);
    await auth.authenticate(cookieRequest(auth, user.sessionToken));
    expect(tracingChannel(traceChannels.authenticate).hasSubscribers).toBe(false);
    expect(rec.events.length).toBe(count);
  });

  it('start runs the operation inside its bound stores: a store call sees the operation that made it', async () => {
    const { auth } = await setup({ accessToken: { checkSession: true } });
    const user = await auth.signIn({ userId: '50' });
    const als = new AsyncLocalStorage<TraceContext>();
    const operation = tracingChannel<unknown, TraceContext>(traceChannels.authenticate);
    operation.start.bindStore(als, (context) => context);
    const parents: (TraceContext | undefined)[] = [];
    const onStoreStart = (): void => void parents.push(als.getStore());
    const storeStart = tracingChannel<unknown, TraceContext>(traceChannels.store).start;
    storeStart.subscribe(onStoreStart);
    try {
      await auth.authenticate(bearerRequest(user.accessToken)); // the checkSession read is asynchronous
      await auth.authenticate(cookieRequest(auth, user.sessionToken)); // the memory store's read is not
    } finally {
      storeStart.unsubscribe(onStoreStart);
      operation.start.unbindStore(als);
    }
    expect(parents.map((p) => p?.operation)).toEqual(['authenticate', 'authenticate']);
    expect(parents.map((p) => p?.via)).toEqual(['bearer', 'cookie']);
  });
});

describe('latchkey:sign-in, refresh, sign-out', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it('sign-in: ok with the new ids, its store create inside', async () => {
    const user = await s.auth.signIn({ userId: '50' });
    expect(rec.sequence('sign-in')).toEqual(OK);
    expect(rec.last('sign-in')).toEqual({ operation: 'sign-in', outcome: 'ok', userId: '50', sessionId: user.session.id });
    expect(rec.last('store')).toEqual({ operation: 'store', method: 'create', outcome: 'ok' });
  });

  it('refresh from the refresh cookie: via cookie, ok, the rotation a store call', async () => {
    const user = await s.auth.signIn({ userId: '50' });
    rec.clear();
    await s.auth.refresh({ method: 'POST', headers: { cookie: `${s.auth.cookies.refresh}=${user.refreshToken}`, origin: TRUSTED_ORIGIN } });
    expect(rec.sequence('refresh')).toEqual(OK);
    expect(rec.last('refresh')).toEqual({ operation: 'refresh', via: 'cookie', outcome: 'ok', userId: '50', sessionId: user.session.id });
    expect(rec.events.filter((e) => e.channel === 'store' && e.event === 'start').map((e) => e.context.method)).toEqual(['advanceRefresh']);
  });

  it('theft: an old generation presented after two rotations publishes error refresh_reused, and the revocation', async () => {
    const user = await s.auth.signIn({ userId: '50' });
    const second = await s.auth.refresh({ refreshToken: user.refreshToken });
    s.clock.advance(60_000); // past reuseGrace
    await s.auth.refresh({ refreshToken: second.refreshToken });
    s.clock.advance(60_000);
    rec.clear();
    await expect(s.auth.refresh({ refreshToken: user.refreshToken })).rejects.toMatchObject({ code: 'refresh_reused' });
    expect(rec.sequence('refresh')).toEqual(FAILED);
    expect(rec.last('refresh')).toEqual({ operation: 'refresh', outcome: 'refused', code: 'refresh_reused', error: 'AuthError:refresh_reused' });
    expect(rec.events.filter((e) => e.channel === 'store' && e.event === 'start').map((e) => e.context.method)).toContain('delete');
  });

  it('sign-out by id, by request and everywhere: ok with ids and counts', async () => {
    const a = await s.auth.signIn({ userId: '50' });
    const b = await s.auth.signIn({ userId: '50' });
    await s.auth.signIn({ userId: '50' });
    rec.clear();
    await s.auth.signOut(a.session.id);
    expect(rec.sequence('sign-out')).toEqual(OK);
    expect(rec.last('sign-out')).toEqual({ operation: 'sign-out', sessionId: a.session.id, outcome: 'ok', count: 1 });
    await s.auth.signOutRequest({ method: 'POST', headers: { cookie: `${s.auth.cookies.session}=${b.sessionToken}`, origin: TRUSTED_ORIGIN } });
    expect(rec.last('sign-out')).toEqual({ operation: 'sign-out', outcome: 'ok', sessionId: b.session.id });
    await s.auth.signOutEverywhere('50');
    expect(rec.last('sign-out')).toEqual({ operation: 'sign-out', outcome: 'ok', userId: '50', count: 1 });
  });

  it('sign-out of a value that is not a session id keeps it out of the context (a cookie passed by mistake)', async () => {
    const user = await s.auth.signIn({ userId: '50' });
    rec.clear();
    await expect(s.auth.signOut(user.sessionToken)).resolves.toBe(false);
    expect(rec.last('sign-out')).toEqual({ operation: 'sign-out', outcome: 'ok', count: 0 });
  });
});

describe('a store outage', () => {
  it('every operation and the store call publish error store_unavailable (cookie, bearer with checkSession, sign-in, refresh, sign-out)', async () => {
    const broken = { on: false };
    const { auth, clock } = await setup({ store: brokenStore(memoryStore({ now: () => clock.now() }), broken), accessToken: { checkSession: true } });
    const user = await auth.signIn({ userId: '50' });
    broken.on = true;
    rec.clear();
    await expect(auth.authenticate(cookieRequest(auth, user.sessionToken))).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(rec.sequence('authenticate')).toEqual(FAILED);
    expect(rec.last('authenticate')).toEqual({ operation: 'authenticate', via: 'cookie', outcome: 'failed', code: 'store_unavailable', error: 'AuthError:store_unavailable' });
    expect(rec.sequence('store')).toEqual(FAILED);
    expect(rec.last('store')).toEqual({ operation: 'store', method: 'get', outcome: 'failed', code: 'store_unavailable', error: 'AuthError:store_unavailable' });

    rec.clear();
    await expect(auth.authenticate(bearerRequest(user.accessToken))).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(rec.last('authenticate')).toMatchObject({ via: 'bearer', outcome: 'failed', code: 'store_unavailable' });
    expect(rec.last('store')).toMatchObject({ method: 'get', code: 'store_unavailable' });

    for (const [channel, call] of [
      ['sign-in', () => auth.signIn({ userId: '50' })],
      ['refresh', () => auth.refresh({ refreshToken: user.refreshToken })],
      ['sign-out', () => auth.signOut(user.session.id)],
    ] as const) {
      rec.clear();
      await expect(call()).rejects.toMatchObject({ code: 'store_unavailable' });
      expect(rec.sequence(channel)).toEqual(FAILED);
      expect(rec.last(channel)).toMatchObject({ outcome: 'failed', code: 'store_unavailable' });
      expect(rec.last('store')).toMatchObject({ outcome: 'failed', code: 'store_unavailable' });
    }
  });
});
