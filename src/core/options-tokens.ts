// Validation of the token options of createAuth (keys, issuer, audience, accessToken, refreshToken).
import { parseDuration } from './duration.js';
import { fail, positive } from './option-kit.js';
import { checkKeyInput, isVerifyOnlyKey } from './keys.js';
import type { AuthOptions, ResolvedOptions } from './option-types.js';

/** Validates the token options; `null` when the Auth issues no tokens (no keys). */
export function resolveTokens(options: AuthOptions): ResolvedOptions['tokens'] {
  const { keys, accessToken = {}, refreshToken = {} } = options;
  if (keys === undefined) {
    if (options.issuer !== undefined || options.audience !== undefined || options.accessToken !== undefined) {
      fail('issuer/audience/accessToken are set but keys are missing: pass keys: [await generateKey(\'Ed25519\')] to issue access tokens.');
    }
    return null;
  }
  if (!Array.isArray(keys) || keys.length === 0) fail("keys must be a non-empty array, e.g. keys: [await generateKey('Ed25519')]; the first key signs, all verify.");
  keys.forEach((key, i) => checkKeyInput(key, `keys[${i}]`));
  if (isVerifyOnlyKey(keys[0]!)) fail('keys[0] signs tokens, so it must be a private key or a secret; put public (verify-only) keys after it.');
  if (typeof options.issuer !== 'string' || options.issuer === '') fail("issuer is required when keys are given (tokens are issued), e.g. issuer: 'https://api.example.com'.");
  const audience = options.audience;
  const audiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience : [];
  if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) {
    fail("audience is required when keys are given (tokens are issued), e.g. audience: 'web'.");
  }
  if (accessToken.claims !== undefined && typeof accessToken.claims !== 'function') fail('accessToken.claims must be a function (session) => claims.');
  if (accessToken.checkSession !== undefined && typeof accessToken.checkSession !== 'boolean') fail('accessToken.checkSession must be true or false.');
  const clientId = accessToken.clientId ?? audiences[0]!;
  if (typeof clientId !== 'string' || clientId === '') fail("accessToken.clientId must be a non-empty string naming the client the tokens are for (RFC 9068 client_id), e.g. clientId: 'web-app'.");
  const cacheSize = accessToken.cacheSize ?? 10_000;
  if (!Number.isInteger(cacheSize) || cacheSize < 0) fail('accessToken.cacheSize must be a whole number of entries (0 turns the cache off).');
  let refreshSecret: Uint8Array | undefined;
  if (refreshToken.secret !== undefined) {
    refreshSecret = typeof refreshToken.secret === 'string' ? new TextEncoder().encode(refreshToken.secret) : refreshToken.secret;
    if (!(refreshSecret instanceof Uint8Array) || refreshSecret.byteLength < 32) fail('refreshToken.secret must be at least 32 bytes of random data.');
  }
  const accessTtl = positive(accessToken.ttl, '15m', 'accessToken.ttl');
  const refreshTtl = positive(refreshToken.ttl, '30d', 'refreshToken.ttl');
  if (refreshTtl < accessTtl) fail('refreshToken.ttl must be at least accessToken.ttl.');
  return {
    keys,
    issuer: options.issuer,
    audience: typeof audience === 'string' ? audience : [...audiences],
    accessTtl,
    clockTolerance: parseDuration(accessToken.clockTolerance ?? '5s', 'accessToken.clockTolerance'),
    clientId,
    checkSession: accessToken.checkSession ?? false,
    claims: accessToken.claims,
    cacheSize,
    refreshTtl,
    reuseGrace: parseDuration(refreshToken.reuseGrace ?? '10s', 'refreshToken.reuseGrace'),
    refreshSecret,
    maxRevocationDelay: positive(accessToken.maxRevocationDelay, '2s', 'accessToken.maxRevocationDelay'),
  };
}
