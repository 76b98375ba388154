// Where a verifier's keys come from: a fixed set (JWKS object or keys, imported once) or a JWKS URL, fetched
// with `fetch` and cached.
//
// The remote rules, and why. A JWKS is fetched at the first token, again once it is older than `maxAge` (so a
// retired key stops verifying within `maxAge`), and again when a token names a kid the set does not have (the
// issuer started signing with a new key). Every fetch, whatever its reason, starts at most once per `cooldown`
// and concurrent callers join the one running: a flood of tokens with made-up kids costs at most one fetch per
// cooldown, never one per token. The issuer should publish a new key before it signs with it (key-rotation.md).
// A set older than `maxAge` that cannot be refreshed is not used: the verifier fails closed with
// `store_unavailable` (503, as a store outage does) rather than trust keys that may have been retired.
import type { JWK } from '../core/key-types.js';
import { AuthError } from '../core/errors.js';
import { fromSigningKey, importPinned, isSigningKey, pinAlgorithm, type PinnedKey, type VerifierKey } from './jwk.js';

/** A verifier's key set. */
export interface KeySet {
  /** Resolves once local keys are imported; rejects with the import error (a configuration mistake, never a 401). */
  ready(): Promise<void>;
  /** The key a token's kid names (loading or refreshing the set when the rules above allow); `undefined` when none. */
  keyFor(kid: unknown): Promise<PinnedKey | undefined>;
  /** True while `key` is still the key its kid names (false once a refresh retired or replaced it). */
  isCurrent(key: PinnedKey): boolean;
  /** True while cached verifications may stand at `now` (a remote set within its max age). */
  isFresh(now: number): boolean;
  /** Changes whenever the set changes; the verified-token cache is flushed then. */
  readonly epoch: number;
}

/** The remote set's settings, validated by the options. */
export interface RemoteKeySetOptions {
  url: URL;
  fetch: (input: URL, init: RequestInit) => Promise<Response>;
  now: () => number;
  cooldown: number;
  maxAge: number;
  timeout: number;
}

/** Largest JWKS document read (bytes of text); a bigger answer is a failed fetch. */
const MAX_JWKS_LENGTH = 512 * 1024;

/**
 * A fixed key set: JWKs (checked here, so `createVerifier` fails fast on a bad key) or keys from the core, imported once.
 * @example
 * const keys = staticKeySet((await auth.jwks()).keys);
 */
export function staticKeySet(list: readonly VerifierKey[]): KeySet {
  if (list.length === 0) throw new TypeError('latchkey: createVerifier({ jwks }) needs a URL, a JWKS object with keys, or a non-empty array of keys.');
  const pending = list.map((key, i) => {
    if (isSigningKey(key)) return fromSigningKey(key);
    const pinned = pinAlgorithm(key);
    if ('problem' in pinned) throw new TypeError(`latchkey: createVerifier({ jwks }): key ${i}: ${pinned.problem}.`);
    return importPinned(key, pinned.alg);
  });
  let byKid = new Map<string, PinnedKey>();
  const loading = Promise.all(pending).then((keys) => {
    const map = new Map<string, PinnedKey>();
    for (const key of keys) {
      if (map.has(key.kid)) throw new TypeError(`latchkey: createVerifier({ jwks }): two keys share the kid "${key.kid}"; every key needs its own kid.`);
      map.set(key.kid, key);
    }
    byKid = map;
  });
  loading.catch(() => {}); // surfaced on first use, not as an unhandled rejection
  return {
    ready: () => loading,
    async keyFor(kid) {
      await loading;
      return typeof kid === 'string' ? byKid.get(kid) : undefined;
    },
    isCurrent: (key) => byKid.get(key.kid) === key,
    isFresh: () => true,
    epoch: 0,
  };
}

/** The usable signature keys of a fetched JWKS document; keys of other kinds or uses are skipped, as a JWKS may hold them. */
async function keysOf(document: unknown, previous: ReadonlyMap<string, PinnedKey>): Promise<Map<string, PinnedKey>> {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new TypeError('the JWKS document has no "keys" array');
  const imported = await Promise.all(
    keys.map(async (jwk: JWK) => {
      const pinned = pinAlgorithm(jwk);
      // a published HMAC secret would let anyone who can read the JWKS sign tokens: never taken from a URL
      if ('problem' in pinned || pinned.alg === 'HS256') return null;
      return importPinned(jwk, pinned.alg, previous).catch(() => null);
    }),
  );
  const map = new Map<string, PinnedKey>();
  for (const key of imported) if (key && !map.has(key.kid)) map.set(key.kid, key);
  return map;
}

/**
 * A JWKS fetched from `url` and cached (see the rules at the top of this file).
 * @example
 * const keys = remoteKeySet({ url, fetch: globalThis.fetch, now: Date.now, cooldown: 30_000, maxAge: 600_000, timeout: 5_000 });
 */
export function remoteKeySet(options: RemoteKeySetOptions): KeySet {
  const { url, now, cooldown, maxAge, timeout } = options;
  let byKid: Map<string, PinnedKey> = new Map();
  let loadedAt = -Infinity;
  let attemptedAt = -Infinity;
  let running: Promise<void> | null = null;
  let epoch = 0;

  async function load(): Promise<void> {
    const response = await options.fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeout) });
    // a redirect is not followed ('manual' works on every runtime, workerd included): it is a failed fetch
    if (!response.ok) throw new TypeError(`the JWKS answered HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_JWKS_LENGTH) throw new TypeError('the JWKS document is too large');
    const next = await keysOf(JSON.parse(text), byKid);
    const changed = next.size !== byKid.size || [...next].some(([kid, key]) => byKid.get(kid) !== key);
    byKid = next;
    loadedAt = now();
    if (changed) epoch++;
  }

  /** Starts a fetch unless one ran within the cooldown; joins the one running. Never rejects: a failure leaves the set as it was. */
  function refresh(): Promise<void> {
    if (running) return running;
    const at = now();
    if (at - attemptedAt < cooldown) return Promise.resolve();
    attemptedAt = at;
    running = load()
      .catch(() => {})
      .finally(() => {
        running = null;
      });
    return running;
  }

  const fresh = (at: number): boolean => at - loadedAt < maxAge;

  return {
    ready: () => Promise.resolve(),
    async keyFor(kid) {
      if (!fresh(now())) {
        await refresh();
        if (!fresh(now())) throw new AuthError('store_unavailable', 'The verification keys (JWKS) could not be fetched.');
      }
      if (typeof kid !== 'string') return undefined;
      const known = byKid.get(kid);
      if (known) return known;
      await refresh(); // an unknown kid: maybe a new key (at most one fetch per cooldown)
      return byKid.get(kid);
    },
    isCurrent: (key) => byKid.get(key.kid) === key,
    isFresh: fresh,
    get epoch() {
      return epoch;
    },
  };
}
