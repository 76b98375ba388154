// Cross-site WebSocket hijacking: a WebSocket handshake is a GET, yet the channel it opens acts for the user,
// so auth.authenticate() refuses a cookie-authenticated upgrade from an untrusted cross-site origin as it
// refuses an unsafe method. Checked on real servers on 127.0.0.1: `ws` on Node's `upgrade` event and
// Socket.IO's `io.use` middleware, each written as docs/websockets.md shows it.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIOServer } from 'socket.io';
import { io as connectSocketIO } from 'socket.io-client';
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateHandshake } from '../support/socketio-recipe.js';
import { authenticateUpgrades } from '../support/ws-recipe.js';
import { createAuth, generateKey, type Auth, type AuthContext } from '../../src/entries/index.js';
import { authFailure } from '../support/core.js';

const SESSION = '__Host-latchkey.session';
const TRUSTED = 'https://app.example.test';
const CROSS_SITE = { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' } as const;

let auth: Auth<true>;
let cookie: string;
let accessToken: string;

beforeAll(async () => {
  auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.latchkey.test', audience: 'web', csrf: { trustedOrigins: [TRUSTED] } });
  const signedIn = await auth.signIn({ userId: '42' });
  cookie = `${SESSION}=${signedIn.sessionToken}`;
  accessToken = signedIn.accessToken;
});
afterAll(() => auth.close());

async function listen(server: Server): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    origin,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('auth.authenticate on an upgrade request (the core rule)', () => {
  const upgrade = (headers: Record<string, string>) => ({ method: 'GET', headers: { host: 'api.latchkey.test', cookie, ...headers } });

  it('refuses a cookie upgrade marked cross-site by Upgrade or by Connection alone, also as a Headers object', async () => {
    for (const marks of [{ upgrade: 'websocket', connection: 'Upgrade' }, { connection: 'keep-alive, Upgrade' }, { upgrade: 'websocket' }] as Record<string, string>[]) {
      expect((await authFailure(auth.authenticate(upgrade({ ...marks, ...CROSS_SITE })))).code, JSON.stringify(marks)).toBe('csrf_rejected');
      expect((await authFailure(auth.authenticate(upgrade({ ...marks, origin: 'https://evil.test' })))).code, JSON.stringify(marks)).toBe('csrf_rejected');
    }
    const headers = new Headers({ cookie, host: 'api.latchkey.test', upgrade: 'websocket', connection: 'upgrade', ...CROSS_SITE });
    expect((await authFailure(auth.authenticate({ method: 'GET', headers }))).code).toBe('csrf_rejected');
  });

  it('a cross-site GET that is not an upgrade still passes (the rule is for upgrades, not every GET)', async () => {
    await expect(auth.authenticate(upgrade({ ...CROSS_SITE, connection: 'keep-alive' }))).resolves.toMatchObject({ userId: '42', via: 'cookie' });
  });
});

// ---- the `ws` recipe of docs/websockets.md ----

async function startWs(): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  authenticateUpgrades(server, wss, auth);
  wss.on('connection', (ws: WebSocket, _req: IncomingMessage, ctx: AuthContext) => ws.send(JSON.stringify({ userId: ctx.userId, via: ctx.via })));
  const listening = await listen(server);
  return { ...listening, url: listening.url.replace('http', 'ws') };
}

/** Opens a WebSocket and reports the first message, or the refused handshake's status and body. */
async function wsOutcome(url: string, headers: Record<string, string>): Promise<{ message?: unknown; status?: number; body?: unknown }> {
  const ws = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => {
      resolve({ message: JSON.parse(String(data)) });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    ws.once('error', reject);
  });
}

