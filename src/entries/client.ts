export { createClient } from '../client/client.js';
export type { Client, ClientOptions, ClientState } from '../client/types.js';
