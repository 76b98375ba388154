import type { SessionMeta } from './types.js';

/** Fields every audit event carries. */
export interface AuthEventBase {
  /** Milliseconds since the epoch, read from the injected clock. */
  readonly at: number;
  readonly userId: string;
}

/** A typed audit event; `switch (event.type)` narrows. Events never carry secrets or tokens. */
export type AuthEvent =
  | (AuthEventBase & { readonly type: 'sign_in'; readonly sessionId: string; readonly meta: SessionMeta })
  | (AuthEventBase & { readonly type: 'refresh'; readonly sessionId: string; readonly generation: number })
  | (AuthEventBase & {
      readonly type: 'refresh_reused';
      readonly sessionId: string;
      /** The generation that was replayed. */
      readonly generation: number;
      /** The generation the session had reached. */
      readonly currentGeneration: number;
    })
  | (AuthEventBase & { readonly type: 'sign_out'; readonly sessionId: string })
  | (AuthEventBase & { readonly type: 'sign_out_everywhere'; readonly count: number; readonly except?: string })
  | (AuthEventBase & { readonly type: 'elevate'; readonly sessionId: string; readonly previousSessionId: string })
  | (AuthEventBase & { readonly type: 'reauthenticate'; readonly sessionId: string; readonly amr?: readonly string[] })
  | (AuthEventBase & {
      readonly type: 'session_evicted';
      /** The session that was ended to make room. */
      readonly sessionId: string;
      /** The new session that needed the room. */
      readonly bySessionId: string;
      readonly reason: 'max_per_user';
    });

/** The names of the audit events. */
export type AuthEventType = AuthEvent['type'];

/** Calls the app's event hook without letting it break the request (sync throw or rejected promise). */
export function emit(hook: ((event: AuthEvent) => unknown) | undefined, event: AuthEvent): void {
  if (!hook) return;
  try {
    const result = hook(event);
    if (result && typeof (result as Promise<unknown>).catch === 'function') (result as Promise<unknown>).catch(() => {});
  } catch {
    // an audit sink failing must not turn a sign-out into an error
  }
}
