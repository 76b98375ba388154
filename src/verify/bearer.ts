// The Bearer token of a request, read as the core reads it (src/flows/authenticate.ts, bearerToken: that module
// also loads the session code and node:crypto, so the ten lines are restated here; test/verify/parity.test.ts
// holds the two to the same answers).
import { header } from '../core/request.js';
import type { AuthRequest } from '../core/types.js';

/** What `verifier.verify` reads: a `Request`, or any object whose `headers` is a `Headers` or Node's lower-case header record. */
export type VerifierRequest = Pick<AuthRequest, 'headers'>;

/**
 * The token of an `Authorization: Bearer` header: `''` for a bare scheme, `undefined` when there is none, another
 * scheme, or headers that cannot be read (a value that is not a request, a `headers` getter that throws).
 * @example
 * bearerOf({ headers: { authorization: 'Bearer eyJ...' } }); // 'eyJ...'
 */
export function bearerOf(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  let value: string | undefined;
  try {
    value = header(request as AuthRequest, 'authorization');
  } catch {
    return undefined;
  }
  if (value === undefined) return undefined;
  // `Bearer`, any case, then nothing or [ \t]+ and the token
  const trimmed = value.trim();
  if (trimmed.length < 6 || trimmed.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  if (trimmed.length === 6) return '';
  const gap = trimmed.charCodeAt(6);
  return gap === 32 || gap === 9 ? trimmed.slice(7).trim() : undefined;
}
