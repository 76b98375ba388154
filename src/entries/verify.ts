// latchkey/verify: resource servers that only check access tokens, with Web APIs only (no node: import), so it
// runs on Node, Cloudflare Workers, Next.js middleware, Deno and Bun (re-exports only).
export { createVerifier } from '../verify/verifier.js';
export type { Verifier, VerifyOptions } from '../verify/verifier.js';
export type { VerifierOptions } from '../verify/options.js';
export type { VerifierRequest } from '../verify/bearer.js';
export type { VerifierKey } from '../verify/jwk.js';
export type { RevocationStore } from '../verify/revocation.js';
export { authErrorResponse, wwwAuthenticate } from '../verify/challenge.js';
export type { ChallengeOptions } from '../verify/challenge.js';
export { AuthError, isAuthError } from '../core/errors.js';
export type { AuthErrorCode } from '../core/errors.js';
export type { Duration } from '../core/duration.js';
export type { JSONWebKeySet } from '../core/tokens.js';
export type { AccessTokenClaims, AppClaims, RegisteredClaims, Register } from '../core/types.js';
