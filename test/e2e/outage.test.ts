// latchkey/client in Chromium against a real latchkey server (Express, memory store, 2 s access tokens) whose
// refresh route becomes unreachable (the connection is dropped, no answer) for a while: a page calling the API
// every 150 ms must not turn the outage into a refresh storm, and tabs must keep one backoff schedule between
// them. The page loads the client built from src/ by esbuild, so no `npx tsup` is needed for this file.
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createAuth, generateKey, type Auth, type AuthEvent } from '../../src/entries/index.js';
import { latchkey } from '../../src/entries/express.js';

const CHROMIUM = '/usr/bin/chromium';
const TTL_MS = 2000;
const haveChromium = existsSync(CHROMIUM);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const PAGE = `<!doctype html><meta charset="utf-8"><title>outage</title><script type="module">
import { createClient } from '/client.js';
const client = createClient({ refreshUrl: '/auth/refresh', signOutUrl: '/auth/logout' });
const changes = [];
client.onChange((state) => changes.push({ state, at: Date.now() }));
window.app = {
  client, changes,
  async signIn() {
    const { accessToken, expiresIn } = await (await fetch('/login', { method: 'POST' })).json();
    client.setAccessToken(accessToken, expiresIn);
  },
  /** Calls the API every 150 ms until stopped; each result is the status, or 'error' when fetch rejected. */
  loop() {
    const run = { stop: false, results: [] };
    run.done = (async () => {
      while (!run.stop) {
        run.results.push(await client.fetch('/api/me').then((r) => r.status, () => 'error'));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    window.run = run;
  },
  async stop() {
    window.run.stop = true;
    await window.run.done;
    return { results: window.run.results, changes, state: client.state };
  },
};
</script>`;

interface Seen {
  results: (number | 'error')[];
  changes: { state: string; at: number }[];
  state: string | null;
}

