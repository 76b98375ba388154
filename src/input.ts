// Checks on what the app passes in (user ids, session data): a TypeError that says what to change.
const MAX_USER_ID = 256;
const MAX_DATA_BYTES = 64 * 1024;

/** Throws unless `userId` is a non-empty string of at most 256 characters. */
export function checkUserId(userId: unknown, where: string): asserts userId is string {
  if (typeof userId !== 'string' || userId === '' || userId.length > MAX_USER_ID) {
    throw new TypeError(`latchkey: ${where} needs userId as a non-empty string of at most ${MAX_USER_ID} characters.`);
  }
}

/** Throws unless `data` is a JSON object within the size limit. */
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
  if (json.length > MAX_DATA_BYTES) throw new TypeError(`latchkey: session data is ${json.length} bytes; keep it under ${MAX_DATA_BYTES}.`);
}
