// The Bearer token of a request, read as the core reads it (src/flows/authenticate.ts, bearerToken): both parse
// the header value with core/request.ts's bearerOfHeader; test/verify/parity.test.ts holds the two to the same
// answers.
import { bearerOfHeader, header } from '../core/request.js';
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
  return value === undefined ? undefined : bearerOfHeader(value);
}
