import { AuthError } from './errors.js';
import { header, isUnsafeMethod } from './request.js';
import type { ResolvedOptions } from './option-types.js';
import type { AuthRequest } from './types.js';

/** What the CSRF check reads from the options: the trusted origins, and whether cookies are `Secure`. */
export type CsrfPolicy = Pick<ResolvedOptions, 'trustedOrigins' | 'cookies'>;

/** Loopback hosts, which browsers treat as secure contexts: they keep `Secure` cookies over plain http. */
const LOOPBACK = /^(?:localhost|[^:]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * True when `origin` is the app's own origin as the browser sees it: the same host as `Host`, over https, or
 * over http when cookies are not `Secure` or the host is loopback. With `Secure` cookies (the default) a
 * browser only holds the cookie for https, so an `http://` Origin naming our host is another origin.
 */
function isOwnOrigin(origin: string, host: string | undefined, secure: boolean): boolean {
  if (host === undefined) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.host.toLowerCase() !== host) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && (!secure || LOOPBACK.test(url.hostname.toLowerCase())));
}

/** `upgrade` among the tokens of a `Connection` header (`keep-alive, Upgrade` included). */
const CONNECTION_UPGRADE = /(?:^|,)\s*upgrade\s*(?:,|$)/i;

/**
 * True for an HTTP/1.1 upgrade handshake (a WebSocket): an `Upgrade` header, or `upgrade` among the `Connection`
 * tokens. Either one is enough (fail closed): the channel it opens acts for the user like an unsafe method does.
 */
function isUpgrade(request: AuthRequest): boolean {
  if (header(request, 'upgrade') !== undefined) return true;
  const connection = header(request, 'connection');
  return connection !== undefined && CONNECTION_UPGRADE.test(connection);
}

/**
 * Refuses a cookie-authenticated unsafe request or upgrade handshake (cross-site WebSocket hijacking) that a
 * browser marks as cross-site, unless its Origin is trusted. Same-origin and same-site requests (the Fetch Metadata resource isolation policy) and
 * non-browser clients (no Origin, no Sec-Fetch-Site) pass. Without Sec-Fetch-Site, the Origin must be the
 * app's own (scheme and host). Throws `csrf_rejected` (403).
 */
export function checkCsrf(request: AuthRequest, policy: CsrfPolicy): void {
  if (!isUnsafeMethod(request.method) && !isUpgrade(request)) return;
  const origin = header(request, 'origin');
  const site = header(request, 'sec-fetch-site')?.trim().toLowerCase();
  const trusted = origin !== undefined && origin !== 'null' && policy.trustedOrigins.has(origin.trim().toLowerCase());
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'same-site' || site === 'none' || trusted) return;
    throw new AuthError('csrf_rejected');
  }
  if (origin === undefined || trusted) return;
  if (origin !== 'null' && isOwnOrigin(origin.trim(), header(request, 'host')?.trim().toLowerCase(), policy.cookies.secure)) return;
  throw new AuthError('csrf_rejected');
}
