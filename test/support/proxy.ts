// A small TCP proxy for fault tests: forwards bytes both ways until told to black-hole some connections,
// which then keep their sockets open and silently drop everything (an idle-timeout NAT or load balancer).
import { createConnection, createServer, type Socket } from 'node:net';

/** A running proxy in front of one port. */
export interface TcpProxy {
  readonly port: number;
  /** Stops forwarding on every connection that has sent SUBSCRIBE or a PostgreSQL LISTEN (the sockets stay open). */
  blackholeSubscribers(): number;
  /** Delays every reply of the server by `ms` from now on (0: forward at once again); requests still go through at once. */
  delayReplies(ms: number): void;
  /** Stops forwarding on every connection, and on every one opened from now on (a server that no longer answers). */
  blackholeAll(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  subscriber: boolean;
  holed: boolean;
}

/** Starts a proxy on a free loopback port that forwards to 127.0.0.1:`target`. */
export async function startProxy(target: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let delay = 0;
  let everything = false;
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    const pair: Pair = { client, upstream, subscriber: false, holed: everything };
    pairs.add(pair);
    client.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      if (/subscribe/i.test(text) || text.includes('LISTEN "')) pair.subscriber = true;
      if (!pair.holed) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (pair.holed) return;
      // a late answer: the server did the work on time, its reply reaches the client after the deadline
      if (delay > 0) setTimeout(() => client.writable && client.write(chunk), delay);
      else client.write(chunk);
    });
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    blackholeSubscribers() {
      let n = 0;
      for (const pair of pairs) {
        if (pair.subscriber) {
          pair.holed = true;
          n++;
        }
      }
      return n;
    },
    delayReplies(ms) {
      delay = ms;
    },
    blackholeAll() {
      everything = true;
      for (const pair of pairs) pair.holed = true;
      return pairs.size;
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
