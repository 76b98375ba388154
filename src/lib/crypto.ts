// The core's hashing, HMAC, randomness and constant-time comparison (node:crypto). Keys and tokens use
// jose, and the Redis store hashes user tags itself; see docs/architecture.md for what an edge port replaces.
import { createHmac, hash, randomBytes } from 'node:crypto';

/** `bytes` random bytes as base64url. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 of a string, base64url. Used to store only the hash of a secret. */
export function sha256(value: string): string {
  return hash('sha256', value, 'base64url');
}

/** HMAC-SHA-256 of `message` under `key`, base64url. */
export function hmac(key: Uint8Array, message: string): string {
  return createHmac('sha256', key).update(message).digest('base64url');
}

/** HMAC-SHA-256 of `message` under `key`, raw bytes. */
export function hmacBytes(key: Uint8Array, message: string): Uint8Array {
  return createHmac('sha256', key).update(message).digest();
}

/**
 * Compares two secret strings in time that does not depend on where they differ: every UTF-16 unit is
 * XORed into one accumulator with no early exit (the lengths are not secret: hashes and HMACs have a fixed
 * size). Done in JavaScript rather than with `crypto.timingSafeEqual`, which needs both sides as Buffers:
 * encoding them cost more than the comparison on the per-request cookie check.
 */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
