// How a broadcast carries why sessions ended. A revocation message is a list of ids (`id,id…` on Redis,
// `r:id,id…` on PostgreSQL); the reason rides as one more element, `~<reason>`, at its end. `~` never starts a
// session id, so a receiver that predates reasons reads the element as the id of no session (harmless: it
// revokes nothing), and a message without the element (an older sender, a custom store, a script that does not
// know the cause) is read as `'revoked'` by whoever reports a reason. An unknown `~…` element (a newer sender) is
// dropped and the ids are kept.
import type { SessionEndReason } from '../core/types.js';
import type { StoreBroadcast } from './contract.js';

const REASONS: ReadonlySet<string> = new Set<SessionEndReason>(['signed_out', 'expired', 'revoked', 'refresh_reused', 'evicted']);

/** True for one of the five reasons. */
export function isEndReason(value: unknown): value is SessionEndReason {
  return typeof value === 'string' && REASONS.has(value);
}

/** The suffix a revocation message gets for `reason` (`,~signed_out`), or `''` without one. */
export function reasonSuffix(reason: SessionEndReason | undefined): string {
  return isEndReason(reason) ? `,~${reason}` : '';
}

/** The broadcast a message's elements make: `revoked` ids with the reason they carry, or `changed` ids (no reason). */
export function broadcastOf(kind: 'revoked' | 'changed', elements: readonly string[]): StoreBroadcast {
  const { ids, reason } = splitReason(elements);
  if (kind === 'changed') return { revoked: [], changed: ids };
  return reason ? { revoked: ids, changed: [], reason } : { revoked: ids, changed: [] };
}

/** Splits a revocation message's elements into its ids and its reason (undefined when it sent none). */
export function splitReason(elements: readonly string[]): { ids: string[]; reason: SessionEndReason | undefined } {
  const ids: string[] = [];
  let reason: SessionEndReason | undefined;
  for (const element of elements) {
    if (element === '') continue;
    if (element.startsWith('~')) {
      const named = element.slice(1);
      if (isEndReason(named)) reason = named;
    } else {
      ids.push(element);
    }
  }
  return { ids, reason };
}
