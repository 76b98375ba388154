// latchkey/express: the Express adapter, Express 4 and 5 (re-exports only).
export { latchkey } from '../adapters/express.js';
export type { ExpressLatchkey } from '../adapters/express.js';
export type { RequireAuthOptions } from '../http/answers.js';
