// latchkey/koa: the Koa adapter (re-exports only).
export { latchkey } from '../adapters/koa.js';
export type { KoaLatchkey } from '../adapters/koa.js';
export type { RequireAuthOptions } from '../http/answers.js';
