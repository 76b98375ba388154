// Reused parses for the per-request read of a store that keeps each record as JSON (Redis). Every request
// still reads the store; only when the JSON it gets back is the very text parsed last time for that
// session is the parse reused: a frozen base, copied shallowly so the caller can lay the fields the store
// keeps beside the JSON (activity, version, refresh state) over it. Data, meta and amr stay frozen and
// shared: the caller hands the app its own copies.
import { deepFreeze, type Frozen } from '../../lib/json.js';
import { LRU } from '../../lib/lru.js';
import type { SessionRecord } from '../../core/types.js';

/** Decodes a record's JSON for a read-only read, reusing the last parse of the same session's same JSON. */
export interface SharedDecoder {
  decode(id: string, json: string): SessionRecord;
}

/**
 * A decoder that remembers the last parse of up to `max` sessions (LRU).
 * @example
 * const decoder = sharedDecoder();
 * const record = revive(fields, (json) => decoder.decode(id, json));
 */
export function sharedDecoder(max = 10_000): SharedDecoder {
  const parsed = new LRU<string, { json: string; base: Frozen<SessionRecord> }>(max);
  return {
    decode(id, json) {
      let hit = parsed.peek(id); // insertion order: a session parsed long ago is parsed again once, when it falls out
      if (!hit || hit.json !== json) {
        hit = { json, base: deepFreeze(JSON.parse(json) as SessionRecord) };
        parsed.set(id, hit);
      }
      return { ...hit.base } as SessionRecord;
    },
  };
}