describe.skipIf(!haveChromium && process.env.CI !== 'true')('latchkey/client in Chromium while the refresh route is unreachable', () => {
  let server: Server;
  let url: string;
  let auth: Auth<true>;
  let browser: Browser;
  const events: AuthEvent[] = [];
  /** Refresh requests that reached the server: when, and whether the connection was dropped. */
  const arrived: { at: number; dropped: boolean; cookie: string }[] = [];
  /** The route is unreachable while `Date.now() < until`; `next` (ms) starts an outage at the next refresh. */
  const outage = { until: 0, next: 0, loseAnswer: false };

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing and CI=true: the browser tests must run in CI.`);
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('../../src/entries/client.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      target: 'es2021',
      write: false,
    });
    const clientJS = bundle.outputFiles[0]!.text;
    auth = createAuth({
      keys: [await generateKey('Ed25519')],
      issuer: 'http://localhost',
      audience: 'web',
      accessToken: { ttl: `${TTL_MS / 1000}s`, clockTolerance: '0s' },
      onEvent: (event) => void events.push(event),
    }) as Auth<true>;
    const lk = latchkey(auth);
    const app = express();
    // no keep-alive: a dropped connection is then never resent by the browser's network stack on its own
    app.use((_req, res, next) => {
      res.set('connection', 'close');
      next();
    });
    app.get('/', (_req, res) => res.type('html').send(PAGE));
    app.get('/client.js', (_req, res) => res.type('text/javascript').send(clientJS));
    app.post('/login', async (req, res) => {
      const { accessToken, expiresIn } = await lk.signIn(req, res, { userId: 'u1' });
      res.json({ accessToken, expiresIn });
    });
    app.get('/api/me', lk.authenticate(), lk.requireAuth(), (req, res) => res.json({ userId: req.auth!.userId }));
    app.post(
      '/auth/refresh',
      async (req, res, next) => {
        const now = Date.now();
        if (outage.next > 0) [outage.until, outage.next] = [now + outage.next, 0];
        const dropped = now < outage.until;
        arrived.push({ at: now, dropped, cookie: req.headers.cookie ?? '' });
        if (!dropped) return next();
        // unreachable: no answer at all. With loseAnswer, the rotation happens first and only its answer is lost.
        if (outage.loseAnswer) await auth.refresh({ method: req.method, headers: req.headers }).catch(() => {});
        req.socket.destroy();
      },
      lk.refresh(),
    );
    app.post('/auth/logout', lk.signOut());
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://localhost:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    server?.close();
  });

  /** A signed-in browser context with `count` tabs on the page; every refresh request the tabs send is recorded. */
  async function openTabs(count: number): Promise<{ context: BrowserContext; tabs: Page[]; refreshes: { at: number; page: number }[] }> {
    const context = await browser.newContext();
    const refreshes: { at: number; page: number }[] = [];
    const tabs: Page[] = [];
    for (let i = 0; i < count; i++) {
      const tab = await context.newPage();
      tab.on('request', (request) => {
        if (new URL(request.url()).pathname === '/auth/refresh') refreshes.push({ at: Date.now(), page: i });
      });
      await tab.goto(url);
      await tab.waitForFunction(() => 'app' in window);
      if (i === 0) await tab.evaluate(() => (window as never as { app: { signIn(): Promise<void> } }).app.signIn());
      tabs.push(tab);
    }
    await sleep(200); // later tabs get the token from the first (BroadcastChannel)
    return { context, tabs, refreshes };
  }

  const loop = (tab: Page): Promise<void> => tab.evaluate(() => (window as never as { app: { loop(): void } }).app.loop());
  const stop = (tab: Page): Promise<Seen> => tab.evaluate(() => (window as never as { app: { stop(): Promise<Seen> } }).app.stop());

  it('one tab calling the API every 150 ms for 10 s around a 1.5 s outage sends at most 4 refreshes more than without it', async () => {
    // ~10 s / (4/5 of 2 s) = 6-7 renewals without an outage; the outage starts at a renewal, so it fails and the
    // next try comes 2 s later (after the outage): at most 1-2 tries fall inside it. Bound: 7 normal + 4.
    const { context, tabs, refreshes } = await openTabs(1);
    onTestFinished(() => context.close());
    const started = Date.now();
    await loop(tabs[0]!);
    await sleep(3000);
    outage.next = 1500; // the next refresh finds the route unreachable, and so does every one in the 1.5 s after it
    await sleep(7000);
    const seen = await stop(tabs[0]!);
    const during = arrived.filter((a) => a.at >= started && a.dropped);
    const inOutage = refreshes.filter((r) => r.at >= outage.until - 1600 && r.at < outage.until); // the request event comes just before its arrival
    console.log(`1 tab, 10 s, 1.5 s outage: ${refreshes.length} refresh requests (${inOutage.length} during the outage, ${during.length} dropped); ${seen.results.length} API calls: ${JSON.stringify(count(seen.results))}`);
    expect(during.length).toBeGreaterThanOrEqual(1); // the outage really met a refresh
    expect(inOutage.length).toBeLessThanOrEqual(2);
    expect(refreshes.length).toBeLessThanOrEqual(7 + 4);
    expect(seen.changes.map((c) => c.state)).not.toContain('signed-out');
    expect(seen.changes.map((c) => c.state)).toContain('unavailable');
    expect(seen.state).toBe('signed-in');
    expect(seen.results.slice(-5)).toEqual([200, 200, 200, 200, 200]);
    expect(seen.results.length).toBeGreaterThan(40); // the page really was busy: no call waited for the retry
    expect(events.filter((e) => e.type === 'refresh_reused')).toEqual([]);
  }, 30_000);

  it('three tabs keep one backoff schedule through a 3 s outage, also when the tab whose refresh failed is closed', async () => {
    const { context, tabs, refreshes } = await openTabs(3);
    onTestFinished(() => context.close());
    for (const tab of tabs) await loop(tab);
    await sleep(500);
    const dropped = arrived.filter((a) => a.dropped).length;
    const requested = refreshes.length;
    outage.next = 3000;
    await expect.poll(() => arrived.filter((a) => a.dropped).length, { timeout: 5000, interval: 20 }).toBeGreaterThan(dropped);
    const failedAt = Date.now();
    // the browser's request event can reach us after the server saw the request (a busy machine): wait for it too
    await expect.poll(() => refreshes.length, { timeout: 2000, interval: 20 }).toBeGreaterThan(requested);
    const first = refreshes.at(-1)!;
    await sleep(300);
    // the tab whose refresh failed goes away; the others must still retry on the schedule, together once
    const [closed] = tabs.splice(first.page, 1);
    await closed!.close();
    const open = tabs;
    await sleep(7500);
    const seen = await Promise.all(open.map(stop));
    // the tries from the failure to the recovery (the first 'signed-in' after it, in the first tab to hear it)
    const back = Math.min(...seen.map((tab) => tab.changes.find((c) => c.state === 'signed-in' && c.at > failedAt)?.at ?? Infinity));
    const after = refreshes.filter((r) => r.at >= failedAt - 200 && r.at <= back + 300); // the two clocks differ by a few ms
    console.log(
      `3 tabs, 3 s outage: refresh requests at ${after.map((r) => `+${r.at - failedAt} ms (tab ${r.page})`).join(', ')}, back at +${back - failedAt} ms; results ${JSON.stringify(seen.map((s) => count(s.results)))}`,
    );
    // after the 2 s wait, a call from a remaining tab retries (still in the outage: fails); 4 s later one succeeds
    expect(after.length).toBe(3);
    const gaps = after.slice(1).map((r, i) => r.at - after[i]!.at);
    expect(gaps.every((gap) => gap >= 1800)).toBe(true);
    for (const tab of seen) {
      expect(tab.changes.map((c) => c.state)).toContain('unavailable');
      expect(tab.changes.map((c) => c.state)).not.toContain('signed-out');
      expect(tab.state).toBe('signed-in');
      expect(tab.results.at(-1)).toBe(200);
    }
    expect(events.filter((e) => e.type === 'refresh_reused')).toEqual([]);
  }, 30_000);

  it('a refresh whose answer is lost after the server rotated is retried with the same cookie and keeps the user signed in', async () => {
    const { context, tabs } = await openTabs(1);
    onTestFinished(() => context.close());
    await loop(tabs[0]!);
    await sleep(500);
    const dropped = arrived.filter((a) => a.dropped).length;
    outage.loseAnswer = true;
    outage.next = 1; // only the next refresh: the server rotates, then the connection drops before the answer
    await expect.poll(() => arrived.filter((a) => a.dropped).length, { timeout: 5000, interval: 20 }).toBeGreaterThan(dropped);
    const lost = arrived.length - 1;
    await sleep(3500);
    outage.loseAnswer = false;
    const seen = await stop(tabs[0]!);
    const retry = arrived[lost + 1]!;
    console.log(`lost answer: retried after ${retry.at - arrived[lost]!.at} ms; ${JSON.stringify(count(seen.results))}`);
    expect(retry.cookie).toBe(arrived[lost]!.cookie); // the same refresh token: the browser never saw the new one
    expect(retry.at - arrived[lost]!.at).toBeGreaterThanOrEqual(1900); // on the schedule, not on the next call
    expect(seen.changes.map((c) => c.state)).not.toContain('signed-out');
    expect(seen.state).toBe('signed-in');
    expect(seen.results.at(-1)).toBe(200);
    expect(events.filter((e) => e.type === 'refresh_reused')).toEqual([]);
  }, 30_000);
});

function count(results: (number | string)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) counts[result] = (counts[result] ?? 0) + 1;
  return counts;
}
