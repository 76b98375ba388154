import { createPrivateKey, createPublicKey, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto';
// The public types are our own (key-types.ts): jose's would put an `import("jose")` into the .d.cts (TS1479).
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import { algorithmOf, hs256Kid, MIN_RSA_BYTES, MIN_SECRET_BYTES, SIGNING_ALGORITHMS, type SigningAlgorithm } from './key-algorithm.js';
import type { CryptoKey, JWK } from './key-types.js';
import { SECRET_HINT, secretProblem } from './key-strings.js';
import { hmacBytes, randomToken, safeEqual } from '../lib/crypto.js';

export { SIGNING_ALGORITHMS, type SigningAlgorithm } from './key-algorithm.js';

/**
 * An imported key: CryptoKeys created once, a `kid`, and the algorithm it is pinned to.
 * Create one with `generateKey` or `importKey`; pass it in `createAuth({ keys })`.
 */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** The private (or HMAC) key; `undefined` for a verify-only public key. */
  readonly signingKey: CryptoKey | undefined;
  /** The key that verifies signatures (the public key, or the HMAC key). */
  readonly verifyKey: CryptoKey;
  /** The public JWK published by `auth.jwks()`; `null` for HS256 secrets. */
  readonly publicJwk: JWK | null;
}

/**
 * What `createAuth({ keys })` accepts: an imported key, a JWK object, a PEM string, or an HS256 secret as
 * 32+ bytes. A string is only ever a PEM: a string secret needs `importKey(secret, { alg: 'HS256' })`.
 */
export type KeyInput = SigningKey | JWK | string | Uint8Array;

/** Options for `importKey` and `generateKey`. */
export interface KeyOptions {
  /** The key id; default: the RFC 7638 thumbprint (asymmetric) or a hash prefix (HS256). */
  kid?: string;
  /** For PEM and JWK input: the algorithm, when it cannot be inferred (an RSA key is always RS256). */
  alg?: SigningAlgorithm;
}

interface PrivateMaterial {
  privateJwk: JWK | null;
  secret: Uint8Array | null;
  refreshKey: Uint8Array | null;
}

// Private material lives here, not on the key object, so a key never serialises its secret by accident.
const material = new WeakMap<SigningKey, PrivateMaterial>();

const encoder = new TextEncoder();

function fail(message: string): never {
  throw new TypeError(`latchkey: ${message}`);
}

function isSigningKey(input: unknown): input is SigningKey {
  return typeof input === 'object' && input !== null && material.has(input as SigningKey);
}

function algFromJWK(jwk: JWK, hint: SigningAlgorithm | undefined, where: string): SigningAlgorithm {
  const pinned = algorithmOf(jwk, jwk.alg ?? hint);
  if ('problem' in pinned) fail(`${where}: ${pinned.problem}.`);
  return pinned.alg;
}

function pemToJWK(pem: string, where: string): JWK {
  let key: KeyObject;
  try {
    key = pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem);
  } catch {
    fail(`${where}: the PEM could not be parsed; give a PKCS#8 private key or an SPKI public key.`);
  }
  return key.export({ format: 'jwk' }) as JWK;
}

/**
 * The one gate of every HMAC secret (a string with `{ alg: 'HS256' }`, bytes, an "oct" JWK): long enough, and
 * not a public key written out as text or DER (see key-strings.ts).
 */
function secretBytes(input: string | Uint8Array, where: string): Uint8Array {
  const problem = secretProblem(input);
  if (problem) fail(`${where}: refused as an HS256 secret: ${problem}.`);
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    fail(`${where}: an HS256 secret must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.byteLength}); use generateKey('HS256') or 32 random bytes.`);
  }
  return bytes;
}

/** A string that is not a PEM: an HS256 secret only when asked for explicitly, and then through `secretBytes`. */
function checkStringSecret(input: string, alg: SigningAlgorithm | undefined, where: string): void {
  if (alg === 'HS256') return void secretBytes(input, where);
  const problem = secretProblem(input);
  fail(`${where}: a string key is read only as a PEM, never silently as an HS256 secret${problem ? ` (${problem})` : ''}; for an HS256 secret, ${SECRET_HINT}.`);
}

