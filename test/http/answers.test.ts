import { describe, expect, it } from 'vitest';
import { AuthError, createAuth, type AuthContext } from '../../src/entries/index.js';
import { errorResponse, requireAuthOptions, requireContext, type RequireAuthOptions } from '../../src/entries/adapter.js';

const ctx: AuthContext = { via: 'cookie', userId: 'u1', sessionId: 's1', data: { role: 'user' }, authTime: 1 };

describe('errorResponse', () => {
  it('answers credentials_missing with a bare RFC 6750 Bearer challenge', () => {
    const response = errorResponse(new AuthError('credentials_missing'));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="latchkey"');
    expect(response.body).toEqual({ error: 'credentials_missing' });
  });

  it.each(['token_invalid', 'token_expired', 'session_invalid', 'session_expired', 'refresh_reused'] as const)('answers %s with 401 and error="invalid_token"', (code) => {
    const response = errorResponse(new AuthError(code));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(`Bearer realm="latchkey", error="invalid_token", error_description="${code}"`);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({ error: code });
  });

  it('answers forbidden with 403 and error="insufficient_scope"', () => {
    const response = errorResponse(new AuthError('forbidden'));
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="latchkey", error="insufficient_scope"');
  });

  it('answers csrf_rejected with 403 and no challenge', () => {
    const response = errorResponse(new AuthError('csrf_rejected'));
    expect(response.status).toBe(403);
    expect(response.headers).not.toHaveProperty('www-authenticate');
  });

  it('answers store_unavailable with 503 and Retry-After, without leaking the cause', () => {
    const response = errorResponse(new AuthError('store_unavailable', undefined, { cause: new Error('ECONNREFUSED 10.0.0.5:6379') }));
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.headers).not.toHaveProperty('www-authenticate');
    expect(JSON.stringify(response)).not.toContain('ECONNREFUSED');
  });

  it('passes the error Set-Cookie lines through', () => {
    const response = errorResponse(new AuthError('session_invalid').withCookies(['x=; Max-Age=0']));
    expect(response.setCookies).toEqual(['x=; Max-Age=0']);
  });
});

describe('requireContext', () => {
  it('returns the context when present and the check passes', async () => {
    await expect(requireContext({ auth: ctx, error: null })).resolves.toBe(ctx);
    await expect(requireContext({ auth: ctx, error: null }, { check: (a) => a.userId === 'u1' })).resolves.toBe(ctx);
  });

  it('throws credentials_missing when nothing was presented', async () => {
    await expect(requireContext({ auth: null, error: null })).rejects.toMatchObject({ code: 'credentials_missing', status: 401 });
  });

  it('throws the refused credential error when one was presented', async () => {
    await expect(requireContext({ auth: null, error: new AuthError('token_expired') })).rejects.toMatchObject({ code: 'token_expired' });
  });

  it('throws forbidden when the check says no (sync or async)', async () => {
    await expect(requireContext({ auth: ctx, error: null }, { check: () => false })).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    await expect(requireContext({ auth: ctx, error: null }, { check: async () => false })).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('requireAuthOptions', () => {
  it('refuses a check that is not a function when the middleware is created, with a message that says what to pass', () => {
    expect(() => requireAuthOptions({ check: 'admin' as unknown as () => boolean })).toThrow(/check to be a function/);
    expect(() => requireAuthOptions(null as unknown as RequireAuthOptions)).toThrow(/options object/);
    const check = (): boolean => true;
    expect(requireAuthOptions({ check }).check).toBe(check);
    expect(requireAuthOptions()).toEqual({});
  });

  it('makes every adapter refuse a bad check at requireAuth() time, not on the first request', async () => {
    const auth = createAuth();
    const { latchkey: express } = await import('../../src/entries/express.js');
    const { latchkey: koa } = await import('../../src/entries/koa.js');
    const bad = { check: 42 } as unknown as RequireAuthOptions;
    expect(() => express(auth).requireAuth(bad)).toThrow(TypeError);
    expect(() => koa(auth).requireAuth(bad)).toThrow(TypeError);
  });
});
