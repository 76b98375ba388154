// latchkey/nestjs: the NestJS module, guard and decorators, on Express and Fastify (re-exports only).
export { Auth, LatchkeyException, LatchkeyModule, LatchkeyService, Public, RequireAuth } from '../adapters/nestjs.js';
export type { LatchkeyModuleOptions, LatchkeyResponse } from '../adapters/nestjs.js';
export type { RequireAuthOptions } from '../http/answers.js';
