// latchkey/client against a scripted API in Node: Node has fetch and BroadcastChannel but no Web Locks, so
// several clients here are several tabs coordinating through the fallback (claims over BroadcastChannel);
// one block installs a minimal Web Locks API to run the locked path. Chromium runs the real thing (test/e2e).
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createClient } from '../../src/entries/client.js';
import { fakeAPI, installWebLocks, settle, type FakeAPI } from './fake-api.js';

let api: FakeAPI;
afterEach(() => {
  api?.closeAll();
  vi.useRealTimers();
});

/** A tab signed in with the first token, as after a sign-in answer. */
function signedInTab(options = {}) {
  const tab = api.tab(options);
  api.current = 't0';
  tab.client.setAccessToken('t0', api.expiresIn);
  return tab;
}

describe('client.fetch in one tab', () => {
  it('attaches the access token to the API origin only, never to another origin', async () => {
    api = fakeAPI();
    const { client } = signedInTab();
    expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(200);
    await client.fetch('https://elsewhere.test/x');
    expect(api.sent.map((s) => [s.path, s.authorization])).toEqual([
      ['/api/me', 'Bearer t0'],
      ['/x', null],
    ]);
  });

  it('another origin gets the token only when listed in origins', async () => {
    api = fakeAPI();
    const { client } = signedInTab({ origins: ['https://api.other.test'] });
    await client.fetch('https://api.other.test/x');
    expect(api.sent[0]!.authorization).toBe('Bearer t0');
  });

  it('a 401 for an expired token gets one refresh and one retry with the new token; the app sees the 200', async () => {
    api = fakeAPI();
    const { client, states } = signedInTab();
    api.current = 'rotated-elsewhere'; // the server no longer accepts t0
    const answer = await client.fetch(`${api.origin}/api/me`);
    expect(answer.status).toBe(200);
    expect(api.sent.map((s) => `${s.method} ${s.path} ${s.authorization}`)).toEqual(['GET /api/me Bearer t0', 'POST /auth/refresh null', 'GET /api/me Bearer t1']);
    expect(states).toEqual(['signed-in']);
  });

  it('the refresh is a same-origin credentialed POST without the access token (the cookie carries it)', async () => {
    api = fakeAPI();
    const { client } = api.tab();
    await client.fetch(`${api.origin}/api/me`);
    const refresh = api.sent.find((s) => s.path === '/auth/refresh')!;
    expect(refresh).toMatchObject({ method: 'POST', credentials: 'same-origin', authorization: null });
  });

  it('403, 429 and 503 from the API come back as they are, with no refresh and no change of state', async () => {
    api = fakeAPI();
    const { client, states } = signedInTab();
    for (const status of [403, 429, 503]) {
      api.apiStatus = status;
      expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(status);
    }
    expect(api.refreshes()).toBe(0);
    expect(states).toEqual(['signed-in']);
  });

  it('a 401 asking for a fresh sign-in (step-up max_age) is not refreshed', async () => {
    api = fakeAPI();
    const client = createClient({
      refreshUrl: `${api.origin}/auth/refresh`,
      signOutUrl: `${api.origin}/auth/logout`,
      fetch: async () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="latchkey", error="insufficient_user_authentication", max_age=300' } }),
    });
    client.setAccessToken('t0', 900);
    const calls = vi.fn();
    client.onChange(calls);
    expect((await client.fetch(`${api.origin}/api/admin`)).status).toBe(401);
    await settle();
    expect(calls).not.toHaveBeenCalled();
    expect(client.state).toBe('signed-in');
    client.close();
  });

  it('a second 401 after the retry goes back to the app: one refresh per call, never a loop', async () => {
    api = fakeAPI();
    const failing = vi.fn(api.fetch);
    const stubborn = createClient({
      refreshUrl: `${api.origin}/auth/refresh`,
      signOutUrl: `${api.origin}/auth/logout`,
      fetch: async (input, init) => {
        const answer = await failing(input, init);
        return new Request(input, init).url.endsWith('/api/me') ? new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }) : answer;
      },
    });
    stubborn.setAccessToken('t0', 900);
    expect((await stubborn.fetch(`${api.origin}/api/me`)).status).toBe(401);
    expect(api.sent.map((s) => s.path)).toEqual(['/api/me', '/auth/refresh', '/api/me']);
    stubborn.close();
  });

  it('20 concurrent calls that all get 401 share one refresh (single flight in a tab)', async () => {
    api = fakeAPI();
    const { client } = signedInTab();
    api.current = 'rotated-elsewhere';
    api.refreshDelay = 30;
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.fetch(`${api.origin}/api/me`)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(api.refreshes()).toBe(1);
  });

  it('a refused refresh (401) means signed out: the original 401 comes back and the token is no longer sent', async () => {
    api = fakeAPI();
    const { client, states } = signedInTab();
    api.current = null;
    api.refreshStatus = 401;
    expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(401);
    await settle();
    expect(states).toEqual(['signed-in', 'signed-out']);
    expect(client.state).toBe('signed-out');
    await client.fetch(`${api.origin}/api/me`);
    expect(api.sent.filter((s) => s.path === '/api/me').map((s) => s.authorization)).toEqual(['Bearer t0', null]);
  });

  it('a refresh answered 503 or 429 means unavailable, never signed out: the app gets that answer and the session carries on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    for (const status of [503, 429]) {
      api?.closeAll();
      api = fakeAPI();
      const { client, states } = signedInTab();
      api.current = 'rotated-elsewhere';
      api.refreshStatus = status;
      expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(status);
      await vi.advanceTimersByTimeAsync(0);
      expect(states).toEqual(['signed-in', 'unavailable']);
      api.refreshStatus = 200; // the store is back: the scheduled retry (2 s) gets a token
      await vi.advanceTimersByTimeAsync(2_000);
      expect(states).toEqual(['signed-in', 'unavailable', 'signed-in']);
      expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(200);
      expect(api.refreshes()).toBe(2);
    }
  });

  it('while unavailable, a call that needs a refresh answers a bodiless 503 at once and starts none before the scheduled retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    api = fakeAPI();
    const { client, states } = signedInTab();
    api.current = 'rotated-elsewhere';
    api.refreshStatus = 503;
    expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(503);
    expect(api.refreshes()).toBe(1);
    // a page calling the API every 150 ms: no refresh until the retry at 2 s, then none until 2 s + 4 s
    const answers: number[] = [];
    for (let t = 150; t <= 5_850; t += 150) {
      await vi.advanceTimersByTimeAsync(150);
      const answer = await client.fetch(`${api.origin}/api/me`);
      answers.push(answer.status);
      if (t < 1_900) expect(await answer.text()).toBe('');
    }
    expect(new Set(answers)).toEqual(new Set([503]));
    expect(api.refreshes()).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(api.refreshes()).toBe(3);
    api.refreshStatus = 200;
    await vi.advanceTimersByTimeAsync(6_000); // the retry at 2 + 4 + 6 s succeeds
    expect(api.refreshes()).toBe(4);
    expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(200);
    expect(states).toEqual(['signed-in', 'unavailable', 'signed-in']);
  });

  it('a network failure during the refresh means unavailable, and fetch rejects as fetch does', async () => {
    api = fakeAPI();
    const client = createClient({
      refreshUrl: `${api.origin}/auth/refresh`,
      signOutUrl: `${api.origin}/auth/logout`,
      fetch: async (input, init) => {
        if (new Request(input, init).url.endsWith('/auth/refresh')) throw new TypeError('Failed to fetch');
        return new Response(null, { status: 401 });
      },
    });
    const states: string[] = [];
    client.onChange((state) => states.push(state));
    await expect(client.fetch(`${api.origin}/api/me`)).rejects.toThrow('Failed to fetch');
    await settle();
    expect(states).toEqual(['unavailable']);
    client.close();
  });

  it('a POST body is sent again, unchanged, on the retry', async () => {
    api = fakeAPI();
    const { client } = signedInTab();
    api.current = 'rotated-elsewhere';
    await client.fetch(`${api.origin}/api/items`, { method: 'POST', body: JSON.stringify({ name: 'x' }), headers: { 'content-type': 'application/json' } });
    expect(api.sent.filter((s) => s.path === '/api/items').map((s) => s.body)).toEqual(['{"name":"x"}', '{"name":"x"}']);
  });

  it('after a page load (no token in memory) the first call refreshes first, from the cookie: no sign-in, no 401', async () => {
    api = fakeAPI();
    api.current = 't0';
    const { client, states } = api.tab();
    expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(200);
    expect(api.sent.map((s) => `${s.path} ${s.authorization}`)).toEqual(['/auth/refresh null', '/api/me Bearer t1']);
    await settle();
    expect(states).toEqual(['signed-in']);
  });
});