describe('a ws server authenticating on the upgrade event', () => {
  let app: Awaited<ReturnType<typeof startWs>>;
  beforeAll(async () => {
    app = await startWs();
  });
  afterAll(() => app.close());

  it('refuses a cross-site handshake carrying the session cookie with 403 csrf_rejected', async () => {
    expect(await wsOutcome(app.url, { cookie, ...CROSS_SITE })).toEqual({ status: 403, body: { error: 'csrf_rejected' } });
    expect(await wsOutcome(app.url, { cookie, origin: 'https://evil.test' })).toEqual({ status: 403, body: { error: 'csrf_rejected' } });
  });

  it('accepts the session cookie from the same origin', async () => {
    expect(await wsOutcome(app.url, { cookie, origin: app.origin, 'sec-fetch-site': 'same-origin' })).toEqual({ message: { userId: '42', via: 'cookie' } });
    expect(await wsOutcome(app.url, { cookie, origin: app.origin })).toEqual({ message: { userId: '42', via: 'cookie' } });
  });

  it('accepts a bearer token from a cross-site origin (no cookie, nothing a hostile page can borrow)', async () => {
    expect(await wsOutcome(app.url, { authorization: `Bearer ${accessToken}`, ...CROSS_SITE })).toEqual({ message: { userId: '42', via: 'bearer' } });
  });

  it('accepts the session cookie from a trusted cross-site origin', async () => {
    expect(await wsOutcome(app.url, { cookie, origin: TRUSTED, 'sec-fetch-site': 'cross-site' })).toEqual({ message: { userId: '42', via: 'cookie' } });
  });

  it('refuses a handshake without credentials with 401, and a forged cookie with 401 session_invalid', async () => {
    expect(await wsOutcome(app.url, {})).toEqual({ status: 401, body: { error: 'credentials_missing' } });
    expect(await wsOutcome(app.url, { cookie: `${cookie.slice(0, -4)}AAAA` })).toMatchObject({ status: 401, body: { error: 'session_invalid' } });
  });
});

// ---- the Socket.IO recipe of docs/websockets.md ----

async function startSocketIO(): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  const server = createServer();
  const io = new SocketIOServer(server);
  io.use(authenticateHandshake(auth));
  io.on('connection', (socket) => {
    const ctx = socket.data.auth as AuthContext;
    socket.emit('hello', { userId: ctx.userId, via: ctx.via });
  });
  const listening = await listen(server);
  return { ...listening, close: async () => void (await io.close()) };
}

async function socketIOOutcome(url: string, options: { transport: 'websocket' | 'polling'; headers?: Record<string, string>; token?: string }): Promise<unknown> {
  const client = connectSocketIO(url, { transports: [options.transport], extraHeaders: options.headers ?? {}, auth: options.token ? { token: options.token } : {}, reconnection: false, forceNew: true });
  try {
    return await new Promise((resolve) => {
      client.once('hello', (hello: unknown) => resolve({ hello }));
      client.once('connect_error', (error: Error & { data?: unknown }) => resolve({ refused: error.message, data: error.data }));
    });
  } finally {
    client.close();
  }
}

describe('a Socket.IO server authenticating in io.use', () => {
  let app: Awaited<ReturnType<typeof startSocketIO>>;
  beforeAll(async () => {
    app = await startSocketIO();
  });
  afterAll(() => app.close());

  it('refuses a cross-site handshake carrying the session cookie, on the websocket and on the polling transport', async () => {
    for (const transport of ['websocket', 'polling'] as const) {
      expect(await socketIOOutcome(app.url, { transport, headers: { cookie, ...CROSS_SITE } }), transport).toEqual({ refused: 'csrf_rejected', data: { status: 403 } });
    }
  });

  it.each(['websocket', 'polling'] as const)('accepts the same-origin cookie and a cross-site bearer token in handshake.auth (%s transport)', async (transport) => {
    expect(await socketIOOutcome(app.url, { transport, headers: { cookie, origin: app.origin } })).toEqual({ hello: { userId: '42', via: 'cookie' } });
    expect(await socketIOOutcome(app.url, { transport, headers: { ...CROSS_SITE }, token: accessToken })).toEqual({ hello: { userId: '42', via: 'bearer' } });
    expect(await socketIOOutcome(app.url, { transport, headers: { cookie, origin: TRUSTED, 'sec-fetch-site': 'cross-site' } })).toEqual({ hello: { userId: '42', via: 'cookie' } });
  });

  it('refuses a handshake without credentials', async () => {
    expect(await socketIOOutcome(app.url, { transport: 'websocket' })).toEqual({ refused: 'credentials_missing', data: { status: 401 } });
  });
});
