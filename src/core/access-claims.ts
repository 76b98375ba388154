// The access-token rules, written once for the core (src/core/tokens.ts, TokenService) and latchkey/verify
// (src/verify/token.ts, TokenCheck), which differ only in where their keys come from. Node-free.
//   - at most 8192 characters and compact JWS shape, before any parsing;
//   - jose's jwtVerify: `typ` at+jwt (RFC 9068), `crit` refused unless known, iss, aud, exp and nbf with the clock
//     tolerance, sub/sid/iat/exp/jti required; the key is the one the kid names and its algorithm is the key's,
//     never the token's (`none` is no key's);
//   - sid and sub strings, exp a number; with a `clientId`, `client_id` must match;
//   - a cached token has exp and nbf checked again at every use.
import { errors, type JWTHeaderParameters, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { AuthError, isAuthError } from './errors.js';
import type { AccessTokenClaims } from './types.js';

/** Longest access token accepted; larger input is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;
/** Access tokens are compact JWS: three base64url parts. Anything else never reaches jose. */
const COMPACT_JWS = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}$/;
const REQUIRED_CLAIMS = ['sub', 'sid', 'iat', 'exp', 'jti'];

/** What the claim rules need to know: the expected issuer and audience, and the clock tolerance in milliseconds. */
export interface ClaimRules {
  issuer: string;
  audience: string | string[];
  clockTolerance: number;
}

/**
 * Throws `token_invalid` for anything that is not a string of at most MAX_TOKEN_LENGTH characters.
 * @example
 * assertTokenInput(token); // token is a string from here on
 */
export function assertTokenInput(token: unknown): asserts token is string {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new AuthError('token_invalid');
}

/**
 * Throws `token_invalid` for a token that is not compact JWS (checked before any parsing).
 * @example
 * assertCompactJWS('a.b.c'); // throws: each part has at least two characters
 */
export function assertCompactJWS(token: string): void {
  if (!COMPACT_JWS.test(token)) throw new AuthError('token_invalid');
}

/**
 * jose's verify options for an access token as of `nowMs`, over the `algorithms` the keys allow.
 * @example
 * await jwtVerify(token, getKey, accessTokenVerifyOptions(rules, algorithms, Date.now()));
 */
export function accessTokenVerifyOptions(rules: ClaimRules, algorithms: string[], nowMs: number): JWTVerifyOptions {
  return {
    algorithms,
    issuer: rules.issuer,
    audience: rules.audience,
    typ: 'at+jwt',
    clockTolerance: rules.clockTolerance / 1000,
    currentDate: new Date(nowMs),
    requiredClaims: REQUIRED_CLAIMS,
  };
}

/**
 * The AuthError for what jwtVerify threw: `token_expired` for an expired token, `token_invalid` for anything else
 * (an AuthError from the key lookup, such as `store_unavailable`, is kept).
 * @example
 * try { ... } catch (error) { throw refusedToken(error) }
 */
export function refusedToken(error: unknown): AuthError {
  if (isAuthError(error)) return error;
  if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') return new AuthError('token_expired', undefined, { cause: error });
  return new AuthError('token_invalid', undefined, { cause: error });
}

/**
 * The verified payload as access-token claims, after the checks jose does not make: `sid` and `sub` strings, `exp`
 * a number, and `client_id` equal to `clientId` when one is expected.
 * @example
 * const claims = accessClaims(payload, undefined);
 */
export function accessClaims(payload: JWTPayload, clientId: string | undefined): AccessTokenClaims {
  if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw new AuthError('token_invalid');
  if (clientId !== undefined && payload.client_id !== clientId) {
    throw new AuthError('token_invalid', undefined, { cause: new errors.JWTClaimValidationFailed('unexpected "client_id" claim value', payload, 'client_id', 'check_failed') });
  }
  return Object.freeze(payload) as unknown as AccessTokenClaims;
}

/**
 * Checks a cached token's times again as of `nowMs`: `token_expired` past exp, `token_invalid` before nbf.
 * @example
 * checkTokenTimes(cached.exp, cached.nbf, now(), rules.clockTolerance);
 */
export function checkTokenTimes(exp: number, nbf: number | undefined, nowMs: number, clockTolerance: number): void {
  if (nowMs - clockTolerance >= exp * 1000) throw new AuthError('token_expired');
  if (nbf !== undefined && nowMs + clockTolerance < nbf * 1000) throw new AuthError('token_invalid');
}

/**
 * A header value for a diagnostic message: JSON-quoted and cut to 64 characters (a kid or alg is public, never secret).
 * @example
 * quote(header.kid); // '"prod-1"'
 */
export function quote(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

/**
 * The key a token's kid named, once its algorithm is the token's: the algorithm comes from the key, never from the
 * token, so a kid naming an EdDSA key verifies only EdDSA. `missing` says where the kid was looked up.
 * @example
 * const key = keyForHeader(header, byKid.get(header.kid), 'no configured key');
 */
export function keyForHeader<Key extends { kid: string; alg: string }>(header: JWTHeaderParameters, key: Key | undefined, missing: string): Key {
  if (!key) throw new errors.JWKSNoMatchingKey(`${missing} has the kid ${quote(header.kid)}`);
  if (header.alg !== key.alg) throw new errors.JOSEAlgNotAllowed(`the key with kid ${quote(key.kid)} verifies ${key.alg}, not ${quote(header.alg)}`);
  return key;
}
