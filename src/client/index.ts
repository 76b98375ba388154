export { createClient } from './client.js';
export type { Client, ClientOptions, ClientState } from './types.js';
