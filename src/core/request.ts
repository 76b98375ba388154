import type { AuthRequest } from './types.js';

/** Reads one header from a web `Headers` object or Node's lower-case header record. */
export function header(request: AuthRequest, name: string): string | undefined {
  const headers = request.headers as unknown;
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  // Repeated Cookie fields join with '; ' (RFC 9113 8.2.3), every other list header with ', '.
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join(name === 'cookie' ? '; ' : ', ');
  return undefined;
}

/**
 * The token of an `Authorization` header value with the `Bearer` scheme (any case, then nothing or [ \t]+ and
 * the token): `''` for a bare scheme, `undefined` for another scheme. Compared without a regex: it runs on
 * every bearer request.
 */
export function bearerOfHeader(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed.length < 6 || trimmed.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  if (trimmed.length === 6) return '';
  const gap = trimmed.charCodeAt(6);
  return gap === 32 || gap === 9 ? trimmed.slice(7).trim() : undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** True for methods that may change state (everything but GET, HEAD, OPTIONS, TRACE); a missing method is unsafe (fail closed). */
export function isUnsafeMethod(method: string | undefined): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  if (typeof method !== 'string') return true;
  return !SAFE_METHODS.has(method.toUpperCase());
}
