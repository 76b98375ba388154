// What a key given as a string may be. A string is a PEM, or (only through the explicit
// `importKey(secret, { alg: 'HS256' })`) an HS256 secret; it never silently becomes an HMAC secret, because
// a public key mistaken for one (a JWK left as JSON text, a base64 public key) lets anyone who read the
// JWKS mint tokens. Key material is never quoted in a message.
import { createPublicKey } from 'node:crypto';

/** base64 or base64url text, optionally padded. */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/**
 * Decoded sizes of raw public keys: Ed25519/X25519 and a P-256 coordinate (32), a compressed or uncompressed
 * P-256 point (33, 65) or its coordinates (64), P-384/P-521 points (97, 133), RSA moduli (256, 384, 512).
 */
const PUBLIC_KEY_BYTES: ReadonlySet<number> = new Set([32, 33, 64, 65, 97, 133, 256, 384, 512]);

/** What to pass instead of a string secret. */
export const SECRET_HINT = "pass the secret as bytes (new TextEncoder().encode(secret), or Buffer.from(secret, 'base64url') for an encoded one), or await importKey(secret, { alg: 'HS256' })";

function isJSON(text: string): boolean {
  if (!/^[[{"]/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function isSPKI(bytes: Buffer): boolean {
  if (bytes[0] !== 0x30) return false;
  try {
    createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}

/** Why `value` (not a PEM) cannot be an HS256 secret even when asked for explicitly; `null` when it can. */
export function stringSecretProblem(value: string): string | null {
  const text = value.trim();
  if (isJSON(text)) return 'the string is JSON (a JWK left as text?): pass the parsed object, JSON.parse(value)';
  if (BASE64.test(text)) {
    const bytes = Buffer.from(text.replace(/=+$/, ''), text.includes('+') || text.includes('/') ? 'base64' : 'base64url');
    if (PUBLIC_KEY_BYTES.has(bytes.length) || isSPKI(bytes)) {
      return `the string has the shape of an encoded public key (base64 of ${bytes.length} bytes), and a public key only verifies: give it as a JWK object or a PEM; if it is an encoded secret, decode it to bytes first`;
    }
  }
  return null;
}