describe('refresh ahead of expiry', () => {
  it('refreshes on its own when 4/5 of the token lifetime has passed, before any request fails', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    api = fakeAPI();
    api.expiresIn = 10;
    const { client } = signedInTab();
    await vi.advanceTimersByTimeAsync(7_900);
    expect(api.refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(api.refreshes()).toBe(1);
    expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(200);
    expect(api.sent.filter((s) => s.path === '/api/me').map((s) => s.authorization)).toEqual(['Bearer t1']);
    // and again for the next token: one refresh per token lifetime
    await vi.advanceTimersByTimeAsync(8_000);
    expect(api.refreshes()).toBe(2);
  });

  it('a long-lived token refreshes one minute ahead, not a fifth of its life ahead', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    api = fakeAPI();
    api.expiresIn = 900;
    signedInTab();
    await vi.advanceTimersByTimeAsync(839_000);
    expect(api.refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(api.refreshes()).toBe(1);
  });

  it('a token past its refresh time (a sleeping laptop, a throttled tab) is refreshed before the request, not after a 401', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    api = fakeAPI();
    const { client } = signedInTab();
    vi.setSystemTime(Date.now() + 850_000); // the clock moved on, the timer did not fire
    expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(200);
    expect(api.sent.map((s) => `${s.path} ${s.authorization}`)).toEqual(['/auth/refresh null', '/api/me Bearer t1']);
  });

  it('a token with no life left (capped by the session end) is refreshed at most once a second, not in a loop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    api = fakeAPI();
    api.expiresIn = 0;
    signedInTab();
    await vi.advanceTimersByTimeAsync(3_050);
    expect(api.refreshes()).toBe(3);
  });

  it('after a failed refresh it tries again by itself, later each time, and tells the app when it is back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    api = fakeAPI();
    api.expiresIn = 10;
    const { states } = signedInTab();
    api.refreshStatus = 503;
    await vi.advanceTimersByTimeAsync(8_000);
    expect(api.refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(api.refreshes()).toBe(2);
    await vi.advanceTimersByTimeAsync(3_900);
    expect(api.refreshes()).toBe(2); // backing off: 2 s, then 4 s
    api.refreshStatus = 200;
    await vi.advanceTimersByTimeAsync(200);
    expect(api.refreshes()).toBe(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(states).toEqual(['signed-in', 'unavailable', 'signed-in']);
  });
});

