// The access-token check of latchkey/verify: the core's rules (src/core/access-claims.ts, which TokenService uses
// too) over keys that come from a JWKS instead of createAuth; test/verify/parity.test.ts runs both on the same tokens.
//   - a key retired while the signature was checked refuses the token;
//   - verified tokens are cached (src/core/token-cache.ts, shared with the core) and a hit checks exp/nbf again;
//     a token presented by many requests at once is checked once.
import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { accessClaims, accessTokenVerifyOptions, assertCompactJWS, assertTokenInput, checkTokenTimes, keyForHeader, quote, refusedToken } from '../core/access-claims.js';
import { AuthError } from '../core/errors.js';
import { VerificationsInFlight, VerifiedTokens } from '../core/token-cache.js';
import type { AccessTokenClaims } from '../core/types.js';
import type { KeySet } from './key-set.js';
import { PINNED_ALGORITHMS, type PinnedKey } from './jwk.js';

const ALGORITHMS = [...PINNED_ALGORITHMS];

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
    assertTokenInput(token);
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
    assertCompactJWS(token);
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
      ({ payload } = await jwtVerify(token, async (header: JWTHeaderParameters) => (used = await this.#keyFor(header)).key, accessTokenVerifyOptions(rules, ALGORITHMS, nowMs)));
    } catch (error) {
      throw refusedToken(error); // an AuthError from the key set (it could not be loaded: store_unavailable) is kept
    }
    // a JWKS refresh may have retired the key while the signature was being checked: its tokens are refused at once
    if (!used || !this.#keys.isCurrent(used)) {
      throw new AuthError('token_invalid', undefined, { cause: new errors.JWKSNoMatchingKey(`the key with kid ${quote(used?.kid)} was retired while the token was being verified`) });
    }
    return accessClaims(payload, rules.clientId);
  }

  async #keyFor(header: JWTHeaderParameters): Promise<PinnedKey> {
    return keyForHeader(header, await this.#keys.keyFor(header.kid), 'no key');
  }

  #checkTimes(exp: number, nbf: number | undefined, nowMs: number): void {
    checkTokenTimes(exp, nbf, nowMs, this.#rules.clockTolerance);
  }
}
