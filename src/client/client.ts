import { tabs, type TabMessage } from './tabs.js';
import type { Client, ClientOptions, ClientState } from './types.js';

const OPTIONS = ['refreshUrl', 'signOutUrl', 'origins', 'credentials', 'fetch'];
/** A 401 whose `WWW-Authenticate` names an error other than `invalid_token` (e.g. step-up's max_age): a refresh cannot fix it. */
const NOT_A_TOKEN_PROBLEM = /error="(?!invalid_token")/;

function fail(message: string): never {
  throw new TypeError(`latchkey: ${message}`);
}

/**
 * The browser half of latchkey: keeps the access token in memory, attaches it to the API's requests, refreshes
 * it ahead of expiry and on a 401 (one refresh at a time across all tabs), and signs every tab out together.
 * @example
 * const client = createClient({ refreshUrl: '/auth/refresh', signOutUrl: '/auth/logout' });
 * client.onChange((state) => { if (state === 'signed-out') location.assign('/login'); });
 * const me = await (await client.fetch('/api/me')).json();
 */
export function createClient(options: ClientOptions): Client {
  for (const key in options) if (!OPTIONS.includes(key)) fail(`unknown option ${key}; expected one of ${OPTIONS.join(', ')}.`);
  const { refreshUrl, signOutUrl, credentials = 'same-origin' } = options;
  if (typeof signOutUrl !== 'string') fail("createClient needs signOutUrl, e.g. createClient({ refreshUrl: '/auth/refresh', signOutUrl: '/auth/logout' }).");
  const send: typeof fetch = (input, init) => (options.fetch ?? fetch)(input, init);
  const home = new URL(refreshUrl ?? signOutUrl, globalThis.location?.href);
  const origins = [home.origin, ...(options.origins ?? [])];
  const listeners = new Set<(state: ClientState) => void>();
  let token: string | null = null;
  let version = 0; // counts changes of token: "did another refresh land meanwhile?" without comparing token strings
  let refreshAt = 0;
  let state: ClientState | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let retryAt = 0; // while 'unavailable': no refresh starts before then, in any tab
  let inflight: Promise<Response | undefined> | null = null;

  function emit(next: ClientState, share?: boolean): void {
    if (share) link.post({ s: next });
    if (next === state) return;
    state = next;
    // a listener that throws reports to the page, never into a refresh or a fetch
    for (const listener of listeners) queueMicrotask(() => listener(next));
  }

  function later(ms: number): void {
    const had = version;
    clearTimeout(timer);
    timer = setTimeout(() => refresh(had).catch(() => {}), ms);
  }

  /**
   * Takes a token; `due` is when to refresh it (ms epoch), shared with the other tabs so that they all agree.
   * `still`: the refresh endpoint is still unavailable (a new tab told so with the token): no 'signed-in' first.
   */
  function accept(accessToken: unknown, due: number, share?: boolean, still?: boolean): void {
    if (typeof accessToken !== 'string' || !(due >= 0)) fail('setAccessToken(accessToken, expiresIn) takes the token and the seconds from the sign-in or refresh answer.');
    token = accessToken;
    version++;
    refreshAt = due;
    failures = 0;
    later(due - Date.now());
    if (share) link.post({ t: accessToken, r: due });
    if (!still) emit('signed-in');
  }

  function fromAnswer(accessToken: unknown, expiresIn: unknown, share?: boolean): void {
    const life = Number(expiresIn) * 1000;
    // refresh when 4/5 of the lifetime has passed, at most a minute ahead, and never sooner than in a second
    // (a token capped by the session's absolute expiry can have no life left: no tight loop then)
    accept(accessToken, Date.now() + Math.max(life - Math.min(life / 5, 60_000), 1000), share);
  }

  function drop(share?: boolean): void {
    token = null;
    version++;
    clearTimeout(timer);
    emit('signed-out', share);
  }

  /**
   * The refresh endpoint failed after `count` tries in a row: every tab waits until `at` (2 s, then 4 s, 6 s, …
   * at most 30 s more each time). The tab whose refresh failed retries at `at`; the others only 1 s later, in
   * case it was closed (a token or a new failure from it moves their timer first).
   */
  function wait(count: number, at: number, mine?: boolean): void {
    failures = count;
    retryAt = at;
    later(at - Date.now() + (mine ? 0 : 1000));
    emit('unavailable');
  }

  function unavailable(): void {
    const count = failures + 1;
    const at = Date.now() + Math.min(2000 * count, 30_000);
    link.post({ s: 'unavailable', f: count, w: at });
    wait(count, at, true);
  }

  /** Until the scheduled retry, a refresh is not even tried: fetches that need one get a bodiless 503 at once. */
  const held = (): boolean => state === 'unavailable' && Date.now() < retryAt - 50;
  const busy = (): Response => new Response(null, { status: 503 });

  const link = tabs(`latchkey ${home.href}`, (message: TabMessage) => {
    if (message.q) {
      // a new tab gets the token and, in an outage, the schedule (so that a reload does not restart it)
      if (token) link.post({ t: token, r: refreshAt, ...(state === 'unavailable' && { s: state, f: failures, w: retryAt }) });
      return;
    }
    // the same token from a second tab changes nothing: it carries the same renewal time (compared, never the token)
    if (typeof message.t === 'string' && Number(message.r) !== refreshAt) accept(message.t, Number(message.r), false, message.s === 'unavailable');
    if (message.s === 'signed-out') drop();
    // (a tab of an older version sends no schedule: assume a first failure just now)
    else if (message.s === 'unavailable') wait(Number(message.f) || 1, Number(message.w) || Date.now() + 2000);
  });

  link.post({ q: 1 }); // a tab opened after sign-in asks the others for the token instead of refreshing

  /** The refresh request itself: undefined when a new token came, else the failed answer. */
  async function renew(): Promise<Response | undefined> {
    link.post({ c: 1 });
    let answer: Response;
    try {
      answer = await send(refreshUrl!, { method: 'POST', credentials });
      if (answer.ok) {
        const body = (await answer.json()) as { accessToken?: unknown; expiresIn?: unknown };
        fromAnswer(body.accessToken, body.expiresIn, true);
        return undefined;
      }
    } catch (error) {
      unavailable();
      throw error;
    }
    if (answer.status === 401) drop(true);
    else unavailable();
    return answer;
  }

  /**
   * One refresh per tab (callers share it) and, under the lock, across tabs: a token another tab got meanwhile
   * ends it. While 'unavailable', none starts before the scheduled retry (a bodiless 503 at once instead), also
   * when another tab's refresh has just failed and moved the retry.
   */
  function refresh(had: number): Promise<Response | undefined> {
    if (held()) return Promise.resolve(busy());
    return (inflight ??= link
      .lock(async () => {
        await link.quiet();
        if (version !== had) return undefined;
        return held() ? busy() : renew();
      })
      .finally(() => {
        inflight = null;
      }));
  }

  return {
    async fetch(input, init) {
      const request = new Request(input, init);
      if (!origins.includes(new URL(request.url).origin)) return send(request);
      for (let retried = false; ; ) {
        // no token yet (a page load: ask the refresh cookie) or one due for renewal: refresh before sending
        if (refreshUrl && state !== 'signed-out' && (!token || Date.now() >= refreshAt)) {
          const failed = await refresh(version);
          if (failed?.status === 401) retried = true;
          else if (failed) return failed;
        }
        const sent = version;
        const attempt = request.clone();
        if (token) attempt.headers.set('authorization', `Bearer ${token}`);
        const answer = await send(attempt);
        if (retried || answer.status !== 401 || NOT_A_TOKEN_PROBLEM.test(answer.headers.get('www-authenticate') ?? '')) return answer;
        retried = true;
        if (sent === version) {
          if (!refreshUrl) return drop(true), answer;
          const failed = await refresh(sent);
          if (failed) return failed.status === 401 ? answer : failed;
        }
      }
    },

    setAccessToken(accessToken, expiresIn) {
      fromAnswer(accessToken, expiresIn, true);
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async signOut() {
      // under the lock: no refresh in this or another tab can land after the sign-out and bring a token back
      await link.lock(async () => {
        await link.quiet();
        const answer = await send(signOutUrl, { method: 'POST', credentials, headers: token ? { authorization: `Bearer ${token}` } : {} });
        if (!answer.ok && answer.status !== 401) throw new Error(`latchkey: sign-out failed with ${answer.status}; still signed in.`);
        drop(true);
      });
    },

    get state() {
      return state;
    },

    close() {
      clearTimeout(timer);
      link.close();
    },
  };
}
