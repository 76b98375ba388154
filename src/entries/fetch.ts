// latchkey/fetch: the Web Request/Response adapter (Next.js route handlers, Bun, Deno, workers) (re-exports only).
export { latchkey } from '../adapters/fetch.js';
export type { FetchLatchkey, FetchLatchkeyOptions } from '../adapters/fetch.js';
export type { RequireAuthOptions } from '../http/answers.js';
