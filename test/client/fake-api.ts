// A scripted API for the client's unit tests: it issues access tokens t1, t2, ... on refresh, accepts only the
// newest one on /api/*, and records every request the client sends. Cross-tab tests create several clients
// ("tabs") on one FakeAPI, which plays the server and the browser's shared cookie jar at once.
import { createClient, type Client, type ClientOptions, type ClientState } from '../../src/entries/client.js';

export interface Sent {
  method: string;
  path: string;
  authorization: string | null;
  credentials: string;
  body: string;
}

export interface FakeAPI {
  readonly origin: string;
  readonly fetch: typeof fetch;
  /** Every request, in order. */
  readonly sent: Sent[];
  /** Requests to /auth/refresh so far. */
  refreshes(): number;
  /** The token /api/* accepts now (null: none, as after sign-out). */
  current: string | null;
  /** What /auth/refresh answers: 200 with a new token (default), or this status. */
  refreshStatus: number;
  /** Milliseconds /auth/refresh takes (real timers). */
  refreshDelay: number;
  /** What /api/* answers to a request with the current token (default 200). */
  apiStatus: number;
  /** Lifetime in seconds of the tokens it issues. */
  expiresIn: number;
  /** What /auth/logout answers (default 204). */
  signOutStatus: number;
  /** A client ("tab") on this API; closed by `closeAll`. */
  tab(options?: Partial<ClientOptions>): Tab;
  closeAll(): void;
}

export interface Tab {
  client: Client;
  states: ClientState[];
}

let counter = 0;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const INVALID = 'Bearer realm="latchkey", error="invalid_token", error_description="token_expired"';

export function fakeAPI(): FakeAPI {
  const origin = `https://app${++counter}.test`;
  const clients: Client[] = [];
  let issued = 0;
  const api: FakeAPI = {
    origin,
    sent: [],
    refreshes: () => api.sent.filter((s) => s.path === '/auth/refresh').length,
    current: null,
    refreshStatus: 200,
    refreshDelay: 0,
    apiStatus: 200,
    expiresIn: 900,
    signOutStatus: 204,
    async fetch(input, init) {
      const request = new Request(input, init);
      const url = new URL(request.url);
      const authorization = request.headers.get('authorization');
      api.sent.push({ method: request.method, path: url.pathname, authorization, credentials: request.credentials, body: await request.text() });
      if (url.pathname === '/auth/refresh') {
        if (api.refreshDelay) await new Promise((resolve) => setTimeout(resolve, api.refreshDelay));
        if (api.refreshStatus !== 200) return json(api.refreshStatus, { error: 'refused' }, api.refreshStatus === 401 ? { 'www-authenticate': INVALID } : {});
        api.current = `t${++issued}`;
        return json(200, { accessToken: api.current, expiresIn: api.expiresIn });
      }
      if (url.pathname === '/auth/logout') {
        if (api.signOutStatus === 204) api.current = null;
        return new Response(null, { status: api.signOutStatus });
      }
      if (url.origin !== origin) return json(200, { elsewhere: true });
      if (api.current === null || authorization !== `Bearer ${api.current}`) {
        return json(401, { error: 'token_invalid' }, { 'www-authenticate': authorization ? INVALID : 'Bearer realm="latchkey"' });
      }
      return json(api.apiStatus, { ok: api.apiStatus === 200 });
    },
    tab(options = {}) {
      const client = createClient({ refreshUrl: `${origin}/auth/refresh`, signOutUrl: `${origin}/auth/logout`, fetch: api.fetch, ...options });
      const states: ClientState[] = [];
      client.onChange((state) => states.push(state));
      clients.push(client);
      return { client, states };
    },
    closeAll() {
      for (const client of clients.splice(0)) client.close();
    },
  };
  return api;
}

/** Lets queued messages between tabs (BroadcastChannel) and microtasks run. */
export const settle = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A minimal Web Locks API (exclusive, FIFO per name) for running the Web Locks path in Node, which has none. */
export function installWebLocks(): () => void {
  const queues = new Map<string, Promise<unknown>>();
  const locks = {
    request<T>(name: string, task: () => Promise<T>): Promise<T> {
      const previous = queues.get(name) ?? Promise.resolve();
      const run = previous.then(() => task());
      queues.set(name, run.catch(() => {}));
      return run;
    },
  };
  const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true });
  return () => {
    if (had) Object.defineProperty(globalThis, 'navigator', had);
    else delete (globalThis as { navigator?: unknown }).navigator;
  };
}