describe('several tabs (BroadcastChannel, no Web Locks: the fallback)', () => {
  it('a tab opened after sign-in gets the token from the other tabs, with no refresh', async () => {
    api = fakeAPI();
    const a = signedInTab();
    const b = api.tab();
    await settle();
    expect((await b.client.fetch(`${api.origin}/api/me`)).status).toBe(200);
    expect(api.refreshes()).toBe(0);
    expect(b.states).toEqual(['signed-in']);
    void a;
  });

  it('a token set in one tab is used by every tab', async () => {
    api = fakeAPI();
    const [a, b, c] = [api.tab(), api.tab(), api.tab()];
    api.current = 't0';
    a.client.setAccessToken('t0', 900);
    await settle();
    for (const tab of [b, c]) expect((await tab.client.fetch(`${api.origin}/api/me`)).status).toBe(200);
    expect(api.refreshes()).toBe(0);
    expect([a.states, b.states, c.states]).toEqual([['signed-in'], ['signed-in'], ['signed-in']]);
  });

  it('a tab that needs a refresh while another tab is refreshing waits for its token instead of refreshing again', async () => {
    api = fakeAPI();
    const [a, b] = [signedInTab(), api.tab()];
    await settle();
    api.current = 'rotated-elsewhere';
    api.refreshDelay = 100;
    const first = a.client.fetch(`${api.origin}/api/me`);
    await settle(30); // a's claim has reached b
    const second = b.client.fetch(`${api.origin}/api/me`);
    expect((await Promise.all([first, second])).map((r) => r.status)).toEqual([200, 200]);
    expect(api.refreshes()).toBe(1);
  });

  it('signing out in one tab signs out every tab at once, and none sends the old token again', async () => {
    api = fakeAPI();
    const tabs = [signedInTab(), api.tab(), api.tab()];
    await settle();
    await tabs[0]!.client.signOut();
    expect(api.sent.at(-1)).toMatchObject({ method: 'POST', path: '/auth/logout', authorization: 'Bearer t0', credentials: 'same-origin' });
    await settle();
    expect(tabs.map((t) => t.states.at(-1))).toEqual(['signed-out', 'signed-out', 'signed-out']);
    api.refreshStatus = 401; // the cookies are gone
    const before = api.sent.length;
    for (const tab of tabs) await tab.client.fetch(`${api.origin}/api/me`);
    expect(api.sent.slice(before).filter((s) => s.authorization !== null)).toEqual([]);
  });

  it('a refused refresh in one tab signs out the others; an unavailable refresh tells them too', async () => {
    api = fakeAPI();
    const [a, b] = [signedInTab(), api.tab()];
    await settle();
    api.current = 'rotated-elsewhere';
    api.refreshStatus = 503;
    await a.client.fetch(`${api.origin}/api/me`);
    await settle();
    expect(b.states).toEqual(['signed-in', 'unavailable']);
    // b keeps a's schedule: no refresh of its own before a's retry (2 s)
    expect((await b.client.fetch(`${api.origin}/api/me`)).status).toBe(503);
    expect(api.refreshes()).toBe(1);
    api.refreshStatus = 401;
    await settle(2_100); // a's retry is refused: every tab is signed out
    expect(api.refreshes()).toBe(2);
    expect(b.states).toEqual(['signed-in', 'unavailable', 'signed-out']);
  });

  it('"unavailable" from a tab of an older version (no schedule in it) holds the refreshes for 2 s, never a retry loop', async () => {
    api = fakeAPI();
    const b = signedInTab();
    api.current = 'rotated-elsewhere';
    const old = new BroadcastChannel(`latchkey ${api.origin}/auth/refresh`);
    old.postMessage({ s: 'unavailable' });
    old.close();
    await settle();
    expect(b.states).toEqual(['signed-in', 'unavailable']);
    expect((await b.client.fetch(`${api.origin}/api/me`)).status).toBe(503);
    await settle(300);
    expect(api.refreshes()).toBe(0);
  });

  it('a sign-out the server does not confirm rejects and changes nothing in any tab', async () => {
    api = fakeAPI();
    const [a, b] = [signedInTab(), api.tab()];
    await settle();
    api.signOutStatus = 503;
    await expect(a.client.signOut()).rejects.toThrow(/sign-out failed with 503; still signed in/);
    await settle();
    expect([a.client.state, b.client.state]).toEqual(['signed-in', 'signed-in']);
    expect((await a.client.fetch(`${api.origin}/api/me`)).status).toBe(200);
  });
});

