// The Socket.IO middleware of docs/websockets.md, as written there: one copy for every test that runs the recipe.
import type { Socket } from 'socket.io';
import { isAuthError, type Auth } from '../../src/entries/index.js';

/** `io.use(authenticateHandshake(auth))`: authenticates every handshake as an upgrade (cookie or `auth.token`), into `socket.data.auth`. */
export function authenticateHandshake(auth: Auth) {
  return async (socket: Socket, next: (error?: Error) => void): Promise<void> => {
    // Every handshake opens a long-lived channel: check it as an upgrade on every transport (polling starts with a plain GET).
    const headers = { ...socket.request.headers, connection: 'upgrade' };
    const token: unknown = socket.handshake.auth.token;
    if (typeof token === 'string') headers.authorization = `Bearer ${token}`;
    try {
      const ctx = await auth.authenticate({ method: 'GET', headers });
      if (!ctx) return next(Object.assign(new Error('credentials_missing'), { data: { status: 401 } }));
      socket.data.auth = ctx;
      next();
    } catch (error) {
      next(isAuthError(error) ? Object.assign(new Error(error.code), { data: { status: error.status } }) : (error as Error));
    }
  };
}
