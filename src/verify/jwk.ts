// Public keys for latchkey/verify, with Web Crypto only: a JWK is pinned to one algorithm by its material (the
// core's rule, src/core/key-algorithm.ts, which importKey uses too), then imported once. A token's `alg` is
// compared with the pinned one and never chooses the algorithm.
import { base64url, calculateJwkThumbprint, importJWK } from 'jose';
import { algorithmOf, hs256Kid, MIN_RSA_BYTES, MIN_SECRET_BYTES, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../core/key-algorithm.js';
import type { CryptoKey, JWK } from '../core/key-types.js';
import type { SigningKey } from '../core/keys.js';

/** The algorithms an access token may be signed with (the core's `SIGNING_ALGORITHMS`); `none` never is. */
export type PinnedAlgorithm = SigningAlgorithm;

/** Every algorithm a key can be pinned to, handed to jose as its allow-list (the key then pins one). */
export const PINNED_ALGORITHMS: readonly PinnedAlgorithm[] = SIGNING_ALGORITHMS;

/** A verification key: its kid, the one algorithm it verifies, the imported key, and what it was made from. */
export interface PinnedKey {
  readonly kid: string;
  readonly alg: PinnedAlgorithm;
  readonly key: CryptoKey;
  /** The key's identity (kid, alg and public material): a refreshed JWKS keeps the keys whose fingerprint is unchanged. */
  readonly fingerprint: string;
}

/** A key `createVerifier({ jwks: [...] })` accepts: a JWK (public, or private: only its public part is used) or a key from `generateKey`/`importKey`. */
export type VerifierKey = JWK | SigningKey;

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

function decoded(value: unknown): Uint8Array | null {
  if (typeof value !== 'string') return null;
  try {
    return base64url.decode(value);
  } catch {
    return null;
  }
}

/**
 * The algorithm a JWK's material pins, or why it cannot verify access tokens: the core's rule (algorithmOf), after
 * the checks a JWKS member needs first (a `use` other than `sig`; RSA under 2048 bits and HMAC secrets under 32
 * bytes, the core's weak-key rules).
 * @example
 * pinAlgorithm({ kty: 'OKP', crv: 'Ed25519', x }); // { alg: 'EdDSA' }
 */
export function pinAlgorithm(jwk: JWK): { alg: PinnedAlgorithm } | { problem: string } {
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') return { problem: 'not a JWK (no "kty")' };
  const declared = jwk.alg;
  if (declared !== undefined && String(declared).toLowerCase() === 'none') return algorithmOf(jwk, declared);
  if (jwk.use !== undefined && jwk.use !== 'sig') return { problem: `"use": ${JSON.stringify(jwk.use)} is not a signature key` };
  if (jwk.kty === 'oct' && (decoded(jwk.k)?.byteLength ?? 0) < MIN_SECRET_BYTES) return { problem: `an HS256 secret must be at least ${MIN_SECRET_BYTES} bytes` };
  if (jwk.kty === 'RSA' && (decoded(jwk.n)?.byteLength ?? 0) < MIN_RSA_BYTES) return { problem: 'RSA keys must be at least 2048 bits' };
  return algorithmOf(jwk, declared);
}

/**
 * Imports a JWK pinned to `alg`: its public members only (an HMAC secret for HS256), under its kid or, as the core
 * names keys, the RFC 7638 thumbprint. `previous` is reused when its fingerprint matches, so a key that stays in a
 * refreshed JWKS stays the same object (a verification running across the refresh still finds its key current).
 * @example
 * const key = await importPinned(jwk, 'EdDSA');
 */
export async function importPinned(jwk: JWK, alg: PinnedAlgorithm, previous?: ReadonlyMap<string, PinnedKey>): Promise<PinnedKey> {
  if (alg === 'HS256') {
    const secret = decoded(jwk.k)!;
    const kid = typeof jwk.kid === 'string' ? jwk.kid : await hs256Kid(secret);
    // never reused across refreshes (a remote JWKS never serves secrets: key-set.ts drops them), so the fingerprint
    // need not, and must not, carry the secret: the imported key is not extractable, and nothing else keeps it
    const key = await crypto.subtle.importKey('raw', Uint8Array.from(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    return Object.freeze({ kid, alg, key, fingerprint: `${kid} HS256` });
  }
  const material: JWK = {};
  for (const member of PUBLIC_MEMBERS) if (jwk[member] !== undefined) material[member] = jwk[member];
  const kid = typeof jwk.kid === 'string' ? jwk.kid : await calculateJwkThumbprint(material, 'sha256');
  const fingerprint = `${kid} ${alg} ${JSON.stringify(material)}`;
  const reused = previous?.get(kid);
  if (reused?.fingerprint === fingerprint) return reused;
  const key = (await importJWK({ ...material, alg }, alg)) as CryptoKey;
  return Object.freeze({ kid, alg, key, fingerprint });
}

/**
 * True for a key made by the core's `generateKey`/`importKey` (it carries an imported `verifyKey`).
 * @example
 * isSigningKey(await generateKey()); // true; a JWK: false
 */
export function isSigningKey(value: unknown): value is SigningKey {
  return typeof value === 'object' && value !== null && 'verifyKey' in value && typeof (value as SigningKey).kid === 'string';
}

/**
 * A core key as a verification key: its verify key under its kid and pinned algorithm, used as is.
 * @example
 * const pinned = fromSigningKey(await generateKey('Ed25519'));
 */
export function fromSigningKey(key: SigningKey): PinnedKey {
  if (!PINNED_ALGORITHMS.includes(key.alg)) throw new TypeError(`latchkey: createVerifier({ jwks }): the key "${key.kid}" has an unsupported algorithm.`);
  return Object.freeze({ kid: key.kid, alg: key.alg, key: key.verifyKey, fingerprint: `${key.kid} ${key.alg} ${JSON.stringify(key.publicJwk)}` });
}
