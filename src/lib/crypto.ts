// The core's hashing, HMAC, randomness and constant-time comparison (node:crypto). Keys and tokens use
// jose, and the Redis store hashes user tags itself; see docs/architecture.md for what an edge port replaces.
import { createHmac, hash, randomBytes, timingSafeEqual as nodeTimingSafeEqual } from 'node:crypto';

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

/** Compares two secret strings in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    nodeTimingSafeEqual(left, left);
    return false;
  }
  return nodeTimingSafeEqual(left, right);
}