/** Checks a key input without importing it, so `createAuth` can fail fast with a clear message. */
export function checkKeyInput(input: KeyInput, where: string, alg?: SigningAlgorithm): void {
  if (isSigningKey(input)) return;
  if (input instanceof Uint8Array) return void secretBytes(input, where);
  if (typeof input === 'string' && !input.includes('-----BEGIN')) return checkStringSecret(input, alg, where);
  // A PEM gets the same checks as the JWK it converts to (an RSA-1024 PEM would otherwise fail every sign-in).
  const parsed = typeof input === 'string' ? pemToJWK(input, where) : input;
  if (typeof parsed === 'object' && parsed !== null && typeof (parsed as JWK).kty === 'string') {
    const jwk = parsed as JWK;
    algFromJWK(jwk, undefined, where);
    if (jwk.kty === 'oct') secretBytes(decodeOct(jwk, where), where);
    if (jwk.kty === 'RSA' && typeof jwk.n === 'string' && Buffer.from(jwk.n, 'base64url').length < MIN_RSA_BYTES) {
      fail(`${where}: RSA keys must be at least 2048 bits.`);
    }
    return;
  }
  fail(`${where}: expected a key from generateKey/importKey, a JWK, a PEM string or a 32+ byte secret.`);
}

/** True for key input that can only verify: an imported public key, a public JWK or an SPKI PEM. */
export function isVerifyOnlyKey(input: KeyInput): boolean {
  if (typeof input === 'object' && input !== null && 'verifyKey' in input) return (input as SigningKey).signingKey === undefined;
  if (typeof input === 'string') return input.includes('-----BEGIN') && !input.includes('PRIVATE KEY');
  if (input instanceof Uint8Array || typeof input !== 'object' || input === null) return false;
  return input.kty !== 'oct' && input.d === undefined;
}

function decodeOct(jwk: JWK, where: string): Uint8Array {
  if (typeof jwk.k !== 'string') fail(`${where}: an "oct" JWK needs its "k" member.`);
  return new Uint8Array(Buffer.from(jwk.k, 'base64url'));
}

