import { describe, expect, it } from 'vitest';
import { AuthError, ERROR_STATUS, isAuthError, type AuthErrorCode } from '../src/entries/index.js';

describe('AuthError', () => {
  it('maps every code to the status DESIGN.md gives it', () => {
    expect(ERROR_STATUS).toEqual({
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
    });
  });

  it('carries code, status, statusCode, expose and a default message for every code', () => {
    for (const code of Object.keys(ERROR_STATUS) as AuthErrorCode[]) {
      const error = new AuthError(code);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('AuthError');
      expect(error.code).toBe(code);
      expect(error.status).toBe(ERROR_STATUS[code]);
      expect(error.statusCode).toBe(ERROR_STATUS[code]);
      expect(error.expose).toBe(ERROR_STATUS[code] < 500);
      expect(error.message.length).toBeGreaterThan(0);
      expect(error.setCookies).toEqual([]);
    }
  });

  it('keeps the cause and can carry Set-Cookie lines', () => {
    const cause = new Error('redis down');
    const error = new AuthError('store_unavailable', undefined, { cause });
    expect(error.cause).toBe(cause);
    const withCookies = new AuthError('session_invalid').withCookies(['a=; Max-Age=0']);
    expect(withCookies).toMatchObject({ code: 'session_invalid', setCookies: ['a=; Max-Age=0'] });
  });

  it('isAuthError recognises errors from another copy of latchkey by the global brand, and nothing else', () => {
    expect(isAuthError(new AuthError('forbidden'))).toBe(true);
    const foreign = Object.assign(new Error('x'), { [Symbol.for('latchkey.error')]: true, code: 'forbidden' });
    expect(isAuthError(foreign)).toBe(true);
    for (const value of [new Error('x'), { code: 'forbidden', status: 403 }, null, undefined, 'AuthError', 42]) {
      expect(isAuthError(value)).toBe(false);
    }
  });

  it('narrows on code in a switch', () => {
    const describe = (error: AuthError): string => {
      switch (error.code) {
        case 'store_unavailable':
          return 'retry';
        case 'csrf_rejected':
        case 'forbidden':
          return 'deny';
        default:
          return 'login';
      }
    };
    expect(describe(new AuthError('store_unavailable'))).toBe('retry');
    expect(describe(new AuthError('forbidden'))).toBe('deny');
    expect(describe(new AuthError('token_expired'))).toBe('login');
  });
});
