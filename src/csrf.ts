import { AuthError } from './errors.js';
import { header, isUnsafeMethod } from './lib/request.js';
import type { AuthRequest } from './types.js';

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Refuses a cookie-authenticated unsafe request that a browser marks as cross-site, unless its Origin
 * is trusted. Same-origin and same-site requests (the Fetch Metadata resource isolation policy) and
 * non-browser clients (no Origin, no Sec-Fetch-Site) pass. Throws `csrf_rejected` (403).
 */
export function checkCsrf(request: AuthRequest, trustedOrigins: ReadonlySet<string>): void {
  if (!isUnsafeMethod(request.method)) return;
  const origin = header(request, 'origin');
  const site = header(request, 'sec-fetch-site')?.trim().toLowerCase();
  const trusted = origin !== undefined && origin !== 'null' && trustedOrigins.has(origin.trim().toLowerCase());
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'same-site' || site === 'none' || trusted) return;
    throw new AuthError('csrf_rejected');
  }
  if (origin === undefined) return;
  if (trusted) return;
  const host = header(request, 'host')?.trim().toLowerCase();
  const originHost = origin === 'null' ? null : hostOf(origin.trim());
  if (originHost !== null && host !== undefined && originHost === host) return;
  throw new AuthError('csrf_rejected');
}
