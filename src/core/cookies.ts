import { serialize } from 'cookie';
import type { ResolvedOptions } from './option-types.js';
import { header } from './request.js';
import type { AuthRequest } from './types.js';

/** Browsers drop cookies whose Set-Cookie line exceeds this; latchkey refuses to build one. */
export const MAX_SET_COOKIE_BYTES = 4096;
/** A Cookie header longer than this is not parsed at all (credentials are never that long). */
export const MAX_COOKIE_HEADER_BYTES = 16_384;

type CookieConfig = ResolvedOptions['cookies'];

/** `maxAgeSeconds: null` builds a browser-session cookie (no Max-Age): it ends when the browser closes. */
function build(config: CookieConfig, name: string, value: string, path: string, maxAgeSeconds: number | null): string {
  const line = serialize(name, value, {
    httpOnly: true,
    secure: config.secure,
    sameSite: config.sameSite,
    path,
    ...(maxAgeSeconds === null ? {} : { maxAge: Math.max(0, Math.floor(maxAgeSeconds)) }),
    ...(name.startsWith('__Host-') || config.domain === undefined ? {} : { domain: config.domain }),
  });
  if (line.length > MAX_SET_COOKIE_BYTES) {
    throw new RangeError(`latchkey: the ${name} Set-Cookie line is ${line.length} bytes; browsers drop cookies over ${MAX_SET_COOKIE_BYTES}.`);
  }
  return line;
}

/** Set-Cookie for the session cookie (`__Host-`, Path=/), living until the session's absolute expiry (`null`: until the browser closes). */
export function sessionCookie(config: CookieConfig, value: string, maxAgeSeconds: number | null): string {
  return build(config, config.sessionName, value, '/', maxAgeSeconds);
}

/** Set-Cookie for the refresh cookie (`__Secure-`, scoped to the refresh path; `null` Max-Age: until the browser closes). */
export function refreshCookie(config: CookieConfig, value: string, maxAgeSeconds: number | null): string {
  return build(config, config.refreshName, value, config.refreshPath, maxAgeSeconds);
}

/** Set-Cookie lines that delete both cookies (same name, path and domain, Max-Age=0). */
export function clearingCookies(config: CookieConfig): string[] {
  return [sessionCookie(config, '', 0), refreshCookie(config, '', 0)];
}

/** Reads one cookie from the request; malformed or oversized Cookie headers read as absent, never throw. */
export function readCookie(request: AuthRequest, name: string): string | undefined {
  const raw = header(request, 'cookie');
  if (!raw || raw.length > MAX_COOKIE_HEADER_BYTES || !raw.includes(name)) return undefined;
  const value = cookieValue(raw, name);
  return value === '' ? undefined : value;
}

/** Space or horizontal tab, the two characters trimmed around a cookie's name and value. */
const isBlank = (code: number): boolean => code === 0x20 || code === 0x09;

/**
 * The value of the first `name=value` pair named `name` in a Cookie header, verbatim (no percent-decoding:
 * latchkey's own values are base64url); `undefined` when absent. It reads pairs exactly as `cookie`'s `parse`
 * does (split on `;`, skip pairs without `=`, trim blanks around name and value, the first pair of a name
 * wins; test/cookies.test.ts compares the two on fuzzed headers) but slices out only the one value it is
 * asked for, where `parse` builds an object of every cookie on every request.
 */
export function cookieValue(raw: string, name: string): string | undefined {
  const length = raw.length;
  let index = 0;
  while (index < length) {
    const eq = raw.indexOf('=', index);
    if (eq === -1) return undefined;
    let end = raw.indexOf(';', index);
    if (end === -1) end = length;
    if (eq > end) {
      index = raw.lastIndexOf(';', eq - 1) + 1; // a pair without '=': go on from the pair that holds this '='
      continue;
    }
    let start = index;
    while (start < eq && isBlank(raw.charCodeAt(start))) start++;
    let nameEnd = eq;
    while (nameEnd > start && isBlank(raw.charCodeAt(nameEnd - 1))) nameEnd--;
    if (nameEnd - start === name.length && raw.startsWith(name, start)) {
      let from = eq + 1;
      let to = end;
      while (from < to && isBlank(raw.charCodeAt(from))) from++;
      while (to > from && isBlank(raw.charCodeAt(to - 1))) to--;
      return raw.slice(from, to);
    }
    index = end + 1;
  }
  return undefined;
}
