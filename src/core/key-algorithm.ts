// Which algorithm a key verifies, decided by its material and never by a token: one rule for the core's
// importKey/createAuth (src/core/keys.ts) and latchkey/verify's JWKS keys (src/verify/jwk.ts). Node-free.
import { base64url } from 'jose';
import type { JWK } from './key-types.js';

/** The shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the hash's size). */
export const MIN_SECRET_BYTES = 32;
/** The shortest RSA modulus accepted, in bytes (2048 bits). */
export const MIN_RSA_BYTES = 256;

/**
 * The kid an HS256 secret gets when none is given: `hs-` and 16 characters of SHA-256 over the encoded secret.
 * @example
 * await hs256Kid(secret); // 'hs-3q2-7wE…'
 */
export async function hs256Kid(secret: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`latchkey.kid:${base64url.encode(secret)}`));
  return `hs-${base64url.encode(new Uint8Array(digest)).slice(0, 16)}`;
}

/**
 * The signing algorithms latchkey accepts. `none` never is. `Ed25519` is RFC 9864's fully-specified name for
 * EdDSA over Ed25519 (the default for new keys); `EdDSA` is the older polymorphic name for the same signature,
 * kept for keys and verifiers already using it. A key is pinned to one of the two names.
 */
export type SigningAlgorithm = 'Ed25519' | 'EdDSA' | 'ES256' | 'RS256' | 'HS256';

/** Every accepted algorithm, in the order `generateKey` documents them. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['Ed25519', 'EdDSA', 'ES256', 'RS256', 'HS256'];

/**
 * The algorithm a JWK's material pins (`declared` is its `alg`, or the caller's hint), or why it has none: `none`
 * is refused, an unsupported key type is named, and a declared algorithm must be the material's. Ed25519 material
 * signs under the name it declares; undeclared (a bare PEM or JWK) it keeps the older `EdDSA`.
 * @example
 * algorithmOf({ kty: 'EC', crv: 'P-256', x, y }, undefined); // { alg: 'ES256' }
 */
export function algorithmOf(jwk: JWK, declared: string | undefined): { alg: SigningAlgorithm } | { problem: string } {
  if (declared !== undefined && String(declared).toLowerCase() === 'none') return { problem: 'a key with alg "none" is refused; unsigned tokens are never accepted' };
  let alg: SigningAlgorithm;
  if (jwk.kty === 'oct') alg = 'HS256';
  else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') alg = declared === 'Ed25519' ? 'Ed25519' : 'EdDSA';
  else if (jwk.kty === 'EC' && jwk.crv === 'P-256') alg = 'ES256';
  else if (jwk.kty === 'RSA') alg = 'RS256';
  else return { problem: `unsupported key type ${String(jwk.kty)}${jwk.crv ? `/${jwk.crv}` : ''}; use ${SIGNING_ALGORITHMS.join(', ')}` };
  if (declared !== undefined && declared !== alg) return { problem: `the key is ${alg} material but declares alg "${String(declared)}"; the algorithm comes from the key` };
  return { alg };
}
