import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, parseDuration, type AuthOptions } from '../src/entries/index.js';
import { AUDIENCE, ISSUER } from './support/core.js';

const secret = new TextEncoder().encode('a'.repeat(32));
const tokenOptions = { keys: [secret], issuer: ISSUER, audience: AUDIENCE };

function refused(options: unknown): string {
  try {
    createAuth(options as AuthOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
  throw new Error('createAuth accepted the options');
}

describe('createAuth option validation', () => {
  it('accepts no options at all (cookie sessions only)', () => {
    expect(() => createAuth()).not.toThrow();
  });

  it('refuses an HS256 secret shorter than 32 bytes and says how to make one', () => {
    const message = refused({ ...tokenOptions, keys: [new TextEncoder().encode('too-short-secret')] });
    expect(message).toMatch(/keys\[0\].*at least 32 bytes \(got 16\)/);
    expect(message).toMatch(/generateKey\('HS256'\)/);
    expect(message).not.toContain('too-short-secret');
  });

  it('refuses a short secret given as bytes or as an oct JWK', () => {
    expect(refused({ ...tokenOptions, keys: [new Uint8Array(16)] })).toMatch(/at least 32 bytes/);
    expect(refused({ ...tokenOptions, keys: [{ kty: 'oct', k: Buffer.alloc(8).toString('base64url') }] })).toMatch(/at least 32 bytes/);
  });

  it('refuses a JWK declaring alg none', () => {
    const jwk = { kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url'), alg: 'none' };
    expect(refused({ ...tokenOptions, keys: [jwk] })).toMatch(/alg "none" is refused/);
  });

  it('refuses a JWK whose declared alg does not match its key material', () => {
    const jwk = { kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url'), alg: 'RS256' };
    expect(refused({ ...tokenOptions, keys: [jwk] })).toMatch(/HS256 material but declares alg "RS256"/);
  });

  it("refuses sameSite 'none' without secure and explains why", () => {
    const message = refused({ cookies: { sameSite: 'none', secure: false } });
    expect(message).toMatch(/sameSite 'none' requires cookies\.secure/);
  });

  it('refuses keys without an issuer, naming the option to set', () => {
    expect(refused({ keys: [secret], audience: AUDIENCE })).toMatch(/issuer is required when keys are given.*issuer: 'https:/);
  });

  it('refuses keys without an audience, naming the option to set', () => {
    expect(refused({ keys: [secret], issuer: ISSUER })).toMatch(/audience is required when keys are given.*audience: 'web'/);
    expect(refused({ keys: [secret], issuer: ISSUER, audience: [] })).toMatch(/audience is required/);
  });

  it('refuses issuer/audience without keys and says to pass keys', () => {
    expect(refused({ issuer: ISSUER, audience: AUDIENCE })).toMatch(/keys are missing: pass keys: \[await generateKey/);
  });

  it('refuses an empty keys array', () => {
    expect(refused({ ...tokenOptions, keys: [] })).toMatch(/keys must be a non-empty array/);
  });

  it("refuses a wildcard in csrf.trustedOrigins and asks for each origin", () => {
    expect(refused({ csrf: { trustedOrigins: ['*'] } })).toMatch(/cannot contain a wildcard.*'https:\/\/app\.example\.com'/);
    expect(refused({ csrf: { trustedOrigins: ['https://*.example.com'] } })).toMatch(/wildcard/);
  });

  it("refuses trustedOrigins given as a string (even '*') with a clear message, not a crash", () => {
    expect(refused({ csrf: { trustedOrigins: '*' } })).toMatch(/^latchkey: csrf\.trustedOrigins/);
    expect(refused({ csrf: { trustedOrigins: 'https://app.example.com' } })).toMatch(/csrf\.trustedOrigins must be an array/);
  });

  it('refuses a trusted origin with a path and suggests the bare origin', () => {
    expect(refused({ csrf: { trustedOrigins: ['https://app.example.com/login'] } })).toMatch(/bare origin.*'https:\/\/app\.example\.com'/);
  });

  it('refuses unknown option names at every level, listing the accepted ones', () => {
    expect(refused({ secret: 'x' })).toMatch(/unknown option options\.secret; expected one of keys, issuer/);
    expect(refused({ session: { idle: '5m' } })).toMatch(/unknown option session\.idle; expected one of idleTimeout, absoluteTimeout, touchEvery/);
    expect(refused({ ...tokenOptions, accessToken: { expiresIn: '5m' } })).toMatch(/unknown option accessToken\.expiresIn/);
    expect(refused({ ...tokenOptions, refreshToken: { lifetime: '5m' } })).toMatch(/unknown option refreshToken\.lifetime/);
    expect(refused({ cookies: { httpOnly: false } })).toMatch(/unknown option cookies\.httpOnly/);
    expect(refused({ csrf: { origins: [] } })).toMatch(/unknown option csrf\.origins/);
  });

  it('refuses bad durations, naming the option and showing the accepted forms', () => {
    expect(refused({ session: { idleTimeout: '30 minutes' } })).toMatch(/session\.idleTimeout must be a duration such as '15m', '10s' or a number of seconds \(got "30 minutes"\)/);
    expect(refused({ session: { absoluteTimeout: -1 } })).toMatch(/session\.absoluteTimeout must be a duration/);
    expect(refused({ ...tokenOptions, accessToken: { ttl: Number.NaN } })).toMatch(/accessToken\.ttl must be a duration/);
    expect(refused({ ...tokenOptions, accessToken: { ttl: 0 } })).toMatch(/accessToken\.ttl must be greater than zero/);
    expect(refused({ ...tokenOptions, refreshToken: { reuseGrace: '10 sec' } })).toMatch(/refreshToken\.reuseGrace must be a duration/);
    expect(refused({ ...tokenOptions, accessToken: { clockTolerance: 'soon' } })).toMatch(/accessToken\.clockTolerance must be a duration/);
  });

  it('refuses timeouts that contradict each other', () => {
    expect(refused({ session: { idleTimeout: '2d', absoluteTimeout: '1d' } })).toMatch(/idleTimeout cannot be longer than session\.absoluteTimeout/);
    expect(refused({ session: { idleTimeout: '1m', touchEvery: '1m' } })).toMatch(/touchEvery must be shorter than session\.idleTimeout/);
    expect(refused({ ...tokenOptions, accessToken: { ttl: '1h' }, refreshToken: { ttl: '10m' } })).toMatch(/refreshToken\.ttl must be at least accessToken\.ttl/);
  });

  it('refuses a cookie name with a __ prefix or illegal characters', () => {
    expect(refused({ cookies: { name: '__Host-app' } })).toMatch(/cookies\.name must be a plain cookie token without a __ prefix/);
    expect(refused({ cookies: { name: 'my app' } })).toMatch(/cookies\.name/);
  });

  it('refuses a refresh path that is not absolute', () => {
    expect(refused({ ...tokenOptions, refreshToken: { path: 'auth/refresh' } })).toMatch(/refreshToken\.path must be an absolute path/);
  });

  it('refuses a short refreshToken.secret', () => {
    expect(refused({ ...tokenOptions, refreshToken: { secret: 'short' } })).toMatch(/refreshToken\.secret must be at least 32 bytes/);
  });

  it('refuses a store missing a required method, naming it', () => {
    expect(refused({ store: { get: async () => null } })).toMatch(/store\.create is missing/);
  });

  it('never puts the secret it refused into the message', () => {
    const leaked = 'hunter2-hunter2-hunter2';
    expect(refused({ ...tokenOptions, keys: [leaked] })).not.toContain(leaked);
  });

  it('accepts generated keys of every algorithm', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256', 'HS256'] as const) {
      const auth = createAuth({ keys: [await generateKey(alg)], issuer: ISSUER, audience: AUDIENCE });
      await expect(auth.ready()).resolves.toBeUndefined();
    }
  });
});

describe('parseDuration', () => {
  it('reads seconds as numbers and unit strings as milliseconds', () => {
    expect(parseDuration(90, 'x')).toBe(90_000);
    expect(parseDuration('500ms', 'x')).toBe(500);
    expect(parseDuration('10s', 'x')).toBe(10_000);
    expect(parseDuration('15m', 'x')).toBe(900_000);
    expect(parseDuration('1.5h', 'x')).toBe(5_400_000);
    expect(parseDuration('30d', 'x')).toBe(30 * 86_400_000);
    expect(parseDuration('1w', 'x')).toBe(604_800_000);
  });

  it('refuses negative, infinite and unitless strings', () => {
    for (const bad of [-1, Number.POSITIVE_INFINITY, '10', '-5s', '5y', '', null, {}]) {
      expect(() => parseDuration(bad, 'my.option')).toThrow(/my\.option must be a duration/);
    }
  });
});
