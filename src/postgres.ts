// latchkey/postgres: the PostgreSQL session store (re-exports only).
export { postgresStore } from './stores/postgres.js';
export type { PostgresStore, PostgresStoreOptions } from './stores/postgres.js';
export { postgresSchema } from './stores/postgres-sql.js';
export type { PostgresNames } from './stores/postgres-sql.js';
