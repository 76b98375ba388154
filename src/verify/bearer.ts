// The Bearer token of a request for latchkey/verify: the core's reading (src/core/bearer-header.ts), made safe for
// whatever a resource server is handed (a value that is not a request, a `headers` getter that throws).
import { bearerToken } from '../core/bearer-header.js';
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
  try {
    return bearerToken(request as AuthRequest);
  } catch {
    return undefined;
  }
}