describe('several tabs with Web Locks', () => {
  it('tabs share the backoff: the retry time and count travel with "unavailable", a tab opened meanwhile gets them, and another tab retries when the failing one is gone', async () => {
    const uninstall = installWebLocks();
    onTestFinished(uninstall);
    api = fakeAPI();
    const [a, b] = [signedInTab(), api.tab()];
    await settle();
    api.current = 'rotated-elsewhere';
    api.refreshStatus = 503;
    await a.client.fetch(`${api.origin}/api/me`);
    const failed = Date.now();
    await settle();
    // a reload during the outage: the new tab takes the token and the schedule, and does not refresh
    const c = api.tab();
    await settle();
    expect(c.states).toEqual(['unavailable']);
    for (const tab of [b, c]) expect((await tab.client.fetch(`${api.origin}/api/me`)).status).toBe(503);
    expect(api.refreshes()).toBe(1);
    a.client.close(); // the tab whose refresh failed is closed before its retry
    api.refreshStatus = 200;
    api.refreshDelay = 20;
    await settle(2_000 + 1_000 + 300); // the others retry 1 s after a would have: one refresh between them
    expect(api.refreshes()).toBe(2);
    const retried = api.sent.filter((s) => s.path === '/auth/refresh').length;
    expect(retried).toBe(2);
    expect(Date.now() - failed).toBeGreaterThanOrEqual(3_000);
    expect([b.client.state, c.client.state]).toEqual(['signed-in', 'signed-in']);
    for (const tab of [b, c]) expect((await tab.client.fetch(`${api.origin}/api/me`)).status).toBe(200);
  });

  it('5 tabs whose tokens expire at once refresh once between them, even when the lock outruns the new token', async () => {
    const uninstall = installWebLocks();
    try {
      api = fakeAPI();
      const tabs = [signedInTab(), api.tab(), api.tab(), api.tab(), api.tab()];
      await settle();
      api.current = 'rotated-elsewhere';
      api.refreshDelay = 20;
      const answers = await Promise.all(tabs.map((tab) => tab.client.fetch(`${api.origin}/api/me`)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(api.refreshes()).toBe(1);
      await settle();
      expect(tabs.map((t) => t.client.state)).toEqual(Array(5).fill('signed-in'));
    } finally {
      uninstall();
    }
  });

  it('while the refresh endpoint is down, tabs waiting behind a failed refresh answer 503 at once instead of each trying', async () => {
    const uninstall = installWebLocks();
    try {
      api = fakeAPI();
      const tabs = [signedInTab(), api.tab(), api.tab()];
      await settle();
      api.current = 'rotated-elsewhere';
      api.refreshStatus = 503;
      api.refreshDelay = 30;
      const answers = await Promise.all(tabs.map((tab) => tab.client.fetch(`${api.origin}/api/me`)));
      expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
      expect(api.refreshes()).toBe(1);
      await settle();
      expect(tabs.map((t) => t.client.state)).toEqual(Array(3).fill('unavailable'));
    } finally {
      uninstall();
    }
  });

  it('a sign-out waits for a refresh in flight, so no token comes back after it', async () => {
    const uninstall = installWebLocks();
    try {
      api = fakeAPI();
      const [a, b] = [signedInTab(), api.tab()];
      await settle();
      api.current = 'rotated-elsewhere';
      api.refreshDelay = 50;
      const refreshing = b.client.fetch(`${api.origin}/api/me`);
      await settle(10);
      await a.client.signOut();
      await refreshing;
      await settle();
      expect([a.client.state, b.client.state]).toEqual(['signed-out', 'signed-out']);
      expect(api.refreshes()).toBe(1);
      // the sign-out waited for the refresh and sent its token: the session that ended is the live one
      expect(api.sent.find((s) => s.path === '/auth/logout')?.authorization).toBe('Bearer t1');
    } finally {
      uninstall();
    }
  });
});

describe('the cookie-only flow (no refreshUrl)', () => {
  it('sends same-origin credentials and no Authorization; a 401 signs every tab out without a refresh', async () => {
    api = fakeAPI();
    const a = api.tab({ refreshUrl: undefined });
    const b = api.tab({ refreshUrl: undefined });
    expect((await a.client.fetch(`${api.origin}/api/me`)).status).toBe(401);
    expect(api.sent).toEqual([expect.objectContaining({ path: '/api/me', authorization: null, credentials: 'same-origin' })]);
    await settle();
    expect([a.states, b.states]).toEqual([['signed-out'], ['signed-out']]);
  });
});

describe('API surface', () => {
  it('unknown options and a missing signOutUrl are refused with a message that says what to change', () => {
    expect(() => createClient({ signOutUrl: '/x', refreshURL: '/y' } as never)).toThrow(/unknown option refreshURL; expected one of refreshUrl, signOutUrl/);
    expect(() => createClient({ refreshUrl: '/auth/refresh' } as never)).toThrow(/needs signOutUrl/);
  });

  it('setAccessToken refuses what is not a sign-in answer', () => {
    api = fakeAPI();
    const { client } = api.tab();
    expect(() => client.setAccessToken(undefined as never, 900)).toThrow(/setAccessToken\(accessToken, expiresIn\)/);
    expect(() => client.setAccessToken('t', Number.NaN)).toThrow(TypeError);
    expect(client.state).toBe(null);
  });

  it('onChange returns a function that stops the listener; a listener that throws breaks nothing', async () => {
    api = fakeAPI();
    const { client } = api.tab();
    const seen: string[] = [];
    const stop = client.onChange((state) => seen.push(state));
    const onError = vi.fn();
    process.on('uncaughtException', onError);
    client.onChange(() => {
      throw new Error('app bug');
    });
    api.current = 't0';
    client.setAccessToken('t0', 900);
    expect((await client.fetch(`${api.origin}/api/me`)).status).toBe(200);
    stop();
    api.refreshStatus = 401;
    api.current = null;
    await client.fetch(`${api.origin}/api/me`);
    await settle();
    process.off('uncaughtException', onError);
    expect(seen).toEqual(['signed-in']);
    expect(client.state).toBe('signed-out');
  });
});
