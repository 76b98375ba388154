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

// Scratch space for safeEqual: UTF-8 of up to 64 UTF-16 units fits in 192 bytes. Written and compared
// synchronously, so one pair serves every call; a view per length is made once. Short secrets (hashes,
// HMACs, token secrets) are compared without allocating; longer ones take the general path.
const SHORT = 64;
const left = Buffer.alloc(3 * SHORT);
const right = Buffer.alloc(3 * SHORT);
const views: [Buffer, Buffer][] = Array.from({ length: 3 * SHORT + 1 }, (_, n) => [left.subarray(0, n), right.subarray(0, n)]);

/** Compares two secret strings in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  if (a.length <= SHORT && b.length <= SHORT) {
    const n = left.write(a, 0, 'utf8');
    const m = right.write(b, 0, 'utf8');
    const [x, y] = views[n]!;
    if (n !== m) {
      nodeTimingSafeEqual(x, x);
      return false;
    }
    return nodeTimingSafeEqual(x, y);
  }
  const l = Buffer.from(a);
  const r = Buffer.from(b);
  if (l.length !== r.length) {
    nodeTimingSafeEqual(l, l);
    return false;
  }
  return nodeTimingSafeEqual(l, r);
}
