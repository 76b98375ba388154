/** Where the browser stands: signed in, signed out (in every tab), or the refresh endpoint could not answer (503, 429, network). */
export type ClientState = 'signed-in' | 'signed-out' | 'unavailable';

/** Options for `createClient`. Unknown names are refused. */
export interface ClientOptions {
  /** The refresh route (POST, HttpOnly refresh cookie) answering `{ accessToken, expiresIn }`. Leave it out for the cookie-only flow. */
  refreshUrl?: string;
  /** The sign-out route (POST), answering 204 and clearing the cookies. */
  signOutUrl: string;
  /** More origins whose requests carry the access token; by default only the origin of `refreshUrl` (else `signOutUrl`) does. */
  origins?: readonly string[];
  /** `credentials` of the refresh and sign-out requests: `'same-origin'` (default), or `'include'` when they go to another origin. */
  credentials?: RequestInit['credentials'];
  /** The fetch function to call (default: the global `fetch`), e.g. a wrapper that logs. */
  fetch?: typeof fetch;
}

/** The browser client `createClient` returns. */
export interface Client {
  /**
   * `fetch` with the in-memory access token attached (only for the API's origins). With no token yet (a page
   * load) or one due for renewal, it refreshes first; a 401 meaning an expired or invalid token gets one
   * refresh and one retry. Every other
   * answer (403, 429, 503, ...) comes back as it is. When the refresh itself fails, the answer is the
   * refresh's answer (e.g. 503), or the original 401 when the session is over. While the state is
   * 'unavailable', a call that needs a refresh answers a bodiless 503 at once until the scheduled retry.
   */
  fetch(input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response>;
  /** Stores the access token from a sign-in answer (`expiresIn` in seconds) and hands it to the other tabs. */
  setAccessToken(accessToken: string, expiresIn: number): void;
  /** Calls `listener` on every change of state, in every tab; returns a function that stops it. */
  onChange(listener: (state: ClientState) => void): () => void;
  /** Signs out on the server, then in every tab. Rejects, changing nothing, when the server does not confirm. */
  signOut(): Promise<void>;
  /** The current state; `null` until something is known. */
  readonly state: ClientState | null;
  /** Stops timers and listening to other tabs (tests, or a client replaced by another). */
  close(): void;
}
