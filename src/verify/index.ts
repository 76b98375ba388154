// latchkey/verify: resource servers that only check access tokens, with Web APIs only (no node: import), so it
// runs on Node, Cloudflare Workers, Next.js middleware, Deno and Bun (re-exports only).
export { createVerifier } from './verifier.js';
export type { Verifier, VerifyOptions } from './verifier.js';
export type { VerifierOptions } from './options.js';
export type { VerifierRequest } from './bearer.js';
export type { VerifierKey } from './jwk.js';
export type { RevocationStore } from './revocation.js';
export { authErrorResponse, wwwAuthenticate } from './challenge.js';
export type { ChallengeOptions } from './challenge.js';
export { AuthError, isAuthError } from '../errors.js';
export type { AuthErrorCode } from '../errors.js';
export type { Duration } from '../duration.js';
export type { JSONWebKeySet } from '../tokens.js';
export type { AccessTokenClaims, AppClaims, RegisteredClaims, Register } from '../types.js';