async function importSecret(secret: Uint8Array, kid: string | undefined): Promise<SigningKey> {
  const cryptoKey = await crypto.subtle.importKey('raw', Uint8Array.from(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const key: SigningKey = Object.freeze({
    kid: kid ?? (await hs256Kid(secret)),
    alg: 'HS256' as const,
    signingKey: cryptoKey,
    verifyKey: cryptoKey,
    publicJwk: null,
  });
  material.set(key, { privateJwk: null, secret, refreshKey: hmacBytes(secret, 'latchkey/refresh-key/v1') });
  return key;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

async function importAsymmetric(jwk: JWK, alg: SigningAlgorithm, kid: string | undefined): Promise<SigningKey> {
  const publicJwk: JWK = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete (publicJwk as Record<string, unknown>)[member];
  delete publicJwk.key_ops;
  delete publicJwk.ext;
  const id = kid ?? jwk.kid ?? (await calculateJwkThumbprint(publicJwk, 'sha256'));
  const isPrivate = typeof jwk.d === 'string';
  const verifyKey = (await importJWK({ ...publicJwk, alg }, alg, { extractable: true })) as CryptoKey;
  const signingKey = isPrivate ? ((await importJWK({ ...jwk, alg, key_ops: undefined, ext: undefined }, alg)) as CryptoKey) : undefined;
  const published: JWK = { ...publicJwk, kid: id, alg, use: 'sig' };
  const key: SigningKey = Object.freeze({ kid: id, alg, signingKey, verifyKey, publicJwk: Object.freeze(published) });
  const privateJwk = isPrivate ? { ...jwk, kid: id, alg } : null;
  const refreshKey = isPrivate ? hmacBytes(Buffer.from(String(jwk.d), 'base64url'), 'latchkey/refresh-key/v1') : null;
  material.set(key, { privateJwk, secret: null, refreshKey });
  return key;
}

/**
 * Imports a key once into CryptoKeys: a JWK, a PEM (PKCS#8 private or SPKI public) or an HS256 secret (bytes,
 * or a string with `{ alg: 'HS256' }`). The algorithm is pinned from the key material; `alg: none`, short
 * secrets, and strings shaped like JSON or a public key offered as a secret are refused.
 * @example
 * const key = await importKey(JSON.parse(process.env.LATCHKEY_JWK!));
 * const shared = await importKey(process.env.HS256_SECRET!, { alg: 'HS256' });
 */
export async function importKey(input: KeyInput, options: KeyOptions = {}): Promise<SigningKey> {
  const where = 'importKey';
  if (isSigningKey(input)) return input;
  checkKeyInput(input, where, options.alg);
  if (input instanceof Uint8Array) return importSecret(input, options.kid);
  if (typeof input === 'string') {
    if (!input.includes('-----BEGIN')) return importSecret(secretBytes(input, where), options.kid);
    const jwk = pemToJWK(input, where);
    return importAsymmetric(jwk, algFromJWK(jwk, options.alg, where), options.kid);
  }
  const jwk = input as JWK;
  const alg = algFromJWK(jwk, options.alg, where);
  if (alg === 'HS256') return importSecret(decodeOct(jwk, where), options.kid ?? jwk.kid);
  return importAsymmetric(jwk, alg, options.kid);
}

/**
 * Generates a new signing key: an Ed25519 (default; `alg: 'Ed25519'`, RFC 9864), P-256 or RSA-2048 pair, or a
 * 256-bit HS256 secret. `'EdDSA'` makes the same kind of key under the older algorithm name.
 * @example
 * const auth = createAuth({ keys: [await generateKey('Ed25519')], issuer, audience });
 */
export async function generateKey(alg: SigningAlgorithm = 'Ed25519', options: Omit<KeyOptions, 'alg'> = {}): Promise<SigningKey> {
  if (!SIGNING_ALGORITHMS.includes(alg)) fail(`generateKey: unsupported algorithm "${String(alg)}"; use ${SIGNING_ALGORITHMS.join(', ')}.`);
  if (alg === 'HS256') return importSecret(new Uint8Array(Buffer.from(randomToken(32), 'base64url')), options.kid);
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(privateKey);
  return importAsymmetric(jwk, alg, options.kid);
}

/** The private key as a JWK (with `kid` and `alg`) and, for asymmetric keys, PEM: for storing a generated key. */
export async function exportKey(key: SigningKey): Promise<{ jwk: JWK; pem: string | null }> {
  const secret = material.get(key);
  if (!secret) fail('exportKey: not a key created by generateKey or importKey.');
  if (secret.secret) {
    return { jwk: { kty: 'oct', k: Buffer.from(secret.secret).toString('base64url'), kid: key.kid, alg: 'HS256' }, pem: null };
  }
  if (!secret.privateJwk) fail('exportKey: a public (verify-only) key has no private material to export.');
  const pem = createPrivateKey({ key: secret.privateJwk as NodeJsonWebKey, format: 'jwk' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  return { jwk: { ...secret.privateJwk }, pem };
}

/** True when two keys verify the same signatures: the same kid, algorithm and key material (secrets compared in constant time). */
export function sameKey(a: SigningKey, b: SigningKey): boolean {
  if (a === b) return true;
  if (a.kid !== b.kid || a.alg !== b.alg) return false;
  const [sa, sb] = [material.get(a)?.secret, material.get(b)?.secret];
  if (sa || sb) return !!sa && !!sb && safeEqual(Buffer.from(sa).toString('base64url'), Buffer.from(sb).toString('base64url'));
  return JSON.stringify(a.publicJwk) === JSON.stringify(b.publicJwk);
}

/** The HMAC key a signing key contributes to refresh-token derivation (never leaves the process). */
export function refreshKeyOf(key: SigningKey): Uint8Array | null {
  return material.get(key)?.refreshKey ?? null;
}
