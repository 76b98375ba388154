// Shared helpers for the core unit tests: an injectable clock, a store that counts calls and
// records every write, and small request builders. Not a test file itself.
import { memoryStore, type SessionRecord, type SessionStore } from '../../src/entries/index.js';

/** A manual clock: tests move time with `advance`, never by sleeping. */
export interface TestClock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

export function testClock(start = T0): TestClock {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    set(ms) {
      current = ms;
    },
  };
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A store wrapping `memoryStore` that counts calls per method and keeps the JSON of every write. */
export interface SpyStore extends SessionStore {
  readonly calls: Record<string, number>;
  /** JSON of every record passed to create/update, in order: what a store dump could ever contain. */
  readonly writes: string[];
}

export function spyStore(now: () => number, inner: SessionStore = memoryStore({ now })): SpyStore {
  const calls: Record<string, number> = {};
  const writes: string[] = [];
  const count = (name: string): void => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  return {
    calls,
    writes,
    async create(record: SessionRecord) {
      count('create');
      writes.push(JSON.stringify(record));
      return inner.create(record);
    },
    async get(id: string) {
      count('get');
      return inner.get(id);
    },
    async update(record: SessionRecord, expectedVersion: number) {
      count('update');
      writes.push(JSON.stringify(record));
      return inner.update(record, expectedVersion);
    },
    async touch(id, activity) {
      count('touch');
      return inner.touch(id, activity);
    },
    async delete(id: string) {
      count('delete');
      return inner.delete(id);
    },
    async listByUser(userId: string) {
      count('listByUser');
      return inner.listByUser(userId);
    },
    async deleteByUser(userId: string, options?: { except?: string }) {
      count('deleteByUser');
      return inner.deleteByUser(userId, options);
    },
    async close() {
      await inner.close?.();
    },
  };
}

/** The value a Set-Cookie line sets for `name`, or undefined. */
export function cookieValue(setCookies: readonly string[], name: string): string | undefined {
  for (const line of setCookies) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq) === name) return pair!.slice(eq + 1);
  }
  return undefined;
}

/** A GET request carrying a Cookie header, as Node's lower-case header record. */
export function cookieRequest(name: string, value: string, method = 'GET'): { method: string; headers: Record<string, string> } {
  return { method, headers: { cookie: `${name}=${value}` } };
}

/** A GET request carrying `Authorization: Bearer <token>`. */
export function bearerRequest(token: string): { method: string; headers: Record<string, string> } {
  return { method: 'GET', headers: { authorization: `Bearer ${token}` } };
}

/** Asserts a promise rejects with an AuthError of `code`, and returns the error. */
export async function authFailure(promise: Promise<unknown>): Promise<{ code: string; status: number; setCookies: readonly string[] }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name?: string; code?: string; status?: number; setCookies?: readonly string[] };
    if (e?.name !== 'AuthError') throw error;
    return { code: e.code!, status: e.status!, setCookies: e.setCookies ?? [] };
  }
  throw new Error('expected an AuthError, but the call succeeded');
}

export const ISSUER = 'https://api.example.com';
export const AUDIENCE = 'web';
