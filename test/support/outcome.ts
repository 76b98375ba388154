// What a latchkey call ended in, for tests that count outcomes under faults: 'ok' or the AuthError code.
// Anything that is not an AuthError is rethrown, so a crash never passes for a refusal.
import { isAuthError } from '../../src/entries/index.js';

/** Waits `ms` of wall-clock time (fault tests that wait for a real server). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `'ok'` or the AuthError code the promise settled with. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (isAuthError(error)) return error.code;
    throw error;
  }
}

/** What a call ended in, its HTTP status, and how long it took in ms. */
export async function outcome(call: () => Promise<unknown>): Promise<{ code: string; status: number; ms: number }> {
  const started = performance.now();
  try {
    await call();
    return { code: 'ok', status: 200, ms: performance.now() - started };
  } catch (error) {
    if (!isAuthError(error)) throw error;
    return { code: error.code, status: error.status, ms: performance.now() - started };
  }
}
