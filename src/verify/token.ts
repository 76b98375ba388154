// The access-token check of latchkey/verify: the core's bearer check (src/tokens.ts, TokenService.verifyNow) rule
// for rule, over keys that come from a JWKS instead of createAuth. The core's file imports node:crypto through its
// key handling, so the rules are restated here; test/verify/parity.test.ts runs both on the same tokens.
//   - at most 8192 characters, compact JWS shape, before any parsing;
//   - jose's jwtVerify: `typ` at+jwt (RFC 9068), `crit` refused unless known, iss, aud, exp and nbf with the clock
//     tolerance, sub/sid/iat/exp/jti required; the key is the one the kid names and its algorithm is the key's,
//     never the token's (`none` is no key's);
//   - a key retired while the signature was checked refuses the token; with `clientId`, `client_id` must match;
//   - verified tokens are cached (src/token-cache.ts, shared with the core) and a hit checks exp/nbf again;
//     a token presented by many requests at once is checked once.
import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { AuthError, isAuthError } from '../core/errors.js';
import { checkTokenTimes, VerificationsInFlight, VerifiedTokens } from '../core/token-cache.js';
import type { AccessTokenClaims } from '../core/types.js';
import type { KeySet } from './key-set.js';
import { PINNED_ALGORITHMS, type PinnedKey } from './jwk.js';

/** Longest access token accepted, as in the core; larger input is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;
/** Access tokens are compact JWS: three base64url parts. Anything else never reaches jose. */
const COMPACT_JWS = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}$/;
const REQUIRED_CLAIMS = ['sub', 'sid', 'iat', 'exp', 'jti'];

/** What the token check needs to know, validated by the options. */
export interface TokenRules {
  issuer: string;
  audience: string | string[];
  /** Milliseconds. */
  clockTolerance: number;
  clientId: string | undefined;
  cacheSize: number;
  now: () => number;
}

/** A header value for a diagnostic message: JSON-quoted and cut to 64 characters (a kid or alg is public). */
function quote(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

/** Verifies access tokens against a key set, with the core's verified-token cache. */
export class TokenCheck {
  readonly #rules: TokenRules;
  readonly #keys: KeySet;
  readonly #cache: VerifiedTokens | null;
  /** The key set's epoch the cache was filled under; a change flushes it. */
  #epoch: number;
  readonly #inFlight = new VerificationsInFlight();

  constructor(rules: TokenRules, keys: KeySet) {
    this.#rules = rules;
    this.#keys = keys;
    this.#cache = rules.cacheSize > 0 ? new VerifiedTokens(rules.cacheSize) : null;
    this.#epoch = keys.epoch;
  }

  /** The verified claims, without a promise for a token verified before (a cache hit); throws AuthError synchronously then. */
  verifyNow(token: unknown): AccessTokenClaims | Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new AuthError('token_invalid');
    const nowMs = this.#rules.now();
    if (this.#cache && this.#keys.epoch !== this.#epoch) {
      this.#cache.clear();
      this.#epoch = this.#keys.epoch;
    }
    // a hit stands only while the key set is within its max age: past it, the full check refreshes the keys
    const cached = this.#cache?.get(token);
    if (cached && this.#keys.isFresh(nowMs)) {
      this.#checkTimes(cached.exp, cached.nbf, nowMs);
      return cached.claims;
    }
    if (!COMPACT_JWS.test(token)) throw new AuthError('token_invalid');
    // a check that started a moment ago is joined: its outcome, with the times checked again as of now
    return this.#inFlight.join(
      token,
      () => this.#verifyAndCache(token, nowMs),
      (claims) => this.#checkTimes(claims.exp, typeof claims.nbf === 'number' ? claims.nbf : undefined, this.#rules.now()),
    );
  }

  async #verifyAndCache(token: string, nowMs: number): Promise<AccessTokenClaims> {
    const epoch = this.#keys.epoch;
    const claims = await this.#verifyAt(token, nowMs);
    // a key-set change while we verified flushes the cache; caching now could revive a retired key's token
    if (epoch === this.#keys.epoch && epoch === this.#epoch) this.#cache?.set(token, claims);
    return claims;
  }

  async #verifyAt(token: string, nowMs: number): Promise<AccessTokenClaims> {
    const rules = this.#rules;
    await this.#keys.ready(); // outside the try: a bad configured key is the app's error, not a refused token
    let payload: JWTPayload;
    let used: PinnedKey | undefined;
    try {
      ({ payload } = await jwtVerify(token, async (header: JWTHeaderParameters) => (used = await this.#keyFor(header)).key, {
        algorithms: [...PINNED_ALGORITHMS],
        issuer: rules.issuer,
        audience: rules.audience,
        typ: 'at+jwt',
        clockTolerance: rules.clockTolerance / 1000,
        currentDate: new Date(nowMs),
        requiredClaims: REQUIRED_CLAIMS,
      }));
    } catch (error) {
      if (isAuthError(error)) throw error; // the key set could not be loaded: store_unavailable
      if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') throw new AuthError('token_expired', undefined, { cause: error });
      throw new AuthError('token_invalid', undefined, { cause: error });
    }
    // a JWKS refresh may have retired the key while the signature was being checked: its tokens are refused at once
    if (!used || !this.#keys.isCurrent(used)) {
      throw new AuthError('token_invalid', undefined, { cause: new errors.JWKSNoMatchingKey(`the key with kid ${quote(used?.kid)} was retired while the token was being verified`) });
    }
    if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw new AuthError('token_invalid');
    if (rules.clientId !== undefined && payload.client_id !== rules.clientId) {
      throw new AuthError('token_invalid', undefined, { cause: new errors.JWTClaimValidationFailed('unexpected "client_id" claim value', payload, 'client_id', 'check_failed') });
    }
    return Object.freeze(payload) as unknown as AccessTokenClaims;
  }

  async #keyFor(header: JWTHeaderParameters): Promise<PinnedKey> {
    const key = await this.#keys.keyFor(header.kid);
    if (!key) throw new errors.JWKSNoMatchingKey(`no key has the kid ${quote(header.kid)}`);
    // the algorithm comes from our key, never from the token: a kid naming an EdDSA key verifies only EdDSA
    if (header.alg !== key.alg) throw new errors.JOSEAlgNotAllowed(`the key with kid ${quote(key.kid)} verifies ${key.alg}, not ${quote(header.alg)}`);
    return key;
  }

  #checkTimes(exp: number, nbf: number | undefined, nowMs: number): void {
    checkTokenTimes(exp, nbf, nowMs, this.#rules.clockTolerance);
  }
}
