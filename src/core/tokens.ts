// The one file that signs and verifies JWTs; jose's errors are wrapped here and nowhere else.
import { decodeJwt, errors, jwtVerify, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { accessClaims, accessTokenVerifyOptions, assertCompactJWS, assertTokenInput, checkTokenTimes, keyForHeader, quote, refusedToken } from './access-claims.js';
import type { JWK } from './key-types.js';
import { AuthError } from './errors.js';
import { importKey, refreshKeyOf, sameKey, type KeyInput, type SigningKey } from './keys.js';
import { randomToken } from '../lib/crypto.js';
import type { ResolvedOptions, TokenOptions } from './option-types.js';
import { VerificationsInFlight, VerifiedTokens } from './token-cache.js';
import type { AccessTokenClaims, AppClaims } from './types.js';

/** A JWKS document: the public keys that verify access tokens. */
export interface JSONWebKeySet {
  keys: JWK[];
}

/** Claims latchkey owns; an app-claims hook may not set them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sid', 'typ', 'cnf', 'scope_internal', 'client_id', 'auth_time', 'amr']);

/** Signs and verifies access tokens with keys imported once; keeps a bounded verified-token cache. */
export class TokenService {
  readonly #config: TokenOptions;
  readonly #now: () => number;
  #keys: Promise<readonly SigningKey[]>;
  #byKid = new Map<string, SigningKey>();
  #algorithms: string[] = [];
  /** Bumped on every key-set change; a verification that straddles one is not cached. */
  #keyEpoch = 0;
  readonly #cache: VerifiedTokens | null;
  /**
   * Verifications under way, by token: a page that fires 30 calls with a token just issued costs one signature
   * check, not 30 (before it settles, every one of them misses the cache). Entries live only while a check runs.
   */
  readonly #inFlight = new VerificationsInFlight();

  constructor(config: TokenOptions, now: () => number) {
    this.#config = config;
    this.#now = now;
    this.#cache = config.cacheSize > 0 ? new VerifiedTokens(config.cacheSize) : null;
    this.#keys = this.#load(config.keys);
  }

  #load(inputs: readonly KeyInput[]): Promise<readonly SigningKey[]> {
    const loading = Promise.all(inputs.map((input) => importKey(input))).then((keys) => {
      const byKid = new Map<string, SigningKey>();
      for (const key of keys) {
        if (byKid.has(key.kid)) throw new TypeError(`latchkey: two keys share the kid "${key.kid}"; every key needs its own kid.`);
        byKid.set(key.kid, key);
      }
      if (!keys[0]!.signingKey) throw new TypeError('latchkey: keys[0] signs tokens, so it must be a private key or secret, not a public key.');
      this.#byKid = byKid;
      this.#algorithms = [...new Set(keys.map((k) => k.alg))];
      this.#keyEpoch++;
      this.#cache?.clear();
      return keys;
    });
    loading.catch(() => {}); // surfaced on first use, not as an unhandled rejection
    return loading;
  }

  /** Resolves once every configured key is imported; rejects with the import error. */
  ready(): Promise<readonly SigningKey[]> {
    return this.#keys;
  }

  /** Replaces the key set (rotation): the first key signs from now on; the verified-token cache is flushed. */
  async setKeys(inputs: readonly KeyInput[]): Promise<void> {
    if (!Array.isArray(inputs) || inputs.length === 0) throw new TypeError('latchkey: setKeys needs a non-empty array of keys.');
    const next = this.#load(inputs);
    await next;
    this.#keys = next;
  }

  /** The key that signs now. */
  async signingKey(): Promise<SigningKey> {
    return (await this.#keys)[0]!;
  }

  /**
   * The keys refresh secrets may be derived under, the one for new sessions first: the configured
   * `refreshToken.secret`, or one derived from each private key (a retired key's sessions stop refreshing).
   */
  async refreshKeys(): Promise<readonly Uint8Array[]> {
    if (this.#config.refreshSecret) return [this.#config.refreshSecret];
    const keys = await this.#keys;
    return keys.flatMap((key) => refreshKeyOf(key) ?? []);
  }

  /** Signs an access token for a session; returns it with its `exp` (seconds). */
  async sign(input: { userId: string; sessionId: string; claims: AppClaims; notAfter: number; authTime: number; amr?: readonly string[] }): Promise<{ token: string; exp: number }> {
    const key = await this.signingKey();
    const iat = Math.floor(this.#now() / 1000);
    const exp = Math.min(iat + Math.floor(this.#config.accessTtl / 1000), Math.floor(input.notAfter / 1000));
    // RFC 9068 section 2.2: client_id always; auth_time and amr as OIDC defines them; scope from the claims hook.
    const registered: JWTPayload = { sid: input.sessionId, client_id: this.#config.clientId, auth_time: Math.floor(input.authTime / 1000) };
    if (input.amr && input.amr.length > 0) registered.amr = [...input.amr];
    const token = await new SignJWT({ ...(input.claims as JWTPayload), ...registered })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.#config.issuer)
      .setAudience(this.#config.audience)
      .setSubject(input.userId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomToken(16))
      .sign(key.signingKey!);
    return { token, exp };
  }

  /** Verifies an access token: signature with the key its kid names, alg pinned from that key, typ, iss, aud, exp, nbf. */
  async verify(token: unknown): Promise<AccessTokenClaims> {
    return this.verifyNow(token);
  }

  /** `verify` without a promise for a token already verified (a cache hit); throws synchronously then. */
  verifyNow(token: unknown): AccessTokenClaims | Promise<AccessTokenClaims> {
    assertTokenInput(token);
    const nowMs = this.#now();
    // Only tokens that passed every check below are cached, so a hit skips the shape test.
    const cached = this.#cache?.get(token);
    if (cached) {
      this.#checkTimes(cached.exp, cached.nbf, nowMs);
      return cached.claims;
    }
    assertCompactJWS(token);
    return this.#verifyFresh(token, nowMs);
  }

  #verifyFresh(token: string, nowMs: number): Promise<AccessTokenClaims> {
    // a check that started a moment ago is joined: its outcome, with the times checked again as of now
    return this.#inFlight.join(
      token,
      () => this.#verifyAndCache(token, nowMs),
      (claims) => this.#checkTimes(claims.exp, typeof claims.nbf === 'number' ? claims.nbf : undefined, this.#now()),
    );
  }

  async #verifyAndCache(token: string, nowMs: number): Promise<AccessTokenClaims> {
    const epoch = this.#keyEpoch;
    const claims = await this.#verifyAt(token, nowMs);
    // A rotation while we verified flushed the cache; caching now would revive a retired key's token.
    if (epoch === this.#keyEpoch) this.#cache?.set(token, claims);
    return claims;
  }

  async #verifyAt(token: string, nowMs: number): Promise<AccessTokenClaims> {
    await this.#keys;
    let payload: JWTPayload;
    let used: SigningKey | undefined;
    try {
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => (used = this.#keyFor(header)).verifyKey, accessTokenVerifyOptions(this.#config, this.#algorithms, nowMs)));
    } catch (error) {
      throw refusedToken(error);
    }
    // setKeys may have retired the key while the signature was being checked: its tokens are refused at once.
    const current = used && this.#byKid.get(used.kid);
    if (!used || !current || !sameKey(used, current)) {
      throw new AuthError('token_invalid', undefined, { cause: new errors.JWKSNoMatchingKey(`the key with kid ${quote(used?.kid)} was removed by setKeys while the token was being verified`) });
    }
    return accessClaims(payload, undefined);
  }

  /**
   * Verifies an access token as of the moment it was issued: a genuine but expired token still names its
   * session. Used only to end that session at sign-out, never to authenticate.
   */
  async verifyIgnoringExpiry(token: string): Promise<AccessTokenClaims> {
    try {
      return await this.verify(token);
    } catch (error) {
      if ((error as AuthError).code !== 'token_expired') throw error;
    }
    let iat: number;
    try {
      const claims = decodeJwt(token);
      if (typeof claims.iat !== 'number') throw new AuthError('token_invalid');
      iat = claims.iat;
    } catch (error) {
      throw new AuthError('token_invalid', undefined, { cause: error });
    }
    return this.#verifyAt(token, iat * 1000);
  }

  #keyFor(header: JWTHeaderParameters): SigningKey {
    return keyForHeader(header, typeof header.kid === 'string' ? this.#byKid.get(header.kid) : undefined, 'no configured key');
  }

  #checkTimes(exp: number, nbf: number | undefined, nowMs: number): void {
    checkTokenTimes(exp, nbf, nowMs, this.#config.clockTolerance);
  }

  /** The public JWKS of the current key set (HS256 secrets are never published). */
  async jwks(): Promise<JSONWebKeySet> {
    const keys = await this.#keys;
    return { keys: keys.flatMap((k) => (k.publicJwk ? [{ ...k.publicJwk }] : [])) };
  }
}
