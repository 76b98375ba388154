// The verified-token cache: access tokens that passed every check, kept with their claims so that a
// token seen again costs a lookup and the exp/nbf check instead of a signature verification.
import { LRU } from '../lib/lru.js';
import type { AccessTokenClaims } from './types.js';

/** A verified token's claims, with the times every hit checks again. */
export interface CachedToken {
  /** The token's header and payload: a hit is a signature match and this equal to the presented one's. */
  signingInput: string;
  claims: AccessTokenClaims;
  exp: number;
  nbf: number | undefined;
}

/**
 * The cache's key is the token's signature segment. V8 hashes a Map key over all its characters, and an access
 * token is 400-odd fresh characters on each request: hashing the whole of it was 80% of a cached bearer check,
 * and the signature is a fifth of the token. A key match means the presenter holds a whole valid signature; the
 * entry then also needs the signing input (header and payload, which a JWT does not keep confidential) to be
 * equal, so a token is a hit only when all of it is the token that was verified.
 */
function splitForCache(token: string): { signature: string; signingInput: string } {
  const dot = token.lastIndexOf('.');
  return { signature: token.slice(dot + 1), signingInput: token.slice(0, Math.max(dot, 0)) };
}

/** A bounded cache of verified access tokens. Only tokens that passed every check go in. */
export class VerifiedTokens {
  readonly #entries: LRU<string, CachedToken>;

  constructor(size: number) {
    this.#entries = new LRU(size);
  }

  /**
   * The entry of exactly this token, if it was verified before. `peek` keeps insertion order: the oldest
   * entry expires first anyway, and a hit costs one Map lookup.
   */
  get(token: string): CachedToken | undefined {
    const { signature, signingInput } = splitForCache(token);
    const cached = this.#entries.peek(signature);
    return cached !== undefined && cached.signingInput === signingInput ? cached : undefined;
  }

  /** Remembers a token that passed every check, with its claims. */
  set(token: string, claims: AccessTokenClaims): void {
    const { signature, signingInput } = splitForCache(token);
    this.#entries.set(signature, { signingInput, claims, exp: claims.exp, nbf: typeof claims.nbf === 'number' ? claims.nbf : undefined });
  }

  /** Forgets every token (a key-set change). */
  clear(): void {
    this.#entries.clear();
  }
}

/** Checks of new tokens under way: a request presenting a token whose check is running joins it (one signature check). */
export class VerificationsInFlight {
  readonly #running = new Map<string, Promise<AccessTokenClaims>>();

  /** The check of `token` under way, joined (`recheck` then checks its times again as of now), or a new one `start` begins. */
  join(token: string, start: () => Promise<AccessTokenClaims>, recheck: (claims: AccessTokenClaims) => void): Promise<AccessTokenClaims> {
    const running = this.#running.get(token);
    if (running) {
      return running.then((claims) => {
        recheck(claims);
        return claims;
      });
    }
    const verifying = start();
    this.#running.set(token, verifying);
    const done = (): void => void this.#running.delete(token);
    verifying.then(done, done);
    return verifying;
  }
}
