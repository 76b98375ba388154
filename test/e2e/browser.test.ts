// A real browser (Debian's Chromium, through playwright-core) against the Express example app on a
// loopback port. The app runs with 2-second access tokens so that expiry and silent refresh happen for real.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startExample, type RunningExample } from '../examples/start-example.js';

const CHROMIUM = '/usr/bin/chromium';
const ACCESS_TTL_MS = 2000;
const SESSION = '__Host-latchkey.session';
const REFRESH = '__Secure-latchkey.refresh';
const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI !== 'true') {
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPING the browser tests: ${CHROMIUM} is missing. Install it (apt-get install chromium);\n` +
      `!! under CI=true a missing browser fails the run.\n${'!'.repeat(78)}\n`,
  );
}

/** Generous: the machine may be busy with other test files; a real failure still fails, only later. */
const POLL = { timeout: 10_000 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!haveChromium && process.env.CI !== 'true')('the Express example in Chromium', () => {
  let app: RunningExample;
  let browser: Browser;
  let attacker: Server;
  let appStarting: Promise<RunningExample> | undefined;
  let browserLaunching: Promise<Browser> | undefined;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing and CI=true: the browser tests must run in CI (apt-get install chromium).`);
    // An attacker's site on another loopback port: each page auto-submits a form to the URL in its path.
    attacker = createServer((req, res) => {
      const target = decodeURIComponent((req.url ?? '/').slice(1));
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><form method="post" action="${target.replace(/"/g, '&quot;')}"><input name="x" value="1"></form><script>document.forms[0].submit()</script>`);
    });
    // Kept as promises, so afterAll closes whatever started even when another part failed, or is still starting.
    appStarting = startExample('express', { LATCHKEY_ACCESS_TTL: `${ACCESS_TTL_MS / 1000}s`, LATCHKEY_CLOCK_TOLERANCE: '0s' });
    browserLaunching = chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    [app, browser] = await Promise.all([appStarting, browserLaunching, new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))]);
  });

  afterAll(async () => {
    attacker?.closeAllConnections();
    attacker?.close();
    await Promise.allSettled([browserLaunching?.then((b) => b.close()), appStarting?.then((a) => a.stop())]);
  });

  async function newContext(): Promise<BrowserContext> {
    return browser.newContext({ viewport: { width: 900, height: 640 } });
  }

  async function signIn(context: BrowserContext, password: string = DEMO.password): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${app.url}/account`);
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe('/login'); // the protected page sends strangers to sign in
    await page.fill('#username', DEMO.username);
    await page.fill('#password', password);
    const posted = page.waitForResponse((res) => new URL(res.url()).pathname === '/login' && res.request().method() === 'POST');
    await page.click('button[type=submit]');
    if ((await posted).status() === 303) await page.waitForURL('**/account');
    else await page.waitForSelector('[role=alert]');
    return page;
  }

  async function isSignedIn(page: Page): Promise<boolean> {
    await page.goto(`${app.url}/account`);
    return new URL(page.url()).pathname === '/account';
  }

  /** Waits until every access token issued so far has expired (tokens carry whole-second exp). */
  const waitForExpiry = (): Promise<void> => sleep(ACCESS_TTL_MS + 300);

  /** Opens the SPA page and waits until its script has signed in (a refresh, then an API call). */
  async function openSPA(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${app.url}/app`);
    await expect.poll(() => page.getAttribute('#status', 'data-state'), POLL).toBe('signed-in');
    return page;
  }

  let mine: BrowserContext;
  let page: Page;

  it('signs in through the form and shows the protected page', async () => {
    mine = await newContext();
    page = await signIn(mine);
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.textContent('h1')).toBe(`Signed in as ${DEMO.username}`);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: `${RESULTS}e2e-signed-in.png`, fullPage: true });
  });

  it('a wrong password shows an error and leaves no cookie', async () => {
    const context = await newContext();
    const wrong = await signIn(context, 'not-the-password');
    expect(new URL(wrong.url()).pathname).toBe('/login');
    expect(await wrong.textContent('[role=alert]')).toContain('Wrong username or password');
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it('page scripts cannot read the session or refresh cookie, though the browser holds both (HttpOnly, Secure on http://localhost)', async () => {
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await mine.cookies(app.url);
    const refresh = (await mine.cookies(`${app.url}/auth/refresh`)).find((c) => c.name === REFRESH);
    expect(cookies.find((c) => c.name === SESSION)).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(refresh).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/auth/refresh' });
    // the refresh cookie is path-scoped: ordinary pages never receive it
    expect(cookies.map((c) => c.name)).not.toContain(REFRESH);
  });

  it('the SPA page (latchkey/client) keeps its token in memory: a page load refreshes once before its first call, then renews ahead of expiry', async () => {
    const spa = await mine.newPage();
    const seen: string[] = [];
    const record = (res: Response): void => {
      const url = new URL(res.url());
      if (url.pathname === '/api/me' || url.pathname === '/auth/refresh') seen.push(`${res.request().method()} ${url.pathname} ${res.status()}`);
    };
    spa.on('response', record);
    await spa.goto(`${app.url}/app`);
    await expect.poll(() => spa.getAttribute('#status', 'data-state'), POLL).toBe('signed-in');
    expect(await spa.textContent('#status')).toContain(`Signed in as ${DEMO.username}`);
    expect(await spa.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);
    // a fresh page has no token in memory: the client refreshes first (HttpOnly cookie), then calls the API
    expect(seen).toEqual(['POST /auth/refresh 200', 'GET /api/me 200']);

    seen.length = 0;
    await waitForExpiry();
    // nothing called the API meanwhile, yet the token was renewed before it expired
    expect(seen).toEqual(['POST /auth/refresh 200']);
    const statusBefore = await spa.textContent('#status');
    await spa.click('#call');
    await expect.poll(() => spa.textContent('#status'), POLL).not.toBe(statusBefore);
    spa.off('response', record);
    expect(await spa.getAttribute('#status', 'data-state')).toBe('signed-in');
    expect(seen.filter((line) => line.startsWith('GET'))).toEqual(['GET /api/me 200']);
    await spa.close();
  });

  it('two tabs refreshing at the same moment both stay signed in (no false theft alarm), even without the client\'s single flight', async () => {
    // Raw refresh calls from two cookie-only tabs: the race latchkey/client avoids, which other clients (or an
    // older page) still run. The server must give both the same new generation.
    const [tabA, tabB] = [await mine.newPage(), await mine.newPage()];
    await Promise.all([tabA.goto(`${app.url}/account`), tabB.goto(`${app.url}/account`)]);

    // Hold both refresh requests until both tabs have sent one, then let them go together: both carry the
    // same refresh token, as two tabs waking up at once do.
    const refreshes: Response[] = [];
    let release!: () => void;
    const together = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    await mine.route('**/auth/refresh', async (route) => {
      if (++held === 2) release();
      await together;
      await route.continue();
    });
    const onResponse = (res: Response): void => {
      if (new URL(res.url()).pathname === '/auth/refresh') refreshes.push(res);
    };
    mine.on('response', onResponse);
    const call = (tab: Page): Promise<unknown> =>
      tab.evaluate(async () => {
        const { accessToken } = (await (await fetch('/auth/refresh', { method: 'POST' })).json()) as { accessToken: string };
        return (await fetch('/api/me', { headers: { authorization: `Bearer ${accessToken}` } })).json();
      });
    const [meA, meB] = await Promise.all([call(tabA), call(tabB)]);
    await mine.unroute('**/auth/refresh');
    mine.off('response', onResponse);

    expect(meA).toMatchObject({ name: DEMO.username });
    expect(meB).toMatchObject({ name: DEMO.username });
    expect(refreshes.map((r) => r.status())).toEqual([200, 200]);
    const sent = await Promise.all(refreshes.map(async (r) => (await r.request().allHeaders()).cookie));
    expect(sent[0]).toContain(`${REFRESH}=`);
    expect(sent[1]).toBe(sent[0]); // the race really happened: both presented the same generation

    // The session was not revoked as a replay: the SPA page refreshes again, and the cookie pages still work.
    const spa = await openSPA(mine);
    expect(await spa.getAttribute('#status', 'data-state')).toBe('signed-in');
    expect(await isSignedIn(page)).toBe(true);
    await Promise.all([tabA.close(), tabB.close(), spa.close()]);
  });

  it('"sign out other devices" in one browser ends the other browser\'s session at once', async () => {
    const other = await newContext();
    const otherPage = await signIn(other);
    const otherSPA = await openSPA(other);

    await page.goto(`${app.url}/devices`);
    expect(Number(await page.textContent('#device-count'))).toBe(2);
    expect(await page.locator('tr[data-session=current]').count()).toBe(1);
    await Promise.all([page.waitForURL('**/devices?ended=*'), page.click('#sign-out-others')]);
    expect(await page.textContent('[role=status]')).toContain('Signed out 1 other device');
    expect(Number(await page.textContent('#device-count'))).toBe(1);

    // The other browser: its cookie page sends it to sign in, and its SPA page, still holding an access token
    // in memory, is signed out on its next API call.
    expect(await isSignedIn(otherPage)).toBe(false);
    await otherSPA.click('#call');
    await expect.poll(() => otherSPA.getAttribute('#status', 'data-state'), POLL).toBe('signed-out');
    // and this browser is still signed in
    expect(await isSignedIn(page)).toBe(true);
    await other.close();
  });

  it('a cross-site form POST from another origin is refused and the session survives', async () => {
    const attackerPort = (attacker.address() as AddressInfo).port;
    const attempt = async (path: string): Promise<number> => {
      const evil = await mine.newPage();
      const answer = evil.waitForResponse((res) => res.url().startsWith(`${app.url}${path}`) && res.request().method() === 'POST');
      await evil.goto(`http://127.0.0.1:${attackerPort}/${encodeURIComponent(`${app.url}${path}`)}`, { waitUntil: 'commit' });
      const status = (await answer).status();
      await evil.close();
      return status;
    };
    // Sign-out endpoints: refused by latchkey's CSRF check (the browser also withholds the SameSite cookies,
    // but would apply cookie-clearing headers from the answer; a refusal carries none).
    expect(await attempt('/auth/logout')).toBe(403);
    expect(await attempt('/logout')).toBe(403);
    // A protected POST: the SameSite=Lax cookie is not sent cross-site, so nobody is signed in for it.
    expect(await attempt('/devices/sign-out-others')).toBe(401);

    expect((await mine.cookies(app.url)).map((c) => c.name)).toContain(SESSION);
    expect(await isSignedIn(page)).toBe(true);
  });

  it('signing out ends the session here: pages and the refresh endpoint refuse it, the cookies are gone', async () => {
    const spa = await openSPA(mine);
    await page.goto(`${app.url}/account`);
    await Promise.all([page.waitForURL('**/login?signed_out=1'), page.click('#sign-out')]);
    expect(await page.textContent('[role=status]')).toContain('You are signed out');
    expect(await mine.cookies()).toEqual([]);
    expect(await isSignedIn(page)).toBe(false);
    // the SPA tab still holds an access token in memory, but the session behind it is gone
    await spa.click('#call');
    await expect.poll(() => spa.getAttribute('#status', 'data-state'), POLL).toBe('signed-out');
  });

  it('the SPA page signs out from script: the API and refresh stop working', async () => {
    const context = await newContext();
    await signIn(context);
    const spa = await openSPA(context);
    await Promise.all([spa.waitForURL('**/login?signed_out=1'), spa.click('#spa-sign-out')]);
    expect(await context.cookies(`${app.url}/auth/refresh`)).toEqual([]);
    const refresh = await spa.evaluate(async () => (await fetch('/auth/refresh', { method: 'POST' })).status);
    expect(refresh).toBe(401);
    await context.close();
  });
});
