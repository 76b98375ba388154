// The watch hubs of this process, per store. A store with a channel tells every instance (this process's
// other Auths included) through it; a store without one (the memory store) can only tell the Auths of this
// process that share it, and this registry is how: each hub joins its store's set, and an end made on one
// Auth is delivered to every hub of the set.
import type { SessionStore } from '../stores/contract.js';
import type { SessionEndReason } from './types.js';

/** What a watch hub is told, by its own Auth or by a sibling on the same store. Internal. */
export interface Hub {
  deliverEnded(sessionIds: readonly string[], reason: SessionEndReason): void;
  deliverUsers(userId: string, except: string | undefined): void;
  deliverReauthenticated(sessionId: string): void;
}

/** A hub's place among the hubs of its store. */
export interface HubMembership {
  /** Who to tell of an end made here: the hub itself, and with a store without a channel its siblings too. */
  every(): Iterable<Hub>;
  /** Leaves the store's set (the Auth closed). */
  leave(): void;
}

const hubsOf = new WeakMap<SessionStore, Set<Hub>>();

/** Adds `hub` to the hubs of `store`; `channel`: the store tells other instances itself. */
export function joinHubs(store: SessionStore, hub: Hub, channel: boolean): HubMembership {
  let siblings = hubsOf.get(store);
  if (!siblings) hubsOf.set(store, (siblings = new Set()));
  siblings.add(hub);
  return {
    every: () => (channel ? [hub] : [...(hubsOf.get(store) ?? [hub])]),
    leave: () => void hubsOf.get(store)?.delete(hub),
  };
}
