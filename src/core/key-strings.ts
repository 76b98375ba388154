// What may become an HS256 secret. A string key is a PEM, or (only through the explicit
// `importKey(secret, { alg: 'HS256' })`) an HS256 secret; it never silently becomes an HMAC secret. And no
// HMAC secret, whichever way it arrives (that string, bytes, an "oct" JWK), may be a public key written out
// as text: whoever can read the public key could then sign tokens (key confusion). People paste public keys
// in many shapes (a PEM without its header lines, base64 wrapped at 76 columns, hex of the DER, base64 of a
// PEM or of a JWK, a JWK as a JavaScript object, an OpenSSH line), so the check decodes rather than matches:
// every plausible base64, base64url or hex reading of the text is decoded and the bytes are tried as an SPKI
// or PKCS#1 public key, an SSH wire-format key, an uncompressed EC point, or (once) as text again. Raw key
// bytes that look like random bytes (an Ed25519 key, an RSA modulus) cannot be told apart from a random
// secret and are not refused. Key material is never quoted in a message.
import { createPublicKey, type JsonWebKey } from 'node:crypto';

/** What to pass instead of a string secret. */
export const SECRET_HINT = "pass the secret as bytes (new TextEncoder().encode(secret), or Buffer.from(secret, 'base64url') for an encoded one), or await importKey(secret, { alg: 'HS256' })";

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const HEX = /^(?:[0-9a-f]{2})+$/i;
/** A PEM or RFC 4716 armour line (`-----BEGIN …-----`, `---- BEGIN SSH2 PUBLIC KEY ----`), in any case. */
const ARMOUR = /^-{4,5} ?(?:begin|end) [^\n-]*-{4,5}$/im;
/** Uncompressed EC points (0x04 ‖ x ‖ y) by length: P-256, P-384, P-521. */
const CURVES: Record<number, string> = { 65: 'P-256', 97: 'P-384', 133: 'P-521' };
/** Decoded candidates shorter than this are no key of ours (the shortest, an Ed25519 SPKI, is 44 bytes). */
const MIN_ENCODED = 40;

function parsesAs(key: Buffer | JsonWebKey, format: 'der' | 'jwk', type?: 'spki' | 'pkcs1'): boolean {
  try {
    createPublicKey(format === 'jwk' ? { key: key as JsonWebKey, format } : { key: key as Buffer, format, type: type! });
    return true;
  } catch {
    return false;
  }
}

/** The SSH wire format's first field, a length-prefixed key type name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …). */
function isSSHKey(bytes: Buffer): boolean {
  if (bytes.length < 20) return false;
  const length = bytes.readUInt32BE(0);
  return length > 3 && length < 64 && /^(?:ssh-|ecdsa-|sk-)[a-z0-9@.-]+$/.test(bytes.subarray(4, 4 + length).toString('latin1'));
}

function isECPoint(bytes: Buffer): boolean {
  const crv = CURVES[bytes.length];
  if (crv === undefined || bytes[0] !== 4) return false;
  const half = (bytes.length - 1) / 2;
  const [x, y] = [bytes.subarray(1, 1 + half), bytes.subarray(1 + half)].map((part) => part.toString('base64url'));
  return parsesAs({ kty: 'EC', crv, x, y }, 'jwk');
}

/** Printable text (with line breaks), as opposed to random bytes: those are almost never all printable. */
function asText(bytes: Buffer): string | null {
  const text = bytes.toString('latin1');
  return /^[\t\n\r\x20-\x7e]+$/.test(text) ? text : null;
}

/** A JWK or JWK set, as JSON or as a JavaScript object literal (unquoted names, single quotes, trailing commas). */
function isJWKText(text: string): boolean {
  if (!text.startsWith('{')) return false;
  const loose = text
    .replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":')
    .replace(/'([^'"\\]*)'/g, '"$1"')
    .replace(/,\s*([}\]])/g, '$1');
  try {
    const value = JSON.parse(loose) as { kty?: unknown; keys?: unknown };
    return typeof value.kty === 'string' || Array.isArray(value.keys);
  } catch {
    return false;
  }
}

function isJSON(text: string): boolean {
  if (!/^[[{"]/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** What public key `bytes` are, in a message's words; `null` when none. `nested`: already decoded once. */
function keyInBytes(bytes: Buffer, nested: boolean): string | null {
  if (bytes[0] === 0x30 && parsesAs(bytes, 'der', 'spki')) return 'an SPKI public key';
  if (bytes[0] === 0x30 && parsesAs(bytes, 'der', 'pkcs1')) return 'a PKCS#1 RSA public key';
  if (isSSHKey(bytes)) return 'an OpenSSH public key';
  if (isECPoint(bytes)) return 'a raw EC public key (an uncompressed point)';
  const text = nested ? null : asText(bytes);
  const inner = text === null ? null : keyInText(text, true);
  return inner && `${inner}, encoded`;
}

/** What public key `value` holds, in a message's words; `null` when it holds none we can recognise. */
function keyInText(value: string, nested: boolean): string | null {
  const text = value.trim();
  if (isJWKText(text)) return 'a JWK (as text)';
  // armour lines and RFC 4716 headers (`Comment: …`) go; what is left is the body
  const armoured = ARMOUR.test(text);
  const body = armoured ? text.replace(/^(?:-{4,5}.*|[\w-]+: .*)$/gm, '') : text;
  const compact = body.replace(/\s+/g, '');
  // the whole text without its line breaks (a wrapped body, hex), and each long word (an OpenSSH line)
  const candidates = new Set([compact, ...body.split(/\s+/).filter((word) => word.length >= MIN_ENCODED)]);
  for (const candidate of candidates) {
    const readings: Buffer[] = [];
    if (HEX.test(candidate)) readings.push(Buffer.from(candidate, 'hex'));
    if (BASE64.test(candidate)) readings.push(Buffer.from(candidate.replace(/=+$/, ''), /[+/]/.test(candidate) ? 'base64' : 'base64url'));
    for (const bytes of readings) {
      const found = keyInBytes(bytes, nested);
      if (found) return armoured ? `${found} in PEM armour` : found;
    }
  }
  return armoured ? 'PEM-armoured key material' : null;
}

/**
 * Why `value` cannot be an HS256 secret even when asked for explicitly; `null` when it can. A string (not a
 * PEM: those are keys) is refused when it is JSON or holds a public key in any text encoding we recognise;
 * bytes are refused when they are a DER or SSH public key, or the text of one.
 */
export function secretProblem(value: string | Uint8Array): string | null {
  const how = 'and a public key only verifies: to verify tokens with it, import it as a PEM or a JWK object; for HS256, use a random secret (generateKey(\'HS256\'), or 32 random bytes)';
  if (typeof value === 'string') {
    if (isJSON(value.trim())) return 'the string is JSON (a JWK left as text?): pass the parsed object, JSON.parse(value)';
    const key = keyInText(value, false);
    return key && `the string is ${key}, ${how}`;
  }
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const key = keyInBytes(bytes, true);
  if (key) return `the bytes are ${key}, ${how}`;
  const text = asText(bytes);
  const inText = text === null ? null : keyInText(text, false);
  return inText && `the bytes are the text of ${inText}, ${how}`;
}
