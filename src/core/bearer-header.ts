// The Bearer token of a request, read one way for the core (authenticate, sign-out, tracing) and latchkey/verify.
// Node-free: latchkey/verify loads it on edge runtimes.
import { header } from './request.js';
import type { AuthRequest } from './types.js';

/**
 * The token of an `Authorization: Bearer` header; `''` for a bare scheme, `undefined` when none or another scheme.
 * @example
 * bearerToken({ method: 'GET', headers: { authorization: 'Bearer eyJ...' } }); // 'eyJ...'
 */
export function bearerToken(request: AuthRequest): string | undefined {
  const value = header(request, 'authorization');
  if (value === undefined) return undefined;
  // `Bearer`, any case, then nothing or [ \t]+ and the token; compared without a regex on the hot path.
  const trimmed = value.trim();
  if (trimmed.length < 6 || trimmed.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  if (trimmed.length === 6) return '';
  const gap = trimmed.charCodeAt(6);
  return gap === 32 || gap === 9 ? trimmed.slice(7).trim() : undefined;
}
