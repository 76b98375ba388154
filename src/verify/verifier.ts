// createVerifier: a resource server's check of latchkey access tokens, with Web APIs only (fetch, Web Crypto,
// Headers), so it runs where the core cannot: Cloudflare Workers, Next.js middleware, Deno, Bun.
import type { Duration } from '../core/duration.js';
import { AuthError } from '../core/errors.js';
import { assertFresh, parseMaxAge, type MaxAge } from '../core/freshness.js';
import type { AccessTokenClaims } from '../core/types.js';
import { bearerOf, type VerifierRequest } from './bearer.js';
import { remoteKeySet, staticKeySet } from './key-set.js';
import { resolveVerifierOptions, type VerifierOptions } from './options.js';
import { createRevocationCheck } from './revocation.js';
import { TokenCheck } from './token.js';

/** Per-call options of `verify` and `verifyToken`. */
export interface VerifyOptions {
  /** Step-up for this call (overrides `createVerifier({ maxAge })`): a sign-in older than this is refused with `reauthentication_required`. */
  maxAge?: Duration;
}

/** A resource server's verifier of latchkey access tokens. */
export interface Verifier {
  /**
   * The claims of the request's `Authorization: Bearer` token, checked as `auth.authenticate` checks it; throws
   * AuthError (401 `credentials_missing`, `token_invalid`, `token_expired`, `reauthentication_required`; with a
   * store also `session_invalid`, `session_expired`, 503 `store_unavailable`).
   */
  verify(request: VerifierRequest, options?: VerifyOptions): Promise<AccessTokenClaims>;
  /** The claims of a raw access token, checked as `verify` checks a Bearer token. */
  verifyToken(token: string, options?: VerifyOptions): Promise<AccessTokenClaims>;
  /** With a store: ms since its revocation channel was last confirmed; `null` when the verifier reads the store on every check (or has no store). */
  revocationLag(): number | null;
  /** Stops listening to the store's broadcast (nothing to release without a store). */
  close(): void;
}

/**
 * Makes a verifier for the access tokens an issuer running latchkey signs. `jwks` is its JWKS URL (fetched with
 * `fetch`, cached, refetched for an unknown kid at most once per `jwksCooldown` and once older than `jwksMaxAge`),
 * a JWKS object, or keys. With `store`, tokens of revoked sessions are refused too (see docs/resource-servers.md).
 * @example
 * const verifier = createVerifier({ issuer: 'https://api.example.com', audience: 'web', jwks: new URL('https://api.example.com/.well-known/jwks.json') });
 * const claims = await verifier.verify(request); // throws AuthError; authErrorResponse(error) is the 401
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveVerifierOptions(options);
  const { now } = resolved;
  const keys =
    'url' in resolved.jwks
      ? remoteKeySet({ url: resolved.jwks.url, fetch: resolved.fetch, now, cooldown: resolved.jwksCooldown, maxAge: resolved.jwksMaxAge, timeout: resolved.jwksTimeout })
      : staticKeySet(resolved.jwks.keys);
  const tokens = new TokenCheck({ issuer: resolved.issuer, audience: resolved.audience, clockTolerance: resolved.clockTolerance, clientId: resolved.clientId, cacheSize: resolved.cacheSize, now }, keys);
  const revocation = resolved.store ? createRevocationCheck({ store: resolved.store, maxRevocationDelay: resolved.maxRevocationDelay, recheckEvery: resolved.recheckEvery, now }) : null;
  // a per-call maxAge is parsed at each call: the options object is usually written inline, so a memo keyed by
  // it would miss every time (and would keep a stale value for an object the app changes)
  function maxAgeOf(call: VerifyOptions | undefined): MaxAge | undefined {
    return call?.maxAge === undefined ? resolved.maxAge : parseMaxAge(call.maxAge, 'verify({ maxAge })');
  }

  /** The checks after the signature: the session (with a store), then the sign-in's age (as requireAuth orders them). */
  function accept(claims: AccessTokenClaims, maxAge: MaxAge | undefined): AccessTokenClaims | Promise<AccessTokenClaims> {
    const fresh = (): AccessTokenClaims => {
      if (maxAge) assertFresh({ authTime: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : 0 }, maxAge, now());
      return claims;
    };
    return revocation ? revocation.check(claims.sid).then(fresh) : fresh();
  }

  /** The signature and claims, then `accept`. */
  async function check(token: string, maxAge: MaxAge | undefined): Promise<AccessTokenClaims> {
    const claims = tokens.verifyNow(token);
    return accept(claims instanceof Promise ? await claims : claims, maxAge);
  }

  return {
    async verify(request, call) {
      const maxAge = maxAgeOf(call); // a bad option is refused before the request is looked at
      const token = bearerOf(request);
      if (token === undefined) throw new AuthError('credentials_missing');
      return check(token, maxAge);
    },
    async verifyToken(token, call) {
      return check(token, maxAgeOf(call));
    },
    revocationLag: () => revocation?.lag() ?? null,
    close() {
      revocation?.close();
    },
  };
}
