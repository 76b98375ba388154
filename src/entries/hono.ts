// latchkey/hono: the Hono adapter (re-exports only).
export { latchkey } from '../adapters/hono.js';
export type { HonoLatchkey, HonoLatchkeyOptions, LatchkeyEnv, LatchkeyVariables } from '../adapters/hono.js';
export type { RequireAuthOptions } from '../http/answers.js';
