// Checks on what the app passes in (user ids, session data): a TypeError that says what to change.
const MAX_USER_ID = 256;
const MAX_DATA_BYTES = 64 * 1024;
/** A lone surrogate: in `u` mode a well-formed pair is one code point, so only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;
const encoder = new TextEncoder();

/** Throws unless `userId` is a non-empty, well-formed (no lone surrogates) string of at most 256 characters. */
export function checkUserId(userId: unknown, where: string): asserts userId is string {
  if (typeof userId !== 'string' || userId === '' || userId.length > MAX_USER_ID) {
    throw new TypeError(`latchkey: ${where} needs userId as a non-empty string of at most ${MAX_USER_ID} characters.`);
  }
  // Stores keep ids as UTF-8, where every lone surrogate becomes U+FFFD: 'a\uD800' and 'a\uDC00' would share an index.
  if (LONE_SURROGATE.test(userId)) {
    throw new TypeError(`latchkey: ${where} needs userId as well-formed Unicode text; it contains a lone surrogate (a half of a UTF-16 pair).`);
  }
}

/** Throws unless `data` is a JSON object whose JSON is at most 64 KB of UTF-8. */
export function checkData(data: unknown): void {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    json = undefined;
  }
  if (json === undefined || typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError('latchkey: session data must be a JSON object (it is stored as JSON).');
  }
  // UTF-8 (what a store keeps) takes at most 3 bytes per UTF-16 unit, so short JSON needs no count.
  if (json.length * 3 <= MAX_DATA_BYTES) return;
  const bytes = encoder.encode(json).byteLength;
  if (bytes > MAX_DATA_BYTES) throw new TypeError(`latchkey: session data is ${bytes} bytes of UTF-8; keep it under ${MAX_DATA_BYTES}.`);
}
