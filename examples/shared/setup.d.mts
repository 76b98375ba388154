// Types for setup.mjs, for the TypeScript examples (examples/nestjs).
import type { Auth } from 'latchkey';

export interface DemoConfig {
  port: number;
  host: string;
  accessTtl: string;
  trustedOrigins: string[];
  [option: string]: unknown;
}
export interface DemoUser {
  id: string;
  username: string;
  password: string;
  verify(username: unknown, password: unknown): Promise<string | null>;
}
export interface Demo {
  auth: Auth<true>;
  storeLabel: string;
  close(): Promise<void>;
}
export function readConfig(env?: NodeJS.ProcessEnv): DemoConfig;
export function createDemoAuth(config?: DemoConfig): Promise<Demo>;
export function createDemoUser(config?: DemoConfig): Promise<DemoUser>;
export function isLoginCsrf(error: unknown): boolean;
export function printBanner(options: { framework: string; port: number; user: DemoUser; storeLabel: string; accessTtl: string }): void;
export function closeOnSignal(server: import('node:http').Server, demo: Demo): void;
