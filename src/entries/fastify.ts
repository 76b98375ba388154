// latchkey/fastify: the Fastify plugin (re-exports only).
export { latchkey } from '../adapters/fastify.js';
export type { FastifyLatchkey, LatchkeyPluginOptions } from '../adapters/fastify.js';
export type { RequireAuthOptions } from '../http/answers.js';
