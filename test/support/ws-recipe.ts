// The `ws` recipe of docs/websockets.md, as written there: authenticate on Node's `upgrade` event (cookie or
// bearer; a cookie from a cross-site page is refused), then hand the socket to `ws` with its AuthContext.
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { isAuthError, type Auth } from '../../src/entries/index.js';

/** Answers a refused handshake on the raw socket, with the same `{ error: code }` body an HTTP route gets. */
export function refuseHandshake(socket: Duplex, status: number, code: string): void {
  const body = JSON.stringify({ error: code });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Authenticates every upgrade of `server` with `auth`; a passing one reaches `wss`'s 'connection' with (ws, req, ctx). */
export function authenticateUpgrades(server: Server, wss: WebSocketServer, auth: Auth): void {
  server.on('upgrade', async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const ctx = await auth.authenticate({ method: req.method, headers: req.headers });
      if (!ctx) return refuseHandshake(socket, 401, 'credentials_missing');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, ctx));
    } catch (error) {
      if (isAuthError(error)) refuseHandshake(socket, error.status, error.code);
      else socket.destroy();
    }
  });
}
