/** Every stable error code latchkey can raise, with the HTTP status it maps to. */
export const ERROR_STATUS = {
  credentials_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  session_invalid: 401,
  session_expired: 401,
  refresh_reused: 401,
  reauthentication_required: 401,
  forbidden: 403,
  csrf_rejected: 403,
  session_limit: 403,
  session_conflict: 409,
  store_unavailable: 503,
} as const;

/** A stable error code; `switch (err.code)` narrows on it. */
export type AuthErrorCode = keyof typeof ERROR_STATUS;

const BRAND = Symbol.for('latchkey.error');

const MESSAGES: Record<AuthErrorCode, string> = {
  credentials_missing: 'No credentials were presented.',
  token_invalid: 'The token is malformed, badly signed, or not meant for this server.',
  token_expired: 'The token has expired.',
  session_invalid: 'The session does not exist or has been revoked.',
  session_expired: 'The session has expired.',
  refresh_reused: 'A rotated refresh token was replayed; the session has been revoked.',
  reauthentication_required: 'A more recent sign-in is required; re-authenticate and retry.',
  forbidden: 'Not allowed.',
  csrf_rejected: 'Cross-site request refused for a cookie-authenticated session.',
  session_limit: 'Too many active sessions for this user; sign out on another device first.',
  session_conflict: 'The session was changed concurrently; retry the update.',
  store_unavailable: 'The session store is unavailable.',
};

/**
 * The one error latchkey throws for anything a client caused or a store failure.
 * `status` is the HTTP status an adapter answers with; `expose` says the message is safe to show.
 * Messages never contain a token, secret, hash or cookie value.
 * @example
 * try { await auth.authenticate(req) } catch (e) { if (isAuthError(e)) res.status(e.status) }
 */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly status: number;
  readonly statusCode: number;
  readonly expose: boolean;
  /** Set-Cookie lines the response must carry (e.g. clearing cookies of a session that is gone). */
  readonly setCookies: readonly string[];
  /** With `reauthentication_required`: the greatest acceptable age of the sign-in, in seconds (RFC 9470 `max_age`). */
  readonly maxAge: number | undefined;
  readonly [BRAND] = true;

  constructor(code: AuthErrorCode, message?: string, options?: { cause?: unknown; setCookies?: readonly string[]; maxAge?: number }) {
    super(message ?? MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.statusCode = this.status;
    this.expose = this.status < 500;
    this.setCookies = options?.setCookies ?? [];
    this.maxAge = options?.maxAge;
  }

  /** The same error carrying Set-Cookie lines for the response. */
  withCookies(setCookies: readonly string[]): AuthError {
    return new AuthError(this.code, this.message, { cause: this.cause, setCookies, ...(this.maxAge === undefined ? {} : { maxAge: this.maxAge }) });
  }
}

/** True for an AuthError from any copy of latchkey (ESM or CJS), checked by a global brand. */
export function isAuthError(value: unknown): value is AuthError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** Wraps a store failure as `store_unavailable`, passing AuthErrors through. */
export function toStoreError(error: unknown): AuthError {
  if (isAuthError(error)) return error;
  return new AuthError('store_unavailable', undefined, { cause: error });
}
