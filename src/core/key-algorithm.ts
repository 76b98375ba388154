// Which algorithm a key verifies, decided by its material and never by a token: one rule for the core's
// importKey/createAuth (src/core/keys.ts) and latchkey/verify's JWKS keys (src/verify/jwk.ts). Node-free.
import type { JWK } from './key-types.js';

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
