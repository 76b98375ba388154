// latchkey/postgres: the PostgreSQL session store (re-exports only).
export { postgresStore } from '../stores/postgres/postgres-store.js';
export type { PostgresStore, PostgresStoreOptions } from '../stores/postgres/postgres-store.js';
export { postgresSchema } from '../stores/postgres/sql.js';
export type { PostgresNames } from '../stores/postgres/sql.js';
